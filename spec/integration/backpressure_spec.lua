-- Back-pressure must never corrupt: a reader that falls behind pauses its
-- transfer, and the transfer resumes only after the event being read was
-- copied out.  fake/bigthen-N-M sends one event whose content is N bytes
-- of a position-dependent pattern, ending its HTTP chunk (so that the next
-- bytes arrive in a write of their own, the case that once overwrote the
-- event being read), then M numbered events.  Sizes sit around every
-- internal threshold: the queue's high-water mark and half of it, and
-- max_event (core.limits).  Each size is read by a fast and a slow reader,
-- raw from the C core (every event compared byte for byte) and through
-- text() and result().

local core = require "openrouter.core"
local h = require "spec.support.helpers"
local openrouter = require "openrouter"
local socket = require "socket"

local puc51 = _VERSION == "Lua 5.1" and not rawget(_G, "jit")

local MiB = 1024 * 1024
local HW, MAX = core.limits.queue_high_water, core.limits.max_event
-- (an event's JSON adds ~260 bytes to its content; max_event bounds the
-- whole event, so the largest content is kept under it)
local SIZES = {}
for _, n in ipairs { 1, 64 * 1024, math.floor(HW / 2) - 300, math.floor(HW / 2), HW - 300, HW,
                     HW + 300, 2 * MiB, 4 * MiB, 5 * MiB, math.floor(7.9 * MiB), MAX - 1000 } do
  if SIZES[#SIZES] ~= n then SIZES[#SIZES + 1] = n end
end
local SMALL = 3000                        -- numbered events after the big one

-- The fake server's pattern: byte i is P[(31i + i // 62) % 62].  Byte
-- 62k + j of it depends on j and on k % 62 only, so it is built from 62
-- precomputed blocks.
local P = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
local blocks = {}
for k = 0, 61 do
  local b = {}
  for j = 0, 61 do
    local c = (31 * j + k) % 62 + 1
    b[#b + 1] = P:sub(c, c)
  end
  blocks[k] = table.concat(b)
end
local function pattern(n)
  local parts = {}
  for k = 0, math.floor(n / 62) do parts[#parts + 1] = blocks[k % 62] end
  return table.concat(parts):sub(1, n)
end

local function numbered(k) return ("n%d;"):format(k) end

-- A reader that sleeps without driving the engine (the network keeps
-- filling the socket meanwhile): the first reads, then every 97th.
local function nap(slow, reads)
  if slow and (reads < 20 or reads % 97 == 0) then socket.sleep(0.002) end
end

describe("back-pressure", function()
  local client
  setup(function() client = h.client { idle_timeout = 30 } end)

  -- Every event straight from the C queue, compared with the bytes the
  -- server sent (rebuilt from its id and timestamp).
  local function raw_events(n, slow)
    local model = ("fake/bigthen-%d-%d"):format(n, SMALL)
    local x = core.request {
      url = client.base_url .. "/chat/completions", method = "POST", stream = true,
      body = ('{"model":"%s","stream":true,"messages":[{"role":"user","content":"x"}]}'):format(model),
      headers = { "Authorization: Bearer " .. h.KEY, "Content-Type: application/json" },
      timeout = 30, idle_timeout = 30, ca_file = client.ca_file,
    }
    local events, reads = {}, 0
    while true do
      local data = x:pop()
      if data then
        reads = reads + 1
        events[#events + 1] = data
        nap(slow, reads)
      else
        local finished, done = x:state()
        if finished or done then break end
        core.drive(0.05)
      end
    end
    local failure = { x:failure() }
    x:close()
    assert.is_nil(failure[1], tostring(failure[2]))
    local head = events[1]:match('^(%{"id":"[^"]*","provider":"[^"]*","model":"[^"]*",' ..
                                 '"object":"chat.completion.chunk","created":%d+,"choices":)')
    assert.is_string(head, events[1]:sub(1, 200))
    local function chunk(content)
      return head .. '[{"index":0,"delta":{"role":"assistant","content":"' .. content ..
             '"},"finish_reason":null,"native_finish_reason":null,"logprobs":null}]}'
    end
    assert.equal(SMALL + 4, #events)       -- role, big, SMALL numbered, stop, usage
    assert.equal(chunk(""), events[1])
    assert.is_true(events[2] == chunk(pattern(n)), ("the %d-byte event differs"):format(n))
    for k = 1, SMALL do
      if events[k + 2] ~= chunk(numbered(k)) then
        error(("event %d of %d bytes: %s"):format(k + 2, #events[k + 2], events[k + 2]:sub(1, 300)))
      end
    end
  end

  local function through_text(n, slow)
    local model = ("fake/bigthen-%d-%d"):format(n, SMALL)
    local s = assert(client:stream { model = model, prompt = "x" })
    local pieces, reads = {}, 0
    for t in s:text() do
      reads = reads + 1
      pieces[#pieces + 1] = t
      nap(slow, reads)
    end
    assert.equal(SMALL + 1, #pieces)
    assert.is_true(pieces[1] == pattern(n), ("text(): the %d-byte delta differs"):format(n))
    for k = 1, SMALL do assert.equal(numbered(k), pieces[k + 1]) end
  end

  local function through_result(n)
    local model = ("fake/bigthen-%d-%d"):format(n, SMALL)
    local res = assert(assert(client:stream { model = model, prompt = "x" }):result())
    local want = { pattern(n) }
    for k = 1, SMALL do want[k + 1] = numbered(k) end
    assert.is_true(res.text == table.concat(want), ("result(): the text of %d differs"):format(n))
    assert.equal("stop", res.finish_reason)
  end

  for _, n in ipairs(SIZES) do
    for _, slow in ipairs { false, true } do
      local reader = slow and "a slow reader" or "a fast reader"
      it(("keeps a %d-byte event and the %d after it exact, raw, for %s"):format(n, SMALL, reader), function()
        raw_events(n, slow)
      end)
      it(("text() gives a %d-byte delta and the %d after it exact, to %s"):format(n, SMALL, reader), function()
        through_text(n, slow)
      end)
    end
    it(("result() assembles a %d-byte delta and the %d after it exact"):format(n, SMALL), function()
      through_result(n)
    end)
  end
end)

-- A transfer we paused keeps its idle timer, measured from the last event
-- the reader took: a reader that keeps reading is never timed out by our
-- own pause, one that stops is (no stream hangs forever paused).
describe("a paused stream's timers", function()
  it("never time out a reader that keeps reading", function()
    local client = h.client { idle_timeout = 0.4 }
    local s = assert(client:stream { model = "fake/chunks-60000", prompt = "x" })
    local stop = core.now() + 0.3
    while core.now() < stop do core.drive(0.01) end     -- fill the queue: paused
    local n, t0 = 0, core.now()
    for _ in s:chunks() do
      n = n + 1
      if n % 2000 == 0 then socket.sleep(0.05) end       -- slow, but reading
    end
    assert.equal(60003, n)                               -- role, 60000, stop, usage
    assert.is_true(core.now() - t0 > 0.4, "the read took longer than idle_timeout")
  end)

  it("time out a reader that stopped reading, after idle_timeout", function()
    local client = h.client { idle_timeout = 0.4 }
    local s = assert(client:stream { model = "fake/chunks-60000", prompt = "x" })
    assert.is_table(s:next())
    local stop = core.now() + 1.5                        -- the engine runs, nobody reads
    while core.now() < stop do core.drive(0.01) end
    local n, err = 0
    repeat
      local chunk
      chunk, err = s:next()
      if chunk then n = n + 1 end
    until not chunk
    assert.is_true(n > 1000, "what was queued is still delivered (" .. n .. ")")
    assert.is_true(n < 60002, "the stream did not complete")
    assert.equal("timeout", err.kind)
    assert.matches("idle_timeout", err.message)
    assert.is_true(err.partial)
  end)
end)

-- A stream far longer than the queue: the pause must keep resuming.
-- (Tagged long: `make test-long` runs it; it reads ~250 MB.)
describe("a long stream #long", function()
  it("reads 1 000 000 chunks to the end through text()", function()
    local client = h.client { idle_timeout = 30 }
    -- in a task, so that a regression fails by the deadline instead of
    -- hanging (PUC 5.1 cannot yield inside text(): next() there)
    local task = openrouter.spawn(function()
      local s = assert(client:stream { model = "fake/chunks-1000000", prompt = "x" })
      local n = 0
      local function seen(t)
        n = n + 1
        if t ~= "a" then error("chunk " .. n .. " is " .. t) end
      end
      if puc51 then
        while true do
          local chunk = assert(s:next())
          if chunk == nil then break end
          local c = chunk.choices[1]
          if c and c.delta.content and c.delta.content ~= "" then seen(c.delta.content) end
        end
      else
        for t in s:text() do seen(t) end
      end
      return n
    end)
    assert.is_true(openrouter.run(300), "not done within 300 s")
    assert.is_true(task.ok, tostring(task.error))
    assert.equal(1000000, task.values[1])
  end)
end)
