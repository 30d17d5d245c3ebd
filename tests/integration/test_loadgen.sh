#!/usr/bin/env bash
# bench/loadgen against hark serve with a handful of callers, so the load
# generator of bench/scale.sh and bench/soak.sh cannot rot: every caller gets
# its stream through the signed webhook and connects, hark speaks the cached
# greeting of bench/agents/scale_offline.lua to each (>= 90% of the audio the
# calls' length allows arrives), marks come and are echoed, no caller fails or
# is dropped by hark, no message is malformed, and /proc numbers are read.
# Then a tiny soak (sequential short calls, --total): all calls run and the
# worker's fds go back to where they were. Last, bench/floor_server (the
# transport floor scale.sh compares hark with) serves 4 callers the same way.
set -euo pipefail
. "$(dirname "$0")/ports_lib.sh"
HARK=$(realpath "${1:-build/hark}")
LOADGEN=$(dirname "$HARK")/loadgen
T=$(mktemp -d /tmp/hark-loadgen-XXXXXX)
PORT=$(free_port)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; cat "$T"/*.err >&2 || true; tail -20 "$T/serve.log" >&2 || true; exit 1; }

export HARK_STORE=memory TWILIO_ACCOUNT_SID=AC55555555555555555555555555555555 TWILIO_AUTH_TOKEN=lg-tok
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$PORT/api/v1/voice-agents/twilio/webhook
export TWILIO_API_BASE_URL=http://127.0.0.1:1 HARK_RECORDINGS_DIR=$T/rec HARK_PORT=$PORT
export HARK_AGENTS_DIR=bench/agents HARK_LOG_LEVEL=warn HARK_STREAM_SECRET=lg-secret-$RANDOM
"$HARK" serve --workers 1 2>"$T/serve.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
pids=(--pid "$pid")
for p in $(pgrep -P "$pid" || true); do pids+=(--pid "$p"); done
common=(--webhook-url "$TWILIO_WEBHOOK_URL" --auth-token "$TWILIO_AUTH_TOKEN" --account-sid "$TWILIO_ACCOUNT_SID" --to +15550901)

# field NAME FILE: a number of loadgen's JSON line
field() { grep -Eo "\"$1\":[-0-9.]+" "$2" | head -1 | cut -d: -f2; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

# a warm-up call: the sphinx model and the greeting's synthesis happen once
"$LOADGEN" "${common[@]}" --calls 1 --call-seconds 3 >"$T/warm.json" 2>"$T/warm.err" || fail "warm-up call failed"

"$LOADGEN" "${common[@]}" "${pids[@]}" --calls 6 --ramp-per-sec 20 --call-seconds 6 --expect-ms 40000 \
  >"$T/run.json" 2>"$T/run.err" || fail "loadgen exited $?"
R=$T/run.json
[ "$(field connected "$R")" = 6 ] || fail "not all callers connected: $(cat "$R")"
[ "$(field failed "$R")" = 0 ] || fail "failed callers: $(cat "$R")"
[ "$(field closed_by_hark "$R")" = 0 ] || fail "hark dropped callers: $(cat "$R")"
[ "$(field bad_messages "$R")" = 0 ] || fail "malformed messages from hark: $(cat "$R")"
ge "$(field delivered_pct "$R")" 90 || fail "audio delivered below 90%: $(cat "$R")"
ge "$(field marks_received "$R")" 6 || fail "no marks: $(cat "$R")"
# a mark whose audio has not played when the call stops stays unechoed: at most one a call
ge "$(field marks_echoed "$R")" $(( $(field marks_received "$R") - 6 )) || fail "marks not echoed: $(cat "$R")"
ge "$(field gaps "$R")" 1000 || fail "too few frame gaps measured: $(cat "$R")"
ge "$(field rss_peak_mb "$R")" 1 || fail "hark's RSS not read: $(cat "$R")"
ge "$(field cpu_pct "$R")" 0 || fail "hark's CPU not measured: $(cat "$R")"

# a wrong auth token: the webhook refuses the signature, the caller fails
"$LOADGEN" --webhook-url "$TWILIO_WEBHOOK_URL" --auth-token wrong --account-sid "$TWILIO_ACCOUNT_SID" \
  --to +15550901 --calls 1 --call-seconds 1 >"$T/bad.json" 2>"$T/bad.err" && fail "a badly signed webhook passed"
[ "$(field failed "$T/bad.json")" = 1 ] || fail "bad signature not counted as failed: $(cat "$T/bad.json")"

# soak mode: 12 calls, 3 at a time, each 1 s
"$LOADGEN" "${common[@]}" "${pids[@]}" --calls 3 --total 12 --soak-mark 6 --call-seconds 1 \
  --expect-ms 40000 >"$T/soak.json" 2>"$T/soak.err" || fail "soak run failed"
S=$T/soak.json
[ "$(field connected "$S")" = 12 ] || fail "soak: not all 12 calls connected: $(cat "$S")"
[ "$(field failed "$S")" = 0 ] || fail "soak: failed calls: $(cat "$S")"
ge "$(field fds_mark "$S")" 1 || fail "soak: fds not read after the mark: $(cat "$S")"
# the worker's fds once the calls have ended (recordings are finished on the
# pool, sockets close): back to what they were before them (+2 slack)
base=$(field fds_base "$S") now=
for _ in $(seq 100); do
  now=$(ls /proc/$pid/fd | wc -l)
  [ "$now" -le $((base + 2)) ] && break
  sleep 0.1
done
[ "$now" -le $((base + 2)) ] || fail "soak: fds leaked: $now open, $base before: $(cat "$S")"

# the floor server: the whole short greeting arrives, paced, with marks
kill "$pid"; wait "$pid" 2>/dev/null || true
"$HARK" synth --text "Hello, this is the floor." --rate 8000 --out "$T/short.wav" 2>/dev/null
SHORT_MS=$(( ($(stat -c %s "$T/short.wav") - 44) / 16 ))
FPORT=$(free_port)
"$(dirname "$HARK")/floor_server" --port "$FPORT" --greeting "$T/short.wav" 2>"$T/floor.err" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$FPORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
"$LOADGEN" --webhook-url "http://127.0.0.1:$FPORT/api/v1/voice-agents/twilio/webhook" --auth-token x \
  --account-sid "$TWILIO_ACCOUNT_SID" --to +15550901 --pid "$pid" --calls 4 --ramp-per-sec 20 \
  --call-seconds $(( SHORT_MS / 1000 + 3 )) --expect-ms "$SHORT_MS" >"$T/floor.json" 2>"$T/floor_lg.err" \
  || fail "loadgen against floor_server exited $?: $(cat "$T/floor.json")"
F=$T/floor.json
[ "$(field failed "$F")" = 0 ] && [ "$(field bad_messages "$F")" = 0 ] || fail "floor: $(cat "$F")"
ge "$(field delivered_pct "$F")" 99 || fail "floor: greeting not delivered: $(cat "$F")"
ge "$(field marks_received "$F")" 4 || fail "floor: no marks: $(cat "$F")"
[ -s "$T/floor.err" ] && fail "floor_server complained: $(cat "$T/floor.err")"
echo "ok: $(cat "$R")"
echo "ok: floor $(cat "$F")"
