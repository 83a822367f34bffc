-- openrouter.slots: a client's max_concurrent.  At most `limit` of its
-- requests are in flight; the others wait their turn, first come first
-- served (a task yields while it waits; a blocking caller waits in the
-- poll, driving the other tasks).  A chat holds its slot until its answer
-- is in, a stream until it ends, is closed or is collected.

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
  return setmetatable({ limit = limit, used = 0, streams = 0, line = {} }, Slots)
end

-- Drop the places of tasks that ended while they waited (canceled).
function Slots:_prune()
  local line, kept = self.line, {}
  for i = 1, #line do
    if not (line[i].task and line[i].task.done) then kept[#kept + 1] = line[i] end
  end
  self.line = kept
end

-- A blocking caller would wait forever: every slot is held by a stream,
-- and no task is left that could read one (each waits in this line, or
-- there is none).  The collector gets a chance to free abandoned ones.
function Slots:_stuck()
  if self.used < self.limit or self.streams < self.used then return false end
  local queued = 0
  for i = 1, #self.line do
    if self.line[i].task then queued = queued + 1 end
  end
  if loop.waiting_tasks() > queued then return false end
  collectgarbage()
  collectgarbage()
  return self.used >= self.limit
end

-- Wait for a slot (kind: "call" or "stream").  Returns the function that
-- gives it back (once; a stream's also goes when the collector takes
-- `holder`), or nil and a config error for a blocking caller that would
-- wait forever.
function Slots:acquire(kind)
  if not self.limit then return noop end
  local me = { task = loop.current_task() }
  self.line[#self.line + 1] = me
  while true do
    self:_prune()
    if self.line[1] == me and self.used < self.limit then break end
    if not me.task and self:_stuck() then
      for i = #self.line, 1, -1 do if self.line[i] == me then table.remove(self.line, i) end end
      return nil, errors.config(
        ("all %d slots of max_concurrent are held by open streams, and nothing is reading them")
          :format(self.limit),
        "read or close the open streams (or let a task read them), or raise max_concurrent")
    end
    loop.wait()
  end
  table.remove(self.line, 1)
  self.used = self.used + 1
  if kind == "stream" then self.streams = self.streams + 1 end
  if #self.line > 0 then loop.wake() end     -- the next in line may fit too
  local given = false
  local function give()
    if given then return end
    given = true
    self.used = self.used - 1
    if kind == "stream" then self.streams = self.streams - 1 end
    loop.wake()
  end
  return give, kind == "stream" and finalizer(give) or nil
end

return M
