-- openrouter.attach(uv): drive the scheduler from a luv loop (Neovim's
-- vim.uv / vim.loop) without ever blocking it.  libcurl says which sockets
-- to watch and when to call it back (core.changes, core.next_wake); luv
-- poll handles watch those sockets and one luv timer keeps the time, so
-- nothing polls while idle.  Each callback runs the engine for what became
-- ready (core.action) and resumes the tasks waiting on it.

local core = require "openrouter.core"
local each = require "openrouter.each"
local loop = require "openrouter.loop"

local Handle = { __name = "openrouter.Attachment" }
Handle.__index = Handle

local attached   -- the one live attachment (one engine per Lua state)

local EVENTS = { ["in"] = "r", out = "w", inout = "rw" }

function Handle:_sync()
  if self._syncing then return end        -- a callback inside a callback
  self._syncing = true
  local changes = core.changes()
  for i = 1, #changes, 2 do
    local fd, what = changes[i], changes[i + 1]
    local poll = self._polls[fd]
    if what == "remove" or what == "none" then
      if poll then
        self._polls[fd] = nil
        poll:stop()
        poll:close()
      end
    else
      if not poll then
        poll = self._uv.new_socket_poll(fd)
        self._polls[fd] = poll
      end
      poll:start(EVENTS[what], function(err, events)
        events = events or ""
        core.action(fd, err ~= nil or events:find("r") ~= nil, events:find("w") ~= nil)
        self:_after()
      end)
    end
  end
  -- one timer for libcurl's timeouts, our stream timers and task back-offs
  local wake = core.next_wake()
  local task_wake = loop.next_task_wake()
  if task_wake and (not wake or task_wake < wake) then wake = task_wake end
  self._timer:stop()
  if wake then
    self._timer:start(math.floor(wake * 1000) + 1, 0, function()
      core.action(-1)
      self:_after()
    end)
  end
  self._syncing = false
end

-- After the engine ran: wake the tasks, then watch what they now need.
-- With opts.schedule (Neovim: vim.schedule) the tasks run there, outside
-- luv's callback, where the editor API may be called; one run is queued
-- at a time however many sockets fire.
function Handle:_after()
  if self._detached then return end
  if not self._schedule then
    loop.resume_waiting()
    self:_sync()
  elseif not self._queued then
    self._queued = true
    self._schedule(function()
      self._queued = false
      if self._detached then return end
      loop.resume_waiting()
      self:_sync()
    end)
  end
end

function Handle:detach()
  if self._detached then return end
  self._detached = true
  loop.on_park = nil
  loop.on_wake = nil
  loop.tasks_in_blocking_waits = true
  core.watch(false)
  for fd, poll in each(self._polls) do
    poll:stop()
    poll:close()
    self._polls[fd] = nil
  end
  self._timer:stop()
  self._timer:close()
  self._kick:stop()
  self._kick:close()
  attached = nil
end

-- attach(uv [, opts]) -> handle;  opts.schedule = function(fn) that runs
-- fn soon outside the luv callback (vim.schedule in Neovim).
return function(uv, opts)
  if type(uv) ~= "table" or type(uv.new_timer) ~= "function"
      or type(uv.new_socket_poll) ~= "function" then
    error("openrouter.attach: expected a luv module (vim.uv / vim.loop / require 'luv')", 2)
  end
  local schedule = type(opts) == "table" and opts.schedule or nil
  if schedule ~= nil and type(schedule) ~= "function" then
    error("openrouter.attach: opts.schedule must be a function (e.g. vim.schedule)", 2)
  end
  if attached then attached:detach() end
  local self = setmetatable({ _uv = uv, _polls = {}, _timer = uv.new_timer(),
                              _kick = uv.new_timer(), _schedule = schedule }, Handle)
  attached = self
  -- tasks run only where schedule puts them, never inside a blocking call
  loop.tasks_in_blocking_waits = schedule == nil
  core.watch(true)
  -- a task that parks may have started a request: watch its sockets now
  loop.on_park = function() self:_sync() end
  -- a stream closed without I/O: resume its waiting tasks on the next turn
  loop.on_wake = function()
    self._kick:start(0, 0, function() self:_after() end)
  end
  self:_sync()
  return self
end
