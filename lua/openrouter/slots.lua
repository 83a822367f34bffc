-- openrouter.slots: a client's max_concurrent.  At most `limit` of its
-- requests are in flight; the others wait their turn, first come first
-- served (a task yields while it waits; a blocking caller waits in the
-- poll, driving the other tasks).  A call holds its slot until its answer
-- is in, a stream until it ends, is closed or is collected; a slot whose
-- holder is gone (a task canceled mid-call) goes back with the collector.

local errors = require "openrouter.errors"
local loop = require "openrouter.loop"

local M = {}

local Slots = {}
Slots.__index = Slots

local function noop() end

-- An object whose finalizer calls fn when the garbage collector takes it.
local function finalizer(fn)
  if newproxy then           -- Lua 5.1 and LuaJIT: only userdata have __gc
    local p = newproxy(true)
    getmetatable(p).__gc = function() fn() end
    return p
  end
  return setmetatable({}, { __gc = function() fn() end })
end

function M.new(limit)
  return setmetatable({ limit = limit, used = 0, line = {} }, Slots)
end

-- Drop the places of tasks that ended while they waited (canceled).
function Slots:_prune()
  local line, kept = self.line, {}
  for i = 1, #line do
    if not (line[i].task and line[i].task.done) then kept[#kept + 1] = line[i] end
  end
  self.line = kept
end

-- A blocking caller would wait forever: every slot is taken, and no task
-- can free one while it waits (each waits in this line, or there is none,
-- or tasks do not run during a blocking wait: attach with a schedule).
-- The collector first gets its chance to free abandoned holders.
function Slots:_stuck()
  if self.used < self.limit then return false end
  if loop.tasks_in_blocking_waits then
    local queued = 0
    for i = 1, #self.line do
      if self.line[i].task then queued = queued + 1 end
    end
    if loop.waiting_tasks() > queued then return false end
  end
  collectgarbage()
  collectgarbage()
  return self.used >= self.limit
end

-- Wait for a slot.  Returns the function that gives it back (once), and
-- an object to keep with the holder: when the collector takes it, the
-- slot goes back too.  Or nil and a config error for a blocking caller
-- that would wait forever.
function Slots:acquire()
  if not self.limit then return noop end
  local me = { task = loop.current_task() }
  self.line[#self.line + 1] = me
  while true do
    self:_prune()
    if self.line[1] == me and self.used < self.limit then break end
    if not me.task and self:_stuck() then
      for i = #self.line, 1, -1 do if self.line[i] == me then table.remove(self.line, i) end end
      return nil, errors.config(
        ("all %d slots of max_concurrent are taken, and nothing can free one while this call waits")
          :format(self.limit),
        "read or close the open streams (or let a task read them), or raise max_concurrent; " ..
        "under attach with a schedule, make the call inside a task")
    end
    loop.wait()
  end
  table.remove(self.line, 1)
  self.used = self.used + 1
  if #self.line > 0 then loop.wake() end     -- the next in line may fit too
  local given = false
  local function give()
    if given then return end
    given = true
    self.used = self.used - 1
    loop.wake()
  end
  return give, finalizer(give)
end

return M
