#!/usr/bin/env bash
# bench/soak.sh [--total 10000] [--concurrency 50] [--seconds 3] [--store postgres|memory]
#               [--build DIR]
# Many short calls through one worker: `hark serve --workers 1` pinned to core
# 0, bench/loadgen (and PostgreSQL) on core 1, --total calls of --seconds each,
# --concurrency at once (a new call as one ends), the agent of
# bench/agents/scale_offline.lua speaking its cached greeting to silent
# callers. Prints the worker's RSS after the first 1,000 calls (a tenth of
# --total when smaller) and after the
# soak (goal: within 10%), open fds and armed call timers (GET /metrics
# hark_timers_armed) before and after, and failed calls. The default store is
# a private PostgreSQL (scripts/pg, no fsync): the memory store keeps every
# call, so RSS grows with it by design. Defaults take about 10 minutes.
set -euo pipefail
. "$(dirname "$0")/../tests/integration/ports_lib.sh"
cd "$(dirname "$0")/.."
TOTAL=10000 CONC=50 SECS=3 STORE=postgres BUILD=${HARK_BUILD:-build}
while [ $# -gt 0 ]; do
  case $1 in
    --total) TOTAL=$2; shift ;;
    --concurrency) CONC=$2; shift ;;
    --seconds) SECS=$2; shift ;;
    --store) STORE=$2; shift ;;
    --build) BUILD=$2; shift ;;
    *) echo "usage: bench/soak.sh [--total N] [--concurrency C] [--seconds S] [--store postgres|memory] [--build DIR]" >&2; exit 2 ;;
  esac
  shift
done
HARK=$PWD/$BUILD/hark LOADGEN=$PWD/$BUILD/loadgen
for b in "$HARK" "$LOADGEN"; do [ -x "$b" ] || { echo "missing $b (build first)" >&2; exit 2; }; done
T=$(mktemp -d /tmp/hark-soak-XXXXXX) pid= PORT=$(free_port) PGPORT=$(free_port)
export HARK_PG_PORT=$PGPORT HARK_PG_FAST=1 # the cluster dir: scripts/pg picks one postgres can enter
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ "$STORE" = postgres ] && scripts/pg stop --purge >/dev/null 2>&1 || true
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

export TWILIO_ACCOUNT_SID=AC88888888888888888888888888888888 TWILIO_AUTH_TOKEN=soak-tok
export TWILIO_API_BASE_URL=http://127.0.0.1:1 HARK_RECORDINGS_DIR=$T/rec HARK_LOG_LEVEL=error
export HARK_AGENTS_DIR=bench/agents HARK_MAX_CONNECTIONS=20000 HARK_STREAM_SECRET=soak-$RANDOM$RANDOM
export HARK_PORT=$PORT TWILIO_WEBHOOK_URL=http://127.0.0.1:$PORT/api/v1/voice-agents/twilio/webhook
export HARK_SPOOL_PATH=$T/spool.jsonl HARK_STORE=$STORE
if [ "$STORE" = postgres ]; then
  DATABASE_URL=$(taskset -c 1 scripts/pg start) && export DATABASE_URL
  "$HARK" migrate >/dev/null
fi
taskset -c 0 "$HARK" serve --workers 1 2>"$T/serve.log" & pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
pids=(--pid "$pid")
for p in $(pgrep -P "$pid" || true); do pids+=(--pid "$p"); done
common=(--webhook-url "$TWILIO_WEBHOOK_URL" --auth-token "$TWILIO_AUTH_TOKEN" --account-sid "$TWILIO_ACCOUNT_SID" --to +15550901)
metric() { curl -sf "http://127.0.0.1:$PORT/metrics" | sed -n "s/^$1 //p"; }
taskset -c 1 "$LOADGEN" "${common[@]}" --calls 1 --call-seconds 2 >/dev/null 2>&1 || true
sleep 2
timers0=$(metric hark_timers_armed) active0=$(metric hark_active_calls)
MARK=$(( TOTAL >= 10000 ? 1000 : (TOTAL + 9) / 10 ))
t0=$(date +%s)
taskset -c 1 "$LOADGEN" "${common[@]}" "${pids[@]}" --calls "$CONC" --total "$TOTAL" --soak-mark "$MARK" \
  --ramp-per-sec 50 --call-seconds "$SECS" --expect-ms 49371 >"$T/soak.json" 2>"$T/soak.err" || true
t1=$(date +%s)
for _ in $(seq 100); do [ "$(metric hark_active_calls)" = 0 ] && break; sleep 0.2; done
sleep 3
timers1=$(metric hark_timers_armed) active1=$(metric hark_active_calls)
fds1=$(ls /proc/$pid/fd | wc -l) rss1=$(awk '/VmRSS/ { print $2 }' /proc/$pid/status)
f() { grep -Eo "\"$1\":[-0-9.]+" "$T/soak.json" | head -1 | cut -d: -f2; }
echo "soak: $TOTAL calls of ${SECS} s, $CONC at once, store $STORE, $((t1 - t0)) s"
echo "  calls connected $(f connected), failed $(f failed), dropped by hark $(f closed_by_hark); audio delivered $(f delivered_pct)%"
echo "  RSS after the first $MARK calls: $(f rss_mark_mb) MB; after the soak: $(awk -v k="$rss1" 'BEGIN { printf "%.1f", k / 1024 }') MB" \
  "($(awk -v a="$(f rss_mark_mb)" -v k="$rss1" 'BEGIN { printf "%+.1f", (a > 0 ? (k / 1024 - a) / a * 100 : 0) }')%)"
echo "  open fds: before $(f fds_base), after $MARK calls $(f fds_mark), after the soak $fds1"
echo "  armed timers: before $timers0, after the soak $timers1; active calls before $active0, after $active1"
echo "  gaps p50 $(f gap_p50_ms) p99 $(f gap_p99_ms) max $(f gap_max_ms) ms"
