-- HTTP/2, as openrouter.ai speaks it: the fake server behind a TLS front
-- (nghttpx, ALPN h2; spec/support/tls.lua).  What only h2 has: streams of
-- one client share a connection, close() resets one stream while its
-- siblings go on, GOAWAY moves new requests to a new connection, and a
-- front that goes away mid-stream ends the stream as `interrupted`.  (The
-- stream specs also run whole over h2: spec/support/run-tests lists which,
-- and runs them again with OR_H2=1.)

local core = require "openrouter.core"
local h = require "spec.support.helpers"
local tls = require "spec.support.tls"
local openrouter = require "openrouter"

local function client_of(front, opts)
  local o = { api_key = h.KEY, model = "openai/gpt-4o", max_retries = 0, idle_timeout = 10,
              base_url = front.url, ca_file = front.ca_file }
  for k, v in pairs(opts or {}) do o[k] = v end
  return openrouter.new(o)
end

local function text_of(s)
  local parts = {}
  for t in s:text() do parts[#parts + 1] = t end
  return table.concat(parts)
end

-- valgrind runs everything ~20 times slower
local SLACK = os.getenv("OR_SLOW") and 10 or 1

-- Drive until every stream in `streams` has finished its transfer (over h2
-- its END_STREAM may come after [DONE]): then info() is final.
local function settle(streams)
  assert.is_true(h.eventually(function()
    for _, s in ipairs(streams) do
      if s._x and not s._x:state() then return false end
    end
    return true
  end, 10 * SLACK), "the transfers did not finish")
end

describe("HTTP/2", function()
  local front, why = tls.start()

  it("is what a client speaks to a TLS server that offers it", function()
    if not front then pending(why) return end
    local c = client_of(front)
    local s = assert(c:stream { prompt = "x" })
    assert.equal(h.TEXT, text_of(s))
    settle { s }
    assert.equal("2", s:info().http_version)
    assert.equal(h.TEXT, assert(c:chat { prompt = "x" }).text)
  end)

  it("20 streams started at once on a cold client share one connection", function()
    if not front then pending(why) return end
    local cold = assert(tls.start { name = "cold" })
    local c = client_of(cold)
    local tasks, streams = {}, {}
    for i = 1, 20 do           -- tasks: all 20 are asking before any connection is up
      tasks[i] = openrouter.spawn(function()
        streams[i] = assert(c:stream { model = "fake/slow-5", prompt = "x" })
        return assert(streams[i]:result()).text     -- (PUC 5.1 cannot yield inside text())
      end)
    end
    openrouter.run(10 * SLACK)
    for i = 1, 20 do
      assert.is_true(tasks[i].ok, tostring(tasks[i].error))
      assert.equal(h.TEXT, tasks[i].values[1])
    end
    settle(streams)
    local connects = 0
    for i = 1, 20 do connects = connects + streams[i]:info().connects end
    assert.equal(1, connects)
  end)

  it("close() resets one stream; its siblings and the connection go on", function()
    if not front then pending(why) return end
    local c = client_of(front)
    local stalled = assert(c:stream { model = "fake/stall-2", prompt = "x" })
    local siblings = {}
    for i = 1, 3 do siblings[i] = assert(c:stream { model = "fake/slow-20", prompt = "x" }) end
    assert.is_table(stalled:next())
    local t0 = core.now()
    stalled:close()
    assert.is_true(core.now() - t0 < 0.1 * SLACK)
    for i = 1, 3 do assert.equal(h.TEXT, text_of(siblings[i])) end
    local again = assert(c:stream { prompt = "x" })
    assert.equal(h.TEXT, text_of(again))
    settle { again }
    assert.equal(0, again:info().connects)     -- the same connection, reused
  end)

  it("after a GOAWAY new requests go to a new connection, none is lost", function()
    if not front then pending(why) return end
    local goaway = assert(tls.start { max_requests = 3 })
    local c = client_of(goaway)
    local connects = 0
    for i = 1, 8 do
      local s = assert(c:stream { prompt = "x" })
      assert.equal(h.TEXT, text_of(s), "request " .. i)
      settle { s }
      connects = connects + s:info().connects
    end
    assert.is_true(connects >= 3, connects .. " connections for 8 requests at 3 a connection")
  end)

  it("a front that goes away mid-stream: interrupted, with the text so far, at once", function()
    if not front then pending(why) return end
    local doomed = assert(tls.start { name = "doomed" })
    local c = client_of(doomed)
    local s = assert(c:stream { model = "fake/stall-3", prompt = "x" })
    local got = {}
    for _ = 1, 4 do got[#got + 1] = s:next() end     -- role and three "a"
    assert.equal(4, #got)
    local t0 = core.now()
    tls.stop(doomed)
    local res, err = s:result()
    assert.is_nil(res)
    assert.equal("interrupted", err.kind)
    assert.is_true(err.partial)
    assert.is_true(core.now() - t0 < 5 * SLACK, "took " .. (core.now() - t0) .. " s")
  end)
end)
