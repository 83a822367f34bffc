-- Through a proxy, on the first try: https over a CONNECT tunnel (the
-- option, HTTPS_PROXY, https_proxy), plain http forwarded (the option,
-- http_proxy), credentials in the proxy URL, and libcurl's own rules
-- (NO_PROXY; upper-case HTTP_PROXY is ignored).  The proxy is
-- spec/support/connectproxy.c; https is the fake server behind the TLS
-- front (spec/support/tls.lua).  Every client has max_retries = 0: a first
-- request that fails is not hidden by a retry.

local fake = require "spec.support.fake"
local h = require "spec.support.helpers"
local proxy = require "spec.support.proxy"
local tls = require "spec.support.tls"
local openrouter = require "openrouter"

local function delta(before, after)
  return { connects = after.connects - before.connects, forwards = after.forwards - before.forwards,
           refused = after.refused - before.refused }
end

-- chat and stream through `p` to `base_url`; both must work at once.
local function both_work(opts)
  local c = openrouter.new { api_key = h.KEY, model = "openai/gpt-4o", max_retries = 0,
                             base_url = opts.base_url, ca_file = opts.ca_file, proxy = opts.proxy }
  local res, err = c:chat { prompt = "x" }
  assert.is_nil(err)
  assert.equal(h.TEXT, res.text)
  local s = assert(c:stream { prompt = "x" })
  local text = {}
  for t in s:text() do text[#text + 1] = t end
  assert.equal(h.TEXT, table.concat(text))
end

-- A chat in a child process (to give it an environment of its own) against
-- target {base_url=, ca_file=}: what it printed, the text or the error.
local function child(target, env)
  return h.run_lua(([[
    local o = require "openrouter"
    local c = o.new { api_key = %q, model = "openai/gpt-4o", max_retries = 0,
                      base_url = %q, ca_file = %s }
    local res, err = c:chat { prompt = "x" }
    io.stderr:write(res and res.text or tostring(err))
  ]]):format(h.KEY, target.base_url, target.ca_file and ("%q"):format(target.ca_file) or "nil"), env)
end

describe("through a proxy", function()
  local front, why = tls.start()

  it("https: a new tunnel works on the first request, chat and stream", function()
    if not front then pending(why) return end
    for round = 1, 2 do                    -- each proxy is new: so is each tunnel
      local p = proxy.start { auth = round == 2 and "alice:s3cret" or nil }
      local url = round == 2 and p:gsub("//", "//alice:s3cret@") or p
      local before = proxy.stats(p)
      both_work { base_url = front.url, ca_file = front.ca_file, proxy = url }
      assert.is_true(delta(before, proxy.stats(p)).connects >= 1)
    end
  end)

  it("https: HTTPS_PROXY and https_proxy are taken from the environment", function()
    if not front then pending(why) return end
    local p = proxy.start()
    for _, var in ipairs { "HTTPS_PROXY", "https_proxy" } do
      local before = proxy.stats(p)
      local out = child({ base_url = front.url, ca_file = front.ca_file },
                        ("%s=%s NO_PROXY= no_proxy="):format(var, p))
      assert.equal(h.TEXT, out, var)
      assert.equal(1, delta(before, proxy.stats(p)).connects, var)
    end
  end)

  it("http: forwarded by the proxy option and by http_proxy", function()
    local p = proxy.start()
    local before = proxy.stats(p)
    both_work { base_url = fake.start(), proxy = p }
    local out = child({ base_url = fake.start() }, ("http_proxy=%s NO_PROXY= no_proxy="):format(p))
    assert.equal(h.TEXT, out)
    assert.is_true(delta(before, proxy.stats(p)).forwards >= 2)
  end)

  it("follows libcurl's rules: NO_PROXY is honoured, upper-case HTTP_PROXY ignored", function()
    local p = proxy.start()
    local before = proxy.stats(p)
    local out = child({ base_url = fake.start() }, ("http_proxy=%s NO_PROXY=127.0.0.1 no_proxy="):format(p))
    assert.equal(h.TEXT, out)
    out = child({ base_url = fake.start() }, ("HTTP_PROXY=%s NO_PROXY= no_proxy= http_proxy="):format(p))
    assert.equal(h.TEXT, out)
    assert.same({ connects = 0, forwards = 0, refused = 0 }, delta(before, proxy.stats(p)))
  end)

  it("wrong credentials are auth, not retried, with a hint on where they go", function()
    local p = proxy.start { auth = "alice:s3cret" }
    local targets = { { base_url = fake.start() } }
    if front then targets[2] = { base_url = front.url, ca_file = front.ca_file } end
    for _, t in ipairs(targets) do
      local c = openrouter.new { api_key = h.KEY, max_retries = 3, base_url = t.base_url,
                                 ca_file = t.ca_file, proxy = p:gsub("//", "//alice:wrong@") }
      local before = proxy.stats(p)
      local res, err = c:chat { prompt = "x" }
      assert.is_nil(res)
      assert.equal("auth", err.kind)
      assert.is_false(err.retryable)
      assert.matches("the proxy.* wants credentials", err.message)
      assert.matches("put the proxy's credentials in its URL", err.hint)
      assert.is_nil(tostring(err):find("wrong", 1, true))
      assert.equal(1, delta(before, proxy.stats(p)).refused, t.base_url)
    end
  end)

  it("a dead proxy is network, and the hint names it", function()
    local targets = { fake.start() }
    if front then targets[2] = front.url end
    for _, base_url in ipairs(targets) do
      local c = openrouter.new { api_key = h.KEY, max_retries = 0, base_url = base_url,
                                 proxy = "http://127.0.0.1:1", connect_timeout = 2 }
      local _, err = c:chat { prompt = "x" }
      assert.equal("network", err.kind)
      assert.matches("check the proxy http://127%.0%.0%.1:1 ", err.hint)
    end
  end)
end)
