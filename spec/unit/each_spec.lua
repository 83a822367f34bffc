-- LuaJIT 2.1 (Debian's, many Neovim builds') miscompiles loops written
-- `for k, v in pairs(t)` / `in next, t` once a trace falls back from
-- ITERN to ITERC: keys are skipped (LuaJIT #827, #1510).  The module
-- iterates tables through openrouter.each only; this keeps it that way.

local each = require "openrouter.each"

local function sources()
  local dir = debug.getinfo(1, "S").source:match("^@(.-)spec/unit/[^/]+$") or "./"
  local list = {}
  local p = io.popen("ls " .. dir .. "lua/openrouter/*.lua")
  for f in p:lines() do list[#list + 1] = f end
  p:close()
  return list
end

describe("openrouter.each", function()
  it("visits every key once", function()
    local t = { 1, 2, 3, a = "x", b = "y", [10] = true }
    local seen, n = {}, 0
    for k, v in each(t) do
      assert.is_nil(seen[k])
      seen[k] = v
      n = n + 1
    end
    assert.equal(6, n)
    assert.same(t, seen)
  end)

  it("is the only way the module iterates a table's keys", function()
    local files = sources()
    assert.is_true(#files > 10)
    for _, f in ipairs(files) do
      local fh = assert(io.open(f))
      local n = 0
      for line in fh:lines() do
        n = n + 1
        local code = line:gsub("%-%-.*$", "")
        assert.is_nil(code:find("%f[%w_]pairs%s*%("), ("%s:%d uses pairs(): use each()"):format(f, n))
        assert.is_nil(code:find("in%s+next%s*,"), ("%s:%d loops over next: use each()"):format(f, n))
      end
      fh:close()
    end
  end)
end)
