-- Back-pressure must never corrupt: a reader that falls behind pauses its
-- transfer, and the transfer resumes only after the event being read was
-- copied out.  fake/bigthen-N-M sends one event whose content is N bytes
-- of a position-dependent pattern, ending its HTTP chunk (so that the next
-- bytes arrive in a write of their own, the case that once overwrote the
-- event being read), then M numbered events.  Sizes sit around every
-- internal threshold: the queue's high-water mark (4 MiB) and half of it,
-- and max_event (8 MiB).  Each size is read by a fast and a slow reader,
-- raw from the C core (every event compared byte for byte) and through
-- text() and result().

local core = require "openrouter.core"
local h = require "spec.support.helpers"
local socket = require "socket"

local MiB = 1024 * 1024
local SIZES = { 1, 64 * 1024, MiB, 2 * MiB, 3 * MiB, 4 * MiB - 400, 4 * MiB, 5 * MiB,
                math.floor(7.9 * MiB) }
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
      timeout = 30, idle_timeout = 30,
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
