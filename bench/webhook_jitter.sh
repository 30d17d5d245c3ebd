#!/usr/bin/env bash
# bench/webhook_jitter.sh [--calls N] [--seconds S] [--build DIR] [--delay S]
# What server messages cost the audio path: the same N silent callers hear
# the long greeting of bench/agents/scale_offline.lua twice, once from an
# agent without a server URL and once from the same agent sending every
# Vapi server message type (status-update, speech-update, transcript,
# conversation-update, hang, end-of-call-report, ...) to a receiver that
# answers each POST only after --delay seconds (default 5: a slow customer
# server). hark serve runs pinned to core 0, bench/loadgen to core 1.
# Prints outbound frame gaps (p50/p99/max, % over 40 ms) and audio
# delivered for both runs; the two rows should match (webhooks never touch
# the pacer). Numbers, not pass/fail.
set -euo pipefail
cd "$(dirname "$0")/.."
N=100 SECS=20 BUILD=${HARK_BUILD:-build} DELAY=5
while [ $# -gt 0 ]; do
  case $1 in
    --calls) N=$2; shift ;;
    --seconds) SECS=$2; shift ;;
    --build) BUILD=$2; shift ;;
    --delay) DELAY=$2; shift ;;
    *) echo "usage: bench/webhook_jitter.sh [--calls N] [--seconds S] [--build DIR] [--delay S]" >&2; exit 2 ;;
  esac
  shift
done
HARK=$PWD/$BUILD/hark LOADGEN=$PWD/$BUILD/loadgen
for b in "$HARK" "$LOADGEN"; do [ -x "$b" ] || { echo "missing $b (build first)" >&2; exit 2; }; done
. tests/integration/ports_lib.sh
T=$(mktemp -d /tmp/hark-whjit-XXXXXX) pid= rpid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ -n "$rpid" ] && kill "$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# the slow receiver: every POST answered 200 after DELAY seconds, counted
RPORT=$(free_port)
python3 - "$RPORT" "$DELAY" "$T/received" <<'PY' &
import sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
port, delay, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
n = [0]
lock = threading.Lock()
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            n[0] += 1
            open(out, "w").write(str(n[0]))
        time.sleep(delay)
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY
rpid=$!

mkdir -p "$T/plain" "$T/hooked"
cp bench/agents/scale_offline.lua "$T/plain/agent.lua"
sed "s|^  system_prompt = |  server = { url = \"http://127.0.0.1:$RPORT/hook\", messages = { \"status-update\", \"end-of-call-report\", \"speech-update\", \"transcript\", \"conversation-update\", \"hang\", \"user-interrupted\" } },\n  system_prompt = |" \
  bench/agents/scale_offline.lua >"$T/hooked/agent.lua"
grep -q "127.0.0.1:$RPORT" "$T/hooked/agent.lua" || { echo "could not add the server to the agent" >&2; exit 1; }

GREETING=$(sed -n 's/^  first_message = "\(.*\)",$/\1/p' bench/agents/scale_offline.lua)
"$HARK" synth --text "$GREETING" --voice en-us --wpm 175 --rate 8000 --out "$T/greeting.wav" 2>/dev/null
GREET_MS=$(( ($(stat -c %s "$T/greeting.wav") - 44) / 16 ))

export HARK_STORE=memory TWILIO_ACCOUNT_SID=AC77777777777777777777777777777777 TWILIO_AUTH_TOKEN=jit-tok
export TWILIO_API_BASE_URL=http://127.0.0.1:1 HARK_RECORDINGS_DIR=$T/rec HARK_LOG_LEVEL=error
export HARK_MAX_CONNECTIONS=20000 HARK_STREAM_SECRET=jit-$RANDOM$RANDOM HARK_SPOOL_PATH=$T/spool.jsonl

field() { grep -Eo "\"$1\":[-0-9.]+" "$T/r.json" | head -1 | cut -d: -f2; }
printf '%-22s %5s %6s %6s %7s %7s %8s %9s\n' run N p50 p99 max ">40ms%" deliv% webhooks
for kind in plain hooked; do
  port=$(free_port)
  export HARK_PORT=$port HARK_AGENTS_DIR=$T/$kind
  export TWILIO_WEBHOOK_URL=http://127.0.0.1:$port/api/v1/voice-agents/twilio/webhook
  rm -f "$T/received" "$T"/spool*
  taskset -c 0 "$HARK" serve --workers 1 2>"$T/serve-$kind.log" & pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  common=(--webhook-url "$TWILIO_WEBHOOK_URL" --auth-token "$TWILIO_AUTH_TOKEN"
    --account-sid "$TWILIO_ACCOUNT_SID" --to +15550901)
  taskset -c 1 "$LOADGEN" "${common[@]}" --calls 1 --call-seconds 3 >/dev/null 2>&1 || true # cache the greeting
  sleep 1
  taskset -c 1 "$LOADGEN" "${common[@]}" --pid "$pid" --calls "$N" --ramp-per-sec 100 \
    --call-seconds "$SECS" --expect-ms "$GREET_MS" >"$T/r.json" 2>"$T/lg-$kind.err" || true
  kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  pid=
  label=$([ "$kind" = plain ] && echo "no server URL" || echo "receiver ${DELAY}s late")
  printf '%-22s %5s %6s %6s %7s %7s %8s %9s\n' "$label" "$N" "$(field gap_p50_ms)" \
    "$(field gap_p99_ms)" "$(field gap_max_ms)" "$(field gaps_over_40_pct)" \
    "$(field delivered_pct)" "$(cat "$T/received" 2>/dev/null || echo 0)"
done
