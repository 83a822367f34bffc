-- spec/support/tls.lua -- the fake server behind TLS, speaking HTTP/2 or
-- HTTP/1.1 as ALPN settles, through nghttpx (Debian's nghttp2-proxy) with a
-- self-signed certificate made for the run by openssl.
--
--   local tls = require "spec.support.tls"
--   local t, why = tls.start()    -- nil and why without nghttpx or openssl
--   t.url      "https://127.0.0.1:PORT/api/v1"
--   t.ca_file  the certificate, for the client's ca_file option
--   t.port
--   tls.start { max_requests = N }   another front, that sends GOAWAY after
--                                    N streams on a connection
--   tls.start { name = "x" }          another front (no connection to it yet)
--   tls.stop(t)                       stop a front (the connections on it go)
--
-- nghttpx cannot report the port it got, so a free one is picked and the
-- start retried if another process took it meanwhile.

local daemon = require "spec.support.daemon"
local fake = require "spec.support.fake"

local M = {}

local TRIES = 5
local LIFETIME = 1800     -- seconds a front lives at most, like the fake server

local function have(cmd)
  return daemon.run("command -v " .. cmd .. " >/dev/null 2>&1")
end

-- A key and a certificate for 127.0.0.1 and localhost, once per process
-- (kept in the registry, like the fronts: busted's insulation reloads this
-- module, and a front keeps the certificate it started with).
local registry = debug.getregistry()
local CERT_KEY = "spec.support.tls/certificate"
local function certificate()
  if registry[CERT_KEY] then return registry[CERT_KEY] end
  local base = os.tmpname()
  local c = { key = base .. ".key", crt = base .. ".crt", base = base }
  local ok = daemon.run(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 " ..
    "-nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1,DNS:localhost " ..
    "-keyout %s -out %s >/dev/null 2>&1"):format(daemon.quote(c.key), daemon.quote(c.crt)))
  if not ok then
    os.remove(c.key) os.remove(c.crt) os.remove(base)
    return nil, "openssl could not make a certificate"
  end
  c.guard = daemon.finalizer(function() os.remove(c.key) os.remove(c.crt) os.remove(c.base) end)
  registry[CERT_KEY] = c
  return c
end

function M.start(opts)
  opts = opts or {}
  if not have("nghttpx") then return nil, "no nghttpx (apt-get install nghttp2-proxy)" end
  if not have("openssl") then return nil, "no openssl (apt-get install openssl)" end
  local c, why = certificate()
  if not c then return nil, why end
  local backend = fake.start():match("^http://([^/]+)"):gsub(":", ",")
  -- (the backend in the name: a fake server restarted on another port gets
  -- fronts of its own)
  local name = ("tls front %s %s %s"):format(backend, opts.name or "", opts.max_requests or "")
  local running = daemon.running(name)
  if running then return running end
  for _ = 1, TRIES do
    local port = daemon.free_port()
    local st
    st, why = daemon.start(name, function(files)
      files.err = files.base .. ".err"     -- removed with the others
      -- (under `timeout`: a run killed outright leaves no front behind)
      return ("timeout %d nghttpx --conf=/dev/null --frontend=127.0.0.1,%d --backend=%s --workers=1 " ..
        "--no-ocsp --no-via --accesslog-file=/dev/null --errorlog-file=%s " ..
        "--backend-read-timeout=600 --frontend-read-timeout=600 --stream-read-timeout=0 %s %s %s")
        :format(LIFETIME, port, backend, daemon.quote(files.err),
                opts.max_requests and "--frontend-max-requests=" .. opts.max_requests or "",
                daemon.quote(c.key), daemon.quote(c.crt))
    end, port)
    if st then
      st.url = ("https://127.0.0.1:%d/api/v1"):format(st.port)
      st.ca_file = c.crt
      st.name = name
      return st
    end
  end
  return nil, why
end

function M.stop(t)
  daemon.stop(t.name)
end

return M
