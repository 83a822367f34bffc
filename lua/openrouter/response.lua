-- openrouter.response: turns a finished transfer into a response table or
-- an error object.  Shared by chat (whole bodies) and stream (a status that
-- is not a stream).

local errors = require "openrouter.errors"
local json = require "openrouter.json"

local M = {}

local nonnull = json.nonnull

-- The error for a transfer that failed in transport (or by a local timer
-- or limit), or nil.  `partial`: chunks already reached the caller.
function M.transport_error(x, partial, ctx)
  local kind, message, retryable, curl_code = x:failure()
  if not kind then return nil end
  return errors.transport({ kind = kind, message = message, retryable = retryable,
                            curl_code = curl_code, partial = partial and true or false }, ctx)
end

-- A completed non-SSE body as a decoded JSON object, or nil, err: an error
-- status, an error carried in band (both as the classifier reads them), or
-- a 2xx body that is not JSON -- not the API at all (a captive portal's
-- page, a proxy's login), whether a chat or a stream asked.
function M.decode(x, ctx)
  local status, body = x:status(), x:body()
  local class = errors.class(x:classify())
  if class then return nil, errors.from_body(status, x:headers(), body, class, ctx) end
  local ok, doc = pcall(json.decode, body)
  if not ok or type(doc) ~= "table" then
    return nil, errors.new { kind = "protocol", status = status,
      message = ("the server answered %d with %s, not JSON: %s")
        :format(status, x:headers()["content-type"] or "no Content-Type", errors.excerpt(body)),
      hint = ("this is not OpenRouter's API: check base_url (%s); a captive portal or a " ..
              "proxy's login page answers like this"):format(ctx and ctx.base_url or "?") }
  end
  return doc
end

-- The fields every answer of a model gets: model, usage (JSON nulls
-- out), status, headers.
local function answered(doc, x)
  doc.model = nonnull(doc.model)
  doc.usage = json.clean(nonnull(doc.usage))
  doc.status = x:status()
  doc.headers = x:headers()
  return doc
end

-- An embeddings body with response.vectors: one array of numbers per
-- input, in input order (by each item's index), and usage; `inputs`
-- vectors, as many as were sent.  Or nil and what is wrong with it.
function M.embeddings(doc, x, inputs)
  if type(doc.data) ~= "table" then return nil, "the embeddings answer has no data" end
  local vectors = {}
  for i, item in ipairs(doc.data) do
    local index = type(item) == "table" and nonnull(item.index)
    if type(index) ~= "number" then index = i - 1 end
    local vector = type(item) == "table" and nonnull(item.embedding)
    if type(vector) ~= "table" then
      return nil, ("embedding %d of the answer is not an array of numbers"):format(i)
    end
    vectors[index + 1] = json.clean(vector)
  end
  for i = 1, #doc.data do
    if vectors[i] == nil then return nil, ("the answer has no embedding for input %d"):format(i) end
  end
  if #vectors ~= inputs then
    return nil, ("the answer has %d embeddings for %d inputs"):format(#vectors, inputs)
  end
  doc.vectors = vectors
  return answered(doc, x)
end

-- A chat completion body with its convenience fields added.
function M.chat(doc, x)
  local choice = type(doc.choices) == "table" and doc.choices[1]
  local message = type(choice) == "table" and nonnull(choice.message)
  doc.text = type(message) == "table" and nonnull(message.content) or nil
  doc.provider = nonnull(doc.provider)
  return answered(doc, x)
end

return M
