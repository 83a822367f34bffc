-- openrouter.json: JSON for the facade.  Decoding is the C core's
-- (csrc/binding/or_json.c: integers stay integers on Lua 5.3+, null is
-- json.null); encoding is here, in Lua, because requests need what the
-- lua-cjson that distributions ship gets wrong (empty tables, large
-- integers):
--   * a table whose keys are 1..n is an array; an empty table is `[]`
--     (`tools = {}`); json.object() marks a table as an object (`{}`);
--   * integers stay integers; NaN and infinities are refused;
--   * json.null encodes as null and is what decode gives for null (a light
--     userdata NULL, the same value as lua-cjson's cjson.null).

local core = require "openrouter.core"
local each = require "openrouter.each"

local M = {}

M.null = core.null

-- The value of a JSON text; raises "invalid JSON: … at byte N" otherwise.
function M.decode(text)
  local v, err = core.decode(text)
  if err then error(err, 2) end
  return v
end

-- whole() turns a whole float into an integer (a no-op on 5.1/LuaJIT,
-- which have no integers): numbers a user passes in, or that arrived as
-- 29.0; clean() does it through a table and drops JSON nulls, for the
-- tables a user reads directly (responses, usage, error metadata).
local tointeger = math.tointeger

-- v, or nil when it is JSON null.
function M.nonnull(v)
  if v ~= M.null then return v end
end

function M.whole(v)
  if tointeger and type(v) == "number" then return tointeger(v) or v end
  return v
end

function M.clean(v, depth)
  if v == M.null then return nil end
  if type(v) ~= "table" then return M.whole(v) end
  depth = depth or 0
  if depth > 64 then return v end
  for k, x in each(v) do
    if x == M.null then v[k] = nil
    elseif type(x) == "table" then M.clean(x, depth + 1)
    else v[k] = M.whole(x) end
  end
  return v
end

local object_mt = { __name = "openrouter.json.object" }
local array_mt = { __name = "openrouter.json.array" }

-- Mark t (default: a new table) to encode as a JSON object even when empty.
function M.object(t) return setmetatable(t or {}, object_mt) end
-- Mark t to encode as a JSON array.
function M.array(t) return setmetatable(t or {}, array_mt) end

local ESC = {
  ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
  ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t',
}
local function escape_char(c)
  return ESC[c] or ("\\u%04x"):format(c:byte())
end

local function encode_string(s)
  if not s:find('[%c"\\]') then return '"' .. s .. '"' end   -- nothing to escape: no copy
  return '"' .. s:gsub('[%c"\\]', escape_char) .. '"'
end

local math_type = math.type or function(n)
  if n == math.floor(n) and n > -2^53 and n < 2^53 then return "integer" end
  return "float"
end

local function encode_number(n, path)
  if n ~= n or n == math.huge or n == -math.huge then
    error(("%s is %s, which JSON cannot carry"):format(path, tostring(n)), 0)
  end
  if math_type(n) == "integer" then return ("%d"):format(n) end
  if n == math.floor(n) and n > -2^53 and n < 2^53 then return ("%.0f"):format(n) end
  return ("%.17g"):format(n)
end

-- Is t a sequence 1..n with nothing else?  Returns n, or nil.
local function array_length(t)
  local n = 0
  for _ in each(t) do n = n + 1 end
  for i = 1, n do
    if t[i] == nil then return nil end
  end
  return n
end

local encode_value

local function encode_table(t, path, depth, out)
  if depth > 64 then error(path .. " nests too deeply (a cycle?)", 0) end
  local mt = getmetatable(t)
  local n = mt ~= object_mt and array_length(t)
  if n and (n > 0 or mt ~= object_mt) then
    out[#out + 1] = "["
    for i = 1, n do
      if i > 1 then out[#out + 1] = "," end
      encode_value(t[i], path .. "[" .. i .. "]", depth + 1, out)
    end
    out[#out + 1] = "]"
    return
  end
  if mt == array_mt then error(path .. " is marked as an array but has non-sequence keys", 0) end
  out[#out + 1] = "{"
  local first = true
  for k, v in each(t) do
    local key
    if type(k) == "string" then key = k
    elseif type(k) == "number" then key = encode_number(k, path)
    else error(("%s has a %s key: JSON object keys are strings"):format(path, type(k)), 0) end
    if not first then out[#out + 1] = "," end
    first = false
    out[#out + 1] = encode_string(key)
    out[#out + 1] = ":"
    encode_value(v, path .. "." .. key, depth + 1, out)
  end
  out[#out + 1] = "}"
end

function encode_value(v, path, depth, out)
  local tv = type(v)
  if tv == "string" then out[#out + 1] = encode_string(v)
  elseif tv == "number" then out[#out + 1] = encode_number(v, path)
  elseif tv == "boolean" then out[#out + 1] = v and "true" or "false"
  elseif v == M.null then out[#out + 1] = "null"
  elseif tv == "table" then encode_table(v, path, depth, out)
  else
    error(("%s is a %s: only strings, numbers, booleans, tables and json.null can be sent")
      :format(path, tv), 0)
  end
end

-- Encode v; raises a string naming the offending path (`root` names v).
function M.encode(v, root)
  local out = {}
  encode_value(v, root or "value", 0, out)
  return table.concat(out)
end

return M
