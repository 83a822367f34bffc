-- spec/support/smoke.lua -- run by a plain interpreter, outside busted:
-- busted loads Penlight, which adds table.pack/unpack to Lua 5.1 and so
-- could hide a missing compat path.  Prints "N passed, N failed".
package.path = "./lua/?.lua;./lua/?/init.lua;./?.lua;" .. package.path
local cpath = assert(arg[1], "usage: smoke.lua BUILD_DIR")
package.cpath = cpath .. "/?.so;" .. package.cpath

local passed, failed = 0, 0
local function check(name, ok, detail)
  if ok then passed = passed + 1
  else failed = failed + 1; print("FAIL " .. name .. ": " .. tostring(detail)) end
end

local ok, openrouter = pcall(require, "openrouter")
check("require", ok, openrouter)
if ok then
  local fake = require "spec.support.fake"
  local client = openrouter.new { api_key = "sk-or-v1-smoke-not-a-real-key", base_url = fake.start(),
                                  model = "openai/gpt-4o", max_retries = 0 }
  local res, err = client:chat { prompt = "hi" }
  check("chat", res and res.text == "Hello, world from fake OpenRouter!", err)
  local s
  s, err = client:stream { prompt = "hi" }
  local parts = {}
  if s then for t in s:text() do parts[#parts + 1] = t end end
  check("stream text", table.concat(parts) == "Hello, world from fake OpenRouter!", err)
  -- a task, driven by step(); on PUC 5.1 waits must not cross a C boundary
  local task = openrouter.spawn(function()
    local st = assert(client:stream { prompt = "hi" })
    return st:result().text
  end)
  openrouter.run(10)
  check("task", task.ok and task.values[1] == "Hello, world from fake OpenRouter!", task.error)
  local _, e = client:stream { model = "fake/status-401", prompt = "x" }
  check("error object", openrouter.is_error(e) and tostring(e):find("^openrouter: auth") ~= nil, e)
  fake.stop()
end
print(("smoke (%s): %d passed, %d failed"):format(_VERSION, passed, failed))
print(("%d passed, %d failed"):format(passed, failed))
os.exit(failed == 0 and 0 or 1)
