-- examples/love2d/main.lua -- stream a reply into the window, frame by frame.
--   OPENROUTER_API_KEY=sk-or-... love examples/love2d
-- The module must be on LÖVE's paths (LuaJIT build: make LUA_VERSION=luajit,
-- then copy build/luajit/openrouter/core.so and lua/openrouter/ next to this
-- file, or set LUA_PATH / LUA_CPATH).  Nothing here ever blocks a frame:
-- the request runs in a task and love.update calls openrouter.step(0).
local openrouter = require "openrouter"

local client, task
local text, status = "", "asking…"

function love.load()
  client = openrouter.new { model = os.getenv("OPENROUTER_MODEL") or "openai/gpt-4o-mini",
                            app_title = "openrouter-lua LÖVE example" }
  task = openrouter.spawn(function()
    local stream, err = client:stream { prompt = "Tell a short story about a robot who learns to paint." }
    if not stream then status = tostring(err) return end
    status = "streaming from " .. tostring(stream.model)
    -- next() rather than `for … in stream:text()`: it yields on every Lua,
    -- PUC 5.1 included (LÖVE itself runs LuaJIT, where both work)
    while true do
      local chunk, e = stream:next()
      if e then status = tostring(e) return end
      if not chunk then break end
      local choice = chunk.choices[1]
      local piece = choice and choice.delta and choice.delta.content
      if type(piece) == "string" then text = text .. piece end
    end
    status = "done"
  end)
end

function love.update()
  openrouter.step(0)          -- drives every transfer once; never waits
  if task.done and not task.ok then status = tostring(task.error) end
end

function love.draw()
  love.graphics.printf(text, 20, 20, love.graphics.getWidth() - 40)
  love.graphics.print(status, 20, love.graphics.getHeight() - 30)
end
