#!/usr/bin/env bash
# hark serve --workers 2 and a graceful stop: two worker processes share the
# port (a webhook answered by one gives a token the other accepts); SIGTERM
# during a live call refuses new calls politely, lets the live call finish
# normally, then every process exits with status 0.
set -euo pipefail
HARK=$(realpath "${1:-build/hark}")
FAKE=$(dirname "$HARK")/fake_twilio
T=$(mktemp -d /tmp/hark-drain-XXXXXX)
PORT=$((20000 + RANDOM % 20000))
pid=
cleanup() { if [ -n "$pid" ]; then pkill -9 -P "$pid" 2>/dev/null; kill -9 "$pid" 2>/dev/null; fi; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -20 "$T/serve.log" >&2 || true; exit 1; }

export HARK_STORE=memory TWILIO_ACCOUNT_SID=AC55555555555555555555555555555555 TWILIO_AUTH_TOKEN=tok
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$PORT/api/v1/voice-agents/twilio/webhook
export HARK_RECORDINGS_DIR=$T/rec HARK_PORT=$PORT HARK_AGENTS_DIR=agents HARK_DRAIN_SECONDS=60
# callers' and agents' words reach the log only at debug (the privacy rule of core/log.h)
export HARK_LOG_LEVEL=debug
"$HARK" serve --workers 2 2>"$T/serve.log" &
pid=$!
for _ in $(seq 50); do [ "$(grep -c '"event":"serve_ready"' "$T/serve.log")" -ge 2 ] && break; sleep 0.1; done
[ "$(grep -c '"event":"serve_ready"' "$T/serve.log")" -eq 2 ] || fail "two workers did not start"
[ "$(pgrep -P "$pid" | wc -l)" -eq 2 ] || fail "expected 2 worker processes under the supervisor"

. "$(dirname "$0")/twilio_lib.sh"
webhook() { # CallSid -> TwiML
  local p=(CallSid=$1 "From=+15551230000" "To=+15550199")
  curl -sf -H "X-Twilio-Signature: $(sign "$TWILIO_WEBHOOK_URL" "${p[@]}")" \
    --data-urlencode "${p[0]}" --data-urlencode "${p[1]}" --data-urlencode "${p[2]}" "$TWILIO_WEBHOOK_URL"
}
"$HARK" synth --text "What are your opening hours" --out "$T/l1.wav"
SID=CA$(printf '%032d' 7)
TOKEN=$(stream_token $SID)
"$FAKE" --url "ws://127.0.0.1:$PORT/voice/stream/$SID" --call-sid $SID --stream-sid MZ$(printf '%032d' 7) \
  --param agent=front_desk --param "token=$TOKEN" --caller-wav "$T/l1.wav" \
  --out "$T/heard.wav" --log "$T/events.jsonl" --max-seconds 60 &
fake=$!
for _ in $(seq 100); do grep -q '"event":"call_started","call_id":"'$SID'"' "$T/serve.log" && break; sleep 0.1; done
grep -q '"event":"call_started","call_id":"'$SID'"' "$T/serve.log" || fail "call did not start"

kill -TERM "$pid"
for _ in $(seq 50); do [ "$(grep -c '"event":"serve_stopping"' "$T/serve.log")" -ge 2 ] && break; sleep 0.1; done
# both workers refuse new calls while draining
for i in 1 2 3 4; do
  webhook CA$(printf '%032d' $((100 + i))) | grep -q 'cannot take your call right now' || fail "new call not refused while draining"
done
wait "$fake" || fail "the live call did not finish normally"
grep -q '"event":"call_ended","call_id":"'$SID'".*customer-ended-call' "$T/serve.log" || fail "live call ended badly"
grep -q '"event":"assistant_say_text","call_id":"'$SID'".*open Monday to Friday' "$T/serve.log" || fail "the call was not answered"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$pid" 2>/dev/null || fail "serve did not exit after draining"
wait "$pid" || fail "serve exited non-zero"
pid=
echo "ok: serve drain"
