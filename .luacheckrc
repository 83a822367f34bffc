-- luacheck (Debian's lua-check): `make lint`.  The module runs on Lua 5.1
-- to 5.4 and LuaJIT and checks what it uses (math.type, table.pack …), so
-- every version's globals are known ("max"); an unknown one is a bug.
std = "max"
max_line_length = 120
codes = true

-- (specs quote verbatim bodies: long lines)
files["spec/**/*_spec.lua"] = { std = "+busted", max_line_length = false }
files["spec/love/*.lua"] = { globals = { "love" } }
files["spec/neovim/*.lua"] = { globals = { "vim" } }
files["examples/neovim/**/*.lua"] = { globals = { "vim" } }
files["examples/love2d/*.lua"] = { globals = { "love" } }
-- meta annotations: the functions only have their signatures
files["lua/openrouter/types.lua"] = { ignore = { "212", "241" }, max_line_length = false }
files["spec/bench/*.lua"] = { max_line_length = false }
exclude_files = { "build/**" }
