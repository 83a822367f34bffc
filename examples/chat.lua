-- examples/chat.lua [model] [prompt] -- one question, answer streamed as it arrives.
--   OPENROUTER_API_KEY=sk-or-... lua5.4 examples/chat.lua openai/gpt-4o-mini "Write a haiku about Lua"
local openrouter = require "openrouter"

local model = arg[1] or os.getenv("OPENROUTER_MODEL") or "openai/gpt-4o-mini"
local prompt = arg[2] or "Write a haiku about Lua."

local client = openrouter.new { model = model, app_title = "openrouter-lua example" }
local stream, err = client:stream { prompt = prompt }
if not stream then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end

-- text() raises the error object if the stream fails midway
local ok, failure = pcall(function()
  for text in stream:text() do
    io.write(text)
    io.flush()
  end
end)
io.write("\n")
io.flush()
if not ok then
  io.stderr:write(tostring(failure), "\n")
  os.exit(1)
end
io.stderr:write(("[%s via %s]\n"):format(tostring(stream.model), tostring(stream.provider)))
