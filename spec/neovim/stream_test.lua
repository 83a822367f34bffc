-- Runs inside `nvim --headless` (see spec/neovim/run).  Writes its checks
-- to $OR_RESULT, ending with "N passed, N failed", then quits.
local root, build = os.getenv("OR_ROOT"), os.getenv("OR_BUILD")
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
-- lua-cjson from Debian, for LuaJIT (Neovim's own cpath does not list it)
package.cpath = build .. "/?.so;/usr/lib/x86_64-linux-gnu/lua/5.1/?.so;/usr/local/lib/lua/5.1/?.so;"
  .. package.cpath

local results, passed, failed = {}, 0, 0
local function check(name, ok, detail)
  if ok then passed = passed + 1 else failed = failed + 1 end
  results[#results + 1] = (ok and "ok   " or "FAIL ") .. name .. (ok and "" or (": " .. tostring(detail)))
end
local function finish()
  results[#results + 1] = ("%d passed, %d failed"):format(passed, failed)
  local f = assert(io.open(os.getenv("OR_RESULT"), "w"))
  f:write(table.concat(results, "\n"), "\n")
  f:close()
  vim.cmd(failed == 0 and "qall!" or "cquit! 1")
end

local ok, err = pcall(function()
  local openrouter = require "openrouter"
  local uv = vim.loop
  local handle = openrouter.attach(uv, { schedule = vim.schedule })

  local buf = vim.api.nvim_create_buf(false, true)
  local ticks = {}
  local timer = uv.new_timer()
  timer:start(0, 10, function() ticks[#ticks + 1] = uv.hrtime() / 1e6 end)

  local client = openrouter.new { api_key = "sk-or-v1-neovim-test-not-a-real-key",
    base_url = os.getenv("OR_FAKE_URL"), model = "fake/slow-60", max_retries = 0 }
  local t_start, t_end
  local task = openrouter.spawn(function()
    local s = assert(client:stream { prompt = "Say hello" })
    t_start = uv.hrtime() / 1e6
    local text = ""
    while true do
      local chunk, e = s:next()
      if e then error(e) end
      if not chunk then break end
      local c = chunk.choices[1]
      local piece = c and type(c.delta.content) == "string" and c.delta.content or ""
      if piece ~= "" then
        text = text .. piece
        -- with schedule = vim.schedule the task runs where the API is allowed
        vim.api.nvim_buf_set_lines(buf, 0, -1, false, { text })
      end
    end
    t_end = uv.hrtime() / 1e6
    return text
  end)

  local done = vim.wait(15000, function() return task.done end, 5)
  timer:stop()
  timer:close()
  handle:detach()

  check("the task finished", done, "timed out")
  check("the task succeeded", task.ok, task.error and tostring(task.error))
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  check("the buffer holds the streamed text", lines[1] == "Hello, world from fake OpenRouter!",
    vim.inspect(lines))
  -- the editor was never blocked: the 10 ms timer kept firing through the stream
  local during, max_gap, prev = 0, 0, nil
  for _, t in ipairs(ticks) do
    if t_start and t_end and t >= t_start and t <= t_end then
      during = during + 1
      if prev then max_gap = math.max(max_gap, t - prev) end
      prev = t
    end
  end
  local span = (t_end or 0) - (t_start or 0)
  check("the stream took a while (slow scenario)", span > 200, span)
  check("the timer fired throughout the stream", during >= span / 10 / 2,
    ("%d ticks in %.0f ms"):format(during, span))
  check("no gap over 100 ms between ticks", max_gap < 100, ("max gap %.1f ms"):format(max_gap))

  -- the example plugin, as a user would run it
  vim.env.OPENROUTER_API_KEY = "sk-or-v1-neovim-test-not-a-real-key"
  vim.env.OPENROUTER_BASE_URL = os.getenv("OR_FAKE_URL")
  vim.g.openrouter_model = "fake/slow-20"
  vim.opt.runtimepath:append(root .. "/examples/neovim")
  vim.cmd("runtime plugin/openrouter.lua")
  vim.cmd("OpenRouterAsk Say hello")
  local answer = vim.api.nvim_get_current_buf()
  local redraws = 0
  vim.api.nvim_buf_attach(answer, false, { on_lines = function() redraws = redraws + 1 end })
  local got = vim.wait(10000, function()
    return vim.api.nvim_buf_get_lines(answer, 2, 3, false)[1] == "Hello, world from fake OpenRouter!"
  end, 10)
  check(":OpenRouterAsk streams the answer into a new buffer", got,
    vim.inspect(vim.api.nvim_buf_get_lines(answer, 0, -1, false)))
  -- six deltas 20 ms apart, shown at most every 50 ms
  check(":OpenRouterAsk coalesces its redraws", redraws >= 1 and redraws < 6,
    redraws .. " buffer updates")
end)
if not ok then check("no error", false, err) end
finish()
