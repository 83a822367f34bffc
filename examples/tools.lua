-- examples/tools.lua -- a tool-call round trip: the model asks for tools,
-- we run them, and stream the final answer.
--   OPENROUTER_API_KEY=sk-or-... lua5.4 examples/tools.lua openai/gpt-4o-mini
-- (`make demo`'s fake server plays the model with the id fake/tools.)
local openrouter = require "openrouter"
local json = require "cjson"

local client = openrouter.new { model = arg[1] or os.getenv("OPENROUTER_MODEL") or "openai/gpt-4o-mini",
                                app_title = "openrouter-lua tools example" }

-- The tools the model may call, and their Lua implementations.
local tools = {
  { type = "function", ["function"] = {
      name = "get_weather", description = "Current weather in a city",
      parameters = { type = "object", required = { "location" },
                     properties = { location = { type = "string", description = "City name" } } } } },
  { type = "function", ["function"] = {
      name = "get_time", description = "Current time in a time zone",
      parameters = { type = "object", required = { "tz" },
                     properties = { tz = { type = "string", description = "IANA zone, e.g. Europe/Paris" } } } } },
}
local impl = {
  get_weather = function(a) return { location = a.location, temp_c = 18, sky = "sunny" } end,
  get_time = function(a) return { tz = a.tz, time = os.date("!%H:%M") .. " UTC" } end,
}

local function fail(err) io.stderr:write(tostring(err), "\n") os.exit(1) end

local messages = { { role = "user", content = "What's the weather and the time in Paris?" } }

-- Turn 1: the model answers with tool calls (assembled from stream fragments).
local s, err = client:stream { messages = messages, tools = tools }
if not s then fail(err) end
local res
res, err = s:result()
if not res then fail(err) end
if not res.tool_calls then print(res.text) return end

messages[#messages + 1] = res.message
for _, call in ipairs(res.tool_calls) do
  local fn = call["function"]
  local ok, args = pcall(json.decode, fn.arguments)
  local out = ok and impl[fn.name] and impl[fn.name](args) or { error = "bad call " .. fn.name }
  print(("-> %s(%s) = %s"):format(fn.name, fn.arguments, json.encode(out)))
  messages[#messages + 1] = { role = "tool", tool_call_id = call.id, content = json.encode(out) }
end

-- Turn 2: the answer, streamed (tools must be sent again on every turn).
s, err = client:stream { messages = messages, tools = tools }
if not s then fail(err) end
local ok, e = pcall(function()
  for text in s:text() do io.write(text) io.flush() end
end)
io.write("\n")
io.flush()
if not ok then fail(e) end
