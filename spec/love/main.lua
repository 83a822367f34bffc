-- spec/love/main.lua -- a LÖVE "game" that runs examples/love2d/main.lua
-- unchanged against the fake server (spec/love/run), captures the text it
-- draws, times every love.update, and prints "N passed, N failed".
local root, build = os.getenv("OR_ROOT"), os.getenv("OR_BUILD")
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
package.cpath = build .. "/?.so;/usr/lib/x86_64-linux-gnu/lua/5.1/?.so;" .. package.cpath

local example = assert(loadfile(root .. "/examples/love2d/main.lua"))
example()                                   -- defines love.load/update/draw
local load, update, draw = love.load, love.update, love.draw

local shown, frames, slowest, started = "", 0, 0, love.timer.getTime()
local drawn = {}
local printf, print_ = love.graphics.printf, love.graphics.print
love.graphics.printf = function(text, ...) drawn[#drawn + 1] = text return printf(text, ...) end
love.graphics.print = function(text, ...) drawn[#drawn + 1] = text return print_(text, ...) end

local passed, failed = 0, 0
local function check(name, ok, detail)
  if ok then passed = passed + 1 else failed = failed + 1 end
  print((ok and "ok   " or "FAIL ") .. name .. (ok and "" or (": " .. tostring(detail))))
end

local function finish()
  check("the reply was drawn into the window", shown == "Hello, world from fake OpenRouter!", shown)
  check("it took many frames (streamed, not at once)", frames >= 10, frames .. " frames")
  check("no frame's update took over 50 ms", slowest < 0.05, ("%.1f ms"):format(slowest * 1000))
  print(("%d passed, %d failed"):format(passed, failed))
  love.event.quit(failed == 0 and 0 or 1)
end

function love.load(...) load(...) end

function love.update(dt)
  local t0 = love.timer.getTime()
  update(dt)
  slowest = math.max(slowest, love.timer.getTime() - t0)
  frames = frames + 1
  if love.timer.getTime() - started > 15 then finish() end
end

function love.draw()
  drawn = {}
  draw()
  shown = drawn[1] or ""
  if drawn[2] == "done" then finish() end
end
