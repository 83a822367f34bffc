-- Seeing what happens: the client option `trace`, OPENROUTER_TRACE=1, and
-- openrouter.on_error, as ../API.md "Seeing what happens" specifies.  The
-- key never appears in any event; a trace function or an error handler
-- that raises never breaks anything.

local h = require "spec.support.helpers"
local openrouter = require "openrouter"

local KEY_SECRET = h.KEY:sub(10)            -- the key without "sk-or-v1-"

-- Every string in v, joined: to look for the key anywhere in events.
local function strings(v, out, seen)
  out, seen = out or {}, seen or {}
  if type(v) == "string" then out[#out + 1] = v
  elseif type(v) == "table" and not seen[v] then
    seen[v] = true
    for k, x in pairs(v) do strings(k, out, seen); strings(x, out, seen) end
  end
  return out
end

local function no_key_in(events)
  local all = table.concat(strings(events), "\n")
  for i = 1, #KEY_SECRET - 7 do
    assert.is_nil(all:find(KEY_SECRET:sub(i, i + 7), 1, true), "8 characters of the key appear")
  end
end

local function types(events)
  local t = {}
  for i, e in ipairs(events) do t[i] = e.type end
  return table.concat(t, " ")
end

local stderr_of = h.run_lua

describe("the trace option", function()
  it("tells a chat's request, response and end, the key masked", function()
    local events = {}
    local client = h.client { trace = function(e) events[#events + 1] = e end }
    assert(client:chat { prompt = "traced" })
    assert.equal("request response done", types(events))
    local req, res, done = events[1], events[2], events[3]
    assert.equal("POST", req.method)
    assert.matches("/chat/completions$", req.url)
    assert.equal("Bearer sk-or-…TEST", req.headers.Authorization)
    assert.equal("application/json", req.headers["Content-Type"])
    assert.matches('"content":"traced"', req.body, 1, true)
    assert.equal(200, res.status)
    assert.matches("^application/json", res.headers["content-type"])
    assert.is_true(res.seconds >= 0 and res.seconds < 5)
    assert.is_nil(done.error)
    assert.is_true(done.seconds >= res.seconds)
    no_key_in(events)
  end)

  it("tells each attempt of a retried call, and the retries", function()
    local events = {}
    local client = h.client { max_retries = 2, trace = function(e) events[#events + 1] = e end }
    assert(client:chat { prompt = "x", model = "fake/flaky-503-2-tracespec" })
    assert.equal("request response retry request response retry request response done", types(events))
    assert.equal(503, events[2].status)
    assert.equal(1, events[3].attempt)
    assert.equal("unavailable", events[3].error.kind)
    assert.is_true(events[3].wait >= 0)
    assert.equal(2, events[6].attempt)
    assert.equal(200, events[8].status)
    no_key_in(events)
  end)

  it("tells a stream's end when it ends, fails, or is closed", function()
    local events = {}
    local client = h.client { trace = function(e) events[#events + 1] = e end }
    assert(assert(client:stream { prompt = "x" }):result())
    assert.equal("request response done", types(events))
    assert.is_nil(events[3].error)
    events = {}
    local s = assert(client:stream { model = "fake/drop-2", prompt = "x" })
    assert.is_nil(s:result())
    assert.equal("request response done", types(events))
    assert.equal("interrupted", events[3].error.kind)
    events = {}
    s = assert(client:stream { model = "fake/stall-1", prompt = "x" })
    s:close()
    assert.equal("request response done", types(events))
    assert.equal("canceled", events[3].error.kind)
    no_key_in(events)
  end)

  it("tells a refused call, with no response event when no status came", function()
    local events = {}
    local client = h.client { trace = function(e) events[#events + 1] = e end,
                              base_url = "http://127.0.0.1:1/api/v1", connect_timeout = 2 }
    local _, err = client:chat { prompt = "x" }
    assert.equal("network", err.kind)
    assert.equal("request done", types(events))
    assert.equal(err, events[2].error)
  end)

  it("never lets a raising trace function break the request", function()
    local calls = 0
    local client = h.client { trace = function() calls = calls + 1; error("trace exploded") end }
    local res = assert(client:chat { prompt = "x" })
    assert.equal(h.TEXT, res.text)
    assert.equal(3, calls)
    local out = stderr_of(([[
      local openrouter = require "openrouter"
      local c = openrouter.new { api_key = %q, base_url = %q, max_retries = 0,
                                 trace = function() error("trace exploded") end }
      assert(c:chat { prompt = "x" })
    ]]):format(h.KEY, h.client().base_url))
    assert.matches("openrouter: the trace function raised %(the request goes on%): .*trace exploded", out)
  end)

  it("is an option of the client: a trace that is not a function is a config error", function()
    assert.has_error(function() h.client { trace = "yes" } end)
  end)
end)

describe("OPENROUTER_TRACE=1", function()
  it("writes every event to stderr, one line each, the key never", function()
    local out = stderr_of(([[
      local openrouter = require "openrouter"
      local c = openrouter.new { api_key = %q, base_url = %q, max_retries = 0 }
      assert(c:chat { prompt = "hello trace" })
      assert(assert(c:stream { prompt = "x" }):result())
    ]]):format(h.KEY, h.client().base_url), "OPENROUTER_TRACE=1")
    local lines = {}
    for line in out:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.equal(6, #lines, out)
    assert.matches("^openrouter: request POST http://127%.0%.0%.1:%d+/api/v1/chat/completions headers={.*Authorization: Bearer sk%-or%-…TEST.*} body={.*hello trace", lines[1])
    assert.matches("^openrouter: response 200 after [%d.]+ s headers={", lines[2])
    assert.matches("^openrouter: done after [%d.]+ s$", lines[3])
    assert.matches("^openrouter: request POST", lines[4])
    no_key_in(lines)
  end)
end)

describe("openrouter.on_error", function()
  -- (busted loads the module afresh for the next spec file, default handler included)
  after_each(function() openrouter.on_error(nil) end)

  it("is called with the error and the task when a task ends by raising", function()
    local seen = {}
    openrouter.on_error(function(err, task) seen[#seen + 1] = { err, task } end)
    local t = openrouter.spawn(function() error("boom") end)
    local ok = openrouter.spawn(function() return 1 end)
    assert.is_true(openrouter.run(5))
    assert.equal(1, #seen)
    assert.matches("boom", seen[1][1])
    assert.equal(t, seen[1][2])
    assert.is_false(t.ok)
    assert.matches("boom", t.error)
    assert.is_true(ok.ok)
  end)

  it("writes one line to stderr by default; nil silences it; task.error is set either way", function()
    local code = [[
      local openrouter = require "openrouter"
      %s
      local t = openrouter.spawn(function() error("default handler test") end)
      openrouter.run(1)
      assert(t.done and not t.ok and t.error:find("default handler test"))
    ]]
    assert.matches("^openrouter: task failed: .*default handler test\n$", stderr_of(code:format("")))
    assert.equal("", stderr_of(code:format("openrouter.on_error(nil)")))
  end)

  it("never lets a raising handler break the loop", function()
    openrouter.on_error(function() error("handler exploded") end)
    local bad = openrouter.spawn(function() error("first") end)
    local good = openrouter.spawn(function() return "still runs" end)
    assert.is_true(openrouter.run(5))
    assert.is_false(bad.ok)
    assert.equal("still runs", good.values[1])
    local out = stderr_of([[
      local openrouter = require "openrouter"
      openrouter.on_error(function() error("handler exploded") end)
      openrouter.spawn(function() error("first") end)
      openrouter.run(1)
    ]])
    assert.matches("openrouter: the on_error handler raised: .*handler exploded", out)
  end)

  it("takes only a function or nil", function()
    assert.has_error(function() openrouter.on_error("stderr") end,
      "openrouter.on_error: expected a function or nil, got string")
  end)
end)
