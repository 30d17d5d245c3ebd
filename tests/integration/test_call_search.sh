#!/usr/bin/env bash
# The dashboard's data from a real call: the booking call of
# test_llm_tool_record (OpenAI, fake_llm.py) through `hark call --store`
# into a private PostgreSQL with sealed content, then `hark serve` on it:
# GET /call?q= finds the call by words the caller and the agent said (any
# case, whole words, all of them) and not by others; the filters agree with
# the call (endedReason, durationGe/Le); GET /api/v1/overview counts it and
# measures its turns' voice-to-voice latency; an API key made through
# /api/v1/api-keys works until it is revoked. The index in the database
# holds no word of the call.
set -euo pipefail
HARK=$(cd "$(dirname "${1:-build/hark}")" && pwd)/$(basename "${1:-build/hark}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
T=$(mktemp -d /tmp/hark-callsearch-XXXXXX)
chmod 0755 "$T"
fail() { echo "FAIL: $*" >&2; tail -20 "$T/serve.log" >&2 2>/dev/null || true; exit 1; }
. tests/integration/fakes_lib.sh
. "$(dirname "$0")/ports_lib.sh"
export HARK_PG_PORT=$(free_port) HARK_PG_DIR=$T/pg HARK_PG_FAST=1
spid=
cleanup() {
  set +e
  [ -n "$spid" ] && kill "$spid" 2>/dev/null
  stop_fakes
  "$ROOT/scripts/pg" stop --purge >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT
URL=$("$ROOT/scripts/pg" start)
export DATABASE_URL=$URL HARK_SPOOL_PATH=$T/spool.jsonl
export HARK_DATA_KEY=$(printf '%064d' 5)
unset HARK_STORE
"$HARK" migrate >/dev/null || fail "migrate"

start_fake LLM fake_llm.py --key sk-test --script tests/fixtures/llm/booking.json \
  --ttft-ms 100 --tokens-per-s 50 --log "$T/llm.log"
OPENAI_API_KEY=sk-test OPENAI_BASE_URL="http://127.0.0.1:$LLM/v1" \
  "$HARK" call --agent tests/fixtures/agents/llm_booking.lua --store \
    --caller-text "book a table for two" --caller-text "what is my booking reference" \
    --caller-text "thank you goodbye" --transcript "$T/call.json" >"$T/out.txt" 2>"$T/call.log" \
  || { tail -20 "$T/call.log"; fail "hark call --store"; }
SID=$(grep -Eo 'stored as call [A-Za-z0-9]+' "$T/out.txt" | awk '{print $4}')
[ -n "$SID" ] || fail "no call id printed"
KEY=$("$HARK" key create --tenant 00000000-0000-0000-0000-000000000001 2>/dev/null) || fail "key create"
words=$(psql "$URL" -Atc "SELECT count(*) FROM calls WHERE call_sid = '$SID' AND cardinality(words) > 3 \
  AND position('table'::bytea IN transcript) = 0")
[ "$words" = 1 ] || fail "the call's search index: $words"

PORT=$(free_port)
export JWT_SECRET=integration-secret-0123456789abcdef HARK_API_RATE_PER_SECOND=0
export TWILIO_ACCOUNT_SID=AC00000000000000000000000000000000 TWILIO_AUTH_TOKEN=test-token
export TWILIO_WEBHOOK_URL=https://hark.example.com/api/v1/voice-agents/twilio/webhook
mkdir -p "$T/agents"
HARK_PORT=$PORT HARK_AGENTS_DIR=$T/agents "$HARK" serve 2>"$T/serve.log" &
spid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

get() { # path [key] -> body in $T/body.json, status echoed
  curl -s -o "$T/body.json" -w '%{http_code}' -H "Authorization: Bearer ${2:-$KEY}" \
    "http://127.0.0.1:$PORT$1"
}
sids() { python3 -c 'import json,sys; print(",".join(c["phoneCallProviderId"] for c in json.load(open(sys.argv[1]))))' "$T/body.json"; }
expect() { # path want
  local code got
  code=$(get "$1")
  [ "$code" = 200 ] || fail "GET $1: $code $(cat "$T/body.json")"
  got=$(sids)
  [ "$got" = "$2" ] || fail "GET $1: [$got], want [$2]"
}
reason=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ended_reason"])' "$T/call.json")
expect "/call?q=table" "$SID"
expect "/call?q=BOOKING%20Reference" "$SID"
expect "/call?q=goodbye%20table" "$SID"
expect "/call?q=tab" ""
expect "/call?q=table%20zanzibar" ""
expect "/call?endedReason=$reason&q=table" "$SID"
expect "/call?endedReason=no-such-reason" ""
expect "/call?durationGe=0&durationLe=3600" "$SID"
expect "/call?durationGe=3600" ""
code=$(get "/call?q=%21%21")
[ "$code" = 400 ] || fail "q without a word: $code"

# yesterday to tomorrow (UTC): the call is in it whenever this runs
code=$(get "/api/v1/overview?from=$(date -u -d yesterday +%F)&to=$(date -u -d tomorrow +%F)")
[ "$code" = 200 ] || fail "overview: $code $(cat "$T/body.json")"
python3 - "$T/body.json" "$reason" <<'PY' || fail "overview checks: $(cat "$T/body.json")"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["callsToday"] in (0, 1) and o["callsInRange"] == 1, o
assert o["endedReasons"] == {sys.argv[2]: 1}, o
a = o["agents"]
assert len(a) == 1 and a[0]["calls"] == 1, a
p50, p95 = a[0]["p50VoiceToVoiceMs"], a[0]["p95VoiceToVoiceMs"]
assert isinstance(p50, (int, float)) and 0 < p50 <= p95 < 60000, a
print("overview: p50 %.0f ms, p95 %.0f ms voice-to-voice" % (p50, p95))
PY

# a key made through the API works until it is revoked
made=$(curl -s -X POST -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
  -d '{"name":"integration"}' "http://127.0.0.1:$PORT/api/v1/api-keys")
NEW=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["key"])' "$made") || fail "create: $made"
ID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$made")
[ "$(get /call "$NEW")" = 200 ] || fail "the new key"
listed=$(curl -s -H "Authorization: Bearer $NEW" "http://127.0.0.1:$PORT/api/v1/api-keys")
case "$listed" in *hash*|*"$NEW"*) fail "the list shows a secret: $listed" ;; esac
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $KEY" \
  "http://127.0.0.1:$PORT/api/v1/api-keys/$ID")
[ "$code" = 200 ] || fail "revoke: $code"
# refused within the auth cache's lifetime on every worker (3 s)
for _ in $(seq 50); do [ "$(get /call "$NEW")" = 401 ] && break; sleep 0.2; done
[ "$(get /call "$NEW")" = 401 ] || fail "the revoked key still works"
[ "$(get /call)" = 200 ] || fail "the first key stopped working"
echo "ok: a real call is found by its words, counted and measured in the overview; API keys made and revoked"
