-- stream:result() on real streams from the fake server: tool-call
-- fragments, reasoning, both usage forms.  Each stream is also fetched raw
-- and fed to the C parser one byte at a time: the assembled answer must be
-- the same.

local cjson = require "cjson"
local probe = require "sse_probe"          -- spec/c/sse_probe.c, for the specs only
local fake = require "spec.support.fake"
local h = require "spec.support.helpers"
local json = require "openrouter.json"
local result = require "openrouter.result"
local http = require "socket.http"
local ltn12 = require "ltn12"

local TOOLS = {
  { type = "function", ["function"] = { name = "get_weather", parameters = { type = "object",
    properties = { location = { type = "string" } } } } },
  { type = "function", ["function"] = { name = "get_time", parameters = { type = "object",
    properties = { tz = { type = "string" } } } } },
}

-- The raw SSE body for req, through LuaSocket (not the module).
local function raw_sse(req)
  req.stream = true
  local body = json.encode(req)           -- (cjson would send "fake\/tools")
  local out = {}
  local _, code = http.request {
    url = fake.start() .. "/chat/completions", method = "POST",
    source = ltn12.source.string(body), sink = ltn12.sink.table(out),
    headers = { ["content-type"] = "application/json", ["content-length"] = tostring(#body),
                authorization = "Bearer " .. h.KEY },
  }
  assert.equal(200, code)
  return table.concat(out)
end

-- Parse raw SSE one byte at a time and assemble it.
local function assemble_bytewise(raw)
  local events, _, status = probe.parse(raw, 1024 * 1024, 1)
  assert.equal("ok", status)
  local acc = result.new()
  for _, e in ipairs(events) do
    if e.data ~= "[DONE]" then acc:add(json.decode(e.data)) end
  end
  return acc:finish()
end

-- The same answer, from two requests (so ids differ, in form only).
local function same_answer(a, b)
  for _, k in ipairs { "text", "reasoning", "reasoning_details", "tool_calls", "finish_reason",
                       "usage", "model", "provider" } do
    assert.same(a[k], b[k], k)
  end
  assert.matches("^gen%-", a.id)
  assert.matches("^gen%-", b.id)
end

describe("stream:result()", function()
  local client
  setup(function() client = h.client() end)

  it("assembles tool calls from fragments, some without id or index", function()
    local req = { model = "fake/tools", messages = { { role = "user", content = "weather and time?" } },
                  tools = TOOLS }
    local res = assert(assert(client:stream(req)):result())
    assert.equal("tool_calls", res.finish_reason)
    assert.same({
      { id = "call_1", type = "function", ["function"] = { name = "get_weather", arguments = '{"location": "Paris"}' } },
      { id = "call_2", type = "function", ["function"] = { name = "get_time", arguments = '{"tz":"Europe/Paris"}' } },
    }, res.tool_calls)
    assert.equal("assistant", res.message.role)
    assert.same(res.tool_calls, res.message.tool_calls)
    assert.equal(19, res.usage.total_tokens)
    same_answer(res, assemble_bytewise(raw_sse(req)))
  end)

  it("round-trips a tool call to the final answer", function()
    local req = { model = "fake/tools", prompt = "weather?", tools = TOOLS }
    local first = assert(assert(client:stream(req)):result())
    local messages = { { role = "user", content = "weather?" }, first.message }
    for _, call in ipairs(first.tool_calls) do
      messages[#messages + 1] = { role = "tool", tool_call_id = call.id, content = '{"temp_c":18}' }
    end
    local final = assert(assert(client:stream { model = "fake/tools", messages = messages, tools = TOOLS }):result())
    assert.equal("The weather in Paris is 18°C and sunny.", final.text)
    assert.equal("stop", final.finish_reason)
    -- what went on the wire for the second turn
    local body = cjson.decode(fake.last().body)
    assert.equal("tool", body.messages[3].role)
    assert.equal("call_1", body.messages[3].tool_call_id)
    assert.equal("call_1", body.messages[2].tool_calls[1].id)
  end)

  it("merges reasoning and reasoning_details by index", function()
    local req = { model = "fake/reasoning", messages = { { role = "user", content = "think" } } }
    local res = assert(assert(client:stream(req)):result())
    assert.equal("Let me think about it.", res.reasoning)
    assert.equal(h.TEXT, res.text)
    assert.equal(2, #res.reasoning_details)
    assert.equal("reasoning.text", res.reasoning_details[1].type)
    assert.equal("Let me think about it.", res.reasoning_details[1].text)
    assert.equal("reasoning.summary", res.reasoning_details[2].type)
    assert.equal("Thought briefly", res.reasoning_details[2].summary)
    same_answer(res, assemble_bytewise(raw_sse(req)))
  end)

  it("finds usage in a choices: [] chunk and in a chunk after the stop chunk", function()
    for _, model in ipairs { "openai/gpt-4o", "fake/usage-legacy" } do
      local req = { model = model, messages = { { role = "user", content = "x" } } }
      local res = assert(assert(client:stream(req)):result())
      assert.equal(h.TEXT, res.text, model)
      assert.equal("stop", res.finish_reason, model)
      assert.same({ prompt_tokens = 13, completion_tokens = 6, total_tokens = 19, cost = 0.000093,
                    is_byok = false, prompt_tokens_details = { cached_tokens = 0 },
                    completion_tokens_details = { reasoning_tokens = 0 } }, res.usage, model)
      same_answer(res, assemble_bytewise(raw_sse(req)))
    end
  end)

  it("includes the chunks already read before result() was called", function()
    local s = assert(client:stream { prompt = "x" })
    assert(s:next())     -- role
    assert(s:next())     -- "Hello"
    local res = assert(s:result())
    assert.equal(h.TEXT, res.text)
    assert.equal(9, res.chunks)
  end)

  it("returns nil, err for a stream that fails, and canceled after close()", function()
    local res, err = assert(client:stream { model = "fake/drop-2", prompt = "x" }):result()
    assert.is_nil(res)
    assert.equal("interrupted", err.kind)
    local s = assert(client:stream { model = "fake/stall-1", prompt = "x" })
    s:close()
    res, err = s:result()
    assert.is_nil(res)
    assert.equal("canceled", err.kind)
  end)
end)
