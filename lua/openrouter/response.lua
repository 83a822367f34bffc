-- openrouter.response: turns a finished transfer into a response table or
-- an error object.  Shared by chat (whole bodies) and stream (a status that
-- is not a stream, and the chunks of one).

local errors = require "openrouter.errors"
local json = require "openrouter.json"

local M = {}

local nonnull = json.nonnull

-- The error for a transfer that failed in transport (or by a local timer
-- or limit), or nil.  `partial`: chunks already reached the caller.
function M.transport_error(x, secret, partial)
  local kind, message, retryable = x:failure()
  if not kind then return nil end
  if partial then retryable = false end
  return errors.new({ kind = kind, message = message, retryable = retryable,
                      partial = partial and true or false }, secret)
end

local function decode(body)
  local ok, doc = pcall(json.decode, body)
  if ok then return doc end
end


-- The error a chunk or body carries in band: a top-level `error`, or a
-- first choice that finished with "error".  nil when there is none.
function M.inband_error(status, headers, doc, secret, ctx)
  if type(doc) ~= "table" then return nil end
  if type(doc.error) == "table" then
    return errors.from_body(status, headers, doc, nil, secret, ctx)
  end
  local choice = type(doc.choices) == "table" and doc.choices[1]
  if type(choice) == "table" and choice.finish_reason == "error" then
    local err = type(choice.error) == "table" and choice.error
                or { message = "the provider ended the answer with finish_reason \"error\"" }
    return errors.from_body(status, headers, { error = err, id = doc.id }, nil, secret, ctx)
  end
end

-- A completed non-SSE body as a decoded JSON object, or nil, err (an
-- error status, a body that is not JSON, an error carried in band).
function M.decode(x, secret, ctx)
  local status, headers, body = x:status(), x:headers(), x:body()
  local doc = decode(body)
  if status < 200 or status > 299 then
    return nil, errors.from_body(status, headers, doc, body, secret, ctx)
  end
  if type(doc) ~= "table" then
    return nil, errors.new({ kind = "protocol", status = status,
      message = "the response body is not JSON: " .. errors.excerpt(body) }, secret)
  end
  local err = M.inband_error(status, headers, doc, secret, ctx)
  if err then return nil, err end
  return doc
end

-- A chat completion body with its convenience fields added.
function M.chat(doc, x)
  local choice = type(doc.choices) == "table" and doc.choices[1]
  local message = type(choice) == "table" and nonnull(choice.message)
  doc.text = type(message) == "table" and nonnull(message.content) or nil
  doc.model = nonnull(doc.model)
  doc.provider = nonnull(doc.provider)
  doc.usage = json.clean(nonnull(doc.usage))
  doc.status = x:status()
  doc.headers = x:headers()
  return doc
end

return M
