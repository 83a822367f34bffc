-- openrouter.new and the request table: every bad input is a `config`
-- error that says what was wrong, before anything is sent.

local openrouter = require "openrouter"

local KEY = "sk-or-v1-0000000000000000000000000000000000000000000000000000000000fake"

local function config_error(opts)
  local ok, err = pcall(openrouter.new, opts)
  assert.is_false(ok)
  assert.is_true(openrouter.is_error(err), "raised a non-error: " .. tostring(err))
  assert.equal("config", err.kind)
  return err
end

describe("openrouter.new", function()
  it("has a version", function()
    assert.matches("^%d+%.%d+%.%d+", openrouter.VERSION)
  end)

  it("rejects an unknown option and suggests the closest", function()
    local err = config_error { api_kye = KEY }
    assert.matches("unknown option api_kye", err.message)
    assert.matches("did you mean api_key%?", err.message)
  end)

  it("rejects a wrong type, naming the option", function()
    assert.matches("timeout must be a number", config_error({ timeout = "10" }).message)
    assert.matches("must be a number of seconds > 0", config_error({ idle_timeout = -1 }).message)
    assert.matches("max_retries", config_error({ max_retries = 1.5 }).message)
  end)

  it("rejects a base_url that is not http(s)", function()
    assert.matches("http%(s%) URL", config_error({ base_url = "ftp://example.com" }).message)
    assert.matches("http%(s%) URL", config_error({ base_url = "openrouter.ai/api/v1" }).message)
  end)

  it("refuses plain http to a remote host unless allow_insecure", function()
    local err = config_error { base_url = "http://example.com/api/v1" }
    assert.matches("allow_insecure", err.hint)
    assert.has_no.errors(function()
      openrouter.new { base_url = "http://example.com/api/v1", allow_insecure = true }
      openrouter.new { base_url = "http://127.0.0.1:9/api/v1" }
      openrouter.new { base_url = "http://localhost:9/api/v1" }
      openrouter.new { base_url = "http://[::1]:9/api/v1" }
    end)
  end)

  it("rejects header values with CR or LF", function()
    assert.matches("CR, LF", config_error({ headers = { ["X-A"] = "a\r\nEvil: 1" } }).message)
    assert.matches("not a valid HTTP token", config_error({ headers = { ["Bad Name"] = "x" } }).message)
    assert.matches("app_title", config_error({ app_title = "a\nb" }).message)
  end)

  it("masks the key in tostring", function()
    local c = openrouter.new { api_key = KEY, base_url = "https://openrouter.ai/api/v1/" }
    local s = tostring(c)
    assert.equal("openrouter.Client (https://openrouter.ai/api/v1, key sk-or-…fake)", s)
    assert.is_nil(s:find(KEY:sub(10, 30), 1, true))
    for k, v in pairs(c) do
      assert.is_nil(tostring(v):find(KEY, 1, true), "field " .. tostring(k) .. " holds the key")
    end
  end)
end)

describe("request validation", function()
  local client = openrouter.new { api_key = KEY, base_url = "http://127.0.0.1:9/api/v1", max_retries = 0 }

  it("returns nil, err for a request that is not a table", function()
    local res, err = client:chat("hello")
    assert.is_nil(res)
    assert.equal("config", err.kind)
  end)

  it("rejects top-level providers with a suggestion", function()
    local res, err = client:chat { model = "a/b", prompt = "x", providers = { order = { "x" } } }
    assert.is_nil(res)
    assert.equal("config", err.kind)
    assert.matches("did you mean provider%?", err.message)
  end)

  it("rejects a model that is not a string", function()
    local _, err = client:chat { model = 42, prompt = "x" }
    assert.equal("config", err.kind)
    assert.matches("'model' must be a model id string, got number", err.message)
    _, err = client:chat { model = "", prompt = "x" }
    assert.matches("empty string", err.message)
  end)

  it("rejects messages together with prompt", function()
    local _, err = client:stream { prompt = "x", messages = { { role = "user", content = "y" } } }
    assert.equal("config", err.kind)
  end)

  it("names a field that cannot be encoded", function()
    local _, err = client:chat { model = "a/b", prompt = "x", metadata = { f = print } }
    assert.equal("config", err.kind)
    assert.matches("request.metadata.f is a function", err.message)
  end)

  it("says how to set a key when there is none", function()
    local saved = os.getenv("OPENROUTER_API_KEY")
    if saved then pending("OPENROUTER_API_KEY is set in this environment") return end
    local c = openrouter.new { base_url = "http://127.0.0.1:9/api/v1" }
    local res, err = c:chat { model = "a/b", prompt = "x" }
    assert.is_nil(res)
    assert.equal("config", err.kind)
    assert.matches("OPENROUTER_API_KEY", err.hint)
    assert.matches("OPENROUTER_API_KEY", tostring(err))
  end)

  it("does not modify the caller's table", function()
    local req = { model = "a/b", prompt = "x", fallbacks = { "c/d" }, variant = "nitro" }
    client:chat(req)   -- fails to connect; the table must be as it was
    assert.same({ model = "a/b", prompt = "x", fallbacks = { "c/d" }, variant = "nitro" }, req)
  end)
end)
