-- client:chat and client:stream against the fake OpenRouter server.

local fake = require "spec.support.fake"
local h = require "spec.support.helpers"
local openrouter = require "openrouter"

describe("client:chat", function()
  local client
  setup(function() client = h.client() end)

  it("returns the decoded response with convenience fields", function()
    local res, err = client:chat { prompt = "Say hello" }
    assert.is_nil(err)
    assert.equal(h.TEXT, res.text)
    assert.equal("openai/gpt-4o", res.model)
    assert.equal("FakeProvider", res.provider)
    assert.equal(200, res.status)
    assert.equal(19, res.usage.total_tokens)
    assert.matches("^application/json", res.headers["content-type"])
    assert.matches("^gen%-", res.id)
    assert.equal("stop", res.choices[1].finish_reason)
  end)

  it("sends the documented headers and body", function()
    local c = h.client { app_url = "https://example.org/app", app_title = "Spec Suite",
                         headers = { ["X-Extra"] = "yes" } }
    assert.is_truthy(c:chat { model = "meta/llama", system = "Be brief", prompt = "Hi", temperature = 0.5 })
    local last = fake.last()
    assert.equal("POST", last.method)
    assert.equal("/api/v1/chat/completions", last.path)
    assert.equal("Bearer " .. h.KEY, last.headers.authorization)
    assert.equal("application/json", last.headers["content-type"])
    assert.equal("application/json", last.headers.accept)
    assert.equal("https://example.org/app", last.headers["http-referer"])
    assert.equal("Spec Suite", last.headers["x-openrouter-title"])
    assert.equal("Spec Suite", last.headers["x-title"])
    assert.equal("yes", last.headers["x-extra"])
    assert.matches("^openrouter%-lua/" .. openrouter.VERSION:gsub("%.", "%%."), last.headers["user-agent"])
    local body = require("cjson").decode(last.body)
    assert.equal("meta/llama", body.model)
    assert.same({ { role = "system", content = "Be brief" }, { role = "user", content = "Hi" } }, body.messages)
    assert.equal(0.5, body.temperature)
    assert.is_nil(body.stream)
  end)

  it("reuses the connection for the next request", function()
    client:chat { prompt = "warm up" }
    local before = fake.stats().connections
    for _ = 1, 3 do assert.is_truthy(client:chat { prompt = "again" }) end
    assert.equal(before, fake.stats().connections)
  end)

  it("returns nil, err for an error status", function()
    local res, err = client:chat { model = "fake/status-401", prompt = "x" }
    assert.is_nil(res)
    assert.is_true(openrouter.is_error(err))
    assert.equal("auth", err.kind)
    assert.equal(401, err.status)
    assert.equal("Fake error 401", err.message)
    -- a key shaped like OpenRouter's: the hint says it was refused, not how keys look
    assert.matches("^openrouter: auth %(401%): Fake error 401 — hint: the key %(from api_key%) " ..
                   "looks like an OpenRouter key but was refused", tostring(err))
  end)

  it("times out a request that gets no answer", function()
    local c = h.client { timeout = 0.3 }
    local res, err = c:chat { model = "fake/stall-headers", prompt = "x" }
    assert.is_nil(res)
    assert.equal("timeout", err.kind)
    assert.is_true(err.retryable)
  end)

  it("reports a TLS handshake failure as `tls`, not retried", function()
    -- https to the fake server, which speaks plain HTTP: the handshake fails
    local url = fake.start():gsub("^http:", "https:")
    local c = openrouter.new { api_key = h.KEY, base_url = url, model = "a/b", max_retries = 2 }
    local before = fake.stats().requests
    local res, err = c:chat { prompt = "x" }
    assert.is_nil(res)
    assert.equal("tls", err.kind)
    assert.is_false(err.retryable)
    assert.equal(url .. " does not speak TLS there: check its scheme (http:// or https://) and port",
                 err.hint)
    assert.equal(before, fake.stats().requests)
  end)

  it("reports a refused connection as a network error", function()
    local c = openrouter.new { api_key = h.KEY, base_url = "http://127.0.0.1:1/api/v1", model = "a/b" }
    local res, err = c:chat { prompt = "x" }
    assert.is_nil(res)
    assert.equal("network", err.kind)
    assert.is_true(err.retryable)
  end)
end)

describe("client:stream", function()
  local client
  setup(function() client = h.client() end)

  it("returns once the status is known, with status and headers", function()
    local s = assert(client:stream { prompt = "x" })
    assert.equal(200, s.status)
    assert.matches("^text/event%-stream", s.headers["content-type"])
    assert.equal("text/event-stream", fake.last().headers.accept)
    assert.is_true(require("cjson").decode(fake.last().body).stream)
    s:close()
  end)

  it("iterates decoded chunks with `for chunk in stream`", function()
    local s = assert(client:stream { prompt = "x" })
    local n, text = 0, {}
    for chunk in s do
      n = n + 1
      assert.equal("chat.completion.chunk", chunk.object)
      local c = chunk.choices[1]
      if c and type(c.delta.content) == "string" then text[#text + 1] = c.delta.content end
    end
    assert.equal(9, n)   -- role, 6 deltas, stop, usage
    assert.equal(h.TEXT, table.concat(text))
    assert.matches("^gen%-", s.id)
    assert.equal("openai/gpt-4o", s.model)
    assert.equal("FakeProvider", s.provider)
  end)

  it("yields only non-empty content from text()", function()
    local s = assert(client:stream { prompt = "x" })
    local parts = {}
    for t in s:text() do parts[#parts + 1] = t end
    assert.same({ "Hello", ",", " world", " from", " fake", " OpenRouter!" }, parts)
  end)

  it("next() returns chunks, then nil at the end, and nil again after", function()
    local s = assert(client:stream { prompt = "x" })
    local n = 0
    while true do
      local chunk, err = s:next()
      assert.is_nil(err)
      if not chunk then break end
      n = n + 1
    end
    assert.equal(9, n)
    assert.is_nil(s:next())
    assert.is_nil(s:next())
  end)

  it("returns nil, err for an error status before any chunk", function()
    for status, kind in pairs { [401] = "auth", [402] = "credits", [404] = "not_found",
                                [429] = "rate_limited", [500] = "server", [503] = "unavailable" } do
      local s, err = client:stream { model = "fake/status-" .. status, prompt = "x" }
      assert.is_nil(s)
      assert.equal(kind, err.kind)
      assert.equal(status, err.status)
    end
    local _, err = client:stream { model = "fake/status-429", prompt = "x" }
    assert.equal(1, err.retry_after)
  end)

  it("classifies a proxy's HTML page by its status", function()
    local s, err = client:stream { model = "fake/html-502", prompt = "x" }
    assert.is_nil(s)
    assert.equal("provider", err.kind)
    assert.equal(502, err.status)
    assert.matches("not JSON", err.message)
    assert.matches("<html>", err.message)
  end)

  it("turns a 200 JSON error body into an error", function()
    local s, err = client:stream { model = "fake/json-200", prompt = "x" }
    assert.is_nil(s)
    assert.equal("provider", err.kind)
    assert.equal("FakeProvider", err.provider)
    assert.equal("upstream exploded", err.raw)
  end)
end)
