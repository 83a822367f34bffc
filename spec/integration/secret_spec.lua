-- The API key never appears in anything the module produces: tostring of
-- every object, every error field, even when the server echoes it back.

local h = require "spec.support.helpers"
local openrouter = require "openrouter"

-- Collect every string reachable from v as a dumper such as vim.inspect
-- would: keys, values, metatables, tostring results.
local function strings(v, out, seen)
  out, seen = out or {}, seen or {}
  local t = type(v)
  if t == "string" then out[#out + 1] = v
  elseif t == "table" or t == "userdata" then
    if seen[v] then return out end
    seen[v] = true
    out[#out + 1] = tostring(v)
    if t == "table" then
      for k, x in pairs(v) do strings(k, out, seen); strings(x, out, seen) end
    end
    strings(getmetatable(v), out, seen)
  elseif v ~= nil then out[#out + 1] = tostring(v) end
  return out
end

local function assert_no_key(v, what)
  for _, s in ipairs(strings(v)) do
    assert.is_nil(s:find(h.KEY, 1, true), what .. " contains the key: " .. s)
    assert.is_nil(s:find(h.KEY:sub(-24), 1, true), what .. " contains part of the key: " .. s)
  end
end

describe("the API key", function()
  it("is scrubbed from an error whose server message echoes it", function()
    local client = h.client()
    for _, call in ipairs { "chat", "stream" } do
      local res, err = client[call](client, { model = "fake/echo-key", prompt = "x" })
      assert.is_nil(res)
      assert.equal("auth", err.kind)
      assert.matches("Invalid key", err.message)
      assert.matches("REDACTED", err.message)
      assert_no_key(err, call .. " error")
      assert_no_key(tostring(err), call .. " tostring(err)")
    end
  end)

  it("appears in no client, stream, response or error string", function()
    local client = h.client { timeout = 2, idle_timeout = 0.3 }
    assert_no_key(tostring(client), "tostring(client)")
    assert_no_key(client, "client fields")
    local res = assert(client:chat { prompt = "x" })
    assert_no_key(res, "response")
    local s = assert(client:stream { prompt = "x" })
    for chunk in s do assert_no_key(chunk, "chunk") end
    assert_no_key(s, "stream")
    for _, model in ipairs { "fake/status-401", "fake/status-500", "fake/html-502", "fake/drop-1",
                             "fake/notjson", "fake/error-mid", "fake/stall-1", "fake/json-200" } do
      local st, err = client:stream { model = model, prompt = "x" }
      if st then
        local ok, e = pcall(function() for _ in st do end end)
        assert.is_false(ok, model)
        err = e
      end
      assert.is_true(openrouter.is_error(err), model)
      assert_no_key(err, model)
      assert_no_key(tostring(err), model)
    end
    local _, err = openrouter.new { api_key = h.KEY, base_url = "http://127.0.0.1:1/v1" }:chat { model = "a/b", prompt = "x" }
    assert_no_key(err, "network error")
  end)
end)
