# spec/support/lib.sh -- shell helpers shared by the test, CI and demo
# scripts (source it; bash).
#
#   fake_start DIR    start build/fakeserver on a free loopback port (or
#                     $FAKE_PORT; its port file in DIR); sets FAKE_PID and FAKE_URL
#                     (http://127.0.0.1:PORT/api/v1); fails if it does not
#                     come up.  fake_stop ends it (also run it from a trap).
#   tally TEXT        add the last "N passed, N failed[, N skipped]" line of
#                     TEXT to $passed, $failed, $skipped; a missing line is
#                     one failure (a suite that crashed says nothing).

fake_start() {
  local dir=$1 root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  # a sanitizer preloaded for the module under test has no business here
  env -u LD_PRELOAD "$root/build/fakeserver" --port "${FAKE_PORT:-0}" --port-file "$dir/port" \
    --lifetime "${FAKE_LIFETIME:-600}" --idle "${FAKE_IDLE:-120}" >/dev/null 2>&1 &
  FAKE_PID=$!
  for _ in $(seq 200); do [ -s "$dir/port" ] && break; sleep 0.05; done
  if [ ! -s "$dir/port" ]; then
    echo "the fake server did not start (is build/fakeserver built? make build/fakeserver)" >&2
    return 1
  fi
  FAKE_URL="http://127.0.0.1:$(cat "$dir/port")/api/v1"
}

fake_stop() {
  [ -n "${FAKE_PID:-}" ] && kill "$FAKE_PID" 2>/dev/null
  FAKE_PID=
}

tally() {
  local line nums
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' <<<"$1" | tail -n 1)
  if [ -z "$line" ]; then failed=$((failed + 1)); return 1; fi
  read -r -a nums <<<"$(tr -cs '0-9' ' ' <<<"$line")"
  passed=$((passed + nums[0])); failed=$((failed + nums[1])); skipped=$((skipped + ${nums[2]:-0}))
}
