-- spec/support/fake.lua -- start, query and stop the fake OpenRouter server
-- (spec/support/fakeserver.c) from the specs and the benchmarks.
--
--   local fake = require "spec.support.fake"
--   local base_url = fake.start()  -- "http://127.0.0.1:PORT/api/v1"; once per process
--   fake.stats()                   -- {requests=, connections=, open=, aborted=}
--   fake.last()                    -- {method=, path=, headers={<lower-case>=…}, body=}, or nil
--   fake.attempts(model)           -- chat requests that named exactly this model so far
--   fake.stop()                    -- SIGTERM, temp files removed (also when the Lua state closes)
--   fake.url, fake.port            -- set once started
--
-- The binary is $FAKESERVER, else build/fakeserver of the repository this
-- file belongs to.  The server's state lives in the Lua registry, so a
-- module reloaded by busted's insulation finds the running server instead
-- of starting a second one.  Needs LuaSocket and lua-cjson only; runs on
-- Lua 5.1 to 5.4 and LuaJIT.

local http = require "socket.http"
local ltn12 = require "ltn12"
local socket = require "socket"
local cjson = require "cjson"

local M = {}

local REGISTRY_KEY = "spec.support.fake/server"
local LIFETIME = 1800     -- seconds the server lives at most
local IDLE = 300          -- it exits after this long with nothing to do
local START_TIMEOUT = 10  -- seconds to wait for the port file
local POLL_INTERVAL = 0.01
local ALIVE_CHECK_EVERY = 0.25
local HTTP_TIMEOUT = 10

local registry = debug.getregistry()

-- Single-quotes s for /bin/sh.
local function shell_quote(s)
  return "'" .. (s:gsub("'", "'\\''")) .. "'"
end

-- os.execute's success across versions (5.1/LuaJIT: 0; 5.2+: true).
local function run(cmd)
  local r = os.execute(cmd)
  return r == true or r == 0
end

-- The whole content of a file, or nil.
local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

-- The repository root: this file is <root>/spec/support/fake.lua.
local function repo_root()
  local src = debug.getinfo(1, "S").source
  local root = src:sub(1, 1) == "@" and src:sub(2):match("^(.-)/?spec/support/[^/]+$")
  if not root or root == "" then return "." end
  return root
end

-- The server binary to run.
local function binary()
  local bin = os.getenv("FAKESERVER")
  if not bin or bin == "" then bin = repo_root() .. "/build/fakeserver" end
  local f = io.open(bin, "rb")
  if not f then
    error(("fake server binary not found: %s (run `make build/fakeserver` or set FAKESERVER)")
          :format(bin), 3)
  end
  f:close()
  return bin
end

-- true while `pid` is still our server: on Linux its command line must
-- name our port file (guards against a recycled pid); elsewhere kill -0.
local function owns(st)
  if read_file("/proc/self/cmdline") then
    local cmdline = read_file("/proc/" .. st.pid .. "/cmdline")
    return cmdline ~= nil and cmdline:find(st.files.port, 1, true) ~= nil
  end
  return run("kill -0 " .. st.pid .. " 2>/dev/null")
end

-- Kills the server (once) and removes its temp files.
local function stop_state(st)
  if st.stopped then return end
  st.stopped = true
  if st.pid and owns(st) then run("kill -TERM " .. st.pid .. " 2>/dev/null") end
  for _, path in pairs(st.files) do os.remove(path) end
end

-- An object whose finalizer calls fn when it is collected or the Lua
-- state closes.
local function finalizer(fn)
  local guarded = function() pcall(fn) end
  if newproxy then           -- Lua 5.1 and LuaJIT: only userdata have __gc
    local p = newproxy(true)
    getmetatable(p).__gc = guarded
    return p
  end
  return setmetatable({}, { __gc = guarded })
end

-- Waits for the port file; returns the port, or nil and the reason.
local function wait_port(st)
  local deadline = socket.gettime() + START_TIMEOUT
  local next_check = socket.gettime() + ALIVE_CHECK_EVERY
  while socket.gettime() < deadline do
    local port = tonumber((read_file(st.files.port) or ""):match("^(%d+)"))
    if port then return port end
    if socket.gettime() >= next_check then
      if not owns(st) then return nil, "it exited" end
      next_check = socket.gettime() + ALIVE_CHECK_EVERY
    end
    socket.sleep(POLL_INTERVAL)
  end
  return nil, ("no port file after %d s"):format(START_TIMEOUT)
end

-- Publishes the running server's addresses on the module table.
local function publish(st)
  M.url, M.port = st and st.url, st and st.port
end

-- Starts the server unless this process already did (and it still runs);
-- returns the base URL "http://127.0.0.1:PORT/api/v1".
function M.start()
  local st = registry[REGISTRY_KEY]
  if st and owns(st) then publish(st) return st.url end
  if st then stop_state(st) end   -- it exited (lifetime or idle): start anew
  local bin = binary()
  local base = os.tmpname()
  st = { files = { base = base, port = base .. ".port", pid = base .. ".pid",
                   log = base .. ".log" } }
  -- LD_PRELOAD is cleared: a sanitizer runtime preloaded for the module
  -- under test has no business in the server.
  run(("LD_PRELOAD= %s --port-file %s --lifetime %d --idle %d </dev/null >%s 2>&1 & echo $! >%s")
      :format(shell_quote(bin), shell_quote(st.files.port), LIFETIME, IDLE,
              shell_quote(st.files.log), shell_quote(st.files.pid)))
  st.pid = tonumber((read_file(st.files.pid) or ""):match("^(%d+)"))
  local port, why
  if st.pid then port, why = wait_port(st) else why = "no pid" end
  if not port then
    local log = read_file(st.files.log) or ""
    stop_state(st)
    error(("fake server %s did not start: %s %s"):format(bin, why, log), 2)
  end
  st.port = port
  st.root = "http://127.0.0.1:" .. port
  st.url = st.root .. "/api/v1"
  st.guard = finalizer(function() stop_state(st) end)
  registry[REGISTRY_KEY] = st
  publish(st)
  return st.url
end

-- Stops the server started by start(), if any.
function M.stop()
  local st = registry[REGISTRY_KEY]
  registry[REGISTRY_KEY] = nil
  publish(nil)
  if st then stop_state(st) end
end

-- GET <root><path>; returns the status and the body.
local function get(path)
  local st = registry[REGISTRY_KEY]
  if not st then error("the fake server is not started (call fake.start())", 3) end
  local parts = {}
  local saved = http.TIMEOUT
  http.TIMEOUT = HTTP_TIMEOUT
  local ok, ok2, code = pcall(http.request,
                              { url = st.root .. path, sink = ltn12.sink.table(parts) })
  http.TIMEOUT = saved
  if not ok or not ok2 then
    error(("fake server GET %s failed: %s"):format(path, tostring(ok and code or ok2)), 3)
  end
  return code, table.concat(parts)
end

-- The server's counters: requests, connections, open, aborted.
function M.stats()
  local code, body = get("/_stats")
  if code ~= 200 then error("fake server /_stats: HTTP " .. tostring(code), 2) end
  return cjson.decode(body)
end

-- The last request the server recorded (not /_ ones), or nil if none yet.
function M.last()
  local code, body = get("/_last")
  if code == 404 then return nil end
  if code ~= 200 then error("fake server /_last: HTTP " .. tostring(code), 2) end
  return cjson.decode(body)
end

-- Percent-encodes s for a query string.
local function url_encode(s)
  return (s:gsub("[^%w%-%._~]", function(ch) return ("%%%02X"):format(ch:byte()) end))
end

-- How many chat requests named exactly `model` so far, refused ones
-- included (an integer; the server remembers the 1024 latest models).
function M.attempts(model)
  local code, body = get("/_attempts?model=" .. url_encode(model))
  local n = code == 200 and tonumber(body:match('"count":(%d+)'))
  if not n then error("fake server /_attempts: HTTP " .. tostring(code), 2) end
  return n
end

publish(registry[REGISTRY_KEY])
return M
