#!/usr/bin/env bash
# What callers say stays out of plain logs. A call at HARK_LOG_LEVEL=info
# (the default) logs ids, lengths and timings: not the caller's words, not
# the agent's replies, not keypad digits, and phone numbers only masked
# (+1555***4567). At debug the words are there (the switch works, and the
# info check is not passing on an empty log). The transcript JSON, not the
# log, is where a test reads what was said.
#   1. hark call (simulated caller) at info and at debug
#   2. a phone call through hark serve (webhook, Media Stream, DTMF transfer) at info
set -euo pipefail
. "$(dirname "$0")/ports_lib.sh"
HARK=$(realpath "${1:-build/hark}")
FAKE=$(dirname "$HARK")/fake_twilio
T=$(mktemp -d /tmp/hark-logpriv-XXXXXX)
PORT=$(free_port)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
unset HARK_LOG_LEVEL
export HARK_STORE=memory

FROM=+15551234567 TO=+15559876543
lines=(--caller-text "I would like to book an appointment please" --caller-text "Tuesday at ten"
       --caller-text "No thank you, that is all. Goodbye")

# 1. hark call at info: the call happened (the transcript has the words) ...
HARK_LOG_LEVEL=info "$HARK" call --agent agents/front_desk.lua --from $FROM --to $TO "${lines[@]}" \
  --transcript "$T/info.json" >"$T/info.out" 2>"$T/info.log" || fail "hark call: $(tail -5 "$T/info.log")"
grep -qi 'tuesday' "$T/info.json" || fail "caller's words not in the transcript"
grep -q 'booked for tuesday at ten' "$T/info.json" || fail "the agent's reply is not in the transcript"
grep -q '"event":"user_turn"' "$T/info.log" && grep -q '"event":"assistant_say"' "$T/info.log" \
  || fail "turns are not logged at info at all"
# ... and the log has none of it
leaks() { # file: print what of the call's content the log contains
  grep -Eio 'appointment|tuesday|goodbye|booked for|calling maple street|how can i help|'"${FROM#+}|${TO#+}" "$1" | sort -u | tr '\n' ' ' || true
}
found=$(leaks "$T/info.log")
[ -z "$found" ] || fail "info log carries call content: $found"
grep -q '"event":"call_started".*from +1555\*\*\*4567 to +1555\*\*\*6543' "$T/info.log" \
  || fail "numbers not masked in call_started: $(grep call_started "$T/info.log")"

# at debug the same call logs the words (so the check above can fail)
HARK_LOG_LEVEL=debug "$HARK" call --agent agents/front_desk.lua --from $FROM --to $TO "${lines[@]}" \
  >/dev/null 2>"$T/debug.log" || fail "hark call at debug"
grep -q '"event":"user_turn_text".*tuesday' "$T/debug.log" || fail "debug log lacks the caller's words"
grep -q '"event":"assistant_say_text".*booked for tuesday at ten' "$T/debug.log" || fail "debug log lacks the reply"

# 2. a phone call through hark serve at info: webhook, stream, DTMF 0 (transfer)
export TWILIO_ACCOUNT_SID=AC31313131313131313131313131313131 TWILIO_AUTH_TOKEN=tok
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$PORT/api/v1/voice-agents/twilio/webhook
export TWILIO_API_BASE_URL=http://127.0.0.1:1 HARK_RECORDINGS_DIR=$T/rec HARK_PORT=$PORT HARK_AGENTS_DIR=agents HARK_STREAM_SECRET=log-privacy-secret
HARK_LOG_LEVEL=info "$HARK" serve 2>"$T/serve.log" &
pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
. "$(dirname "$0")/twilio_lib.sh"
"$HARK" synth --text "Tuesday at ten" --out "$T/l1.wav"
SID=CA$(printf '%032d' 31)
P=(CallSid=$SID "From=$FROM" "To=+15550199")
TOKEN=$(curl -sf -H "X-Twilio-Signature: $(sign "$TWILIO_WEBHOOK_URL" "${P[@]}")" \
  --data-urlencode "${P[0]}" --data-urlencode "${P[1]}" --data-urlencode "${P[2]}" "$TWILIO_WEBHOOK_URL" \
  | grep -Eo '<Parameter name="token" value="[^"]+"' | sed -E 's/.*value="//; s/"$//')
[ -n "$TOKEN" ] || fail "no token from the webhook"
"$FAKE" --url "ws://127.0.0.1:$PORT/voice/stream/$SID" --call-sid $SID --stream-sid MZ$(printf '%032d' 31) \
  --param agent=front_desk --param "token=$TOKEN" --param from=$FROM --param to=+15550199 \
  --caller-wav "$T/l1.wav" --dtmf-after-line 1:0 --out "$T/heard.wav" --log "$T/events.jsonl" \
  --max-seconds 40 >/dev/null 2>&1 || true
for _ in $(seq 50); do grep -q '"event":"call_ended","call_id":"'$SID'"' "$T/serve.log" && break; sleep 0.1; done
grep -q '"event":"call_ended","call_id":"'$SID'".*assistant-forwarded-call' "$T/serve.log" \
  || fail "the phone call did not run to its transfer: $(tail -5 "$T/serve.log")"
CS=(CallSid=$SID CallStatus=in-progress)
TURL=$(transfer_url "$SID" +15550100) # the signed URL hark's REST update would redirect to
curl -sf -H "X-Twilio-Signature: $(sign "$TURL" "${CS[@]}")" \
  --data-urlencode "CallSid=$SID" --data-urlencode "CallStatus=in-progress" \
  "$TURL" | grep -q '<Dial>+15550100</Dial>' || fail "connect action did not dial"
grep -q '"event":"user_turn","call_id":"'$SID'"' "$T/serve.log" || fail "the caller's turn was not heard"
grep -q '"event":"dtmf","call_id":"'$SID'","msg":"1 digit(s)"' "$T/serve.log" || fail "dtmf not logged as a count"
grep -q '"event":"call_incoming".*from +1555\*\*\*4567' "$T/serve.log" || fail "caller number not masked in call_incoming"
grep -q '"event":"call_transfer".*dialling \*\*\*00"' "$T/serve.log" || fail "transfer number not masked"
found=$(grep -Eio 'tuesday|calling maple street|how can i help|15551234567|15550100|15550199' "$T/serve.log" | sort -u | tr '\n' ' ' || true)
[ -z "$found" ] || fail "info serve log carries call content: $found"
echo "ok: log privacy"
