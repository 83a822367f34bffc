-- examples/agent.lua -- a tool-calling agent in a few lines: run_tools does
-- the loop (ask, call the tools the model asks for, send their answers
-- back, ask again) until the model answers in text.
--   OPENROUTER_API_KEY=sk-or-... lua5.4 examples/agent.lua [model] [question]
-- Against the bundled fake server, model fake/tools calls both tools.
local openrouter = require "openrouter"

local model = arg[1] or os.getenv("OPENROUTER_MODEL") or "openai/gpt-4o-mini"
local question = arg[2] or "What is the weather in Paris, and what time is it there?"

local client = openrouter.new { model = model, app_title = "openrouter-lua agent example" }

local tools = {
  { type = "function", ["function"] = {
    name = "get_weather", description = "The current weather of a city",
    parameters = { type = "object", properties = { location = { type = "string" } },
                   required = { "location" } } } },
  { type = "function", ["function"] = {
    name = "get_time", description = "The local time in a time zone",
    parameters = { type = "object", properties = { tz = { type = "string" } },
                   required = { "tz" } } } },
}

-- Your code: here, canned answers.
local handlers = {
  get_weather = function(args) return { location = args.location, celsius = 18, sky = "sunny" } end,
  get_time = function(args) return os.date("!%H:%M UTC") .. " (asked for " .. tostring(args.tz) .. ")" end,
}

local res, err = client:run_tools({ prompt = question, tools = tools }, handlers, {
  on_call = function(name, args)              -- see each call (return false to refuse it)
    local shown = {}
    for k, v in pairs(args) do shown[#shown + 1] = ("%s=%s"):format(k, tostring(v)) end
    io.write(("-> %s(%s)\n"):format(name, table.concat(shown, ", ")))
  end,
  on_text = function(piece) io.write(piece) io.flush() end,
})
if not res then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
print(("\n[%d requests, %d messages]"):format(res.rounds, #res.messages))
