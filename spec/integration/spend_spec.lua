-- Spending and concurrency: client:spent() sums the usage every answer
-- reported; max_cost stops new paid requests once spent (nothing is sent);
-- max_concurrent keeps at most that many requests in flight, the others
-- waiting their turn in order.  The fake server's answers cost $0.000093
-- (13 prompt and 6 completion tokens) each.

local core = require "openrouter.core"
local fake = require "spec.support.fake"
local h = require "spec.support.helpers"
local openrouter = require "openrouter"

local COST = 0.000093
local SLACK = os.getenv("OR_SLOW") and 10 or 1

local function near(want, got) return math.abs(want - got) < 1e-12 end

describe("client:spent()", function()
  it("sums the usage of every answer, chat, stream and embedding", function()
    local c = h.client()
    assert.same({ cost = 0, prompt_tokens = 0, completion_tokens = 0, requests = 0 }, c:spent())
    assert(c:chat { prompt = "x" })
    assert(assert(c:stream { prompt = "x" }):result())
    assert(c:embed { model = "fake/embed", input = "abc" })      -- costs 3.0e-7, 3 tokens
    local spent = c:spent()
    assert.is_true(near(2 * COST + 3e-7, spent.cost), spent.cost)
    assert.equal(29, spent.prompt_tokens)
    assert.equal(12, spent.completion_tokens)
    assert.equal(3, spent.requests)
    spent.cost = 1                                  -- a copy: the client's own stays
    assert.is_true(c:spent().cost < 1)
  end)

  it("counts a stream once its usage came, even if it broke later; failures cost nothing", function()
    local c = h.client()
    local _, err = assert(c:stream { model = "fake/no-done", prompt = "x" }):result()
    assert.equal("interrupted", err.kind)
    assert.equal(1, c:spent().requests)
    assert(c:models())
    c:chat { model = "fake/status-500", prompt = "x" }
    assert(assert(c:stream { model = "fake/drop-2", prompt = "x" })):result()
    assert.equal(1, c:spent().requests)
    assert.is_true(near(COST, c:spent().cost))
  end)
end)

describe("max_cost", function()
  it("refuses new paid requests once spent, and sends nothing", function()
    local c = h.client { max_cost = 1.5 * COST }
    assert(c:chat { prompt = "x" })                 -- spent: 1 × COST, under the cap
    assert(c:chat { prompt = "x" })                 -- 2 × COST: the cap is reached
    local before = fake.stats().requests
    local res, err = c:chat { prompt = "x" }
    assert.is_nil(res)
    assert.equal("budget", err.kind)
    assert.is_false(err.retryable)
    assert.matches("max_cost is spent", err.message)
    assert.matches("nothing was sent", err.hint)
    assert.matches("raise max_cost", err.hint)
    local s, serr = c:stream { prompt = "x" }
    assert.is_nil(s)
    assert.equal("budget", serr.kind)
    local _, eerr = c:embed { model = "fake/embed", input = "x" }
    assert.equal("budget", eerr.kind)
    assert.equal(before, fake.stats().requests)
    assert(c:models())                              -- the free calls are not blocked
    assert(c:key())
    local report = c:diagnose { model = "openai/gpt-4o" }
    local live
    for _, check in ipairs(report.checks) do if check.name == "live request" then live = check end end
    assert.is_nil(live.ok)                          -- skipped, not failed: nothing was spent
    assert.matches("skipped: max_cost is spent", live.detail)
    assert.is_true(report.ok)
  end)

  it("is checked when a waiting request gets its turn, not only when it asked", function()
    local c = h.client { max_cost = 0.5 * COST, max_concurrent = 1 }
    local tasks = {}
    for i = 1, 3 do
      tasks[i] = openrouter.spawn(function() return c:chat { model = "fake/delay-30", prompt = "x" } end)
    end
    openrouter.run(5 * SLACK)
    assert.is_table(tasks[1].values[1])             -- the first was sent
    for i = 2, 3 do
      assert.is_nil(tasks[i].values[1])
      assert.equal("budget", tasks[i].values[2].kind)
    end
  end)

  it("must be a positive number", function()
    for _, bad in ipairs { 0, -1, "1", 0 / 0 } do
      local ok, err = pcall(h.client, { max_cost = bad })
      assert.is_false(ok)
      assert.equal("config", err.kind)
      assert.matches("max_cost must be a number", err.message)
    end
  end)
end)

describe("max_concurrent", function()
  -- n tasks, each streaming fake/slow-10 through c: how many were open at
  -- most, and the order their streams opened in.
  local function stream_tasks(c, n)
    local open, most, order, tasks = 0, 0, {}, {}
    for i = 1, n do
      tasks[i] = openrouter.spawn(function()
        local s = assert(c:stream { model = "fake/slow-10", prompt = "x" })
        order[#order + 1] = i
        open = open + 1
        most = math.max(most, open)
        local res = assert(s:result())
        open = open - 1
        return res.text
      end)
    end
    openrouter.run(10 * SLACK)
    for i = 1, n do
      assert.is_true(tasks[i].ok, tostring(tasks[i].error))
      assert.equal(h.TEXT, tasks[i].values[1])
    end
    return most, order
  end

  it("keeps at most that many streams open at once", function()
    assert.equal(2, (stream_tasks(h.client { max_concurrent = 2 }, 6)))
    assert.equal(6, (stream_tasks(h.client(), 6)))               -- unlimited by default
  end)

  it("lets the waiting requests go in the order they were made", function()
    local _, order = stream_tasks(h.client { max_concurrent = 1 }, 5)
    assert.same({ 1, 2, 3, 4, 5 }, order)
  end)

  it("holds calls too, and a blocking caller waits its turn while the tasks move on", function()
    local c = h.client { max_concurrent = 1, timeout = 0.3 * SLACK }
    local t0 = core.now()
    local task = openrouter.spawn(function() return c:chat { model = "fake/delay-200", prompt = "x" } end)
    -- the wait for the slot (~0.2 s) is not part of this call's timeout
    local res, err = c:chat { model = "fake/delay-200", prompt = "x" }
    assert.is_table(res, tostring(err))
    assert.is_true(core.now() - t0 >= 0.38, "they overlapped")
    assert.is_true(task.done and task.ok)
  end)

  it("a blocking call that only open, unread streams hold back is a config error at once", function()
    local c = h.client { max_concurrent = 1 }
    local s = assert(c:stream { model = "fake/stall-1", prompt = "x" })
    local t0 = core.now()
    local res, err = c:chat { prompt = "x" }
    assert.is_nil(res)
    assert.equal("config", err.kind)
    assert.matches("all 1 slots of max_concurrent are taken, and nothing can free one", err.message)
    assert.matches("read or close the open streams", err.hint)
    assert.is_true(core.now() - t0 < 0.5 * SLACK)
    s:close()
    assert(c:chat { prompt = "x" })                 -- closed: its slot is free
  end)

  it("a stream that ended, failed or was collected gives its slot back", function()
    local c = h.client { max_concurrent = 1 }
    assert(assert(c:stream { prompt = "x" }):result())
    assert(c:chat { prompt = "x" })
    assert(c:stream { model = "fake/drop-1", prompt = "x" }):result()
    assert(c:chat { prompt = "x" })
    local _, err = c:stream { model = "fake/status-500", prompt = "x" }
    assert.equal("server", err.kind)
    assert(c:chat { prompt = "x" })
    do assert(c:stream { model = "fake/stall-1", prompt = "x" }) end   -- abandoned, unread
    assert(c:chat { prompt = "x" })                 -- the collector frees it
  end)

  it("a task canceled while its call holds a slot gives it back (with the collector)", function()
    local c = h.client { max_concurrent = 1 }
    local holder = openrouter.spawn(function() return c:chat { model = "fake/delay-500", prompt = "x" } end)
    assert.is_false(holder.done)
    holder:cancel()
    assert(c:chat { prompt = "x" })                 -- not a hang, not an error
  end)

  it("under attach with a schedule, a blocking call held back by a task is an error, not a hang", function()
    local ok_uv, uv = pcall(require, "luv")
    if not ok_uv then pending("luv is not installed") return end
    local c = h.client { max_concurrent = 1 }
    local queued = {}
    local handle = openrouter.attach(uv, { schedule = function(fn) queued[#queued + 1] = fn end })
    local task = openrouter.spawn(function() return c:chat { model = "fake/delay-100", prompt = "x" } end)
    local t0 = core.now()
    local res, err = c:chat { prompt = "x" }
    handle:detach()
    uv.run("nowait")
    assert.is_nil(res)
    assert.equal("config", err.kind)
    assert.matches("make the call inside a task", err.hint)
    assert.is_true(core.now() - t0 < 0.5 * SLACK)
    openrouter.run(5 * SLACK)
    assert.is_true(task.ok)
  end)

  it("a task canceled while it waits does not keep its place", function()
    local c = h.client { max_concurrent = 1 }
    local s = assert(c:stream { model = "fake/stall-1", prompt = "x" })
    local waiting = openrouter.spawn(function() return c:chat { prompt = "x" } end)
    local next_one = openrouter.spawn(function() return c:chat { prompt = "x" } end)
    openrouter.step(0)
    assert.is_false(waiting.done)
    waiting:cancel()
    s:close()
    openrouter.run(5 * SLACK)
    assert.is_true(next_one.ok)
    assert.is_table(next_one.values[1])
  end)

  it("must be a whole number >= 1", function()
    for _, bad in ipairs { 0, 1.5, -2, "2" } do
      local ok, err = pcall(h.client, { max_concurrent = bad })
      assert.is_false(ok)
      assert.equal("config", err.kind)
      assert.matches("max_concurrent must be a", err.message)
    end
  end)
end)
