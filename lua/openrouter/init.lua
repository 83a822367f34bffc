-- openrouter: a client for OpenRouter's API (one key, hundreds of models).
--   local openrouter = require "openrouter"
--   local client = openrouter.new { model = "openai/gpt-4o" }
--   for text in client:stream{ prompt = "Hi" }:text() do io.write(text) end
-- The C core (openrouter.core) does the HTTP on libcurl and parses the
-- event stream; this facade holds the options, requests and errors.

-- A core.so built for another Lua cannot load here (a Lua 5.4 build in
-- LuaJIT misses lua_newuserdatauv, and so on): say which it was built for
-- and what to run, instead of a bare "undefined symbol".
local function core_for_another_lua()
  local path = package.searchpath and package.searchpath("openrouter.core", package.cpath)
  local f = path and io.open(path, "rb")
  local built = f and f:read("*a"):match("openrouter%.core built for ([^;]+);")
  if f then f:close() end
  if not built then return nil end
  local jit = rawget(_G, "jit")
  local running = jit and jit.version or _VERSION
  local flavour = jit and "luajit" or _VERSION:match("%d+%.%d+")
  return ("openrouter: %s was built for %s, but this is %s: build the core for this Lua " ..
          "with `make LUA_VERSION=%s` and put build/%s on package.cpath (or install it with " ..
          "`make install LUA_VERSION=%s`)"):format(path, built, running, flavour, flavour, flavour)
end

local found, core = pcall(require, "openrouter.core")
if not found then
  error(tostring(core):find("undefined symbol", 1, true) and core_for_another_lua() or core, 0)
end
local client = require "openrouter.client"
local errors = require "openrouter.errors"
local json = require "openrouter.json"
local loop = require "openrouter.loop"

local M = {
  VERSION = core.VERSION,
  new = client.new,
  is_error = errors.is,
  spawn = loop.spawn,
  on_error = loop.on_error,
  step = loop.step,
  run = loop.run,
  attach = require "openrouter.attach",
  null = json.null,        -- sends JSON null
  object = json.object,    -- marks a table to send as {} even when empty
  array = json.array,      -- marks a table to send as []
}

return M
