-- spec/bench.lua BUILD_DIR -- `make bench`: figures, not tests.  Prints
-- what a stream costs the client: chunks per second and microseconds per
-- chunk through each API layer, against the raw transfer (libcurl only) as
-- the baseline; memory held while streaming; many streams at once.
package.path = "./lua/?.lua;./lua/?/init.lua;./?.lua;" .. package.path
package.cpath = (arg[1] or "build/5.4") .. "/?.so;" .. package.cpath

local core = require "openrouter.core"
local fake = require "spec.support.fake"
local openrouter = require "openrouter"

local N = tonumber(os.getenv("BENCH_CHUNKS") or "") or 100000
local base = fake.start()
local client = openrouter.new { api_key = "sk-or-v1-bench-not-a-real-key", base_url = base,
                                max_retries = 0, idle_timeout = 60 }
local model = "fake/chunks-" .. N

local function best_of(rounds, fn)
  local best
  for _ = 1, rounds do
    collectgarbage()
    local t0 = core.now()
    local n = fn()
    local dt = core.now() - t0
    assert(n >= N, "got " .. tostring(n) .. " items")
    if not best or dt < best then best = dt end
  end
  return best
end

-- Baseline: the transfer and SSE parsing in C, events popped as strings.
local function raw()
  local x = core.request { url = base .. "/chat/completions", method = "POST", stream = true,
    body = '{"model":"' .. model .. '","stream":true}',
    headers = { "Authorization: Bearer sk-or-v1-bench", "Content-Type: application/json" } }
  local n = 0
  while true do
    local data = x:pop()
    if data then n = n + 1
    else
      local finished, done = x:state()
      if done or finished then break end
      core.drive(1)
    end
  end
  x:close()
  return n
end

local function chunks()
  local n = 0
  for _ in assert(client:stream { model = model, prompt = "x" }):chunks() do n = n + 1 end
  return n
end

local function text()
  local n = 0
  for _ in assert(client:stream { model = model, prompt = "x" }):text() do n = n + 1 end
  return n
end

local function result()
  local res = assert(assert(client:stream { model = model, prompt = "x" }):result())
  return #res.text
end

print(("bench: %s, %s; %d chunks of ~270 bytes from the fake server on loopback")
  :format(_VERSION, core.curl_version:match("^%S+"), N))
local t_raw = best_of(3, raw)
local rows = { { "transfer + SSE parse only (C, events as strings)", t_raw } }
rows[#rows + 1] = { "for chunk in stream:chunks() (each chunk decoded)", best_of(3, chunks) }
rows[#rows + 1] = { "for text in stream:text()", best_of(3, text) }
rows[#rows + 1] = { "stream:result() (assembled answer)", best_of(3, result) }
for _, r in ipairs(rows) do
  print(("  %-52s %7.3f s  %8.0f chunks/s  %6.2f us/chunk  x%.1f of raw")
    :format(r[1], r[2], N / r[2], r[2] / N * 1e6, r[2] / t_raw))
end

-- Memory: Lua heap while a stream is consumed chunk by chunk (not kept).
collectgarbage()
local before = collectgarbage("count")
local peak = before
local s = assert(client:stream { model = model, prompt = "x" })
local i = 0
for _ in s:chunks() do
  i = i + 1
  if i % 1000 == 0 then peak = math.max(peak, collectgarbage("count")) end
end
print(("  Lua heap while streaming %d chunks: %.0f KiB before, peak %.0f KiB (garbage included)")
  :format(N, before, peak))

-- Many streams at once, each in a task.
local tasks = {}
local t0 = core.now()
for k = 1, 200 do
  tasks[k] = openrouter.spawn(function()
    return assert(assert(client:stream { model = "fake/chunks-500", prompt = "x" }):result()).text
  end)
end
openrouter.run(60)
local dt = core.now() - t0
for k = 1, 200 do assert(tasks[k].ok and #tasks[k].values[1] == 500, tostring(tasks[k].error)) end
print(("  200 concurrent streams of 500 chunks in tasks: %.3f s (%.0f chunks/s in all)")
  :format(dt, 200 * 500 / dt))
fake.stop()
