-- openrouter.provider: checks a provider-routing table (OpenRouter's
-- ProviderPreferences) before it is sent.  The server rejects unknown keys
-- (additionalProperties: false) with a terse 400, or worse, silently routes
-- differently than asked; catching the mistake here lets the error name the
-- field, the path and the closest valid spelling.
--
--   local ok, err = provider.check(t, "provider")  --> true | nil, config error
--
-- JSON null (json.null) is accepted for every field: it means "unset", and
-- OpenRouter treats an explicit null the same way.

local each = require "openrouter.each"
local errors = require "openrouter.errors"
local json = require "openrouter.json"
local suggest = require "openrouter.suggest"

local M = {}

local null = json.null
-- The metatable json.object() puts on a table that must encode as {}.
local OBJECT_MT = getmetatable(json.object())

local SORTS = { "price", "throughput", "latency", "exacto" }
local PARTITIONS = { "model", "none" }
local DATA_COLLECTION = { "allow", "deny" }
local QUANTIZATIONS = {
  "int4", "int8", "fp4", "mxfp4", "nvfp4", "fp6", "fp8", "mxfp8",
  "fp16", "bf16", "fp32", "unknown",
}
local PERCENTILES = { "p50", "p75", "p90", "p99" }
local PRICES = { "prompt", "completion", "image", "audio", "request" }

-- A failed check: the config error, with the offending path attached so a
-- program can point at it without parsing the message.
local function fail(path, message, hint)
  local err = errors.config(message, hint)
  err.field = path
  return nil, err
end

-- "a string", "a number", … for "got …" in messages; json.null is "null".
local function describe(v)
  if v == null then return "null" end
  return type(v)
end

-- "'deny '" for strings (so stray spaces show), the type for anything else.
local function shown(v)
  if type(v) == "string" then return ("%q"):format(v) end
  return describe(v)
end

-- How a key appears in a path: .name for strings, [1] for anything else.
local function key_path(path, k)
  if type(k) == "string" then return path .. "." .. k end
  return ("%s[%s]"):format(path, tostring(k))
end

-- How a key appears in a message: 'name', or [1] for a list entry.
local function key_name(k)
  if type(k) == "string" then return "'" .. k .. "'" end
  return "[" .. tostring(k) .. "]"
end

local function quoted_list(list)
  local out = {}
  for i, v in ipairs(list) do out[i] = ("%q"):format(v) end
  if #out <= 1 then return out[1] or "" end
  return table.concat(out, ", ", 1, #out - 1) .. " or " .. out[#out]
end

local function in_list(v, list)
  for _, x in ipairs(list) do
    if x == v then return true end
  end
  return false
end

-- Keys of t in a stable order (strings first, then the rest), so that a
-- table with several mistakes always reports the same one first.
local function sorted_keys(t)
  local keys = {}
  for k in each(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta == "string" or (tb ~= "string" and ta < tb) end
    if ta == "string" or ta == "number" then return a < b end
    return tostring(a) < tostring(b)
  end)
  return keys
end

local function is_finite(n)
  return n == n and n ~= math.huge and n ~= -math.huge
end

-- One of the strings in `list`; otherwise an error naming the closest.
local function check_enum(v, path, list, hint)
  if type(v) ~= "string" then
    return fail(path, ("%s must be %s, got %s"):format(path, quoted_list(list), describe(v)), hint)
  end
  if in_list(v, list) then return true end
  -- Stray whitespace or capitals are the usual typo: suggest on the trimmed form too.
  local close = suggest.closest(v, list) or suggest.closest(v:match("^%s*(.-)%s*$"), list)
  return fail(path, ("%s must be %s, got %s%s"):format(path, quoted_list(list), shown(v),
    close and (" (did you mean %s?)"):format(close) or ""), hint)
end

local function check_boolean(v, path)
  if type(v) == "boolean" then return true end
  local hint
  if v == "true" or v == "false" or v == 0 or v == 1 then
    hint = "use the Lua booleans true / false, not strings or numbers"
  end
  return fail(path, ("%s must be a boolean, got %s"):format(path, shown(v)), hint)
end

local function check_number(v, path, hint)
  if type(v) ~= "number" then
    return fail(path, ("%s must be a number, got %s"):format(path, shown(v)), hint)
  end
  if not is_finite(v) or v < 0 then
    return fail(path, ("%s must be a number >= 0, got %s"):format(path, tostring(v)), hint)
  end
  return true
end

-- A number, or a string holding a plain decimal number ("0.5", "1e-6"):
-- OpenRouter's schema types prices as strings, and users write numbers.
local function check_price(v, path, hint)
  if type(v) == "string" then
    local s = v:match("^%s*(.-)%s*$")
    local n = s:match("^%d*%.?%d*[eE]?[-+]?%d*$") and tonumber(s)
    if n and is_finite(n) and n >= 0 then return true end
    return fail(path, ("%s must be a number or a numeric string, got %s"):format(path, shown(v)), hint)
  end
  return check_number(v, path, hint)
end

-- A Lua table used as a JSON array: keys 1..n and nothing else ({} is []).
local function check_array(v, path, hint)
  if type(v) ~= "table" then
    return fail(path, ("%s must be an array (a Lua list), got %s"):format(path, shown(v)), hint)
  end
  local n = 0
  for _ in each(v) do n = n + 1 end
  for i = 1, n do
    if v[i] == nil then
      local keys = sorted_keys(v)
      for _, k in ipairs(keys) do
        if type(k) ~= "number" or k < 1 or k > n or k ~= math.floor(k) then
          return fail(path, ("%s must be an array (a Lua list), but it has the key %s")
            :format(path, key_name(k)), hint)
        end
      end
    end
  end
  return n
end

-- An array of strings; each_ok(s, item_path) checks one item further.
local function check_string_array(v, path, hint, each_ok)
  local n, err = check_array(v, path, hint)
  if not n then return nil, err end
  for i = 1, n do
    local item, item_path = v[i], ("%s[%d]"):format(path, i)
    if type(item) ~= "string" then
      return fail(item_path, ("%s must be a string, got %s"):format(item_path, describe(item)), hint)
    end
    local ok, e = each_ok(item, item_path)
    if not ok then return nil, e end
  end
  return true
end

-- A table of named fields, each allowed one checked by check_value.
-- An empty plain table would encode as [] (see json.lua), which the server
-- rejects, so it is refused unless marked with json.object().
local function check_object(v, path, allowed, check_value, hint)
  local keys = sorted_keys(v)
  if #keys == 0 and getmetatable(v) ~= OBJECT_MT then
    return fail(path, ("%s is an empty table, which would be sent as []"):format(path),
      ("leave %s out, or give some of %s"):format(path, table.concat(allowed, ", ")))
  end
  for _, k in ipairs(keys) do
    local sub = key_path(path, k)
    if type(k) ~= "string" or not in_list(k, allowed) then
      return fail(sub, ("unknown field %s in %s%s"):format(key_name(k), path, suggest.hint(k, allowed)),
        hint or ("%s takes only %s"):format(path, table.concat(allowed, ", ")))
    end
    local value = v[k]
    if value ~= null then
      local ok, err = check_value(k, value, sub)
      if not ok then return nil, err end
    end
  end
  return true
end

-- Per-field checkers ---------------------------------------------------------

local SLUG_HINT = 'a list of provider slugs, e.g. { "anthropic", "deepinfra/turbo" }'

-- Slugs: non-empty, and no stray whitespace (it would never match a provider).
local function check_slug(s, path)
  if s == "" then
    return fail(path, path .. " is an empty string", SLUG_HINT)
  end
  local trimmed = s:match("^%s*(.-)%s*$")
  if trimmed ~= s then
    return fail(path, ("%s %s has surrounding whitespace (did you mean %q?)"):format(path, shown(s), trimmed),
      SLUG_HINT)
  end
  return true
end

local function slugs(v, path)
  return check_string_array(v, path, SLUG_HINT, check_slug)
end

local QUANT_HINT = "quantizations are " .. table.concat(QUANTIZATIONS, ", ")

local function quantizations(v, path)
  return check_string_array(v, path, QUANT_HINT, function(s, p)
    return check_enum(s, p, QUANTIZATIONS, QUANT_HINT)
  end)
end

local SORT_HINT = 'e.g. sort = "price", or sort = { by = "throughput", partition = "none" }'

local function sort(v, path)
  if type(v) == "string" then return check_enum(v, path, SORTS, SORT_HINT) end
  if type(v) ~= "table" then
    return fail(path, ("%s must be %s, or a table { by = …, partition = … }, got %s")
      :format(path, quoted_list(SORTS), describe(v)), SORT_HINT)
  end
  local ok, err = check_object(v, path, { "by", "partition" }, function(k, x, p)
    if k == "by" then return check_enum(x, p, SORTS, SORT_HINT) end
    return check_enum(x, p, PARTITIONS, SORT_HINT)
  end, SORT_HINT)
  if not ok then return nil, err end
  if v.by == nil or v.by == null then
    return fail(path .. ".by", ("%s.by is missing: a sort table needs by = %s"):format(path, quoted_list(SORTS)),
      SORT_HINT)
  end
  return true
end

-- A number (the p50) or percentile cut-offs; `unit` words the hint.
local function percentiles(unit)
  local hint = ("a number of %s (the p50), or a table of p50, p75, p90, p99"):format(unit)
  return function(v, path)
    if type(v) == "number" then return check_number(v, path, hint) end
    if type(v) ~= "table" then
      return fail(path, ("%s must be a number or a table of percentiles, got %s"):format(path, shown(v)), hint)
    end
    return check_object(v, path, PERCENTILES, function(_, x, p)
      return check_number(x, p, hint)
    end, hint)
  end
end

local PRICE_HINT = "max_price is in USD per million tokens, e.g. { prompt = 1, completion = 2 }"

local function max_price(v, path)
  if type(v) ~= "table" then
    return fail(path, ("%s must be a table of %s, got %s"):format(path, table.concat(PRICES, ", "), shown(v)),
      PRICE_HINT)
  end
  return check_object(v, path, PRICES, function(_, x, p)
    return check_price(x, p, PRICE_HINT)
  end, PRICE_HINT)
end

local function enum(list, hint)
  return function(v, path) return check_enum(v, path, list, hint) end
end

local CHECKS = {
  order = slugs,
  only = slugs,
  ignore = slugs,
  quantizations = quantizations,
  allow_fallbacks = check_boolean,
  require_parameters = check_boolean,
  zdr = check_boolean,
  enforce_distillable_text = check_boolean,
  data_collection = enum(DATA_COLLECTION,
    '"deny" routes only to providers that do not store or train on your data'),
  sort = sort,
  preferred_min_throughput = percentiles("tokens per second"),
  preferred_max_latency = percentiles("seconds"),
  max_price = max_price,
}

M.FIELDS = {}
for k in each(CHECKS) do M.FIELDS[#M.FIELDS + 1] = k end
table.sort(M.FIELDS)

local FIELD_HINT = "valid provider fields: " .. table.concat(M.FIELDS, ", ")

-- A list entry where a named field belongs: usually a list of slugs passed
-- as the whole provider table instead of as `order`.
local function positional(where, k, v)
  return fail(("%s[%s]"):format(where, tostring(k)),
    ("%s has a list entry [%s] = %s, but it is a table of named fields"):format(where, tostring(k), shown(v)),
    type(v) == "string" and ("did you mean %s = { order = { %q } }?"):format(where, v) or FIELD_HINT)
end

-- t: the provider table; where: how messages name it (default "provider").
function M.check(t, where)
  where = where or "provider"
  if type(t) ~= "table" then
    return fail(where, ("%s must be a table, got %s"):format(where, shown(t)),
      'e.g. provider = { order = { "anthropic" }, allow_fallbacks = false }')
  end
  for _, k in ipairs(sorted_keys(t)) do
    local v = t[k]
    if type(k) == "number" then return positional(where, k, v) end
    local check = CHECKS[k]
    if not check then
      return fail(key_path(where, k),
        ("unknown %s field %s%s"):format(where, key_name(k), suggest.hint(k, M.FIELDS)), FIELD_HINT)
    end
    if v ~= null then
      local ok, err = check(v, where .. "." .. k)
      if not ok then return nil, err end
    end
  end
  return true
end

return M
