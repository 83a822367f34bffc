-- client:run_tools: the whole tool-calling loop against the fake server's
-- tool-calling models.  fake/tools calls get_weather({"location": "Paris"})
-- and get_time({"tz": "Europe/Paris"}), then, once the request carries
-- `tool` messages, answers "The weather in Paris is 18°C and sunny."

local cjson = require "cjson"
local fake = require "spec.support.fake"
local h = require "spec.support.helpers"
local openrouter = require "openrouter"

local WEATHER = "The weather in Paris is 18°C and sunny."

local TOOLS = {
  { type = "function", ["function"] = { name = "get_weather", parameters = { type = "object",
    properties = { location = { type = "string" } } } } },
  { type = "function", ["function"] = { name = "get_time", parameters = { type = "object",
    properties = { tz = { type = "string" } } } } },
}

local function request(model)
  return { model = model or "fake/tools", prompt = "What is the weather in Paris?", tools = TOOLS }
end

-- The messages of the last request the fake server got.
local function last_messages()
  return cjson.decode(fake.last().body).messages
end

-- The tool messages of a transcript, by tool_call_id.
local function tool_answers(messages)
  local out = {}
  for _, m in ipairs(messages) do
    if m.role == "tool" then out[m.tool_call_id] = m.content end
  end
  return out
end

describe("client:run_tools", function()
  local client
  setup(function() client = h.client() end)

  it("runs a two-tool round trip and returns the final answer with the transcript", function()
    local seen = {}
    local pieces = {}
    local res = assert(client:run_tools(request(), {
      get_weather = function(args, call)
        seen[#seen + 1] = "get_weather " .. args.location .. " " .. call.id
        return { temp = 18, sky = "sunny" }
      end,
      get_time = function(args) seen[#seen + 1] = "get_time " .. args.tz return "12:00" end,
    }, { on_text = function(piece) pieces[#pieces + 1] = piece end }))
    assert.equal(WEATHER, res.text)
    assert.equal(WEATHER, table.concat(pieces))
    assert.equal(2, res.rounds)
    assert.same({ "get_weather Paris call_1", "get_time Europe/Paris" }, seen)
    local m = res.messages
    assert.equal(5, #m)
    assert.same({ role = "user", content = "What is the weather in Paris?" }, m[1])
    assert.equal("assistant", m[2].role)
    assert.equal(2, #m[2].tool_calls)
    assert.is_nil(m[2].content)                     -- a turn that only calls tools
    assert.equal("tool", m[3].role)
    assert.equal("call_1", m[3].tool_call_id)
    assert.same({ sky = "sunny", temp = 18 }, cjson.decode(m[3].content))   -- a table goes as JSON
    assert.equal("12:00", m[4].content)
    assert.equal(m[2].tool_calls[2].id, m[4].tool_call_id)
    assert.same({ role = "assistant", content = WEATHER }, m[5])
    -- what the second request carried: the whole transcript but the answer
    local sent = last_messages()
    assert.equal(4, #sent)
    assert.equal("get_weather", sent[2].tool_calls[1]["function"].name)
    assert.equal("tool", sent[3].role)
  end)

  it("sends reasoning_details back unchanged on the tool round", function()
    local res = assert(client:run_tools(request("fake/tools-reasoning"), {
      get_weather = function() return "18°C" end,
    }))
    assert.equal(WEATHER, res.text)
    local assistant = last_messages()[2]
    assert.same({ { type = "reasoning.encrypted", data = "opaque-blob-1", index = 0,
                    format = "anthropic-claude-v1" } }, assistant.reasoning_details)
    assert.equal("Need the weather.", assistant.reasoning)
  end)

  it("tells the model what went wrong in a call, and goes on", function()
    -- get_weather raises; there is no get_time
    local res = assert(client:run_tools(request(), {
      get_weather = function() error("the weather service is down") end,
    }))
    assert.equal(WEATHER, res.text)
    local answers = tool_answers(res.messages)
    assert.matches("^error: the tool failed: .*the weather service is down", answers.call_1)
    assert.equal('error: there is no tool named "get_time"', answers[res.messages[2].tool_calls[2].id])
    -- arguments that are not JSON: the handler is not called
    local called = false
    res = assert(client:run_tools(request("fake/tools-badargs"), {
      get_weather = function() called = true end,
    }))
    assert.is_false(called)
    assert.matches("^error: the arguments are not JSON %(.*%): {not json$", tool_answers(res.messages).call_7)
  end)

  it("on_call sees each call and may refuse it", function()
    local asked = {}
    local ran = false
    local res = assert(client:run_tools(request(), {
      get_weather = function() ran = true return "sunny" end,
      get_time = function() return "12:00" end,
    }, { on_call = function(name, args)
      asked[#asked + 1] = name .. ":" .. (args.location or args.tz)
      return name ~= "get_weather"
    end }))
    assert.is_false(ran)
    assert.same({ "get_weather:Paris", "get_time:Europe/Paris" }, asked)
    assert.equal("error: the call was refused by the application", tool_answers(res.messages).call_1)
  end)

  it("stops after max_rounds with kind output, keeping the transcript", function()
    local before = fake.attempts("fake/tools-loop")
    local res, err = client:run_tools(request("fake/tools-loop"), {
      get_weather = function() return "rain" end,
    }, { max_rounds = 3 })
    assert.is_nil(res)
    assert.equal("output", err.kind)
    assert.is_false(err.retryable)
    assert.matches("max_rounds %(3%)", err.message)
    assert.equal(3, fake.attempts("fake/tools-loop") - before)
    assert.equal(3, err.result.rounds)
    assert.equal(7, #err.result.messages)          -- user, then 3 × (assistant, tool)
    assert.equal("call_9", err.result.tool_calls[1].id)
  end)

  it("a failed request ends the loop with that error and the transcript so far", function()
    local res, err = client:run_tools(request("fake/status-500"), { get_weather = print })
    assert.is_nil(res)
    assert.equal("server", err.kind)
    assert.equal(1, #err.result.messages)
    assert.equal(1, err.result.rounds)
  end)

  it("runs in tasks, each loop waiting without blocking the others", function()
    local tasks = {}
    for i = 1, 3 do
      tasks[i] = openrouter.spawn(function()
        return client:run_tools(request(), { get_weather = function() return "ok" end,
                                             get_time = function() return "now" end })
      end)
    end
    assert.is_false(tasks[1].done)
    openrouter.run(10)
    for i = 1, 3 do
      assert.is_true(tasks[i].ok, tostring(tasks[i].error))
      assert.equal(WEATHER, tasks[i].values[1].text)
    end
  end)

  it("counts only the requests it sent: a refused one (max_cost) is no round", function()
    local c = h.client { max_cost = 0.00005 }
    assert(c:chat { prompt = "x" })                      -- spends the budget
    local res, err = c:run_tools(request(), { get_weather = print })
    assert.is_nil(res)
    assert.equal("budget", err.kind)
    assert.equal(0, err.result.rounds)
    assert.equal(1, #err.result.messages)
  end)

  it("refuses what is not a request, handlers or options", function()
    local handlers = { get_weather = print }
    for _, case in ipairs {
      { "x", handlers, nil, "expects a request table" },
      { request(), nil, nil, "expects a table of handlers" },
      { request(), handlers, { max_rounds = 0 }, "max_rounds must be a whole number >= 1" },
      { request(), handlers, { on_text = "print" }, "on_text must be a function" },
      { { messages = { { role = "user", content = "x" } }, system = "be brief", tools = TOOLS }, handlers,
        nil, "give either messages or prompt/system, not both" },
      { { tools = TOOLS }, handlers, nil, "the request has no messages" },
      { { prompt = 42, tools = TOOLS }, handlers, nil, "'prompt' must be a string" },
    } do
      local res, err = client:run_tools(case[1], case[2], case[3])
      assert.is_nil(res)
      assert.equal("config", err.kind)
      assert.matches(case[4], err.message, 1, true)
    end
  end)
end)
