-- openrouter.trace: what a client does, told as it happens -- to the
-- function given as the client option `trace`, or, with OPENROUTER_TRACE=1
-- in the environment (and no such option), to stderr, one line each.
--   { type = "request", method, url, headers, body }   each attempt, as sent
--   { type = "response", status, headers, seconds }     once its status is known
--   { type = "retry", attempt, wait, error }            before waiting to retry
--   { type = "done", seconds, error }                   the end (error: if it failed)
-- headers are tables of name -> value, the Authorization masked like
-- tostring(client); seconds count from the attempt (response) or from the
-- first attempt (done).  The key never appears.  A trace function that
-- raises is reported on stderr and never breaks the request.

local core = require "openrouter.core"
local each = require "openrouter.each"
local errors = require "openrouter.errors"

local M = {}

-- Call the trace function with event; what it raises goes to stderr.
function M.emit(fn, event)
  if not fn then return end
  local ok, err = pcall(fn, event)
  if not ok then
    io.stderr:write("openrouter: the trace function raised (the request goes on): ",
                    tostring(err), "\n")
  end
end

-- Request header lines ("Name: value") as a table, the key masked.
function M.request_headers(lines, masked)
  local t = {}
  for _, line in ipairs(lines) do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    if name then
      if name:lower() == "authorization" then value = "Bearer " .. masked end
      t[name] = value
    end
  end
  return t
end

local function headers_line(h)
  local names = {}
  for name in each(h or {}) do names[#names + 1] = name end
  table.sort(names)
  for i, name in ipairs(names) do names[i] = name .. ": " .. tostring(h[name]) end
  return "{" .. table.concat(names, ", ") .. "}"
end

-- The longest body shown on one line of stderr.
local MAX_BODY = 2000

-- The events of a prepared call (client.lua's _prepare sets call.trace,
-- call.masked); each is a no-op when the call is not traced.
function M.request(call)
  local now = core.now()
  call.t_attempt = now
  call.t0 = call.t0 or now
  if not call.trace then return end
  local spec = call.spec
  M.emit(call.trace, { type = "request", method = spec.method, url = spec.url,
                       headers = M.request_headers(spec.headers, call.masked), body = spec.body })
end

function M.response(call, x)
  if not call.trace then return end
  -- (a server may echo anything in its headers: they leave scrubbed too)
  M.emit(call.trace, { type = "response", status = x:status(),
                       headers = errors.scrub(x:headers(), call.secret),
                       seconds = core.now() - call.t_attempt })
end

function M.retry(call, err, wait)
  if not call.trace then return end
  -- (an error leaves here as from a public method: the key scrubbed)
  M.emit(call.trace, { type = "retry", attempt = call.attempt, wait = wait,
                       error = errors.scrub(err, call.secret) })
end

function M.done(call, err)
  if not call.trace or call.traced_done then return end
  call.traced_done = true
  M.emit(call.trace, { type = "done", seconds = core.now() - call.t0,
                       error = err and errors.scrub(err, call.secret) })
end

-- OPENROUTER_TRACE=1: each event as one line on stderr.
function M.stderr(event)
  local line
  if event.type == "request" then
    local body = event.body or ""
    if #body > MAX_BODY then body = body:sub(1, MAX_BODY) .. ("… (%d bytes)"):format(#event.body) end
    line = ("request %s %s headers=%s body=%s"):format(event.method, event.url,
      headers_line(event.headers), body)
  elseif event.type == "response" then
    line = ("response %s after %.3f s headers=%s"):format(tostring(event.status), event.seconds,
      headers_line(event.headers))
  elseif event.type == "retry" then
    line = ("retry %d in %.2f s after: %s"):format(event.attempt, event.wait, tostring(event.error))
  else
    line = ("done after %.3f s%s"):format(event.seconds,
      event.error and (": " .. tostring(event.error)) or "")
  end
  io.stderr:write("openrouter: ", (line:gsub("[\r\n]+", " ")), "\n")
end

return M
