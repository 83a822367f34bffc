local json = require "openrouter.json"

local function roundtrip(v) return json.decode(json.encode(v)) end

describe("json.encode", function()
  it("encodes empty tables as arrays and json.object() as objects", function()
    assert.equal("[]", json.encode({}))
    assert.equal("{}", json.encode(json.object()))
    assert.equal('{"tools":[]}', json.encode({ tools = {} }))
    assert.equal("[1,2]", json.encode(json.array({ 1, 2 })))
  end)

  it("keeps integers integers, large ones included", function()
    assert.equal("[1,-7,9007199254740991]", json.encode({ 1, -7, 9007199254740991 }))
    if math.type then
      assert.equal("9223372036854775807", json.encode(math.maxinteger))
    end
  end)

  it("round-trips floats exactly", function()
    for _, x in ipairs { 0.1, 1 / 3, 2.5e-300, 1e300, -0.5 } do
      assert.equal(x, roundtrip({ x })[1])
    end
  end)

  it("escapes strings and passes UTF-8 through", function()
    local s = 'quote " backslash \\ nl \n tab \t bell \7 亚 😀'
    assert.equal(s, roundtrip({ s })[1])
    assert.equal('"\\u0007"', json.encode("\7"))
  end)

  it("encodes json.null and booleans", function()
    assert.equal("[null,true,false]", json.encode({ json.null, true, false }))
  end)

  it("names the path of a value it cannot encode", function()
    local ok, err = pcall(json.encode, { messages = { { content = print } } }, "request")
    assert.is_false(ok)
    assert.matches("request.messages%[1%].content is a function", err)
    ok, err = pcall(json.encode, { temperature = 0 / 0 }, "request")
    assert.is_false(ok)
    assert.matches("request.temperature is", err)
  end)

  it("refuses cycles instead of overflowing the stack", function()
    local t = {}
    t.self = t
    local ok, err = pcall(json.encode, t, "request")
    assert.is_false(ok)
    assert.matches("nests too deeply", err)
  end)

  it("refuses a sparse array marked as an array", function()
    local ok, err = pcall(json.encode, json.array({ [1] = 1, [3] = 3 }))
    assert.is_false(ok)
    assert.matches("marked as an array", err)
  end)
end)
