#!/usr/bin/env bash
# spec/support/fakeserver_selftest.sh -- builds spec/support/fakeserver.c in a
# temp dir and checks every route and scenario with curl (plus bash's
# /dev/tcp for raw HTTP, python3 or lua5.4+cjson for JSON).  Ends with one
# line "N passed, N failed"; exit status 0 only if nothing failed.
#
# Environment:
#   CC                 compiler (default gcc)
#   FAKESERVER_CFLAGS  extra flags, e.g. "-fsanitize=address,undefined"
#   PERF_LIMIT         max seconds for a 100 000-chunk stream (default 0.1,
#                      1.0 when FAKESERVER_CFLAGS is set)
#   SELFTEST_VALGRIND  0 to skip the valgrind session (default: run it if
#                      valgrind is installed)
set -uo pipefail
cd "$(dirname "$0")/../.."

CC=${CC:-gcc}
CFLAGS_EXTRA=${FAKESERVER_CFLAGS:-}
if [ -n "$CFLAGS_EXTRA" ]; then PERF_LIMIT=${PERF_LIMIT:-1.0}; else PERF_LIMIT=${PERF_LIMIT:-0.1}; fi
KEY="sk-or-v1-selftest-secret-0123456789"
tmp=$(mktemp -d)
SPID=""
BG_PIDS=()

cleanup() {
  local p
  for p in "${BG_PIDS[@]}" $SPID; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# check NAME EXPECTED ACTUAL
check() { if [ "$2" = "$3" ]; then ok; else bad "$1: expected [$2], got [$3]"; fi; }
# check_cmd NAME COMMAND... -- passes if the command succeeds
check_cmd() { local n=$1; shift; if "$@"; then ok; else bad "$n"; fi; }
# ge A B -- A >= B for decimal numbers
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
summary() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

# ------------------------------------------------------------ build

build() {  # build OUT EXTRA_FLAGS...
  local out=$1; shift
  "$CC" -std=c99 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror "$@" -o "$out" spec/support/fakeserver.c
}
# shellcheck disable=SC2086
if build "$tmp/fakeserver" $CFLAGS_EXTRA 2>"$tmp/build.log"; then ok
else bad "build"; cat "$tmp/build.log"; summary; fi
if command -v clang >/dev/null && [ "$CC" != clang ]; then
  check_cmd "builds clean with clang" env CC=clang bash -c \
    "clang -std=c99 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o '$tmp/fs-clang' spec/support/fakeserver.c"
fi

# ------------------------------------------------------------ helpers

# start_server NAME ARGS... -- starts a server; sets SPID_NEW and PORT_NEW
start_server() {
  local name=$1; shift
  "$tmp/fakeserver" --port-file "$tmp/$name.port" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  SPID_NEW=$!
  PORT_NEW=""
  for _ in $(seq 500); do
    [ -s "$tmp/$name.port" ] && { PORT_NEW=$(cat "$tmp/$name.port"); break; }
    sleep 0.02
  done
}

# wait_exit PID SECONDS -- 0 if PID exits within SECONDS; sets EXIT_STATUS
wait_exit() {
  local i
  for i in $(seq $(($2 * 50))); do
    if ! kill -0 "$1" 2>/dev/null; then wait "$1" 2>/dev/null; EXIT_STATUS=$?; return 0; fi
    sleep 0.02
  done
  return 1
}

# fetch NAME CURL_ARGS... -- sets CODE and RC; headers, body, stderr and -w
# output in $tmp/NAME.{h,b,e,w}
fetch() {
  local name=$1; shift
  curl -sS -N --max-time 20 -D "$tmp/$name.h" -o "$tmp/$name.b" \
    -w '%{http_code} %{time_total} %{time_starttransfer}' "$@" >"$tmp/$name.w" 2>"$tmp/$name.e"
  RC=$?
  read -r CODE TIME TTFB <"$tmp/$name.w"
}

# chat NAME MODEL STREAM [CURL_ARGS...] -- POST a chat request with the key
chat() {
  local name=$1 model=$2 stream=$3; shift 3
  fetch "$name" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    --data-binary "{\"model\":\"$model\",\"stream\":$stream}" "$@" "$CHAT"
}

# hdr NAME HEADER -- the value of the last such header of $tmp/NAME.h
hdr() { grep -i "^$2:" "$tmp/$1.h" | tail -n 1 | cut -d: -f2- | tr -d '\r' | sed 's/^ *//'; }

# body NAME -- the body with generation ids and times normalized
body() { sed -E 's/gen-[0-9]+-[0-9]+/gen-ID/g; s/"created":[0-9]+/"created":0/g' "$tmp/$1.b"; }

# stats_of FIELD -- a number from /_stats
stats_of() { curl -sS --max-time 5 "$ROOT/_stats" | sed -E "s/.*\"$1\":([0-9]+).*/\1/"; }

# json_ok FILE -- the file is valid JSON
json_ok() {
  if command -v python3 >/dev/null; then python3 -m json.tool "$1" >/dev/null 2>&1
  else lua5.4 -e 'local f = assert(io.open(arg[1], "rb")); require("cjson").decode(f:read("*a"))' "$1" 2>/dev/null
  fi
}

# raw NAME -- sends stdin on a fresh connection, saves everything the
# server sends until it closes (5 s at most) in $tmp/NAME.raw
raw() {
  local name=$1
  exec 3<>"/dev/tcp/127.0.0.1/$PORT"
  timeout 5 cat <&3 >"$tmp/$name.raw" &
  local reader=$!
  cat >&3
  wait "$reader"
  exec 3<&-
}

# jv FILE EXPR... -- evaluates Lua expressions over `d`, the JSON of FILE
# (lua5.4 + cjson; `null` is cjson.null); prints the results joined by "|":
# nil, null, numbers as %.14g, tables re-encoded, ERR for a failing one
jv() {
  local f=$1; shift
  lua5.4 - "$f" "$@" <<'EOF'
local cjson = require "cjson"
local f = assert(io.open(arg[1], "rb")); local s = f:read("a"); f:close()
local ok, d = pcall(cjson.decode, s)
if not ok then io.write("INVALID-JSON") return end
local out = {}
for i = 2, #arg do
  local fn = assert(load("local d, null, cjson = ...; return " .. arg[i]))
  local ok2, v = pcall(fn, d, cjson.null, cjson)
  if not ok2 then v = "ERR" elseif v == nil then v = "nil" elseif v == cjson.null then v = "null"
  elseif type(v) == "number" then v = string.format("%.14g", v)
  elseif type(v) == "table" then v = cjson.encode(v) else v = tostring(v) end
  out[#out + 1] = v
end
io.write(table.concat(out, "|"))
EOF
}

# get NAME PATH [CURL_ARGS...] -- GET ROOT/api/v1/PATH with the key
get() { local name=$1 path=$2; shift 2; fetch "$name" -H "Authorization: Bearer $KEY" "$@" "$ROOT/api/v1/$path"; }

# chat_body NAME BODY [CURL_ARGS...] -- POST a chat request with the key and this exact body
chat_body() { local name=$1 data=$2; shift 2; fetch "$name" -H "Authorization: Bearer $KEY" --data-binary "$data" "$@" "$CHAT"; }

# attempts MODEL -- /_attempts count of MODEL (URL-encoded here)
attempts() {
  curl -sS --max-time 5 -G --data-urlencode "model=$1" "$ROOT/_attempts" | sed -E 's/.*"count":([0-9]+).*/\1/'
}

# now_ms -- the wall clock in epoch milliseconds
now_ms() { date +%s%3N; }

# choice_ev MODEL CHOICES_JSON -- one chunk event with this "choices" array
choice_ev() { ev "$(head_of "$1")$2}"; }

# Expected SSE bodies, built from the wire format in the brief.
EOL=$'\n'
USAGE='{"prompt_tokens":13,"completion_tokens":6,"total_tokens":19,"cost":0.000093,"is_byok":false,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}'
ev() { printf '%s%s%s' "$1" "$EOL" "$EOL"; }
head_of() { printf 'data: {"id":"gen-ID","provider":"FakeProvider","model":"%s","object":"chat.completion.chunk","created":0,"choices":' "$1"; }
chunk() {  # MODEL CONTENT [stop]
  local fin=null; [ "${3:-}" = stop ] && fin='"stop"'
  ev "$(head_of "$1")[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"$2\"},\"finish_reason\":$fin,\"native_finish_reason\":$fin,\"logprobs\":null}]}"
}
usage_chunk() { ev "$(head_of "$1")[],\"usage\":$USAGE}"; }
usage_legacy_chunk() {
  ev "$(head_of "$1")[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null,\"native_finish_reason\":null,\"logprobs\":null}],\"usage\":$USAGE}"
}
deltas() { local d; for d in Hello , " world" " from" " fake" " OpenRouter!"; do chunk "$1" "$d"; done; }
tail_of() { chunk "$1" "" stop; usage_chunk "$1"; ev "data: [DONE]"; }
expected_normal() { chunk "$1" ""; deltas "$1"; tail_of "$1"; }
expected_completion() {
  printf '{"id":"gen-ID","provider":"FakeProvider","model":"%s","object":"chat.completion","created":0,"choices":[{"index":0,"finish_reason":"stop","native_finish_reason":"stop","logprobs":null,"message":{"role":"assistant","content":"Hello, world from fake OpenRouter!","refusal":null,"reasoning":null}}],"usage":%s}' "$1" "$USAGE"
}
# same NAME EXPECTED_FILE -- the normalized body equals the file
same() {
  body "$1" >"$tmp/$1.n"
  if cmp -s "$2" "$tmp/$1.n"; then ok; else bad "$1: body differs"; diff <(cat -A "$2") <(cat -A "$tmp/$1.n") | head -n 6; fi
}

# ------------------------------------------------------------ start

start_server main --lifetime 300 --idle 60
SPID=$SPID_NEW PORT=$PORT_NEW
if [ -z "$PORT" ]; then bad "server did not start: $(cat "$tmp/main.err")"; summary; fi
ROOT="http://127.0.0.1:$PORT"
CHAT="$ROOT/api/v1/chat/completions"
check "PORT line on stdout" "PORT $PORT" "$(head -n 1 "$tmp/main.out")"
check "port file holds only the number" "$PORT" "$(cat "$tmp/main.port")"
check "listens on 127.0.0.1 only" "127.0.0.1:$PORT" \
  "$(ss -Hltn "sport = :$PORT" 2>/dev/null | awk '{print $4}')"
check "stats start at zero" '{"requests":0,"connections":0,"open":0,"aborted":0}' \
  "$(curl -sS "$ROOT/_stats")"
fetch last0 "$ROOT/_last"
check "/_last before any request is 404" 404 "$CODE"

# ------------------------------------------------------------ normal

chat normal any/model true
check "normal stream: status" 200 "$CODE"
check "normal stream: content type" "text/event-stream" "$(hdr normal content-type)"
check "normal stream: cache control" "no-cache" "$(hdr normal cache-control)"
check "normal stream: chunked" "chunked" "$(hdr normal transfer-encoding)"
check_cmd "normal stream: X-Generation-Id" grep -qiE '^X-Generation-Id: gen-[0-9]+-[0-9]+' "$tmp/normal.h"
expected_normal any/model >"$tmp/exp.normal"
same normal "$tmp/exp.normal"
check "generation id header matches chunk ids" "$(hdr normal x-generation-id)" \
  "$(grep -oE 'gen-[0-9]+-[0-9]+' "$tmp/normal.b" | sort -u)"

chat completion any/model false
check "completion: status" 200 "$CODE"
check "completion: content type" "application/json" "$(hdr completion content-type)"
check "completion: content length" "$(wc -c <"$tmp/completion.b" | tr -d ' ')" "$(hdr completion content-length)"
expected_completion any/model >"$tmp/exp.completion"
same completion "$tmp/exp.completion"
check_cmd "completion: valid JSON" json_ok "$tmp/completion.b"

fetch nomodel -H "Authorization: Bearer $KEY" --data-binary '{ "stream" : true , "messages":[{"model":"x/y"}]}' "$CHAT"
expected_normal openai/gpt-4o >"$tmp/exp.default"
same nomodel "$tmp/exp.default"
fetch nostream -H "Authorization: Bearer $KEY" --data-binary '{"model":"a/b","stream":false,"x":{"stream":true}}' "$CHAT"
check "stream false: JSON answer" "application/json" "$(hdr nostream content-type)"
fetch badjson -H "Authorization: Bearer $KEY" --data-binary '{"model":' "$CHAT"
check "invalid JSON body: 400" 400 "$CODE"

# ------------------------------------------------------------ auth, routes, HTTP

fetch noauth --data-binary '{"model":"a/b"}' "$CHAT"
check "no Authorization: 401" 401 "$CODE"
check "no Authorization: body" '{"error":{"code":401,"message":"No auth credentials found"}}' "$(cat "$tmp/noauth.b")"
fetch basic -H 'Authorization: Basic abc' --data-binary '{"model":"a/b"}' "$CHAT"
check "non-Bearer Authorization: 401" 401 "$CODE"
fetch notfound -H "Authorization: Bearer $KEY" "$ROOT/api/v1/nothing?x=1"
check "unknown path: 404" 404 "$CODE"
check "unknown path: body" '{"error":{"code":404,"message":"Not found: /api/v1/nothing"}}' "$(cat "$tmp/notfound.b")"
check "unknown path: JSON type" "application/json" "$(hdr notfound content-type)"
fetch getchat -H "Authorization: Bearer $KEY" "$CHAT"
check "GET chat/completions: 404" 404 "$CODE"

printf 'POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n\r\n' | raw nolength
check "POST without Content-Length: 411" "HTTP/1.1 411 Length Required" "$(head -n 1 "$tmp/nolength.raw" | tr -d '\r')"
printf 'POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 40000000\r\n\r\n' | raw toolarge
check "body over 32 MiB: 413" "HTTP/1.1 413 Payload Too Large" "$(head -n 1 "$tmp/toolarge.raw" | tr -d '\r')"
fetch bighead -H "X-Big: $(head -c 70000 /dev/zero | tr '\0' x)" "$ROOT/_stats"
check "head over 64 KiB: 431" 431 "$CODE"
printf 'BROKEN\r\n\r\n' | raw malformed
check "malformed request line: 400" "HTTP/1.1 400 Bad Request" "$(head -n 1 "$tmp/malformed.raw" | tr -d '\r')"

head -c 3000 /dev/zero | tr '\0' ' ' >"$tmp/pad"
printf '{"model":"a/b","stream":false,"pad":"%s"}' "$(cat "$tmp/pad")" >"$tmp/expect.json"
fetch expect -H "Authorization: Bearer $KEY" -H 'Expect: 100-continue' --data-binary "@$tmp/expect.json" "$CHAT"
check_cmd "Expect: 100-continue answered" grep -q '^HTTP/1.1 100 Continue' "$tmp/expect.h"
check "Expect: 100-continue: final status" 200 "$CODE"
check_cmd "Expect: 100-continue: no wait for curl's timeout" ge 0.5 "$TIME"

body1='{"model":"a/b","stream":true}' body2='{"model":"c/d"}'
{ printf 'POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\nContent-Length: %d\r\n\r\n%s' ${#body1} "$body1"
  printf 'POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s' ${#body2} "$body2"
} | raw pipelined
check "pipelined: two responses" 2 "$(grep -c '^HTTP/1.1 200 OK' "$tmp/pipelined.raw")"
check "pipelined: stream then JSON" "1 1" \
  "$(grep -c 'data: \[DONE\]' "$tmp/pipelined.raw") $(grep -c '"object":"chat.completion",' "$tmp/pipelined.raw")"
check_cmd "pipelined: Connection: close on the last" grep -q '^Connection: close' "$tmp/pipelined.raw"

{ printf 'POST /api/v1/chat'; sleep 0.05; printf '/completions HTTP/1.1\r\nHost: x\r\nAuthor'; sleep 0.05
  printf 'ization: Bearer k\r'; sleep 0.05; printf '\nContent-Length: 15\r\nConnection: close\r\n\r'; sleep 0.05
  printf '\n{"model"'; sleep 0.05; printf ':"f/g"}'; } | raw fragmented
check_cmd "fragmented request served" grep -q '"model":"f/g","object":"chat.completion"' "$tmp/fragmented.raw"
printf 'GET /_stats HTTP/1.0\r\n\r\n' | raw http10
check "HTTP/1.0: served and closed" "HTTP/1.1 200 OK" "$(head -n 1 "$tmp/http10.raw" | tr -d '\r')"

c0=$(stats_of connections) r0=$(stats_of requests)
check "/_stats does not count itself" "$c0 $r0" "$(stats_of connections) $(stats_of requests)"
curl -sS -o /dev/null -o /dev/null -H "Authorization: Bearer $KEY" --data-binary '{"model":"a/b"}' "$CHAT" "$CHAT"
check "keep-alive: two requests on one connection" "$((c0 + 1)) $((r0 + 2))" "$(stats_of connections) $(stats_of requests)"
check "keep-alive: nothing left open" 0 "$(stats_of open)"

# ------------------------------------------------------------ /_last

printf '{"model":"a/b","q":"quo\\"te back\\\\slash","raw":"tab\t nl\n ctl\001\037 del\177 utf8 \303\251 \342\202\254"}' >"$tmp/lastbody"
fetch lastreq -H "Authorization: Bearer $KEY" -H 'X-Dup: one' -H 'X-Dup: two' -H 'X-Mixed-CASE: v' \
  --data-binary "@$tmp/lastbody" "$CHAT?a=1"
curl -sS "$ROOT/_stats" >/dev/null
curl -sS -o "$tmp/last.json" "$ROOT/_last"
check_cmd "/_last: valid JSON" json_ok "$tmp/last.json"
if command -v python3 >/dev/null; then
  check "/_last: fields, headers, exact body" "ok" "$(python3 - "$tmp/last.json" "$tmp/lastbody" "$KEY" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
raw = open(sys.argv[2], "rb").read().decode("utf-8")
h = d["headers"]
checks = [d["method"] == "POST", d["path"] == "/api/v1/chat/completions?a=1", d["body"] == raw,
          h["x-dup"] == "one, two", h["x-mixed-case"] == "v", h["authorization"] == "Bearer " + sys.argv[3],
          h["content-length"] == str(len(raw.encode("utf-8"))), all(k == k.lower() for k in h)]
print("ok" if all(checks) else "bad %r" % checks)
EOF
)"
fi
check_cmd "/_last: control chars as \\u00XX" grep -q 'ctl\\u0001\\u001f' "$tmp/last.json"

# ------------------------------------------------------------ scenarios

chat chunks fake/chunks-1000 true
check "chunks-1000: content chunks" 1000 "$(grep -c '"content":"a"' "$tmp/chunks.b")"
check "chunks-1000: events" 1004 "$(grep -c '^data: ' "$tmp/chunks.b")"
{ chunk fake/chunks-3 ""; for _ in 1 2 3; do chunk fake/chunks-3 a; done; tail_of fake/chunks-3; } >"$tmp/exp.chunks3"
chat chunks3 fake/chunks-3 true
same chunks3 "$tmp/exp.chunks3"
chat chunks0 fake/chunks-0 true
check "chunks-0: role, stop, usage, DONE" 4 "$(grep -c '^data: ' "$tmp/chunks0.b")"
chat chunksjson fake/chunks-5 false
expected_completion fake/chunks-5 >"$tmp/exp.chunksjson"
same chunksjson "$tmp/exp.chunksjson"
chat chunksbad fake/chunks-x1 true
check "bad scenario number: 400" 400 "$CODE"

best=9
for _ in 1 2 3 4 5; do
  t=$(curl -sN -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $KEY" \
        --data-binary '{"model":"fake/chunks-100000","stream":true}' "$CHAT")
  best=$(awk -v a="$best" -v b="$t" 'BEGIN { print (b < a) ? b : a }')
done
echo "chunks-100000 to /dev/null: best of 5 = ${best}s (curl time_total)"
check_cmd "chunks-100000 in under ${PERF_LIMIT}s (took ${best}s)" ge "$PERF_LIMIT" "$best"
chat perfcount fake/chunks-100000 true
check "chunks-100000: all chunks" 100000 "$(grep -c '"content":"a"' "$tmp/perfcount.b")"

for st in 400 401 402 403 404 408 413 429 500 502 503 504 524 529; do
  chat "status$st" "fake/status-$st" true
  check "status-$st: status" "$st" "$CODE"
  check "status-$st: body" "{\"error\":{\"code\":$st,\"message\":\"Fake error $st\"}}" "$(cat "$tmp/status$st.b")"
done
check "status-429: Retry-After" 1 "$(hdr status429 retry-after)"
check_cmd "status-N: X-Generation-Id" grep -qiE '^X-Generation-Id: gen-[0-9]+-[0-9]+' "$tmp/status500.h"
check "status-502: reason phrase" "HTTP/1.1 502 Bad Gateway" "$(head -n 1 "$tmp/status502.h" | tr -d '\r')"
check "status-N: JSON type" "application/json" "$(hdr status500 content-type)"
chat status500j fake/status-500 false
check "status-500 non-streamed" 500 "$CODE"

chat html fake/html-502 true
check "html-502: status" 502 "$CODE"
check "html-502: type" "text/html" "$(hdr html content-type)"
check "html-502: no X-Generation-Id (an edge page)" "" "$(hdr html x-generation-id)"
check "html-502: body" "<html><head><title>502</title></head><body><h1>502 Bad Gateway</h1>cloudflare</body></html>" "$(cat "$tmp/html.b")"
chat html503 fake/html-503 false
check "html-503 non-streamed" "503 <h1>503 Service Unavailable</h1>" "$CODE $(grep -o '<h1>.*</h1>' "$tmp/html503.b")"

chat echokey fake/echo-key true
check "echo-key: 401 with the key" "401 {\"error\":{\"code\":401,\"message\":\"Invalid key $KEY\"}}" "$CODE $(cat "$tmp/echokey.b")"
chat echokeyj fake/echo-key false
check "echo-key non-streamed" 401 "$CODE"

chat json200 fake/json-200 true
check "json-200: 200 JSON" "200 application/json" "$CODE $(hdr json200 content-type)"
check "json-200: body" '{"error":{"code":502,"message":"Provider returned error","metadata":{"provider_name":"FakeProvider","raw":"upstream exploded"}}}' "$(cat "$tmp/json200.b")"
chat json200j fake/json-200 false
expected_completion fake/json-200 >"$tmp/exp.json200j"
same json200j "$tmp/exp.json200j"

a0=$(stats_of aborted)
chat drop fake/drop-3 true
check "drop-3: curl sees a cut body (18)" 18 "$RC"
{ chunk fake/drop-3 ""; for _ in 1 2 3; do chunk fake/drop-3 a; done; } >"$tmp/exp.drop"
same drop "$tmp/exp.drop"
chat eof fake/eof-2 true
check "eof-2: clean end of body" "0 200" "$RC $CODE"
{ chunk fake/eof-2 ""; chunk fake/eof-2 a; chunk fake/eof-2 a; } >"$tmp/exp.eof"
same eof "$tmp/exp.eof"
check "server-side closes are not aborts" "$a0" "$(stats_of aborted)"

chat stall fake/stall-2 true --max-time 0.6
check "stall-2: curl times out (28)" 28 "$RC"
check "stall-2: role + 2 chunks sent" 3 "$(grep -c '^data: ' "$tmp/stall.b")"
sleep 0.1
check "stall-2: client timeout counted as aborted" "$((a0 + 1))" "$(stats_of aborted)"
curl -sS -N -o /dev/null -H "Authorization: Bearer $KEY" --data-binary '{"model":"fake/stall-1","stream":true}' "$CHAT" &
cpid=$!
sleep 0.3
check "stall-1: connection open while stalled" 1 "$(stats_of open)"
kill "$cpid"; wait "$cpid" 2>/dev/null
sleep 0.1
check "stall-1: killed curl counted as aborted" "$((a0 + 2))" "$(stats_of aborted)"
check "stall-1: nothing left open" 0 "$(stats_of open)"
chat stallh fake/stall-headers true --max-time 0.5
check "stall-headers: no status line (28, 000)" "28 000" "$RC $CODE"
chat stallhj fake/stall-headers false --max-time 0.5
check "stall-headers non-streamed: no answer" "28 000" "$RC $CODE"
sleep 0.1
check "stall-headers: aborted" "$((a0 + 4))" "$(stats_of aborted)"

chat keepalive fake/keepalive-3 true
{ for _ in 1 2 3; do ev ": OPENROUTER PROCESSING"; done; expected_normal fake/keepalive-3; } >"$tmp/exp.keepalive"
same keepalive "$tmp/exp.keepalive"
check_cmd "keepalive-3: 50 ms apart (took ${TIME}s)" ge "$TIME" 0.14

chat slow fake/slow-100 true
expected_normal fake/slow-100 >"$tmp/exp.slow"
same slow "$tmp/exp.slow"
check_cmd "slow-100: 9 gaps of 100 ms (took ${TIME}s)" ge "$TIME" 0.85

chat delay fake/delay-300 true
expected_normal fake/delay-300 >"$tmp/exp.delay"
same delay "$tmp/exp.delay"
check_cmd "delay-300: first byte after 300 ms (${TTFB}s)" ge "$TTFB" 0.29
chat delayj fake/delay-300 false
check_cmd "delay-300 non-streamed (${TTFB}s)" ge "$TTFB" 0.29
curl -sS -N -o /dev/null -H "Authorization: Bearer $KEY" --data-binary '{"model":"fake/delay-3000"}' "$CHAT" &
cpid=$!
sleep 0.3; kill "$cpid"; wait "$cpid" 2>/dev/null; sleep 0.1
check "delay: client leaving during the delay is aborted" "$((a0 + 5))" "$(stats_of aborted)"

for v in crlf cr; do
  if [ $v = crlf ]; then EOL=$'\r\n'; else EOL=$'\r'; fi
  expected_normal fake/$v >"$tmp/exp.$v"
  EOL=$'\n'
  chat $v fake/$v true
  same $v "$tmp/exp.$v"
done

chat notjson fake/notjson true
{ chunk fake/notjson ""; ev "data: this is not json"; tail_of fake/notjson; } >"$tmp/exp.notjson"
same notjson "$tmp/exp.notjson"

chat errmid fake/error-mid true
{ chunk fake/error-mid ""; chunk fake/error-mid Hello; chunk fake/error-mid ,
  ev 'data: {"id":"gen-ID","object":"chat.completion.chunk","created":0,"model":"fake/error-mid","provider":"FakeProvider","error":{"code":"server_error","message":"Provider disconnected unexpectedly"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}'
} >"$tmp/exp.errmid"
same errmid "$tmp/exp.errmid"
check "error-mid: clean end of body" 0 "$RC"

chat legacy fake/usage-legacy true
{ chunk fake/usage-legacy ""; deltas fake/usage-legacy; chunk fake/usage-legacy "" stop
  usage_legacy_chunk fake/usage-legacy; ev "data: [DONE]"; } >"$tmp/exp.legacy"
same legacy "$tmp/exp.legacy"

# every data: line of every stream above is JSON (except the notjson one)
for f in normal chunks3 drop eof keepalive crlf errmid legacy; do
  tr '\r' '\n' <"$tmp/$f.b" | sed -n 's/^data: //p' | grep -v '^\[DONE\]$' | while IFS= read -r line; do
    printf '%s' "$line" >"$tmp/line.json"
    json_ok "$tmp/line.json" || echo "bad JSON in $f: $line"
  done >"$tmp/jsonlines.$f"
  check "$f: every data line is JSON" "" "$(cat "$tmp/jsonlines.$f")"
done

chat big fake/big-4194304 true
check "big-4194304: one content of 4194304 bytes" 4194304 \
  "$(sed -n '2p' <(grep '^data: ' "$tmp/big.b") | grep -o '"content":"a*"' | awk '{print length($0) - 12}')"
check "big-4194304: then stop, usage, DONE" 5 "$(grep -c '^data: ' "$tmp/big.b")"
curl -sS -N -o /dev/null -w '%{size_download}' -H "Authorization: Bearer $KEY" \
  --data-binary '{"model":"fake/big-20000000","stream":true}' "$CHAT" >"$tmp/big20.size"
check_cmd "big-20000000: all bytes arrive ($(cat "$tmp/big20.size"))" ge "$(cat "$tmp/big20.size")" 20001000

# slow readers of big and drip streams do not hold up the others
curl -sS -N -o /dev/null --limit-rate 1M --max-time 3 -H "Authorization: Bearer $KEY" \
  --data-binary '{"model":"fake/big-20000000","stream":true}' "$CHAT" 2>/dev/null &
BG_PIDS+=($!)
chat drip fake/drip true --raw &
drip_pid=$!
sleep 0.3
chat during any/model true
check_cmd "a stream is served at once during big and drip ones (${TIME}s)" ge 0.2 "$TIME"
wait "$drip_pid"
body drip | tr -d '\r' >"$tmp/drip.framing"
check_cmd "drip: one byte per HTTP chunk" bash -c \
  "grep -cx '1' '$tmp/drip.framing' >/dev/null && [ \$(grep -cx '1' '$tmp/drip.framing') -ge 2000 ]"
chat drip2 fake/drip true
expected_normal fake/drip >"$tmp/exp.drip"
same drip2 "$tmp/exp.drip"
check_cmd "drip: ~1 ms per byte (took ${TIME}s)" ge "$TIME" 1.5

# ------------------------------------------------------------ keys

INV_BODY='{"error":{"code":401,"message":"Invalid API key"}}'
NOCREDIT_BODY='{"error":{"message":"This request requires more credits, or fewer max_tokens. You requested up to 64000 tokens, but can only afford 2666. To increase, visit https://openrouter.ai/settings/credits and upgrade to a paid account","code":402,"metadata":{"provider_name":null}},"user_id":"user_fake"}'
for st in true false; do
  fetch "inv$st" -H 'Authorization: Bearer sk-or-v1-invalid-key' --data-binary "{\"model\":\"a/b\",\"stream\":$st}" "$CHAT"
  check "invalid key, stream $st: 401 body" "401 $INV_BODY" "$CODE $(cat "$tmp/inv$st.b")"
  fetch "nocr$st" -H 'Authorization: Bearer sk-or-v1-nocredit-key' --data-binary "{\"model\":\"a/b\",\"stream\":$st}" "$CHAT"
  check "nocredit key, stream $st: 402 body" "402 $NOCREDIT_BODY" "$CODE $(cat "$tmp/nocr$st.b")"
done
check_cmd "nocredit: body is JSON" json_ok "$tmp/nocrtrue.b"
check "refused keys: no X-Generation-Id" "" "$(hdr invtrue x-generation-id)$(hdr nocrfalse x-generation-id)$(hdr noauth x-generation-id)"
fetch invbad -H 'Authorization: Bearer invalid' --data-binary '{"model":' "$CHAT"
check "invalid key wins over a bad body" 401 "$CODE"
fetch invecho -H 'Authorization: Bearer invalid' --data-binary '{"model":"fake/echo-key"}' "$CHAT"
check "invalid key wins over the scenario" "$INV_BODY" "$(cat "$tmp/invecho.b")"

# ------------------------------------------------------------ GET /models

fetch models "$ROOT/api/v1/models"
check "models: 200 without a key" "200 application/json" "$CODE $(hdr models content-type)"
check_cmd "models: valid JSON" json_ok "$tmp/models.b"
check "models: envelope" "number|true|null" \
  "$(jv "$tmp/models.b" 'type(d.total_count)' 'd.total_count == #d.data' 'd.links.next')"
check "models: every entry complete and well typed" "ok" "$(jv "$tmp/models.b" '(function()
  local function int(v) return type(v) == "number" and v == math.floor(v) end
  for _, m in ipairs(d.data) do
    local a, p, t = m.architecture, m.pricing, m.top_provider
    local good = type(m.id) == "string" and type(m.canonical_slug) == "string" and type(m.name) == "string"
      and int(m.created) and type(m.description) == "string"
      and int(m.context_length) and type(a) == "table" and type(a.modality) == "string"
      and type(a.input_modalities) == "table" and type(a.output_modalities) == "table"
      and type(a.tokenizer) == "string" and a.instruct_type == null
      and type(p.prompt) == "string" and type(p.completion) == "string"
      and tonumber(p.prompt) and tonumber(p.completion)
      and int(t.context_length) and type(t.is_moderated) == "boolean"
      and (t.max_completion_tokens == null or int(t.max_completion_tokens))
      and m.per_request_limits == null and type(m.supported_parameters) == "table"
      and #m.supported_parameters > 0 and m.default_parameters == null
    if not good then return "bad " .. tostring(m.id) end
  end
  return "ok" end)()')"
models_expr() {  # ID -> "name|prompt|completion" of that entry
  printf '(function() for _, m in ipairs(d.data) do if m.id == "%s" then return m.name .. "|" .. m.pricing.prompt .. "|" .. m.pricing.completion end end end)()' "$1"
}
for m in openai/gpt-4o openai/gpt-4o-mini anthropic/claude-sonnet-4.5 meta-llama/llama-3.3-70b-instruct \
         meta-llama/llama-3.3-70b-instruct:free deepseek/deepseek-r1:free google/gemini-2.5-flash fake/slow-20 fake/buffered; do
  check_cmd "models: lists $m" test -n "$(jv "$tmp/models.b" "$(models_expr "$m")" | grep -v '^nil$')"
done
check "models: gpt-4o prices" "OpenAI: GPT-4o|0.0000025|0.00001" "$(jv "$tmp/models.b" "$(models_expr openai/gpt-4o)")"
check "models: llama :free prices" "0|0" "$(jv "$tmp/models.b" "$(models_expr meta-llama/llama-3.3-70b-instruct:free)" | cut -d'|' -f2-)"
check "models: r1 :free prices" "0|0" "$(jv "$tmp/models.b" "$(models_expr deepseek/deepseek-r1:free)" | cut -d'|' -f2-)"
check "models: fake/slow-20 name" "Fake slow stream|0|0" "$(jv "$tmp/models.b" "$(models_expr fake/slow-20)")"
check "models: fake/buffered name" "Fake buffered stream|0|0" "$(jv "$tmp/models.b" "$(models_expr fake/buffered)")"
fetch models2 -H 'Authorization: Bearer invalid' "$ROOT/v1/models?supported_parameters=tools"
check "models: any base, query ignored, invalid key ignored" "200 $(cat "$tmp/models.b")" "$CODE $(cat "$tmp/models2.b")"
fetch modelspost -H "Authorization: Bearer $KEY" --data-binary '{}' "$ROOT/api/v1/models"
check "models: POST is 404" 404 "$CODE"

# ------------------------------------------------------------ GET /key, /credits

key_body() {  # TAIL LIMIT REMAINING USAGE
  printf '{"data":{"label":"sk-or-v1-fak...%s","limit":%s,"limit_reset":null,"limit_remaining":%s,"include_byok_in_limit":false,"usage":%s,"usage_daily":%s,"usage_weekly":%s,"usage_monthly":%s,"byok_usage":0,"is_free_tier":false,"is_management_key":false,"is_provisioning_key":false,"expires_at":null,"rate_limit":{"requests":-1,"interval":"10s","note":"This field is deprecated and safe to ignore."}}}' \
    "$1" "$2" "$3" "$4" "$4" "$4" "$4"
}
get key key
check "key: 200 body" "200 $(key_body "${KEY: -3}" null null 0.25)" "$CODE $(cat "$tmp/key.b")"
check_cmd "key: never the full token" bash -c "! grep -qF -- '${KEY:0:20}' '$tmp/key.b'"
check_cmd "key: valid JSON" json_ok "$tmp/key.b"
fetch keybroke -H 'Authorization: Bearer sk-or-v1-nocredit-abc' "$ROOT/api/v1/key"
check "key: nocredit is exhausted" "200 $(key_body abc 10 0 10)" "$CODE $(cat "$tmp/keybroke.b")"
fetch keyq -H 'Authorization: Bearer a"\b' "$ROOT/api/v1/auth/key"
check "key: label tail escaped, legacy /auth/key" "200 \"sk-or-v1-fak...\\\"\\\\b\"" "$CODE $(grep -o '"sk-or-v1-fak[^,]*' "$tmp/keyq.b")"
fetch keyshort -H 'Authorization: Bearer abc' "$ROOT/api/v1/key"
check "key: a 3-character token is not shown" '"sk-or-v1-fak..."' "$(grep -o '"sk-or-v1-fak[^,]*' "$tmp/keyshort.b")"
get credits credits
check "credits: body" '200 {"data":{"total_credits":10.5,"total_usage":0.25}}' "$CODE $(cat "$tmp/credits.b")"
for route in key credits generation?id=x; do
  fetch "noauth_${route%%\?*}" "$ROOT/api/v1/$route"
  check "$route without a key: 401" "401 {\"error\":{\"code\":401,\"message\":\"No auth credentials found\"}}" "$CODE $(cat "$tmp/noauth_${route%%\?*}.b")"
  fetch "invauth_${route%%\?*}" -H 'Authorization: Bearer xx-invalid-xx' "$ROOT/api/v1/$route"
  check "$route with an invalid key: 401" "401 $INV_BODY" "$CODE $(cat "$tmp/invauth_${route%%\?*}.b")"
done

# ------------------------------------------------------------ GET /generation

gid="gen-$$-a b\"c"
get gen1 "generation?id=gen-$$-a+b%22c"
check "generation: first lookup 404" "404 {\"error\":{\"code\":404,\"message\":\"Generation gen-$$-a b\\\"c not found\"}}" "$CODE $(cat "$tmp/gen1.b")"
get gen2 "generation?x=1&id=gen-$$-a%20b%22c"
check "generation: then 200" "200 application/json" "$CODE $(hdr gen2 content-type)"
check "generation: fields" "$gid|chatcmpl-1|openai/gpt-4o|FakeProvider|2026-11-24T08:00:00Z|true|false|stop|stop|13|6|9.3e-05|120|80" \
  "$(jv "$tmp/gen2.b" d.data.id d.data.upstream_id d.data.model d.data.provider_name d.data.created_at d.data.streamed \
      d.data.cancelled d.data.finish_reason d.data.native_finish_reason d.data.tokens_prompt d.data.tokens_completion \
      d.data.total_cost d.data.latency d.data.generation_time)"
get gen3 "generation?id=gen-$$-a+b%22c"
check "generation: stays 200" 200 "$CODE"
get gennoid "generation?idx=1"
check "generation: no id is 400" 400 "$CODE"
get genempty "generation?id="
check "generation: empty id is 400" 400 "$CODE"
check "generation: 2048 new ids, each 404 first" 2048 \
  "$(curl -sS --max-time 60 -H "Authorization: Bearer $KEY" -w '\n%{http_code}\n' "$ROOT/api/v1/generation?id=ev$$-[1-2048]" | grep -cx 404)"
get genold "generation?id=ev$$-1"
check "generation: bounded table, the oldest id forgotten" 404 "$CODE"
get gennew "generation?id=ev$$-2048"
check "generation: the newest id kept" 200 "$CODE"

# ------------------------------------------------------------ /_attempts

r0=$(stats_of requests)
check "attempts: unknown model is 0" 0 "$(attempts "never/asked-$$")"
for i in 1 2 3; do chat "att$i" "count/me-$$" false; done
fetch attinv -H 'Authorization: Bearer invalid' --data-binary "{\"model\":\"count/me-$$\"}" "$CHAT"
check "attempts: counts every chat request, refused keys too" 4 "$(attempts "count/me-$$")"
check "attempts: URL-decoded (%2F and +)" 4 \
  "$(curl -sS "$ROOT/_attempts?model=count%2Fme-$$" | sed -E 's/.*:([0-9]+).*/\1/')"
chat attstream "count/me-$$" true
check "attempts: streamed ones too" 5 "$(attempts "count/me-$$")"
fetch attmissing "$ROOT/_attempts"
check "attempts: no model is 400" 400 "$CODE"
check "attempts: not counted as requests" $((r0 + 5)) "$(stats_of requests)"
{ for i in $(seq 2048); do
    [ "$i" -gt 1 ] && echo next
    printf 'url = "%s"\nheader = "Authorization: Bearer k"\ndata = "{\\"model\\":\\"evict/m%d-%d\\"}"\noutput = "/dev/null"\n' "$CHAT" $$ "$i"
  done; } >"$tmp/evict.cfg"
curl -sS --max-time 60 -K "$tmp/evict.cfg"
check "attempts: bounded table, oldest model forgotten, newest kept" "0 1" \
  "$(attempts "evict/m$$-1") $(attempts "evict/m$$-2048")"

# ------------------------------------------------------------ error scenarios

# err_both NAME MODEL STATUS -- the scenario answers STATUS with the same
# body streamed or not; the streamed answer is left in $tmp/NAME.{h,b}
err_both() {
  chat "$1j" "$2" false
  local cj=$CODE
  chat "$1" "$2" true
  check "$2: status (streamed, not)" "$3 $3" "$CODE $cj"
  if [ "${4:-}" != timed ]; then check "$2: same body in both modes" "$(cat "$tmp/$1j.b")" "$(cat "$tmp/$1.b")"; fi
  check_cmd "$2: X-Generation-Id" grep -qiE '^X-Generation-Id: gen-[0-9]+-[0-9]+' "$tmp/$1.h"
}
avail_expr=(d.error.code d.error.message d.error.error_type d.error.http_status d.error.availability.code
            d.error.availability.retryable d.error.availability.retry_after 'd.error.availability.requested_models[1]'
            '#d.error.availability.requested_models')
for spec in model_not_found:400:false wrong_endpoint:400:false no_endpoints:404:false model_deprecated:404:false \
            capacity_exhausted:429:true temporarily_unavailable:503:true region_restricted:403:false; do
  IFS=: read -r code st retry <<<"$spec"
  err_both "av_$code" "fake/avail-$code" "$st"
  ra=nil; [ "$retry" = true ] && ra=1
  out=$(jv "$tmp/av_$code.b" "${avail_expr[@]}")
  check "avail-$code: no code, availability fields" "nil|$st|$code|$retry|$ra|fake/avail-$code|1" \
    "$(echo "$out" | cut -d'|' -f1,4-)"
  check_cmd "avail-$code: message and error_type are strings" bash -c \
    "echo '$out' | awk -F'|' '\$2 != \"\" && \$2 != \"nil\" && \$3 ~ /^[a-z_]+\$/ {ok=1} END {exit !ok}'"
done
check "avail-model_not_found: message" "fake/avail-model_not_found is not a valid model ID" \
  "$(jv "$tmp/av_model_not_found.b" d.error.message)"
chat avbad fake/avail-nonsense true
check "avail-<unknown code>: 400" 400 "$CODE"

err_both rawjson fake/raw-json 400
check "raw-json: verbatim Crucible body" '{"error":{"message":"Provider returned error","code":400,"metadata":{"raw":"{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"invalid_request_error\",\"message\":\"Model '"'"'moonshotai/kimi-k2.6'"'"' supports at most 1 image per prompt.\",\"request_id\":\"req_*******\"}}","provider_name":"Crucible","is_byok":false}},"user_id":"user_***************"}' "$(cat "$tmp/rawjson.b")"
check "raw-json: raw is a JSON string" "string|Crucible|Model 'moonshotai/kimi-k2.6' supports at most 1 image per prompt." \
  "$(jv "$tmp/rawjson.b" 'type(d.error.metadata.raw)' d.error.metadata.provider_name 'cjson.decode(d.error.metadata.raw).error.message')"
err_both rawtext fake/raw-text 429
check "raw-text: verbatim BaseTen body" '{"error":{"message":"Provider returned error","code":429,"metadata":{"raw":"z-ai/glm-5.3-flash is temporarily rate-limited upstream. Please retry shortly, or add your own key to accumulate your rate limits: ...","provider_name":"BaseTen","limit_source":"upstream_provider_shared_pool","remedy_hint":"Retry shortly, add your own provider key, or route to another provider"}}}' "$(cat "$tmp/rawtext.b")"
check "raw-text: retry-after-ms 30" 30 "$(hdr rawtext retry-after-ms)"
err_both moder fake/moderation 403
check "moderation: body" '{"error":{"code":403,"message":"Your chosen model requires moderation and your input was flagged","metadata":{"reasons":["violence","harassment"],"flagged_input":"how do I ...","provider_name":"FakeProvider","model_slug":"openai/gpt-4o"}}}' "$(cat "$tmp/moder.b")"

t0=$(now_ms)
err_both daily fake/daily-cap 429 timed
check "daily-cap: rate-limit headers" "50 0" "$(hdr daily x-ratelimit-limit) $(hdr daily x-ratelimit-remaining)"
reset=$(hdr daily x-ratelimit-reset)
check "daily-cap: metadata" "string|$reset|50|0|openrouter_free_tier_daily|null|429" \
  "$(jv "$tmp/daily.b" 'type(d.error.metadata.headers["X-RateLimit-Reset"])' 'd.error.metadata.headers["X-RateLimit-Reset"]' \
      'd.error.metadata.headers["X-RateLimit-Limit"]' 'd.error.metadata.headers["X-RateLimit-Remaining"]' \
      d.error.metadata.limit_source d.error.metadata.provider_name d.error.code)"
check_cmd "daily-cap: resets in 3 hours (epoch ms $reset)" awk -v r="$reset" -v t="$t0" \
  'BEGIN { d = r - t - 3 * 3600 * 1000; exit !(d > -60000 && d < 60000) }'
check "daily-cap: message" "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day" \
  "$(jv "$tmp/daily.b" d.error.message)"

t0=$(now_ms)
err_both resetms fake/reset-ms-5000 429 timed
check "reset-ms-5000: body" '{"error":{"code":429,"message":"Rate limit exceeded"}}' "$(cat "$tmp/resetms.b")"
reset=$(hdr resetms x-ratelimit-reset)
check_cmd "reset-ms-5000: X-RateLimit-Reset is now + 5 s ($reset)" awk -v r="$reset" -v t="$t0" \
  'BEGIN { d = r - t - 5000; exit !(d > -3000 && d < 3000) }'
err_both retryafter fake/retry-after-3600 429
check "retry-after-3600: header and body" '3600 {"error":{"code":429,"message":"Rate limit exceeded"}}' \
  "$(hdr retryafter retry-after) $(cat "$tmp/retryafter.b")"
err_both codestr fake/code-string-500 500
check "code-string-500: body" '{"error":{"code":"some_string_code","message":"String code 500"}}' "$(cat "$tmp/codestr.b")"
err_both nocode fake/no-code-503 503
check "no-code-503: body" '{"error":{"message":"No code 503"}}' "$(cat "$tmp/nocode.b")"
err_both nocode429 fake/no-code-429 429
err_both empty fake/empty-502 502
check "empty-502: no body, text/plain, Content-Length 0" "0 text/plain 0" \
  "$(wc -c <"$tmp/empty.b" | tr -d ' ') $(hdr empty content-type) $(hdr empty content-length)"
err_both empty200 fake/empty-200 200
for m in fake/code-string-204 fake/no-code-99 fake/empty-600 fake/reset-ms-x fake/retry-after-; do
  chat badnum "$m" true
  check "$m: 400" 400 "$CODE"
done
fetch notools -H "Authorization: Bearer $KEY" --data-binary '{"model":"fake/tools","stream":true,"tools":null}' "$CHAT"
check "tools without tools: 400" '400 {"error":{"code":400,"message":"tools must be included in every request"}}' \
  "$CODE $(cat "$tmp/notools.b")"

# ------------------------------------------------------------ flaky

tag=t$$
for i in 1 2; do
  chat "flaky$i" "fake/flaky-503-2-$tag" true
  check "flaky-503-2: attempt $i fails" '503 20 {"error":{"code":503,"message":"Flaky 503"}}' \
    "$CODE $(hdr "flaky$i" retry-after-ms) $(cat "$tmp/flaky$i.b")"
done
chat flaky3 "fake/flaky-503-2-$tag" true
expected_normal "fake/flaky-503-2-$tag" >"$tmp/exp.flaky3"
check "flaky-503-2: attempt 3 succeeds" 200 "$CODE"
same flaky3 "$tmp/exp.flaky3"
check "flaky: counted by /_attempts" 3 "$(attempts "fake/flaky-503-2-$tag")"
chat flakyother "fake/flaky-503-2-${tag}x" false
check "flaky: the tag makes a new count" 503 "$CODE"
chat flakynr1 "fake/flakynr-429-1-$tag" false
check "flakynr-429-1: no retry header" '429   {"error":{"code":429,"message":"Flaky 429"}}' \
  "$CODE $(hdr flakynr1 retry-after-ms) $(hdr flakynr1 retry-after) $(cat "$tmp/flakynr1.b")"
chat flakynr2 "fake/flakynr-429-1-$tag" false
expected_completion "fake/flakynr-429-1-$tag" >"$tmp/exp.flakynr2"
same flakynr2 "$tmp/exp.flakynr2"
chat flakynotag fake/flaky-500-0 false
check "flaky-500-0 (no tag, never fails)" 200 "$CODE"
for m in fake/flaky-503 fake/flaky-503-x-a fake/flaky-503-1-A fake/flaky-503-1-a-b fake/flaky-600-1-a fake/flakydrop-x; do
  chat badflaky "$m" true
  check "$m: 400" 400 "$CODE"
done

a0=$(stats_of aborted)
chat fdrop1 "fake/flakydrop-1-$tag" true
check "flakydrop-1: 200 head then a cut body (curl 18)" "200 18 0" "$CODE $RC $(cat "$tmp/fdrop1.b" 2>/dev/null | wc -c | tr -d ' ')"
check "flakydrop-1: head of a stream" "text/event-stream" "$(hdr fdrop1 content-type)"
chat fdrop2 "fake/flakydrop-1-$tag" true
expected_normal "fake/flakydrop-1-$tag" >"$tmp/exp.fdrop2"
check "flakydrop-1: then the stream" "200 0" "$CODE $RC"
same fdrop2 "$tmp/exp.fdrop2"
chat fdropj1 "fake/flakydrop-1-${tag}j" false
check "flakydrop-1 non-streamed: 200 head, no body (curl 18)" "200 18 0" "$CODE $RC $(cat "$tmp/fdropj1.b" 2>/dev/null | wc -c | tr -d ' ')"
chat fdropj2 "fake/flakydrop-1-${tag}j" false
expected_completion "fake/flakydrop-1-${tag}j" >"$tmp/exp.fdropj2"
same fdropj2 "$tmp/exp.fdropj2"
check "flakydrop: server-side closes are not aborts" "$a0" "$(stats_of aborted)"

# ------------------------------------------------------------ stream scenarios

DCLOSE='},"finish_reason":null,"native_finish_reason":null,"logprobs":null}]'
m=fake/choice-error
chat choiceerr $m true
{ chunk $m ""; chunk $m partial
  choice_ev $m '[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":"error","native_finish_reason":"error","logprobs":null,"error":{"code":502,"message":"Provider disconnected mid-stream","metadata":{"error_type":"provider_unavailable"}}}]'
} >"$tmp/exp.choiceerr"
same choiceerr "$tmp/exp.choiceerr"
check "choice-error: clean end, no [DONE]" "0 0" "$RC $(grep -c DONE "$tmp/choiceerr.b")"
chat choiceerrj $m false
check "choice-error non-streamed" "200|partial output...|error|error|502|Provider disconnected mid-stream|provider_unavailable|nil" \
  "$CODE|$(jv "$tmp/choiceerrj.b" 'd.choices[1].message.content' 'd.choices[1].finish_reason' 'd.choices[1].native_finish_reason' \
      'd.choices[1].error.code' 'd.choices[1].error.message' 'd.choices[1].error.metadata.error_type' d.error)"

m=fake/error-mid-429
chat errmid429 $m true
{ chunk $m ""; chunk $m Hello; chunk $m ,
  ev 'data: {"id":"gen-ID","object":"chat.completion.chunk","created":0,"model":"fake/error-mid-429","provider":"FakeProvider","error":{"code":429,"message":"Rate limit exceeded","metadata":{"error_type":"rate_limit_exceeded"}},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}'
} >"$tmp/exp.errmid429"
same errmid429 "$tmp/exp.errmid429"
check "error-mid-429: clean end of body" "0 200" "$RC $CODE"
chat errmid429j $m false
check "error-mid-429 non-streamed: the error in the choice" "200|Hello,|error|429|rate_limit_exceeded" \
  "$CODE|$(jv "$tmp/errmid429j.b" 'd.choices[1].message.content' 'd.choices[1].finish_reason' 'd.choices[1].error.code' 'd.choices[1].error.metadata.error_type')"

m=fake/tools
TOPEN='[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":'
expected_tools() {
  chunk $m ""
  choice_ev $m "$TOPEN"'[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]'"$DCLOSE"
  choice_ev $m "$TOPEN"'[{"index":0,"function":{"arguments":"{\"loc"}}]'"$DCLOSE"
  choice_ev $m "$TOPEN"'[{"function":{"arguments":"ation\": \"Paris\"}"}}]'"$DCLOSE"
  choice_ev $m "$TOPEN"'[{"index":1,"id":"call_2","type":"function","function":{"name":"get_time","arguments":"{\"tz\":"}}]'"$DCLOSE"
  choice_ev $m "$TOPEN"'[{"index":1,"function":{"arguments":"\"Europe/Paris\"}"}}]'"$DCLOSE"
  choice_ev $m '[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":"tool_calls","native_finish_reason":"tool_calls","logprobs":null}]'
  usage_chunk $m; ev "data: [DONE]"
}
expected_tools >"$tmp/exp.tools"
TOOLS='"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]'
chat_body tools "{\"model\":\"$m\",\"stream\":true,$TOOLS,\"messages\":[{\"role\":\"user\",\"content\":\"{\\\"role\\\":\\\"tool\\\"} weather?\"}]}"
same tools "$tmp/exp.tools"
# the fragments, joined by index (the one without an index continues the last), are the two calls
sed -n 's/^data: //p' "$tmp/tools.b" | grep -v '^\[DONE\]$' >"$tmp/tools.lines"
check "tools: fragments join into two calls" 'get_weather {"location": "Paris"} Paris|get_time {"tz":"Europe/Paris"} Europe/Paris' \
  "$(lua5.4 - "$tmp/tools.lines" <<'EOF'
local cjson = require "cjson"
local calls, last = {}, nil
for line in io.lines(arg[1]) do
  local ch = cjson.decode(line).choices[1]
  for _, tc in ipairs(ch and ch.delta.tool_calls ~= cjson.null and ch.delta.tool_calls or {}) do
    local i = (tc.index or last) + 1
    last = i - 1
    calls[i] = calls[i] or { name = "", args = "" }
    if tc["function"].name then calls[i].name = tc["function"].name end
    calls[i].args = calls[i].args .. (tc["function"].arguments or "")
  end
end
local out = {}
for _, c in ipairs(calls) do
  local a = cjson.decode(c.args)
  out[#out + 1] = c.name .. " " .. c.args .. " " .. (a.location or a.tz)
end
io.write(table.concat(out, "|"))
EOF
)"
chat_body toolsj "{\"model\":\"$m\",$TOOLS}"
check "tools non-streamed: tool_calls" 'null|tool_calls|2|call_1|function|get_weather|{"location": "Paris"}|call_2|get_time|{"tz":"Europe/Paris"}' \
  "$(jv "$tmp/toolsj.b" 'd.choices[1].message.content' 'd.choices[1].finish_reason' '#d.choices[1].message.tool_calls' \
      'd.choices[1].message.tool_calls[1].id' 'd.choices[1].message.tool_calls[1].type' \
      'd.choices[1].message.tool_calls[1]["function"].name' 'd.choices[1].message.tool_calls[1]["function"].arguments' \
      'd.choices[1].message.tool_calls[2].id' 'd.choices[1].message.tool_calls[2]["function"].name' \
      'd.choices[1].message.tool_calls[2]["function"].arguments')"
WEATHER_MSGS='"messages":[{"role":"user","content":"weather?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},{ "content" : "18C" , "role" : "tool" , "tool_call_id":"call_1"}]'
chat_body weather "{\"model\":\"$m\",\"stream\":true,$TOOLS,$WEATHER_MSGS}"
{ chunk $m ""; chunk $m "The weather"; chunk $m " in Paris"; chunk $m " is 18°C"; chunk $m " and sunny."; tail_of $m; } >"$tmp/exp.weather"
same weather "$tmp/exp.weather"
chat_body weatherj "{$WEATHER_MSGS,\"model\":\"$m\",$TOOLS}"
check "tools with a tool message, non-streamed: the final text" "The weather in Paris is 18°C and sunny.|stop|nil" \
  "$(jv "$tmp/weatherj.b" 'd.choices[1].message.content' 'd.choices[1].finish_reason' 'd.choices[1].message.tool_calls')"

m=fake/reasoning
ROPEN='[{"index":0,"delta":{"role":"assistant","content":"",'
chat reasoning $m true
{ chunk $m ""
  choice_ev $m "$ROPEN"'"reasoning":"Let me think","reasoning_details":[{"type":"reasoning.text","text":"Let me think","index":0,"format":"unknown","signature":null}]'"$DCLOSE"
  choice_ev $m "$ROPEN"'"reasoning":" about it.","reasoning_details":[{"type":"reasoning.text","text":" about it.","index":0}]'"$DCLOSE"
  choice_ev $m "$ROPEN"'"reasoning_details":[{"type":"reasoning.summary","summary":"Thought briefly","index":1,"format":"unknown"}]'"$DCLOSE"
  deltas $m; tail_of $m; } >"$tmp/exp.reasoning"
same reasoning "$tmp/exp.reasoning"
chat reasoningj $m false
check "reasoning non-streamed" "Let me think about it.|Hello, world from fake OpenRouter!|stop|reasoning.text|reasoning.summary" \
  "$(jv "$tmp/reasoningj.b" 'd.choices[1].message.reasoning' 'd.choices[1].message.content' 'd.choices[1].finish_reason' \
      'd.choices[1].message.reasoning_details[1].type' 'd.choices[1].message.reasoning_details[2].type')"

chat buffered fake/buffered true
expected_normal fake/buffered >"$tmp/exp.buffered"
same buffered "$tmp/exp.buffered"
check_cmd "buffered: nothing before 100 ms (${TTFB}s)" ge "$TTFB" 0.095
chat bufferedj fake/buffered false
expected_completion fake/buffered >"$tmp/exp.bufferedj"
same bufferedj "$tmp/exp.bufferedj"
if command -v python3 >/dev/null; then
  check "buffered: head and whole body in one write" "ok" "$(python3 - "$PORT" <<'EOF'
import socket, sys, time
body = b'{"model":"fake/buffered","stream":true}'
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
          b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
t0 = time.time()
first = s.recv(1 << 20)
t = time.time() - t0
time.sleep(0.05)
s.setblocking(False)
try:
    more = s.recv(1 << 20)
except BlockingIOError:
    more = b""
ok = (first.startswith(b"HTTP/1.1 200") and first.endswith(b"\r\n0\r\n\r\n") and
      b"data: [DONE]" in first and not more and t >= 0.09)
print("ok" if ok else "bad t=%.3f len=%d more=%d" % (t, len(first), len(more)))
EOF
)"
fi

for f in choiceerr errmid429 tools weather reasoning buffered; do
  sed -n 's/^data: //p' "$tmp/$f.b" | grep -v '^\[DONE\]$' | while IFS= read -r line; do
    printf '%s' "$line" >"$tmp/line.json"
    json_ok "$tmp/line.json" || echo "bad JSON in $f: $line"
  done >"$tmp/jsonlines.$f"
  check "$f: every data line is JSON" "" "$(cat "$tmp/jsonlines.$f")"
done
for f in choiceerrj errmid429j toolsj weatherj reasoningj rawjson rawtext moder daily av_no_endpoints; do
  check_cmd "$f: body is JSON" json_ok "$tmp/$f.b"
done

# ------------------------------------------------------------ concurrency

n=250
pids=()
for i in $(seq $n); do
  curl -sS -N --max-time 30 -o "$tmp/par.$i" -H "Authorization: Bearer $KEY" \
    --data-binary '{"model":"fake/keepalive-60","stream":true}' "$CHAT" &
  pids+=($!)
done
# each stream lasts 3 s: sample the open count until it peaks
open_peak=0
for _ in $(seq 30); do
  o=$(stats_of open)
  [ "$o" -gt "$open_peak" ] && open_peak=$o
  [ "$open_peak" -ge "$n" ] && break
  sleep 0.1
done
check_cmd "$n simultaneous streams open at once (peak $open_peak)" ge "$open_peak" 200
wait "${pids[@]}"
good=0
for i in $(seq $n); do
  [ "$(grep -c '"content":"' "$tmp/par.$i")" = 8 ] && grep -q '^data: \[DONE\]' "$tmp/par.$i" && good=$((good + 1))
done
check "$n simultaneous streams complete" "$n" "$good"
if command -v python3 >/dev/null; then
  # 600 connections at once from one process: all open together, all complete
  check "600 simultaneous connections (peak open, complete)" "ok" "$(python3 - "$PORT" <<'EOF'
import selectors, socket, sys, json, urllib.request
port, n = int(sys.argv[1]), 600
body = b'{"model":"fake/keepalive-30","stream":true}'
req = (b"POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
       b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
sel, data = selectors.DefaultSelector(), {}
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(req)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
    data[s] = []
peak = json.load(urllib.request.urlopen("http://127.0.0.1:%d/_stats" % port))["open"]
while sel.get_map():
    events = sel.select(timeout=10)
    if not events:
        print("timeout"); sys.exit()
    for key, _ in events:
        chunk = key.fileobj.recv(65536)
        if chunk:
            data[key.fileobj].append(chunk)
        else:
            sel.unregister(key.fileobj); key.fileobj.close()
done = sum(1 for v in data.values() if b"data: [DONE]" in b"".join(v))
print("ok" if peak >= n and done == n else "peak %d done %d" % (peak, done))
EOF
)"
fi
pids=()
for i in $(seq 40); do
  curl -sS -N --max-time 30 -o "$tmp/fast.$i" -H "Authorization: Bearer $KEY" \
    --data-binary '{"model":"fake/chunks-20000","stream":true}' "$CHAT" &
  pids+=($!)
done
wait "${pids[@]}"
good=0
for i in $(seq 40); do [ "$(grep -c '"content":"a"' "$tmp/fast.$i")" = 20000 ] && good=$((good + 1)); done
check "40 parallel fast streams complete" 40 "$good"
sleep 0.2
check "all connections closed afterwards" 0 "$(stats_of open)"

# ------------------------------------------------------------ lifetime, idle, signals

start_server idle --idle 1
ipid=$SPID_NEW
check_cmd "--idle 1: exits by itself" wait_exit "$ipid" 4
check "--idle: exit status" 0 "${EXIT_STATUS:-x}"

start_server life --lifetime 1 --idle 100
lpid=$SPID_NEW lport=$PORT_NEW
curl -sS -N -o /dev/null --max-time 10 -H "Authorization: Bearer $KEY" \
  --data-binary '{"model":"fake/stall-headers","stream":true}' "http://127.0.0.1:$lport/v1/chat/completions" 2>/dev/null &
BG_PIDS+=($!)
check_cmd "--lifetime 1: exits with a connection open" wait_exit "$lpid" 4

for sig in TERM INT; do
  start_server "sig$sig"
  kill -"$sig" "$SPID_NEW"
  check_cmd "SIG$sig: exits" wait_exit "$SPID_NEW" 2
  check "SIG$sig: exit status 0" 0 "${EXIT_STATUS:-x}"
done

start_server busy --port "$PORT"
check_cmd "--port: a busy port is an error" wait_exit "$SPID_NEW" 2
check "--port busy: exit status 1" 1 "${EXIT_STATUS:-x}"
free=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 0)
if [ "$free" != 0 ]; then
  start_server fixed --port "$free"
  check "--port N: listens on N" "$free" "$PORT_NEW"
  kill "$SPID_NEW"; wait "$SPID_NEW" 2>/dev/null
fi
"$tmp/fakeserver" --bogus >/dev/null 2>&1
check "bad option: exit status 2" 2 "$?"

# ------------------------------------------------------------ valgrind

if [ "${SELFTEST_VALGRIND:-1}" != 0 ] && command -v valgrind >/dev/null && [ -z "$CFLAGS_EXTRA" ]; then
  valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
    "$tmp/fakeserver" --port-file "$tmp/vg.port" >/dev/null 2>"$tmp/vg.log" &
  vpid=$!
  for _ in $(seq 500); do [ -s "$tmp/vg.port" ] && break; sleep 0.02; done
  vport=$(cat "$tmp/vg.port" 2>/dev/null)
  if [ -n "$vport" ]; then
    vchat="http://127.0.0.1:$vport/api/v1/chat/completions"
    for m in any/model fake/chunks-2000 fake/big-300000 fake/error-mid fake/drop-2 fake/keepalive-2 fake/status-429 fake/crlf; do
      curl -sS -N -o /dev/null --max-time 10 -H "Authorization: Bearer $KEY" --data-binary "{\"model\":\"$m\",\"stream\":true}" "$vchat" 2>/dev/null
    done
    curl -sS -o /dev/null -o /dev/null -H "Authorization: Bearer $KEY" --data-binary '{"model":"a/b"}' "$vchat" "$vchat"
    curl -sS -N -o /dev/null --max-time 0.5 -H "Authorization: Bearer $KEY" --data-binary '{"model":"fake/stall-1","stream":true}' "$vchat" 2>/dev/null
    curl -sS -o /dev/null -o /dev/null "http://127.0.0.1:$vport/_last" "http://127.0.0.1:$vport/_stats"
    for m in fake/tools fake/reasoning fake/choice-error fake/error-mid-429 fake/avail-capacity_exhausted \
             fake/daily-cap fake/reset-ms-10 fake/raw-json fake/empty-502 fake/flaky-503-1-v fake/flaky-503-1-v \
             fake/flakydrop-1-v fake/flakydrop-1-v fake/buffered; do
      for st in true false; do
        curl -sS -N -o /dev/null --max-time 10 -H "Authorization: Bearer $KEY" \
          --data-binary "{\"model\":\"$m\",\"stream\":$st,\"tools\":[],\"messages\":[{\"role\":\"tool\"}]}" "$vchat" 2>/dev/null
      done
    done
    curl -sS -o /dev/null -H 'Authorization: Bearer nocredit' --data-binary '{"model":"a/b"}' "$vchat"
    for u in models key credits "generation?id=v%20g" "generation?id=v%20g" "generation"; do
      curl -sS -o /dev/null -H "Authorization: Bearer $KEY" "http://127.0.0.1:$vport/api/v1/$u"
    done
    curl -sS -o /dev/null "http://127.0.0.1:$vport/_attempts?model=fake%2Ftools"
    # a stalled stream still open at exit
    curl -sS -N -o /dev/null --max-time 10 -H "Authorization: Bearer $KEY" --data-binary '{"model":"fake/stall-1","stream":true}' "$vchat" 2>/dev/null &
    BG_PIDS+=($!)
    sleep 0.5
  fi
  kill -TERM "$vpid"
  wait "$vpid"
  vrc=$?
  check "valgrind: short session clean (exit $vrc)" "0 " "$vrc $(cat "$tmp/vg.log")"
else
  echo "(valgrind session skipped)"
fi

# ------------------------------------------------------------ shutdown

kill -TERM "$SPID"
check_cmd "server exits on SIGTERM" wait_exit "$SPID" 3
check "server exit status" 0 "${EXIT_STATUS:-x}"
SPID=""
check "server wrote nothing on stderr" "" "$(cat "$tmp/main.err")"
summary
