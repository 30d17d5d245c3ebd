#!/usr/bin/env bash
# assistant-request (telephony/assistant_request.c): an incoming call to an
# API phone number that has a server URL and no assistant asks that server
# who answers, against a real PostgreSQL and `hark serve`, the server being
# tests/integration/server_url_receiver.py answering per called number:
#  - the request: type assistant-request, call.id = CallSid, phoneNumber
#    (without secrets), customer.number; X-Vapi-Secret, the number's header,
#    X-Hark-Delivery-Id and an X-Hark-Signature that verifies;
#  - {assistantId} streams to that assistant; {assistant:{...}} stores a
#    transient assistant (metadata.hark.transient) and streams to it;
#  - {destination:{number, message}} is <Say> + <Dial>, record
#    assistant-forwarded-call; {error} is <Say> + <Hangup/>, record
#    assistant-request-returned-error; an unknown assistantId is a polite
#    goodbye, record assistant-not-found;
#  - a reply after 7.5 s: the agent file of the number answers (about 7.5 s
#    after the webhook, never the late reply); with no file, a polite goodbye
#    and assistant-request-failed; a dead receiver: the same, at once.
set -euo pipefail
HARK=$(realpath "${1:-build/hark}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/hark-areq-XXXXXX)
chmod 0755 "$T"
. "$(dirname "$0")/ports_lib.sh"
PGPORT_=$(free_port)
PORT=$(free_port)
export HARK_PG_PORT=$PGPORT_ HARK_PG_DIR=$T/pg HARK_PG_FAST=1
pid= RPID=
cleanup() {
  set +e # clean-up goes on whatever is already gone; the test's status stands
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  [ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
  "$ROOT/scripts/pg" stop --purge >/dev/null 2>&1
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -20 "$T/serve.log" >&2 2>/dev/null || true; exit 1; }

URL=$("$ROOT/scripts/pg" start)
export DATABASE_URL=$URL
unset HARK_STORE
"$HARK" migrate >/dev/null || fail "migrate"
TA=$("$HARK" tenant create "Acme") || fail "tenant create"
KA=$("$HARK" key create --tenant "$TA" 2>/dev/null) || fail "key create"

# the customer's server
mkdir -p "$T/replies"
RPORT=$(free_port)
python3 "$ROOT/tests/integration/server_url_receiver.py" --port "$RPORT" --port-file "$T/rport" \
  --log "$T/r.log" --reply-dir "$T/replies" 2>"$T/receiver.err" &
RPID=$!
for _ in $(seq 100); do [ -s "$T/rport" ] && break; sleep 0.05; done
[ -s "$T/rport" ] || fail "receiver did not start"
DEAD=$(free_port) # nothing listens there

export TWILIO_ACCOUNT_SID=AC55555555555555555555555555555555 TWILIO_AUTH_TOKEN=tok
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$PORT/api/v1/voice-agents/twilio/webhook
export OPENAI_API_KEY=sk-test
mkdir -p "$T/agents"
cat >"$T/agents/fallback.lua" <<'LUA'
return { name = "Fallback", phone_number = "+15550188", first_message = "Hello from the file.",
  on_user_turn = function(call, text) call:say("ok") end }
LUA
HARK_PORT=$PORT HARK_AGENTS_DIR=$T/agents HARK_SPOOL_PATH=$T/spool.jsonl \
  "$HARK" serve 2>"$T/serve.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || fail "serve did not start"
. "$ROOT/tests/integration/twilio_lib.sh"

B=http://127.0.0.1:$PORT
api() { # METHOD PATH [BODY]: the body, then the status on a last line
  local args=(-s -X "$1" -H "Authorization: Bearer $KA" -w '\n%{http_code}')
  [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data "$3")
  curl "${args[@]}" "$B$2"
}
status() { tail -n1 <<<"$1"; }
body() { sed '$d' <<<"$1"; }
jget() { python3 -c 'import sys, json; v = json.load(sys.stdin); print(v.get(sys.argv[1]) if isinstance(v, dict) else "")' "$1"; }
MODEL='"model":{"provider":"openai","model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."}]}'
r=$(api POST /assistant "{\"name\":\"Bakery\",\"firstMessage\":\"Welcome to the bakery.\",$MODEL}")
[ "$(status "$r")" = 201 ] || fail "create assistant: $r"
A1=$(body "$r" | jget id)

# number NUM [URL]: registered with a server and no assistant
number() {
  local url=${2:-http://127.0.0.1:$RPORT/ar}
  local r; r=$(api POST /phone-number "{\"provider\":\"twilio\",\"number\":\"$1\",\"twilioAccountSid\":\"$TWILIO_ACCOUNT_SID\",\"twilioAuthToken\":\"tok-secret-1234\",\"server\":{\"url\":\"$url\",\"secret\":\"ar-secret\",\"headers\":{\"X-Team\":\"blue\"}}}")
  [ "$(status "$r")" = 201 ] || fail "create number $1: $r"
}
reply() { printf '%s' "$2" >"$T/replies/${1#+}.json"; }
# incoming SID TO: the signed incoming-call webhook's TwiML
incoming() {
  local p=(CallSid=$1 "From=+15551230000" "To=$2")
  curl -s --max-time 30 -H "X-Twilio-Signature: $(sign "$TWILIO_WEBHOOK_URL" "${p[@]}")" \
    --data-urlencode "${p[0]}" --data-urlencode "${p[1]}" --data-urlencode "${p[2]}" "$TWILIO_WEBHOOK_URL"
}
ended_reason() { # SID: the call record's endedReason
  local r; r=$(api GET "/call/$1")
  [ "$(status "$r")" = 200 ] || { echo "status $(status "$r")"; return; }
  body "$r" | jget endedReason
}
sid() { printf 'CA%032d' "$1"; }

number +15550101; reply +15550101 "{\"assistantId\":\"$A1\"}"
number +15550102; reply +15550102 "{\"assistant\":{\"name\":\"Pop-up\",\"firstMessage\":\"A transient hello.\",$MODEL}}"
number +15550103; reply +15550103 '{"destination":{"type":"number","number":"+15557654321","message":"Transferring you now."}}'
number +15550104; reply +15550104 '{"error":"We are closed today."}'
number +15550106; reply +15550106 '{"assistantId":"00000000-0000-4000-8000-000000000000"}'
number +15550188; reply +15550188 "{\"assistantId\":\"$A1\"}"; echo 9 >"$T/replies/15550188.delay"
number +15550105; reply +15550105 "{\"assistantId\":\"$A1\"}"; echo 9 >"$T/replies/15550105.delay"
number +15550107 "http://127.0.0.1:$DEAD/ar"

# the late and dead ones run meanwhile
t0=$(date +%s.%N)
( incoming "$(sid 8)" +15550188 >"$T/x8"; date +%s.%N >"$T/t8" ) &
L1=$!
( incoming "$(sid 5)" +15550105 >"$T/x5"; date +%s.%N >"$T/t5" ) &
L2=$!
x7=$(incoming "$(sid 7)" +15550107)
t7=$(date +%s.%N)

# {assistantId}
x=$(incoming "$(sid 1)" +15550101)
grep -q "<Stream" <<<"$x" && grep -q "<Parameter name=\"agent\" value=\"$A1\"" <<<"$x" \
  || fail "assistantId: $x"
python3 - "$T/r.log" "$(sid 1)" "$TA" <<'PY' || fail "the request's shape (see $T/r.log)"
import hashlib, hmac, json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
r = [r for r in reqs if r["body"]["message"]["call"]["id"] == sys.argv[2]]
assert len(r) == 1, len(r)
r = r[0]
m, h = r["body"]["message"], r["headers"]
assert r["path"] == "/ar"
assert m["type"] == "assistant-request", m
assert m["call"]["orgId"] == sys.argv[3] and m["call"]["type"] == "inboundPhoneCall", m["call"]
assert m["call"]["phoneCallProviderId"] == sys.argv[2]
assert m["phoneNumber"]["number"] == "+15550101" and m["customer"]["number"] == "+15551230000", m
assert m["call"]["phoneNumberId"] == m["phoneNumber"]["id"]
assert "tok-secret-1234" not in r["raw"] and "ar-secret" not in r["raw"], "secrets in the body"
assert h["x-vapi-secret"] == "ar-secret" and h["x-team"] == "blue", h
assert h["x-hark-delivery-id"] == sys.argv[2] + ":assistant-request", h
t, v1 = (kv.split("=", 1)[1] for kv in h["x-hark-signature"].split(","))
assert hmac.compare_digest(v1, hmac.new(b"ar-secret", (t + "." + r["raw"]).encode(), hashlib.sha256).hexdigest())
PY
echo "ok 1 the request is signed and shaped; {assistantId} answers with that assistant"

# {assistant:{...}}
x=$(incoming "$(sid 2)" +15550102)
TID=$(grep -o '<Parameter name="agent" value="[^"]*"' <<<"$x" | sed 's/.*value="//; s/"$//')
[ -n "$TID" ] && [ "$TID" != "$A1" ] || fail "transient: $x"
r=$(api GET "/assistant/$TID")
[ "$(status "$r")" = 200 ] || fail "transient assistant not stored: $r"
body "$r" | python3 -c 'import json,sys; a=json.load(sys.stdin); assert a["metadata"]["hark"]["transient"] is True and a["firstMessage"] == "A transient hello.", a' \
  || fail "transient assistant: $r"
echo "ok 2 {assistant} answers with a stored transient assistant"

# {destination}
x=$(incoming "$(sid 3)" +15550103)
grep -q '<Say[^>]*>Transferring you now.</Say><Dial>+15557654321</Dial>' <<<"$x" || fail "destination: $x"
[ "$(ended_reason "$(sid 3)")" = assistant-forwarded-call ] || fail "destination record: $(ended_reason "$(sid 3)")"
echo "ok 3 {destination} forwards with Say + Dial"

# {error}
x=$(incoming "$(sid 4)" +15550104)
grep -q '<Say[^>]*>We are closed today.</Say><Hangup/>' <<<"$x" || fail "error: $x"
[ "$(ended_reason "$(sid 4)")" = assistant-request-returned-error ] || fail "error record"
echo "ok 4 {error} is spoken, then a hang-up"

# an assistantId that is not the tenant's
x=$(incoming "$(sid 6)" +15550106)
grep -q '<Hangup/>' <<<"$x" && ! grep -q '<Stream' <<<"$x" || fail "unknown assistant: $x"
[ "$(ended_reason "$(sid 6)")" = assistant-not-found ] || fail "not-found record: $(ended_reason "$(sid 6)")"
echo "ok 5 an unknown assistantId: goodbye, assistant-not-found"

# the dead receiver answered at once (it was started first)
grep -q '<Hangup/>' <<<"$x7" && ! grep -q '<Stream' <<<"$x7" || fail "dead receiver: $x7"
python3 -c "import sys; d=float(sys.argv[2])-float(sys.argv[1]); assert d < 5, d" "$t0" "$t7" || fail "dead receiver took too long"
[ "$(ended_reason "$(sid 7)")" = assistant-request-failed ] || fail "dead record: $(ended_reason "$(sid 7)")"
echo "ok 6 a dead server: goodbye at once, assistant-request-failed"

wait $L1 $L2
grep -q '<Parameter name="agent" value="fallback"' "$T/x8" || fail "late: not the file agent: $(cat "$T/x8")"
python3 -c "import sys; d=float(sys.argv[2])-float(sys.argv[1]); assert 7.0 <= d < 9.0, d" "$t0" "$(cat "$T/t8")" \
  || fail "late: answered after $(python3 -c "import sys; print(float(sys.argv[2])-float(sys.argv[1]))" "$t0" "$(cat "$T/t8")") s"
grep -q '<Hangup/>' "$T/x5" && ! grep -q '<Stream' "$T/x5" || fail "late without a file: $(cat "$T/x5")"
[ "$(ended_reason "$(sid 5)")" = assistant-request-failed ] || fail "late record: $(ended_reason "$(sid 5)")"
grep -q '"event":"assistant_request".*no answer within the time limit' "$T/serve.log" || fail "late not logged"
echo "ok 7 a reply after 7.5 s: the number's agent file answers, else goodbye and assistant-request-failed"
echo "PASS test_assistant_request"
