#!/usr/bin/env bash
# bench/call_latency.sh [RUNS] [--realtime]: per-turn latencies of the demo
# call (scripts/demo's lines), over RUNS runs. Prints numbers, asserts nothing.
# Stages: endpointing (caller stopped -> VAD end; the hangover), recognition
# (VAD end -> final transcript), turn logic (transcript -> reply text), speech
# (reply text -> first frame out), and the total the caller feels.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}; shift || true
HARK=${HARK:-build/hark}
T=$(mktemp -d /tmp/hark-bench-XXXXXX); trap 'rm -rf "$T"' EXIT
for i in $(seq 1 "$runs"); do
  HARK_LOG_LEVEL=error "$HARK" call --agent agents/front_desk.lua --quiet \
    --caller-text "Hi, I would like to book an appointment please" \
    --caller-text "Tuesday at ten" \
    --caller-text "No thank you, that is all. Goodbye" \
    --transcript "$T/call$i.json" "$@"
done
cat "$T"/call*.json | awk '
  /"user_end_ms"/   { gsub(/[^0-9]/, "", $2); ue = $2 }
  /"stt_final_ms"/  { gsub(/[^0-9]/, "", $2); sf = $2 }
  /"reply_ready_ms"/{ gsub(/[^0-9]/, "", $2); rr = $2 }
  /"first_audio_ms"/{ gsub(/[^0-9]/, "", $2); fa = $2;
                      n++; stt[n] = sf - ue; dec[n] = sf - ue - 500; logic[n] = rr - sf; tts[n] = fa - rr; tot[n] = fa - ue }
  function stats(name, a,   i, j, t, s) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    for (i = 1; i <= n; i++) s += a[i]
    printf "%-44s mean %6.1f  p50 %5d  max %5d ms\n", name, s / n, a[int((n + 1) / 2)], a[n]
  }
  END {
    printf "turns measured: %d\n", n
    stats("caller stopped -> final transcript", stt)
    stats("  of which decoding after the 500 ms hangover", dec)
    stats("final transcript -> reply text (Lua)", logic)
    stats("reply text -> first frame sent (TTS+pacer)", tts)
    stats("caller stopped -> first agent audio", tot)
  }'
