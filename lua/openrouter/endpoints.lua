-- openrouter.endpoints: the GET endpoints of a client -- the model list and
-- the account (key, credits, one generation's cost).  client.lua installs
-- these functions as its methods.

local each = require "openrouter.each"
local errors = require "openrouter.errors"
local json = require "openrouter.json"
local suggest = require "openrouter.suggest"

local M = {}

local FILTERS = { free = "boolean", search = "string" }
local FILTER_NAMES = { "free", "search" }

-- The `data` table of an answer (JSON nulls dropped, whole numbers as
-- integers), or nil and what was wrong.
local function data_of(doc)
  if type(doc.data) == "table" then return json.clean(doc.data) end
  return nil, "the answer has no `data` object"
end

local function check_filter(filter)
  if filter == nil then return {} end
  if type(filter) ~= "table" then
    return nil, errors.config("models(filter): filter must be a table, got " .. type(filter),
      'e.g. client:models{ free = true } or client:models{ search = "llama" }')
  end
  for k, v in each(filter) do
    local want = FILTERS[k]
    if not want then
      return nil, errors.config(("models(filter): unknown filter %s%s")
        :format(tostring(k), suggest.hint(tostring(k), FILTER_NAMES)), "filters are: free, search")
    end
    if type(v) ~= want then
      return nil, errors.config(("models(filter): %s must be a %s, got %s"):format(k, want, type(v)))
    end
  end
  return filter
end

local function is_free(m)
  local p = type(m.pricing) == "table" and m.pricing or {}
  return tonumber(p.prompt) == 0 and tonumber(p.completion) == 0
end

local function matches(m, needle)
  for _, field in ipairs { "id", "name" } do
    local v = m[field]
    if type(v) == "string" and v:lower():find(needle, 1, true) then return true end
  end
  return false
end

-- GET /models -> array of model tables | nil, err.  Needs no key.
-- filter: { free = true } (prompt and completion both free),
--         { search = "llama" } (in id or name, case-insensitive).
function M.models(self, filter)
  local f, err = check_filter(filter)
  if not f then return nil, err end
  local call
  call, err = self:_prepare("GET", "/models", {}, false, true)
  if not call then return nil, err end
  local list
  list, err = self:_fetch(call, data_of)
  if not list then return nil, err end
  local ids = {}
  for i, m in ipairs(list) do ids[i] = type(m) == "table" and m.id or nil end
  self._model_ids = ids                 -- for "closest ids" hints on unknown models
  local needle = f.search and f.search:lower()
  local out = {}
  for _, m in ipairs(list) do
    if type(m) == "table" and (not f.free or is_free(m)) and (not needle or matches(m, needle)) then
      out[#out + 1] = m
    end
  end
  return out
end

local function get_data(self, path, configure)
  local call, err = self:_prepare("GET", path, {}, false)
  if not call then return nil, err end
  if configure then configure(call) end
  return self:_fetch(call, data_of)
end

-- GET /key -> data (limit, usage, is_free_tier, rate_limit…) | nil, err
function M.key(self)
  return get_data(self, "/key")
end

-- GET /credits -> data (total_credits, total_usage) | nil, err
function M.credits(self)
  return get_data(self, "/credits")
end

local function urlencode(s)
  return (s:gsub("[^%w%-._~]", function(c) return ("%%%02X"):format(c:byte()) end))
end

-- GET /generation?id=… -> data (cost, latency, tokens…) | nil, err.  The
-- record is written a moment after the call ends, so a 404 is retried as
-- "not ready yet" (within max_retries).
function M.generation(self, id)
  if type(id) ~= "string" or id == "" then
    return nil, errors.config("generation(id): id must be a generation id string, got " .. type(id),
      "use response.id, stream.id or err.generation_id (they look like gen-…)")
  end
  return get_data(self, "/generation?id=" .. urlencode(id), function(call)
    -- here a 404 means "not written yet": worth retrying (retry.lua decides)
    call.reclassify = function(err)
      if err.kind == "not_found" then
        err.retryable = true
        err.hint = "the generation record is written shortly after the request ends; retry in a moment"
      end
    end
  end)
end

return M
