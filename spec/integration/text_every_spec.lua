-- stream:text { every = seconds }, for user interfaces that redraw on each
-- string: the first text at once, then at most one string per `every`
-- seconds (all that arrived meanwhile), the end flushing what is left; the
-- same text as plain text(); on a failure the text that arrived comes
-- first and the error is raised on the next call.

local core = require "openrouter.core"
local h = require "spec.support.helpers"
local openrouter = require "openrouter"

local puc51 = _VERSION == "Lua 5.1" and not rawget(_G, "jit")
local SLACK = os.getenv("OR_SLOW") and 10 or 1

-- Every string of `iter` with the time it came (seconds from t0), and the
-- error it raised, if any.
local function collect(iter, state, control, closing)
  local t0, got = core.now(), {}
  local ok, err = pcall(function()
    for t in iter, state, control, closing do got[#got + 1] = { at = core.now() - t0, text = t } end
  end)
  return got, not ok and err or nil
end

local function joined(got)
  local parts = {}
  for i, g in ipairs(got) do parts[i] = g.text end
  return table.concat(parts)
end

describe("stream:text { every = s }", function()
  local client
  setup(function() client = h.client { idle_timeout = 5 } end)

  it("gives the same text as plain text(), coalesced", function()
    for _, model in ipairs { "openai/gpt-4o", "fake/slow-20", "fake/chunks-3000", "fake/reasoning",
                             "fake/bigthen-70000-200", "fake/events" } do
      local plain = collect(assert(client:stream { model = model, prompt = "x" }):text())
      local every = collect(assert(client:stream { model = model, prompt = "x" }):text { every = 0.05 })
      assert.equal(joined(plain), joined(every), model)
      assert.is_true(#every <= #plain, model)
      for _, g in ipairs(every) do assert.is_true(g.text ~= "", model) end
    end
  end)

  it("yields the first text at once, then at most one string per interval", function()
    -- fake/slow-20: a text every 20 ms for ~140 ms
    local every = 0.05
    local got = collect(assert(client:stream { model = "fake/slow-20", prompt = "x" }):text { every = every })
    assert.equal(h.TEXT, joined(got))
    assert.equal("Hello", got[1].text)                 -- not held back for an interval
    assert.is_true(#got >= 2 and #got < 7, #got .. " strings")
    for i = 2, #got - 1 do                             -- (the last: the end flushes at once)
      assert.is_true(got[i].at - got[i - 1].at >= every - 0.005,
        ("strings %d and %d came %.3f s apart"):format(i - 1, i, got[i].at - got[i - 1].at))
    end
  end)

  it("every = 0 gives all the text there is at each call", function()
    local got = collect(assert(client:stream { model = "fake/chunks-3000", prompt = "x" }):text { every = 0 })
    assert.equal(("a"):rep(3000), joined(got))
    assert.is_true(#got < 3000)
  end)

  it("on a failure yields the text that arrived, then raises the error", function()
    local s = assert(client:stream { model = "fake/drop-3", prompt = "x" })
    local got, err = collect(s:text { every = 10 * SLACK })
    assert.equal("aaa", joined(got))                  -- (at once, or "a" then "aa" at the failure)
    assert.is_true(openrouter.is_error(err))
    assert.equal("interrupted", err.kind)
    assert.equal("aaa", err.result.text)
    assert.equal(err, s.error)
  end)

  it("an error before any text is raised at once", function()
    -- fake/notjson: the role chunk (no text), then an event that is no JSON
    local s = assert(client:stream { model = "fake/notjson", prompt = "x" })
    local t0 = core.now()
    local got, err = collect(s:text { every = 10 * SLACK })
    assert.equal(0, #got)
    assert.equal("protocol", err.kind)
    assert.is_true(core.now() - t0 < 1 * SLACK)
  end)

  it("close() while it holds text back gives that text, then the canceled error", function()
    local s = assert(client:stream { model = "fake/slow-20", prompt = "x" })
    local iter, st = s:text { every = 10 * SLACK }
    assert.equal("Hello", (iter(st)))                 -- the first at once
    local closer = h.closer(client, s)
    local held = iter(st)                             -- held back, not lost
    assert.is_true(#held > 0 and #held < #h.TEXT - 5, held)
    assert.equal(h.TEXT:sub(1, 5 + #held), "Hello" .. held)
    local ok, err = pcall(iter, st)
    assert.is_false(ok)
    assert.equal("canceled", err.kind)
    assert.is_true(closer.done)
  end)

  it("close() while it waits ends it with canceled; break closes on Lua 5.4", function()
    local s = assert(client:stream { model = "fake/stall-2", prompt = "x" })
    local iter, st = s:text { every = 0.05 }
    local first = iter(st)
    if first == "a" then first = first .. iter(st) end
    assert.equal("aa", first)
    local closer = h.closer(client, s)
    local ok, err = pcall(iter, st)
    assert.is_false(ok)
    assert.equal("canceled", err.kind)
    assert.is_true(closer.done)
    if _VERSION == "Lua 5.4" then
      local s2 = assert(client:stream { model = "fake/stall-3", prompt = "x" })
      local loop = assert(load [[
        local s = ...
        for _ in s:text { every = 0.01 } do break end
      ]])
      loop(s2)
      assert.equal("openrouter.Stream (closed)", tostring(s2))
    end
  end)

  -- Two tasks each read a paced stream coalesced with `read`; they must
  -- advance together (the waits yield), not one after the other.
  local function two_tasks_together(read)
    local tasks = {}
    for i = 1, 2 do
      tasks[i] = openrouter.spawn(function()
        return read(assert(client:stream { model = "fake/slow-20", prompt = "x" }))
      end)
    end
    local t0 = core.now()
    openrouter.run(5 * SLACK)
    for i = 1, 2 do
      assert.is_true(tasks[i].ok, tostring(tasks[i].error))
      assert.equal(h.TEXT, tasks[i].values[1])
    end
    assert.is_true(core.now() - t0 < 0.3 * SLACK, "they ran one after the other")
  end

  it("inside tasks, waits yield: two coalesced streams advance together", function()
    if puc51 then pending("PUC Lua 5.1 cannot yield inside a for iterator") return end
    two_tasks_together(function(s)
      local parts = {}
      for t in s:text { every = 0.03 } do parts[#parts + 1] = t end
      return table.concat(parts)
    end)
  end)

  it("inside tasks, the iterator called by hand (the form for PUC 5.1) yields too", function()
    two_tasks_together(function(s)
      local next_text, state = s:text { every = 0.03 }
      local parts = {}
      while true do
        local t = next_text(state)
        if not t then break end
        parts[#parts + 1] = t
      end
      return table.concat(parts)
    end)
  end)

  it("rejects an interval that is not a number of seconds >= 0", function()
    local s = assert(client:stream { prompt = "x" })
    for _, bad in ipairs { -1, "0.1", 0 / 0, math.huge } do
      local ok, err = pcall(s.text, s, { every = bad })
      assert.is_false(ok)
      assert.equal("config", err.kind)
      assert.matches("every must be a number >= 0", err.message)
    end
    assert.has_error(function() s:text(5) end)
    s:close()
  end)
end)
