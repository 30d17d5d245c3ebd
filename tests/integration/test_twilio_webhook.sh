#!/usr/bin/env bash
# Twilio's webhooks against hark serve, signed the way Twilio signs them
# (HMAC-SHA1 over the public URL + sorted form params, computed here with the
# openssl CLI, independently of hark's code): the incoming-call webhook answers
# TwiML that connects a media stream with the agent id and a stream token; a
# missing or wrong signature gets 403 and changes nothing; an unknown number
# gets a polite goodbye; the connect action hangs up; status callbacks land.
set -euo pipefail
. "$(dirname "$0")/ports_lib.sh"
HARK=$(realpath "${1:-build/hark}")
T=$(mktemp -d /tmp/hark-twh-XXXXXX)
PORT=$(free_port)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; cat "$T/serve.log" >&2 || true; exit 1; }

export HARK_STORE=memory TWILIO_ACCOUNT_SID=AC11111111111111111111111111111111 TWILIO_AUTH_TOKEN=12345abcdef
BASE=https://hark.example.com/api/v1/voice-agents/twilio/webhook
export TWILIO_WEBHOOK_URL=$BASE
HARK_PORT=$PORT HARK_AGENTS_DIR=agents "$HARK" serve 2>"$T/serve.log" &
pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

# sign URL + params ("k=v" lines, sorted by name) as Twilio does
. "$(dirname "$0")/twilio_lib.sh"
post() { # path[?query] signature params... -> body in $T/body, status in $T/code
  local path=$1 sig=$2; shift 2
  local args=()
  for kv in "$@"; do args+=(--data-urlencode "$kv"); done
  curl -s -o "$T/body" -w '%{http_code}' -H "X-Twilio-Signature: $sig" "${args[@]}" \
    "http://127.0.0.1:$PORT/api/v1/voice-agents/twilio/webhook$path" >"$T/code"
}

CALL=(CallSid=CA0123456789abcdef0123456789abcdef AccountSid=$TWILIO_ACCOUNT_SID
      "From=+15551230000" "To=+15550199" CallStatus=ringing Direction=inbound ApiVersion=2010-04-01
      "CallerName=Ann & Bob O'Neil")
post "" "$(sign "$BASE" "${CALL[@]}")" "${CALL[@]}"
[ "$(cat "$T/code")" = 200 ] || fail "signed webhook got $(cat "$T/code")"
grep -q '<Connect action="https://hark.example.com/api/v1/voice-agents/twilio/webhook/connect-status">' "$T/body" \
  || fail "no Connect action: $(cat "$T/body")"
grep -q '<Stream url="wss://hark.example.com/voice/stream/CA0123456789abcdef0123456789abcdef">' "$T/body" \
  || fail "no stream URL: $(cat "$T/body")"
grep -q '<Parameter name="agent" value="front_desk"/>' "$T/body" || fail "no agent parameter"
grep -Eq '<Parameter name="token" value="[^"]{20,}"/>' "$T/body" || fail "no stream token"
grep -q '<Parameter name="from" value="+15551230000"/>' "$T/body" || fail "no from parameter"

# bad or missing signatures: 403, nothing happens
post "" "" "${CALL[@]}"
[ "$(cat "$T/code")" = 403 ] || fail "unsigned webhook got $(cat "$T/code")"
post "" "$(sign "$BASE" "${CALL[@]}" Extra=1)" "${CALL[@]}"
[ "$(cat "$T/code")" = 403 ] || fail "wrongly signed webhook got $(cat "$T/code")"
TAMPER=("${CALL[@]}"); TAMPER[3]="To=+15550000"
post "" "$(sign "$BASE" "${CALL[@]}")" "${TAMPER[@]}"
[ "$(cat "$T/code")" = 403 ] || fail "tampered webhook got $(cat "$T/code")"
curl -s "http://127.0.0.1:$PORT/metrics" >"$T/metrics.txt"
grep -q '^hark_webhooks_rejected_total 3$' "$T/metrics.txt" || fail "rejections not counted"

# an unknown number
UNK=(CallSid=CAffffffffffffffffffffffffffffffff "To=+15559999999" "From=+15551230000")
post "" "$(sign "$BASE" "${UNK[@]}")" "${UNK[@]}"
grep -q '<Say>Sorry, the number you have called is not in service.</Say><Hangup/>' "$T/body" \
  || fail "unknown number: $(cat "$T/body")"

# an outbound call placed by hark dial: the webhook URL names the agent
OUT=(CallSid=CA22222222222222222222222222222222 "To=+15557654321" "From=+15550199" Direction=outbound-api)
post "?agent=front_desk" "$(sign "$BASE?agent=front_desk" "${OUT[@]}")" "${OUT[@]}"
grep -q '<Parameter name="agent" value="front_desk"/>' "$T/body" || fail "outbound agent: $(cat "$T/body")"

# the stream ended: connect action hangs up; status callback is accepted
CS=(CallSid=CA0123456789abcdef0123456789abcdef CallStatus=in-progress)
post /connect-status "$(sign "$BASE/connect-status" "${CS[@]}")" "${CS[@]}"
grep -q '<Hangup/>' "$T/body" || fail "connect-status: $(cat "$T/body")"
ST=(CallSid=CA0123456789abcdef0123456789abcdef CallStatus=completed CallDuration=42)
post /status "$(sign "$BASE/status" "${ST[@]}")" "${ST[@]}"
[ "$(cat "$T/code")" = 204 ] || fail "status callback got $(cat "$T/code")"
grep -q '"event":"call_status".*completed, duration 42' "$T/serve.log" || fail "status not logged"
post /status "bad" "${ST[@]}"
[ "$(cat "$T/code")" = 403 ] || fail "unsigned status callback got $(cat "$T/code")"
echo "ok: twilio webhook"
