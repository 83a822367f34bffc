-- openrouter.loop: how a call waits.  Outside a task it blocks in libcurl's
-- poll (one multi handle drives every transfer); inside a task started by
-- spawn it yields, so the host's loop keeps running and many requests
-- progress at once.  step/run are the scheduler that resumes those tasks.

local core = require "openrouter.core"
local each = require "openrouter.each"
local errors = require "openrouter.errors"

local M = {}

local WAIT = setmetatable({}, { __name = "openrouter.wait" })  -- what a waiting task yields
local tasks = setmetatable({}, { __mode = "k" })               -- coroutine -> task
local waiting = {}                                             -- tasks parked in wait()

local Task = { __name = "openrouter.Task" }
Task.__index = Task

local unpack = table.unpack or unpack
local pack = table.pack or function(...) return { n = select("#", ...), ... } end

-- The longest a blocking call sleeps in one poll: waits are re-checked at
-- least this often even if libcurl has nothing to say.
local MAX_SLICE = 1.0

-- A task that ends by raising: told to the on_error handler (the default
-- writes one line to stderr; openrouter.on_error(nil) silences it), so an
-- error never vanishes in a host loop.  A handler that raises is reported
-- on stderr and never breaks the loop.
local function default_on_error(err)
  io.stderr:write("openrouter: task failed: ", (tostring(err):gsub("[\r\n]+", " ")), "\n")
end
local on_error = default_on_error

function M.on_error(fn)
  if fn ~= nil and type(fn) ~= "function" then
    error("openrouter.on_error: expected a function or nil, got " .. type(fn), 2)
  end
  on_error = fn
end

local function finish(task, ok, ...)
  if task.done then return end             -- canceled (by itself): that stands
  task.done = true
  task.ok = ok
  if ok then task.values = pack(...)
  else task.error = ... end
  tasks[task.co] = nil
  if not ok and on_error then
    local hok, herr = pcall(on_error, task.error, task)
    if not hok then
      io.stderr:write("openrouter: the on_error handler raised: ", tostring(herr), "\n")
    end
  end
end

-- Set by attach: called whenever a task parks, so an external loop can
-- pick up the sockets and timers the task's requests need.
M.on_park = nil

-- Something a waiting task may wait for happened without any I/O (a
-- stream was closed): the next step must not sleep before resuming the
-- tasks.  attach sets on_wake to do the same in its loop.
local woken = false
M.on_wake = nil
function M.wake()
  woken = true
  if M.on_wake then M.on_wake() end
end

-- Resume a task; it runs until it waits again or ends.  Its errors are
-- kept on the task, never raised into the loop.
local function resume(task, ...)
  waiting[task] = nil
  local res = pack(coroutine.resume(task.co, ...))
  if coroutine.status(task.co) == "dead" then
    finish(task, unpack(res, 1, res.n))
    return
  end
  if res[2] ~= WAIT then task.wake_at = nil end  -- a bare coroutine.yield(): next step
  waiting[task] = true
  if M.on_park then M.on_park() end
end

-- The task running now, or nil outside tasks.
function M.current_task()
  return tasks[coroutine.running()]
end

-- How many tasks are parked, waiting for something.
function M.waiting_tasks()
  local n = 0
  for _ in each(waiting) do n = n + 1 end
  return n
end

-- Resume every parked task once (each re-checks what it waits for).
function M.resume_waiting()
  local ready = {}
  for task in each(waiting) do ready[#ready + 1] = task end
  for i = 1, #ready do resume(ready[i]) end
end

-- Seconds until the earliest task timer (a retry back-off), or nil.
function M.next_task_wake()
  local soonest
  for task in each(waiting) do
    if task.wake_at and (not soonest or task.wake_at < soonest) then soonest = task.wake_at end
  end
  return soonest and math.max(0, soonest - core.now())
end

-- Whether a blocking wait also resumes the tasks it unblocks, so that
-- they move on meanwhile (and may, say, close the stream it waits on).
-- attach turns it off when tasks must run only where its schedule
-- function puts them (Neovim: vim.schedule).
M.tasks_in_blocking_waits = true

-- Wait for I/O progress or until `deadline` (core.now() seconds; nil: none).
function M.wait(deadline)
  local task = tasks[coroutine.running()]
  if task then
    task.wake_at = deadline
    coroutine.yield(WAIT)
    return
  end
  local slice = MAX_SLICE
  if deadline then slice = math.max(0, math.min(slice, deadline - core.now())) end
  local task_wake = M.tasks_in_blocking_waits and M.next_task_wake()
  if task_wake and task_wake < slice then slice = task_wake end
  core.drive(slice)
  if M.tasks_in_blocking_waits then M.resume_waiting() end
end

-- Sleep `seconds` the same way (a retry's back-off).
function M.sleep(seconds)
  local deadline = core.now() + seconds
  while core.now() < deadline do M.wait(deadline) end
end

function M.spawn(fn, ...)
  if type(fn) ~= "function" then
    error("openrouter.spawn: expected a function, got " .. type(fn), 2)
  end
  local co = coroutine.create(fn)
  local task = setmetatable({ co = co, done = false }, Task)
  tasks[co] = task
  resume(task, ...)
  return task
end

-- Drive every transfer once (waiting at most `timeout` seconds for I/O, or
-- less when a task's timer is due) and resume the waiting tasks.
function M.step(timeout)
  timeout = tonumber(timeout) or 0
  local task_wake = M.next_task_wake()
  if task_wake and task_wake < timeout then timeout = task_wake end
  if woken then timeout, woken = 0, false end
  core.drive(timeout)
  M.resume_waiting()
  return core.active()
end

-- Drive until every task has finished or `timeout` seconds passed; returns
-- true when nothing is left waiting.
function M.run(timeout)
  local stop = timeout and core.now() + timeout
  while next(waiting) do
    local slice = MAX_SLICE
    if stop then
      local left = stop - core.now()
      if left <= 0 then break end
      slice = math.min(slice, left)
    end
    M.step(slice)
  end
  return next(waiting) == nil
end

-- task:wait([timeout]) -> true, values... | nil, err  (drives the loop;
-- err is what the task raised, or a `timeout` error if it is still running)
function Task:wait(timeout)
  local stop = timeout and core.now() + timeout
  while not self.done do
    if stop and core.now() >= stop then
      return nil, errors.new { kind = "timeout",
        message = ("the task did not finish within %g s"):format(timeout) }
    end
    if tasks[coroutine.running()] then
      M.wait(stop)
    else
      M.step(stop and math.min(MAX_SLICE, math.max(0, stop - core.now())) or MAX_SLICE)
    end
  end
  if not self.ok then return nil, self.error end
  return true, unpack(self.values, 1, self.values.n)
end

-- Stop a task that is still waiting: it will not be resumed again, and
-- once nothing refers to it the garbage collector closes the streams it
-- held (their connections too).  task.error becomes a `canceled` error.
function Task:cancel()
  if self.done then return false end
  waiting[self] = nil
  tasks[self.co] = nil
  self.done, self.ok = true, false
  self.error = errors.new { kind = "canceled", message = "the task was canceled" }
  -- 5.4: run its pending __close handlers now (not when it cancels itself)
  if coroutine.close and coroutine.status(self.co) == "suspended" then coroutine.close(self.co) end
  -- what its stack holds (streams, a request's slot) is the collector's now
  if coroutine.running() ~= self.co then self.co = nil end
  return true
end

function Task:__tostring()
  return ("openrouter.Task (%s)"):format(
    not self.done and "running" or self.ok and "ok" or "failed")
end

return M
