#!/usr/bin/env bash
# bench/deepgram_latency.sh [RUNS] [--build DIR]: per-turn latencies of the
# demo call (bench/call_latency.sh's three caller lines, agents/front_desk.lua)
# with the Deepgram transcriber: the local fake (tests/fakes/fake_deepgram,
# its script the same three lines, one fresh fake per run) over loopback at
# real time. hark's settings come from the environment, so
# HARK_DEEPGRAM_CHUNK_MS=20 bench/deepgram_latency.sh measures 20 ms messages.
# Prints numbers, asserts nothing. Stages as in call_latency.sh; "caller
# stopped -> final transcript" is what the audio's cutting into messages can
# change (Deepgram's speech_final or Finalize's answer).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=5 BUILD=${HARK_BUILD:-build}
while [ $# -gt 0 ]; do
  case $1 in
    --build) BUILD=$2; shift ;;
    [0-9]*) runs=$1 ;;
    *) echo "usage: bench/deepgram_latency.sh [RUNS] [--build DIR]" >&2; exit 2 ;;
  esac
  shift
done
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
HARK=$BUILD/hark DG=$BUILD/fake_deepgram
T=$(mktemp -d /tmp/hark-bench-dg-XXXXXX) dpid=
cleanup() { [ -n "$dpid" ] && kill "$dpid" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
L1="Hi, I would like to book an appointment please" L2="Tuesday at ten" L3="No thank you, that is all. Goodbye"
printf '%s\n' "$L1" "$L2" "$L3" >"$T/script.txt"
sed 's/provider = "sphinx"/provider = "deepgram"/' agents/front_desk.lua >"$T/front_desk_dg.lua"
export DEEPGRAM_API_KEY=dg-bench
for i in $(seq 1 "$runs"); do
  "$DG" --port 0 --key dg-bench --script "$T/script.txt" >"$T/dg.port" 2>/dev/null & dpid=$!
  for _ in $(seq 100); do grep -q '^port ' "$T/dg.port" 2>/dev/null && break; sleep 0.05; done
  DEEPGRAM_BASE_URL=ws://127.0.0.1:$(awk '/^port /{print $2; exit}' "$T/dg.port") HARK_LOG_LEVEL=error \
    "$HARK" call --agent "$T/front_desk_dg.lua" --quiet --caller-text "$L1" --caller-text "$L2" \
    --caller-text "$L3" --transcript "$T/call$i.json"
  kill "$dpid" 2>/dev/null; wait "$dpid" 2>/dev/null || true; dpid=
done
cat "$T"/call*.json | awk -f bench/turn_latency.awk
