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

  -- Each place that quotes a body cuts it (errors.excerpt: 120 bytes, 80 for
  -- a stream's data line); a key the cut splits must not survive in part.
  -- fake/keyat-K-WHERE puts the key K bytes into such a body.
  local secret = h.KEY:gsub("^sk%-or%-v%d+%-", "")
  local grams = {}
  for i = 1, #secret - 7 do grams[#grams + 1] = secret:sub(i, i + 7) end

  -- Every keyat-K-WHERE request of `offsets` and `wheres`, chat and stream,
  -- by a client with `retries`: no string of the error, nor of any trace
  -- event (taken when it happens, before a retry), holds 8 characters of
  -- the secret.  Returns how many calls were checked, and how many retries
  -- were traced.
  local function sweep(offsets, wheres, retries)
    local traced, retried = {}, 0
    local client = h.client { max_retries = retries, trace = function(event)
      if event.type == "retry" then retried = retried + 1 end
      for _, str in ipairs(strings(event)) do traced[#traced + 1] = str end
    end }
    local checked = 0
    for _, where in ipairs(wheres) do
      for _, offset in ipairs(offsets) do
        for _, call in ipairs { "chat", "stream" } do
          local model = ("fake/keyat-%d-%s"):format(offset, where)
          local res, err = client[call](client, { model = model, prompt = "x" })
          if res and call == "stream" then
            local ok, raised = pcall(function() for _ in res do end end)
            assert.is_false(ok, model)
            err = raised
          end
          assert.is_true(openrouter.is_error(err), model .. " " .. call)
          local seen = strings({ err, tostring(err), res and tostring(res) })
          for _, str in ipairs(traced) do seen[#seen + 1] = str end
          traced = {}
          for _, str in ipairs(seen) do
            for _, gram in ipairs(grams) do
              if str:find(gram, 1, true) then
                error(("%s (%s): %q holds %q of the key"):format(model, call, str, gram))
              end
            end
          end
          checked = checked + 1
        end
      end
    end
    return checked, retried
  end

  it("leaves no 8 characters of its secret in any error or trace, wherever a cut falls", function()
    local offsets = {}
    local step = os.getenv("OR_SLOW") and 5 or 1          -- (valgrind: every 5th)
    for k = 0, 130, step do offsets[#offsets + 1] = k end  -- across both limits, 80 and 120
    assert.equal(4 * #offsets * 2, (sweep(offsets, { "page", "ok", "line", "event" }, 0)))
    -- and in the error a retry is traced with (a 500 page is retried)
    local checked, retried = sweep({ 50, 60, 70 }, { "page" }, 1)
    assert.equal(3 * 2, checked)
    assert.equal(3 * 2, retried)
  end)
end)
