-- The README's promise for a fresh machine: a make target that needs Debian
-- packages installs them (.ci/deps) before it compiles anything, or the
-- first `make demo` fails on a missing curl/curl.h. Checked on what make
-- would run (`make -n -B`: everything out of date, nothing executed).

local ROOT = debug.getinfo(1, "S").source:match("^@(.-)spec/unit/[^/]+$") or ""
if ROOT == "" then ROOT = "./" end

local function dry_run(target)
  local p = assert(io.popen("make --no-print-directory -n -B -C '" .. ROOT .. "' "
                            .. target .. " 2>&1"))
  local lines = {}
  for l in p:lines() do lines[#lines + 1] = l end
  p:close()
  return lines
end

-- The index of the first line that installs packages, and of the first
-- that compiles (runs the C compiler with -o).
local function first_deps_and_compile(lines)
  local deps, compile
  for i, l in ipairs(lines) do
    if not deps and l:find(".ci/deps", 1, true) then deps = i end
    if not compile and l:find("%f[%w]cc%s") and l:find(" -o ", 1, true) then compile = i end
  end
  return deps, compile
end

describe("make targets on a fresh machine", function()
  for _, target in ipairs { "demo", "test", "fake-server", "paths", "bench", "valgrind",
                            "demo LUA_VERSION=luajit", "test LUA_VERSION=5.1" } do
    it("`make " .. target .. "` installs what it needs before compiling", function()
      local lines = dry_run(target)
      local deps, compile = first_deps_and_compile(lines)
      local shown = table.concat(lines, "\n", 1, math.min(#lines, 6))
      assert(deps, "no .ci/deps step in:\n" .. shown)
      assert(compile, "no compile step in:\n" .. shown)
      assert(deps < compile, "compiles before installing:\n" .. shown)
    end)
  end

  it("`make demo LUA_VERSION=X` asks .ci/deps for X's Lua", function()
    local lines = dry_run("demo LUA_VERSION=luajit")
    local deps = lines[first_deps_and_compile(lines)]
    assert.matches("demo luajit", deps, 1, true)
  end)
end)
