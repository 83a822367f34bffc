-- openrouter.client: openrouter.new(opts) and the requests of a client.
-- Options are checked once, here; a bad one is a `config` error that says
-- what was wrong and how to fix it.

local core = require "openrouter.core"
local diagnose = require "openrouter.diagnose"
local each = require "openrouter.each"
local endpoints = require "openrouter.endpoints"
local errors = require "openrouter.errors"
local loop = require "openrouter.loop"
local output = require "openrouter.output"
local provider = require "openrouter.provider"
local request = require "openrouter.request"
local response = require "openrouter.response"
local retry = require "openrouter.retry"
local slots = require "openrouter.slots"
local spend = require "openrouter.spend"
local suggest = require "openrouter.suggest"
local Stream = require "openrouter.stream"
local tools = require "openrouter.tools"
local trace = require "openrouter.trace"

local Client = { __name = "openrouter.Client" }
Client.__index = Client

-- The key lives here, not in a field, so dumping a client never shows it;
-- only this file reads it (for the Authorization header, for scrubbing,
-- and for the facts diagnose reports).
local secrets = setmetatable({}, { __mode = "k" })

local DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"

local OPTION_TYPES = {
  api_key = "string", base_url = "string", app_url = "string", app_title = "string",
  model = "string", provider = "table", fallbacks = "table", headers = "table",
  timeout = "number", connect_timeout = "number", idle_timeout = "number",
  first_token_timeout = "number", max_retries = "number", allow_insecure = "boolean",
  proxy = "string", ca_file = "string", max_event = "number", max_body = "number",
  max_cost = "number", max_concurrent = "number",
  trace = "function",
}
local OPTION_NAMES = {}
for k in each(OPTION_TYPES) do OPTION_NAMES[#OPTION_NAMES + 1] = k end
table.sort(OPTION_NAMES)

local DEFAULTS = { timeout = 600, connect_timeout = 10, idle_timeout = 120, max_retries = 2 }

local USER_AGENT = ("openrouter-lua/%s (%s; %s)"):format(
  core.VERSION, _VERSION, (core.curl_version:match("^(%S+)") or "libcurl"))

local function raise(message, hint)
  error(errors.config(message, hint), 3)
end

local function is_loopback(host)
  host = host:lower()
  return host == "localhost" or host == "[::1]" or host:match("^127%.%d+%.%d+%.%d+$") ~= nil
end

-- "https://host[:port]/path" -> the URL without a trailing slash, and its
-- host; or raise.  `from`: where the URL came from, named in the message
-- ("base_url", or the environment variable).
local function check_base_url(url, allow_insecure, from)
  local scheme, authority = url:match("^(%a[%w+.-]*)://([^/?#%s]+)")
  scheme = scheme and scheme:lower()
  if (scheme ~= "http" and scheme ~= "https") or url:find("%s") then
    raise(("%s must be an http(s) URL, got %q"):format(from, url),
      "e.g. " .. DEFAULT_BASE_URL)
  end
  local host = authority:gsub("^.*@", "")
  host = host:match("^(%[.-%])") or host:match("^([^:]+)")
  if scheme == "http" and not allow_insecure and not is_loopback(host or "") then
    raise(("%s %q sends the API key unencrypted"):format(from, url),
      "use https://, or pass allow_insecure = true if you really mean it")
  end
  return (url:gsub("/+$", "")), host
end

-- A proxy option: "[scheme://][user:pass@]host[:port]" with a scheme
-- libcurl knows, or raise (libcurl would fail every request instead).
local PROXY_SCHEMES = { http = true, https = true, socks4 = true, socks4a = true,
                        socks5 = true, socks5h = true }
local function check_proxy(p)
  local scheme, rest = p:match("^(%a[%w+.-]*)://(.*)$")
  if not scheme then rest = p end
  if p:find("[%s%c]") or (scheme and not PROXY_SCHEMES[scheme:lower()]) or
     not rest:match("^[^/?#]*[%w%]]") then
    raise(("proxy must be a proxy URL such as http://proxy.example:3128, got %q"):format(p),
      "schemes: http, https, socks4, socks4a, socks5, socks5h")
  end
end

-- The proxy a request to `host` goes through, as libcurl picks it (the
-- option, else the environment), without credentials: for hints.
local function proxy_in_use(option, https, host)
  local p = option
  if not p then
    p = https and (os.getenv("https_proxy") or os.getenv("HTTPS_PROXY")) or
        (not https and os.getenv("http_proxy")) or nil
    p = p or os.getenv("all_proxy") or os.getenv("ALL_PROXY")
    local no = os.getenv("no_proxy") or os.getenv("NO_PROXY") or ""
    for entry in no:gmatch("[^,%s]+") do
      entry = entry:gsub("^%.", ""):lower()
      if entry == "*" or host == entry or host:sub(-#entry - 1) == "." .. entry then p = nil end
    end
  end
  if p == nil or p == "" then return nil end
  return (p:gsub("^(%a[%w+.-]*://)[^/@]*@", "%1"):gsub("^[^/@]*@", ""))
end

local TOKEN = "^[!#$%%&'*+%-.^_`|~%w]+$"

-- { Name = "value" } -> { "Name: value" } (sorted), or nil and a config
-- error.  `what` names the table in messages ("headers", "request headers").
local function header_lines(headers, what)
  if type(headers) ~= "table" then
    return nil, errors.config(("%s must be a table of name = value, got %s"):format(what, type(headers)))
  end
  local list = {}
  for name, value in each(headers) do
    if type(name) ~= "string" or not name:match(TOKEN) then
      return nil, errors.config(("%s: header name %s is not a valid HTTP token"):format(what, tostring(name)))
    end
    if type(value) == "number" then value = tostring(value) end
    if type(value) ~= "string" then
      return nil, errors.config(("%s: header %s must be a string, got %s"):format(what, name, type(value)))
    end
    if value:find("[\r\n%z]") then
      return nil, errors.config(("%s: header %s contains CR, LF or NUL"):format(what, name),
        "a header value is one line; remove the line breaks")
    end
    list[#list + 1] = name .. ": " .. value
  end
  table.sort(list)
  return list
end

-- The client's header lines with the request's over them (the request
-- wins for a name both have, whatever its case).
local function merge_headers(base, own)
  local taken, out = {}, {}
  for _, line in ipairs(own) do taken[line:match("^([^:]+)"):lower()] = true end
  for _, line in ipairs(base) do
    if not taken[line:match("^([^:]+)"):lower()] then out[#out + 1] = line end
  end
  for _, line in ipairs(own) do out[#out + 1] = line end
  return out
end

-- The largest max_event / max_body the core takes (4 GiB - 1).
local MAX_LIMIT = 4294967295

local function check_number(opts, name, min_exclusive)
  local v = opts[name]
  if v ~= nil and not (v > min_exclusive and v < math.huge) then
    raise(("%s must be a number of seconds > %s, got %s"):format(name, min_exclusive, tostring(v)))
  end
end

-- openrouter.new(opts): a client (the module's constructor, not a method).
local function new(opts)
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then raise("openrouter.new expects a table of options, got " .. type(opts)) end
  for k, v in each(opts) do
    local want = OPTION_TYPES[k]
    if not want then
      raise(("unknown option %s%s"):format(tostring(k), suggest.hint(tostring(k), OPTION_NAMES)),
        "options are: " .. table.concat(OPTION_NAMES, ", "))
    end
    if type(v) ~= want then
      raise(("option %s must be a %s, got %s"):format(k, want, type(v)))
    end
  end
  for _, name in ipairs { "timeout", "connect_timeout", "idle_timeout", "first_token_timeout" } do
    check_number(opts, name, 0)
  end
  local retries = opts.max_retries
  if retries ~= nil and (retries < 0 or retries ~= math.floor(retries) or retries > 100) then
    raise("max_retries must be a whole number from 0 to 100, got " .. tostring(retries))
  end
  if opts.max_cost ~= nil and not (opts.max_cost > 0 and opts.max_cost < math.huge) then  -- luacheck: ignore 581 (NaN)
    raise("max_cost must be a number of USD > 0, got " .. tostring(opts.max_cost))
  end
  local limit = opts.max_concurrent
  local whole = limit ~= nil and limit >= 1 and limit == math.floor(limit) and limit < math.huge
  if limit ~= nil and not whole then
    raise("max_concurrent must be a whole number >= 1, got " .. tostring(limit))
  end
  for _, name in ipairs { "max_event", "max_body" } do
    local v = opts[name]
    if v ~= nil and not (v >= 1024 and v <= MAX_LIMIT and v == math.floor(v)) then  -- luacheck: ignore 581 (NaN)
      raise(("%s must be a whole number of bytes from 1024 to %d, got %s"):format(name, MAX_LIMIT, tostring(v)))
    end
  end
  if opts.provider ~= nil then
    local ok, err = provider.check(opts.provider, "provider")
    if not ok then error(err, 2) end
  end
  if opts.fallbacks ~= nil then
    for i, m in ipairs(opts.fallbacks) do
      if type(m) ~= "string" then raise(("fallbacks[%d] must be a model id string, got %s"):format(i, type(m))) end
    end
  end
  if opts.proxy ~= nil then check_proxy(opts.proxy) end
  local self = setmetatable({}, Client)
  local env_url = os.getenv("OPENROUTER_BASE_URL")
  if env_url == "" then env_url = nil end
  local host
  self.base_url, host = check_base_url(opts.base_url or env_url or DEFAULT_BASE_URL,
    opts.allow_insecure, opts.base_url and "base_url" or env_url and "OPENROUTER_BASE_URL" or "base_url")
  self._proxy = proxy_in_use(opts.proxy, self.base_url:match("^https:") ~= nil, host:lower())
  for _, k in ipairs { "model", "provider", "fallbacks", "app_url", "app_title", "proxy",
                       "ca_file", "max_event", "max_body", "first_token_timeout" } do
    self[k] = opts[k]
  end
  for k, v in each(DEFAULTS) do self[k] = opts[k] or v end
  local extra, herr = header_lines(opts.headers or {}, "headers")
  if not extra then error(herr, 2) end
  for _, k in ipairs { "app_url", "app_title" } do
    if self[k] and self[k]:find("[\r\n%z]") then raise(k .. " contains CR, LF or NUL") end
  end
  self._headers = extra
  self._ledger = spend.new(opts.max_cost)
  self._slots = slots.new(opts.max_concurrent)
  self._trace = opts.trace or (os.getenv("OPENROUTER_TRACE") == "1" and trace.stderr) or nil
  local key = opts.api_key or os.getenv("OPENROUTER_API_KEY")
  if key == "" then key = nil end
  if key and key:find("[\r\n%z]") then
    if opts.api_key then
      raise("api_key contains a line break (CR, LF) or NUL",
        'strip it: api_key = key:gsub("%s+$", "")')
    end
    raise("OPENROUTER_API_KEY contains a line break (CR, LF) or NUL",
      "strip the trailing newline: export OPENROUTER_API_KEY=\"$(tr -d '\\r\\n' < keyfile)\"")
  end
  secrets[self] = key
  self._key_from = opts.api_key and "api_key" or "OPENROUTER_API_KEY"
  return self
end

-- "sk-or-…abcd": enough to tell keys apart, useless to anyone else.
local function mask(key)
  if not key then return "no key" end
  local prefix = key:match("^sk%-or%-") and "sk-or-" or ""
  if #key < 16 then return prefix .. "…" end
  return prefix .. "…" .. key:sub(-4)
end

function Client:__tostring()
  return ("openrouter.Client (%s, key %s)"):format(self.base_url, mask(secrets[self]))
end

-- The request headers, in a fixed order (the key only here; none for a
-- public endpoint asked without a key); extra: the client's own and the
-- request's header lines.
function Client:_request_headers(key, streaming, extra)
  local h = {
    "Content-Type: application/json",
    streaming and "Accept: text/event-stream" or "Accept: application/json",
  }
  if key then table.insert(h, 1, "Authorization: Bearer " .. key) end
  if self.app_url then h[#h + 1] = "HTTP-Referer: " .. self.app_url end
  if self.app_title then
    h[#h + 1] = "X-OpenRouter-Title: " .. self.app_title
    h[#h + 1] = "X-Title: " .. self.app_title
  end
  for _, line in ipairs(extra) do h[#h + 1] = line end
  return h
end

local NO_KEY_HINT = "set OPENROUTER_API_KEY in the environment or pass api_key to openrouter.new"

local function positive(name, v)
  if type(v) ~= "number" or not (v > 0 and v < math.huge) then
    return nil, errors.config(("%s must be a number of seconds > 0, got %s"):format(name, tostring(v)))
  end
  return v
end

-- A prepared call: everything needed to send a request, and to send it
-- again on a retry.  Returns the call, or nil and a config error.
--   method, path: the HTTP request; req: per-request overrides (and, for
--   POST, the request table); streaming: an SSE answer is wanted;
--   keyless: the endpoint is public (GET /models), a key is optional;
--   build: the POST body's builder (default request.body, a chat's).
function Client:_prepare(method, path, req, streaming, keyless, build)
  local key = secrets[self]
  if not key and not keyless then return nil, errors.config("no API key", NO_KEY_HINT) end
  local text, body, err
  if method == "POST" then
    body, err = (build or request.body)(self, req, streaming)
    if not body then return nil, err end
    text, err = request.encode(body)
    if not text then return nil, err end
  end
  local timeout, idle, first
  timeout, err = positive("timeout", req.timeout or self.timeout)
  if not timeout then return nil, err end
  idle, err = positive("idle_timeout", req.idle_timeout or self.idle_timeout)
  if not idle then return nil, err end
  first = req.first_token_timeout or self.first_token_timeout
  if first ~= nil then
    first, err = positive("first_token_timeout", first)
    if not first then return nil, err end
  end
  local retries = req.max_retries or self.max_retries
  if type(retries) ~= "number" or retries < 0 or retries ~= math.floor(retries) then
    return nil, errors.config("max_retries must be a whole number >= 0, got " .. tostring(retries))
  end
  local extra = self._headers
  if req.headers ~= nil then
    local own
    own, err = header_lines(req.headers, "request headers")
    if not own then return nil, err end
    extra = merge_headers(extra, own)
  end
  local client = self
  return {
    spec = {
      url = self.base_url .. path, method = method, body = text, stream = streaming,
      headers = self:_request_headers(key, streaming, extra), user_agent = USER_AGENT,
      connect_timeout = self.connect_timeout, timeout = timeout, idle_timeout = idle,
      first_token_timeout = streaming and first or nil,
      max_event = self.max_event, max_body = self.max_body, proxy = self.proxy,
      ca_file = self.ca_file,
    },
    ctx = {
      model = body and body.model, provider = body and body.provider,
      suggest = function(model) return client:_closest_models(model) end,
      key_shaped = key ~= nil and key:match("^sk%-or%-") ~= nil, key_from = self._key_from,
      base_url = self.base_url, proxy = self._proxy, max_event = self.max_event,
      max_body = self.max_body,
    },
    secret = key,
    paid = method == "POST",               -- chat, stream, embed: max_cost applies
    structured = method == "POST" and req.schema ~= nil,   -- the answer is to be decoded
    ledger = self._ledger,                 -- where a stream's usage is counted
    retries = retries,
    attempt = 0,
    trace = self._trace,
    masked = self._trace and mask(key),
  }
end

-- Up to three known model ids close to `model` (from the last
-- client:models() list), or nil when no list is known yet.
function Client:_closest_models(model)
  return self._model_ids and suggest.closest_n(model, self._model_ids, 3)
end

local function wait_finished(x)
  while not x:state() do loop.wait() end
end

-- Send a call whose answer is one JSON body, with retries.
local function fetch(self, call, shape)
  while true do
    trace.request(call)
    local x = core.request(call.spec)
    wait_finished(x)
    if x:status() then trace.response(call, x) end
    local doc
    local err = response.transport_error(x, false, call.ctx)
    if not err then doc, err = response.decode(x, call.ctx) end
    if doc then
      self._ledger:add(doc.usage)
      local value, serr = shape(doc, x)
      x:close()
      if value == nil then
        err = errors.is(serr) and serr or errors.new { kind = "protocol", status = x:status(), message = serr }
        trace.done(call, err)
        return nil, err
      end
      trace.done(call)
      return value
    end
    x:close()
    if call.reclassify then call.reclassify(err) end
    local wait = retry.wait(call, err)
    if not wait then
      trace.done(call, err)
      return nil, err
    end
    trace.retry(call, err, wait)
    loop.sleep(wait)
  end
end

-- A call whose answer is one JSON body: admitted (a slot, the budget),
-- sent with retries, its slot given back.  shape(doc, x) makes the
-- caller's value of the decoded body (or nil and what was missing: a
-- protocol error, or an error object).  call.reclassify(err), when given,
-- adjusts what an error means for this endpoint.  -> value | nil, err
function Client:_fetch(call, shape)
  local give, holder = self:_admit(call.paid)
  if not give then return nil, holder end
  local value, err = fetch(self, call, shape)
  give(holder)                              -- (holder: kept alive until here)
  return value, err
end

-- Admission of a request: a slot (max_concurrent), then, for a paid one
-- (the POSTs: chat, stream, embed), the budget (max_cost), checked once the
-- slot is ours, so that what others spent meanwhile counts.  Nothing is
-- sent before.  Returns the slot's release and the object to keep while
-- it is held (its collection releases it too), or nil, err.
function Client:_admit(paid)
  local give, guard = self._slots:acquire()
  if not give then return nil, guard end
  local err = paid and self._ledger:refusal()
  if err then
    give()
    return nil, err
  end
  return give, guard
end

-- A chat answer with `schema`: decoded (response.parsed), or an output error.
local function structured_chat(doc, x)
  return output.parse(response.chat(doc, x), "response")
end

-- POST /chat/completions -> response | nil, err
local function chat(self, req)
  local call, err = self:_prepare("POST", "/chat/completions", req, false)
  if not call then return nil, err end
  return self:_fetch(call, call.structured and structured_chat or response.chat)
end

-- The same with stream = true; returns once the status is known.
local function stream(self, req)
  local call, err = self:_prepare("POST", "/chat/completions", req, true)
  if not call then return nil, err end
  local give, guard = self:_admit(true)
  if not give then return nil, guard end
  local s = Stream._create(call, give, guard)
  while true do
    local ok
    ok, err = s:_open()
    if ok then return s end
    if ok == nil then return nil, err end
    loop.wait(s._retry_at)
  end
end

-- POST /embeddings: the decoded body plus response.vectors and usage.
local function embed(self, req)
  local call, err = self:_prepare("POST", "/embeddings", req, false, false, request.embeddings_body)
  if not call then return nil, err end
  local inputs = type(req.input) == "string" and 1 or #req.input
  return self:_fetch(call, function(doc, x) return response.embeddings(doc, x, inputs) end)
end

-- The public methods.  Every error they hand out leaves with this
-- client's key scrubbed from it: the one place that happens for a client
-- (streams do the same for theirs).
local function scrubbed(key, ...)
  local err = select(2, ...)
  if err ~= nil then errors.scrub(err, key) end
  return ...
end

local function public(method)
  return function(self, ...)
    return scrubbed(secrets[self], method(self, ...))
  end
end

Client.chat = public(chat)
Client.stream = public(stream)
Client.embed = public(embed)
Client.run_tools = public(tools.run)
Client.models = public(endpoints.models)
Client.key = public(endpoints.key)
Client.credits = public(endpoints.credits)
Client.generation = public(endpoints.generation)

-- What this client's answers cost so far: { cost = USD, prompt_tokens,
-- completion_tokens, requests } (those that reported usage).
function Client:spent()
  return self._ledger:totals()
end

-- What diagnose may know of the key: whether there is one, whether it is
-- shaped like an OpenRouter key, and its masked form.
function Client:diagnose(opts)
  local key = secrets[self]
  local facts = { present = key ~= nil, shaped = key ~= nil and key:match("^sk%-or%-") ~= nil,
                  masked = mask(key) }
  return errors.scrub(diagnose.run(self, opts, facts), key)
end

return { new = new }
