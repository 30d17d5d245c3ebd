#!/usr/bin/env bash
# bench/twilio_latency.sh [TURNS] [BARGE_INS]: phone-path latencies of hark
# serve with the offline providers, measured by the Twilio stand-in
# (tests/fakes/fake_twilio) over real WebSockets at real time:
#   - caller's last frame -> hark's first outbound media frame, per turn;
#   - barge-in: the caller's speech onset -> `clear`, per interruption.
# Prints p50/p99/max. Numbers, not pass/fail. Needs a built tree (build/).
set -euo pipefail
. "$(dirname "$0")/../tests/integration/ports_lib.sh"
cd "$(dirname "$0")/.."
TURNS=${1:-50}; BARGES=${2:-20}
HARK=$PWD/build/hark; FAKE=$PWD/build/fake_twilio
T=$(mktemp -d /tmp/hark-bench-tw-XXXXXX); PORT=$(free_port); pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
export HARK_STORE=memory TWILIO_ACCOUNT_SID=AC66666666666666666666666666666666 TWILIO_AUTH_TOKEN=tok
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$PORT/api/v1/voice-agents/twilio/webhook
export TWILIO_API_BASE_URL=http://127.0.0.1:1 HARK_RECORDINGS_DIR=$T/rec HARK_PORT=$PORT HARK_LOG_LEVEL=error
"$HARK" serve --workers 1 2>"$T/serve.log" & pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
token() {
  local p=(CallSid=$1 "From=+15551230000" "To=+15550199") s=$TWILIO_WEBHOOK_URL
  while IFS= read -r kv; do s+="${kv%%=*}${kv#*=}"; done < <(printf '%s\n' "${p[@]}" | LC_ALL=C sort -t= -k1,1)
  curl -sf -H "X-Twilio-Signature: $(printf '%s' "$s" | openssl dgst -sha1 -hmac tok -binary | base64)" \
    --data-urlencode "${p[0]}" --data-urlencode "${p[1]}" --data-urlencode "${p[2]}" "$TWILIO_WEBHOOK_URL" \
    | grep -Eo 'name="token" value="[^"]+"' | sed -E 's/.*value="//; s/"$//'
}
"$HARK" synth --text "What are your opening hours" --out "$T/hours.wav"
"$HARK" synth --text "Can I speak to a person" --out "$T/person.wav"
n=0; call=0
while [ "$n" -lt "$TURNS" ]; do
  call=$((call + 1)); sid=CA$(printf '%032d' $call); lines=()
  for i in $(seq 1 10); do lines+=(--caller-wav "$T/$([ $((i % 2)) = 1 ] && echo hours || echo person).wav"); done
  "$FAKE" --url "ws://127.0.0.1:$PORT/voice/stream/$sid" --call-sid $sid --stream-sid MZ$(printf '%032d' $call) \
    --param agent=front_desk --param "token=$(token $sid)" "${lines[@]}" --out "$T/h.wav" \
    --log "$T/turns-$call.jsonl" --max-seconds 120 >/dev/null 2>&1 || true
  n=$((n + $(grep -c '"event":"agent_media_first"' "$T/turns-$call.jsonl" || true) - 1))
done
for b in $(seq 1 "$BARGES"); do
  call=$((call + 1)); sid=CA$(printf '%032d' $call)
  "$FAKE" --url "ws://127.0.0.1:$PORT/voice/stream/$sid" --call-sid $sid --stream-sid MZ$(printf '%032d' $call) \
    --param agent=front_desk --param "token=$(token $sid)" --caller-wav "$T/hours.wav" --barge-in-ms 1000 \
    --out "$T/h.wav" --log "$T/barge-$call.jsonl" --max-seconds 30 >/dev/null 2>&1 || true
done
stats() { sort -n | awk -v name="$1" '{ a[NR] = $1 } END { if (!NR) { print name ": no samples"; exit }
  printf "%-46s n=%d  p50 %5.0f  p99 %5.0f  max %5.0f ms\n", name, NR, a[int((NR + 1) / 2)], a[int(NR * 0.99 + 0.999)], a[NR] }'; }
# the greeting is not a reply: skip after_line 0
cat "$T"/turns-*.jsonl | grep '"event":"agent_media_first"' | grep -v '"after_line":0' \
  | grep -Eo '"latency_ms":[0-9.]+' | cut -d: -f2 | stats "caller's last frame -> first agent media frame"
for f in "$T"/barge-*.jsonl; do
  on=$(grep '"event":"line_start"' "$f" | grep '"over_agent":true' | head -1 | grep -Eo '"t":[0-9.]+' | cut -d: -f2)
  cl=$(grep '"event":"clear_received"' "$f" | head -1 | grep -Eo '"t":[0-9.]+' | cut -d: -f2)
  [ -n "$on" ] && [ -n "$cl" ] && awk -v a="$on" -v b="$cl" 'BEGIN { print b - a }'
done | stats "barge-in: caller speech onset -> clear"
