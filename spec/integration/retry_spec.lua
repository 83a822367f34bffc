-- Retries: only retryable failures before any chunk, counted on the server;
-- never 400/401/402/403; close() cancels a pending retry; a retry never
-- blocks the scheduler.

local core = require "openrouter.core"
local fake = require "spec.support.fake"
local h = require "spec.support.helpers"
local openrouter = require "openrouter"

local n = 0
local function tag() n = n + 1; return ("t%d%d"):format(os.time() % 100000, n) end

describe("retries", function()
  it("a flaky 429 or 502 then ok succeeds with max_retries = 2, fails with 0", function()
    local patient, impatient = h.client { max_retries = 2 }, h.client { max_retries = 0 }
    for status, kind in pairs { [429] = "rate_limited", [502] = "provider" } do
      for _, call in ipairs { "chat", "stream" } do
        local where = call .. " " .. status
        local model = ("fake/flaky-%d-2-%s"):format(status, tag())
        local res = patient[call](patient, { model = model, prompt = "x" })
        assert.is_truthy(res, where)
        assert.equal(3, fake.attempts(model), where)
        model = ("fake/flaky-%d-2-%s"):format(status, tag())
        local res0, err = impatient[call](impatient, { model = model, prompt = "x" })
        assert.is_nil(res0, where)
        assert.equal(kind, err.kind, where)
        assert.equal(1, fake.attempts(model), where)
      end
    end
  end)

  it("a flaky 502 then ok succeeds, with back-off when the server gives no wait", function()
    local model = "fake/flakynr-502-1-" .. tag()
    local t0 = core.now()
    local res = h.client { max_retries = 2 }:chat { model = model, prompt = "x" }
    assert.equal(h.TEXT, res.text)
    assert.equal(2, fake.attempts(model))
    local waited = core.now() - t0
    assert.is_true(waited >= 0.24, "no back-off: " .. waited)   -- 0.5 s with equal jitter: 0.25-0.5
  end)

  it("never retries 400, 401, 402 or 403", function()
    local c = h.client { max_retries = 3 }
    for _, status in ipairs { 400, 401, 402, 403 } do
      local model = "fake/flaky-" .. status .. "-1-" .. tag()
      local _, err = c:chat { model = model, prompt = "x" }
      assert.equal(status, err.status)
      assert.equal(1, fake.attempts(model), "status " .. status)
    end
  end)

  it("retries a stream that broke before its first chunk", function()
    local model = "fake/flakydrop-1-" .. tag()
    local s = assert(h.client { max_retries = 2 }:stream { model = model, prompt = "x" })
    local res, err = s:result()
    assert.is_nil(err)
    assert.equal(h.TEXT, res.text)
    assert.equal(2, fake.attempts(model))
  end)

  it("never retries once a chunk reached the caller", function()
    local s = assert(h.client { max_retries = 3 }:stream { model = "fake/drop-2", prompt = "x" })
    local _, err = s:result()
    assert.equal("interrupted", err.kind)
    assert.is_true(err.partial)
  end)

  it("close() cancels a pending retry", function()
    local model = "fake/flakydrop-5-" .. tag()
    local s = assert(h.client { max_retries = 5 }:stream { model = model, prompt = "x" })
    local task = openrouter.spawn(function() return s:next() end)
    local stop = core.now() + 0.1
    while core.now() < stop do openrouter.step(0.01) end    -- the drop is seen; a retry waits
    assert.is_false(task.done)
    s:close()
    assert.is_true(openrouter.run(5))
    assert.is_true(task.ok)
    assert.is_nil(task.values[1])
    h.sleep(0.6)                                               -- past any back-off
    openrouter.step(0)
    assert.equal(1, fake.attempts(model))
  end)

  it("a retry's back-off yields in a task: step(0) stays instant", function()
    local model = "fake/flakynr-503-1-" .. tag()
    local c = h.client { max_retries = 2 }
    local task = openrouter.spawn(function() return c:chat { model = model, prompt = "x" } end)
    local t0, steps = core.now(), 0
    while not task.done and core.now() - t0 < 5 do
      local s0 = core.now()
      openrouter.step(0)
      assert.is_true(core.now() - s0 < 0.05, "step(0) waited")
      steps = steps + 1
      core.drive(0.005)
    end
    assert.is_true(task.ok, tostring(task.error))
    assert.equal(h.TEXT, task.values[1].text)
    assert.is_true(steps > 10)
  end)
end)
