-- Several choices (n > 1) in one stream: each chunk carries whichever
-- choice advanced.  text() follows choice 0 only; result() assembles every
-- choice by its index (choices[index + 1]), the top-level fields being
-- choice 0's.  fake/two-choices interleaves "Hello" ", world" (index 0,
-- stop) with "Bonjour" ", monde" (index 1, length).

local h = require "spec.support.helpers"

describe("a stream of two choices", function()
  local client
  setup(function() client = h.client() end)

  it("text() gives choice 0's text only, plain or coalesced", function()
    local parts = {}
    for t in assert(client:stream { model = "fake/two-choices", prompt = "x", n = 2 }):text() do
      parts[#parts + 1] = t
    end
    assert.same({ "Hello", ", world" }, parts)
    local joined = {}
    for t in assert(client:stream { model = "fake/two-choices", prompt = "x", n = 2 }):text { every = 0 } do
      joined[#joined + 1] = t
    end
    assert.equal("Hello, world", table.concat(joined))
  end)

  it("every chunk still reaches `for chunk in stream`", function()
    local indices = {}
    for chunk in assert(client:stream { model = "fake/two-choices", prompt = "x", n = 2 }):chunks() do
      local choice = chunk.choices[1]
      if choice then indices[#indices + 1] = choice.index end
    end
    assert.same({ 0, 1, 0, 1, 0, 1, 0 }, indices)
  end)

  it("result() assembles each choice by its index", function()
    local res = assert(assert(client:stream { model = "fake/two-choices", prompt = "x", n = 2 }):result())
    assert.equal("Hello, world", res.text)
    assert.equal("stop", res.finish_reason)
    assert.equal("Hello, world", res.message.content)
    assert.equal(2, #res.choices)
    assert.equal(0, res.choices[1].index)
    assert.equal("Hello, world", res.choices[1].text)
    assert.equal(1, res.choices[2].index)
    assert.equal("Bonjour, monde", res.choices[2].text)
    assert.equal("length", res.choices[2].finish_reason)
    assert.same({ role = "assistant", content = "Bonjour, monde" }, res.choices[2].message)
    h.assert_no_userdata(res, "result")
  end)
end)
