-- spec/support/daemon.lua -- the helper processes of the specs (the fake
-- server, the proxy, the TLS front): started in the background once per
-- process, found again after busted's insulation reloads the modules,
-- stopped with SIGTERM when the Lua state closes.
--
--   local daemon = require "spec.support.daemon"
--   local st, why = daemon.start(name, function(files) return command end, port)
--   -- files.base, files.port, files.log: temp paths of this process; the
--   -- command must name files.base somewhere (that is how it is told from a
--   -- recycled pid) and either write its port to files.port or listen on
--   -- `port`, given in advance.  st.port, st.pid, st.files; nil, why if it
--   -- did not come up (its log included).
--   daemon.running(name)  -- st while it still runs, else nil
--   daemon.stop(name)     -- SIGTERM, temp files removed
--   daemon.binary(env_var, name)  -- $env_var, else build/<name> (it must exist)
--   daemon.free_port()    -- a port nothing listens on just now
--
-- Needs LuaSocket only; runs on Lua 5.1 to 5.4 and LuaJIT.

local socket = require "socket"

local M = {}

local START_TIMEOUT = 10  -- seconds to wait for the port
local POLL_INTERVAL = 0.01
local ALIVE_CHECK_EVERY = 0.25

local registry = debug.getregistry()
local function key(name) return "spec.support.daemon/" .. name end

-- Single-quotes s for /bin/sh.
function M.quote(s)
  return "'" .. (s:gsub("'", "'\\''")) .. "'"
end

-- os.execute's success across versions (5.1/LuaJIT: 0; 5.2+: true).
function M.run(cmd)
  local r = os.execute(cmd)
  return r == true or r == 0
end

-- The whole content of a file, or nil.
function M.read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

-- true while `st.pid` is still our process: on Linux its command line must
-- name our temp path (guards against a recycled pid); elsewhere kill -0.
local function owns(st)
  if M.read_file("/proc/self/cmdline") then
    local cmdline = M.read_file("/proc/" .. st.pid .. "/cmdline")
    return cmdline ~= nil and cmdline:find(st.files.base, 1, true) ~= nil
  end
  return M.run("kill -0 " .. st.pid .. " 2>/dev/null")
end

-- Kills the process (once) and removes its temp files.
local function stop_state(st)
  if st.stopped then return end
  st.stopped = true
  if st.pid and owns(st) then M.run("kill -TERM " .. st.pid .. " 2>/dev/null") end
  for _, path in pairs(st.files) do os.remove(path) end
end

-- An object whose finalizer calls fn when it is collected or the Lua
-- state closes.
function M.finalizer(fn)
  local guarded = function() pcall(fn) end
  if newproxy then           -- Lua 5.1 and LuaJIT: only userdata have __gc
    local p = newproxy(true)
    getmetatable(p).__gc = guarded
    return p
  end
  return setmetatable({}, { __gc = guarded })
end

-- The port once the process is up: read from its port file, or, when the
-- port was given, once something accepts a connection there.
local function wait_port(st, port)
  local deadline = socket.gettime() + START_TIMEOUT
  local next_check = socket.gettime() + ALIVE_CHECK_EVERY
  while socket.gettime() < deadline do
    if port then
      -- (something else may hold the port: it must be ours that answers)
      local c = socket.connect("127.0.0.1", port)
      if c then
        c:close()
        if owns(st) then return port end
        return nil, "another process holds port " .. port
      end
    else
      local p = tonumber((M.read_file(st.files.port) or ""):match("^(%d+)"))
      if p then return p end
    end
    if socket.gettime() >= next_check then
      if not owns(st) then return nil, "it exited" end
      next_check = socket.gettime() + ALIVE_CHECK_EVERY
    end
    socket.sleep(POLL_INTERVAL)
  end
  return nil, ("not up after %d s"):format(START_TIMEOUT)
end

function M.running(name)
  local st = registry[key(name)]
  if st and not st.stopped and owns(st) then return st end
  if st then stop_state(st) registry[key(name)] = nil end  -- it exited (lifetime, idle)
  return nil
end

function M.start(name, command, port)
  local st = M.running(name)
  if st then return st end
  local base = os.tmpname()
  st = { files = { base = base, port = base .. ".port", pid = base .. ".pid", log = base .. ".log" } }
  -- LD_PRELOAD is cleared: a sanitizer runtime preloaded for the module
  -- under test has no business in a helper.
  M.run(("LD_PRELOAD= %s </dev/null >%s 2>&1 & echo $! >%s")
        :format(command(st.files), M.quote(st.files.log), M.quote(st.files.pid)))
  st.pid = tonumber((M.read_file(st.files.pid) or ""):match("^(%d+)"))
  local why
  if st.pid then st.port, why = wait_port(st, port) else why = "no pid" end
  if not st.port then
    local log = M.read_file(st.files.log) or ""
    stop_state(st)
    return nil, ("%s did not start: %s %s"):format(name, why, log)
  end
  st.guard = M.finalizer(function() stop_state(st) end)
  registry[key(name)] = st
  return st
end

function M.stop(name)
  local st = registry[key(name)]
  registry[key(name)] = nil
  if st then stop_state(st) end
end

-- The repository root: this file is <root>/spec/support/daemon.lua.
local function repo_root()
  local src = debug.getinfo(1, "S").source
  local root = src:sub(1, 1) == "@" and src:sub(2):match("^(.-)/?spec/support/[^/]+$")
  if not root or root == "" then return "." end
  return root
end

-- A helper binary: $env_var, else build/<name> of this repository.
function M.binary(env_var, name)
  local bin = os.getenv(env_var)
  if not bin or bin == "" then bin = repo_root() .. "/build/" .. name end
  local f = io.open(bin, "rb")
  if not f then
    error(("%s not found: %s (run `make build/%s` or set %s)"):format(name, bin, name, env_var), 3)
  end
  f:close()
  return bin
end

-- A TCP port on 127.0.0.1 that nothing listens on just now (for a helper
-- that cannot report the one it got).
function M.free_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

return M
