#!/usr/bin/env bash
# hark serve --workers 2 and the signals a terminal and a crash send:
#   1. Ctrl-C at a terminal (SIGINT to the whole foreground process group)
#      during a live call drains once: the call finishes normally (a worker in
#      the group would also get the supervisor's forwarded copy, a second
#      signal, and stop at once, cutting the call), then all exit 0;
#   2. a worker that crashes (SIGSEGV) is started again and serves; one that
#      keeps crashing (a sixth time within a minute) stays down, logged, and
#      the node's exit status says so;
#   3. a supervisor killed with SIGKILL leaves no orphan workers: they get
#      SIGTERM and exit.
set -euo pipefail
. "$(dirname "$0")/ports_lib.sh"
. "$(dirname "$0")/twilio_lib.sh"
HARK=$(realpath "${1:-build/hark}")
FAKE=$(dirname "$HARK")/fake_twilio
T=$(mktemp -d /tmp/hark-signals-XXXXXX)
PORT=$(free_port)
pid= workers=
cleanup() {
  [ -n "$pid" ] && kill -9 -- -"$pid" 2>/dev/null
  for w in $workers; do kill -9 "$w" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -20 "$T/serve.log" >&2 || true; exit 1; }

export HARK_STORE=memory TWILIO_ACCOUNT_SID=AC55555555555555555555555555555555 TWILIO_AUTH_TOKEN=tok
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$PORT/api/v1/voice-agents/twilio/webhook
export HARK_RECORDINGS_DIR=$T/rec HARK_PORT=$PORT HARK_AGENTS_DIR=agents HARK_DRAIN_SECONDS=60
export HARK_LOG_LEVEL=info

start_serve() {
  : >"$T/serve.log"
  # its own session and process group, as a shell gives a foreground job
  setsid "$HARK" serve --workers 2 2>>"$T/serve.log" &
  pid=$!
  for _ in $(seq 100); do [ "$(grep -c '"event":"serve_ready"' "$T/serve.log")" -ge 2 ] && break; sleep 0.1; done
  [ "$(grep -c '"event":"serve_ready"' "$T/serve.log")" -eq 2 ] || fail "two workers did not start"
  workers=$(pgrep -P "$pid" | tr '\n' ' ')
  [ "$(echo $workers | wc -w)" -eq 2 ] || fail "expected 2 workers under $pid: '$workers'"
}

# ---- 1. Ctrl-C during a live call ----------------------------------------
start_serve
"$HARK" synth --text "What are your opening hours" --out "$T/l1.wav"
SID=CA$(printf '%032d' 901)
TOKEN=$(stream_token "$SID") || fail "no stream token"
[ -n "$TOKEN" ] || fail "no stream token"
"$FAKE" --url "ws://127.0.0.1:$PORT/voice/stream/$SID" --call-sid "$SID" --stream-sid MZ$(printf '%032d' 901) \
  --param agent=front_desk --param "token=$TOKEN" --caller-wav "$T/l1.wav" \
  --out "$T/heard.wav" --log "$T/events.jsonl" --max-seconds 60 >"$T/fake.out" 2>&1 &
fake=$!
for _ in $(seq 100); do grep -q '"event":"call_started","call_id":"'$SID'"' "$T/serve.log" && break; sleep 0.1; done
grep -q '"event":"call_started","call_id":"'$SID'"' "$T/serve.log" || fail "call did not start"
kill -INT -- -"$pid" # what the terminal does on Ctrl-C
wait "$fake" || fail "the live call was cut by Ctrl-C: $(cat "$T/fake.out")"
grep -q '"event":"call_ended","call_id":"'$SID'".*customer-ended-call' "$T/serve.log" || fail "live call ended badly"
[ "$(grep -c '"event":"serve_stopping"' "$T/serve.log")" -eq 2 ] || fail "each worker should drain once"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$pid" 2>/dev/null || fail "serve did not exit after Ctrl-C"
wait "$pid" || fail "serve exited non-zero after Ctrl-C"
pid= workers=

# ---- 2. a crashing worker ------------------------------------------------
start_serve
victim=$(echo $workers | cut -d' ' -f1)
for round in 1 2 3 4 5 6; do
  kill -SEGV "$victim"
  if [ "$round" -le 5 ]; then
    for _ in $(seq 150); do [ "$(grep -c '"event":"worker_restarted"' "$T/serve.log")" -ge "$round" ] && break; sleep 0.1; done
    [ "$(grep -c '"event":"worker_restarted"' "$T/serve.log")" -eq "$round" ] || fail "crash $round: the worker was not started again"
    for _ in $(seq 150); do [ "$(grep -c '"event":"serve_ready"' "$T/serve.log")" -ge $((2 + round)) ] && break; sleep 0.1; done
    [ "$(grep -c '"event":"serve_ready"' "$T/serve.log")" -eq $((2 + round)) ] || fail "crash $round: the new worker is not serving"
    now=$(pgrep -P "$pid" | tr '\n' ' ')
    [ "$(echo $now | wc -w)" -eq 2 ] || fail "crash $round: workers '$now'"
    victim=$(grep -o '"event":"worker_restarted".*' "$T/serve.log" | tail -1 | grep -Eo 'as pid [0-9]+' | grep -Eo '[0-9]+')
    echo " $now " | grep -q " $victim " || fail "crash $round: pid $victim of the log is not a worker ($now)"
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")" = 200 ] || fail "crash $round: /healthz"
  fi
done
for _ in $(seq 100); do grep -q '"event":"worker_down"' "$T/serve.log" && break; sleep 0.1; done
grep -q '"event":"worker_down".*not restarted' "$T/serve.log" || fail "a worker crashing 6 times a minute was started again"
[ "$(pgrep -P "$pid" | wc -l)" -eq 1 ] || fail "expected the one healthy worker left"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")" = 200 ] || fail "the healthy worker stopped serving"
kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; set -e
[ "$rc" -ne 0 ] || fail "the node exited 0 although a worker stayed down"
pid= workers=

# ---- 3. the supervisor killed outright -----------------------------------
start_serve
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=
left=
for _ in $(seq 100); do
  left=
  for w in $workers; do kill -0 "$w" 2>/dev/null && left+="$w "; done
  [ -z "$left" ] && break
  sleep 0.1
done
[ -z "$left" ] || fail "workers $left outlived their supervisor"
grep -q '"event":"serve_stopping","msg":"signal 15' "$T/serve.log" || fail "the orphaned workers did not drain on SIGTERM"
workers=
echo "ok: serve signals"
