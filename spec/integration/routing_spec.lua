-- Request tables become the wire body OpenRouter expects: checked against
-- the exact JSON the fake server received.

local cjson = require "cjson"
local fake = require "spec.support.fake"
local h = require "spec.support.helpers"
local openrouter = require "openrouter"

-- Send req with chat() and return the decoded body and the raw text.
local function sent(client, req)
  local res, err = client:chat(req)
  assert(res, tostring(err))
  local raw = fake.last().body
  return cjson.decode(raw), raw
end

local function deep_copy(t)
  if type(t) ~= "table" then return t end
  local c = {}
  for k, v in pairs(t) do c[k] = deep_copy(v) end
  return c
end

describe("the wire body", function()
  local client
  setup(function() client = h.client() end)

  it("sends fallbacks as models = { model, ... }", function()
    local body = sent(client, { model = "openai/gpt-4o", fallbacks = { "anthropic/claude-sonnet-4.5", "meta-llama/llama-3.3-70b-instruct" }, prompt = "x" })
    assert.equal("openai/gpt-4o", body.model)
    assert.same({ "openai/gpt-4o", "anthropic/claude-sonnet-4.5", "meta-llama/llama-3.3-70b-instruct" }, body.models)
    assert.is_nil(body.fallbacks)
  end)

  it("appends a variant to the model", function()
    assert.equal("openai/gpt-4o:nitro", sent(client, { model = "openai/gpt-4o", variant = "nitro", prompt = "x" }).model)
    assert.equal("meta-llama/llama-3.3-70b-instruct:free",
      sent(client, { model = "meta-llama/llama-3.3-70b-instruct", variant = "free", prompt = "x" }).model)
    -- a suffix already in the id is sent as it is
    assert.equal("openai/gpt-4o:floor", sent(client, { model = "openai/gpt-4o:floor", prompt = "x" }).model)
  end)

  it("expands prompt and system into messages", function()
    local body = sent(client, { system = "Be brief.", prompt = "Hi" })
    assert.same({ { role = "system", content = "Be brief." }, { role = "user", content = "Hi" } }, body.messages)
    assert.is_nil(body.prompt)
    assert.is_nil(body.system)
  end)

  it("merges the client's defaults under the request's own", function()
    local c = h.client { model = "openai/gpt-4o-mini", fallbacks = { "google/gemini-2.5-flash" },
                         provider = { order = { "together", "fireworks" }, allow_fallbacks = false,
                                      data_collection = "deny" } }
    local body = sent(c, { prompt = "x", provider = { sort = "price", allow_fallbacks = true } })
    assert.equal("openai/gpt-4o-mini", body.model)
    assert.same({ "openai/gpt-4o-mini", "google/gemini-2.5-flash" }, body.models)
    assert.same({ order = { "together", "fireworks" }, allow_fallbacks = true,
                  data_collection = "deny", sort = "price" }, body.provider)
    -- the request's own model and fallbacks win
    body = sent(c, { model = "a/b", fallbacks = {}, prompt = "x" })
    assert.equal("a/b", body.model)
    assert.same({ "a/b" }, body.models)
  end)

  it("sends an empty provider as an object and empty arrays as []", function()
    local _, raw = sent(client, { prompt = "x", provider = {}, tools = {}, stop = {} })
    assert.matches('"provider":{}', raw, 1, true)
    assert.matches('"tools":[]', raw, 1, true)
    assert.matches('"stop":[]', raw, 1, true)
  end)

  it("sends openrouter.object() as {} and openrouter.null as null", function()
    local _, raw = sent(client, { prompt = "x", metadata = openrouter.object(), seed = openrouter.null,
      tools = { { type = "function", ["function"] = { name = "f",
        parameters = { type = "object", properties = openrouter.object() } } } } })
    assert.matches('"metadata":{}', raw, 1, true)
    assert.matches('"properties":{}', raw, 1, true)
    assert.matches('"seed":null', raw, 1, true)
  end)

  it("keeps integers integers", function()
    local _, raw = sent(client, { prompt = "x", max_tokens = 5, seed = 9007199254740991, temperature = 0.5 })
    assert.matches('"max_tokens":5[,}]', raw)
    assert.matches('"seed":9007199254740991[,}]', raw)
    assert.matches('"temperature":0.5[,}]', raw)
  end)

  it("passes every other field through unchanged, legacy ones included", function()
    local req = { prompt = "x", route = "fallback", transforms = { "middle-out" },
      usage = { include = true }, reasoning = { effort = "high", exclude = false },
      response_format = { type = "json_schema", json_schema = { name = "r", strict = true,
        schema = { type = "object", properties = { a = { type = "string" } } } } },
      plugins = { { id = "web", max_results = 3 } }, some_future_field = { nested = { 1, 2 } } }
    local body = sent(client, req)
    assert.equal("fallback", body.route)
    assert.same({ "middle-out" }, body.transforms)
    assert.same({ include = true }, body.usage)
    assert.same({ effort = "high", exclude = false }, body.reasoning)
    assert.same(req.response_format, body.response_format)
    assert.same(req.plugins, body.plugins)
    assert.same({ nested = { 1, 2 } }, body.some_future_field)
  end)

  it("never modifies the caller's table", function()
    local req = { model = "openai/gpt-4o", variant = "nitro", fallbacks = { "a/b" }, system = "s",
                  prompt = "p", provider = { order = { "x" }, sort = { by = "price", partition = "none" } },
                  max_retries = 0, timeout = 30 }
    local before = deep_copy(req)
    sent(h.client { provider = { zdr = true } }, req)
    assert.same(before, req)
    assert.is_nil(getmetatable(req.provider))
  end)
end)

describe("routing validation", function()
  local client
  setup(function() client = h.client() end)

  local function rejected(req)
    local res, err = client:stream(req)
    assert.is_nil(res)
    assert.is_true(openrouter.is_error(err))
    assert.equal("config", err.kind)
    return err
  end

  it("names an unknown provider field and the closest valid one", function()
    local err = rejected { prompt = "x", provider = { alow_fallbacks = false } }
    assert.matches("alow_fallbacks", err.message)
    assert.matches("did you mean allow_fallbacks", err.message)
    assert.matches("did you mean order", rejected({ prompt = "x", provider = { ordr = { "a" } } }).message)
  end)

  it("names a wrong type with its path", function()
    assert.matches("provider.order%[2%] must be a string", rejected({ prompt = "x", provider = { order = { "a", 2 } } }).message)
    assert.matches("provider.allow_fallbacks", rejected({ prompt = "x", provider = { allow_fallbacks = "no" } }).message)
    assert.matches("did you mean price", rejected({ prompt = "x", provider = { sort = "prize" } }).message)
    assert.matches("provider.max_price", rejected({ prompt = "x", provider = { max_price = { prompt = "cheap" } } }).message)
  end)

  it("rejects top-level providers, a common misspelling", function()
    assert.matches("did you mean provider%?", rejected({ prompt = "x", providers = { order = { "a" } } }).message)
  end)

  it("sends nothing for a rejected request", function()
    local before = fake.stats().requests
    rejected { prompt = "x", provider = { ignore = "openai" } }
    assert.equal(before, fake.stats().requests)
  end)

  it("checks the client's default provider at new()", function()
    local ok, err = pcall(openrouter.new, { api_key = h.KEY, provider = { quantizations = { "fp9" } } })
    assert.is_false(ok)
    assert.equal("config", err.kind)
    assert.matches("fp9", err.message)
  end)
end)
