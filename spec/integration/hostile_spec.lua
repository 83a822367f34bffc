-- Servers that are not the API, or not quite: each answer ends in the kind
-- that tells the user what to fix, once (no retries for what a retry cannot
-- change), and within the time the caller allowed.

local core = require "openrouter.core"
local fake = require "spec.support.fake"
local h = require "spec.support.helpers"

-- The error of a chat or of a stream (at open or at the end).
local function failure(client, req, streamed)
  if not streamed then
    local res, err = client:chat(req)
    assert.is_nil(res)
    return err
  end
  local s, err = client:stream(req)
  if s then err = select(2, s:result()) end
  assert.is_not_nil(err)
  return err
end

describe("a server that is not the API", function()
  for _, streamed in ipairs { false, true } do
    local mode = streamed and "stream" or "chat"

    it(mode .. ": a redirect is not followed, not retried, and names where it points", function()
      for _, status in ipairs { 301, 302, 307, 308 } do
        local model = ("fake/redirect-%d"):format(status)
        local c = h.client { max_retries = 3 }
        local before = fake.attempts(model)
        local err = failure(c, { model = model, prompt = "x" }, streamed)
        assert.equal("protocol", err.kind)
        assert.equal(status, err.status)
        assert.is_false(err.retryable)
        assert.equal(1, fake.attempts(model) - before, "attempts for " .. model)
        assert.matches(("HTTP %d: base_url redirects to https://moved%%.example/api/v1/chat/completions")
          :format(status), err.message)
        assert.matches("set base_url to where it points", err.hint)
        assert.matches("the key is never sent anywhere else", err.hint)
      end
    end)
  end

  it("stream: a 200 HTML page (a captive portal) is protocol, with a base_url hint", function()
    local c = h.client { max_retries = 3 }
    local before = fake.attempts("fake/html-200")
    local err = failure(c, { model = "fake/html-200", prompt = "x" }, true)
    assert.equal("protocol", err.kind)
    assert.equal(200, err.status)
    assert.equal(1, fake.attempts("fake/html-200") - before)
    assert.matches("the server answered 200 with text/html, not JSON: <html>", err.message)
    assert.matches("this is not OpenRouter's API: check base_url %(" .. c.base_url:gsub("%p", "%%%0"), err.hint)
    assert.matches("captive portal", err.hint)
  end)

  it("chat: a 200 HTML page is protocol too, with the same hint", function()
    local err = failure(h.client(), { model = "fake/html-200", prompt = "x" }, false)
    assert.equal("protocol", err.kind)
    assert.matches("the server answered 200 with text/html, not JSON: <html>", err.message)
    assert.matches("captive portal", err.hint)
  end)

  for _, streamed in ipairs { false, true } do
    local mode = streamed and "stream" or "chat"
    it(mode .. ": a JSON body that trickles in is bounded by timeout", function()
      -- the body takes ~20 s at one byte per 50 ms; idle_timeout never
      -- fires (bytes keep coming) and there is no first token to wait for
      local c = h.client { timeout = 0.5, idle_timeout = 5, first_token_timeout = 3 }
      local t0 = core.now()
      local err = failure(c, { model = "fake/trickle", prompt = "x" }, streamed)
      local took = core.now() - t0
      assert.equal("timeout", err.kind)
      assert.matches("%(timeout%)", err.message)
      assert.matches("raise timeout", err.hint)
      local slack = os.getenv("OR_SLOW") and 10 or 1       -- valgrind
      assert.is_true(took >= 0.45 and took < 3 * slack, ("took %.2f s"):format(took))
    end)
  end

  it("stream: within a timeout a trickling body arrives whole and is reported #long", function()
    -- the answer is the JSON completion, which a stream request did not ask
    -- for (~20 s: make test-long runs it)
    local err = failure(h.client { timeout = 60 }, { model = "fake/trickle", prompt = "x" }, true)
    assert.equal("protocol", err.kind)
    assert.matches("asked for a stream but the server answered with one JSON body", err.message)
  end)
end)

describe("a server that accepts and says nothing", function()
  -- a listening socket nobody accepts from: TCP connects, TLS never starts
  it("times out in the option the caller set, and names it", function()
    local silent = assert(require("socket").bind("127.0.0.1", 0))
    local url = ("https://127.0.0.1:%d/api/v1"):format(select(2, silent:getsockname()))
    local function err_of(opts, streamed)
      opts.base_url = url
      return failure(h.client(opts), { prompt = "x" }, streamed)
    end
    for _, streamed in ipairs { false, true } do
      local err = err_of({ connect_timeout = 0.3, timeout = 5 }, streamed)
      assert.equal("timeout", err.kind)
      assert.matches("%(connect_timeout%)", err.message)
      assert.matches("raise connect_timeout", err.hint)
    end
    local err = err_of({ connect_timeout = 5, timeout = 0.3 }, false)   -- the tighter one
    assert.matches("%(timeout%)", err.message)
    silent:close()
  end)
end)

describe("compression", function()
  it("a stream asks for none (a compressing proxy may buffer it); a chat takes it", function()
    local c = h.client()
    local s = assert(c:stream { prompt = "x" })
    assert(s:result())
    assert.equal("identity", fake.last().headers["accept-encoding"])
    assert(c:chat { prompt = "x" })
    assert.matches("gzip", fake.last().headers["accept-encoding"])
  end)
end)
