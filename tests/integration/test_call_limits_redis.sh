#!/usr/bin/env bash
# Concurrency caps across hark serve processes sharing a private redis-server
# (scripts/redis): an agent with max_concurrent_calls = 1 takes one call; a
# second incoming-call webhook, on either process, gets the busy TwiML (Say +
# Hangup) and is counted in /metrics; the call's end (its Media Stream from the
# fake Twilio caller closing, or Twilio's status callback on the other node)
# frees the slot; a held call's lease is renewed past its TTL
# (HARK_CALL_LEASE_SECONDS=3); kill -9 of the node holding a call frees its
# slot once the lease expires; the active-call registry lists the live call;
# with Redis stopped calls are still answered, capped per worker.
set -euo pipefail
. "$(dirname "$0")/ports_lib.sh"
HARK=$(realpath "${1:-build/hark}")
FAKE=$(dirname "$HARK")/fake_twilio
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/hark-redislim-XXXXXX)
RPORT=$(free_port) PA=$(free_port) PB=$(free_port)
pa= pb= pc=
cleanup() {
  set +e # a process already gone must not stop the rest of the clean-up
  for p in $pa $pb $pc; do kill "$p" 2>/dev/null; done
  "$ROOT/scripts/redis" stop --port $RPORT --dir "$T/redis" 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -n 5 "$T"/a.log "$T"/b.log >&2 || true; exit 1; }
command -v redis-server >/dev/null || { echo "SKIP: no redis-server (scripts/bootstrap)"; exit 77; }
. "$(dirname "$0")/twilio_lib.sh"

REDIS_URL=$("$ROOT/scripts/redis" start --port $RPORT --dir "$T/redis")
export REDIS_URL HARK_CALL_LEASE_SECONDS=3 HARK_STORE=memory HARK_AGENTS_DIR=$T/agents
export TWILIO_ACCOUNT_SID=AC55555555555555555555555555555555 TWILIO_AUTH_TOKEN=tok
export HARK_STREAM_SECRET=test-stream-secret-$RANDOM HARK_LOG_LEVEL=info
mkdir -p "$T/agents"
cat >"$T/agents/capped.lua" <<'LUA'
return {
  name = "capped",
  phone_number = "+15550311",
  max_concurrent_calls = 1,
  first_message = "Hello.",
  on_user_turn = function(call, text) return "Goodbye." end,
}
LUA
cat >"$T/agents/open.lua" <<'LUA'
return { name = "open", phone_number = "+15550312", first_message = "Hello.",
  on_user_turn = function(call, text) return "Goodbye." end }
LUA
start() { # port log; the pid in $started
  TWILIO_WEBHOOK_URL=http://127.0.0.1:$1/api/v1/voice-agents/twilio/webhook HARK_PORT=$1 HARK_SPOOL_PATH=$T/spool-$1.jsonl \
    "$HARK" serve >/dev/null 2>"$2" &
  started=$!
}
ready() { for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return; sleep 0.1; done; fail "port $1 not up"; }
start $PA "$T/a.log"; pa=$started; start $PB "$T/b.log"; pb=$started
ready $PA; ready $PB
sleep 0.3 # both connected to Redis

call() { # port sid [To] -> TwiML
  local url=http://127.0.0.1:$1/api/v1/voice-agents/twilio/webhook
  local p=(CallSid=$2 "From=+15551230000" "To=${3:-+15550311}")
  curl -sf -H "X-Twilio-Signature: $(sign "$url" "${p[@]}")" --data-urlencode "${p[0]}" \
    --data-urlencode "${p[1]}" --data-urlencode "${p[2]}" "$url"
}
ended() { # port sid: Twilio's status callback, completed
  local url=http://127.0.0.1:$1/api/v1/voice-agents/twilio/webhook/status
  local p=(CallSid=$2 CallStatus=completed CallDuration=5)
  curl -sf -o /dev/null -H "X-Twilio-Signature: $(sign "$url" "${p[@]}")" --data-urlencode "${p[0]}" \
    --data-urlencode "${p[1]}" --data-urlencode "${p[2]}" "$url"
}
granted() { local b; b=$(call "$1" "$2" "${3:-+15550311}"); grep -q '<Stream ' <<<"$b" || fail "$2 on port $1 not answered: $b"; }
busy() {
  local b; b=$(call "$1" "$2" "${3:-+15550311}")
  grep -q '<Say[^>]*>Sorry, all our lines are busy' <<<"$b" && grep -q '<Hangup/>' <<<"$b" \
    || fail "$2 on port $1 was not refused busy: $b"
}
sid() { printf 'CA%032d' "$1"; }

# 1. a call through the stream, held; a second one is busy on either node
S1=$(sid 1)
TW=$(call $PA $S1)
TOKEN=$(echo "$TW" | grep -Eo '<Parameter name="token" value="[^"]+"' | sed -E 's/.*value="//; s/"$//')
[ -n "$TOKEN" ] || fail "first call not answered: $TW"
"$HARK" synth --text "hello there" --out "$T/l1.wav" 2>/dev/null
"$FAKE" --url "ws://127.0.0.1:$PA/voice/stream/$S1" --call-sid $S1 --stream-sid MZ$(printf '%032d' 1) \
  --param agent=capped --param "token=$TOKEN" --param from=+15551230000 --param to=+15550311 \
  --caller-wav "$T/l1.wav" --out "$T/heard.wav" --log "$T/ev.jsonl" --max-seconds 6 >/dev/null 2>&1 &
fk=$!
sleep 1
busy $PA $(sid 2)
busy $PB $(sid 3)
# the stream closes (fake caller done): the slot frees
wait $fk || true
for _ in $(seq 30); do grep -q '"stream_call_ended"' "$T/a.log" && break; sleep 0.2; done
grep -q '"stream_call_ended"' "$T/a.log" || fail "the streamed call did not end"
sleep 0.3
granted $PB $(sid 4)

# 2. held past the lease TTL (the heartbeat renews it); released by the other node's status callback
sleep 4
busy $PA $(sid 5)
ended $PA $(sid 4)
sleep 0.3
granted $PA $(sid 6)

# 3. the registry lists the live call
reg=$(redis-cli -p $RPORT HGETALL hark:active:00000000-0000-0000-0000-000000000001)
grep -q "$(sid 6)" <<<"$reg" || fail "registry lacks $(sid 6)"
grep -q "$(sid 4)" <<<"$reg" && fail "registry still has ended $(sid 4)"

# 4. kill -9 the node holding it: busy until its lease expires, then free
kill -9 $pa; wait $pa 2>/dev/null || true; pa=
busy $PB $(sid 7)
sleep 4
granted $PB $(sid 8)
m=$(curl -sf "http://127.0.0.1:$PB/metrics") # not piped into grep -q: pipefail and SIGPIPE
grep -Eq '^hark_calls_busy_total [1-9]' <<<"$m" || fail "busy not counted"

# 5. the tenant's cap (HARK_TENANT_MAX_CALLS=2 on a third node): the capped agent's live call
# counts, so one call of the uncapped agent fits and the next is busy
PC=$((PB + 7))
HARK_TENANT_MAX_CALLS=2 start $PC "$T/c.log"; pc=$started
ready $PC; sleep 0.3
granted $PC $(sid 11) +15550312
busy $PC $(sid 12) +15550312
grep -q '"call_busy".*tenant HARK_TENANT_MAX_CALLS' "$T/c.log" || fail "tenant cap not named"
kill $pc; pc=

# 6. Redis down: still answered, capped per worker (degraded, logged once)
ended $PB $(sid 8)
"$ROOT/scripts/redis" stop --port $RPORT --dir "$T/redis"
sleep 0.5
granted $PB $(sid 9)
busy $PB $(sid 10)
grep -q '"redis_unreachable"' "$T/b.log" || fail "Redis down not logged"
[ "$(grep -c '"redis_unreachable"' "$T/b.log")" -eq 1 ] || fail "Redis down logged more than once"
m=$(curl -sf "http://127.0.0.1:$PB/metrics")
grep -Eq '^hark_call_limit_degraded_total [1-9]' <<<"$m" || fail "degraded not counted"
echo "ok: call limits in Redis"
