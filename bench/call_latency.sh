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
cat "$T"/call*.json | awk -v hangover=500 -f bench/turn_latency.awk
