#!/usr/bin/env bash
# Calls per minute per agent and caps of API assistants, across two hark serve
# processes sharing a private redis-server, with the call records and API
# assistants in a private PostgreSQL. A file agent with calls_per_minute = 2
# takes two calls (one per node) and the third gets the busy TwiML and a call
# record ended with its reason; HARK_AGENT_CALLS_PER_MINUTE is the default of
# agents that do not say (and calls_per_minute = 0 means none). API assistants:
# metadata.hark.maxConcurrentCalls = 1 refuses a second live call on the other
# node until Twilio's status callback ends the first; metadata.hark.callsPerMinute
# = 1 refuses the second call (0: none, whatever the default); a bad value is a 400 naming the field. GET
# /api/v1/voice-agents/calls on one node lists a call held on the other (the
# Redis registry), and once that node is killed and its lease lapses the call
# leaves activeCalls although its store record still says it rings.
set -euo pipefail
. "$(dirname "$0")/ports_lib.sh"
HARK=$(realpath "${1:-build/hark}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/hark-callrate-XXXXXX)
chmod 0755 "$T"
RPORT=$(free_port) PGP=$(free_port)
PA=$(free_port) PB=$(free_port)
export HARK_PG_PORT=$PGP HARK_PG_DIR=$T/pg HARK_PG_FAST=1
pa= pb=
cleanup() {
  set +e
  for p in $pa $pb; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  "$ROOT/scripts/redis" stop --port $RPORT --dir "$T/redis" >/dev/null 2>&1
  "$ROOT/scripts/pg" stop --purge >/dev/null 2>&1
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -n 8 "$T"/a.log "$T"/b.log >&2 || true; exit 1; }
command -v redis-server >/dev/null || { echo "SKIP: no redis-server (scripts/bootstrap)"; exit 77; }
. "$(dirname "$0")/twilio_lib.sh"

URL=$("$ROOT/scripts/pg" start) || fail "pg start"
export DATABASE_URL=$URL
unset HARK_STORE
"$HARK" migrate >/dev/null || fail "migrate"
TA=$("$HARK" tenant create "Acme") || fail "tenant create"
KA=$("$HARK" key create --tenant "$TA" 2>/dev/null) || fail "key create"

REDIS_URL=$("$ROOT/scripts/redis" start --port $RPORT --dir "$T/redis")
export REDIS_URL HARK_CALL_LEASE_SECONDS=3 HARK_AGENT_CALLS_PER_MINUTE=1 HARK_AGENTS_DIR=$T/agents
export TWILIO_ACCOUNT_SID=AC55555555555555555555555555555555 TWILIO_AUTH_TOKEN=tok
export HARK_STREAM_SECRET=test-stream-secret-$RANDOM HARK_LOG_LEVEL=info
mkdir -p "$T/agents"
agent() { # file number extra-field
  printf 'return { name = "%s", phone_number = "%s", first_message = "Hello.", %s\n  on_user_turn = function(call, text) return "Bye." end }\n' \
    "$1" "$2" "$3" >"$T/agents/$1.lua"
}
agent perminute +15550321 "calls_per_minute = 2,"
agent dflt +15550322 ""
agent free +15550323 "calls_per_minute = 0,"
start() {
  TWILIO_WEBHOOK_URL=http://127.0.0.1:$1/api/v1/voice-agents/twilio/webhook HARK_PORT=$1 \
    HARK_SPOOL_PATH=$T/spool-$1.jsonl "$HARK" serve >/dev/null 2>"$2" &
  started=$!
}
ready() { for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return; sleep 0.1; done; fail "port $1 not up"; }
start $PA "$T/a.log"; pa=$started; start $PB "$T/b.log"; pb=$started
ready $PA; ready $PB
sleep 0.3 # both connected to Redis

call() { # port sid To -> TwiML
  local url=http://127.0.0.1:$1/api/v1/voice-agents/twilio/webhook
  local p=(CallSid=$2 "From=+15551230000" "To=$3")
  curl -sf -H "X-Twilio-Signature: $(sign "$url" "${p[@]}")" --data-urlencode "${p[0]}" \
    --data-urlencode "${p[1]}" --data-urlencode "${p[2]}" "$url"
}
ended() { # port sid
  local url=http://127.0.0.1:$1/api/v1/voice-agents/twilio/webhook/status
  local p=(CallSid=$2 CallStatus=completed CallDuration=5)
  curl -sf -o /dev/null -H "X-Twilio-Signature: $(sign "$url" "${p[@]}")" --data-urlencode "${p[0]}" \
    --data-urlencode "${p[1]}" --data-urlencode "${p[2]}" "$url"
}
granted() { local b; b=$(call "$1" "$2" "$3"); grep -q '<Stream ' <<<"$b" || fail "$2 to $3 on port $1 not answered: $b"; }
busy() {
  local b; b=$(call "$1" "$2" "$3")
  grep -q '<Say[^>]*>Sorry, all our lines are busy' <<<"$b" && grep -q '<Hangup/>' <<<"$b" \
    || fail "$2 to $3 on port $1 was not refused busy: $b"
}
sid() { printf 'CA%032d' "$1"; }
reason() { # sid -> ended_reason of its record (waits for the write)
  local v=
  for _ in $(seq 50); do
    v=$(psql "$URL" -Atqc "SELECT coalesce(ended_reason,'') FROM calls WHERE call_sid = '$1'")
    [ -n "$v" ] && break; sleep 0.1
  done
  echo "$v"
}

# 1. a file agent's calls_per_minute = 2, counted across both nodes
granted $PA $(sid 1) +15550321
granted $PB $(sid 2) +15550321
busy $PA $(sid 3) +15550321
[ "$(reason $(sid 3))" = call.start.error-hark-calls-per-minute ] || fail "busy record of $(sid 3): '$(reason $(sid 3))'"
grep -q '"call_busy".*calls_per_minute' "$T/a.log" || fail "calls_per_minute refusal not logged"
# the default (HARK_AGENT_CALLS_PER_MINUTE=1), and 0 = none
granted $PB $(sid 4) +15550322
busy $PA $(sid 5) +15550322
for i in 6 7 8; do granted $PA $(sid $i) +15550323; done

# 2. API assistants with hark's limits in metadata.hark
B=http://127.0.0.1:$PB A=http://127.0.0.1:$PA
api() { # METHOD PATH [BODY] on node B: body then the status on the last line
  local args=(-s -X "$1" -H "Authorization: Bearer $KA" -w '\n%{http_code}')
  [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data "$3")
  curl "${args[@]}" "${4:-$B}$2"
}
status() { tail -n1 <<<"$1"; }
jget() { sed '$d' <<<"$1" | python3 -c 'import sys, json; print(json.load(sys.stdin).get(sys.argv[1]))' "$2"; }
MODEL='"model":{"provider":"openai","model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."}]}'
r=$(api POST /assistant "{\"name\":\"Capped\",\"firstMessage\":\"Hi.\",$MODEL,\"metadata\":{\"hark\":{\"maxConcurrentCalls\":1,\"callsPerMinute\":0}}}")
[ "$(status "$r")" = 201 ] || fail "create capped assistant: $r"
AC=$(jget "$r" id)
r=$(api POST /assistant "{\"name\":\"Slow\",\"firstMessage\":\"Hi.\",$MODEL,\"metadata\":{\"hark\":{\"callsPerMinute\":1}}}")
[ "$(status "$r")" = 201 ] || fail "create per-minute assistant: $r"
AS=$(jget "$r" id)
r=$(api POST /assistant "{\"name\":\"Bad\",$MODEL,\"metadata\":{\"hark\":{\"callsPerMinute\":-1}}}")
[ "$(status "$r")" = 400 ] && grep -q 'metadata.hark.callsPerMinute' <<<"$r" || fail "a negative callsPerMinute: $r"
for pair in "$AC +15550331" "$AS +15550332"; do
  set -- $pair
  r=$(api POST /phone-number "{\"provider\":\"twilio\",\"number\":\"$2\",\"twilioAccountSid\":\"$TWILIO_ACCOUNT_SID\",\"assistantId\":\"$1\"}")
  [ "$(status "$r")" = 201 ] || fail "number $2: $r"
done
granted $PA $(sid 11) +15550331
busy $PB $(sid 12) +15550331
r=$(api GET "/call?limit=100")
grep -q "\"phoneCallProviderId\":\"$(sid 12)\"" <<<"$r" || fail "no record of the refused API call: $r"
[ "$(reason $(sid 12))" = call.start.error-hark-max-concurrent-calls ] || fail "capped record: '$(reason $(sid 12))'"
# the call held on node A shows in node B's activeCalls (the registry)
r=$(api GET "/api/v1/voice-agents/calls?tenantId=$TA")
[ "$(status "$r")" = 200 ] || fail "voice-agents/calls: $r"
act=$(sed '$d' <<<"$r" | python3 -c 'import sys, json; print(" ".join(c.get("phoneCallProviderId") or "" for c in json.load(sys.stdin)["activeCalls"]))')
grep -q "$(sid 11)" <<<"$act" || fail "activeCalls on B lacks the call held on A: $act"
grep -q "$(sid 12)" <<<"$act" && fail "a refused call is active: $act"
ended $PB $(sid 11)
sleep 0.3
granted $PB $(sid 13) +15550331
granted $PA $(sid 14) +15550332
busy $PB $(sid 15) +15550332
[ "$(reason $(sid 15))" = call.start.error-hark-calls-per-minute ] || fail "per-minute API record: '$(reason $(sid 15))'"

# 3. node A dies holding a call: it stays in the store as ringing, but leaves activeCalls with its lease
ended $PB $(sid 13)
granted $PA $(sid 16) +15550331
kill -9 $pa; wait $pa 2>/dev/null || true; pa=
r=$(api GET "/api/v1/voice-agents/calls?tenantId=$TA")
grep -q "$(sid 16)" <<<"$r" || fail "the held call is not active before its lease lapses: $r"
sleep 4
r=$(api GET "/api/v1/voice-agents/calls?tenantId=$TA")
act=$(sed '$d' <<<"$r" | python3 -c 'import sys, json; print(" ".join(c.get("phoneCallProviderId") or "" for c in json.load(sys.stdin)["activeCalls"]))')
grep -q "$(sid 16)" <<<"$act" && fail "a dead node's call is still active: $act"
[ "$(psql "$URL" -Atqc "SELECT status FROM calls WHERE call_sid = '$(sid 16)'")" != ended ] || fail "test premise: the store ended $(sid 16)"
granted $PB $(sid 17) +15550331
echo "ok: calls per minute and API assistants' caps in Redis"
