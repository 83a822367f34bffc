-- Tasks: waits inside openrouter.spawn yield to the scheduler, so one loop
-- drives many streams; step(0) never blocks; a task's failure is kept on
-- the task; closing or canceling frees the transfer.

local core = require "openrouter.core"
local fake = require "spec.support.fake"
local h = require "spec.support.helpers"
local openrouter = require "openrouter"

-- PUC Lua 5.1 cannot yield inside a for-loop iterator; LuaJIT can.
local puc51 = _VERSION == "Lua 5.1" and not rawget(_G, "jit")

describe("the scheduler", function()
  local client
  setup(function() client = h.client { idle_timeout = 10 } end)

  it("runs 200 concurrent streams from tasks, each with the right text", function()
    local tasks = {}
    for i = 1, 200 do
      tasks[i] = openrouter.spawn(function(n)
        local s = assert(client:stream { prompt = "task " .. n })
        local res = assert(s:result())
        return res.text, n
      end, i)
    end
    -- spawn runs each task to its first wait: none is done yet
    assert.is_false(tasks[1].done)
    assert.is_true(openrouter.run(30))
    for i = 1, 200 do
      local t = tasks[i]
      assert.is_true(t.done)
      assert.is_true(t.ok, tostring(t.error))
      assert.equal(h.TEXT, t.values[1])
      assert.equal(i, t.values[2])
      assert.equal(2, t.values.n)
    end
    -- (a transfer may still read its body's last bytes after [DONE])
    assert.is_truthy(h.eventually(function() return core.active() == 0 end))
  end)

  it("runs a cold client's first streams side by side, not one after the other", function()
    -- (a process of its own: its client has no connection yet)
    local out = h.run_lua(([[
      local openrouter = require "openrouter"
      local core = require "openrouter.core"
      local client = openrouter.new { api_key = %q, base_url = %q, model = "fake/slow-20",
                                      max_retries = 0 }
      local tasks = {}
      local t0 = core.now()
      for i = 1, 3 do
        tasks[i] = openrouter.spawn(function()
          local s, err = client:stream { prompt = "x" }
          if not s then error(tostring(err)) end
          local res, rerr = s:result()
          if not res then error(tostring(rerr)) end
          return res.text
        end)
      end
      openrouter.run(10)
      for i = 1, 3 do assert(tasks[i].ok and tasks[i].values[1] == %q, tostring(tasks[i].error)) end
      io.stderr:write(("took %%.3f"):format(core.now() - t0))
    ]]):format(h.KEY, fake.start(), h.TEXT))     -- (plain http, also in the OR_H2 run)
    -- fake/slow-20 takes ~0.14 s: three in a row would take ~0.4 s
    local took = tonumber(out:match("took ([%d.]+)"))
    assert.is_number(took, out)
    local slow = os.getenv("OR_SLOW") and 10 or 1
    assert.is_true(took < 0.3 * slow, ("three streams took %.3f s: one after the other"):format(took))
  end)

  it("iterates text() inside a task (where the Lua can yield there)", function()
    if puc51 then pending("PUC Lua 5.1 cannot yield inside a for iterator: use next()") return end
    local task = openrouter.spawn(function()
      local parts = {}
      for t in assert(client:stream { prompt = "x" }):text() do parts[#parts + 1] = t end
      return table.concat(parts)
    end)
    assert.is_true(openrouter.run(10))
    assert.equal(h.TEXT, task.values[1])
  end)

  it("step(0) returns at once while a task waits on a stalled server", function()
    local c = h.client { timeout = 0.5 }
    local task = openrouter.spawn(function()
      return c:stream { model = "fake/stall-headers", prompt = "x" }
    end)
    local t0 = core.now()
    for _ = 1, 200 do openrouter.step(0) end
    assert.is_true(core.now() - t0 < 0.4)
    assert.is_false(task.done)
    assert.is_true(openrouter.run(5))
    assert.is_true(task.ok)
    assert.is_nil(task.values[1])
    assert.equal("timeout", task.values[2].kind)
  end)

  it("keeps a task's failure on the task and never raises it into the loop", function()
    local boom = openrouter.spawn(function()
      assert(client:stream { prompt = "x" }):next()
      error("boom")
    end)
    local raised = openrouter.spawn(function()
      local s = assert(client:stream { model = "fake/drop-1", prompt = "x" })
      local res, err = s:result()
      if not res then error(err) end
    end)
    assert.has_no.errors(function() openrouter.run(10) end)
    assert.is_true(boom.done)
    assert.is_false(boom.ok)
    assert.matches("boom", tostring(boom.error))
    assert.is_false(raised.ok)
    assert.is_true(openrouter.is_error(raised.error))
    assert.equal("interrupted", raised.error.kind)
    local ok, err = boom:wait()
    assert.is_nil(ok)
    assert.matches("boom", tostring(err))
  end)

  it("task:wait() drives the loop and returns the values", function()
    local task = openrouter.spawn(function() return assert(client:chat { prompt = "x" }).text, 42 end)
    local ok, text, n = task:wait(10)
    assert.is_true(ok)
    assert.equal(h.TEXT, text)
    assert.equal(42, n)
  end)

  it("task:wait(timeout) gives a timeout error for a task still running", function()
    local task = openrouter.spawn(function()
      return h.client { timeout = 1 }:stream { model = "fake/stall-headers", prompt = "x" }
    end)
    local ok, err = task:wait(0.1)
    assert.is_nil(ok)
    assert.is_true(openrouter.is_error(err))
    assert.equal("timeout", err.kind)
    assert.is_false(task.done)
    assert.is_true(task:cancel())
    task = nil                              -- luacheck: ignore 311 (let the GC have it)
    assert.is_truthy(h.eventually(function() collectgarbage() return core.active() == 0 end))
  end)

  it("a task may cancel itself", function()
    local task
    task = openrouter.spawn(function()
      assert(client:stream { prompt = "x" }):next()
      task:cancel()
      return "not reached"
    end)
    assert.is_true(openrouter.run(5))
    assert.is_true(task.done)
    assert.is_false(task.ok)
    assert.is_nil(task.values)
    assert.equal("canceled", task.error.kind)
    assert.is_truthy(h.eventually(function() collectgarbage() return core.active() == 0 end))
  end)

  it("closing a stream inside a task frees its transfer (the server sees the close)", function()
    local released = h.let_go()
    local task = openrouter.spawn(function()
      local s = assert(client:stream { model = "fake/stall-2", prompt = "x" })
      assert(s:next())
      s:close()
      return core.active()
    end)
    assert.is_true(openrouter.run(10))
    assert.is_true(task.ok, tostring(task.error))
    assert.equal(0, task.values[1])
    assert.is_truthy(h.eventually(released))
  end)

  it("a canceled task is freed, and the garbage collector closes its stream", function()
    local released = h.let_go()
    local task = openrouter.spawn(function()
      local s = assert(client:stream { model = "fake/stall-1", prompt = "x" })
      while true do assert(s:next()) end
    end)
    local settle = core.now() + 0.2            -- let it read what the server sent
    while core.now() < settle do openrouter.step(0.01) end
    assert.equal(1, core.active())
    assert.is_true(task:cancel())
    assert.is_false(task:cancel())
    assert.equal("canceled", task.error.kind)
    task = nil                              -- luacheck: ignore 311 (let the GC have it)
    assert.is_truthy(h.eventually(function()
      collectgarbage()
      collectgarbage()
      return released()
    end))
    assert.equal(0, core.active())
  end)

  it("spawn rejects what is not a function", function()
    assert.has_error(function() openrouter.spawn(42) end,
      "openrouter.spawn: expected a function, got number")
  end)
end)

describe("openrouter.attach", function()
  local ok_uv, uv = pcall(require, "luv")

  it("drives tasks from a luv loop while its timers keep firing", function()
    if not ok_uv then pending("luv is not installed") return end
    local client = h.client { idle_timeout = 10 }
    local handle = openrouter.attach(uv)
    local ticks, last, max_gap = 0, nil, 0
    local timer = uv.new_timer()
    timer:start(5, 5, function()
      local now = uv.now()
      if last then max_gap = math.max(max_gap, now - last) end
      last, ticks = now, ticks + 1
    end)
    local tasks = {}
    for i = 1, 20 do
      tasks[i] = openrouter.spawn(function()
        return assert(assert(client:stream { model = "fake/slow-30", prompt = "x" }):result()).text
      end)
    end
    local stop = core.now() + 10
    local function all_done()
      for i = 1, #tasks do if not tasks[i].done then return false end end
      return true
    end
    while not all_done() and core.now() < stop do uv.run("once") end
    timer:stop()
    timer:close()
    -- nothing in flight: the attachment leaves no active handle, so an idle
    -- editor is not woken (the loop would exit if nothing else were there)
    -- (over HTTP/2 a transfer may still read its END_STREAM after the
    -- stream gave its [DONE]: let the loop settle there)
    local settle_by = core.now() + (h.H2 and 2 or 0)
    repeat uv.run("nowait") uv.sleep(1) until not uv.loop_alive() or core.now() > settle_by
    assert.is_false(uv.loop_alive())
    handle:detach()
    uv.run("nowait")
    assert.is_true(all_done())
    for i = 1, #tasks do
      assert.is_true(tasks[i].ok, tostring(tasks[i].error))
      assert.equal(h.TEXT, tasks[i].values[1])
    end
    -- under valgrind everything runs ~20 times slower: allow for it
    local slow = os.getenv("OR_SLOW") and 10 or 1
    assert.is_true(ticks >= 20 / slow, "the luv timer fired only " .. ticks .. " times")
    assert.is_true(max_gap < 100 * slow, "the luv loop was blocked for " .. max_gap .. " ms")
  end)

  it("rejects what is not a luv module", function()
    assert.has_error(function() openrouter.attach({}) end)
  end)
end)
