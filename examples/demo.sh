#!/usr/bin/env bash
# examples/demo.sh LUA BUILD_DIR -- `make demo`: stream a chat through the
# module.  With OPENROUTER_API_KEY set it asks the real API (unless FAKE=1);
# otherwise it starts the bundled fake server on a free loopback port and
# asks it.
set -euo pipefail
lua=${1:-lua5.4}
build=${2:-build/5.4}
cd "$(dirname "$0")/.."
export LUA_PATH="./lua/?.lua;./lua/?/init.lua;;"
export LUA_CPATH="./$build/?.so;;"
if [ -n "${OPENROUTER_API_KEY:-}" ] && [ "${FAKE:-}" != 1 ]; then
  echo "== streaming from ${OPENROUTER_BASE_URL:-https://openrouter.ai/api/v1} (OPENROUTER_API_KEY is set)"
  exec "$lua" examples/chat.lua "${OPENROUTER_MODEL:-openai/gpt-4o-mini}"
fi
. spec/support/lib.sh
dir=$(mktemp -d)
trap 'fake_stop; rm -rf "$dir"' EXIT
FAKE_LIFETIME=60 FAKE_IDLE=30 fake_start "$dir"
export OPENROUTER_BASE_URL=$FAKE_URL
export OPENROUTER_API_KEY="sk-or-v1-demo-not-a-real-key"
echo "== streaming from the bundled fake server at $OPENROUTER_BASE_URL (no OPENROUTER_API_KEY, or FAKE=1)"
"$lua" examples/chat.lua fake/slow-150 "Say hello"
