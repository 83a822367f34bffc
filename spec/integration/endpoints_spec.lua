-- The GET endpoints: models (with filters), key, credits, generation.

local h = require "spec.support.helpers"
local openrouter = require "openrouter"
local fake = require "spec.support.fake"

describe("client:models", function()
  local client
  setup(function() client = h.client() end)

  it("lists the models, with no key needed", function()
    local keyless = openrouter.new { base_url = fake.start() }
    for _, c in ipairs { client, keyless } do
      local list = assert(c:models())
      local ids = {}
      for _, m in ipairs(list) do ids[m.id] = m end
      assert.is_table(ids["openai/gpt-4o"])
      assert.equal("0.0000025", ids["openai/gpt-4o"].pricing.prompt)
    end
  end)

  it("filters free models and searches id or name, case-insensitively", function()
    local free = assert(client:models { free = true })
    assert.is_true(#free >= 2)
    for _, m in ipairs(free) do
      assert.equal(0, tonumber(m.pricing.prompt))
      assert.equal(0, tonumber(m.pricing.completion))
    end
    local llama = assert(client:models { search = "LLAMA" })
    assert.is_true(#llama >= 2)
    for _, m in ipairs(llama) do assert.matches("llama", (m.id .. " " .. m.name):lower()) end
    local both = assert(client:models { search = "llama", free = true })
    assert.equal(1, #both)
    assert.equal("meta-llama/llama-3.3-70b-instruct:free", both[1].id)
  end)

  it("rejects an unknown filter with a suggestion", function()
    local res, err = client:models { fre = true }
    assert.is_nil(res)
    assert.equal("config", err.kind)
    assert.matches("did you mean free%?", err.message)
  end)
end)

describe("account endpoints", function()
  it("key() returns the data, and the label never holds the whole key", function()
    local data = assert(h.client():key())
    assert.is_false(data.is_free_tier)
    assert.equal(0.25, data.usage)
    assert.is_nil(data.limit)                   -- JSON null: unlimited
    assert.is_nil(tostring(data.label):find(h.KEY, 1, true))
  end)

  it("credits() returns the data", function()
    local data = assert(h.client():credits())
    assert.equal(10.5, data.total_credits)
    assert.equal(0.25, data.total_usage)
  end)

  it("need a key: a config error naming OPENROUTER_API_KEY", function()
    if os.getenv("OPENROUTER_API_KEY") then pending("OPENROUTER_API_KEY is set here") return end
    local c = openrouter.new { base_url = fake.start() }
    for _, m in ipairs { "key", "credits" } do
      local res, err = c[m](c)
      assert.is_nil(res)
      assert.equal("config", err.kind)
      assert.matches("OPENROUTER_API_KEY", err.hint)
    end
    local _, err = c:generation("gen-1")
    assert.equal("config", err.kind)
  end)

  it("an invalid key is an auth error", function()
    local _, err = h.client { api_key = "sk-or-v1-invalid-00000000000000000000000000000000" }:key()
    assert.equal("auth", err.kind)
  end)

  it("generation(id) treats a 404 right after the call as not ready, and retries", function()
    local res = assert(h.client():chat { prompt = "x" })
    local data = assert(h.client { max_retries = 2 }:generation(res.id))
    assert.equal(res.id, data.id)
    assert.equal(0.000093, data.total_cost)
    assert.equal(13, data.tokens_prompt)
    local _, err = h.client { max_retries = 0 }:generation(res.id .. "-other")
    assert.equal("not_found", err.kind)
    assert.is_true(err.retryable)
    assert.matches("retry in a moment", err.hint)
  end)

  it("generation() rejects a missing id", function()
    local _, err = h.client():generation()
    assert.equal("config", err.kind)
    assert.matches("gen%-", err.hint)
  end)
end)
