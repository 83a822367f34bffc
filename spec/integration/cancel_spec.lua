-- close() while a read is waiting: the waiting next() returns nil, err of
-- kind `canceled` (retryable false), so a cut-short stream never looks
-- complete; a next() called after close() returns a lone nil.  The closer
-- may be other code in the host loop, another task, a luv timer, or a task
-- that a blocking wait resumes.  Uses next() only, so it runs on PUC 5.1.

local h = require "spec.support.helpers"
local openrouter = require "openrouter"

local puc51 = _VERSION == "Lua 5.1" and not rawget(_G, "jit")

local function is_canceled(err)
  assert.is_true(openrouter.is_error(err), tostring(err))
  assert.equal("canceled", err.kind)
  assert.is_false(err.retryable)
end

describe("close() while a read waits", function()
  local client
  setup(function() client = h.client { idle_timeout = 30 } end)

  it("a task waiting in next() gets canceled when the host loop closes the stream", function()
    local s = assert(client:stream { model = "fake/stall-1", prompt = "x" })
    local task = openrouter.spawn(function()
      local got = {}
      while true do
        local chunk, err = s:next()
        if not chunk then return got, err, select("#", s:next()) end
        got[#got + 1] = chunk
      end
    end)
    for _ = 1, 20 do openrouter.step(0.01) end           -- the task reads, then waits
    assert.is_false(task.done)
    s:close()
    assert.is_true(openrouter.run(5))
    assert.is_true(task.ok, tostring(task.error))
    local got, err, after = task.values[1], task.values[2], task.values[3]
    assert.equal(2, #got)                                -- role chunk and "a"
    is_canceled(err)
    assert.equal(1, after)                               -- then a lone nil
  end)

  it("a task iterating text() gets the canceled error raised", function()
    if puc51 then pending("PUC Lua 5.1 cannot yield inside a for iterator") return end
    local s = assert(client:stream { model = "fake/stall-1", prompt = "x" })
    local task = openrouter.spawn(function()
      for _ in s:text() do end
    end)
    for _ = 1, 20 do openrouter.step(0.01) end
    s:close()
    assert.is_true(openrouter.run(5))
    assert.is_false(task.ok)
    is_canceled(task.error)
  end)

  -- Reads s to its end in a task; the task returns the error of the read
  -- that ended it and how many values a next() after that returns.
  local function reader(s)
    return openrouter.spawn(function()
      local err
      repeat local chunk, e = s:next(); err = e until not chunk
      return err, select("#", s:next())
    end)
  end

  local function closer(s) return h.closer(client, s) end

  it("a task waiting in next() gets canceled when another task closes the stream", function()
    local s = assert(client:stream { model = "fake/stall-1", prompt = "x" })
    local task = reader(s)
    local closing = closer(s)
    assert.is_true(openrouter.run(10))
    assert.is_true(closing.ok, tostring(closing.error))
    assert.is_true(task.ok, tostring(task.error))
    is_canceled(task.values[1])
    assert.equal(1, task.values[2])
  end)

  it("a blocking next() gets canceled when a task it resumes closes the stream", function()
    local s = assert(client:stream { model = "fake/stall-1", prompt = "x" })
    assert.is_table(s:next())
    assert.is_table(s:next())
    local closing = closer(s)
    local chunk, err = s:next()                          -- blocks: the stream stalls
    assert.is_nil(chunk)
    is_canceled(err)
    assert.is_true(closing.done and closing.ok, tostring(closing.error))
    assert.equal(1, select("#", s:next()))
  end)

  it("result() of a stream closed while it drains is canceled", function()
    local s = assert(client:stream { model = "fake/stall-1", prompt = "x" })
    local task = openrouter.spawn(function() return s:result() end)
    for _ = 1, 20 do openrouter.step(0.01) end
    s:close()
    assert.is_true(openrouter.run(5))
    assert.is_nil(task.values[1])
    is_canceled(task.values[2])
  end)

  it("a task waiting in next() gets canceled when a luv timer closes the stream", function()
    local ok_uv, uv = pcall(require, "luv")
    if not ok_uv then pending("luv is not installed") return end
    local handle = openrouter.attach(uv)
    local s = assert(client:stream { model = "fake/stall-1", prompt = "x" })
    local task = reader(s)
    local timer = uv.new_timer()
    timer:start(200, 0, function() s:close() end)
    local stop = uv.now() + 5000
    while not task.done and uv.now() < stop do uv.run("once") end
    timer:close()
    handle:detach()
    uv.run("nowait")
    assert.is_true(task.done, "the task did not finish")
    assert.is_true(task.ok, tostring(task.error))
    is_canceled(task.values[1])
    assert.equal(1, task.values[2])
  end)
end)
