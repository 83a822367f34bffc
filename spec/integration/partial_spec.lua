-- Failures keep what arrived: every error of a stream that had already
-- delivered something carries err.result, the answer so far in the shape
-- of stream:result(), with result.incomplete; a tool call cut mid-arguments
-- keeps its fragment, flagged, never {}.  An error before anything was
-- delivered has no result.

local h = require "spec.support.helpers"
local openrouter = require "openrouter"

describe("a stream that fails after delivering", function()
  local client
  setup(function() client = h.client { idle_timeout = 0.3 } end)

  it("result() returns nil, err with err.result: the text so far, incomplete", function()
    local res, err = assert(client:stream { model = "fake/drop-3", prompt = "x" }):result()
    assert.is_nil(res)
    assert.equal("interrupted", err.kind)
    assert.is_true(err.partial)
    local r = err.result
    assert.is_true(r.incomplete)
    assert.equal("aaa", r.text)
    assert.equal("aaa", r.message.content)
    assert.equal("assistant", r.message.role)
    assert.equal("fake/drop-3", r.model)
    assert.equal("FakeProvider", r.provider)
    assert.matches("^gen%-", r.id)
    assert.equal(200, r.status)
    h.assert_no_userdata(r, "result")
  end)

  it("the error raised by each way of reading carries the same result", function()
    for _, way in ipairs { "chunks", "text", "next" } do
      local s = assert(client:stream { model = "fake/error-mid", prompt = "x" })
      local seen = {}
      local ok, err = pcall(function()
        if way == "chunks" then
          for chunk in s:chunks() do seen[#seen + 1] = chunk.choices[1].delta.content end
        elseif way == "text" then
          for t in s:text() do seen[#seen + 1] = t end
        else
          while true do
            local chunk, e = s:next()
            if e then error(e, 0) end
            if not chunk then break end
            seen[#seen + 1] = chunk.choices[1].delta.content
          end
        end
      end)
      assert.is_false(ok, way)
      assert.is_true(openrouter.is_error(err), way)
      assert.is_true(err.partial, way)
      assert.equal("Hello,", err.result.text, way)
      assert.equal(table.concat(seen), err.result.text, way)
      assert.is_true(err.result.incomplete, way)
      assert.equal(err, s.error, way)
      local _, again = s:result()
      assert.equal(err, again, way)
    end
  end)

  it("a tool call cut mid-arguments keeps its fragment, flagged; a whole one is not", function()
    local _, err = assert(client:stream { model = "fake/tools-cut", prompt = "x" }):result()
    assert.equal("interrupted", err.kind)
    local calls = err.result.tool_calls
    assert.equal(2, #calls)
    assert.equal("get_weather", calls[1]["function"].name)
    assert.equal('{"location": "Paris"}', calls[1]["function"].arguments)
    assert.is_nil(calls[1].incomplete)
    assert.equal("get_time", calls[2]["function"].name)
    assert.equal('{"tz":', calls[2]["function"].arguments)
    assert.is_true(calls[2].incomplete)
    assert.equal(calls, err.result.message.tool_calls)
    assert.is_nil(err.result.message.content)        -- a turn that only calls tools
  end)

  it("an idle timeout mid-stream, an error chunk, a choice error: each keeps its result", function()
    for model, want in pairs { ["fake/stall-2"] = { "timeout", "aa" },
                               ["fake/choice-error"] = { "provider", "partial" },
                               ["fake/event-error"] = { "provider", "Hello," } } do
      local _, err = assert(client:stream { model = model, prompt = "x" }):result()
      assert.equal(want[1], err.kind, model)
      assert.equal(want[2], err.result.text, model)
      assert.is_true(err.result.incomplete, model)
    end
  end)

  it("an error before anything was delivered has no result", function()
    for _, model in ipairs { "fake/status-500", "fake/html-502", "fake/flakydrop-9-partial", "fake/json-200" } do
      local s, err = client:stream { model = model, prompt = "x" }
      if s then err = select(2, s:result()) end
      assert.is_false(err.partial, model)
      assert.is_nil(err.result, model)
    end
  end)

  it("a stream that ends well has no incomplete flag", function()
    local res = assert(assert(client:stream { model = "fake/tools", prompt = "x",
      tools = { { type = "function", ["function"] = { name = "get_weather" } } } }):result())
    assert.is_nil(res.incomplete)
    assert.is_nil(res.tool_calls[1].incomplete)
    assert.is_nil(res.tool_calls[2].incomplete)
  end)
end)
