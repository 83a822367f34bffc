-- Every request goes out exactly as it was built.  fake/echo answers with
-- the very body it received, so each answer proves what went over the
-- wire.  LuaJIT 2.1 once sent "messages":[{}] in most requests of a plain
-- loop (its pairs() miscompile, see openrouter.each), but only once the
-- encoder's loops were hot and only in some patterns of traces: a debug
-- print made it vanish.  So spec/support/wire_check.lua makes 1 000
-- requests in a process of its own (nothing else forms traces there),
-- three times with LuaJIT's defaults and once with traces forced early
-- (-Ohotloop=1); once on the other Luas.

local h = require "spec.support.helpers"

local lua = os.getenv("OR_LUA") or (rawget(_G, "jit") and "luajit") or "lua" .. _VERSION:match("%d+%.%d+")
local cpath = package.cpath:match("^([^;]*)")

local function run_check(flags, base)
  local cmd = ("LUA_PATH='./lua/?.lua;./lua/?/init.lua;./?.lua;;' LUA_CPATH='%s;;' %s %s " ..
               "spec/support/wire_check.lua '%s' 2>&1"):format(cpath, lua, flags, base)
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  p:close()
  return out
end

describe("the wire", function()
  it("carries 1 000 requests exactly as built, in every JIT setting", function()
    local base = h.client().base_url
    local runs = rawget(_G, "jit") and { "", "", "", "-Ohotloop=1" } or { "" }
    for _, flags in ipairs(runs) do
      local out = run_check(flags, base)
      assert.matches("\n?1000 sent, 0 wrong\n$", out, "with '" .. flags .. "':\n" .. out:sub(1, 2000))
    end
  end)
end)
