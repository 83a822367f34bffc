-- client:embed: POST /embeddings, vectors in input order whatever order
-- the answer lists them in (the fake server lists them last first), errors
-- classified like every other.  The fake's vector of input i (0-based) is
-- [its length, i, the sum of its bytes % 997].

local cjson = require "cjson"
local fake = require "spec.support.fake"
local h = require "spec.support.helpers"

local function vector(s, i)
  local sum = 0
  for k = 1, #s do sum = sum + s:byte(k) end
  return { #s, i, sum % 997 }
end

describe("client:embed", function()
  local client
  setup(function() client = h.client { model = "fake/embed-default" } end)

  it("returns one vector per input, in input order", function()
    local inputs = { "first", "second one", "3" }
    local res = assert(client:embed { model = "fake/embed", input = inputs })
    assert.equal(3, #res.vectors)
    for i, s in ipairs(inputs) do assert.same(vector(s, i - 1), res.vectors[i]) end
    assert.equal(2, res.data[1].index)                  -- the answer's own order is kept in data
    assert.equal(16, res.usage.prompt_tokens)
    assert.is_number(res.usage.cost)
    assert.equal("fake/embed", res.model)
    assert.equal(200, res.status)
    local sent = cjson.decode(fake.last().body)
    assert.same({ model = "fake/embed", input = inputs }, sent)
    assert.equal("/api/v1/embeddings", fake.last().path)
  end)

  it("takes a single string, and the client's model", function()
    local res = assert(client:embed { input = "hello" })
    assert.same({ vector("hello", 0) }, res.vectors)
    assert.equal("fake/embed-default", cjson.decode(fake.last().body).model)
  end)

  it("passes other fields through, and keeps ours off the wire", function()
    assert(client:embed { input = "x", dimensions = 64, timeout = 5, provider = { order = { "A" } } })
    local sent = cjson.decode(fake.last().body)
    assert.equal(64, sent.dimensions)
    assert.is_nil(sent.timeout)
    assert.same({ order = { "A" } }, sent.provider)
  end)

  it("classifies errors like every other call, retries included", function()
    local res, err = client:embed { model = "fake/status-400", input = "x" }
    assert.is_nil(res)
    assert.equal("bad_request", err.kind)
    local c = h.client { max_retries = 1 }
    local before = fake.stats().requests
    res, err = c:embed { model = "fake/status-503", input = "x" }
    assert.is_nil(res)
    assert.equal("unavailable", err.kind)
    assert.equal(2, fake.stats().requests - before)
    res, err = h.client { api_key = "sk-or-v1-invalid" }:embed { model = "m/e", input = "x" }
    assert.is_nil(res)
    assert.equal("auth", err.kind)
  end)

  it("an answer with fewer vectors than inputs is a protocol error, and the trace says so", function()
    local events = {}
    local c = h.client { trace = function(e) events[#events + 1] = e end }
    local res, err = c:embed { model = "fake/embed-short", input = { "a", "b", "c" } }
    assert.is_nil(res)
    assert.equal("protocol", err.kind)
    assert.matches("the answer has 2 embeddings for 3 inputs", err.message)
    local done = events[#events]
    assert.equal("done", done.type)
    assert.is_truthy(done.error, "the trace's done event has no error")
    assert.matches("the answer has 2 embeddings for 3 inputs", tostring(done.error))
  end)

  it("refuses input that is not a string or an array of strings, and no model", function()
    for _, input in ipairs { false, 42, {}, { "a", 2 } } do
      local res, err = client:embed { input = input }
      assert.is_nil(res)
      assert.equal("config", err.kind)
      assert.matches("'input' must be a string or a non%-empty array of strings", err.message)
    end
    local modelless = require("openrouter").new { api_key = h.KEY, base_url = client.base_url }
    local _, err = modelless:embed { input = "x" }
    assert.equal("config", err.kind)
    assert.matches("embeddings need a model", err.message)
    _, err = client:embed("text")
    assert.equal("config", err.kind)
  end)
end)
