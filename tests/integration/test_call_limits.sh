#!/usr/bin/env bash
# Call limits on simulated calls: silence_timeout reprompts then ends the call
# (silence-timed-out); max_duration ends a call that runs long
# (exceeded-max-duration); an end_call_phrase said by the agent ends the call
# once it has been heard (assistant-said-end-call-phrase).
set -euo pipefail
HARK=${1:-build/hark}
T=$(mktemp -d /tmp/hark-limits-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
reason() { grep -Eo '"ended_reason":[[:space:]]*"[^"]*"' "$1" | sed -E 's/.*"([^"]*)"$/\1/'; }

"$HARK" call --agent tests/fixtures/agents/limits.lua --quiet --hold-seconds 60 --transcript "$T/s.json" 2>/dev/null
[ "$(reason "$T/s.json")" = silence-timed-out ] || fail "silence: $(reason "$T/s.json")"
grep -q '"text":[[:space:]]*"Are you still there?"' "$T/s.json" || fail "no reprompt"
grep -q '"text":[[:space:]]*"Goodbye for now."' "$T/s.json" || fail "no end message"

sed 's/silence_timeout = 2,/silence_timeout = 0,/; s/max_duration = 30,/max_duration = 5,/' \
  tests/fixtures/agents/limits.lua >"$T/short.lua"
"$HARK" call --agent "$T/short.lua" --quiet --hold-seconds 60 --transcript "$T/m.json" 2>/dev/null
[ "$(reason "$T/m.json")" = exceeded-max-duration ] || fail "max duration: $(reason "$T/m.json")"
dur=$(grep -Eo '"duration_ms":[[:space:]]*[0-9]+' "$T/m.json" | grep -Eo '[0-9]+$')
[ "$dur" -ge 5000 ] && [ "$dur" -lt 7000 ] || fail "max duration ended at $dur ms"

"$HARK" call --agent tests/fixtures/agents/limits.lua --quiet --hold-seconds 60 \
  --caller-text "tell me a story" --transcript "$T/p.json" 2>/dev/null
[ "$(reason "$T/p.json")" = assistant-said-end-call-phrase ] || fail "end phrase: $(reason "$T/p.json")"
echo "ok: call limits"
