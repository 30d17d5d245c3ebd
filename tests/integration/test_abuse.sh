#!/usr/bin/env bash
# A stranger's worst over loopback, while a real call runs: long request lines,
# huge and many headers, chunked and 10 MB bodies, slow headers (40
# connections a byte at a time), 1,000 upgraded sockets that never send start,
# garbage and oversized WebSocket frames (tests/integration/abuse_client.py).
# hark answers 4xx, closes what has no deadline left, its RSS stays within
# 160 MB of where it started (~7 MB in a plain build), it keeps serving, and the call completes.
set -euo pipefail
. "$(dirname "$0")/ports_lib.sh"
HARK=$(realpath "${1:-build/hark}")
FAKE=$(dirname "$HARK")/fake_twilio
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/hark-abuse-XXXXXX)
PORT=$(free_port)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; grep -v '"level":"info"' "$T/serve.log" | tail -20 >&2 || true; exit 1; }
. "$HERE/twilio_lib.sh"
# 1,000 idle sockets on each side, plus the rest
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge 2500 ] || { echo "SKIP: need 2500 open files (ulimit -n is $(ulimit -n))"; exit 77; }

export HARK_STORE=memory TWILIO_ACCOUNT_SID=AC77777777777777777777777777777777 TWILIO_AUTH_TOKEN=tok
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$PORT/api/v1/voice-agents/twilio/webhook
export TWILIO_API_BASE_URL=http://127.0.0.1:1 HARK_RECORDINGS_DIR=$T/rec HARK_PORT=$PORT HARK_AGENTS_DIR=agents
"$HARK" serve 2>"$T/serve.log" &
pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
"$HARK" synth --text "What are your opening hours" --out "$T/hours.wav"

SID=CA$(printf '%032d' 4242)
"$FAKE" --url "ws://127.0.0.1:$PORT/voice/stream/$SID" --call-sid "$SID" --stream-sid MZ$(printf '%032d' 4242) \
  --param agent=front_desk --param "token=$(stream_token "$SID")" --caller-wav "$T/hours.wav" \
  --out "$T/call.wav" --log "$T/call.jsonl" --max-seconds 50 >"$T/call.out" 2>&1 &
call=$!

timeout 90 python3 "$HERE/abuse_client.py" "$PORT" "$pid" | tee "$T/abuse.out" \
  || fail "abuse checks: $(grep FAIL "$T/abuse.out" || echo timeout)"
kill -0 "$pid" 2>/dev/null || fail "hark serve died"
wait "$call" || fail "the call during the abuse did not complete: $(tail -3 "$T/call.out")"
grep -q '"event":"user_turn","call_id":"'"$SID"'"' "$T/serve.log" \
  || fail "the caller's question during the abuse was not heard"
[ "$(grep -c '"event":"assistant_say","call_id":"'"$SID"'"' "$T/serve.log")" -ge 2 ] \
  || fail "the call during the abuse was not answered"
# a replayed token: the same call's stream again is refused
"$FAKE" --url "ws://127.0.0.1:$PORT/voice/stream/$SID" --call-sid "$SID" --stream-sid MZ2 \
  --param agent=front_desk --param "token=$(stream_token "$SID")" --caller-wav "$T/hours.wav" \
  --out "$T/call2.wav" --log "$T/call2.jsonl" --max-seconds 10 >"$T/call2.out" 2>&1 || true
grep -q '"event":"stream_rejected","call_id":"'"$SID"'".*works once' "$T/serve.log" \
  || fail "a second stream for the same CallSid was not refused"
curl -sf "http://127.0.0.1:$PORT/healthz" | grep -q ok || fail "server stopped serving"
# refusals are not logged per connection at info or above
[ "$(grep -c '"level":"warn"' "$T/serve.log")" -lt 50 ] || fail "abuse flooded the log with warnings"
echo "ok: abuse"
