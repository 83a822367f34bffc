-- The examples load on this Lua, and the command-line ones work against
-- the fake server as a user would run them.

local fake = require "spec.support.fake"
local h = require "spec.support.helpers"

local LUA = os.getenv("OR_LUA") or "lua5.4"

-- Run an example in a fresh interpreter with the suite's module paths.
local function run(script, args, env)
  local vars = {
    ("LUA_PATH=%q"):format(package.path), ("LUA_CPATH=%q"):format(package.cpath),
    ("OPENROUTER_BASE_URL=%q"):format(fake.start()),
    ("OPENROUTER_API_KEY=%q"):format(h.KEY),
  }
  for k, v in pairs(env or {}) do vars[#vars + 1] = ("%s=%q"):format(k, v) end
  local cmd = ("env -u LUA_PATH_5_4 -u LUA_CPATH_5_4 %s %s %s %s 2>&1; echo \"exit=$?\"")
    :format(table.concat(vars, " "), LUA, script, args or "")
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  p:close()
  local code = tonumber(out:match("exit=(%d+)%s*$"))
  return out:gsub("exit=%d+%s*$", ""), code
end

describe("examples", function()
  local files = {
    "examples/chat.lua", "examples/doctor.lua", "examples/fallbacks.lua", "examples/tools.lua",
    "examples/batch.lua", "examples/agent.lua",
    "examples/love2d/main.lua",
    "examples/neovim/plugin/openrouter.lua", "examples/neovim/lua/openrouter_ask.lua",
  }
  for _, f in ipairs(files) do
    it(f .. " compiles", function()
      assert.is_function(assert(loadfile(f)))
    end)
  end

  it("chat.lua streams an answer", function()
    local out, code = run("examples/chat.lua", "fake/slow-5 'Say hello'")
    assert.equal(0, code, out)
    assert.matches("Hello, world from fake OpenRouter!\n", out, 1, true)
    assert.matches("[fake/slow-5 via FakeProvider]", out, 1, true)
    assert.is_nil(out:find(h.KEY, 1, true))
  end)

  it("fallbacks.lua sends its routing tables and shows a typo caught", function()
    local out, code = run("examples/fallbacks.lua", "", { OPENROUTER_MODEL = "fake/slow-1" })
    assert.equal(0, code, out)
    assert.matches("Hello, world from fake OpenRouter!", out, 1, true)
    assert.matches("did you mean allow_fallbacks?", out, 1, true)
    local body = require("cjson").decode(fake.last().body)
    assert.same({ "fake/slow-1", "openai/gpt-4o" }, body.models)
    assert.same({ data_collection = "deny", order = { "together", "fireworks" },
                  allow_fallbacks = true, sort = "price" }, body.provider)
  end)

  it("tools.lua runs a tool-call round trip", function()
    local out, code = run("examples/tools.lua", "fake/tools")
    assert.equal(0, code, out)
    assert.matches('-> get_weather({"location": "Paris"}) = ', out, 1, true)
    assert.matches('-> get_time({"tz":"Europe/Paris"}) = ', out, 1, true)
    assert.matches("The weather in Paris is 18°C and sunny.", out, 1, true)
  end)

  it("doctor.lua prints the checklist and exits by its result", function()
    local out, code = run("examples/doctor.lua", "fake/slow-20")
    assert.equal(0, code, out)
    assert.matches("openrouter diagnose: all checks passed", out, 1, true)
    assert.matches("[ok]   live request: fake/slow-20 served by FakeProvider", out, 1, true)
    assert.is_nil(out:find(h.KEY, 1, true))
    -- the README's own command, against the fake server: green
    out, code = run("examples/doctor.lua", "openai/gpt-4o-mini")
    assert.equal(0, code, out)
    assert.matches("[ok]   streaming: 6 pieces of text over", out, 1, true)
    out, code = run("examples/doctor.lua", "openai/gpt4o", { DOCTOR_LIVE = "0" })
    assert.equal(1, code, out)
    assert.matches("[FAIL] model: openai/gpt4o is not in the model list", out, 1, true)
    assert.matches("hint: did you mean openai/gpt-4o", out, 1, true)
  end)

  it("agent.lua runs a two-tool loop to the final answer", function()
    local out, code = run("examples/agent.lua", "fake/tools")
    assert.equal(0, code, out)
    assert.matches("-> get_weather(location=Paris)", out, 1, true)
    assert.matches("-> get_time(tz=Europe/Paris)", out, 1, true)
    assert.matches("The weather in Paris is 18°C and sunny.\n[2 requests, 5 messages]", out, 1, true)
  end)

  it("batch.lua runs 50 prompts 4 at a time and stops at its cost cap", function()
    -- the fake's answers cost $0.000093: $0.001 pays for 11, and the ones
    -- already admitted when the cap is reached (at most 3 more) finish
    local out, code = run("examples/batch.lua", "0.001")
    assert.equal(0, code, out)
    local answered, skipped, failed = out:match("(%d+) answered, (%d+) skipped by max_cost, (%d+) failed")
    answered, skipped = tonumber(answered), tonumber(skipped)
    assert.is_true(answered >= 11 and answered <= 14, out)
    assert.equal(50, answered + skipped)
    assert.equal("0", failed)
    assert.matches("spent $0.00", out, 1, true)
    out, code = run("examples/batch.lua", "1")
    assert.equal(0, code, out)
    assert.matches("50 answered, 0 skipped by max_cost, 0 failed", out, 1, true)
  end)

  it("chat.lua prints the error object and fails on an error status", function()
    local out, code = run("examples/chat.lua", "fake/status-401 hi")
    assert.equal(1, code)
    assert.matches("openrouter: auth (401)", out, 1, true)
  end)
end)
