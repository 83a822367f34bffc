-- openrouter.request: a user's request table -> the JSON body OpenRouter
-- expects.  The caller's table is never modified: the body is a copy.

local each = require "openrouter.each"
local errors = require "openrouter.errors"
local json = require "openrouter.json"
local provider = require "openrouter.provider"
local suggest = require "openrouter.suggest"

local M = {}

-- Fields of ours that never go on the wire.
local LOCAL = {
  prompt = true, system = true, variant = true, fallbacks = true, headers = true,
  timeout = true, idle_timeout = true, first_token_timeout = true, max_retries = true,
  schema = true, schema_name = true,
}

-- The fields OpenRouter documents (OPENROUTER.md 2.1, 2.3) and ours: an
-- unknown field passes through unchanged, unless it is a near miss of one
-- of these (one or two edits, two letters swapped) -- a typo that would
-- otherwise go out silently (`promt`, `max_token`, `temprature`).
local DOCUMENTED = {
  "model", "messages", "prompt", "stream", "stream_options", "max_tokens",
  "max_completion_tokens", "temperature", "top_p", "top_k", "frequency_penalty",
  "presence_penalty", "repetition_penalty", "min_p", "top_a", "seed", "stop", "logit_bias",
  "logprobs", "top_logprobs", "tools", "tool_choice", "parallel_tool_calls", "response_format",
  "prediction", "user", "modalities", "reasoning_effort", "verbosity", "service_tier",
  "metadata", "n", "models", "route", "provider", "plugins", "reasoning", "include_reasoning",
  "usage", "transforms", "debug", "session_id", "cache_control", "prompt_cache_key",
  "prompt_cache_options", "web_search_options", "image_config", "trace",
  "stop_server_tools_when",
}
local KNOWN = {}
for _, name in ipairs(DOCUMENTED) do KNOWN[name] = true end
for name in each(LOCAL) do
  if not KNOWN[name] then
    KNOWN[name] = true
    DOCUMENTED[#DOCUMENTED + 1] = name
  end
end
table.sort(DOCUMENTED)

-- nil, or the config error for a field that is a near miss of a known one.
local function near_miss(k)
  if type(k) ~= "string" or KNOWN[k] then return nil end
  local meant = suggest.closest(k, DOCUMENTED, 2)
  if not meant then return nil end
  local err = errors.config(("unknown request field '%s' (did you mean %s?)"):format(k, meant),
    ("a field OpenRouter does not know is sent as it is; if '%s' is what you mean, "):format(meant) ..
    "rename the field")
  err.field = k
  return err
end

local function shallow_copy(t)
  local c = {}
  for k, v in each(t) do c[k] = v end
  return c
end

-- `schema` (a JSON schema as a table; `schema_name`, default "output") as
-- OpenRouter's structured-output request, or nil and a config error.
local function response_format(req)
  if type(req.schema) ~= "table" then
    return nil, errors.config("'schema' must be a JSON schema as a table, got " .. type(req.schema))
  end
  if req.response_format ~= nil then
    return nil, errors.config("give either schema or response_format, not both",
      "schema = {…} is sent as response_format = { type = \"json_schema\", … }")
  end
  local name = req.schema_name or "output"
  if type(name) ~= "string" or not name:match("^[%w_%-]+$") then
    return nil, errors.config("'schema_name' must be a name of letters, digits, _ or -, got " ..
                              tostring(name))
  end
  return { type = "json_schema", json_schema = { name = name, strict = true, schema = req.schema } }
end

-- The conversation a request starts with: its messages (a new array: the
-- caller's is not modified), or those its prompt / system stand for.  Or
-- nil and a config error.
function M.messages(req)
  if req.prompt ~= nil or req.system ~= nil then
    if req.messages ~= nil then
      return nil, errors.config("give either messages or prompt/system, not both")
    end
    for _, k in ipairs { "prompt", "system" } do
      if req[k] ~= nil and type(req[k]) ~= "string" then
        return nil, errors.config(("'%s' must be a string, got %s"):format(k, type(req[k])))
      end
    end
    local messages = {}
    if req.system then messages[#messages + 1] = { role = "system", content = req.system } end
    if req.prompt then messages[#messages + 1] = { role = "user", content = req.prompt } end
    return messages
  end
  if type(req.messages) ~= "table" then
    return nil, errors.config("the request has no messages",
      'pass messages = { { role = "user", content = "…" } }, or prompt = "…"')
  end
  local messages = {}
  for i, m in ipairs(req.messages) do messages[i] = m end
  return messages
end

-- defaults: the client's {model=, provider=, fallbacks=}.
-- Returns the body table, or nil and a config error.
function M.body(defaults, req, streaming)
  if type(req) ~= "table" then
    return nil, errors.config("the request must be a table, got " .. type(req),
      'e.g. client:chat{ model = "openai/gpt-4o", prompt = "Hello" }')
  end
  if req.providers ~= nil then
    return nil, errors.config("unknown request field 'providers' (did you mean provider?)",
      "routing preferences go in `provider = { order = {...}, ... }`")
  end
  local body = {}
  for k, v in each(req) do
    local miss = near_miss(k)
    if miss then return nil, miss end
    if not LOCAL[k] then body[k] = v end
  end
  body.model = req.model or defaults.model
  if body.model ~= nil and (type(body.model) ~= "string" or body.model == "") then
    return nil, errors.config(("'model' must be a model id string, got %s"):format(
      type(body.model) == "string" and "an empty string" or type(body.model)),
      'model ids have the form author/slug, e.g. "openai/gpt-4o"')
  end
  if req.variant ~= nil then
    if type(req.variant) ~= "string" or not req.variant:match("^[%w%-_.]+$") then
      return nil, errors.config("'variant' must be a name such as \"nitro\" or \"free\"")
    end
    if type(body.model) ~= "string" then
      return nil, errors.config("'variant' needs a model to apply to")
    end
    body.model = body.model .. ":" .. req.variant
  end
  if req.prompt ~= nil or req.system ~= nil or req.messages == nil then
    local messages, merr = M.messages(req)
    if not messages then return nil, merr end
    body.messages = messages
  end
  local fallbacks = req.fallbacks or defaults.fallbacks
  if fallbacks ~= nil then
    if type(fallbacks) ~= "table" then
      return nil, errors.config("'fallbacks' must be an array of model ids")
    end
    local models = { body.model }
    for i, m in ipairs(fallbacks) do
      if type(m) ~= "string" then
        return nil, errors.config(("fallbacks[%d] must be a model id string"):format(i))
      end
      models[#models + 1] = m
    end
    body.models = models
  end
  if req.provider ~= nil and req.provider ~= json.null then
    local ok, perr = provider.check(req.provider, "provider")
    if not ok then return nil, perr end
  end
  -- the client's routing defaults, under the request's own keys; always
  -- an object on the wire, even when empty
  if req.provider ~= json.null and (defaults.provider ~= nil or req.provider ~= nil) then
    local merged = json.object(shallow_copy(defaults.provider or {}))
    for k, v in each(req.provider or {}) do merged[k] = v end
    body.provider = merged
  end
  if req.schema ~= nil then
    local format, ferr = response_format(req)
    if not format then return nil, ferr end
    body.response_format = format
  end
  if streaming then body.stream = true else body.stream = nil end
  return body
end


-- The body of POST /embeddings: the request's fields (ours left out), the
-- client's model when it names none.  Or nil and a config error.
function M.embeddings_body(defaults, req)
  if type(req) ~= "table" then
    return nil, errors.config("client:embed expects a table, got " .. type(req),
      'e.g. client:embed{ model = "openai/text-embedding-3-small", input = { "a", "b" } }')
  end
  local input = req.input
  local ok = type(input) == "string" or (type(input) == "table" and #input > 0)
  for i = 1, type(input) == "table" and #input or 0 do
    if type(input[i]) ~= "string" then ok = false end
  end
  if not ok then
    return nil, errors.config("'input' must be a string or a non-empty array of strings, got " ..
                              type(input))
  end
  local body = {}
  for k, v in each(req) do
    if not LOCAL[k] then body[k] = v end
  end
  body.model = req.model or defaults.model
  if type(body.model) ~= "string" or body.model == "" then
    return nil, errors.config("embeddings need a model",
      'e.g. model = "openai/text-embedding-3-small" (in the request or the client)')
  end
  return body
end

-- The body as JSON text, or nil and a config error naming the bad field.
function M.encode(body)
  local ok, text = pcall(json.encode, body, "request")
  if not ok then return nil, errors.config(text) end
  return text
end

return M
