-- lua/openrouter/types.lua annotates the public API for editors; it must
-- name exactly what the module exports: the module's fields and functions,
-- and the methods of a client, a stream, a task and an attachment.

local openrouter = require "openrouter"

local ROOT = debug.getinfo(1, "S").source:match("^@(.-)spec/unit/[^/]+$") or ""
if ROOT == "" then ROOT = "./" end

local function annotations()
  local f = assert(io.open(ROOT .. "lua/openrouter/types.lua"))
  local text = f:read("*a")
  f:close()
  local out = { openrouter = {}, Client = {}, Stream = {}, Task = {}, Attachment = {} }
  for owner, sep, name in text:gmatch("\nfunction ([%w_]+)([.:])([%w_]+)%(") do
    assert(out[owner], "annotated functions of an unknown table: " .. owner)
    out[owner][name] = sep
  end
  -- the module's fields
  for name in text:match("---@class openrouter\n(.-)\nlocal"):gmatch("---@field ([%w_]+)") do
    out.openrouter[name] = "field"
  end
  return out
end

-- The public names of t: what a user may call or read (no _private, no
-- metamethods).
local function public(t, only_functions)
  local names = {}
  for k, v in pairs(t) do
    if type(k) == "string" and not k:find("^_") and (not only_functions or type(v) == "function") then
      names[#names + 1] = k
    end
  end
  table.sort(names)
  return names
end

local function keys(t)
  local names = {}
  for k in pairs(t) do names[#names + 1] = k end
  table.sort(names)
  return names
end

describe("types.lua", function()
  local a = annotations()

  it("annotates every field and function of the module, and nothing else", function()
    assert.same(public(openrouter), keys(a.openrouter))
  end)

  it("annotates every method of a client, a stream, a task and an attachment", function()
    local client = openrouter.new { api_key = "sk-or-v1-types-spec", base_url = "http://127.0.0.1:1/x" }
    assert.same(public(getmetatable(client).__index, true), keys(a.Client))
    local Stream = require "openrouter.stream"
    assert.same(public(Stream, true), keys(a.Stream))
    local task = openrouter.spawn(function() end)
    assert.same(public(getmetatable(task).__index, true), keys(a.Task))
    local ok_uv, uv = pcall(require, "luv")
    if ok_uv then
      local handle = openrouter.attach(uv)
      assert.same(public(getmetatable(handle).__index, true), keys(a.Attachment))
      handle:detach()
      uv.run("nowait")      -- luv must close the handles before the state does (else it crashes at exit)
    end
  end)

  it("annotates methods with ':' and module functions with '.'", function()
    for _, owner in ipairs { "Client", "Stream", "Task", "Attachment" } do
      for name, sep in pairs(a[owner]) do assert.equal(":", sep, owner .. "." .. name) end
    end
    for name, sep in pairs(a.openrouter) do
      assert.is_true(sep == "." or sep == "field", name)
    end
  end)
end)
