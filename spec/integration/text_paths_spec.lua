-- stream:text() takes a chunk that holds nothing but text straight from
-- the C core (no table); every other chunk it decodes like next().  Both
-- ways must give the same answer: every stream the fake server can make is
-- read through text() and through chunks(), and the texts, the errors and
-- result() afterwards must be the same.

local h = require "spec.support.helpers"

local MODELS = {
  "openai/gpt-4o", "fake/crlf", "fake/cr", "fake/drip", "fake/delay-5", "fake/slow-2",
  "fake/keepalive-2", "fake/chunks-0", "fake/chunks-3000", "fake/big-70000", "fake/notjson",
  "fake/usage-legacy", "fake/error-mid", "fake/error-mid-429", "fake/drop-5", "fake/eof-4",
  "fake/stall-3", "fake/choice-error", "fake/reasoning", "fake/buffered", "fake/events",
  "fake/event-error", "fake/event-error-text", "fake/echo", "fake/bigthen-3000-50",
  "fake/status-429", "fake/html-502", "fake/json-200", "fake/tools", "fake/flakydrop-9-textpaths",
}

local TOOLS = {
  { type = "function", ["function"] = { name = "get_weather", parameters = { type = "object",
    properties = { location = { type = "string" } } } } },
}

-- The result with what differs from request to request taken out.
local function comparable(res)
  if type(res) ~= "table" then return res end
  local c = {}
  for k, v in pairs(res) do
    if k ~= "id" and k ~= "created" and k ~= "headers" then c[k] = v end
  end
  return c
end

local function comparable_error(err)
  if err == nil then return nil end
  -- (over HTTP/2 a message names the h2 stream: a number that differs)
  local message = type(err.message) == "string" and err.message:gsub("stream %d+", "stream N")
                  or err.message
  return { kind = err.kind, message = message, code = err.code, partial = err.partial,
           retryable = err.retryable, status = err.status }
end

-- Read one stream of `model` through `way` ("text" or "chunks"): the texts,
-- the error the reading raised, and what result() says afterwards.
local function read(client, model, way)
  local req = { model = model, prompt = "same question" }
  if model == "fake/tools" then req.tools = TOOLS end
  local s, err = client:stream(req)
  if not s then return { open = comparable_error(err) } end
  local texts = {}
  local ok, raised = pcall(function()
    if way == "text" then
      for t in s:text() do texts[#texts + 1] = t end
    else
      for chunk in s:chunks() do
        local choice = chunk.choices[1]
        local content = choice and choice.delta and choice.delta.content
        if type(content) == "string" and content ~= "" then texts[#texts + 1] = content end
      end
    end
  end)
  local res, rerr = s:result()
  return { texts = texts, raised = not ok and comparable_error(raised) or nil,
           result = comparable(res), result_error = comparable_error(rerr) }
end

describe("text() and chunks()", function()
  local client
  setup(function() client = h.client { idle_timeout = 0.5 } end)

  for _, model in ipairs(MODELS) do
    it("give the same answer for " .. model, function()
      local by_text = read(client, model, "text")
      local by_chunks = read(client, model, "chunks")
      assert.same(by_chunks, by_text)
    end)
  end

  it("take the fast way for every chunk that holds only text", function()
    local s = assert(client:stream { model = "fake/chunks-2000", prompt = "x" })
    local n = 0
    for _ in s:text() do n = n + 1 end
    assert.equal(2000, n)
    -- the role chunk is decoded (it tells the envelope); the 2000 are not
    assert.equal(2000, s:info().plain)
    local res = assert(s:result())
    assert.equal(("a"):rep(2000), res.text)
    assert.equal(2003, res.chunks)
  end)
end)
