-- client:diagnose() against the fake server: each failing check with its
-- hint, an all-green report when everything works; never raises, never
-- prints the key.

local h = require "spec.support.helpers"
local openrouter = require "openrouter"

local function check(report, name)
  for _, c in ipairs(report.checks) do
    if c.name == name then return c end
  end
  error("no check named " .. name .. " in\n" .. tostring(report))
end

local function no_key_in(report, key)
  local s = tostring(report)
  for _, c in ipairs(report.checks) do
    s = s .. tostring(c.detail) .. tostring(c.hint)
  end
  assert.is_nil(s:find(key, 1, true), "the report shows the key")
  assert.is_nil(s:find(key:sub(-20), 1, true), "the report shows part of the key")
end

describe("client:diagnose", function()
  it("is all green when everything works", function()
    local report = h.client():diagnose { model = "fake/slow-20" }
    assert.is_true(report.ok, tostring(report))
    for _, name in ipairs { "api key", "base url", "key accepted", "credits", "model", "live request", "streaming" } do
      assert.is_true(check(report, name).ok, name)
    end
    assert.matches("FakeProvider", check(report, "live request").detail)
    assert.matches("first byte after", check(report, "live request").detail)
    assert.matches("^openrouter diagnose: all checks passed", tostring(report))
    no_key_in(report, h.KEY)
  end)

  it("flags a key that is not shaped like an OpenRouter key", function()
    local report = h.client({ api_key = "not-a-real-key-at-all-1234567890" }):diagnose { live = false }
    local c = check(report, "api key")
    assert.is_false(c.ok)
    assert.matches("sk%-or%-", c.hint)
    assert.is_false(report.ok)
    no_key_in(report, "not-a-real-key-at-all-1234567890")
  end)

  it("reports a rejected key (401) with its hint", function()
    local key = "sk-or-v1-invalid-0000000000000000000000000000000000000000"
    local report = h.client({ api_key = key }):diagnose { model = "openai/gpt-4o" }
    local c = check(report, "key accepted")
    assert.is_false(c.ok)
    assert.matches("Invalid API key", c.detail)
    assert.matches("OPENROUTER_API_KEY", c.hint)
    assert.is_nil(check(report, "credits").ok)          -- skipped
    assert.is_false(check(report, "live request").ok)
    no_key_in(report, key)
  end)

  it("reports no credits left (402)", function()
    local key = "sk-or-v1-nocredit-000000000000000000000000000000000000000"
    local report = h.client({ api_key = key }):diagnose { model = "openai/gpt-4o" }
    local c = check(report, "credits")
    assert.is_false(c.ok)
    assert.matches("credits", c.hint)
    local live = check(report, "live request")
    assert.is_false(live.ok)
    assert.matches("max_tokens = 2666", live.hint)
  end)

  it("names the closest ids for an unknown model", function()
    local report = h.client():diagnose { model = "openai/gpt4o", live = false }
    local c = check(report, "model")
    assert.is_false(c.ok)
    assert.matches("openai/gpt%-4o", c.hint)
    assert.is_nil(check(report, "live request").ok)
    assert.matches("live = false", check(report, "live request").detail)
  end)

  it("strips routing suffixes but keeps catalog ones", function()
    assert.is_true(check(h.client():diagnose { model = "openai/gpt-4o:nitro", live = false }, "model").ok)
    assert.is_true(check(h.client():diagnose { model = "meta-llama/llama-3.3-70b-instruct:free", live = false }, "model").ok)
    assert.is_false(check(h.client():diagnose { model = "openai/gpt-4o:free", live = false }, "model").ok)
  end)

  it("is green for the fake server's default model, which streams like a model (paced)", function()
    for _, model in ipairs { "openai/gpt-4o-mini", "openai/gpt-4o" } do
      local report = h.client():diagnose { model = model }
      assert.is_true(report.ok, tostring(report))
      local c = check(report, "streaming")
      assert.is_true(c.ok)
      assert.matches("^6 pieces of text over %d+ ms$", c.detail)
    end
  end)

  it("judges streaming by timing, and skips an answer too short to judge", function()
    local report = h.client():diagnose { model = "fake/chunks-2" }
    local c = check(report, "streaming")
    assert.is_nil(c.ok)
    assert.matches("too few to judge", c.detail)
  end)

  it("says how to run the checks a model needs when none was given", function()
    local c = h.client { model = nil }
    local report = openrouter.new { api_key = h.KEY, base_url = c.base_url, max_retries = 0 }:diagnose()
    for _, name in ipairs { "model", "live request" } do
      local ch = check(report, name)
      assert.is_nil(ch.ok)
      assert.matches("examples/doctor%.lua openai/gpt%-4o%-mini", ch.detail)
      assert.matches('client:diagnose { model = "openai/gpt%-4o%-mini" }', ch.detail)
    end
  end)

  it("spots a buffering proxy: every chunk at once", function()
    local report = h.client():diagnose { model = "fake/buffered" }
    assert.is_true(check(report, "live request").ok)
    local c = check(report, "streaming")
    assert.is_false(c.ok)
    assert.matches("at once", c.detail)
    assert.matches("buffers", c.hint)
  end)

  it("reports an unreachable base URL and skips what depends on it, without raising", function()
    local c = openrouter.new { api_key = h.KEY, base_url = "http://127.0.0.1:1/api/v1", max_retries = 0 }
    local report = c:diagnose { model = "openai/gpt-4o" }
    assert.is_false(report.ok)
    assert.is_false(check(report, "base url").ok)
    assert.matches("network", check(report, "base url").hint)
    assert.is_nil(check(report, "key accepted").ok)
    assert.matches("not reachable", check(report, "live request").detail)
    no_key_in(report, h.KEY)
  end)

  it("skips the live probe without a model", function()
    local report = openrouter.new { api_key = h.KEY, base_url = h.client().base_url }:diagnose()
    assert.is_nil(check(report, "model").ok)
    assert.is_nil(check(report, "live request").ok)
    assert.is_true(report.ok)
  end)

  it("never raises on bad options", function()
    local report = h.client():diagnose "openai/gpt-4o"
    assert.is_false(report.ok)
    assert.matches("must be a table", report.checks[1].detail)
    report = h.client():diagnose { modle = "openai/gpt-4o" }
    assert.matches("modle: unknown option %(did you mean model%?%)", report.checks[1].detail)
    report = h.client():diagnose { live = "no" }
    assert.matches("live: must be a boolean, got string", report.checks[1].detail)
  end)
end)
