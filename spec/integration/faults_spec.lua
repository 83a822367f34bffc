-- Every fault the fake server can stage ends in the right error kind:
-- never a hang, a crash, or a silent end.

local h = require "spec.support.helpers"
local openrouter = require "openrouter"

-- Read a whole stream with text(); returns the text read and the error
-- raised (nil when it ended cleanly).
local function drain(s)
  local parts = {}
  local ok, err = pcall(function()
    for t in s:text() do parts[#parts + 1] = t end
  end)
  return table.concat(parts), not ok and err or nil
end

describe("stream faults", function()
  local client
  setup(function() client = h.client { idle_timeout = 5, timeout = 5 } end)

  it("a connection dropped mid-stream is `interrupted`, with the text so far", function()
    local s = assert(client:stream { model = "fake/drop-3", prompt = "x" })
    local text, err = drain(s)
    assert.equal("aaa", text)
    assert.is_true(openrouter.is_error(err))
    assert.equal("interrupted", err.kind)
    assert.is_true(err.partial)
    assert.is_false(err.retryable)
    assert.equal(err, s.error)
  end)

  it("a clean end of body without [DONE] is `interrupted`, never a silent end", function()
    local s = assert(client:stream { model = "fake/eof-2", prompt = "x" })
    local text, err = drain(s)
    assert.equal("aa", text)
    assert.equal("interrupted", err.kind)
    assert.matches("DONE", err.message)
  end)

  it("next() reports the failure as nil, err and keeps reporting it", function()
    local s = assert(client:stream { model = "fake/eof-0", prompt = "x" })
    local chunk, err
    repeat chunk, err = s:next() until not chunk
    assert.equal("interrupted", err.kind)
    local again, err2 = s:next()
    assert.is_nil(again)
    assert.equal(err, err2)
  end)

  it("a stall after the headers fails with `timeout` after idle_timeout", function()
    local c = h.client { idle_timeout = 0.3 }
    local s = assert(c:stream { model = "fake/stall-1", prompt = "x" })
    local text, err = drain(s)
    assert.equal("a", text)
    assert.equal("timeout", err.kind)
    assert.matches("idle_timeout", err.message)
    assert.is_true(err.partial)
  end)

  it("a server that never answers fails stream() with `timeout`", function()
    local c = h.client { timeout = 0.3 }
    local s, err = c:stream { model = "fake/stall-headers", prompt = "x" }
    assert.is_nil(s)
    assert.equal("timeout", err.kind)
  end)

  it("per-request idle_timeout overrides the client's", function()
    local s = assert(client:stream { model = "fake/stall-1", prompt = "x", idle_timeout = 0.2 })
    local _, err = drain(s)
    assert.equal("timeout", err.kind)
  end)

  it("keep-alive comments reset the idle timer and are never yielded", function()
    -- 10 comments 50 ms apart: longer in total than idle_timeout
    local c = h.client { idle_timeout = 0.3 }
    local s = assert(c:stream { model = "fake/keepalive-10", prompt = "x" })
    local n = 0
    for chunk in s:chunks() do
      n = n + 1
      assert.equal("table", type(chunk))
    end
    assert.equal(9, n)
  end)

  it("first_token_timeout: keep-alive comments do not count as a first token", function()
    local c = h.client { first_token_timeout = 0.25, max_retries = 0 }
    local s = assert(c:stream { model = "fake/keepalive-10", prompt = "x" })
    local _, err = drain(s)
    assert.equal("timeout", err.kind)
    assert.matches("first_token_timeout", err.message)
    assert.is_false(err.partial)
    -- the same stream passes when the first token comes in time
    s = assert(c:stream { model = "fake/keepalive-2", prompt = "x" })
    local text
    text, err = drain(s)
    assert.is_nil(err)
    assert.equal(h.TEXT, text)
  end)

  it("reads a stream that arrives one byte at a time", function()
    local s = assert(client:stream { model = "fake/drip", prompt = "x" })
    local text, err = drain(s)
    assert.is_nil(err)
    assert.equal(h.TEXT, text)
  end)

  it("reads CRLF and lone-CR framing", function()
    for _, model in ipairs { "fake/crlf", "fake/cr" } do
      local s = assert(client:stream { model = model, prompt = "x" })
      local text, err = drain(s)
      assert.is_nil(err, model)
      assert.equal(h.TEXT, text, model)
    end
  end)

  it("reads a 4 MiB event whole", function()
    local s = assert(client:stream { model = "fake/big-4194304", prompt = "x" })
    local text, err = drain(s)
    assert.is_nil(err)
    assert.equal(4194304, #text)
    assert.is_nil(text:find("[^a]"))
  end)

  it("an event larger than max_event is a `protocol` error, not growth", function()
    local c = h.client { max_event = 1024 * 1024 }
    local s = assert(c:stream { model = "fake/big-4194304", prompt = "x" })
    local _, err = drain(s)
    assert.equal("protocol", err.kind)
    assert.matches("max_event", err.message)
  end)

  it("a data line that is not JSON is a `protocol` error", function()
    local s = assert(client:stream { model = "fake/notjson", prompt = "x" })
    local _, err = drain(s)
    assert.equal("protocol", err.kind)
    assert.matches("this is not json", err.message)
  end)

  it("skips named events (event: ping) and events with empty data", function()
    local s = assert(client:stream { model = "fake/events", prompt = "x" })
    local chunks, text = 0, {}
    for chunk in s:chunks() do
      chunks = chunks + 1
      local c = chunk.choices[1]
      text[#text + 1] = c and c.delta.content or ""
    end
    assert.equal(h.TEXT, table.concat(text))
    assert.equal(9, chunks)                -- role, 6 deltas, stop, usage: nothing else
  end)

  it("an `event: error` is an error, classified like an error chunk", function()
    local s = assert(client:stream { model = "fake/event-error", prompt = "x" })
    local text, err = drain(s)
    assert.equal("Hello,", text)
    assert.equal("provider", err.kind)
    assert.equal(502, err.code)
    assert.equal("Provider disconnected mid-stream", err.message)
    assert.is_true(err.partial)
    assert.is_false(err.retryable)
  end)

  it("an `event: error` that says nothing better is kind server, with its text", function()
    local s = assert(client:stream { model = "fake/event-error-text", prompt = "x" })
    local text, err = drain(s)
    assert.equal("Hello,", text)
    assert.equal("server", err.kind)
    assert.matches("upstream failed", err.message)
    assert.is_true(err.partial)
  end)

  it("an error event mid-stream becomes an error with partial = true", function()
    local s = assert(client:stream { model = "fake/error-mid", prompt = "x" })
    local text, err = drain(s)
    assert.equal("Hello,", text)
    assert.is_true(openrouter.is_error(err))
    assert.equal("server_error", err.code)
    assert.equal("Provider disconnected unexpectedly", err.message)
    assert.is_true(err.partial)
    assert.is_false(err.retryable)
  end)
end)
