-- openrouter.tools: client:run_tools(req, handlers [, opts]), the whole
-- tool-calling loop.  Ask; while the answer calls tools, run each call's
-- handler, append the assistant message as it came (reasoning_details
-- unchanged: OpenRouter requires it) and one `tool` message per call, and
-- ask again.  What goes wrong in a call (an unknown tool, arguments that
-- are not JSON, a handler that raises, a call on_call refused) is told to
-- the model in that call's `tool` message; the loop goes on.

local each = require "openrouter.each"
local errors = require "openrouter.errors"
local json = require "openrouter.json"

local M = {}

local DEFAULT_MAX_ROUNDS = 10

-- The conversation the request starts with: its messages, or those its
-- prompt / system stand for.
local function first_messages(req)
  local messages = {}
  if req.messages ~= nil then
    for i, m in ipairs(req.messages) do messages[i] = m end
    return messages
  end
  if req.system then messages[#messages + 1] = { role = "system", content = req.system } end
  if req.prompt then messages[#messages + 1] = { role = "user", content = req.prompt } end
  return messages
end

-- The request of one round: req with the transcript as its messages.
local function round_request(req, transcript)
  local r = {}
  for k, v in each(req) do
    if k ~= "prompt" and k ~= "system" then r[k] = v end
  end
  r.messages = transcript
  return r
end

-- One round's answer (as stream:result()), passing its text to on_text as
-- it arrives.  next() never raises, so a task can wait in it on any Lua.
local function ask(client, req, on_text)
  local s, err = client:stream(req)
  if not s then return nil, err end
  if on_text then
    while true do
      local chunk, cerr = s:next()
      if cerr then return nil, cerr end
      if not chunk then break end
      local choice = type(chunk.choices) == "table" and chunk.choices[1]
      local delta = type(choice) == "table" and choice.delta
      local piece = type(delta) == "table" and delta.content
      if type(piece) == "string" and piece ~= "" and (choice.index == nil or choice.index == 0) then
        on_text(piece)
      end
    end
  end
  return s:result()
end

-- The content of the `tool` message answering `call`.
local function run_call(call, handlers, on_call)
  local fn = call["function"] or {}
  local name, raw = fn.name, fn.arguments
  local handler = handlers[name]
  if type(handler) ~= "function" then
    return ("error: there is no tool named %q"):format(tostring(name))
  end
  local ok, args = pcall(json.decode, (raw == nil or raw == "") and "{}" or raw)
  if not ok then
    return ("error: the arguments are not JSON (%s): %s"):format(tostring(args), tostring(raw))
  end
  args = json.clean(args)
  if on_call and on_call(name, args, call) == false then
    return "error: the call was refused by the application"
  end
  local done, value = pcall(handler, args, call)
  if not done then return "error: the tool failed: " .. tostring(value) end
  if type(value) == "string" then return value end
  local eok, text = pcall(json.encode, value)
  if not eok then return "error: the tool's result cannot be sent as JSON: " .. tostring(text) end
  return text
end

-- The failure of the loop: err with the transcript so far in
-- err.result.messages (err.result: the answer it had, if any).
local function failed(err, transcript, rounds, last)
  err.result = err.result or last or {}
  err.result.messages = transcript
  err.result.rounds = rounds
  return nil, err
end

function M.run(client, req, handlers, opts)
  if type(req) ~= "table" then
    return nil, errors.config("client:run_tools expects a request table, got " .. type(req))
  end
  if type(handlers) ~= "table" then
    return nil, errors.config("client:run_tools expects a table of handlers, got " .. type(handlers),
      "handlers = { get_weather = function(args, call) return { temp = 18 } end }")
  end
  opts = opts or {}
  local max_rounds = opts.max_rounds or DEFAULT_MAX_ROUNDS
  if type(max_rounds) ~= "number" or max_rounds < 1 or max_rounds ~= math.floor(max_rounds) then
    return nil, errors.config("max_rounds must be a whole number >= 1, got " .. tostring(max_rounds))
  end
  for _, name in ipairs { "on_text", "on_call" } do
    if opts[name] ~= nil and type(opts[name]) ~= "function" then
      return nil, errors.config(("%s must be a function, got %s"):format(name, type(opts[name])))
    end
  end
  local transcript = first_messages(req)
  local rounds, last = 0, nil
  while true do
    if rounds == max_rounds then
      return failed(errors.new { kind = "output",
        message = ("the model still calls tools after max_rounds (%d) requests"):format(max_rounds),
        hint = "raise opts.max_rounds, or check that the tools' answers give the model what it asks" },
        transcript, rounds, last)
    end
    rounds = rounds + 1
    local res, err = ask(client, round_request(req, transcript), opts.on_text)
    if not res then return failed(err, transcript, rounds) end
    last = res
    transcript[#transcript + 1] = res.message
    if not res.tool_calls then
      res.messages, res.rounds = transcript, rounds
      return res
    end
    for _, call in ipairs(res.tool_calls) do
      transcript[#transcript + 1] = { role = "tool", tool_call_id = call.id,
                                      content = run_call(call, handlers, opts.on_call) }
    end
  end
end

return M
