-- openrouter.stream: a streamed chat answer.  Iterate it (`for chunk in
-- stream`, stream:chunks(), stream:text()), pull from it (next, poll), or
-- close it.  The C transfer queues raw SSE events; they are decoded here,
-- one per call, and every failure becomes an error object.

local core = require "openrouter.core"
local errors = require "openrouter.errors"
local json = require "openrouter.json"
local loop = require "openrouter.loop"
local response = require "openrouter.response"

local Stream = { __name = "openrouter.Stream" }
Stream.__index = Stream

local nonnull = response.nonnull

-- x: a transfer whose 2xx event-stream headers arrived.
function Stream.new(x, status, headers, secret)
  return setmetatable({
    status = status, headers = headers,
    _x = x, _secret = secret, _delivered = 0,
  }, Stream)
end

-- Finish with err: the stream ends, and says why from now on.
function Stream:_fail(err)
  self.error = err
  self._ended = true
  self._x:close()
  return nil, err
end

-- Decode one event's data into a chunk, or fail the stream.
function Stream:_chunk(data)
  local ok, chunk = pcall(json.decode, data)
  if not ok or type(chunk) ~= "table" then
    local shown = #data > 80 and data:sub(1, 80) .. "…" or data
    return self:_fail(errors.new({ kind = "protocol", status = self.status,
      message = "a stream event is not a JSON object: " .. shown,
      partial = self._delivered > 0 }, self._secret))
  end
  local err = response.inband_error(self.status, nil, chunk, self._secret)
  if err then
    err.partial = self._delivered > 0
    if err.partial then err.retryable = false end
    return self:_fail(err)
  end
  if self._delivered == 0 then
    self.id = nonnull(chunk.id)
    self.model = nonnull(chunk.model)
    self.provider = nonnull(chunk.provider)
  end
  self._delivered = self._delivered + 1
  return chunk
end

-- What is there right now: a chunk; nil at the end (nil, err on failure);
-- or false when the caller must wait.
function Stream:_take()
  if self._closed then return nil end
  if self._ended then return nil, self.error end
  local x = self._x
  local data = x:pop()
  if data then return self:_chunk(data) end
  local finished, done = x:state()
  if done then
    self._ended = true
    return nil
  end
  if finished then
    local err = response.transport_error(x, self._secret, self._delivered > 0)
    return self:_fail(err or errors.new({ kind = "interrupted",
      message = "the stream ended before data: [DONE]" }, self._secret))
  end
  return false
end

-- chunk | nil (end) | nil, err.  Waits (yields inside a task).
function Stream:next()
  while true do
    local chunk, err = self:_take()
    if chunk ~= false then return chunk, err end
    loop.wait()
  end
end

-- Like next(), but never waits: false when nothing is ready yet.
function Stream:poll()
  local chunk, err = self:_take()
  if chunk ~= false then return chunk, err end
  core.drive(0)
  return self:_take()
end

-- Cancel: abort the transfer now and free it.  Idempotent; returns true.
function Stream:close()
  if not self._closed then
    self._closed = true
    self._x:close()
  end
  return true
end
Stream.__close = Stream.close

-- for chunk in stream do ... end  (raises the error object on failure)
function Stream:__call()
  local chunk, err = self:next()
  if err then error(err, 0) end
  return chunk
end

local function next_chunk(self)
  local chunk, err = self:next()
  if err then error(err, 0) end
  return chunk
end

-- 4-value form: on Lua 5.4, `break` closes the stream.
function Stream:chunks()
  return next_chunk, self, nil, self
end

local function next_text(self)
  while true do
    local chunk, err = self:next()
    if err then error(err, 0) end
    if chunk == nil then return nil end
    local choice = type(chunk.choices) == "table" and chunk.choices[1]
    local delta = type(choice) == "table" and choice.delta
    local content = type(delta) == "table" and delta.content
    if type(content) == "string" and content ~= "" then return content end
  end
end

-- Only the non-empty choices[1].delta.content strings.
function Stream:text()
  return next_text, self, nil, self
end

function Stream:__tostring()
  return ("openrouter.Stream (%s)"):format(self._closed and "closed"
    or self._ended and (self.error and "failed" or "ended") or "open")
end

return Stream
