-- The C SSE parser seen from Lua (through spec/c/sse_probe.c, a test-only
-- module): every tricky input gives the same events fed whole, one byte at
-- a time, and split in two at every position.  (spec/c/sse_test.c checks
-- the same parser without Lua.)

local probe = require "sse_probe"

local BOM = "\239\187\191"

local cases = {
  { name = "one event", input = "data: hello\n\n",
    events = { { "message", "hello", "" } } },
  { name = "multi-line data joined with LF", input = "data: a\ndata: b\ndata:\n\n",
    events = { { "message", "a\nb\n", "" } } },
  { name = "CRLF line ends", input = "data: a\r\ndata: b\r\n\r\n",
    events = { { "message", "a\nb", "" } } },
  { name = "lone CR line ends", input = "data: a\rdata: b\r\r",
    events = { { "message", "a\nb", "" } } },
  { name = "mixed line ends", input = "data: 1\r\n\ndata: 2\r\rdata: 3\n\r\n",
    events = { { "message", "1", "" }, { "message", "2", "" }, { "message", "3", "" } } },
  { name = "leading BOM skipped", input = BOM .. "data: x\n\n",
    events = { { "message", "x", "" } } },
  { name = "a BOM later is data", input = "data: " .. BOM .. "x\n\n",
    events = { { "message", BOM .. "x", "" } } },
  { name = "comments are not events", input = ": OPENROUTER PROCESSING\n\n: again\ndata: x\n\n",
    events = { { "message", "x", "" } }, comments = 2 },
  { name = "event, id and retry fields", input = "event: ping\nid: 7\nretry: 300\ndata: p\n\ndata: q\n\n",
    events = { { "ping", "p", "7" }, { "message", "q", "7" } } },
  { name = "no space after the colon", input = "data:x\n\n", events = { { "message", "x", "" } } },
  { name = "only one space stripped", input = "data:  x\n\n", events = { { "message", " x", "" } } },
  { name = "field with no colon", input = "data\n\n", events = { { "message", "", "" } } },
  { name = "blank lines without data dispatch nothing", input = "\n\n\nevent: x\n\ndata: y\n\n",
    events = { { "message", "y", "" } } },
  { name = "unknown fields ignored", input = "foo: bar\ndata: x\nbaz\n\n",
    events = { { "message", "x", "" } } },
  { name = "UTF-8 content", input = "data: {\"content\":\"亚é😀\"}\n\n",
    events = { { "message", "{\"content\":\"亚é😀\"}", "" } } },
  { name = "DONE sentinel is an ordinary event here", input = "data: [DONE]\n\n",
    events = { { "message", "[DONE]", "" } } },
  { name = "unterminated last event is not dispatched", input = "data: a\n\ndata: b\n",
    events = { { "message", "a", "" } }, pending = true },
}

local function parse(input, piece, first)
  local events, comments, status, pending = probe.parse(input, 1024 * 1024, piece, first)
  local out = {}
  for i, e in ipairs(events) do out[i] = { e.type, e.data, e.id } end
  return out, comments, status, pending
end

describe("SSE parser", function()
  for _, case in ipairs(cases) do
    it(case.name, function()
      local events, comments, status, pending = parse(case.input)
      assert.same(case.events, events)
      assert.equal("ok", status)
      assert.equal(case.comments or 0, comments)
      assert.equal(case.pending or false, pending)
      local function same(piece, first)
        local e2, c2, s2, p2 = parse(case.input, piece, first)
        local where = ("piece %s, first %s"):format(tostring(piece), tostring(first))
        assert.same(case.events, e2, where)
        assert.equal(comments, c2, where)
        assert.equal(status, s2, where)
        assert.equal(pending, p2, where)
      end
      same(1)                                   -- one byte at a time
      for at = 0, #case.input do same(nil, at) end  -- two pieces, split everywhere
    end)
  end

  it("fails with a bounded event size instead of growing", function()
    local big = "data: " .. ("a"):rep(5000) .. "\n\n"
    local events, _, status = probe.parse(big, 1024)
    assert.same({}, events)
    assert.matches("too", status)
    local _, _, status1 = probe.parse(big, 1024, 1)
    assert.equal(status, status1)
  end)

  it("parses a realistic OpenRouter stream", function()
    local chunk = '{"id":"gen-1","choices":[{"index":0,"delta":{"content":"Hi"}}]}'
    local input = ": OPENROUTER PROCESSING\n\ndata: " .. chunk .. "\n\ndata: {\"choices\":[],\"usage\":{}}\n\ndata: [DONE]\n\n"
    for piece = 1, #input, 7 do
      local events, comments = parse(input, piece)
      assert.equal(3, #events)
      assert.equal(chunk, events[1][2])
      assert.equal("[DONE]", events[3][2])
      assert.equal(1, comments)
    end
  end)
end)
