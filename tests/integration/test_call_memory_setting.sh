#!/usr/bin/env bash
# HARK_CALL_MEMORY_MB reaches the Lua VM: with 8 (from ./.env) a call whose
# agent keeps 12 MB in its state is over budget and ends; with the default
# (16) the same turn is fine.
set -euo pipefail
HARK=$(cd "$(dirname "${1:-build/hark}")" && pwd)/$(basename "${1:-build/hark}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/hark-callmem-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
unset HARK_CALL_MEMORY_MB
cat > "$T/test.lua" <<LUA
local c = harness.call("$ROOT/tests/fixtures/agents/hostile_budget.lua")
local said = c:user("hoard")
print("said: " .. tostring(said[1]))
print("error: " .. tostring(c:last_error()))
print("ended: " .. tostring(c:ended()))
LUA
mkdir "$T/default" "$T/small"
echo "HARK_CALL_MEMORY_MB=8" > "$T/small/.env"
out=$(cd "$T/default" && HARK_LUA_DIR=$ROOT/lua "$HARK" test-lua "$T/test.lua" 2>/dev/null)
grep -q "^said: hoarding 12$" <<<"$out" || fail "default budget: $out"
out=$(cd "$T/small" && HARK_LUA_DIR=$ROOT/lua "$HARK" test-lua "$T/test.lua" 2>/dev/null)
grep -q "^said: fallback$" <<<"$out" || fail "8 MB budget from .env: $out"
grep -q "budget 8192 KB" <<<"$out" || fail "the error names the 8 MB budget: $out"
grep -q "^ended: error-memory-budget$" <<<"$out" || fail "the call ends: $out"
echo "ok: HARK_CALL_MEMORY_MB from .env bounds a call's Lua memory"
