-- Shared by the integration specs: a client on the fake server, and a
-- bounded wait for something the server reports.

local core = require "openrouter.core"
local fake = require "spec.support.fake"
local openrouter = require "openrouter"

local M = {}

-- Obviously fake, and long enough that a leak of any part of it shows.
M.KEY = "sk-or-v1-fakekey0123456789abcdef0123456789abcdef0123456789abcdefTEST"

-- OR_H2=1: every client talks to the fake server through the TLS front
-- (HTTP/2 by ALPN, spec/support/tls.lua), so the same specs run over h2.
M.H2 = os.getenv("OR_H2") == "1"

-- The base URL and ca_file a client of the specs uses.
function M.endpoint()
  if not M.H2 then return fake.start(), nil end
  local t = assert(require("spec.support.tls").start())
  return t.url, t.ca_file
end

function M.client(opts)
  local base, ca_file = M.endpoint()
  -- no retries unless a spec asks: retries have their own specs
  local o = { api_key = M.KEY, base_url = base, ca_file = ca_file, model = "openai/gpt-4o",
              max_retries = 0 }
  for k, v in pairs(opts or {}) do o[k] = v end
  return openrouter.new(o)
end

-- Poll pred() until it is true or `seconds` pass; returns its last value.
function M.eventually(pred, seconds)
  local stop = core.now() + (seconds or 5)
  local v = pred()
  while not v and core.now() < stop do
    core.drive(0.02)
    v = pred()
  end
  return v
end

-- Sleep without busy-waiting.
function M.sleep(seconds)
  local stop = core.now() + seconds
  while core.now() < stop do core.drive(math.max(0, stop - core.now())) end
end

M.TEXT = "Hello, world from fake OpenRouter!"

-- A predicate that turns true once a stream closed after this call was
-- let go: over HTTP/1.1 its connection is cut (the fake server counts an
-- abort); over HTTP/2 (OR_H2) only the stream is reset, the shared
-- connection stays (and the TLS front may keep its own to the server), so
-- the engine must run no transfer any more.
function M.let_go()
  if M.H2 then return function() return core.active() == 0 end end
  local before = fake.stats().aborted
  return function() return fake.stats().aborted > before end
end

-- No value at any depth of v is a userdata (JSON null): raises otherwise.
function M.assert_no_userdata(v, path)
  path = path or "value"
  if type(v) == "userdata" then error("userdata at " .. path, 2) end
  if type(v) == "table" then
    for k, x in pairs(v) do M.assert_no_userdata(x, path .. "." .. tostring(k)) end
  end
end

-- A task that waits on a paced stream of client's own (a real wait in the
-- loop, some 0.1 s), then closes s.
function M.closer(client, s)
  return openrouter.spawn(function()
    local other = assert(client:stream { model = "fake/slow-50", prompt = "x" })
    assert(other:next())
    assert(other:next())
    s:close()
    other:close()
  end)
end

-- Run Lua `code` in a process of its own (the interpreter under test, the
-- module of this checkout), `env` before it ("NAME=value ...").  Returns
-- what it wrote to stderr (`which` = "stderr", the default) or to both.
function M.run_lua(code, env, which, interpreter)
  local lua = interpreter or os.getenv("OR_LUA") or "lua5.4"
  local cpath = package.cpath:match("^([^;]*)")
  local script = os.tmpname()
  local f = assert(io.open(script, "w"))
  f:write(code)
  f:close()
  local redirect = which == "both" and "2>&1" or "2>&1 >/dev/null"
  local p = assert(io.popen(("%s LUA_PATH='./lua/?.lua;./lua/?/init.lua;./?.lua;;' LUA_CPATH='%s;;' %s %s %s")
    :format(env or "", cpath, lua, script, redirect)))
  local out = p:read("*a")
  p:close()
  os.remove(script)
  return out
end

return M
