-- openrouter.errors: the one error object every failure becomes.
-- A table with a metatable, so callers branch on `err.kind` and print it
-- with tostring(err) (Lua 5.1 cannot print a raised table by itself).
-- Whether a response failed, its kind, whether to retry and how long the
-- server asked to wait come from the C classifier (errclass.c, which reads
-- the raw body and headers); this file adds the words: the message, the
-- metadata and a hint on how to fix it.

local each = require "openrouter.each"
local json = require "openrouter.json"

local M = {}

local Error = { __name = "openrouter.Error" }
Error.__index = Error

-- One line: newlines in server messages are folded so logs stay greppable.
function Error.__tostring(e)
  local parts = { "openrouter: ", tostring(e.kind) }
  local num = e.status or (type(e.code) == "number" and e.code)
  if num then parts[#parts + 1] = " (" .. tostring(num) .. ")" end
  parts[#parts + 1] = ": " .. tostring(e.message or "")
  if e.hint then parts[#parts + 1] = " — hint: " .. e.hint end
  return (table.concat(parts):gsub("%s*[\r\n]+%s*", " "))
end

local HINTS = {
  auth = "OpenRouter keys start with sk-or-; set OPENROUTER_API_KEY or pass api_key to openrouter.new",
  credits = "add credits at https://openrouter.ai/settings/credits, or lower max_tokens",
  moderation = "the input was flagged or blocked; rephrase it or choose another model",
  not_found = "model ids have the form author/slug, e.g. openai/gpt-4o; list them with client:models()",
  bad_request = "check the request fields against https://openrouter.ai/docs/api-reference/parameters",
  rate_limited = "slow down, or retry after retry_after seconds",
  provider = "the model's provider failed; retry, or route around it with provider = { ignore = {...} }",
  unavailable = "no provider meets the routing: relax `provider` " ..
    "(order/only/ignore/quantizations/max_price) or allow_fallbacks = true",
  overloaded = "the provider is overloaded; retry later or add fallbacks",
  server = "OpenRouter had an internal error; retry later",
  timeout = "raise timeout / idle_timeout, or stream long requests",
  max_event = "an event of the stream was larger than max_event: raise the client option " ..
    "max_event (bytes) if such answers are expected",
  max_body = "is base_url an OpenRouter API? If such answers are expected, raise the client " ..
    "option max_body (bytes; 64 MiB by default)",
  network = "check the network and base_url; is a proxy needed (HTTPS_PROXY)?",
  tls = "check the system CA certificates, or pass ca_file",
  interrupted = "the answer is incomplete; retry the request",
  protocol = "the server did not speak OpenRouter's API; check base_url and any proxy in between",
}

-- A quote of a body (M.excerpt) may cut a key the server echoed: so not
-- only the key goes, but every run of FRAGMENT or more characters of its
-- secret part (the key without "sk-or-v1-").
local FRAGMENT = 8
local REDACTED = "[REDACTED]"

-- str with every whole key, then every span of it made of fragments of
-- the secret (grams: its FRAGMENT-character substrings), replaced.
local function redact(str, key, grams)
  local i = 1
  while true do
    local s, e = str:find(key, i, true)
    if not s then break end
    str = str:sub(1, s - 1) .. REDACTED .. str:sub(e + 1)
    i = s + #REDACTED
  end
  local spans = {}
  for g = 1, #grams do
    i = 1
    while true do
      local s, e = str:find(grams[g], i, true)
      if not s then break end
      spans[#spans + 1] = { s, e }
      i = s + 1
    end
  end
  if #spans == 0 then return str end
  table.sort(spans, function(a, b) return a[1] < b[1] end)
  local out, kept = {}, 1                 -- str:sub(kept, …) is not yet copied
  local from, to = spans[1][1], spans[1][2]
  for k = 2, #spans + 1 do
    local span = spans[k]
    if span and span[1] <= to + 1 then    -- overlapping or touching: one span
      if span[2] > to then to = span[2] end
    else
      out[#out + 1] = str:sub(kept, from - 1) .. REDACTED
      kept = to + 1
      if span then from, to = span[1], span[2] end
    end
  end
  out[#out + 1] = str:sub(kept)
  return table.concat(out)
end

-- Redact every string of v (recursively).
local function scrub(v, key, grams, seen)
  if type(v) == "string" then
    return redact(v, key, grams)
  elseif type(v) == "table" and not seen[v] then
    seen[v] = true
    for k, x in each(v) do v[k] = scrub(x, key, grams, seen) end
  end
  return v
end

-- The key never leaves the library: the public methods pass every error
-- object (and diagnose's report) they hand out through here, which
-- replaces the key, and any fragment of it, in all of its strings, in
-- place.  Returns v.
function M.scrub(v, key)
  if type(key) ~= "string" or #key < 4 or type(v) ~= "table" then return v end
  local secret = key:gsub("^sk%-or%-v%d+%-", "")
  local grams = {}
  for i = 1, #secret - FRAGMENT + 1 do grams[#grams + 1] = secret:sub(i, i + FRAGMENT - 1) end
  return scrub(v, key, grams, {})
end

-- fields: kind, message and any of the documented fields.  An error that
-- reached the caller partway through (partial) is never retried, so it is
-- never retryable: that rule lives here.
function M.new(fields)
  local e = setmetatable(fields, Error)
  if e.retryable == nil then e.retryable = false end
  if e.partial == nil then e.partial = false end
  if e.partial then e.retryable = false end
  if e.hint == nil then e.hint = HINTS[e.kind] end
  return e
end

-- libcurl codes of a certificate that was not accepted (as opposed to a
-- handshake that never happened).
local CERT_CODES = { [51] = true, [58] = true, [60] = true, [77] = true, [80] = true,
                     [82] = true, [83] = true, [90] = true, [91] = true }

-- A proxy's 407, to a CONNECT (a transport failure) or to a request.
local PROXY_CREDENTIALS = "put the proxy's credentials in its URL: " ..
  "proxy = \"http://user:password@host:port\" (or in HTTPS_PROXY / https_proxy), " ..
  "special characters %-encoded"
local function proxy_refused(e, msg)
  return e.kind == "auth" and (e.status == 407 or msg:find("answered CONNECT with 407", 1, true))
end

-- The hint for an answer over a limit the client sets, named in the
-- message: "(max_event)", "(max_body)".
local LIMITED = { max_event = "events", max_body = "answers" }
local function limit_hint(msg, ctx)
  local option = msg:match("%((max_%a+)%)")
  if not LIMITED[option] then return nil end
  if not ctx[option] then return HINTS[option] end
  return ("raise the client option %s (now %d bytes) if such %s are expected")
    :format(option, ctx[option], LIMITED[option])
end

-- The hint for a transport failure: the words of the failure, and what the
-- call knows (ctx: base_url, proxy as shown, max_event, max_body).
local function transport_hint(e, ctx)
  local msg = type(e.message) == "string" and e.message or ""
  if proxy_refused(e, msg) then
    return PROXY_CREDENTIALS
  elseif e.kind == "timeout" then
    local option = msg:match("%(([%a_]*timeout)%)")
    if option == "first_token_timeout" then
      return "no text came within first_token_timeout: raise it, or pick a faster model or " ..
        "provider; this failure is retried (max_retries) as long as nothing had arrived"
    end
    if option then return ("raise %s, or check why the server is slow"):format(option) end
  elseif e.kind == "network" and ctx.proxy then
    return ("check the proxy %s (the proxy option, or HTTPS_PROXY / https_proxy / ALL_PROXY): " ..
      "the request did not get through it"):format(ctx.proxy)
  elseif e.kind == "tls" then
    if msg:find("wrong version number", 1, true) or msg:find("packet length too long", 1, true)
       or msg:find("unexpected eof", 1, true) then
      return ("%s does not speak TLS there: check its scheme (http:// or https://) and port")
        :format(ctx.base_url or "the server")
    end
    if not CERT_CODES[e.curl_code] then
      return "the TLS handshake failed: check base_url's host and port, and any proxy in between"
    end
  elseif e.kind == "protocol" and limit_hint(msg, ctx) then
    return limit_hint(msg, ctx)
  end
  return HINTS[e.kind]
end

-- An error of a transfer that failed in transport, or by a local timer or
-- limit (fields from x:failure()), with its hint.
function M.transport(fields, ctx)
  fields.hint = transport_hint(fields, ctx or {})
  return M.new(fields)
end

function M.is(v)
  return getmetatable(v) == Error
end

function M.config(message, hint)
  return M.new { kind = "config", message = message, hint = hint }
end

-- JSON null (a light userdata from cjson) -> nil; whole numbers that the
-- distributions' cjson decodes as floats on Lua 5.3+ -> integers.
local function val(v)
  if type(v) == "userdata" then return nil end
  return json.whole(v)
end

local function tbl(v) if type(v) == "table" then return v end end

-- Providers wrap their own error as metadata.raw, often a JSON *string*
-- whose message says more than "Provider returned error".  Dig it out.
local function raw_message(raw, depth)
  depth = depth or 0
  if depth > 4 then return nil end
  if type(raw) == "string" then
    local ok, doc = pcall(json.decode, raw)
    if ok and type(doc) == "table" then return raw_message(doc, depth + 1) end
    local s = raw:gsub("^%s+", ""):gsub("%s+$", "")
    if s ~= "" and #s <= 500 then return s end
    return nil
  end
  if type(raw) == "table" then
    local inner = tbl(raw.error) or raw
    if type(val(inner.message)) == "string" then return inner.message end
    if type(val(inner.error)) == "string" then return inner.error end
  end
end

-- The first bytes (`limit`, default 120) of a body that is not what it
-- should be, on one line.
function M.excerpt(body, limit)
  local s = (body or ""):gsub("%s+", " ")
  limit = limit or 120
  if #s > limit then s = s:sub(1, limit) .. "…" end
  return s == "" and "(empty)" or s
end
local excerpt = M.excerpt

-- The hint for this error: specific when the body says more than the kind.
local function hint_for(e, ctx)
  local msg = type(e.message) == "string" and e.message or ""
  if e.kind == "credits" then
    local n = msg:match("can only afford (%d+)")
    if n then
      return ("set max_tokens = %s (or fewer), or add credits at https://openrouter.ai/settings/credits"):format(n)
    end
  elseif e.kind == "rate_limited" and e.daily_cap then
    local when = e.retry_after and (" (in about %.1f h)"):format(e.retry_after / 3600) or ""
    return "the daily cap of free-model requests is used up; it resets at 00:00 UTC" .. when ..
      "; buying 10 credits raises it to 1000 requests a day"
  elseif e.kind == "rate_limited" and e.retry_after then
    return ("retry after %g s"):format(e.retry_after)
  elseif e.kind == "moderation" and type(e.metadata) == "table" and type(e.metadata.reasons) == "table" then
    local reasons = {}
    for _, r in ipairs(e.metadata.reasons) do reasons[#reasons + 1] = tostring(r) end
    local flagged = type(val(e.metadata.flagged_input)) == "string"
      and (" in %q"):format(e.metadata.flagged_input) or ""
    return ("the input was flagged (%s)%s; rephrase it or choose another model")
      :format(table.concat(reasons, ", "), flagged)
  elseif e.kind == "not_found" or (e.kind == "bad_request" and msg:lower():find("model")) then
    local model = ctx and ctx.model
    local base = HINTS.not_found
    if model and ctx.suggest then
      local close = ctx.suggest(model)
      if close and #close > 0 then
        return ("no model %q; closest: %s"):format(model, table.concat(close, ", "))
      end
    end
    if e.kind == "not_found" or msg:lower():find("not a valid model") then return base end
  elseif e.kind == "unavailable" and ctx and type(ctx.provider) == "table" then
    local set = {}
    for _, k in ipairs { "only", "order", "ignore", "quantizations", "max_price", "zdr",
                         "data_collection", "require_parameters" } do
      if ctx.provider[k] ~= nil then set[#set + 1] = "provider." .. k end
    end
    if ctx.provider.allow_fallbacks == false then set[#set + 1] = "provider.allow_fallbacks = false" end
    if #set > 0 then
      return "no provider meets the routing; relax " .. table.concat(set, ", ")
    end
  elseif proxy_refused(e, msg) then
    return PROXY_CREDENTIALS
  elseif e.kind == "auth" and ctx and ctx.key_shaped then
    return ("the key (from %s) looks like an OpenRouter key but was refused: check at " ..
      "https://openrouter.ai/settings/keys that it is not revoked, expired or mistyped, and " ..
      "that api_key / OPENROUTER_API_KEY holds the key you meant"):format(ctx.key_from or "api_key")
  elseif e.kind == "provider" and e.provider then
    return ("%s failed; retry, or route around it with provider = { ignore = { %q } }")
      :format(e.provider, e.provider)
  end
  return HINTS[e.kind]
end

-- The classifier's answer, as core.classify / x:classify return it, in a
-- table (nil when the body carries no error).
function M.class(kind, retryable, retry_after, daily_cap, error_json, id)
  if not kind then return nil end
  return { kind = kind, retryable = retryable, retry_after = retry_after,
           daily_cap = daily_cap, error = error_json, id = id }
end

-- The error a response body or a stream event carries: the error object
-- (OPENROUTER.md 7.1) the classifier pointed at, or, for a body that is not
-- JSON (a proxy's page), its first bytes.
--   status: the HTTP status (200 for in-band errors); headers: lower-case
--   names (or nil); body: the raw text; class: M.class(...);
--   ctx: { partial=, event= (an `event: error`), model=, provider=,
--          suggest=fn(model)->ids }
function M.from_body(status, headers, body, class, ctx)
  ctx = ctx or {}
  headers = headers or {}
  local inband = status >= 200 and status <= 299
  local e = { kind = class.kind, retryable = class.retryable, retry_after = class.retry_after,
              daily_cap = class.daily_cap or nil, status = not inband and status or nil,
              partial = ctx.partial and true or false }
  local ok, err = pcall(json.decode, class.error or "")
  err = ok and tbl(err)
  if status == 407 then                    -- the proxy's answer, not the API's
    e.message = ("HTTP 407: the proxy %s wants credentials"):format(ctx.proxy or "in between")
  elseif err then
    e.code = val(err.code)
    e.message = type(val(err.message)) == "string" and err.message or "error without a message"
    e.metadata = tbl(err.metadata) and json.clean(err.metadata)
    local meta = e.metadata or {}
    e.provider = type(val(meta.provider_name)) == "string" and meta.provider_name or nil
    e.raw = val(meta.raw)
    -- "Provider returned error" says nothing: the provider's own words do
    local inner = e.raw ~= nil and raw_message(e.raw)
    if inner and (e.message:lower():find("^provider returned error") or e.message == "") then
      e.message = (e.provider and "[" .. e.provider .. "] " or "") .. inner
    end
  elseif status >= 300 and status <= 399 then
    local location = headers.location or "(no Location)"
    e.message = ("HTTP %d: base_url redirects to %s"):format(status, location)
    e.hint = ("set base_url to where it points (%s): a redirect is never followed, so the key " ..
              "is never sent anywhere else"):format(location)
  elseif ctx.event then
    e.message = "the stream sent an error event: " .. excerpt(body)
  elseif inband and (body or ""):find("^%s*{") then
    e.message = 'the provider ended the answer with finish_reason "error"'
  else
    e.message = ("HTTP %d and the body is not JSON: %s"):format(status, excerpt(body))
  end
  e.generation_id = class.id or headers["x-generation-id"]
  e.hint = e.hint or hint_for(e, ctx)
  return M.new(e)
end

return M
