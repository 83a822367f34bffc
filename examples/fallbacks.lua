-- examples/fallbacks.lua -- routing and fallbacks as plain Lua tables.
--   OPENROUTER_API_KEY=sk-or-... lua5.4 examples/fallbacks.lua
-- Try Claude, then GPT-4o; prefer Together then Fireworks; never a provider
-- that keeps data; cheapest first.  Prints who actually answered.
local openrouter = require "openrouter"

local client = openrouter.new {
  model = os.getenv("OPENROUTER_MODEL") or "anthropic/claude-sonnet-4.5",
  fallbacks = { "openai/gpt-4o" },                       -- becomes models = { model, "openai/gpt-4o" }
  provider = { data_collection = "deny" },               -- for every request of this client
  app_title = "openrouter-lua fallbacks example",
}

local res, err = client:chat {
  prompt = "In one sentence: why do fallbacks matter?",
  provider = {                                           -- merged over the client's
    order = { "together", "fireworks" },
    allow_fallbacks = true,
    sort = "price",
  },
  max_tokens = 60,
}
if not res then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
print(res.text)
print(("[answered by %s via %s; %s tokens]"):format(tostring(res.model), tostring(res.provider),
  tostring(res.usage and res.usage.total_tokens)))

-- A typo is caught before anything is sent:
local _, typo = client:chat { prompt = "x", provider = { alow_fallbacks = false } }
print(tostring(typo))
