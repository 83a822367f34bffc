-- The core's JSON decoder (csrc/binding/or_json.c) against lua-cjson, an
-- independent decoder: the same values for every kind of text, except
-- where ours is meant to differ (integers stay integers on Lua 5.3+).
-- Malformed text is an error naming the byte; nothing is ever half-read.

local cjson = require "cjson"
local core = require "openrouter.core"
local json = require "openrouter.json"

local mtype = math.type

-- Deep equality where numbers compare by value (an integer 3 equals 3.0).
local function same(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) ~= "table" then return a == b end
  for k, v in next, a do if not same(v, b[k]) then return false end end
  for k in next, b do if a[k] == nil then return false end end
  return true
end

local CORPUS = {
  "{}", "[]", '""', "0", "-0", "1", "-17", "9007199254740992",
  "12345678901234567890", "1.5", "-0.25", "1e3", "1E-3", "2.5e+10", "6.02214076e23",
  "0.1", "1.7976931348623157e308", "5e-324", "true", "false", "null",
  '"plain"', '"q\\"b\\\\s\\/"', '"\\b\\f\\n\\r\\t"', '"\\u0041\\u00e9\\u4e9a"',
  '"\\ud83d\\ude00"', '"\\u0000x"', '"\xe4\xba\x9a \xf0\x9f\x98\x80"',
  '{"a":1,"b":[1,2,{"c":null}],"d":{"e":"f"}}', '[[[[[]]]]]', '{"a":1,"a":2}',
  ' \t\r\n{ "sp" : [ 1 , 2 ] } \n',
  '{"id":"gen-1","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},' ..
    '"finish_reason":null,"native_finish_reason":null,"logprobs":null}],' ..
    '"usage":{"prompt_tokens":13,"cost":0.000093}}',
}

local INVALID = {
  "", " ", "{", "}", "[1,]", '{"a":1,}', '{"a" 1}', "{a:1}", "01", "1.", ".5", "-", "1e",
  "+1", "tru", "nul", '"abc', '"\\x"', '"\\u12"', '"a\1"', "[1 2]", "{} {}", "'a'", "NaN",
  '{"a":}', "[" .. ("["):rep(2000) .. ("]"):rep(2001),
}

describe("core.decode", function()
  it("reads every kind of value as lua-cjson does", function()
    for _, text in ipairs(CORPUS) do
      local want = cjson.decode(text)
      local got = core.decode(text)
      assert.is_true(same(want, got), text)
    end
  end)

  it("gives JSON null as json.null, the value lua-cjson uses", function()
    assert.equal(cjson.null, core.decode("null"))
    assert.equal(json.null, core.decode('{"a":null}').a)
    assert.equal(json.null, core.null)
  end)

  it("keeps integers integers on Lua 5.3+, and large ones exact", function()
    if not mtype then pending(_VERSION .. " has no integers") return end
    assert.equal("integer", mtype(core.decode("1796189350")))
    assert.equal("integer", mtype(core.decode("-17")))
    assert.equal(123456789012345678, core.decode("123456789012345678"))
    assert.equal("float", mtype(core.decode("1.0")))
    assert.equal("float", mtype(core.decode("12345678901234567890")))
  end)

  it("round-trips what json.encode writes", function()
    local v = { a = { 1, 2.5, "x\n\"y\"", true, json.null }, b = { c = { d = {} } }, n = -3 }
    assert.is_true(same(v, core.decode(json.encode(v))))
  end)

  it("refuses malformed text, naming the byte", function()
    for _, text in ipairs(INVALID) do
      local v, err = core.decode(text)
      assert.is_nil(v, text)
      assert.is_truthy(tostring(err):match("^invalid JSON: .* at byte %d+$"), text)
    end
    local _, err = core.decode('{"a":[1,2,}')
    assert.equal("invalid JSON: an unexpected character at byte 11", err)
  end)

  it("decodes nesting up to the bound, and refuses deeper without crashing", function()
    local depth = 1000
    local v = core.decode(("["):rep(depth) .. ("]"):rep(depth))
    for _ = 1, depth - 1 do v = v[1] end
    assert.same({}, v)
    assert.is_nil(core.decode(("["):rep(depth + 1) .. ("]"):rep(depth + 1)))
  end)

  it("reads numbers whatever the C locale's decimal point", function()
    local saved = os.setlocale(nil, "numeric")
    local other
    for _, name in ipairs { "de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8" } do
      if os.setlocale(name, "numeric") then other = name break end
    end
    if not other then pending("no locale with a decimal comma installed") return end
    local v = core.decode("[1.5, 2.25e1]")
    os.setlocale(saved, "numeric")
    assert.same({ 1.5, 22.5 }, v)
  end)
end)
