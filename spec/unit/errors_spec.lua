-- Error objects from response bodies, without a server: every body form of
-- OPENROUTER.md section 7 (verbatim where it gives one) becomes the right
-- kind, fields and hint.

local core = require "openrouter.core"
local errors = require "openrouter.errors"

-- As a transfer does it: the classifier reads the status, the headers
-- (as lines) and the body; errors.from_body adds the words.
local function from(status, body, headers, ctx)
  local lines = {}
  for k, v in pairs(headers or {}) do lines[#lines + 1] = k .. ": " .. v end
  local class = errors.class(core.classify(status, body, "body", table.concat(lines, "\n")))
  return errors.from_body(status, headers or {}, body, class, ctx)
end

describe("errors.from_body", function()
  it("reads the envelope: code, message, metadata, provider, raw", function()
    local e = from(502, [[{"error":{"code":502,"message":"Provider returned error","metadata":{"provider_name":"Acme","raw":"upstream exploded"}},"id":"gen-123-abc"}]])
    assert.equal("provider", e.kind)
    assert.equal(502, e.status)
    assert.equal(502, e.code)
    assert.equal("Acme", e.provider)
    assert.equal("upstream exploded", e.raw)
    assert.equal("Acme", e.metadata.provider_name)
    assert.equal("gen-123-abc", e.generation_id)
    assert.is_true(e.retryable)
    assert.equal("[Acme] upstream exploded", e.message)
    assert.matches("ignore = { \"Acme\" }", e.hint, 1, true)
  end)

  it("surfaces the inner message of a raw that is a JSON string (verbatim capture)", function()
    local e = from(400, [[{"error":{"message":"Provider returned error","code":400,"metadata":{"raw":"{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"invalid_request_error\",\"message\":\"Model 'moonshotai/kimi-k2.6' supports at most 1 image per prompt.\",\"request_id\":\"req_*******\"}}","provider_name":"Crucible","is_byok":false}},"user_id":"user_***************"}]])
    assert.equal("bad_request", e.kind)
    assert.equal("[Crucible] Model 'moonshotai/kimi-k2.6' supports at most 1 image per prompt.", e.message)
    assert.is_string(e.raw)
    assert.is_false(e.retryable)
  end)

  it("reads a rate limit with undocumented limit_source and a reset in milliseconds", function()
    local reset = tostring((os.time() + 30) * 1000)
    local e = from(429, [[{"error":{"message":"Rate limit exceeded","code":429,"metadata":{"headers":{"X-RateLimit-Limit":"20","X-RateLimit-Remaining":"0","X-RateLimit-Reset":"]] .. reset .. [["},"provider_name":null}}}]])
    assert.equal("rate_limited", e.kind)
    assert.is_true(e.retryable)
    assert.is_true(e.retry_after >= 28 and e.retry_after <= 31, tostring(e.retry_after))
    assert.is_nil(e.provider)          -- JSON null never reaches a field
  end)

  it("does not retry the free-model daily cap, and says when it resets", function()
    local reset = tostring((os.time() + 3 * 3600) * 1000)
    local e = from(429, [[{"error":{"message":"Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day","code":429,"metadata":{"headers":{"X-RateLimit-Limit":"50","X-RateLimit-Remaining":"0","X-RateLimit-Reset":"]] .. reset .. [["},"provider_name":null}},"user_id":"user_x"}]])
    assert.equal("rate_limited", e.kind)
    assert.is_false(e.retryable)
    assert.is_true(e.daily_cap)
    assert.is_true(e.retry_after > 3 * 3600 - 60)
    assert.matches("resets at 00:00 UTC", e.hint)
  end)

  it("turns \"can only afford N\" into max_tokens = N", function()
    local e = from(402, [[{"error":{"message":"This request requires more credits, or fewer max_tokens. You requested up to 64000 tokens, but\ncan only afford 2666. To increase, visit https://openrouter.ai/settings/credits and upgrade to a paid \naccount","code":402,"metadata":{"provider_name":null}},"user_id":"user_35tI40u3gKTMEMGS061Ov1xsUTj"}]])
    assert.equal("credits", e.kind)
    assert.matches("max_tokens = 2666", e.hint)
    assert.is_nil(tostring(e):find("\n"))   -- one line
  end)

  it("lets error.availability decide the kind whatever the status", function()
    local e = from(400, [[{"error":{"message":"x/y is not a valid model ID","error_type":"invalid_request","http_status":400,"availability":{"code":"model_not_found","retryable":false,"requested_models":["x/y"]}}}]])
    assert.equal("not_found", e.kind)
    assert.is_nil(e.code)
    assert.matches("author/slug", e.hint)
    e = from(503, [[{"error":{"message":"busy","availability":{"code":"temporarily_unavailable","retryable":true,"retry_after":4}}}]])
    assert.equal("unavailable", e.kind)
    assert.is_true(e.retryable)
    assert.equal(4, e.retry_after)
    e = from(429, [[{"error":{"message":"full","availability":{"code":"capacity_exhausted","retryable":false}}}]])
    assert.is_false(e.retryable)
  end)

  it("names the closest model ids when the model list is known", function()
    local ctx = { model = "openai/gpt4o", suggest = function()
      return { "openai/gpt-4o", "openai/gpt-4o-mini" } end }
    local e = from(400, [[{"error":{"message":"openai/gpt4o is not a valid model ID","availability":{"code":"model_not_found"}}}]], nil, ctx)
    assert.equal('no model "openai/gpt4o"; closest: openai/gpt-4o, openai/gpt-4o-mini', e.hint)
  end)

  it("puts the moderation reasons and flagged input in the hint", function()
    local e = from(403, [[{"error":{"code":403,"message":"Your chosen model requires moderation and your input was flagged","metadata":{"reasons":["violence","harassment"],"flagged_input":"how do I ...","provider_name":"OpenAI","model_slug":"openai/gpt-4o"}}}]])
    assert.equal("moderation", e.kind)
    assert.same({ "violence", "harassment" }, e.metadata.reasons)
    assert.matches('flagged %(violence, harassment%) in "how do I ..."', e.hint)
  end)

  it("names the routing constraints to relax on 503", function()
    local e = from(503, [[{"error":{"code":503,"message":"No endpoints found matching your data policy"}}]], nil,
      { provider = { only = { "azure" }, allow_fallbacks = false } })
    assert.equal("unavailable", e.kind)
    assert.matches("provider.only", e.hint)
    assert.matches("allow_fallbacks = false", e.hint)
  end)

  it("classifies a proxy's HTML page and an empty body by status, showing the first bytes", function()
    local e = from(502, "<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>")
    assert.equal("provider", e.kind)
    assert.matches("HTTP 502 and the body is not JSON: <html>", e.message, 1, true)
    e = from(504, "")
    assert.equal("timeout", e.kind)
    assert.matches("(empty)", e.message, 1, true)
  end)

  it("reads in-band errors of a 200: a code number, a string code, error_type", function()
    local e = from(200, [[{"error":{"code":"server_error","message":"Provider disconnected unexpectedly"},"choices":[]}]])
    assert.equal("server", e.kind)
    assert.is_nil(e.status)
    assert.equal("server_error", e.code)
    e = from(200, [[{"error":{"code":429,"message":"Rate limit exceeded","metadata":{"error_type":"rate_limit_exceeded"}}}]],
      nil, { partial = true })
    assert.equal("rate_limited", e.kind)
    assert.is_true(e.partial)
    assert.is_false(e.retryable)          -- never replayed once chunks were delivered
    assert.matches("^openrouter: rate_limited %(429%)", tostring(e))
  end)

  it("honours Retry-After in seconds or as an HTTP date, and retry-after-ms first", function()
    assert.equal(7, from(429, "{}", { ["retry-after"] = "7" }).retry_after)
    assert.equal(0.25, from(429, "{}", { ["retry-after"] = "7", ["retry-after-ms"] = "250" }).retry_after)
    local date = os.date("!%a, %d %b %Y %H:%M:%S GMT", os.time() + 120)
    local wait = from(503, "{}", { ["retry-after"] = date }).retry_after
    assert.is_true(wait >= 118 and wait <= 121, tostring(wait))
  end)

  it("scrubs the key from every field", function()
    local key = "sk-or-v1-secretsecretsecret"
    local e = errors.scrub(from(401, [[{"error":{"code":401,"message":"bad key sk-or-v1-secretsecretsecret","metadata":{"raw":"sk-or-v1-secretsecretsecret!"}}}]]), key)
    assert.equal("bad key [REDACTED]", e.message)
    assert.equal("[REDACTED]!", e.metadata.raw)
    assert.is_nil(tostring(e):find(key, 1, true))
  end)

  it("scrubs any 8 or more characters of the key's secret, as a cut quote leaves them", function()
    local key = "sk-or-v1-0123456789abcdef0123456789ABCDEF"
    local function scrubbed(str) return errors.scrub({ message = str }, key).message end
    assert.equal("page: xxsk-or-v1-[REDACTED]…", scrubbed("page: xxsk-or-v1-01234567…"))  -- a cut key
    assert.equal("…[REDACTED] tail", scrubbed("…89ABCDEF tail"))                      -- its end
    assert.equal("a [REDACTED] b", scrubbed("a cdef0123456789A b"))                    -- its middle
    assert.equal("[REDACTED][REDACTED]", scrubbed(key .. key))
    assert.equal("sk-or-v1-[REDACTED]", scrubbed("sk-or-v1-012345678"))               -- the prefix is no secret
    assert.equal("7 only: 0123456 and BCDEF", scrubbed("7 only: 0123456 and BCDEF"))    -- too short to tell
    assert.equal("[REDACTED] x [REDACTED]", scrubbed("01234567 x 456789ab"))
    local plain = "not-an-openrouter-key-xyz"                                   -- any key: all of it is secret
    assert.equal("a [REDACTED]!", errors.scrub({ m = "a openrouter-key-xyz!" }, plain).m)
  end)
end)
