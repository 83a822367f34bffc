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
local request = require "openrouter.request"
local result = require "openrouter.result"

local M = {}

local DEFAULT_MAX_ROUNDS = 10

-- The request of one round: req with the transcript as its messages.
local function round_request(req, transcript)
  local r = {}
  for k, v in each(req) do
    if k ~= "prompt" and k ~= "system" then r[k] = v end
  end
  r.messages = transcript
  return r
end

-- Kinds of a request refused before anything was sent.
local UNSENT = { config = true, budget = true }

-- One round's answer (as stream:result()), passing its text to on_text as
-- it arrives.  next() never raises, so a task can wait in it on any Lua.
-- The third value: whether a request went out.
local function ask(client, req, on_text)
  local s, err = client:stream(req)
  if not s then return nil, err, not UNSENT[err.kind] end
  if on_text then
    while true do
      local chunk, cerr = s:next()
      if cerr then return nil, cerr, true end
      if not chunk then break end
      local piece = result.content(chunk)
      if piece then on_text(piece) end
    end
  end
  local res, rerr = s:result()
  return res, rerr, true
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
  local transcript, merr = request.messages(req)
  if not transcript then return nil, merr end
  local rounds, last = 0, nil
  while true do
    if rounds == max_rounds then
      return failed(errors.new { kind = "output",
        message = ("the model still calls tools after max_rounds (%d) requests"):format(max_rounds),
        hint = "raise opts.max_rounds, or check that the tools' answers give the model what it asks" },
        transcript, rounds, last)
    end
    local res, err, sent = ask(client, round_request(req, transcript), opts.on_text)
    if sent then rounds = rounds + 1 end
    if not res then
      -- an answer that came whole but is not what was asked (kind output)
      -- is part of the conversation; a cut one is not
      if err.kind == "output" and err.result and err.result.message then
        transcript[#transcript + 1] = err.result.message
      end
      return failed(err, transcript, rounds)
    end
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
