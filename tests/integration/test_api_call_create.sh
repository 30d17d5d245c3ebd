#!/usr/bin/env bash
# POST /call places an outbound call through Twilio's REST API, against a
# real PostgreSQL (a private cluster of scripts/pg), `hark serve` and the
# stand-in Twilio REST API (tests/fakes/fake_twilio_rest): an assistant and a
# number of the tenant, then POST /call -> 201 with status queued and
# phoneCallProviderId = the CallSid Twilio gave; the Calls.json request had
# From = the number, To = customer.number, Url = the webhook naming the
# assistant and the tenant, and the status callback. Then the call runs as
# Twilio would run it (the signed webhook at that Url, then the media stream
# of tests/fakes/fake_twilio): GET /call/{id} shows the same one record
# (keyed by CallSid), ended, with the assistant's firstMessage in its
# transcript. A transient assistant is stored marked transient and the call
# names it. Errors: no customer.number, a number not in E.164, another
# tenant's assistantId or phoneNumberId (400 naming the field), no key (401),
# Twilio refusing the call (400 with Twilio's message; never a 5xx, which
# Vapi's SDKs retry into duplicate calls). No error places a call.
set -euo pipefail
HARK=$(realpath "${1:-build/hark}")
FAKE=$(dirname "$HARK")/fake_twilio
FAKE_REST=$(dirname "$HARK")/fake_twilio_rest
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/hark-callcreate-XXXXXX)
chmod 0755 "$T"
. "$(dirname "$0")/ports_lib.sh"
PGPORT_=$(free_port)
PORT=$(free_port)
export HARK_PG_PORT=$PGPORT_ HARK_PG_DIR=$T/pg HARK_PG_FAST=1
pid= rpid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  [ -n "$rpid" ] && kill "$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null
  "$ROOT/scripts/pg" stop --purge >/dev/null 2>&1 || true
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -30 "$T/serve.log" >&2 2>/dev/null || true; cat "$T/rest.log" >&2 2>/dev/null || true; exit 1; }

URL=$("$ROOT/scripts/pg" start)
export DATABASE_URL=$URL
unset HARK_STORE
"$HARK" migrate >/dev/null || fail "migrate"
TA=$("$HARK" tenant create "Acme") || fail "tenant create"
TB=$("$HARK" tenant create "Globex") || fail "tenant create B"
KA=$("$HARK" key create --tenant "$TA" 2>/dev/null) || fail "key create"
KB=$("$HARK" key create --tenant "$TB" 2>/dev/null) || fail "key create B"

ACCT=AC66666666666666666666666666666666
"$FAKE_REST" --port 0 --account $ACCT --token tok --log "$T/rest.log" --refuse 'To=%2B15550009999' >"$T/rport" &
rpid=$!
for _ in $(seq 50); do [ -s "$T/rport" ] && break; sleep 0.1; done
[ -s "$T/rport" ] || fail "fake_twilio_rest did not start"
export TWILIO_ACCOUNT_SID=$ACCT TWILIO_AUTH_TOKEN=tok TWILIO_API_BASE_URL=http://127.0.0.1:$(cat "$T/rport")
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$PORT/api/v1/voice-agents/twilio/webhook
mkdir -p "$T/agents"
HARK_PORT=$PORT HARK_AGENTS_DIR=$T/agents HARK_SPOOL_PATH=$T/spool.jsonl HARK_LOG_LEVEL=debug \
  "$HARK" serve 2>"$T/serve.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || fail "serve did not start"
. "$(dirname "$0")/twilio_lib.sh"

B=http://127.0.0.1:$PORT
# api METHOD PATH KEY [BODY]: prints the body, then the status on a last line
api() {
  local args=(-s -X "$1" -w '\n%{http_code}')
  [ -n "$3" ] && args+=(-H "Authorization: Bearer $3")
  [ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' --data "$4")
  curl "${args[@]}" "$B$2"
}
status() { tail -n1 <<<"$1"; }
body() { sed '$d' <<<"$1"; }
jget() { python3 -c 'import sys, json; v = json.load(sys.stdin); print(v.get(sys.argv[1]) if isinstance(v, dict) else "")' "$1"; }
calls_placed() { grep -c 'Calls.json' "$T/rest.log" 2>/dev/null || true; }

MODEL='"model":{"provider":"openai","model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."}]}'
r=$(api POST /assistant "$KA" "{\"name\":\"Bakery\",\"firstMessage\":\"Hello, this is the corner bakery calling.\",$MODEL}")
[ "$(status "$r")" = 201 ] || fail "create assistant: $r"
A1=$(body "$r" | jget id)
r=$(api POST /assistant "$KB" "{\"name\":\"Other\",\"firstMessage\":\"Not yours.\",$MODEL}")
[ "$(status "$r")" = 201 ] || fail "create assistant B: $r"
AB=$(body "$r" | jget id)
NUM=+15550142
r=$(api POST /phone-number "$KA" "{\"provider\":\"twilio\",\"number\":\"$NUM\",\"twilioAccountSid\":\"$ACCT\",\"name\":\"Shop line\"}")
[ "$(status "$r")" = 201 ] || fail "create number: $r"
N1=$(body "$r" | jget id)
r=$(api POST /phone-number "$KB" "{\"provider\":\"twilio\",\"number\":\"+15550143\",\"twilioAccountSid\":\"$ACCT\"}")
[ "$(status "$r")" = 201 ] || fail "create number B: $r"
NB=$(body "$r" | jget id)

# 1. errors: 400 naming the field, 401 without a key; none places a call
CUST=+15557654321
check_400() { # BODY FIELD
  local r; r=$(api POST /call "$KA" "$1")
  [ "$(status "$r")" = 400 ] || fail "want 400 for $1: $r"
  body "$r" | python3 -c 'import sys, json; d = json.load(sys.stdin); assert d["statusCode"] == 400 and d["error"] == "Bad Request" and sys.argv[1] in " ".join(d["message"]), d' "$2" \
    || fail "400 shape/field $2: $r"
}
check_400 "{\"assistantId\":\"$A1\",\"phoneNumberId\":\"$N1\"}" customer
check_400 "{\"assistantId\":\"$A1\",\"phoneNumberId\":\"$N1\",\"customer\":{}}" customer.number
check_400 "{\"assistantId\":\"$A1\",\"phoneNumberId\":\"$N1\",\"customer\":{\"number\":\"5557654321\"}}" customer.number
check_400 "{\"assistantId\":\"$A1\",\"phoneNumberId\":\"$N1\",\"customer\":{\"number\":\"+1555-765\"}}" customer.number
check_400 "{\"phoneNumberId\":\"$N1\",\"customer\":{\"number\":\"$CUST\"}}" assistantId
check_400 "{\"assistantId\":\"$A1\",\"customer\":{\"number\":\"$CUST\"}}" phoneNumberId
check_400 "{\"assistantId\":\"$AB\",\"phoneNumberId\":\"$N1\",\"customer\":{\"number\":\"$CUST\"}}" assistantId
check_400 "{\"assistantId\":\"$A1\",\"phoneNumberId\":\"$NB\",\"customer\":{\"number\":\"$CUST\"}}" phoneNumberId
check_400 "{\"assistant\":{\"firstMessage\":\"hi\",\"model\":{\"provider\":\"nope\"}},\"phoneNumberId\":\"$N1\",\"customer\":{\"number\":\"$CUST\"}}" assistant
r=$(api POST /call "" "{\"assistantId\":\"$A1\",\"phoneNumberId\":\"$N1\",\"customer\":{\"number\":\"$CUST\"}}")
[ "$(status "$r")" = 401 ] || fail "no key: $r"
[ "$(calls_placed)" = 0 ] || fail "an invalid request placed a call"

# 2. Twilio refusing: 400 naming Twilio's error, no record
r=$(api POST /call "$KA" "{\"assistantId\":\"$A1\",\"phoneNumberId\":\"$N1\",\"customer\":{\"number\":\"+15550009999\"}}")
[ "$(status "$r")" = 400 ] && grep -q "not a valid phone number" <<<"$r" || fail "Twilio refusal: $r"
psql "$URL" -Atqc "SELECT count(*) FROM calls WHERE to_number = '+15550009999'" | grep -qx 0 || fail "a refused call has a record"

# 3. the call: 201, queued, the CallSid; Twilio got From/To/Url/StatusCallback
r=$(api POST /call "$KA" "{\"assistantId\":\"$A1\",\"phoneNumberId\":\"$N1\",\"customer\":{\"number\":\"$CUST\"},\"name\":\"Bread reminder\"}")
[ "$(status "$r")" = 201 ] || fail "POST /call: $r"
ID=$(body "$r" | jget id)
SID=$(body "$r" | jget phoneCallProviderId)
body "$r" | python3 -c '
import sys, json
d = json.load(sys.stdin)
assert d["status"] == "queued" and d["type"] == "outboundPhoneCall", d
assert d["assistantId"] == sys.argv[1] and d["orgId"] == sys.argv[2], d
assert d["customer"]["number"] == sys.argv[3] and d["phoneNumber"]["number"] == sys.argv[4], d
assert d["name"] == "Bread reminder" and d["id"], d
' "$A1" "$TA" "$CUST" "$NUM" || fail "the 201 call: $r"
[[ "$SID" =~ ^CA[0-9a-f]{32}$ ]] || fail "phoneCallProviderId '$SID'"
line=$(grep 'Calls.json' "$T/rest.log" | tail -1)
WH_ENC='http%3A%2F%2F127.0.0.1%3A'$PORT'%2Fapi%2Fv1%2Fvoice-agents%2Ftwilio%2Fwebhook'
for want in 'To=%2B15557654321' 'From=%2B15550142' "Url=$WH_ENC%3Fagent%3D$A1%26tenant%3D$TA" \
    "StatusCallback=$WH_ENC%2Fstatus" 'StatusCallbackEvent=completed'; do
  grep -qF "$want" <<<"$line" || fail "Calls.json lacks $want: $line"
done
grep -v '"level":"debug"' "$T/serve.log" | grep -q '+15557654321' && fail "the customer's number is in an info log"

# 4. Twilio runs it: the signed webhook at that Url, then the media stream
WURL="$TWILIO_WEBHOOK_URL?agent=$A1&tenant=$TA"
p=(CallSid=$SID "From=$NUM" "To=$CUST" "Direction=outbound-api")
twiml=$(curl -sf -H "X-Twilio-Signature: $(sign "$WURL" "${p[@]}")" --data-urlencode "${p[0]}" \
  --data-urlencode "${p[1]}" --data-urlencode "${p[2]}" --data-urlencode "${p[3]}" "$WURL") || fail "webhook"
TOK=$(grep -Eo '<Parameter name="token" value="[^"]+"' <<<"$twiml" | sed -E 's/.*value="//; s/"$//')
[ -n "$TOK" ] || fail "no stream in the TwiML: $twiml"
"$FAKE" --url "ws://127.0.0.1:$PORT/voice/stream/$SID" --call-sid "$SID" --stream-sid MZ$(printf '%032d' 1) \
  --param "token=$TOK" --param "from=$NUM" --param "to=$CUST" --param direction=outbound-api \
  --out "$T/heard.wav" --log "$T/events.jsonl" --max-seconds 6 >/dev/null 2>&1 || fail "fake twilio"
ok=
for _ in $(seq 50); do
  r=$(api GET "/call/$ID" "$KA")
  if body "$r" | python3 -c '
import sys, json
d = json.load(sys.stdin)
assert d["status"] == "ended", d["status"]
assert "corner bakery calling" in json.dumps(d.get("messages", [])), d.get("messages")
assert d["phoneCallProviderId"] == sys.argv[1] and d["type"] == "outboundPhoneCall", d
' "$SID" 2>/dev/null; then ok=1; break; fi
  sleep 0.2
done
[ -n "$ok" ] || fail "GET /call/$ID after the call: $r"
n=$(psql "$URL" -Atqc "SELECT count(*) || ' ' || min(tenant_id::text) || ' ' || min(agent_id::text) || ' ' || bool_and(NOT inbound) FROM calls WHERE call_sid = '$SID'")
[ "$n" = "1 $TA $A1 true" ] || fail "the call's rows: '$n'"
psql "$URL" -Atqc "SELECT count(*) FROM calls" | grep -qx 1 || fail "more than one call record"
r=$(api GET "/call/$ID" "$KB"); [ "$(status "$r")" = 404 ] || fail "tenant B sees the call: $r"

# 5. a transient assistant: stored, marked, and named by the webhook Url
r=$(api POST /call "$KA" "{\"assistant\":{\"name\":\"Once\",\"firstMessage\":\"Just this once.\",$MODEL},\"phoneNumberId\":\"$N1\",\"customer\":{\"number\":\"+15557654322\"}}")
[ "$(status "$r")" = 201 ] || fail "transient POST /call: $r"
AT=$(body "$r" | jget assistantId)
r=$(api GET "/assistant/$AT" "$KA")
body "$r" | python3 -c 'import sys, json; d = json.load(sys.stdin); assert d["metadata"]["hark"]["transient"] is True and d["firstMessage"] == "Just this once.", d' \
  || fail "transient assistant: $r"
grep 'Calls.json' "$T/rest.log" | tail -1 | grep -qF "%3Fagent%3D$AT%26tenant%3D$TA" || fail "transient Url"
echo "ok: api call create"
