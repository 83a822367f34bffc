-- openrouter.diagnose: client:diagnose([opts]) answers "why is OpenRouter
-- not working?" in one call.  Each check is {name, ok, detail, hint}; a
-- skipped one has ok = nil and a detail saying why.  Never raises and never
-- shows the key (only its masked form).

local core = require "openrouter.core"
local each = require "openrouter.each"
local result = require "openrouter.result"
local suggest = require "openrouter.suggest"

local M = {}

local Report = { __name = "openrouter.Report" }
Report.__index = Report

function Report:__tostring()
  local lines = {}
  local failed = 0
  for _, c in ipairs(self.checks) do
    local mark = c.ok == true and "[ok]  " or c.ok == false and "[FAIL]" or "[skip]"
    if c.ok == false then failed = failed + 1 end
    local line = ("%s %s: %s"):format(mark, c.name, c.detail or "")
    if c.hint and c.ok == false then line = line .. "\n         hint: " .. c.hint end
    lines[#lines + 1] = "  " .. line
  end
  table.insert(lines, 1, failed == 0 and "openrouter diagnose: all checks passed"
    or ("openrouter diagnose: %d problem%s"):format(failed, failed == 1 and "" or "s"))
  return table.concat(lines, "\n")
end

local OPTS = { model = "string", live = "boolean", timeout = "number" }

-- Routing variants are not catalog entries; catalog ones (:free …) are.
local ROUTING_SUFFIXES = { nitro = true, floor = true, exacto = true }

local function strip_routing(model)
  local base, variant = model:match("^(.-):([%w%-_]+)$")
  if base and ROUTING_SUFFIXES[variant] then return base end
  return model
end

local function money(v)
  return type(v) == "number" and ("$%.4f"):format(v) or "unlimited"
end

-- key: what the client tells of its key ({present, shaped, masked}).
local function check_key(key, add)
  if not key.present then
    add("api key", false, "no API key",
      "set OPENROUTER_API_KEY in the environment or pass api_key to openrouter.new")
    return false
  end
  if not key.shaped then
    add("api key", false, "the key (" .. key.masked .. ") does not look like an OpenRouter key",
      "OpenRouter keys start with sk-or-v1-; create one at https://openrouter.ai/settings/keys")
    return true
  end
  add("api key", true, "present (" .. key.masked .. ")")
  return true
end

-- GET /models: proves DNS, TLS and connect, and gives the ids to check.
local function check_reach(self, add)
  local models, err = self:models()
  if not models then
    add("base url", false, ("%s: %s"):format(self.base_url, err.message), err.hint)
    return nil
  end
  add("base url", true, ("%s answered (%d models)"):format(self.base_url, #models))
  return models
end

local function check_account(self, add, has_key, reached)
  if not has_key or not reached then
    local why = not has_key and "no API key" or "the base URL is not reachable"
    add("key accepted", nil, "skipped: " .. why)
    add("credits", nil, "skipped: " .. why)
    return false
  end
  local data, err = self:key()
  if not data then
    add("key accepted", false, err.message, err.hint)
    add("credits", nil, "skipped: the key was not accepted")
    return false
  end
  add("key accepted", true, ("label %s%s"):format(tostring(data.label),
    data.is_free_tier == true and ", free tier" or ""))
  local left = data.limit_remaining
  if type(left) == "number" and left <= 0 then
    add("credits", false, ("limit %s, usage %s: nothing left"):format(money(data.limit), money(data.usage)),
      "add credits at https://openrouter.ai/settings/credits or raise the key's limit")
    return false
  end
  add("credits", true, ("usage %s, remaining %s"):format(money(data.usage), money(left)))
  return true
end

-- How to run the checks that need a model, for a report that had none.
local HOW = 'give one: client:diagnose { model = "openai/gpt-4o-mini" }, or ' ..
            "lua5.4 examples/doctor.lua openai/gpt-4o-mini"

local function check_model(add, model, models)
  if not model then add("model", nil, "skipped: no model given; " .. HOW) return end
  if not models then add("model", nil, "skipped: the model list could not be fetched") return end
  local base = strip_routing(model)
  local ids = {}
  for _, m in ipairs(models) do
    if m.id == base then
      add("model", true, model .. (base ~= model and (" (listed as " .. base .. ")") or "") .. " is known")
      return true
    end
    ids[#ids + 1] = m.id
  end
  local close = suggest.closest_n(base, ids, 3)
  add("model", false, ("%s is not in the model list"):format(base),
    #close > 0 and ("did you mean " .. table.concat(close, ", ") .. "?")
      or "model ids have the form author/slug, e.g. openai/gpt-4o")
  return false
end

-- The probe asks for a few dozen tokens: enough text to see whether it
-- flows.  A model writes at most a few hundred tokens a second, so its
-- text spreads over many milliseconds; text that all arrives within
-- BUFFERED_SPREAD was held back and let go at once (a buffering proxy).
local PROBE = { prompt = "Count from 1 to 30, one number per line, nothing else.", max_tokens = 80 }
local BUFFERED_SPREAD = 0.005
local MIN_PIECES = 3

-- skip: why the probe cannot run (nil: it can)
local function check_live(self, add, model, opts, skip)
  if opts.live == false then add("live request", nil, "skipped: live = false") return end
  skip = skip or (not model and "no model to ask; " .. HOW)
  if skip then add("live request", nil, "skipped: " .. skip) return end
  local s, err = self:stream { model = model, prompt = PROBE.prompt, max_tokens = PROBE.max_tokens,
                               max_retries = 0, timeout = opts.timeout }
  local first, last, pieces = nil, nil, 0
  if s then
    repeat
      local chunk, e = s:next()
      if chunk and result.content(chunk) then
        last = core.now()
        first = first or last
        pieces = pieces + 1
      end
      err = e
    until chunk == nil
  end
  if err and err.kind == "budget" then       -- the client's max_cost: not a failure of the path
    add("live request", nil, "skipped: " .. err.message, err.hint)
    add("streaming", nil, "skipped: no live request")
    return
  end
  if err then
    add("live request", false, err.message, err.hint)
    add("streaming", nil, "skipped: the live request failed")
    return
  end
  local info = s:info()
  add("live request", true, ("%s served by %s; first byte after %.2f s"):format(
    tostring(s.model), tostring(s.provider), info.first_byte or info.elapsed or 0))
  if pieces < MIN_PIECES then
    add("streaming", nil, ("skipped: the answer came in %d piece%s of text, too few to judge")
      :format(pieces, pieces == 1 and "" or "s"))
  elseif last - first < BUFFERED_SPREAD then
    add("streaming", false, ("all %d pieces of text arrived at once (within %.1f ms)")
      :format(pieces, (last - first) * 1000),
      "something between you and OpenRouter buffers the stream (a proxy?); text will only show at the end")
  else
    add("streaming", true, ("%d pieces of text over %.0f ms"):format(pieces, (last - first) * 1000))
  end
end

-- client:diagnose(opts), for client.lua: key = {present, shaped, masked}.
function M.run(self, opts, key)
  local report = setmetatable({ ok = true, checks = {} }, Report)
  local function add(name, ok, detail, hint)
    report.checks[#report.checks + 1] = { name = name, ok = ok, detail = detail, hint = hint }
    if ok == false then report.ok = false end
  end
  if opts ~= nil and type(opts) ~= "table" then
    add("options", false, "diagnose(opts): opts must be a table, got " .. type(opts))
    return report
  end
  opts = opts or {}
  for k, v in each(opts) do
    if OPTS[k] == nil or type(v) ~= OPTS[k] then
      local why = OPTS[k] == nil and "unknown option" .. suggest.hint(tostring(k), { "model", "live", "timeout" })
        or ("must be a %s, got %s"):format(OPTS[k], type(v))
      add("options", false, ("diagnose(opts): %s: %s"):format(tostring(k), why),
        "options are: model (string), live (boolean), timeout (number)")
      return report
    end
  end
  local started = core.now()
  local has_key = check_key(key, add)
  local models = check_reach(self, add)
  check_account(self, add, has_key, models ~= nil)
  local model = opts.model or self.model
  check_model(add, model, models)
  check_live(self, add, model, opts, not has_key and "no API key"
    or not models and "the base URL is not reachable" or nil)
  report.elapsed = core.now() - started
  return report
end

return M
