-- openrouter: a client for OpenRouter's API (one key, hundreds of models).
--   local openrouter = require "openrouter"
--   local client = openrouter.new { model = "openai/gpt-4o" }
--   for text in client:stream{ prompt = "Hi" }:text() do io.write(text) end
-- The C core (openrouter.core) does the HTTP on libcurl and parses the
-- event stream; this facade holds the options, requests and errors.

local core = require "openrouter.core"
local Client = require "openrouter.client"
local errors = require "openrouter.errors"
local json = require "openrouter.json"
local loop = require "openrouter.loop"

local M = {
  VERSION = core.VERSION,
  new = Client.new,
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
