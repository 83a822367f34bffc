-- openrouter.output: the answer of a request that gave a `schema`, decoded
-- (response.parsed from chat, result.parsed from a stream).

local errors = require "openrouter.errors"
local json = require "openrouter.json"

local M = {}

-- res with res.parsed: its text decoded as JSON (nulls left out, like
-- everywhere in a result).  Or nil and an `output` error holding the raw
-- answer as err[where] ("response" or "result").  An answer that calls
-- tools is no answer yet (a tool round of run_tools): it is left as it is.
local function calls_tools(res)
  if res.tool_calls then return true end              -- a stream's result
  local choice = type(res.choices) == "table" and res.choices[1]
  local message = type(choice) == "table" and choice.message
  return type(message) == "table" and type(message.tool_calls) == "table"
end

function M.parse(res, where)
  if calls_tools(res) then return res end
  local ok, value = pcall(json.decode, res.text or "")
  if ok then
    res.parsed = json.clean(value)
    return res
  end
  local err = errors.new { kind = "output", status = res.status,
    message = "the answer is not the JSON the schema asks for: " .. errors.excerpt(res.text) ..
      " (" .. tostring(value):gsub("^.-:%d+: ", "") .. ")",
    hint = ("the raw answer is err.%s; pick a model whose supported_parameters list " ..
            "structured_outputs (client:models()), or ask again"):format(where) }
  err[where] = res
  return nil, err
end

return M
