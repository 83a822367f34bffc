-- Every status and body form of the fake server, end to end through
-- chat() and stream(): kind, fields and hint as API.md says.

local fake = require "spec.support.fake"
local h = require "spec.support.helpers"
local openrouter = require "openrouter"

describe("failures from the server", function()
  local client
  setup(function() client = h.client() end)

  local function both(model, check)
    for _, call in ipairs { "chat", "stream" } do
      local res, err = client[call](client, { model = model, prompt = "x" })
      assert.is_nil(res, call)
      assert.is_true(openrouter.is_error(err), call .. ": " .. tostring(err))
      check(err, call)
    end
  end

  it("maps every status of the kind table", function()
    local kinds = {
      [400] = { "bad_request", false }, [401] = { "auth", false }, [402] = { "credits", false },
      [403] = { "moderation", false }, [404] = { "not_found", false }, [408] = { "timeout", true },
      [413] = { "bad_request", false }, [422] = { "bad_request", false },
      [429] = { "rate_limited", true }, [500] = { "server", true }, [502] = { "provider", true },
      [503] = { "unavailable", true }, [504] = { "timeout", true }, [524] = { "timeout", true },
      [529] = { "overloaded", true }, [599] = { "server", true },
    }
    for status, want in pairs(kinds) do
      both("fake/status-" .. status, function(err, call)
        local where = call .. " " .. status
        assert.equal(want[1], err.kind, where)
        assert.equal(want[2], err.retryable, where)
        assert.equal(status, err.status, where)
        assert.equal(status, err.code, where)
        assert.equal("Fake error " .. status, err.message, where)
        assert.is_false(err.partial, where)
        assert.is_string(err.hint, where)
        assert.matches("^gen%-", tostring(err.generation_id), where)
      end)
    end
  end)

  it("falls back to the status when code is a string or missing", function()
    both("fake/code-string-502", function(err)
      assert.equal("provider", err.kind)
      assert.equal("some_string_code", err.code)
    end)
    both("fake/no-code-503", function(err)
      assert.equal("unavailable", err.kind)
      assert.is_nil(err.code)
      assert.equal("No code 503", err.message)
    end)
    both("fake/empty-502", function(err)
      assert.equal("provider", err.kind)
      assert.matches("not JSON: (empty)", err.message, 1, true)
    end)
  end)

  it("lets error.availability decide", function()
    both("fake/avail-model_not_found", function(err)
      assert.equal("not_found", err.kind)
      assert.equal(400, err.status)
      assert.is_false(err.retryable)
      assert.matches("author/slug", err.hint)
    end)
    both("fake/avail-temporarily_unavailable", function(err)
      assert.equal("unavailable", err.kind)
      assert.is_true(err.retryable)
      assert.equal(1, err.retry_after)
    end)
  end)

  it("surfaces a provider's raw error", function()
    both("fake/raw-json", function(err)
      assert.equal("bad_request", err.kind)
      assert.equal("Crucible", err.provider)
      assert.equal("[Crucible] Model 'moonshotai/kimi-k2.6' supports at most 1 image per prompt.", err.message)
    end)
    both("fake/raw-text", function(err)
      assert.equal("rate_limited", err.kind)
      assert.equal("BaseTen", err.provider)
      assert.matches("^%[BaseTen%] z%-ai/glm%-5%.3%-flash is temporarily rate%-limited upstream", err.message)
      assert.equal(0.03, err.retry_after)
    end)
  end)

  it("explains moderation, credits and the daily cap", function()
    both("fake/moderation", function(err)
      assert.equal("moderation", err.kind)
      assert.same({ "violence", "harassment" }, err.metadata.reasons)
      assert.matches("violence, harassment", err.hint)
    end)
    local c = h.client { api_key = "sk-or-v1-nocredit-0000000000000000000000000000000000000000" }
    local _, err = c:chat { prompt = "x" }
    assert.equal("credits", err.kind)
    assert.matches("max_tokens = 2666", err.hint)
    both("fake/daily-cap", function(e)
      assert.equal("rate_limited", e.kind)
      assert.is_false(e.retryable)
      assert.is_true(e.retry_after > 3 * 3600 - 120 and e.retry_after <= 3 * 3600 + 5, tostring(e.retry_after))
      assert.matches("resets at 00:00 UTC", e.hint)
    end)
  end)

  it("reads an invalid key as auth, with the hint on setting a key", function()
    local c = h.client { api_key = "sk-or-v1-invalid-000000000000000000000000000000000000000000" }
    for _, call in ipairs { "chat", "stream" } do
      local _, err = c[call](c, { prompt = "x" })
      assert.equal("auth", err.kind)
      assert.equal("Invalid API key", err.message)
      assert.matches("OPENROUTER_API_KEY", err.hint)
    end
  end)

  it("turns a 200 whose choice finished with error into an error", function()
    local res, err = client:chat { model = "fake/choice-error", prompt = "x" }
    assert.is_nil(res)
    assert.equal("provider", err.kind)
    assert.equal("Provider disconnected mid-stream", err.message)
    local s = assert(client:stream { model = "fake/choice-error", prompt = "x" })
    local chunk = assert(s:next())               -- the role chunk
    assert.is_table(chunk)
    local text = {}
    repeat
      chunk, err = s:next()
      local c = chunk and chunk.choices[1]
      if c and type(c.delta.content) == "string" then text[#text + 1] = c.delta.content end
    until not chunk
    assert.equal("partial", table.concat(text))
    assert.equal("provider", err.kind)
    assert.is_true(err.partial)
    assert.is_false(err.retryable)
  end)

  it("classifies a typed mid-stream error by its own code", function()
    local s = assert(client:stream { model = "fake/error-mid-429", prompt = "x" })
    local res, err = s:result()
    assert.is_nil(res)
    assert.equal("rate_limited", err.kind)
    assert.equal(429, err.code)
    assert.is_nil(err.status)
    assert.is_true(err.partial)
    assert.is_false(err.retryable)
  end)

  it("carries a long Retry-After without retrying", function()
    local c = h.client { max_retries = 2 }
    local model = "fake/retry-after-3600"
    local before = fake.attempts(model)
    local _, err = c:chat { model = model, prompt = "x" }
    assert.equal("rate_limited", err.kind)
    assert.equal(3600, err.retry_after)
    assert.equal(before + 1, fake.attempts(model))
  end)
end)
