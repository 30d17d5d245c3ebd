#!/usr/bin/env bash
# Buying Twilio numbers through hark (issue 11 §4) against the stand-in Twilio
# REST API (tests/fakes/fake_twilio_rest), a private PostgreSQL and hark serve:
# GET /api/v1/twilio/available-numbers lists what Twilio's
# AvailablePhoneNumbers/{Country}/Local.json offers (area code and contains
# passed on, Vapi-style camelCase out), bad queries are 400s without asking
# Twilio, an unknown country is Twilio's refusal as a 400; POST
# /api/v1/twilio/numbers buys with IncomingPhoneNumbers.json (VoiceUrl and
# StatusCallback = hark's webhook, HTTP Basic with the configured account),
# registers the number as a /phone-number document for its assistant (201, no
# auth token anywhere) and the number then answers calls with that assistant;
# an unknown assistant is refused before anything is bought, a number Twilio
# does not sell is a 400 with Twilio's message and no document, no key is a 401.
set -euo pipefail
. "$(dirname "$0")/ports_lib.sh"
HARK=$(realpath "${1:-build/hark}")
FAKE_REST=$(dirname "$HARK")/fake_twilio_rest
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/hark-twnum-XXXXXX)
chmod 0755 "$T"
PGP=$(free_port) PORT=$(free_port) RPORT=$(free_port)
export HARK_PG_PORT=$PGP HARK_PG_DIR=$T/pg HARK_PG_FAST=1
pid= rpid=
cleanup() {
  set +e
  for p in $pid $rpid; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  "$ROOT/scripts/pg" stop --purge >/dev/null 2>&1
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -n 20 "$T/serve.log" >&2 2>/dev/null || true; exit 1; }

URL=$("$ROOT/scripts/pg" start) || fail "pg start"
export DATABASE_URL=$URL
unset HARK_STORE
"$HARK" migrate >/dev/null || fail "migrate"
TA=$("$HARK" tenant create "Acme") || fail "tenant create"
KA=$("$HARK" key create --tenant "$TA" 2>/dev/null) || fail "key create"

ACCT=AC77777777777777777777777777777777 TOKEN=rest-secret-token-4242
"$FAKE_REST" --port $RPORT --account $ACCT --token $TOKEN --log "$T/rest.log" >"$T/rport" &
rpid=$!
for _ in $(seq 50); do [ -s "$T/rport" ] && break; sleep 0.1; done
[ -s "$T/rport" ] || fail "fake_twilio_rest did not start"
export TWILIO_ACCOUNT_SID=$ACCT TWILIO_AUTH_TOKEN=$TOKEN TWILIO_API_BASE_URL=http://127.0.0.1:$RPORT
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$PORT/api/v1/voice-agents/twilio/webhook
mkdir -p "$T/agents"
HARK_PORT=$PORT HARK_AGENTS_DIR=$T/agents HARK_SPOOL_PATH=$T/spool.jsonl HARK_LOG_LEVEL=info \
  "$HARK" serve 2>"$T/serve.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || fail "serve did not start"
. "$(dirname "$0")/twilio_lib.sh"

B=http://127.0.0.1:$PORT
api() { # METHOD PATH [BODY]: body, then the status on the last line
  local args=(-s -X "$1" -H "Authorization: Bearer $KA" -w '\n%{http_code}')
  [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data "$3")
  curl "${args[@]}" "$B$2"
}
status() { tail -n1 <<<"$1"; }
body() { sed '$d' <<<"$1"; }
py() { body "$1" | python3 -c "import sys, json; d = json.load(sys.stdin); print($2)"; }
requests() { grep -c "$1" "$T/rest.log" 2>/dev/null || true; }

# 1. available numbers
r=$(api GET "/api/v1/twilio/available-numbers?country=US&areaCode=510")
[ "$(status "$r")" = 200 ] || fail "available: $r"
[ "$(py "$r" 'len(d["numbers"])')" = 5 ] || fail "available count: $r"
[ "$(py "$r" 'all(n["phoneNumber"].startswith("+1510") for n in d["numbers"])')" = True ] || fail "area code not passed on: $r"
[ "$(py "$r" 'd["numbers"][0]["locality"] + "," + d["numbers"][0]["region"] + "," + str(d["numbers"][0]["capabilities"]["voice"])')" = "Springfield,CA,True" ] \
  || fail "number fields: $r"
line=$(grep 'AvailablePhoneNumbers' "$T/rest.log" | tail -1)
grep -q '"method":"GET"' <<<"$line" && grep -q "\"path\":\"/2010-04-01/Accounts/$ACCT/AvailablePhoneNumbers/US/Local.json\"" <<<"$line" \
  && grep -q 'AreaCode=510' <<<"$line" || fail "the request to Twilio: $line"
grep -q "\"authorization\":\"Basic $(printf '%s:%s' $ACCT $TOKEN | base64 -w0)\"" <<<"$line" || fail "no Basic auth: $line"
r=$(api GET "/api/v1/twilio/available-numbers?areaCode=415&contains=0103")
[ "$(py "$r" '",".join(n["phoneNumber"] for n in d["numbers"])')" = "+14155550103" ] || fail "contains: $r"
before=$(requests AvailablePhoneNumbers)
for q in "country=usa" "areaCode=5x0" "contains=12-34" "limit=0"; do
  r=$(api GET "/api/v1/twilio/available-numbers?$q")
  [ "$(status "$r")" = 400 ] || fail "bad query $q: $r"
done
[ "$(requests AvailablePhoneNumbers)" = "$before" ] || fail "a bad query reached Twilio"
r=$(api GET "/api/v1/twilio/available-numbers?country=ZZ")
[ "$(status "$r")" = 400 ] && grep -q 'Twilio answered 404' <<<"$r" || fail "unknown country: $r"
code=$(curl -s -o /dev/null -w '%{http_code}' "$B/api/v1/twilio/available-numbers")
[ "$code" = 401 ] || fail "no key: $code"

# 2. buy one for an assistant
MODEL='"model":{"provider":"openai","model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."}]}'
r=$(api POST /assistant "{\"name\":\"Sales\",\"firstMessage\":\"Sales, hello.\",$MODEL}")
[ "$(status "$r")" = 201 ] || fail "assistant: $r"
A1=$(py "$r" 'd["id"]')
r=$(api POST /api/v1/twilio/numbers '{"phoneNumber":"+15105550102","assistantId":"00000000-0000-0000-0000-00000000beef"}')
[ "$(status "$r")" = 400 ] && grep -q assistantId <<<"$r" || fail "unknown assistant: $r"
[ "$(requests IncomingPhoneNumbers)" = 0 ] || fail "a number was bought for an unknown assistant"
r=$(api POST /api/v1/twilio/numbers '{"phoneNumber":"510-555"}')
[ "$(status "$r")" = 400 ] || fail "bad phoneNumber: $r"
r=$(api POST /api/v1/twilio/numbers "{\"phoneNumber\":\"+15105550102\",\"assistantId\":\"$A1\",\"name\":\"Sales line\"}")
[ "$(status "$r")" = 201 ] || fail "buy: $r"
N1=$(py "$r" 'd["id"]')
[ "$(py "$r" 'd["number"] + "," + d["assistantId"] + "," + d["provider"] + "," + d["name"] + "," + d["twilioAccountSid"]')" = "+15105550102,$A1,twilio,Sales line,$ACCT" ] \
  || fail "bought number's document: $r"
[ "$(py "$r" 'd["metadata"]["hark"]["twilioSid"][:2]')" = PN ] || fail "no Twilio sid: $r"
line=$(grep 'IncomingPhoneNumbers' "$T/rest.log" | tail -1)
body_sent=$(python3 -c 'import json, sys, urllib.parse as u; print(json.dumps(dict(u.parse_qsl(json.loads(sys.argv[1])["body"]))))' "$line")
for kv in "\"PhoneNumber\": \"+15105550102\"" "\"VoiceUrl\": \"$TWILIO_WEBHOOK_URL\"" \
          "\"StatusCallback\": \"$TWILIO_WEBHOOK_URL/status\"" "\"VoiceMethod\": \"POST\"" "\"FriendlyName\": \"Sales line\""; do
  grep -qF "$kv" <<<"$body_sent" || fail "purchase lacks $kv: $body_sent"
done
r=$(api GET "/phone-number/$N1")
[ "$(status "$r")" = 200 ] && [ "$(py "$r" 'd["assistantId"]')" = "$A1" ] || fail "GET /phone-number: $r"
grep -q "$TOKEN" <<<"$r" && fail "the auth token is in the document"
[ "$(psql "$URL" -Atqc "SELECT count(*) FROM phone_numbers WHERE config::text LIKE '%$TOKEN%'")" = 0 ] || fail "the auth token was stored"
# bought numbers leave the list
r=$(api GET "/api/v1/twilio/available-numbers?areaCode=510")
grep -q '+15105550102' <<<"$r" && fail "a bought number is still for sale: $r"
# the number answers with its assistant
p=(CallSid=CA$(printf '%032d' 31) "From=+15551230000" "To=+15105550102")
tw=$(curl -sf -H "X-Twilio-Signature: $(sign "$TWILIO_WEBHOOK_URL" "${p[@]}")" --data-urlencode "${p[0]}" \
  --data-urlencode "${p[1]}" --data-urlencode "${p[2]}" "$TWILIO_WEBHOOK_URL")
grep -q '<Stream ' <<<"$tw" || fail "the bought number does not answer: $tw"
grep -q "\"call_incoming\".*agent $A1" "$T/serve.log" || fail "the call did not reach the assistant"

# 3. a number Twilio does not sell (or sold already): Twilio's 400, nothing registered
n_before=$(psql "$URL" -Atqc "SELECT count(*) FROM phone_numbers")
for num in +15105550102 +15105550199; do
  r=$(api POST /api/v1/twilio/numbers "{\"phoneNumber\":\"$num\"}")
  [ "$(status "$r")" = 400 ] && grep -q 'not available' <<<"$r" || fail "unsold $num: $r"
done
[ "$(psql "$URL" -Atqc "SELECT count(*) FROM phone_numbers")" = "$n_before" ] || fail "a refused purchase was registered"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{"phoneNumber":"+15105550103"}' "$B/api/v1/twilio/numbers")
[ "$code" = 401 ] || fail "buy without a key: $code"
grep -q "$TOKEN" "$T/serve.log" && fail "the auth token reached the log"
echo "ok: Twilio numbers"
