-- spec/support/proxy.lua -- the specs' HTTP proxy (spec/support/connectproxy.c):
-- CONNECT tunnels and plain forwarding, to 127.0.0.1 only.
--
--   local proxy = require "spec.support.proxy"
--   local url = proxy.start()                   -- "http://127.0.0.1:PORT"
--   local url = proxy.start { auth = "u:p" }    -- one that wants these credentials
--   proxy.stats(url)                             -- {connects=, forwards=, refused=}

local daemon = require "spec.support.daemon"
local http = require "socket.http"
local ltn12 = require "ltn12"
local cjson = require "cjson"

local M = {}

local LIFETIME = 1800

-- Starts a proxy (one per set of options and process); returns its URL.
function M.start(opts)
  local auth = opts and opts.auth
  local bin = daemon.binary("CONNECTPROXY", "connectproxy")
  local st, why = daemon.start("proxy " .. (auth or ""), function(files)
    return ("%s --port-file %s --lifetime %d%s"):format(daemon.quote(bin), daemon.quote(files.port),
      LIFETIME, auth and " --auth " .. daemon.quote(auth) or "")
  end)
  if not st then error(why, 2) end
  return "http://127.0.0.1:" .. st.port
end

-- The proxy's counters.
function M.stats(url)
  local parts = {}
  local ok, code = http.request { url = url .. "/_proxy_stats", sink = ltn12.sink.table(parts) }
  if not ok or code ~= 200 then error("proxy stats: " .. tostring(code), 2) end
  return cjson.decode(table.concat(parts))
end

return M
