-- openrouter.provider: the provider-routing table is checked key by key
-- and type by type; every mistake is a `config` error that names the path,
-- what was expected and, for a misspelling, the closest valid value.

local provider = require "openrouter.provider"
local errors = require "openrouter.errors"
local json = require "openrouter.json"

local function ok(t, where)
  local res, err = provider.check(t, where)
  assert.is_nil(err, err and tostring(err))
  assert.is_true(res)
end

-- The error for t; checks its kind and that the message names `path`.
local function bad(t, path, where)
  local res, err = provider.check(t, where)
  assert.is_nil(res)
  assert.is_true(errors.is(err), "not an error object: " .. tostring(err))
  assert.equal("config", err.kind)
  assert.equal("string", type(err.message))
  if path then
    assert.equal(path, err.field)
    -- A wrong value names its own path; an unknown key names the table it is in.
    local parent = path:gsub("%.[^.%[]+$", ""):gsub("%[[^%]]*%]$", "")
    assert.is_truthy(err.message:find(path, 1, true) or err.message:find(parent, 1, true),
      ("%q does not name %s"):format(err.message, path))
  end
  return err
end

local function has(s, pattern)
  assert.is_truthy(s and s:find(pattern, 1, true), ("%q lacks %q"):format(tostring(s), pattern))
end

describe("provider.FIELDS", function()
  it("is the sorted list of every documented field", function()
    assert.same({
      "allow_fallbacks", "data_collection", "enforce_distillable_text", "ignore", "max_price",
      "only", "order", "preferred_max_latency", "preferred_min_throughput", "quantizations",
      "require_parameters", "sort", "zdr",
    }, provider.FIELDS)
  end)
end)

describe("provider.check", function()
  it("accepts an empty table and a full, valid one", function()
    ok {}
    ok {
      order = { "anthropic", "deepinfra/turbo", "google-vertex/us-east5" },
      only = { "openai" }, ignore = { "together" },
      quantizations = { "int4", "int8", "fp4", "mxfp4", "nvfp4", "fp6", "fp8", "mxfp8",
        "fp16", "bf16", "fp32", "unknown" },
      allow_fallbacks = false, require_parameters = true, zdr = true, enforce_distillable_text = false,
      data_collection = "deny",
      sort = { by = "throughput", partition = "none" },
      preferred_min_throughput = { p50 = 50, p75 = 40, p90 = 30, p99 = 10 },
      preferred_max_latency = 1.5,
      max_price = { prompt = 1, completion = "2.5", image = 0, audio = "0.001", request = 1e-3 },
    }
  end)

  it("rejects a non-table, naming `where`", function()
    for _, v in ipairs { 1, true } do
      local err = bad(v, "provider")
      has(err.message, "provider must be a table, got " .. type(v))
      has(err.hint, "order")
    end
    has(bad("anthropic", "provider").message, 'provider must be a table, got "anthropic"')
    bad(nil, "provider")
    has(bad(json.null, "provider").message, "got null")
    has(bad(false, "defaults.provider", "defaults.provider").message, "defaults.provider must be a table")
  end)

  it("uses `where` as the path prefix of every message", function()
    local err = bad({ order = { 1 } }, "client.provider.order[1]", "client.provider")
    has(err.message, "client.provider.order[1] must be a string")
    has(bad({ alow_fallbacks = true }, nil, "opts.provider").message, "unknown opts.provider field")
  end)

  it("accepts json.null for every field (an explicit null means unset)", function()
    local t = {}
    for _, k in ipairs(provider.FIELDS) do t[k] = json.null end
    ok(t)
  end)

  it("is not fooled by the order of keys: the same mistake is reported every time", function()
    local t = { zdr = "yes", allow_fallbacks = "no", order = 5 }
    local first = bad(t).message
    for _ = 1, 5 do assert.equal(first, bad(t).message) end
    has(first, "provider.allow_fallbacks")
  end)

  describe("unknown fields", function()
    local cases = {
      { "alow_fallbacks", "allow_fallbacks" },
      { "ordr", "order" },
      { "qantizations", "quantizations" },
      { "requre_parameters", "require_parameters" },
      { "data_colection", "data_collection" },
      { "Order", "order" },
      { "max_prices", "max_price" },
      { "igore", "ignore" },
    }
    for _, c in ipairs(cases) do
      it(("%s -> did you mean %s?"):format(c[1], c[2]), function()
        local err = bad({ [c[1]] = true }, "provider." .. c[1])
        assert.equal(("unknown provider field '%s' (did you mean %s?)"):format(c[1], c[2]), err.message)
        has(err.hint, "valid provider fields: allow_fallbacks")
      end)
    end

    it("says so without a guess when nothing is close", function()
      local err = bad({ experimental = { foo = 1 } }, "provider.experimental")
      assert.equal("unknown provider field 'experimental'", err.message)
      has(err.hint, "zdr")
    end)

    it("catches a list passed instead of a field, suggesting order", function()
      local err = bad({ "anthropic", "openai" }, "provider[1]")
      has(err.message, 'provider has a list entry [1] = "anthropic"')
      has(err.hint, 'provider = { order = { "anthropic" } }')
    end)

    it("names a non-string, non-number key", function()
      has(bad({ [true] = 1 }, "provider[true]").message, "unknown provider field [true]")
    end)
  end)

  describe("order, only, ignore", function()
    for _, field in ipairs { "order", "only", "ignore" } do
      describe(field, function()
        local path = "provider." .. field

        it("accepts lists of slugs, and an empty table (it means [])", function()
          ok { [field] = { "anthropic" } }
          ok { [field] = { "deepinfra/turbo", "google-vertex/us-east5", "Google AI Studio" } }
          ok { [field] = {} }
          ok { [field] = json.array {} }
        end)

        it("rejects a non-table, naming what is expected", function()
          local err = bad({ [field] = "anthropic" }, path)
          has(err.message, path .. ' must be an array (a Lua list), got "anthropic"')
          has(err.hint, "provider slugs")
          has(bad({ [field] = 3 }, path).message, "got number")
          has(bad({ [field] = true }, path).message, "got boolean")
        end)

        it("rejects a non-string item, naming its position", function()
          local err = bad({ [field] = { "anthropic", 2 } }, path .. "[2]")
          assert.equal(path .. "[2] must be a string, got number", err.message)
          has(bad({ [field] = { { "a" } } }, path .. "[1]").message, "got table")
          has(bad({ [field] = { "a", "b", false } }, path .. "[3]").message, "got boolean")
        end)

        it("rejects an empty slug and one with stray spaces", function()
          has(bad({ [field] = { "" } }, path .. "[1]").message, "is an empty string")
          local err = bad({ [field] = { "openai", " anthropic " } }, path .. "[2]")
          has(err.message, 'has surrounding whitespace (did you mean "anthropic"?)')
        end)

        it("rejects a table that is not a list", function()
          has(bad({ [field] = { name = "anthropic" } }, path).message, "it has the key 'name'")
          has(bad({ [field] = { [1] = "a", [3] = "c" } }, path).message, "it has the key [3]")
          has(bad({ [field] = { "a", x = "b" } }, path).message, "it has the key 'x'")
          has(bad({ [field] = { [0] = "a" } }, path).message, "it has the key [0]")
        end)
      end)
    end
  end)

  describe("quantizations", function()
    it("accepts each documented level", function()
      for _, q in ipairs { "int4", "int8", "fp4", "mxfp4", "nvfp4", "fp6", "fp8", "mxfp8",
        "fp16", "bf16", "fp32", "unknown" } do
        ok { quantizations = { q } }
      end
      ok { quantizations = {} }
    end)

    it("rejects an unknown level, naming the closest valid one", function()
      local err = bad({ quantizations = { "fp8", "fp61" } }, "provider.quantizations[2]")
      has(err.message, 'got "fp61" (did you mean fp6?)')
      has(err.message, '"int4"')
      has(err.hint, "bf16")
      has(bad({ quantizations = { "FP16" } }, "provider.quantizations[1]").message, "did you mean fp16?")
      has(bad({ quantizations = { "bf17" } }).message, "did you mean bf16?")
      has(bad({ quantizations = { "q4_k_m" } }).message, 'got "q4_k_m"')
    end)

    it("rejects non-strings and non-lists", function()
      has(bad({ quantizations = { 8 } }, "provider.quantizations[1]").message, "must be a string, got number")
      has(bad({ quantizations = "fp8" }, "provider.quantizations").message, "must be an array")
    end)
  end)

  describe("booleans", function()
    for _, field in ipairs { "allow_fallbacks", "require_parameters", "zdr", "enforce_distillable_text" } do
      it(field, function()
        ok { [field] = true }
        ok { [field] = false }
        local path = "provider." .. field
        local err = bad({ [field] = "false" }, path)
        assert.equal(path .. ' must be a boolean, got "false"', err.message)
        has(err.hint, "true / false")
        has(bad({ [field] = 0 }, path).message, "got number")
        has(bad({ [field] = {} }, path).message, "got table")
      end)
    end
  end)

  describe("data_collection", function()
    it("accepts allow and deny", function()
      ok { data_collection = "allow" }
      ok { data_collection = "deny" }
    end)

    it("rejects anything else, suggesting the intended value", function()
      local err = bad({ data_collection = "deny " }, "provider.data_collection")
      assert.equal('provider.data_collection must be "allow" or "deny", got "deny " (did you mean deny?)',
        err.message)
      has(err.hint, "deny")
      has(bad({ data_collection = "Deny" }).message, "did you mean deny?")
      has(bad({ data_collection = "alow" }).message, "did you mean allow?")
      has(bad({ data_collection = true }).message, "got boolean")
      local far = bad({ data_collection = "never" }).message
      assert.is_nil(far:find("did you mean", 1, true))
    end)
  end)

  describe("sort", function()
    it("accepts each strategy as a string", function()
      for _, s in ipairs { "price", "throughput", "latency", "exacto" } do ok { sort = s } end
    end)

    it("accepts the table form", function()
      ok { sort = { by = "price" } }
      ok { sort = { by = "latency", partition = "model" } }
      ok { sort = { by = "exacto", partition = "none" } }
      ok { sort = { by = "throughput", partition = json.null } }
    end)

    it("rejects an unknown strategy, naming the closest", function()
      local err = bad({ sort = "prize" }, "provider.sort")
      has(err.message, '"price", "throughput", "latency" or "exacto", got "prize" (did you mean price?)')
      has(err.hint, "partition")
      has(bad({ sort = "througput" }).message, "did you mean throughput?")
      has(bad({ sort = { by = "latncy" } }, "provider.sort.by").message, "did you mean latency?")
    end)

    it("rejects a wrong type", function()
      has(bad({ sort = 1 }, "provider.sort").message, "or a table { by = …, partition = … }, got number")
      has(bad({ sort = true }, "provider.sort").message, "got boolean")
      has(bad({ sort = { by = 1 } }, "provider.sort.by").message, "got number")
    end)

    it("rejects a bad partition, an unknown key and a missing by", function()
      has(bad({ sort = { by = "price", partition = "all" } }, "provider.sort.partition").message,
        '"model" or "none", got "all"')
      has(bad({ sort = { by = "price", partition = "nnoe" } }).message, '"model" or "none"')
      local err = bad({ sort = { by = "price", partiton = "none" } }, "provider.sort.partiton")
      assert.equal("unknown field 'partiton' in provider.sort (did you mean partition?)", err.message)
      has(bad({ sort = { partition = "none" } }, "provider.sort.by").message, "provider.sort.by is missing")
      has(bad({ sort = {} }, "provider.sort").message, "empty table")
      has(bad({ sort = { "price" } }, "provider.sort[1]").message, "unknown field [1] in provider.sort")
    end)
  end)

  describe("preferred_min_throughput and preferred_max_latency", function()
    for _, field in ipairs { "preferred_min_throughput", "preferred_max_latency" } do
      describe(field, function()
        local path = "provider." .. field

        it("accepts a number or a table of percentiles", function()
          ok { [field] = 10 }
          ok { [field] = 0.25 }
          ok { [field] = 0 }
          ok { [field] = { p50 = 1 } }
          ok { [field] = { p50 = 1, p75 = 2, p90 = 3.5, p99 = 10 } }
          ok { [field] = { p90 = json.null, p99 = 4 } }
          ok { [field] = json.object() }
        end)

        it("rejects other types", function()
          local err = bad({ [field] = "10" }, path)
          has(err.message, path .. ' must be a number or a table of percentiles, got "10"')
          has(err.hint, "p50, p75, p90, p99")
          has(bad({ [field] = true }, path).message, "got boolean")
        end)

        it("rejects negative and non-finite numbers", function()
          has(bad({ [field] = -1 }, path).message, "must be a number >= 0, got -1")
          has(bad({ [field] = math.huge }, path).message, ">= 0")
          has(bad({ [field] = 0 / 0 }, path).message, ">= 0")
          has(bad({ [field] = { p75 = -2 } }, path .. ".p75").message, "must be a number >= 0")
        end)

        it("rejects unknown percentiles and non-number values", function()
          local err = bad({ [field] = { p50 = 1, p95 = 2 } }, path .. ".p95")
          assert.equal(("unknown field 'p95' in %s (did you mean p75?)"):format(path), err.message)
          has(bad({ [field] = { median = 1 } }, path .. ".median").message, "unknown field 'median'")
          has(bad({ [field] = { p50 = "1" } }, path .. ".p50").message, 'must be a number, got "1"')
          has(bad({ [field] = {} }, path).message, "empty table, which would be sent as []")
          has(bad({ [field] = { 5 } }, path .. "[1]").message, "unknown field [1]")
        end)
      end)
    end
  end)

  describe("max_price", function()
    it("accepts numbers and numeric strings for every price", function()
      ok { max_price = { prompt = 1, completion = 2, image = 3, audio = 4, request = 5 } }
      ok { max_price = { prompt = "1", completion = "2.50", image = ".5", audio = "1e-3", request = " 7 " } }
      ok { max_price = { prompt = 0, completion = "0" } }
      ok { max_price = { prompt = json.null } }
      ok { max_price = json.object() }
    end)

    it("rejects an unknown price, naming the closest", function()
      local err = bad({ max_price = { promt = 1 } }, "provider.max_price.promt")
      assert.equal("unknown field 'promt' in provider.max_price (did you mean prompt?)", err.message)
      has(err.hint, "per million tokens")
      has(bad({ max_price = { completions = 1 } }).message, "did you mean completion?")
      has(bad({ max_price = { web_search = 1 } }, "provider.max_price.web_search").message, "unknown field")
    end)

    it("rejects values that are not numbers or numeric strings", function()
      local err = bad({ max_price = { prompt = "cheap" } }, "provider.max_price.prompt")
      assert.equal('provider.max_price.prompt must be a number or a numeric string, got "cheap"', err.message)
      has(bad({ max_price = { completion = "" } }, "provider.max_price.completion").message, "numeric string")
      has(bad({ max_price = { image = "0x10" } }, "provider.max_price.image").message, "numeric string")
      has(bad({ max_price = { audio = "$1" } }).message, "numeric string")
      has(bad({ max_price = { request = "-1" } }).message, "numeric string")
      has(bad({ max_price = { request = true } }, "provider.max_price.request").message, "got boolean")
      has(bad({ max_price = { prompt = -0.5 } }, "provider.max_price.prompt").message, ">= 0")
    end)

    it("rejects a non-table and an empty table", function()
      has(bad({ max_price = 1 }, "provider.max_price").message,
        "must be a table of prompt, completion, image, audio, request, got number")
      local err = bad({ max_price = {} }, "provider.max_price")
      has(err.message, "empty table")
      has(err.hint, "leave provider.max_price out")
    end)
  end)

  it("does not modify the table it checks", function()
    local t = { order = { "a", "b" }, sort = { by = "price" }, max_price = { prompt = "1" } }
    ok(t)
    assert.same({ order = { "a", "b" }, sort = { by = "price" }, max_price = { prompt = "1" } }, t)
  end)

  it("prints as one line with the hint", function()
    local s = tostring(bad { alow_fallbacks = false })
    has(s, "openrouter: config: unknown provider field 'alow_fallbacks' (did you mean allow_fallbacks?)")
    has(s, "hint: valid provider fields")
  end)
end)
