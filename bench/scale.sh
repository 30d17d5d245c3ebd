#!/usr/bin/env bash
# bench/scale.sh [--quick] [--ns "100 250 ..."] [--kinds "floor offline deepgram"]
#                [--build DIR] [--steady S] [--ramp R]
# Concurrent calls on one core: `hark serve --workers 1` pinned to core 0
# (taskset), bench/loadgen (and the Deepgram fake) pinned to core 1. For each
# transcriber (offline: sphinx with silent callers; deepgram: the local fake,
# tests/fakes/fake_deepgram) and each N, a fresh server gets one warm-up call
# (the long greeting of bench/agents/scale_*.lua lands in the TTS cache), then
# N callers ramped in at R a second stream for ramp + S seconds while the
# agent speaks its greeting. Prints a table: N, hark's CPU% over the steady
# window (every caller streaming), RSS and RSS per call (peak minus the RSS
# after warm-up, over N), outbound frame gaps p50/p99/max, % of gaps over
# 40 ms, % of the greeting's audio delivered, failed calls, and load%: the
# loadgen's own CPU on core 1 over the window (near 100: the load side, not
# hark, is the limit and the row does not measure hark). The floor kind runs
# bench/floor_server in hark's place: hark's own server layer and Media
# Streams messages with no call logic, so a hark row minus the floor row at
# the same N is what hark's calls cost. Stops a series
# when delivery falls below 90%. Numbers, not pass/fail. Default N: 100 250
# 500 1000 2000 4000; --quick: 100 250 500 with a 10 s steady window.
set -euo pipefail
. "$(dirname "$0")/../tests/integration/ports_lib.sh"
cd "$(dirname "$0")/.."
NS="100 250 500 1000 2000 4000" KINDS="floor offline deepgram" BUILD=${HARK_BUILD:-build} STEADY=20 RAMP=200 COLLECT=${HARK_LOADGEN_COLLECT_MS:-0.5}
while [ $# -gt 0 ]; do
  case $1 in
    --quick) NS="100 250 500"; STEADY=10 ;;
    --ns) NS=$2; shift ;;
    --kinds) KINDS=$2; shift ;;
    --build) BUILD=$2; shift ;;
    --steady) STEADY=$2; shift ;;
    --ramp) RAMP=$2; shift ;;
    *) echo "usage: bench/scale.sh [--quick] [--ns LIST] [--kinds LIST] [--build DIR] [--steady S] [--ramp R]" >&2; exit 2 ;;
  esac
  shift
done
HARK=$PWD/$BUILD/hark LOADGEN=$PWD/$BUILD/loadgen DG=$PWD/$BUILD/fake_deepgram FLOOR=$PWD/$BUILD/floor_server
for b in "$HARK" "$LOADGEN" "$DG" "$FLOOR"; do [ -x "$b" ] || { echo "missing $b (build first)" >&2; exit 2; }; done
T=$(mktemp -d /tmp/hark-scale-XXXXXX) pid= dpid=
stop() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null || true
  pid= dpid=
}
cleanup() { stop; [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

GREETING=$(sed -n 's/^  first_message = "\(.*\)",$/\1/p' bench/agents/scale_offline.lua)
"$HARK" synth --text "$GREETING" --voice en-us --wpm 175 --rate 8000 --out "$T/greeting.wav" 2>/dev/null
# the greeting's length in ms (the WAV's data bytes / 16 per ms at 8 kHz 16 bit)
GREET_MS=$(( ($(stat -c %s "$T/greeting.wav") - 44) / 16 ))

export HARK_STORE=memory TWILIO_ACCOUNT_SID=AC77777777777777777777777777777777 TWILIO_AUTH_TOKEN=scale-tok
export TWILIO_API_BASE_URL=http://127.0.0.1:1 HARK_RECORDINGS_DIR=$T/rec HARK_LOG_LEVEL=${HARK_LOG_LEVEL:-error}
export HARK_AGENTS_DIR=bench/agents HARK_MAX_CONNECTIONS=20000 HARK_STREAM_SECRET=scale-$RANDOM$RANDOM
export DEEPGRAM_API_KEY=dg-scale

run() { # kind N -> one JSON line in $T/r.json
  local kind=$1 n=$2 to port=$(free_port)
  export HARK_PORT=$port TWILIO_WEBHOOK_URL=http://127.0.0.1:$port/api/v1/voice-agents/twilio/webhook
  if [ "$kind" = deepgram ]; then
    to=+15550902
    taskset -c 1 "$DG" --port 0 --key dg-scale >"$T/dg.port" 2>"$T/dg.log" & dpid=$!
    for _ in $(seq 50); do grep -q port "$T/dg.port" 2>/dev/null && break; sleep 0.1; done
    export DEEPGRAM_BASE_URL=ws://127.0.0.1:$(grep -Eo '[0-9]+' "$T/dg.port" | head -1)
  else
    to=+15550901
  fi
  if [ "$kind" = floor ]; then
    taskset -c 0 "$FLOOR" --port "$port" --greeting "$T/greeting.wav" 2>"$T/serve-$kind-$n.log" & pid=$!
  else
    taskset -c 0 "$HARK" serve --workers 1 2>"$T/serve-$kind-$n.log" & pid=$!
  fi
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  local pids=(--pid "$pid") p
  for p in $(pgrep -P "$pid" || true); do pids+=(--pid "$p"); done
  local common=(--webhook-url "$TWILIO_WEBHOOK_URL" --auth-token "$TWILIO_AUTH_TOKEN"
    --account-sid "$TWILIO_ACCOUNT_SID" --to "$to")
  # warm-up: the greeting is synthesised once and cached
  taskset -c 1 "$LOADGEN" "${common[@]}" --calls 1 --call-seconds 3 >/dev/null 2>&1 || true
  sleep 1
  local secs=$(( n / RAMP + STEADY + 2 ))
  taskset -c 1 "$LOADGEN" "${common[@]}" "${pids[@]}" --calls "$n" --ramp-per-sec "$RAMP" --collect-ms "$COLLECT" \
    --call-seconds "$secs" --expect-ms "$GREET_MS" >"$T/r.json" 2>"$T/lg-$kind-$n.err" || true
  stop
}

field() { grep -Eo "\"$1\":[-0-9.]+" "$T/r.json" | head -1 | cut -d: -f2; }
echo "greeting ${GREET_MS} ms; ramp ${RAMP}/s; steady window ${STEADY} s; hark on core 0, load on core 1"
printf '%-9s %5s %6s %7s %8s %6s %6s %7s %7s %8s %6s %6s\n' transcr N "CPU%" "RSS MB" "KB/call" \
  p50 p99 max ">40ms%" deliv% failed "load%"
for kind in $KINDS; do
  for n in $NS; do
    run "$kind" "$n"
    if [ ! -s "$T/r.json" ]; then echo "$kind $n: loadgen printed nothing: $(tail -3 "$T/lg-$kind-$n.err")"; break; fi
    printf '%-9s %5s %6s %7s %8s %6s %6s %7s %7s %8s %6s %6s\n' "$kind" "$n" "$(field cpu_pct)" \
      "$(field rss_peak_mb)" "$(field rss_per_call_kb)" "$(field gap_p50_ms)" "$(field gap_p99_ms)" \
      "$(field gap_max_ms)" "$(field gaps_over_40_pct)" "$(field delivered_pct)" "$(field failed)" \
      "$(field loadgen_steady_cpu_pct)"
    d=$(field delivered_pct)
    awk -v d="$d" 'BEGIN { exit !(d < 90) }' && { echo "$kind: delivery collapsed at N=$n, stopping"; break; }
  done
done
