-- The request checks of 0.2: a near miss of a documented field (or of our
-- own) is a config error naming the field meant, never a silent
-- pass-through; a request without messages is a config error; a request's
-- own headers are sent as HTTP headers, over the client's, never in the
-- body.  Nothing is sent when a check fails.

local fake = require "spec.support.fake"
local h = require "spec.support.helpers"
local cjson = require "cjson"

describe("request checks", function()
  local client
  setup(function() client = h.client { headers = { ["X-Client"] = "c", ["X-Both"] = "client" } } end)

  local function config_error(req, field, meant)
    local before = fake.stats().requests
    local res, err = client:chat(req)
    assert.is_nil(res)
    assert.equal("config", err.kind)
    assert.equal(("unknown request field '%s' (did you mean %s?)"):format(field, meant), err.message)
    assert.equal(field, err.field)
    assert.equal(before, fake.stats().requests, "nothing was sent")
  end

  it("names the field meant for near misses of documented and own fields", function()
    config_error({ promt = "hi", messages = { { role = "user", content = "x" } } }, "promt", "prompt")
    config_error({ prompt = "hi", max_token = 5 }, "max_token", "max_tokens")
    config_error({ prompt = "hi", temprature = 0.5 }, "temprature", "temperature")
    config_error({ prompt = "hi", modle = "openai/gpt-4o" }, "modle", "model")
    config_error({ prompt = "hi", fallback = { "a/b" } }, "fallback", "fallbacks")
    config_error({ prompt = "hi", varient = "nitro" }, "varient", "variant")
    config_error({ prompt = "hi", tool_choise = "auto" }, "tool_choise", "tool_choice")
    config_error({ prompt = "hi", Model = "openai/gpt-4o" }, "Model", "model")
  end)

  it("still passes unknown fields that are no near miss through unchanged", function()
    assert(client:chat { prompt = "hi", x_custom_field = { a = 1 }, my_flag = true })
    local body = cjson.decode(fake.last().body)
    assert.same({ a = 1 }, body.x_custom_field)
    assert.is_true(body.my_flag)
  end)

  it("refuses a request without messages (and no prompt), sending nothing", function()
    local before = fake.stats().requests
    for _, req in ipairs { {}, { model = "openai/gpt-4o" }, { system = nil, temperature = 1 } } do
      local res, err = client:chat(req)
      assert.is_nil(res)
      assert.equal("config", err.kind)
      assert.equal("the request has no messages", err.message)
      assert.matches("prompt", err.hint)
      local s, serr = client:stream(req)
      assert.is_nil(s)
      assert.equal("config", serr.kind)
    end
    assert.equal(before, fake.stats().requests)
  end)

  it("sends a request's headers as HTTP headers, over the client's, not in the body", function()
    assert(client:chat { prompt = "hi", headers = { ["X-Request"] = "r", ["x-both"] = "request" } })
    local last = fake.last()
    assert.equal("r", last.headers["x-request"])
    assert.equal("c", last.headers["x-client"])
    assert.equal("request", last.headers["x-both"])
    assert.is_nil(cjson.decode(last.body).headers)
    local s = assert(client:stream { prompt = "hi", headers = { ["X-Request"] = "s" } })
    assert(s:result())
    assert.equal("s", fake.last().headers["x-request"])
  end)

  it("refuses request headers with CR or LF, or that are not a table", function()
    local _, err = client:chat { prompt = "hi", headers = { ["X-Bad"] = "a\r\nInjected: 1" } }
    assert.equal("config", err.kind)
    assert.matches("CR, LF or NUL", err.message)
    _, err = client:chat { prompt = "hi", headers = "X-A: b" }
    assert.equal("config", err.kind)
    assert.matches("must be a table", err.message)
  end)
end)
