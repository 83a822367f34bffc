-- spec/bench/module.lua BUILD MODE URL [ARG] -- this module, for `make bench`:
--   text MODEL      for t in stream:text()      (prints the count)
--   chunks MODEL    for chunk in stream:chunks()
--   result MODEL    stream:result()
--   calls N         N client:chat calls in sequence (keep-alive)
--   concurrent N    N streams at once, in tasks (fake/chunks-100 each)
--   require         require "openrouter" and nothing else
package.path = "./lua/?.lua;./lua/?/init.lua;" .. package.path
package.cpath = arg[1] .. "/?.so;" .. package.cpath
local mode, url, extra = arg[2], arg[3], arg[4]
local openrouter = require "openrouter"
if mode == "require" then print(1) return end
local client = openrouter.new { api_key = "sk-or-v1-bench-not-a-real-key", base_url = url,
                                max_retries = 0, idle_timeout = 120, model = "openai/gpt-4o" }
local n = 0
if mode == "text" then
  for _ in assert(client:stream { model = extra, prompt = "x" }):text() do n = n + 1 end
elseif mode == "chunks" then
  for _ in assert(client:stream { model = extra, prompt = "x" }):chunks() do n = n + 1 end
elseif mode == "result" then
  n = #assert(assert(client:stream { model = extra, prompt = "x" }):result()).text
elseif mode == "calls" then
  for _ = 1, tonumber(extra) do
    if assert(client:chat { prompt = "x" }).text then n = n + 1 end
  end
elseif mode == "concurrent" then
  local tasks = {}
  for i = 1, tonumber(extra) do
    tasks[i] = openrouter.spawn(function()
      local s = assert(client:stream { model = "fake/chunks-100", prompt = "x" })
      local k = 0
      while true do
        local chunk, err = s:next()
        if err then error(tostring(err)) end
        if chunk == nil then return k end
        k = k + 1
      end
    end)
  end
  assert(openrouter.run(120))
  for _, t in ipairs(tasks) do
    assert(t.ok, tostring(t.error))
    n = n + t.values[1]
  end
end
print(n)
