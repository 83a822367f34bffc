-- openrouter.errors: the one error object every failure becomes.
-- A table with a metatable, so callers branch on `err.kind` and print it
-- with tostring(err) (Lua 5.1 cannot print a raised table by itself).

local core = require "openrouter.core"

local M = {}

local Error = { __name = "openrouter.Error" }
Error.__index = Error

-- One line: newlines in server messages are folded so logs stay greppable.
function Error.__tostring(e)
  local parts = { "openrouter: ", tostring(e.kind) }
  if e.status then parts[#parts + 1] = " (" .. tostring(e.status) .. ")" end
  parts[#parts + 1] = ": " .. tostring(e.message or "")
  if e.hint then parts[#parts + 1] = " — hint: " .. e.hint end
  return (table.concat(parts):gsub("%s*[\r\n]+%s*", " "))
end

local HINTS = {
  auth = "OpenRouter keys start with sk-or-; set OPENROUTER_API_KEY or pass api_key to openrouter.new",
  credits = "add credits at https://openrouter.ai/settings/credits or lower max_tokens",
  not_found = "model ids have the form author/slug, e.g. openai/gpt-4o; list them with client:models()",
  rate_limited = "slow down or retry after retry_after seconds",
  timeout = "raise timeout / idle_timeout, or stream long requests",
  network = "check the network and base_url; is a proxy needed (HTTPS_PROXY)?",
  tls = "check the system CA certificates, or pass ca_file",
  interrupted = "the answer is incomplete; retry the request",
}

-- Replace every occurrence of `secret` in the strings of v (recursively).
local function scrub(v, secret, seen)
  if type(v) == "string" then
    local i = 1
    while true do
      local s, e = v:find(secret, i, true)
      if not s then return v end
      v = v:sub(1, s - 1) .. "[REDACTED]" .. v:sub(e + 1)
      i = s + #"[REDACTED]"
    end
  elseif type(v) == "table" and not seen[v] then
    seen[v] = true
    for k, x in pairs(v) do v[k] = scrub(x, secret, seen) end
  end
  return v
end

-- fields: kind, message and any of the documented fields; `secret` (the
-- API key) is scrubbed from every string in them.
function M.new(fields, secret)
  local e = setmetatable(fields, Error)
  if e.retryable == nil then e.retryable = false end
  if e.partial == nil then e.partial = false end
  if e.hint == nil then e.hint = HINTS[e.kind] end
  if type(secret) == "string" and #secret >= 4 then scrub(e, secret, {}) end
  return e
end

function M.is(v)
  return getmetatable(v) == Error
end

function M.config(message, hint)
  return M.new { kind = "config", message = message, hint = hint }
end

-- Seconds from Retry-After (delta-seconds) or retry-after-ms, or nil.
local function retry_after(headers)
  local ms = tonumber(headers["retry-after-ms"] or "")
  if ms then return ms / 1000 end
  return tonumber(headers["retry-after"] or "")
end

-- The first bytes of a body that is not JSON, on one line.
local function excerpt(body)
  local s = body:gsub("%s+", " "):sub(1, 120)
  return s == "" and "(empty)" or s
end

local function nonnull(v) if v ~= nil and type(v) ~= "userdata" then return v end end

-- An error from the JSON envelope {"error":{code,message,metadata}} (or
-- from a proxy's page) of a non-2xx response, or of a 2xx body that
-- carried an error.  The status decides the kind; an error.code number
-- stands in when the status was 2xx.
function M.from_body(status, headers, doc, body, secret)
  local e = { status = status }
  local err = type(doc) == "table" and doc.error
  if type(err) == "table" then
    e.code = nonnull(err.code)
    e.message = nonnull(err.message) and tostring(err.message) or "error without a message"
    e.metadata = nonnull(err.metadata)
    if type(e.metadata) == "table" then
      e.provider = nonnull(e.metadata.provider_name)
      e.raw = nonnull(e.metadata.raw)
    end
    e.generation_id = nonnull(doc.id)
  else
    e.message = ("HTTP %d and the body is not JSON: %s"):format(status, excerpt(body or ""))
  end
  local effective = status
  if (status < 400) and type(e.code) == "number" then effective = math.floor(e.code) end
  if effective >= 400 then
    e.kind, e.retryable = core.classify_status(effective)
  else
    e.kind, e.retryable = "server", true
  end
  if headers then
    e.retry_after = retry_after(headers)
    e.generation_id = e.generation_id or headers["x-generation-id"]
  end
  return M.new(e, secret)
end

return M
