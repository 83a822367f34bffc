-- Hints that point the right way: each failure a new user meets names the
-- option or variable to change, with the words the hint must say.

local h = require "spec.support.helpers"
local openrouter = require "openrouter"

local function failure(client, req)
  local res, err = client:chat(req or { prompt = "x" })
  assert.is_nil(res)
  return err
end

describe("hints", function()
  it("a refused key shaped like OpenRouter's is refused, not misshaped", function()
    local err = failure(h.client(), { model = "fake/status-401", prompt = "x" })
    assert.matches("looks like an OpenRouter key but was refused", err.hint)
    assert.matches("settings/keys", err.hint)
    err = failure(h.client { api_key = "not-an-openrouter-key-123" }, { model = "fake/status-401", prompt = "x" })
    assert.matches("OpenRouter keys start with sk%-or%-", err.hint)
  end)

  it("a proxy that cannot be reached is named, without its credentials", function()
    local err = failure(h.client { proxy = "http://user:s3cr3t@127.0.0.1:1", connect_timeout = 2 })
    assert.equal("network", err.kind)
    assert.matches("check the proxy http://127%.0%.0%.1:1 ", err.hint)
    assert.is_nil(err.hint:find("s3cr3t", 1, true))
    local out = h.run_lua(([[
      local o = require "openrouter"
      local c = o.new { api_key = %q, base_url = %q, max_retries = 0, connect_timeout = 2 }
      local _, err = c:chat { prompt = "x" }
      io.stderr:write(err.hint)
    ]]):format(h.KEY, h.client().base_url), "http_proxy=http://127.0.0.1:1 NO_PROXY= no_proxy=")
    assert.matches("check the proxy http://127%.0%.0%.1:1", out)
  end)

  it("a proxy option that is no proxy URL is a config error at new()", function()
    local ok, err = pcall(h.client, { proxy = "not a url" })
    assert.is_false(ok)
    assert.equal("config", err.kind)
    assert.matches("proxy must be a proxy URL", err.message)
    ok, err = pcall(h.client, { proxy = "ftp://proxy:21" })
    assert.is_false(ok)
    assert.matches("schemes: http, https, socks4", err.hint)
    assert(h.client { proxy = "socks5h://127.0.0.1:1080" })
    assert(h.client { proxy = "proxy.internal:3128" })
  end)

  it("first_token_timeout names itself, and says it is retried", function()
    local c = h.client { first_token_timeout = 0.2 }
    local s, err = c:stream { model = "fake/keepalive-20", prompt = "x" }
    if s then err = select(2, s:result()) end
    assert.equal("timeout", err.kind)
    assert.matches("first_token_timeout", err.message)
    assert.matches("raise it", err.hint)
    assert.matches("first_token_timeout", err.hint)
    assert.matches("retried", err.hint)
    assert.is_true(err.retryable)
  end)

  it("an event over max_event names the option and its value", function()
    local c = h.client { max_event = 1024 * 1024 }
    local s = assert(c:stream { model = "fake/big-2000000", prompt = "x" })
    local _, err = s:result()
    assert.equal("protocol", err.kind)
    assert.equal("raise the client option max_event (now 1048576 bytes) if such events are expected", err.hint)
  end)

  it("an answer over max_body names the option and its value, chat and stream", function()
    -- fake/keyat-K-ok answers 200 with K + #key + 40 bytes that are not JSON
    local LIMIT = 2048
    local c = h.client { max_body = LIMIT }
    local model = ("fake/keyat-%d-ok"):format(LIMIT - #h.KEY - 40)
    for _, call in ipairs { "chat", "stream" } do
      local at, over = model, model:gsub("%-(%d+)%-ok$", function(k)
        return ("-%d-ok"):format(tonumber(k) + 1)          -- (5.3: "1907" + 1 is 1908.0)
      end)
      local _, err = c[call](c, { model = at, prompt = "x" })
      assert.equal("protocol", err.kind)                -- not JSON, but whole: the limit holds it
      assert.is_nil(err.message:find("max_body", 1, true), call .. ": " .. err.message)
      _, err = c[call](c, { model = over, prompt = "x" })
      assert.equal("protocol", err.kind)
      assert.matches("exceeded 2048 bytes %(max_body%)", err.message)
      assert.equal("raise the client option max_body (now 2048 bytes) if such answers are expected", err.hint)
    end
    local big = ("x"):rep(100 * 1024)                 -- fake/echo answers with the request body
    assert(h.client():chat { model = "fake/echo", prompt = big })
    for _, bad in ipairs { 10, 4096.5, 2 ^ 33 } do
      local ok, cerr = pcall(h.client, { max_body = bad })
      assert.is_false(ok)
      assert.matches("max_body must be a whole number of bytes from 1024 to 4294967295", cerr.message)
    end
  end)

  it("config errors from the environment name the variable", function()
    local out = h.run_lua([[
      local ok, err = pcall(require("openrouter").new, {})
      io.stderr:write(tostring(err))
    ]], "OPENROUTER_BASE_URL='not a url'")
    assert.matches("OPENROUTER_BASE_URL must be an http%(s%) URL", out)
    out = h.run_lua([[
      local ok, err = pcall(require("openrouter").new, {})
      io.stderr:write(tostring(err))
    ]], "OPENROUTER_API_KEY=\"$(printf 'sk-or-v1-abc\\n_')\"")
    assert.matches("OPENROUTER_API_KEY contains a line break", out)
    assert.matches("strip the trailing newline", out)
    local ok, err = pcall(openrouter.new, { api_key = "sk-or-v1-abc\n" })
    assert.is_false(ok)
    assert.matches("^api_key contains a line break", err.message)
  end)

  it("a core.so built for another Lua says which, and what to run", function()
    -- the core of this run, loaded by an interpreter of another ABI (when
    -- one is here; LuaJIT and Lua 5.1 share theirs, and so load each
    -- other's core)
    local function abi(lua) return lua == "luajit" and "5.1" or lua:sub(4) end
    local this = rawget(_G, "jit") and "5.1" or _VERSION:sub(5)
    local other
    for _, lua in ipairs { "luajit", "lua5.4", "lua5.1", "lua5.3" } do
      local p = io.popen("command -v " .. lua .. " 2>/dev/null")
      local found = p:read("*a") ~= ""
      p:close()
      if found and abi(lua) ~= this then other = lua break end
    end
    if not other then pending("no other Lua interpreter here") return end
    local out = h.run_lua('require "openrouter"', nil, "both", other)
    assert.matches("openrouter: .*core%.so was built for .*, but this is .*: build the core for this Lua " ..
                   "with `make LUA_VERSION=", out)
  end)
end)
