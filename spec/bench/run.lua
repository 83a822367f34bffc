-- spec/bench/run.lua -- `make bench`: this module against its peers, in one
-- run, on the fake server over loopback.  Whole processes are timed (GNU
-- time: wall seconds and peak RSS), the rows alternating round after
-- round, and each row reports its median and min-max; then the ratios the
-- targets are about.  Figures, not tests.  Prints a Markdown table and
-- writes it to build/bench.md.
--   BENCH_ROUNDS (default 7)   rounds of the fast rows (the slow ones: 3)
package.path = "./lua/?.lua;./lua/?/init.lua;./?.lua;" .. package.path

local fake = require "spec.support.fake"
local socket = require "socket"

local ROUNDS = tonumber(os.getenv("BENCH_ROUNDS") or "") or 7
local N = 100000
local MODEL = "fake/chunks-" .. N
local url = fake.start()

local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("*a")
  local ok = p:close()
  return out, ok
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- node's openai SDK, installed once into build/bench-node (no network: skip)
local node_note
local node_dir = "build/bench-node"
if not sh("command -v node"):find("node") then
  node_note = "skipped: node is not installed"
elseif not exists(node_dir .. "/node_modules/openai/package.json") then
  local out, ok = sh(("mkdir -p %s && cd %s && timeout 180 npm install --silent --no-audit --no-fund openai"):format(node_dir, node_dir))
  if not ok then node_note = "skipped: npm could not install openai (" .. out:gsub("%s+", " "):sub(1, 120) .. ")" end
end
local node_version
if not node_note then
  node_version = sh("sed -n 's/.*\"version\": *\"\\([^\"]*\\)\".*/\\1/p' " .. node_dir .. "/node_modules/openai/package.json"):match("[%d.]+")
  sh("cp spec/bench/openai.mjs " .. node_dir .. "/")
end

local have_luajit = exists("build/luajit/openrouter/core.so")

-- name, command, what it must print (a count), rounds
local function lua(build, mode, extra)
  local interp = build:find("luajit") and "luajit" or "lua5.4"
  return ("%s spec/bench/module.lua %s %s %s %s"):format(interp, build, mode, quote(url), extra or "")
end
local rows = {
  { key = "floor", name = "C floor: libcurl + memchr event split, no JSON",
    cmd = ("build/bench/floor stream %s %s"):format(quote(url), MODEL), want = N + 4 },
  { key = "curl", name = "curl -sN to /dev/null",
    cmd = ("curl -sN -o /dev/null -w '%%{http_code}\\n' -H 'Authorization: Bearer sk-or-v1-bench' " ..
           "-H 'Content-Type: application/json' -d '{\"model\":\"%s\",\"stream\":true}' %s/chat/completions")
          :format(MODEL, quote(url)), want = 200 },
  { key = "pure", name = "pure Lua 5.4: popen curl, lines split in Lua, cjson per line",
    cmd = ("lua5.4 spec/bench/pure.lua %s %s"):format(quote(url), MODEL), want = N },
  { key = "node", name = "node + the openai SDK" .. (node_version and (" " .. node_version) or ""),
    cmd = ("cd %s && node openai.mjs %s %s"):format(node_dir, quote(url), MODEL), want = N,
    skip = node_note },
  { key = "text", name = "this module, `for text in stream:text()`", cmd = lua("build/5.4", "text", MODEL), want = N },
  { key = "chunks", name = "this module, `for chunk in stream:chunks()`", cmd = lua("build/5.4", "chunks", MODEL), want = N + 3 },
  { key = "result", name = "this module, `stream:result()`", cmd = lua("build/5.4", "result", MODEL), want = N },
  { key = "text_jit", name = "this module on LuaJIT, `stream:text()`", cmd = lua("build/luajit", "text", MODEL),
    want = N, skip = not have_luajit and "skipped: no LuaJIT build (make LUA_VERSION=luajit)" or nil },
  { key = "text_1m", name = "this module, `stream:text()`, 1 000 000 chunks",
    cmd = lua("build/5.4", "text", "fake/chunks-1000000"), want = 1000000, slow = true },
  { key = "floor_calls", name = "C floor: 1 000 keep-alive chat calls",
    cmd = ("build/bench/floor calls %s 1000"):format(quote(url)), want = 1000 },
  { key = "calls", name = "this module: 1 000 keep-alive `client:chat` calls", cmd = lua("build/5.4", "calls", "1000"), want = 1000 },
  { key = "bare", name = "lua5.4 starting and exiting", cmd = "lua5.4 -e 'print(1)'", want = 1 },
  { key = "require", name = "lua5.4 starting, `require \"openrouter\"`", cmd = lua("build/5.4", "require"), want = 1 },
  { key = "concurrent", name = "this module: 1 000 concurrent streams (tasks, 100 chunks each)",
    cmd = lua("build/5.4", "concurrent", "1000"), want = 1000 * 103, slow = true },
}

-- One timed run: wall seconds (the clock read around the whole process,
-- to the microsecond; GNU time's own is to 10 ms) and peak RSS (KiB, from
-- GNU time), or nil and why.
local function run(row)
  local tmp = os.tmpname()
  local t0 = socket.gettime()
  local out = sh(("/usr/bin/time -f '%%M' -o %s sh -c %s"):format(tmp, quote(row.cmd)))
  local wall = socket.gettime() - t0
  local f = io.open(tmp)
  local t = f and f:read("*a") or ""
  if f then f:close() end
  os.remove(tmp)
  local rss = t:match("(%d+)%s*$")
  local got = tonumber(out:match("(%d+)%s*$"))
  if not rss or got ~= row.want then
    return nil, ("printed %q"):format(out:sub(-200))
  end
  return wall, tonumber(rss)
end

for _, row in ipairs(rows) do row.walls, row.rss = {}, {} end
for round = 1, ROUNDS do
  io.stderr:write(("round %d/%d\n"):format(round, ROUNDS))
  for _, row in ipairs(rows) do
    if not row.skip and (not row.slow or round <= 3) then
      local wall, rss = run(row)
      if wall then
        row.walls[#row.walls + 1] = wall
        row.rss[#row.rss + 1] = rss
      else
        row.skip = "failed: " .. rss
      end
    end
  end
end
fake.stop()

local function median(t)
  local c = {}
  for i, v in ipairs(t) do c[i] = v end
  table.sort(c)
  local n = #c
  if n == 0 then return nil end
  return n % 2 == 1 and c[(n + 1) / 2] or (c[n / 2] + c[n / 2 + 1]) / 2
end

local by = {}
for _, row in ipairs(rows) do
  by[row.key] = row
  row.wall = median(row.walls)
  row.mem = median(row.rss)
end

local lines = {}
local function out(s) lines[#lines + 1] = s end
local function mib(kib) return ("%.1f MiB"):format(kib / 1024) end

out(("`make bench`, %s, %s; %d rounds (3 for the slow rows), whole processes, medians (min-max)."):format(
  os.date("!%Y-%m-%d"), sh("nproc"):match("%d+") .. " cores, " .. (sh("uname -m"):match("%S+") or ""), ROUNDS))
out("")
out("| consumer | wall s | min-max | peak RSS |")
out("| --- | --- | --- | --- |")
for _, row in ipairs(rows) do
  if row.skip or not row.wall then
    out(("| %s | %s | | |"):format(row.name, row.skip or "no run"))
  else
    local lo, hi = math.huge, 0
    for _, w in ipairs(row.walls) do lo = math.min(lo, w); hi = math.max(hi, w) end
    out(("| %s | %.3f | %.3f-%.3f | %s |"):format(row.name, row.wall, lo, hi, mib(row.mem)))
  end
end

-- The targets (issue: "Fast"), each with the ratio measured in this run.
local function w(k) return by[k] and by[k].wall end
local function ratio(a, b) return a and b and b / a end
local targets = {}
local function target(what, value, ok, fmt)
  if value == nil then targets[#targets + 1] = ("| %s | not measured | |"):format(what) return end
  targets[#targets + 1] = ("| %s | %s | %s |"):format(what, fmt:format(value), ok and "met" or "**missed**")
end
local r
r = ratio(w("text"), w("pure")); target("`text()` >= 5x faster than pure Lua", r, r and r >= 5, "%.1fx")
r = ratio(w("text"), w("node")); target("`text()` >= 10x faster than node's openai SDK", r, r and r >= 10, "%.1fx")
r = w("text") and w("floor") and w("text") / w("floor"); target("`text()` within 3x of the C floor", r, r and r <= 3, "%.1fx the floor")
r = ratio(w("chunks"), w("pure")); target("`chunks()` >= 1.3x faster than pure Lua", r, r and r >= 1.3, "%.2fx")
r = by.text.mem and by.text.mem / 1024; target("peak RSS <= 16 MiB at 100 000 chunks", r, r and r <= 16, "%.1f MiB")
r = by.text_1m.mem and by.text.mem and by.text_1m.mem / by.text.mem
target("peak RSS at 1 000 000 chunks <= 1.25x that at 100 000", r, r and r <= 1.25, "%.2fx")
r = by.concurrent.mem and by.concurrent.mem / 1024
target("1 000 concurrent streams <= 100 MiB", r, r and r <= 100, "%.1f MiB")
r = w("calls") and w("floor_calls") and w("floor_calls") / w("calls")
target("keep-alive calls >= 50% of the C floor's requests/s", r and r * 100, r and r >= 0.5, "%.0f%%")
if w("require") and w("bare") then
  out("")
  out(("`require \"openrouter\"` adds %.0f ms to a bare interpreter's start."):format((w("require") - w("bare")) * 1000))
end
if w("calls") then
  out(("Keep-alive calls: this module %.0f requests/s, the C floor %.0f."):format(1000 / w("calls"), 1000 / w("floor_calls")))
end
out("")
out("| target | this run | |")
out("| --- | --- | --- |")
for _, t in ipairs(targets) do out(t) end

local text = table.concat(lines, "\n") .. "\n"
io.write(text)
os.execute("mkdir -p build")
local f = assert(io.open("build/bench.md", "w"))
f:write(text)
f:close()
io.write("(written to build/bench.md)\n")
