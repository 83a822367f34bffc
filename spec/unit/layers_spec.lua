-- The layering the README's Layout section promises, checked on the
-- sources: the C engine (csrc/engine) never includes Lua, the binding
-- (csrc/binding) is the only code that does; no import cycles among C
-- units (a .c and its .h are one unit) nor among the Lua modules; and one
-- list of sources: every rockspec builds exactly the C files and installs
-- exactly the Lua modules that are there.

local ROOT = debug.getinfo(1, "S").source:match("^@(.-)spec/unit/[^/]+$") or ""
if ROOT == "" then ROOT = "./" end

local function lines_of(cmd)
  local list = {}
  local p = assert(io.popen(cmd))
  for l in p:lines() do list[#list + 1] = l end
  p:close()
  return list
end

local function read(path)
  local f = assert(io.open(ROOT .. path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

-- unit name -> { dependency unit -> true }, from a list of files and a
-- function that lists what one file's text depends on.
local function graph(files, unit_of, deps_of)
  local g = {}
  for _, f in ipairs(files) do
    local u = unit_of(f)
    g[u] = g[u] or {}
    for _, d in ipairs(deps_of(read(f))) do
      if d ~= u then g[u][d] = true end
    end
  end
  return g
end

-- A cycle as "a -> b -> a", or nil.
local function find_cycle(g)
  local state, stack = {}, {}
  local function visit(u)
    state[u] = "open"
    stack[#stack + 1] = u
    local deps = {}
    for d in next, g[u] or {} do deps[#deps + 1] = d end
    table.sort(deps)
    for _, d in ipairs(deps) do
      if g[d] then
        if state[d] == "open" then
          local from
          for i, v in ipairs(stack) do if v == d then from = i end end
          return table.concat(stack, " -> ", from) .. " -> " .. d
        end
        if not state[d] then
          local c = visit(d)
          if c then return c end
        end
      end
    end
    stack[#stack] = nil
    state[u] = "done"
  end
  local units = {}
  for u in next, g do units[#units + 1] = u end
  table.sort(units)
  for _, u in ipairs(units) do
    if not state[u] then
      local c = visit(u)
      if c then return c end
    end
  end
end

local function includes(text)
  local out = {}
  for name in text:gmatch('#include%s+"([%w_]+)%.[ch]"') do out[#out + 1] = name end
  return out
end

local function c_files(dir)
  return lines_of("cd " .. ROOT .. " && ls " .. dir .. "/*.c " .. dir .. "/*.h")
end

describe("the layers", function()
  it("the engine never includes Lua; the binding is where Lua is", function()
    for _, f in ipairs(c_files("csrc/engine")) do
      local text = read(f)
      assert.is_nil(text:find("#include%s*<lua"), f .. " includes a Lua header")
      assert.is_nil(text:find('#include%s*"or_'), f .. " includes a binding header")
    end
    for _, f in ipairs(c_files("csrc/binding")) do
      if f:match("%.c$") then
        assert.is_truthy(read(f):find('#include "or_internal.h"', 1, true), f)
      end
    end
  end)

  it("has no import cycle among the C units", function()
    local files = c_files("csrc/engine")
    for _, f in ipairs(c_files("csrc/binding")) do files[#files + 1] = f end
    assert.is_true(#files > 15)
    local g = graph(files, function(f) return f:match("([%w_]+)%.[ch]$") end, includes)
    assert.is_truthy(g.transfer.sse, "the graph is read (transfer uses sse)")
    assert.is_nil(g.transfer.multi, "the transfer never calls the engine")
    assert.is_nil(find_cycle(g))
  end)

  it("has no require cycle among the Lua modules", function()
    local files = lines_of("cd " .. ROOT .. " && ls lua/openrouter/*.lua")
    local g = graph(files, function(f)
      local name = f:match("([%w_]+)%.lua$")
      return name == "init" and "openrouter" or "openrouter." .. name
    end, function(text)
      local out = {}
      for m in text:gmatch('require%s*%(?%s*"(openrouter[%w_.]*)"') do out[#out + 1] = m end
      return out
    end)
    assert.is_truthy(g["openrouter.client"]["openrouter.stream"], "the graph is read")
    assert.is_nil(find_cycle(g))
  end)

  it("every rockspec builds the C files and installs the Lua modules that exist", function()
    local c_have, lua_have = {}, {}
    for _, f in ipairs(lines_of("cd " .. ROOT .. " && ls csrc/engine/*.c csrc/binding/*.c")) do
      c_have[#c_have + 1] = f
    end
    for _, f in ipairs(lines_of("cd " .. ROOT .. " && ls lua/openrouter/*.lua")) do
      lua_have[#lua_have + 1] = f
    end
    table.sort(c_have)
    table.sort(lua_have)
    local specs = lines_of("cd " .. ROOT .. " && ls rockspec/*.rockspec")
    assert.is_true(#specs >= 1)
    for _, path in ipairs(specs) do
      local text = read(path)
      local c, lua = {}, {}
      for f in text:gmatch('"(csrc/[%w_/]+%.c)"') do c[#c + 1] = f end
      for f in text:gmatch('"(lua/openrouter/[%w_]+%.lua)"') do lua[#lua + 1] = f end
      table.sort(c)
      table.sort(lua)
      assert.same(c_have, c, path .. ": C sources")
      assert.same(lua_have, lua, path .. ": Lua modules")
    end
  end)
end)
