-- Closing: close() mid-stream really closes the connection (the server
-- sees it), `break` closes on Lua 5.4, and an abandoned stream is freed
-- by the garbage collector.  poll() never waits.

local core = require "openrouter.core"
local fake = require "spec.support.fake"
local h = require "spec.support.helpers"

describe("stream lifecycle", function()
  local client
  setup(function() client = h.client { idle_timeout = 30 } end)

  it("close() mid-stream closes the connection; next() then returns a lone nil", function()
    local released = h.let_go()
    local s = assert(client:stream { model = "fake/stall-2", prompt = "x" })
    assert.is_table(s:next())
    assert.is_true(s:close())
    assert.is_true(s:close())            -- idempotent
    assert.is_truthy(h.eventually(released))
    assert.equal(1, select("#", s:next()))
    assert.is_nil(s:next())
  end)

  it("poll() never waits: false while a stalled stream has nothing", function()
    local s = assert(client:stream { model = "fake/stall-1", prompt = "x" })
    -- drain what the server sent (role chunk and one delta)
    local got = 0
    while got < 2 do
      local c = s:poll()
      if c then got = got + 1 else core.drive(0.01) end
    end
    local t0 = core.now()
    for _ = 1, 50 do assert.is_false(s:poll()) end
    assert.is_true(core.now() - t0 < 0.5)
    s:close()
  end)

  it("poll() delivers the same chunks as next()", function()
    local s = assert(client:stream { prompt = "x" })
    local n = 0
    while true do
      local c, err = s:poll()
      assert.is_nil(err)
      if c == nil then break end
      if c then n = n + 1 else core.drive(0.01) end
    end
    assert.equal(9, n)
  end)

  it("break out of stream:text() closes the stream on Lua 5.4", function()
    if _VERSION ~= "Lua 5.4" then
      pending("the closing value of a generic for exists from Lua 5.4 on")
      return
    end
    local released = h.let_go()
    local s = assert(client:stream { model = "fake/stall-3", prompt = "x" })
    local loop = assert(load [[
      local s = ...
      for _ in s:text() do break end
    ]])
    loop(s)
    assert.equal("openrouter.Stream (closed)", tostring(s))
    assert.is_truthy(h.eventually(released))
  end)

  it("<close> closes the stream at the end of the scope on Lua 5.4", function()
    if _VERSION ~= "Lua 5.4" then pending("to-be-closed variables are Lua 5.4") return end
    local released = h.let_go()
    local f = assert(load [[
      local client = ...
      local s <close> = assert(client:stream { model = "fake/stall-1", prompt = "x" })
      s:next()
      return s
    ]])
    local s = f(client)
    assert.equal("openrouter.Stream (closed)", tostring(s))
    assert.is_truthy(h.eventually(released))
  end)

  it("an abandoned stream is closed by the garbage collector", function()
    local released = h.let_go()
    do
      local s = assert(client:stream { model = "fake/stall-1", prompt = "x" })
      s:next()
    end
    assert.is_truthy(h.eventually(function()
      collectgarbage()
      collectgarbage()
      return released()
    end))
  end)

  it("a reader that falls behind pauses the transfer: bounded memory, nothing lost", function()
    local n = 100000                       -- ~27 MB of events
    local s = assert(client:stream { model = "fake/chunks-" .. n, prompt = "x" })
    local stop = core.now() + 0.5
    while core.now() < stop do core.drive(0.01) end   -- the engine runs, nobody reads
    local info = s:info()
    assert.is_true(info.bytes < 20e6, "read " .. info.bytes .. " bytes ahead of the reader")
    assert.is_true(info.queued < 40000, info.queued .. " events queued")
    local count = 0
    for _ in s:chunks() do count = count + 1 end
    assert.equal(n + 3, count)             -- role, n deltas, stop, usage
  end)

  it("many streams opened and abandoned leave no open connection behind", function()
    local open_before = fake.stats().open   -- (over h2: the front's connections)
    for _ = 1, 20 do
      local s = assert(client:stream { model = "fake/stall-1", prompt = "x" })
      s:next()
    end
    collectgarbage()
    collectgarbage()
    assert.is_truthy(h.eventually(function()
      collectgarbage()
      if h.H2 then return core.active() == 0 end
      return fake.stats().open <= open_before
    end))
  end)
end)
