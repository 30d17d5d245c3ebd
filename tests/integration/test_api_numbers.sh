#!/usr/bin/env bash
# API phone numbers answer calls, against a real PostgreSQL (a private cluster
# of scripts/pg) and `hark serve`: an assistant created with POST /assistant,
# a number registered for it with POST /phone-number (the auth token is
# neither echoed nor stored), then a Twilio call to that number (signed
# webhook, then tests/fakes/fake_twilio streams): the assistant's firstMessage
# is what the call says and the call record is the tenant's, naming the
# assistant. A PATCH of the firstMessage is heard by the next call; a PATCH
# of the number to another assistant moves the next call there. Another
# tenant gets 404 for the number and cannot register it again; a number of an
# agent file still reaches the file; an unknown number is not in service; a
# deleted number falls back to the files.
set -euo pipefail
HARK=$(realpath "${1:-build/hark}")
FAKE=$(dirname "$HARK")/fake_twilio
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/hark-apinum-XXXXXX)
chmod 0755 "$T"
. "$(dirname "$0")/ports_lib.sh"
PGPORT_=$(free_port)
PORT=$(free_port)
export HARK_PG_PORT=$PGPORT_ HARK_PG_DIR=$T/pg HARK_PG_FAST=1
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  "$ROOT/scripts/pg" stop --purge >/dev/null 2>&1 || true
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -30 "$T/serve.log" >&2 2>/dev/null || true; exit 1; }

URL=$("$ROOT/scripts/pg" start)
export DATABASE_URL=$URL
unset HARK_STORE
"$HARK" migrate >/dev/null || fail "migrate"
TA=$("$HARK" tenant create "Acme") || fail "tenant create"
TB=$("$HARK" tenant create "Globex") || fail "tenant create B"
KA=$("$HARK" key create --tenant "$TA" 2>/dev/null) || fail "key create"
KB=$("$HARK" key create --tenant "$TB" 2>/dev/null) || fail "key create B"

export TWILIO_ACCOUNT_SID=AC55555555555555555555555555555555 TWILIO_AUTH_TOKEN=tok
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$PORT/api/v1/voice-agents/twilio/webhook
mkdir -p "$T/agents"
cat >"$T/agents/desk.lua" <<'LUA'
return { name = "Desk", phone_number = "+15550177", first_message = "Hello from the desk file.",
  on_user_turn = function(call, text) call:say("ok") end }
LUA
# callers' and agents' words reach the log only at debug (core/log.h)
HARK_PORT=$PORT HARK_AGENTS_DIR=$T/agents HARK_SPOOL_PATH=$T/spool.jsonl HARK_LOG_LEVEL=debug \
  "$HARK" serve 2>"$T/serve.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || fail "serve did not start"
. "$(dirname "$0")/twilio_lib.sh"

B=http://127.0.0.1:$PORT
# api METHOD PATH KEY [BODY]: prints the body, then the status on a last line
api() {
  local args=(-s -X "$1" -H "Authorization: Bearer $3" -w '\n%{http_code}')
  [ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' --data "$4")
  curl "${args[@]}" "$B$2"
}
status() { tail -n1 <<<"$1"; }
body() { sed '$d' <<<"$1"; }
jget() { python3 -c 'import sys, json; v = json.load(sys.stdin); print(v.get(sys.argv[1]) if isinstance(v, dict) else "")' "$1"; }

MODEL='"model":{"provider":"openai","model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."}]}'
r=$(api POST /assistant "$KA" "{\"name\":\"Bakery\",\"firstMessage\":\"Welcome to the corner bakery.\",$MODEL}")
[ "$(status "$r")" = 201 ] || fail "create assistant: $r"
A1=$(body "$r" | jget id)
r=$(api POST /assistant "$KA" "{\"name\":\"Florist\",\"firstMessage\":\"You have reached the florist.\",$MODEL}")
[ "$(status "$r")" = 201 ] || fail "create assistant 2: $r"
A2=$(body "$r" | jget id)

NUM=+15550142
r=$(api POST /phone-number "$KA" "{\"provider\":\"twilio\",\"number\":\"$NUM\",\"twilioAccountSid\":\"$TWILIO_ACCOUNT_SID\",\"twilioAuthToken\":\"secret-tok-98765\",\"assistantId\":\"$A1\",\"name\":\"Shop line\"}")
[ "$(status "$r")" = 201 ] || fail "create number: $r"
if grep -q secret-tok-98765 <<<"$r"; then fail "the auth token was echoed: $r"; fi
N1=$(body "$r" | jget id)
[ "$(body "$r" | jget assistantId)" = "$A1" ] && [ "$(body "$r" | jget provider)" = twilio ] || fail "create echo: $r"
psql "$URL" -Atqc "SELECT count(*) FROM phone_numbers WHERE config::text LIKE '%secret-tok%'" | grep -qx 0 \
  || fail "the auth token was stored"
psql "$URL" -Atqc "SELECT tenant_id FROM phone_numbers WHERE id = '$N1'" | grep -qx "$TA" || fail "number row"

# call N NUMBER: place call N to NUMBER; prints its CallSid
call() {
  local n=$1; shift
  local sid=CA$(printf '%032d' $((700 + n))) tok
  tok=$(stream_token "$sid" "$1")
  [ -n "$tok" ] || { echo "no token for $1" >&2; return 1; }
  "$FAKE" --url "ws://127.0.0.1:$PORT/voice/stream/$sid" --call-sid "$sid" \
    --stream-sid MZ$(printf '%032d' $((700 + n))) --param "token=$tok" --param from=+15551230000 \
    --param "to=$1" --out "$T/heard$n.wav" --log "$T/events$n.jsonl" --max-seconds 30 >&2 \
    || { echo "fake twilio failed" >&2; return 1; }
  echo "$sid"
}
# said SID TEXT: the agent said TEXT in that call
said() {
  for _ in $(seq 50); do
    grep "\"event\":\"assistant_say_text\",\"call_id\":\"$1\"" "$T/serve.log" | grep -q "$2" && return 0
    sleep 0.1
  done
  return 1
}

# 1. the API number answers with its assistant
S1=$(call 1 $NUM) || fail "call 1"
said "$S1" "Welcome to the corner bakery" || fail "call 1 did not greet with the assistant's firstMessage"
row=$(psql "$URL" -Atqc "SELECT tenant_id || ' ' || coalesce(agent_id::text, '-') FROM calls WHERE call_sid = '$S1'")
[ "$row" = "$TA $A1" ] || fail "call record: '$row' (want '$TA $A1')"

# 2. an edit is heard by the next call
r=$(api PATCH "/assistant/$A1" "$KA" '{"firstMessage":"The bakery has fresh bread today."}')
[ "$(status "$r")" = 200 ] || fail "patch assistant: $r"
S2=$(call 2 $NUM) || fail "call 2"
said "$S2" "fresh bread today" || fail "call 2 did not use the edited firstMessage"
if grep "\"call_id\":\"$S2\"" "$T/serve.log" | grep -q "corner bakery"; then fail "call 2 used the old version"; fi

# 3. the number moves to another assistant
r=$(api PATCH "/phone-number/$N1" "$KA" "{\"provider\":\"twilio\",\"assistantId\":\"$A2\"}")
[ "$(status "$r")" = 200 ] && [ "$(body "$r" | jget assistantId)" = "$A2" ] || fail "patch number: $r"
S3=$(call 3 $NUM) || fail "call 3"
said "$S3" "reached the florist" || fail "call 3 did not reach the new assistant"

# 4. another tenant: 404, and the number is taken
for m in GET DELETE; do
  r=$(api $m "/phone-number/$N1" "$KB"); [ "$(status "$r")" = 404 ] || fail "tenant B $m: $r"
done
r=$(api PATCH "/phone-number/$N1" "$KB" '{"assistantId":null}'); [ "$(status "$r")" = 404 ] || fail "tenant B PATCH: $r"
r=$(api POST /phone-number "$KB" "{\"provider\":\"twilio\",\"number\":\"$NUM\",\"twilioAccountSid\":\"AC1\"}")
[ "$(status "$r")" = 400 ] || fail "tenant B registered a taken number: $r"
r=$(api GET /phone-number "$KB"); [ "$(body "$r")" = "[]" ] || fail "tenant B's list: $r"
r=$(api GET "/v2/phone-number?search=shop" "$KA")
body "$r" | python3 -c 'import sys, json; d = json.load(sys.stdin); assert d["metadata"]["totalItems"] == 1 and d["results"][0]["name"] == "Shop line", d' \
  || fail "v2 search: $r"

# 5. files still work, unknown numbers are not in service
S4=$(call 4 +15550177) || fail "call 4"
said "$S4" "Hello from the desk file" || fail "the file agent's number did not reach the file"
p=(CallSid=CA$(printf '%032d' 799) "From=+15551230000" "To=+15550111")
twiml=$(curl -sf -H "X-Twilio-Signature: $(sign "$TWILIO_WEBHOOK_URL" "${p[@]}")" \
  --data-urlencode "${p[0]}" --data-urlencode "${p[1]}" --data-urlencode "${p[2]}" "$TWILIO_WEBHOOK_URL")
grep -q "not in service" <<<"$twiml" || fail "unknown number: $twiml"

# 6. a deleted number is free again, and no longer reaches the assistant
r=$(api DELETE "/phone-number/$N1" "$KA"); [ "$(status "$r")" = 200 ] || fail "delete: $r"
p=(CallSid=CA$(printf '%032d' 798) "From=+15551230000" "To=$NUM")
twiml=$(curl -sf -H "X-Twilio-Signature: $(sign "$TWILIO_WEBHOOK_URL" "${p[@]}")" \
  --data-urlencode "${p[0]}" --data-urlencode "${p[1]}" --data-urlencode "${p[2]}" "$TWILIO_WEBHOOK_URL")
grep -q "not in service" <<<"$twiml" || fail "deleted number still answered: $twiml"
r=$(api POST /phone-number "$KB" "{\"provider\":\"twilio\",\"number\":\"$NUM\",\"twilioAccountSid\":\"AC1\"}")
[ "$(status "$r")" = 201 ] || fail "tenant B cannot register the freed number: $r"
if grep -q '"level":"info".*+15550142' "$T/serve.log"; then fail "an unmasked number in an info log"; fi
echo "ok: API numbers answer calls"
