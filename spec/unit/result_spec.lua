-- openrouter.result: the final answer assembled from a stream's chunks.
-- Chunks are written as the JSON the server sends and decoded with the
-- module's own decoder, so JSON nulls are the real json.null sentinel.

local json = require "openrouter.json"
local result = require "openrouter.result"

-- The result of feeding these JSON chunks, in order.
local function run(chunks)
  local acc = result.new()
  for _, text in ipairs(chunks) do acc:add(json.decode(text)) end
  return acc:finish()
end

-- A chunk with OpenRouter's envelope around `choices` (JSON text) and any
-- extra top-level members (JSON text, without braces).
local function chunk(choices, extra)
  return '{"id":"gen-1764031697-vqvW0uz7ouT4gsp3FYqp","provider":"Anthropic",'
    .. '"model":"anthropic/claude-sonnet-4","object":"chat.completion.chunk","created":1764031697,'
    .. '"choices":' .. choices .. (extra and ("," .. extra) or "") .. "}"
end

-- A chunk with one choice (index 0) carrying `delta` (JSON text).
local function delta(d, finish)
  return chunk('[{"index":0,"delta":' .. d .. ',"finish_reason":' .. (finish and ('"' .. finish .. '"') or "null")
    .. ',"native_finish_reason":' .. (finish and ('"' .. finish .. '"') or "null") .. ',"logprobs":null}]')
end

-- Fails if a json.null (or any userdata) hides anywhere in v.
local function assert_no_null(v, path, seen)
  path, seen = path or "res", seen or {}
  assert.is_false(v == json.null, path .. " is json.null")
  assert.is_not.equal("userdata", type(v), path .. " is a userdata")
  if type(v) == "table" and not seen[v] then
    seen[v] = true
    for k, x in pairs(v) do assert_no_null(x, path .. "." .. tostring(k), seen) end
  end
end

local USAGE = '{"prompt_tokens":13,"completion_tokens":16,"total_tokens":29,"cost":0.000093,"is_byok":false,'
  .. '"prompt_tokens_details":{"cached_tokens":0,"cache_write_tokens":0,"audio_tokens":0,"video_tokens":0},'
  .. '"cost_details":{"upstream_inference_cost":null,"upstream_inference_prompt_cost":0.000013,'
  .. '"upstream_inference_completions_cost":0.00008},'
  .. '"completion_tokens_details":{"reasoning_tokens":0,"image_tokens":0,"audio_tokens":0}}'

describe("result", function()
  it("of an empty stream: text is \"\", everything else absent", function()
    local res = result.new():finish()
    assert.equal("", res.text)
    assert.equal(0, res.chunks)
    assert.same({}, res.choices)
    for _, k in ipairs { "reasoning", "reasoning_details", "tool_calls", "finish_reason",
      "native_finish_reason", "usage", "model", "provider", "id", "created", "system_fingerprint",
      "message", "refusal", "annotations", "images" } do
      assert.is_nil(res[k], k)
    end
  end)

  it("of a plain text stream (2025 capture: usage after the stop chunk, empty delta)", function()
    local E = '"id":"gen-1739458867-kUKFjpDGCEBBvK6V46PX","provider":"OpenAI","model":"openai/gpt-4o-mini",'
      .. '"object":"chat.completion.chunk","created":1739458867,'
    local function c(content, finish, tail)
      local f = finish and ('"' .. finish .. '"') or "null"
      return "{" .. E .. '"choices":[{"index":0,"delta":{"role":"assistant","content":' .. content
        .. '},"finish_reason":' .. f .. ',"native_finish_reason":' .. f .. ',"logprobs":null}],'
        .. '"system_fingerprint":"fp_72ed7ab54c"' .. (tail or "") .. "}"
    end
    local res = run {
      c('""'), c('"亚"'), c('"Hello"'), c('", "'), c('"world"'), c('"!"'),
      c('""', "stop"),
      c('""', nil, ',"usage":' .. USAGE),
    }
    assert.equal("亚Hello, world!", res.text)
    assert.equal("stop", res.finish_reason)
    assert.equal("stop", res.native_finish_reason)
    assert.equal("openai/gpt-4o-mini", res.model)
    assert.equal("OpenAI", res.provider)
    assert.equal("gen-1739458867-kUKFjpDGCEBBvK6V46PX", res.id)
    assert.equal(1739458867, res.created)
    assert.equal("fp_72ed7ab54c", res.system_fingerprint)
    assert.equal(8, res.chunks)
    assert.equal(29, res.usage.total_tokens)
    assert.equal(0.00008, res.usage.cost_details.upstream_inference_completions_cost)
    assert.is_nil(res.usage.cost_details.upstream_inference_cost)
    assert.is_nil(res.reasoning)
    assert.is_nil(res.reasoning_details)
    assert.is_nil(res.tool_calls)
    assert.same({ role = "assistant", content = "亚Hello, world!" }, res.message)
    assert.equal(1, #res.choices)
    assert.equal(0, res.choices[1].index)
    assert.equal(res.message, res.choices[1].message)
    assert_no_null(res)
  end)

  it("takes usage from a `choices: []` chunk (2026 form)", function()
    local res = run {
      delta '{"role":"assistant","content":"Hi"}',
      delta('{"content":""}', "stop"),
      '{ "choices": [], "usage": ' .. USAGE .. " }",
    }
    assert.equal("Hi", res.text)
    assert.equal("stop", res.finish_reason)
    assert.equal(13, res.usage.prompt_tokens)
    assert.equal(0.000093, res.usage.cost)
    assert.is_false(res.usage.is_byok)
    assert.equal(3, res.chunks)
    assert_no_null(res)
  end)

  it("gives whole numbers back as integers (cjson decodes them as floats on 5.3+)", function()
    local res = run {
      delta '{"reasoning_details":[{"type":"reasoning.text","text":"r","index":0}]}',
      chunk("[]", '"usage":' .. USAGE),
    }
    assert.equal("29", tostring(res.usage.total_tokens))
    assert.equal("1764031697", tostring(res.created))
    assert.equal("0", tostring(res.reasoning_details[1].index))
    assert.equal("0", tostring(res.choices[1].index))
    assert.equal(9.3e-05, res.usage.cost)
    if math.type then assert.equal("integer", math.type(res.usage.prompt_tokens_details.cached_tokens)) end
  end)

  it("keeps the last usage when several chunks carry one", function()
    local res = run {
      chunk("[]", '"usage":{"prompt_tokens":1,"completion_tokens":0,"total_tokens":1}'),
      delta('{"content":"x"}', "stop"),
      chunk("[]", '"usage":null'),
      chunk("[]", '"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}'),
    }
    assert.equal(2, res.usage.total_tokens)
  end)

  it("does not let a later null finish_reason erase the real one", function()
    local res = run {
      delta('{"content":"a"}'),
      delta('{"content":""}', "length"),
      delta '{}',
      delta '{"content":null}',
    }
    assert.equal("length", res.finish_reason)
    assert.equal("length", res.native_finish_reason)
    assert.equal("a", res.text)
  end)

  it("assembles reasoning and merges reasoning_details by index", function()
    local res = run {
      delta '{"role":"assistant","content":"","reasoning":"Let me ","reasoning_details":[{"type":"reasoning.text","text":"Let me ","format":"anthropic-claude-v1","index":0,"signature":null,"id":null}]}',
      delta '{"content":null,"reasoning":"think.","reasoning_details":[{"type":"reasoning.text","text":"think.","format":"anthropic-claude-v1","index":0}]}',
      -- the signature ends detail 0 with an empty text piece
      delta '{"reasoning_details":[{"type":"reasoning.text","text":"","signature":"sig-abc","format":"anthropic-claude-v1","index":0}]}',
      -- a summary at index 2 arrives before the encrypted detail at index 1
      delta '{"reasoning_details":[{"type":"reasoning.summary","summary":"Broke it ","id":"rs-1","format":"anthropic-claude-v1","index":2}]}',
      delta '{"reasoning_details":[{"type":"reasoning.encrypted","data":"AAA","index":1}]}',
      -- no index: continues the last detail seen (index 1)
      delta '{"reasoning_details":[{"type":"reasoning.encrypted","data":"BBB"},{"type":"reasoning.summary","summary":"into parts","index":2}]}',
      delta '{"content":"Answer: 42"}',
      delta('{"content":""}', "stop"),
    }
    assert.equal("Let me think.", res.reasoning)
    assert.equal("Answer: 42", res.text)
    assert.same({
      { type = "reasoning.text", text = "Let me think.", format = "anthropic-claude-v1", index = 0,
        signature = "sig-abc" },
      { type = "reasoning.encrypted", data = "AAABBB", index = 1 },
      { type = "reasoning.summary", summary = "Broke it into parts", id = "rs-1",
        format = "anthropic-claude-v1", index = 2 },
    }, res.reasoning_details)
    assert.equal(res.reasoning_details, res.message.reasoning_details)
    assert.equal("Let me think.", res.message.reasoning)
    assert_no_null(res)
  end)

  it("keeps a detail of another type at the same index apart (text vs encrypted)", function()
    local res = run {
      delta '{"reasoning_details":[{"type":"reasoning.text","text":"Think","format":"google-gemini-v1","index":0}]}',
      delta '{"reasoning_details":[{"type":"reasoning.text","text":"ing","index":0}]}',
      delta '{"reasoning_details":[{"type":"reasoning.encrypted","data":"ZZZ","format":"google-gemini-v1","index":0}]}',
    }
    assert.same({
      { type = "reasoning.text", text = "Thinking", format = "google-gemini-v1", index = 0 },
      { type = "reasoning.encrypted", data = "ZZZ", format = "google-gemini-v1", index = 0 },
    }, res.reasoning_details)
  end)

  it("merges details that never carry an index into one, without inventing an index", function()
    local res = run {
      delta '{"reasoning_details":[{"type":"reasoning.text","text":"a"}]}',
      delta '{"reasoning_details":[{"type":"reasoning.text","text":"b"}]}',
    }
    assert.same({ { type = "reasoning.text", text = "ab" } }, res.reasoning_details)
  end)

  it("treats an empty reasoning as none", function()
    local res = run { delta '{"reasoning":"","content":"x"}', delta '{"reasoning":null}' }
    assert.is_nil(res.reasoning)
    assert.is_nil(res.reasoning_details)
  end)

  it("assembles two parallel tool calls from fragments, with and without id and index", function()
    local res = run {
      delta '{"role":"assistant","content":null}',
      delta '{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]}',
      delta '{"tool_calls":[{"index":0,"function":{"arguments":"{\\"city\\":"}}]}',
      delta '{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":"{\\"tz\\""}}]}',
      -- no index: continues the last call seen (index 1)
      delta '{"tool_calls":[{"function":{"arguments":":\\"Europe/"}}]}',
      delta '{"tool_calls":[{"function":{"arguments":"Paris\\"}"}}]}',
      -- no id: back to call 0 by index
      delta '{"tool_calls":[{"index":0,"id":null,"type":null,"function":{"name":null,"arguments":"\\"Paris\\"}"}}]}',
      delta('{"content":""}', "tool_calls"),
      chunk("[]", '"usage":{"prompt_tokens":50,"completion_tokens":20,"total_tokens":70}'),
    }
    assert.same({
      { id = "call_a", type = "function", ["function"] = { name = "get_weather", arguments = '{"city":"Paris"}' } },
      { id = "call_b", type = "function", ["function"] = { name = "get_time", arguments = '{"tz":"Europe/Paris"}' } },
    }, res.tool_calls)
    assert.same({ city = "Paris" }, json.decode(res.tool_calls[1]["function"].arguments))
    assert.equal("tool_calls", res.finish_reason)
    assert.equal("", res.text)
    -- a tool-only turn: no empty text to send back
    assert.is_nil(res.message.content)
    assert.equal(res.tool_calls, res.message.tool_calls)
    assert.equal(70, res.usage.total_tokens)
    assert_no_null(res)
  end)

  it("orders tool calls by index whatever order they start in", function()
    local res = run {
      delta '{"tool_calls":[{"index":1,"id":"b","function":{"name":"second","arguments":"{}"}},{"index":0,"id":"a","function":{"name":"first"}}]}',
    }
    assert.equal("first", res.tool_calls[1]["function"].name)
    assert.equal("", res.tool_calls[1]["function"].arguments)
    assert.equal("second", res.tool_calls[2]["function"].name)
    assert.equal("function", res.tool_calls[1].type)
  end)

  it("starts a new call when a new id reuses an index (providers that number every call 0)", function()
    local res = run {
      delta '{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"a","arguments":"{\\"x\\":1}"}}]}',
      delta '{"tool_calls":[{"index":0,"id":"call_2","type":"function","function":{"name":"b","arguments":"{\\"y\\""}}]}',
      delta '{"tool_calls":[{"index":0,"function":{"arguments":":2}"}}]}',
    }
    assert.equal(2, #res.tool_calls)
    assert.same({ "call_1", "a", '{"x":1}' },
      { res.tool_calls[1].id, res.tool_calls[1]["function"].name, res.tool_calls[1]["function"].arguments })
    assert.same({ "call_2", "b", '{"y":2}' },
      { res.tool_calls[2].id, res.tool_calls[2]["function"].name, res.tool_calls[2]["function"].arguments })
  end)

  it("tolerates a call with no id and no index at all, and a repeated name", function()
    local res = run {
      delta '{"tool_calls":[{"function":{"name":"lookup","arguments":"{\\"q\\":"}}]}',
      delta '{"tool_calls":[{"id":"late_id","function":{"name":"lookup","arguments":"\\"lua\\"}"}}]}',
    }
    assert.same({
      { id = "late_id", type = "function", ["function"] = { name = "lookup", arguments = '{"q":"lua"}' } },
    }, res.tool_calls)
  end)

  it("re-encodes arguments sent as an object", function()
    local res = run {
      delta '{"tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":{"n":5}}}]}',
    }
    assert.same({ n = 5 }, json.decode(res.tool_calls[1]["function"].arguments))
  end)

  it("survives nulls everywhere", function()
    local res = run {
      '{"id":null,"model":null,"provider":null,"created":null,"system_fingerprint":null,"usage":null,"choices":null}',
      '{"id":"gen-2","model":"m/x","choices":[{"index":0,"delta":null,"finish_reason":null}]}',
      '{"choices":[{"index":null,"delta":{"role":null,"content":null,"reasoning":null,"reasoning_details":null,'
        .. '"tool_calls":null,"refusal":null,"annotations":null,"images":null},"finish_reason":null,'
        .. '"native_finish_reason":null,"logprobs":null}]}',
      '{"choices":[{"index":0,"delta":{"content":"ok","reasoning_details":[null,{"type":"reasoning.text",'
        .. '"text":null,"signature":null,"id":null,"format":null,"index":0}],"tool_calls":[null,{"index":0,'
        .. '"id":null,"type":null,"function":null}]}}]}',
      '{"choices":[null]}',
      '{"choices":[],"usage":{"prompt_tokens":1,"cost":null,"cost_details":{"upstream_inference_cost":null}}}',
      "null", -- decodes to json.null: not a chunk, ignored
    }
    assert_no_null(res)
    assert.equal("ok", res.text)
    assert.equal("gen-2", res.id)
    assert.equal("m/x", res.model)
    assert.is_nil(res.provider)
    assert.is_nil(res.created)
    assert.is_nil(res.finish_reason)
    assert.same({ { type = "reasoning.text", index = 0 } }, res.reasoning_details)
    assert.same({ { type = "function", ["function"] = { arguments = "" } } }, res.tool_calls)
    assert.same({ prompt_tokens = 1, cost_details = {} }, res.usage)
    assert.equal(6, res.chunks)
  end)

  it("works with chunks that have no choices member at all", function()
    local res = run {
      '{"id":"gen-3","object":"chat.completion.chunk"}',
      delta '{"content":"a"}',
      '{"id":"gen-3"}',
      delta '{"content":"b"}',
    }
    assert.equal("ab", res.text)
    assert.equal(4, res.chunks)
  end)

  it("keeps the first non-null id, model and provider", function()
    local res = run {
      '{"id":null,"choices":[]}',
      '{"id":"gen-first","model":"a/first","provider":"First","choices":[]}',
      '{"id":"gen-second","model":"a/second","provider":"Second","choices":[]}',
    }
    assert.same({ "gen-first", "a/first", "First" }, { res.id, res.model, res.provider })
  end)

  it("records a mid-stream error's finish_reason", function()
    local res = run {
      delta '{"content":"partial"}',
      '{"id":"cmpl-abc123","object":"chat.completion.chunk","created":1234567890,"model":"openai/gpt-4o",'
        .. '"provider":"openai","error":{"code":"server_error","message":"Provider disconnected unexpectedly"},'
        .. '"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}',
    }
    assert.equal("partial", res.text)
    assert.equal("error", res.finish_reason)
  end)

  it("collects refusal, annotations and images", function()
    local res = run {
      delta '{"refusal":"I can"}',
      delta '{"refusal":"not."}',
      delta '{"annotations":[{"type":"url_citation","url_citation":{"url":"https://a.example","title":null}}]}',
      delta '{"annotations":[{"type":"url_citation","url_citation":{"url":"https://b.example"}}],"images":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AA"}}]}',
    }
    assert.equal("I cannot.", res.refusal)
    assert.equal(2, #res.annotations)
    assert.same({ url = "https://a.example" }, res.annotations[1].url_citation)
    assert.equal("https://b.example", res.annotations[2].url_citation.url)
    assert.equal("data:image/png;base64,AA", res.images[1].image_url.url)
    assert_no_null(res)
  end)

  it("assembles several choices (n > 1) by their index; the top level is choice 0", function()
    local res = run {
      chunk '[{"index":1,"delta":{"role":"assistant","content":"B1"},"finish_reason":null}]',
      chunk '[{"index":0,"delta":{"role":"assistant","content":"A1"},"finish_reason":null}]',
      chunk '[{"index":1,"delta":{"content":"B2"},"finish_reason":"stop"}]',
      chunk '[{"index":0,"delta":{"content":"A2"},"finish_reason":null},{"index":1,"delta":{},"finish_reason":null}]',
      chunk '[{"index":0,"delta":{"content":""},"finish_reason":"length"}]',
    }
    assert.equal("A1A2", res.text)
    assert.equal("length", res.finish_reason)
    assert.equal(2, #res.choices)
    assert.same({ 0, "A1A2", "length" }, { res.choices[1].index, res.choices[1].message.content,
      res.choices[1].finish_reason })
    assert.same({ 1, "B1B2", "stop" }, { res.choices[2].index, res.choices[2].message.content,
      res.choices[2].finish_reason })
  end)

  it("falls back to a choice's position when it has no index", function()
    local res = run {
      chunk '[{"delta":{"content":"x"}},{"delta":{"content":"y"}}]',
      chunk '[{"delta":{"content":"z"}}]',
    }
    assert.equal("xz", res.text)
    assert.equal("y", res.choices[2].message.content)
  end)

  it("can finish more than once, and keeps accumulating in between", function()
    local acc = result.new()
    acc:add(json.decode(delta '{"content":"a","tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":"{"}}]}'))
    local first = acc:finish()
    first.tool_calls[1]["function"].arguments = "changed"
    first.text = "changed"
    acc:add(json.decode(delta '{"content":"b","tool_calls":[{"index":0,"function":{"arguments":"}"}}]}'))
    local second = acc:finish()
    assert.equal("ab", second.text)
    assert.equal("{}", second.tool_calls[1]["function"].arguments)
    assert.equal(2, second.chunks)
    assert.are_not.equal(first.tool_calls, second.tool_calls)
  end)

  it("ignores what is not a chunk table, and add returns the accumulator", function()
    local acc = result.new()
    assert.equal(acc, acc:add(nil))
    acc:add("data: x"):add(42):add(json.null)
    assert.equal(0, acc:finish().chunks)
  end)

  it("does not modify the chunks it is given", function()
    local text = delta '{"content":"a","reasoning_details":[{"type":"reasoning.text","text":"r","index":0}],"tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":"{}"}}]}'
    local c = json.decode(text)
    local acc = result.new()
    acc:add(c)
    acc:add(c)
    acc:finish()
    assert.same(json.decode(text), c)
  end)
end)
