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
-- file belongs to.  spec/support/daemon.lua keeps it: a module reloaded by
-- busted's insulation finds the running server instead of starting a second
-- one.  Needs LuaSocket and lua-cjson only; runs on Lua 5.1 to 5.4 and
-- LuaJIT.

local daemon = require "spec.support.daemon"
local http = require "socket.http"
local ltn12 = require "ltn12"
local cjson = require "cjson"

local M = {}

local NAME = "fake server"
local LIFETIME = 1800     -- seconds the server lives at most
local IDLE = 300          -- it exits after this long with nothing to do
local HTTP_TIMEOUT = 10

-- Publishes the running server's addresses on the module table.
local function publish(st)
  M.url, M.port = st and st.url, st and st.port
end

-- Starts the server unless this process already did (and it still runs);
-- returns the base URL "http://127.0.0.1:PORT/api/v1".
function M.start()
  local st = daemon.running(NAME)
  if not st then
    local bin = daemon.binary("FAKESERVER", "fakeserver")
    local why
    st, why = daemon.start(NAME, function(files)
      return ("%s --port-file %s --lifetime %d --idle %d")
        :format(daemon.quote(bin), daemon.quote(files.port), LIFETIME, IDLE)
    end)
    if not st then error(why, 2) end
    st.root = "http://127.0.0.1:" .. st.port
    st.url = st.root .. "/api/v1"
  end
  publish(st)
  return st.url
end

-- Stops the server started by start(), if any.
function M.stop()
  daemon.stop(NAME)
  publish(nil)
end

-- GET <root><path>; returns the status and the body.
local function get(path)
  local st = daemon.running(NAME)
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

publish(daemon.running(NAME))
return M
