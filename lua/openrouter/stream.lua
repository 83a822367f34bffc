-- openrouter.stream: a streamed chat answer.  Iterate it (`for chunk in
-- stream`, stream:chunks(), stream:text()), pull from it (next, poll), or
-- close it.  The C transfer queues raw SSE events (marked when they carry
-- an error); they are decoded here, one per call, and every failure
-- becomes an error object.

local core = require "openrouter.core"
local each = require "openrouter.each"
local errors = require "openrouter.errors"
local json = require "openrouter.json"
local loop = require "openrouter.loop"
local output = require "openrouter.output"
local response = require "openrouter.response"
local result = require "openrouter.result"
local retry = require "openrouter.retry"
local trace = require "openrouter.trace"

local Stream = { __name = "openrouter.Stream" }
Stream.__index = Stream

local nonnull = json.nonnull

-- The prepared call (with the key, in its headers) is kept out of the
-- stream's fields, so that dumping a stream never shows the key.
local calls = setmetatable({}, { __mode = "k" })

-- call: a prepared request (client.lua); the stream sends it at once and
-- again on a retryable failure before the first chunk.  release: gives
-- back the client's slot (max_concurrent) when the stream is over; guard:
-- does it when the collector takes the stream.
function Stream._create(call, release, guard)
  local self = setmetatable({ _delivered = 0, _acc = result.new(), _release = release,
                              _slot_guard = guard }, Stream)
  calls[self] = call
  trace.request(call)
  self._x = core.request(call.spec)
  return self
end

-- The answer assembled over every chunk delivered so far; cut: the stream
-- broke before its end (see result.lua's finish).
function Stream:_assembled(cut)
  self:_take_kept()
  local res = self._acc:finish(cut)
  res.status, res.headers = self.status, self.headers
  return res
end

-- The stream is over (ended, failed or closed): its slot goes back.
function Stream:_let_go()
  local release = self._release
  self._release = nil
  if release then release() end
end

-- Finish with err: the stream ends, and says why from now on.  An error
-- after chunks reached the reader keeps what they carried: err.result.
function Stream:_fail(err)
  if err.partial and err.result == nil then err.result = self:_assembled(true) end
  self.error = err
  self._ended = true
  self:_let_go()
  if self._x then self._x:close() end
  trace.done(calls[self], err)
  return nil, err
end

-- The attempt failed with err: schedule a retry if that is allowed, else
-- fail.  Returns false (wait) or nil, err.
function Stream:_failed(err)
  local wait = retry.wait(calls[self], err)
  if not wait then return self:_fail(err) end
  trace.retry(calls[self], err, wait)
  self._x:close()
  self._x = nil
  self.status, self.headers = nil, nil     -- the next attempt has its own
  self._responded = nil
  self._retry_at = core.now() + wait
  return false
end

-- Move the request on until an event stream is flowing.  Never waits:
-- true once the 2xx event-stream headers are in; false while the caller
-- must wait (for I/O, or until _retry_at); nil, err when it failed.
function Stream:_open()
  if self.status then return true end
  if self._ended then return nil, self.error end
  if self._retry_at then
    if core.now() < self._retry_at then return false end
    self._retry_at = nil
    trace.request(calls[self])
    self._x = core.request(calls[self].spec)
  end
  local x = self._x
  local status = x:status()
  local finished, _, _, sse = x:state()
  if not status then
    if not finished then return false end
    return self:_failed(response.transport_error(x, false, calls[self].ctx))
  end
  if not self._responded then
    self._responded = true                -- (once per attempt: _failed resets it)
    trace.response(calls[self], x)
  end
  local headers = x:headers()
  if sse then
    self.status, self.headers = status, headers
    return true
  end
  -- Not an event stream: an error status, a 2xx JSON body, or a 2xx page
  -- that is not the API at all (a captive portal's, a proxy's login).
  if not finished then return false end
  local err = response.transport_error(x, false, calls[self].ctx)
  if not err then
    local res
    res, err = response.decode(x, calls[self].ctx)
    if res then
      err = errors.new { kind = "protocol", status = status,
        message = "asked for a stream but the server answered with one JSON body" }
    end
  end
  return self:_failed(err)
end

-- The error an event carries (`kind` "error" from the transfer: an error
-- chunk, or an `event: error`).
function Stream:_error_event(data)
  local class = errors.class(core.classify(200, data, "event"))
  return errors.from_body(200, nil, data, class,
    { partial = self._delivered > 0, event = not data:find("^%s*{"),
      model = calls[self].ctx.model, provider = calls[self].ctx.provider })
end

-- The text of the plain chunks the C core kept (x:take) goes to the
-- accumulator before anything that came after it.
function Stream:_take_kept()
  local x = self._x
  if not x then return end
  local s, n = x:kept()
  if n > 0 then self._acc:add_text(s, n) end
end

-- A decoded chunk reaches the reader.  A plain one (nothing but text, its
-- envelope known) is already accounted for: the C core kept its text.
function Stream:_deliver(chunk, plain)
  if self._delivered == 0 then
    self.id = nonnull(chunk.id)
    self.model = nonnull(chunk.model)
    self.provider = nonnull(chunk.provider)
  end
  self._delivered = self._delivered + 1
  if not plain then
    if chunk.usage ~= nil then
      chunk.usage = json.clean(nonnull(chunk.usage))
      if not self._counted and chunk.usage then       -- (once: the usage chunk is the last)
        self._counted = true
        calls[self].ledger:add(chunk.usage)
      end
    end
    self:_take_kept()
    self._acc:add(chunk)
    self._known = nil                     -- the accumulator may know more now
  end
  return chunk
end

-- An event that is no chunk: an error, or data that is not JSON.
function Stream:_bad_event(data, kind)
  if kind == "error" then return self:_fail(self:_error_event(data)) end
  return self:_fail(errors.new { kind = "protocol", status = self.status,
    message = "a stream event is not a JSON object: " .. errors.excerpt(data, 80),
    partial = self._delivered > 0 })
end

-- What x:take returned, handed on: a text (text() only), a chunk, or the
-- failure an event carries.
function Stream:_took(t, extra, kind)
  if type(t) == "string" then return t end
  if t then return self:_deliver(t, extra) end
  return self:_bad_event(extra, kind)
end

-- The envelope fields the accumulator holds, as core.envelope bits: a
-- chunk that carries only those and text is plain (see x:take).
function Stream:_known_envelope()
  local known = self._known
  if known then return known end
  known = 0
  for field, bit in each(core.envelope) do
    if self._acc:has(field) then known = known + bit end
  end
  self._known = known
  return known
end

-- What is there right now: a chunk (for text(): or its text); nil at the
-- end (nil, err on failure); or false when the caller must wait.
function Stream:_take(text)
  -- (ended first: a failed stream closed afterwards still says why)
  if self._ended then return nil, self.error end
  if self._closed then return nil end
  local open, err = self:_open()
  if not open then return open, err end
  local x = self._x
  local t, extra, kind = x:take(self._known or self:_known_envelope(), text)
  if t ~= nil then return self:_took(t, extra, kind) end
  local finished, done = x:state()
  if done then
    self._ended = true
    self:_let_go()
    trace.done(calls[self])
    -- a complete transfer can go now (its connection stays in the pool);
    -- one still reading the body's last bytes is left to finish
    if finished then x:close() end
    return nil
  end
  if finished then
    local partial = self._delivered > 0
    -- (the transfer names what was missing; this is only a safety net)
    return self:_failed(response.transport_error(x, partial, calls[self].ctx)
      or errors.new { kind = "interrupted", partial = partial,
                      message = "the stream ended before its end marker" })
  end
  return false
end

local function canceled()
  return errors.new { kind = "canceled", message = "the stream was closed while it was being read" }
end

-- chunk (or, for text, a string) | nil (end) | nil, err.  Waits (yields
-- inside a task).  A wait cut short by close() is an error, never a quiet
-- end.
local function next_item(self, text)
  while true do
    local item, err = self:_take(text)
    if err then return nil, err end
    if item ~= false then return item end
    loop.wait(self._retry_at)
    if self._closed then return nil, canceled() end
  end
end

-- Like next(), but never waits: false when nothing is ready yet.
local function poll(self)
  local chunk, err = self:_take()
  if chunk == false then
    core.drive(0)
    chunk, err = self:_take()
  end
  if err then return nil, err end
  return chunk
end

-- Drain the rest and return the whole answer, assembled over every chunk
-- (those already read included): text, reasoning, tool_calls,
-- finish_reason, usage, model, provider, id … | nil, err
local function whole(self)
  while true do
    local chunk, err = next_item(self)
    if err then return nil, err end
    if chunk == nil then break end
  end
  if self._closed and not self._ended then
    return nil, errors.new { kind = "canceled", message = "the stream was closed before its end" }
  end
  local res = self:_assembled(false)
  if calls[self].structured then return output.parse(res, "result") end
  return res
end

-- The public methods: an error leaves them with the key scrubbed.
local function scrubbed(self, ...)
  local err = select(2, ...)
  if err ~= nil then errors.scrub(err, calls[self].secret) end
  return ...
end

function Stream:next() return scrubbed(self, next_item(self)) end
function Stream:poll() return scrubbed(self, poll(self)) end
function Stream:result() return scrubbed(self, whole(self)) end

-- Cancel: abort the transfer now and free it.  Idempotent; returns true.
function Stream:close()
  if not self._closed then
    self._closed = true
    self._retry_at = nil                  -- cancels a pending retry
    if self._x then self._x:close() end
    if not self._ended then
      trace.done(calls[self], errors.new { kind = "canceled", message = "the stream was closed before its end" })
    end
    self:_let_go()
    loop.wake()                           -- a task waiting on it must hear now
  end
  return true
end
Stream.__close = Stream.close

-- The iterators raise the error object (a for loop cannot take nil, err).
local function raise(self, err)
  error(errors.scrub(err, calls[self].secret), 0)
end

-- Is the stream flowing (its status in, not ended or closed)?  Then the
-- iterators take the next event straight from the transfer: the hot path.
local function flowing(self)
  return self.status and not self._closed and not self._ended and self._x
end

local function chunk_or_raise(self)
  local x, item, err = flowing(self), nil, nil
  if x then
    local t, extra, kind = x:take(self._known or self:_known_envelope())
    if t ~= nil then item, err = self:_took(t, extra, kind) end
  end
  if item == nil and err == nil then item, err = next_item(self) end
  if err then raise(self, err) end
  return item
end

-- for chunk in stream do ... end
Stream.__call = chunk_or_raise

-- 4-value form: on Lua 5.4, `break` closes the stream.
function Stream:chunks()
  return chunk_or_raise, self, nil, self
end

-- The next text, without waiting: a non-empty string; nil at the end;
-- false when nothing is ready yet; or nil, err.  A chunk that holds
-- nothing but text comes from the C core as a string (no table, no
-- decode); any other goes the way next() goes.
local function text_now(self)
  while true do
    local x, item, err = flowing(self), nil, nil
    if x then
      local t, extra, kind = x:take(self._known or self:_known_envelope(), true)
      if type(t) == "string" then
        if t ~= "" then return t end
        item = t
      elseif t ~= nil then
        item, err = self:_took(t, extra, kind)
      end
    end
    if item == nil and err == nil then item, err = self:_take(true) end
    if err then return nil, err end
    if not item then return item end          -- nil (the end) or false
    if type(item) == "table" then
      local content = result.content(item)
      if content then return content end
    elseif item ~= "" then
      return item
    end
  end
end

-- Wait for the stream to move on (at most until `deadline`); true when
-- close() cut the wait short.
local function closed_while_waiting(self, deadline)
  loop.wait(deadline or self._retry_at)
  return self._closed and not self._ended
end

local function text_or_raise(self)
  while true do
    local t, err = text_now(self)
    if err then raise(self, err) end
    if t ~= false then return t end
    if closed_while_waiting(self) then raise(self, canceled()) end
  end
end

-- A failure while text is held: the text goes first, the error is raised
-- on the next call; with nothing held it is raised now.
local function flush_then_raise(st, pieces, err)
  if #pieces == 0 then raise(st.stream, err) end
  st.err = err
  return table.concat(pieces)
end

-- stream:text { every = s }: the first text at once, then at most one
-- string per `every` seconds, each all the text there is by then; the end
-- (or a failure, raised on the next call) flushes what is left.
local function coalesced_or_raise(st)
  local self, pieces = st.stream, {}
  if st.err then raise(self, st.err) end
  while true do
    local t, err = text_now(self)
    if t then
      pieces[#pieces + 1] = t
    elseif err then
      return flush_then_raise(st, pieces, err)
    elseif t == nil then
      return #pieces > 0 and table.concat(pieces) or nil
    elseif #pieces > 0 and (not st.due or core.now() >= st.due) then
      st.due = core.now() + st.every        -- nothing more right now, and it is due
      return table.concat(pieces)
    elseif closed_while_waiting(self, #pieces > 0 and st.due or nil) then
      return flush_then_raise(st, pieces, canceled())
    end
  end
end

-- Only choice 0's non-empty delta.content strings; opts.every:
-- coalesced for user interfaces (see coalesced_or_raise).
function Stream:text(opts)
  if opts == nil then return text_or_raise, self, nil, self end
  local every = type(opts) == "table" and opts.every
  if type(every) ~= "number" or not (every >= 0 and every < math.huge) then  -- luacheck: ignore 581 (NaN)
    error(errors.config("stream:text{every = seconds}: every must be a number >= 0, got " ..
                        tostring(every)), 2)
  end
  return coalesced_or_raise, { stream = self, every = every }, nil, self
end

-- Timings and counts of the current transfer (seconds since it was sent):
-- headers, first_byte, elapsed, bytes, comments, events, event_reads.
function Stream:info()
  return self._x and self._x:info() or {}
end

function Stream:__tostring()
  return ("openrouter.Stream (%s)"):format(self._closed and "closed"
    or self._ended and (self.error and "failed" or "ended") or "open")
end

return Stream
