#!/usr/bin/env bash
# A simulated call writes its record to a real PostgreSQL as it goes: the call
# row with its ended reason, duration, transcript and latency summary, one
# row per message in order with the turn's latency marks, all content
# encrypted at rest (the words are absent from a raw SELECT).
set -euo pipefail
. "$(dirname "$0")/ports_lib.sh"
HARK=$(cd "$(dirname "${1:-build/hark}")" && pwd)/$(basename "${1:-build/hark}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $*" >&2; cat "$T/call.log" >&2 2>/dev/null || true; exit 1; }
T=$(mktemp -d /tmp/hark-storecall-XXXXXX)
chmod 0755 "$T"
PORT=$(free_port)
export HARK_PG_PORT=$PORT HARK_PG_DIR=$T/pg HARK_PG_FAST=1
cleanup() { "$ROOT/scripts/pg" stop --purge >/dev/null 2>&1 || true; rm -rf "$T"; }
trap cleanup EXIT
URL=$("$ROOT/scripts/pg" start)
export DATABASE_URL=$URL HARK_SPOOL_PATH=$T/spool.jsonl
export HARK_DATA_KEY=$(printf '%064d' 7)
"$HARK" migrate >/dev/null || fail "migrate"

"$HARK" call --agent agents/front_desk.lua --store \
  --caller-text "I would like to book an appointment on tuesday at ten" \
  --caller-text "no thank you goodbye" --transcript "$T/call.json" >"$T/out.txt" 2>"$T/call.log" \
  || fail "hark call --store"
SID=$(grep -Eo 'stored as call [A-Za-z0-9]+' "$T/out.txt" | awk '{print $4}')
[ -n "$SID" ] || fail "no call id printed"
q() { psql "$URL" -Atqc "$1"; }

[ "$(q "SELECT ended_reason FROM calls WHERE call_sid = '$SID'")" = assistant-ended-call ] || fail "ended_reason"
[ "$(q "SELECT duration_s > 5 FROM calls WHERE call_sid = '$SID'")" = t ] || fail "duration"
[ "$(q "SELECT tenant_id FROM calls WHERE call_sid = '$SID'")" = 00000000-0000-0000-0000-000000000001 ] || fail "tenant"
n_json=$(grep -c '"role":' "$T/call.json")
n_db=$(q "SELECT count(*) FROM call_messages m WHERE m.call_sid = '$SID'")
[ "$n_db" = "$n_json" ] || fail "$n_db messages stored, transcript has $n_json"
roles=$(q "SELECT string_agg(role, ',' ORDER BY seq) FROM call_messages m WHERE m.call_sid = '$SID'")
[ "$roles" = "assistant,user,assistant,user,assistant" ] || fail "message order: $roles"
# the reply to the first turn carries the turn's marks
marks=$(q "SELECT count(*) FROM call_messages m WHERE m.call_sid = '$SID' AND m.role = 'assistant' AND m.first_frame_ms IS NOT NULL AND m.user_end_ms IS NOT NULL AND m.stt_final_ms IS NOT NULL")
[ "$marks" -ge 2 ] || fail "latency marks on replies: $marks"
# encrypted at rest: no plaintext anywhere in the raw rows
raw=$(psql "$URL" -Atqc "SELECT m.* FROM call_messages m; SELECT c.* FROM calls c")
! echo "$raw" | grep -qi "appointment\|tuesday\|goodbye" || fail "plaintext at rest"
grep -q '"event":"call_ended"' "$T/call.log" || fail "call did not end"

# hark serve on the same database: a forged webhook leaves no call row, a
# signed one creates the row at once (status ringing), before any stream
. "$(dirname "$0")/twilio_lib.sh"
SPORT=$(free_port)
export TWILIO_ACCOUNT_SID=AC99999999999999999999999999999999 TWILIO_AUTH_TOKEN=tok
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$SPORT/api/v1/voice-agents/twilio/webhook
HARK_PORT=$SPORT HARK_AGENTS_DIR=agents HARK_RECORDINGS_DIR=$T/rec "$HARK" serve 2>"$T/serve.log" &
spid=$!
trap 'kill $spid 2>/dev/null; cleanup' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$SPORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
P=(CallSid=CAf0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0 "From=+15551230000" "To=+15550199")
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Twilio-Signature: forged" \
  --data-urlencode "${P[0]}" --data-urlencode "${P[1]}" --data-urlencode "${P[2]}" "$TWILIO_WEBHOOK_URL")
[ "$code" = 403 ] || fail "forged webhook got $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Twilio-Signature: $(sign "$TWILIO_WEBHOOK_URL" "${P[@]}")" \
  --data-urlencode "${P[0]}" --data-urlencode "${P[1]}" --data-urlencode "${P[2]}" "$TWILIO_WEBHOOK_URL")
[ "$code" = 200 ] || fail "signed webhook got $code"
for _ in $(seq 50); do [ "$(q "SELECT status FROM calls WHERE call_sid = 'CAf0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0'")" = ringing ] && break; sleep 0.1; done
[ "$(q "SELECT status FROM calls WHERE call_sid = 'CAf0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0'")" = ringing ] || fail "no ringing row after the signed webhook"
P2=(CallSid=CAe0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0 "From=+15551230000" "To=+15550199")
curl -s -o /dev/null -H "X-Twilio-Signature: $(sign "$TWILIO_WEBHOOK_URL" "${P[@]}")" \
  --data-urlencode "${P2[0]}" --data-urlencode "${P2[1]}" --data-urlencode "${P2[2]}" "$TWILIO_WEBHOOK_URL"
sleep 0.3
[ "$(q "SELECT count(*) FROM calls WHERE call_sid = 'CAe0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0'")" = 0 ] || fail "a forged webhook created a call row"
echo "ok: store call"
