-- No sound device on a test machine: leave LÖVE's audio out.
function love.conf(t)
  t.modules.audio = false
  t.modules.sound = false
  t.window.title = "openrouter-lua LÖVE test"
end
