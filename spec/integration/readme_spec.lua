-- README.md cannot rot: every Lua block in it runs, in a process of its
-- own, against the fake server, the way a reader would paste it.  Blocks
-- after the Quick start continue it (`openrouter` and `client` are its);
-- the host blocks get a stand-in host: Neovim's API over real luv, or a
-- LÖVE frame loop.  And every fake model id the README's table lists is
-- one the fake server knows.

local h = require "spec.support.helpers"

local ROOT = debug.getinfo(1, "S").source:match("^@(.-)spec/integration/[^/]+$") or ""
if ROOT == "" then ROOT = "./" end

local function readme()
  local f = assert(io.open(ROOT .. "README.md"))
  local s = f:read("*a")
  f:close()
  return s
end

-- { {line = N, code = "..."} } of the ```lua blocks.
local function lua_blocks(text)
  local blocks, n, current = {}, 0, nil
  for line in (text .. "\n"):gmatch("(.-)\n") do
    n = n + 1
    if current then
      if line:match("^```") then
        blocks[#blocks + 1] = current
        current = nil
      else
        current.code = current.code .. line .. "\n"
      end
    elseif line:match("^```lua%s*$") then
      current = { line = n + 1, code = "" }
    end
  end
  return blocks
end

local PRELUDE = [[
local openrouter = require "openrouter"
local client = openrouter.new { model = "openai/gpt-4o-mini" }
]]

-- Neovim's API, enough for the README: over real luv, vim.schedule runs
-- the function on the next loop turn (as Neovim does), the buffer is a table.
local VIM = [[
local uv = require "luv"
local buffer = {}
vim = {
  uv = uv, loop = uv, log = { levels = { ERROR = 4 } },
  schedule = function(fn)
    local t = uv.new_timer()
    t:start(0, 0, function() t:close() fn() end)
  end,
  api = { nvim_buf_set_lines = function(_, _, _, _, lines) buffer = lines end },
  split = function(s, sep)
    local out = {}
    for piece in (s .. sep):gmatch("(.-)" .. sep) do out[#out + 1] = piece end
    return out
  end,
  notify = function(msg) io.stderr:write("notify: ", msg, "\n") end,
}
]]
local VIM_AFTER = [[
local stop = uv.now() + 5000
while uv.now() < stop and not table.concat(buffer, "\n"):find("OpenRouter!", 1, true) do
  uv.run("once")
end
assert(table.concat(buffer, "\n") == "Hello, world from fake OpenRouter!", table.concat(buffer, "\n"))
-- let what vim.schedule queued run now: luv must not find a callback due
-- while the Lua state closes (PUC 5.1 and LuaJIT crash in luv then)
for _ = 1, 10 do uv.run("nowait") end
]]

local LOVE = "love = {}\n"
local LOVE_AFTER = [[
local task = openrouter.spawn(function()
  local s, err = client:stream { prompt = "frame by frame" }
  if not s then error(err) end
  local res, rerr = s:result()
  if not res then error(rerr) end
  return res.text
end)
local t0 = os.time()
while not task.done and os.time() - t0 < 5 do love.update(0.016) end
assert(task.ok and task.values[1] == "Hello, world from fake OpenRouter!", tostring(task.error))
]]

local MARK = "README-BLOCK-RAN-TO-ITS-END"

local function script_for(block)
  local code = block.code
  local before, after = "", ""
  if not code:find('require "openrouter"', 1, true) then before = PRELUDE end
  if code:find("vim%.") then before, after = VIM .. before, VIM_AFTER end
  if code:find("love%.") then before, after = LOVE .. before, LOVE_AFTER end
  return before .. "do\n" .. code .. "\nend\n" .. after .. ("print(%q)\n"):format(MARK)
end

describe("README.md", function()
  local base = h.client().base_url
  local env = ("OPENROUTER_BASE_URL=%s OPENROUTER_API_KEY=%s OPENROUTER_TRACE= "):format(base, h.KEY)
  local ok_uv = pcall(require, "luv")
  local puc51 = _VERSION == "Lua 5.1" and not rawget(_G, "jit")

  local blocks = lua_blocks(readme())
  it("has its Lua blocks found", function()
    assert.is_true(#blocks >= 10, #blocks .. " blocks")
  end)

  for _, block in ipairs(blocks) do
    it("runs the block at line " .. block.line, function()
      if block.code:find("vim%.") and not ok_uv then pending("luv is not installed") return end
      if puc51 and block.code:find("for text in stream:text%(%)") and block.code:find("spawn") then
        pending("PUC Lua 5.1 cannot yield inside a for iterator (the README says so)") return
      end
      local out = h.run_lua(script_for(block), env, "both")
      assert.is_truthy(out:find(MARK, 1, true), "README.md line " .. block.line .. ":\n" .. out)
      assert.is_nil(out:find("openrouter: task failed", 1, true), out)
      assert.is_nil(out:find("notify:", 1, true), out)
    end)
  end

  it("lists only fake model ids the fake server knows", function()
    local text = readme()
    local client = h.client()
    local ids = {}
    for row in text:gmatch("\n| (`fake/[^|]+) |") do
      for id in row:gmatch("`(fake/[^`]+)`") do ids[#ids + 1] = id end
    end
    assert.is_true(#ids >= 20, #ids .. " ids")
    for _, id in ipairs(ids) do
      local n = (id:find("status%-") or id:find("html%-")) and "-429"
                or id:find("redirect%-") and "-301" or "-3"
      local model = id:gsub("%-S%-N%-TAG$", "-503-1-readme"):gsub("%-N%-M$", "-3-2"):gsub("%-N$", n)
                      :gsub("%-CODE$", "-model_not_found"):gsub("%-K%-WHERE$", "-10-page")
      local _, err = client:chat { model = model, prompt = "x", timeout = 0.5 }
      assert.is_true(err == nil or not err.message:find("Bad fake scenario", 1, true),
        id .. " (" .. model .. "): " .. tostring(err))
    end
  end)
end)
