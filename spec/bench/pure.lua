-- spec/bench/pure.lua URL MODEL -- the peer a Lua user writes without this
-- module (how Neovim plugins stream): curl -sN through io.popen, the lines
-- split in Lua, cjson.decode per data line; prints the count of non-empty
-- contents.
local cjson = require "cjson"
local url, model = arg[1], arg[2]
local body = ('{"model":"%s","stream":true,"messages":[{"role":"user","content":"x"}]}'):format(model)
local cmd = ("curl -sN -H 'Authorization: Bearer sk-or-v1-bench-not-a-real-key' " ..
             "-H 'Content-Type: application/json' -d '%s' '%s/chat/completions'"):format(body, url)
local p = assert(io.popen(cmd))
local n = 0
for line in p:lines() do
  if line:sub(1, 6) == "data: " and line ~= "data: [DONE]" then
    local chunk = cjson.decode(line:sub(7))
    local c = chunk.choices[1]
    local text = c and c.delta and c.delta.content
    if type(text) == "string" and text ~= "" then n = n + 1 end
  end
end
p:close()
print(n)
