-- spec/support/wire_check.lua BASE_URL -- run by spec/integration/wire_spec.lua
-- in a process of its own (so that nothing but the module forms JIT
-- traces): 1 000 requests to fake/echo, first the loop of the original
-- LuaJIT report, then blocking and in tasks, chat and stream, beside tasks
-- whose requests are refused (402); each answer is compared with the body
-- that request had to become.  Prints one line per wrong body, then
-- "N sent, N wrong".
local json = require "openrouter.json"
local openrouter = require "openrouter"

local base = assert(arg[1], "usage: wire_check.lua BASE_URL")
local KEY = "sk-or-v1-wire-check-0123456789abcdef0123456789abcdef0123456789abcdef"

-- Request i, in one of three shapes (LuaJIT's miscompile showed with the
-- first two and hid with the third).
local function request(i)
  local shape = i % 3
  if shape == 0 then return { model = "fake/echo", prompt = "question " .. i } end
  if shape == 1 then
    return { model = "fake/echo", messages = { { role = "user", content = "question " .. i } },
             max_tokens = i }
  end
  return {
    model = "fake/echo",
    messages = {
      { role = "system", content = "You are test " .. i },
      { role = "user", content = "question " .. i, name = "u" .. (i % 7) },
    },
    temperature = (i % 10) / 10,
    provider = { order = { "a" .. i, "b" }, allow_fallbacks = i % 2 == 0 },
    tools = {
      { type = "function", ["function"] = { name = "f" .. i, parameters = {
        type = "object", properties = { x = { type = "string" } }, required = { "x" } } } },
    },
    metadata = { run = "wire", n = i },
  }
end

-- Deep equality of two decoded JSON values.
local function same(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in next, a do if not same(v, b[k]) then return false end end
  for k in next, b do if a[k] == nil then return false end end
  return true
end

-- The body request i had to become, decoded.
local function expected(i, streaming)
  local want = request(i)
  if want.prompt then
    want.messages = { { role = "user", content = want.prompt } }
    want.prompt = nil
  end
  want.stream = streaming or nil
  return json.decode(json.encode(want))
end

local sent, wrong = 0, 0
local function check(i, streaming, text)
  sent = sent + 1
  local ok, got = pcall(json.decode, text)
  if not (ok and same(expected(i, streaming), got)) then
    wrong = wrong + 1
    print(("request %d (%s) went out as %s"):format(i, streaming and "stream" or "chat", text))
  end
end

local function chat(client, i)
  local res, err = client:chat(request(i))
  check(i, false, res and res.text or tostring(err))
end

local function stream(client, i)
  local s, err = client:stream(request(i))
  local res
  if s then res, err = s:result() end
  check(i, true, res and res.text or tostring(err))
end

-- First the loop of the original report, 60 times: a new client, a task
-- whose chat is refused, a task whose chat asks prompt = "after …".
local i = 0
for _ = 1, 60 do
  local client = openrouter.new { api_key = KEY, base_url = base, max_retries = 0, model = "fake/echo" }
  local broke = openrouter.new { api_key = KEY .. "-nocredit", base_url = base, max_retries = 0,
                                 model = "fake/echo" }
  openrouter.spawn(function() return broke:chat { prompt = "x" } end)
  i = i + 1
  local n = i
  openrouter.spawn(function()
    local res, err = client:chat { prompt = "after " .. n }
    sent = sent + 1
    local ok, got = pcall(json.decode, res and res.text or "")
    if not (ok and same({ model = "fake/echo", messages = { { role = "user", content = "after " .. n } } }, got)) then
      wrong = wrong + 1
      print(("request %d went out as %s"):format(n, res and res.text or tostring(err)))
    end
  end)
  openrouter.run(30)
end

-- Then every kind of call, 940 more requests in rounds of 20.
for _ = 1, 47 do
  -- fresh clients each round: one that echoes, one whose requests are
  -- refused (402), so the error path runs between the encodings too
  local client = openrouter.new { api_key = KEY, base_url = base, max_retries = 0 }
  local broke = openrouter.new { api_key = KEY .. "-nocredit", base_url = base, max_retries = 0 }
  for _ = 1, 5 do
    i = i + 1; chat(client, i)
    i = i + 1; stream(client, i)
  end
  for _ = 1, 5 do
    i = i + 1; openrouter.spawn(chat, client, i)
    i = i + 1; openrouter.spawn(stream, client, i)
  end
  local refused = openrouter.spawn(function() return broke:chat { prompt = "x", model = "m/x" } end)
  openrouter.run(30)
  if not (refused.done and refused.values and refused.values[2].kind == "credits") then
    print("the refused request was not refused: " .. tostring(refused.error))
    wrong = wrong + 1
  end
end
print(("%d sent, %d wrong"):format(sent, wrong))
