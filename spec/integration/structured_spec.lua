-- Structured output: `schema` is sent as OpenRouter's response_format
-- (json_schema, strict), and the answer comes back decoded as `parsed`; an
-- answer that is not JSON is an `output` error holding the raw answer.
-- fake/json-ok answers {"name": "Ada", "born": 1815, "langs": ["Lua", null]},
-- fake/json-bad text that is not JSON.

local cjson = require "cjson"
local fake = require "spec.support.fake"
local h = require "spec.support.helpers"

local SCHEMA = { type = "object", properties = { name = { type = "string" }, born = { type = "integer" } },
                 required = { "name", "born" }, additionalProperties = false }

describe("structured output", function()
  local client
  setup(function() client = h.client() end)

  it("sends schema as response_format json_schema, strict, named", function()
    assert(client:chat { model = "fake/json-ok", prompt = "Who?", schema = SCHEMA })
    local sent = cjson.decode(fake.last().body)
    assert.same({ type = "json_schema", json_schema = { name = "output", strict = true, schema = SCHEMA } },
                sent.response_format)
    assert.is_nil(sent.schema)
    assert(client:chat { model = "fake/json-ok", prompt = "Who?", schema = SCHEMA, schema_name = "person" })
    assert.equal("person", cjson.decode(fake.last().body).response_format.json_schema.name)
  end)

  it("chat: response.parsed is the answer decoded", function()
    local res = assert(client:chat { model = "fake/json-ok", prompt = "Who?", schema = SCHEMA })
    assert.same({ name = "Ada", born = 1815, langs = { "Lua" } }, res.parsed)
    assert.equal('{"name": "Ada", "born": 1815, "langs": ["Lua", null]}', res.text)
    if math.type then assert.equal("integer", math.type(res.parsed.born)) end
  end)

  it("stream: result.parsed is the answer decoded, over its deltas", function()
    local res = assert(assert(client:stream { model = "fake/json-ok", prompt = "Who?", schema = SCHEMA }):result())
    assert.same({ name = "Ada", born = 1815, langs = { "Lua" } }, res.parsed)
  end)

  it("an answer that is not JSON is kind output, not retried, with the raw answer", function()
    local c = h.client { max_retries = 3 }
    local before = fake.attempts("fake/json-bad")
    local res, err = c:chat { model = "fake/json-bad", prompt = "Who?", schema = SCHEMA }
    assert.is_nil(res)
    assert.equal("output", err.kind)
    assert.is_false(err.retryable)
    assert.equal(1, fake.attempts("fake/json-bad") - before)
    assert.matches("the answer is not the JSON the schema asks for: Sure!", err.message)
    assert.matches("err%.response", err.hint)
    assert.equal('Sure! {"name": "Ada", "born":', err.response.text)
    assert.is_nil(err.response.parsed)
    local s = assert(c:stream { model = "fake/json-bad", prompt = "Who?", schema = SCHEMA })
    res, err = s:result()
    assert.is_nil(res)
    assert.equal("output", err.kind)
    assert.equal('Sure! {"name": "Ada", "born":', err.result.text)
    assert.matches("err%.result", err.hint)
  end)

  it("without schema there is no parsed, even for a JSON answer", function()
    local res = assert(client:chat { model = "fake/json-ok", prompt = "Who?" })
    assert.is_nil(res.parsed)
    res = assert(assert(client:stream { model = "fake/json-ok", prompt = "Who?" }):result())
    assert.is_nil(res.parsed)
  end)

  it("an answer that calls tools is no answer yet: it is not parsed (run_tools goes on)", function()
    local tools = { { type = "function", ["function"] = { name = "get_weather" } } }
    local res = assert(client:chat { model = "fake/tools", prompt = "x", schema = SCHEMA, tools = tools })
    assert.is_nil(res.parsed)
    res = assert(assert(client:stream { model = "fake/tools", prompt = "x", schema = SCHEMA,
                                        tools = tools }):result())
    assert.is_nil(res.parsed)
    assert.equal(2, #res.tool_calls)
    -- the tool round goes on; the final answer (the fake's is prose) is judged
    local err
    res, err = client:run_tools({ model = "fake/tools", prompt = "x", schema = SCHEMA, tools = tools },
                                { get_weather = function() return "sunny" end })
    assert.is_nil(res)
    assert.equal("output", err.kind)
    assert.equal(2, err.result.rounds)
    assert.equal(5, #err.result.messages)
  end)

  it("rejects schema with response_format, a schema that is no table, a bad name", function()
    for _, req in ipairs {
      { schema = SCHEMA, response_format = { type = "json_object" }, want = "either schema or response_format" },
      { schema = "object", want = "'schema' must be a JSON schema as a table, got string" },
      { schema = SCHEMA, schema_name = "two words", want = "'schema_name' must be a name" },
    } do
      req.prompt = "x"
      local want = req.want
      req.want = nil
      local res, err = client:chat(req)
      assert.is_nil(res)
      assert.equal("config", err.kind)
      assert.matches(want, err.message, 1, true)
      local s, serr = client:stream(req)
      assert.is_nil(s)
      assert.equal("config", serr.kind)
    end
    local _, err = client:chat { prompt = "x", schema_nmae = "p" }
    assert.matches("did you mean schema_name", err.message)
  end)
end)
