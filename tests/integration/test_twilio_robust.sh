#!/usr/bin/env bash
# Bad Media Streams peers affect only their own stream: while one call runs
# normally, other streams send unknown events (ignored: that call completes),
# malformed messages (that stream is closed after a few, logged) and an
# oversized message (that stream is closed, logged). The good call completes
# and the server keeps serving.
set -euo pipefail
. "$(dirname "$0")/ports_lib.sh"
HARK=$(realpath "${1:-build/hark}")
FAKE=$(dirname "$HARK")/fake_twilio
T=$(mktemp -d /tmp/hark-robust-XXXXXX)
PORT=$(free_port)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; grep -v '"level":"info"' "$T/serve.log" | tail -20 >&2 || true; exit 1; }
. "$(dirname "$0")/twilio_lib.sh"

export HARK_STORE=memory TWILIO_ACCOUNT_SID=AC77777777777777777777777777777777 TWILIO_AUTH_TOKEN=tok
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$PORT/api/v1/voice-agents/twilio/webhook
export TWILIO_API_BASE_URL=http://127.0.0.1:1 HARK_RECORDINGS_DIR=$T/rec HARK_PORT=$PORT HARK_AGENTS_DIR=agents
# callers' and agents' words reach the log only at debug (the privacy rule of core/log.h)
export HARK_LOG_LEVEL=debug
"$HARK" serve 2>"$T/serve.log" &
pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
"$HARK" synth --text "What are your opening hours" --out "$T/hours.wav"

run() { # n junk-kind -> runs a fake call in the background, pid in $!
  local sid=CA$(printf '%032d' "$1")
  "$FAKE" --url "ws://127.0.0.1:$PORT/voice/stream/$sid" --call-sid "$sid" --stream-sid MZ$(printf '%032d' "$1") \
    --param agent=front_desk --param "token=$(stream_token "$sid")" --caller-wav "$T/hours.wav" \
    ${2:+--junk $2} --out "$T/h$1.wav" --log "$T/e$1.jsonl" --max-seconds 40 >"$T/f$1.out" 2>&1 &
}
run 1; good=$!
run 2 unknown; unknown=$!
run 3 garbage; garbage=$!
run 4 oversized; oversized=$!
wait "$good" || fail "the good call did not complete"
wait "$unknown" || fail "unknown events broke a call"
wait "$garbage" && fail "a stream sending garbage was kept open" || true
wait "$oversized" && fail "a stream sending an oversized message was kept open" || true
sid() { printf 'CA%032d' "$1"; }
grep -q '"event":"assistant_say_text","call_id":"'"$(sid 1)"'".*open Monday to Friday' "$T/serve.log" || fail "good call not answered"
grep -q '"event":"assistant_say_text","call_id":"'"$(sid 2)"'".*open Monday to Friday' "$T/serve.log" || fail "unknown-events call not answered"
[ "$(grep -c '"event":"stream_bad_message","call_id":"'"$(sid 3)"'"' "$T/serve.log")" -ge 3 ] || fail "malformed messages not logged"
grep -q '"event":"stream_rejected","call_id":"'"$(sid 3)"'".*too many malformed' "$T/serve.log" || fail "garbage stream not closed"
grep -q '"event":"ws_message_too_big"' "$T/serve.log" || fail "oversized message not logged"
curl -sf "http://127.0.0.1:$PORT/healthz" | grep -q ok || fail "server stopped serving"
echo "ok: twilio robustness"
