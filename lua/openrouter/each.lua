-- openrouter.each: `for k, v in each(t) do … end` visits every key of t,
-- like pairs(t), in every Lua.  The module never writes `pairs(` or
-- `in next,`: LuaJIT 2.1 compiles those loops to its ITERN instruction,
-- and a trace that later falls back to ITERC can skip keys (LuaJIT issues
-- #827 and #1510, fixed upstream in 2026, still in the LuaJIT of Debian
-- and of many Neovim builds).  It emptied JSON objects in requests.  A
-- loop over a call to any other name is never specialized, so it stays
-- correct.  (spec/unit/each_spec.lua keeps the sources free of pairs.)

local next = next

return function(t)
  return next, t, nil
end
