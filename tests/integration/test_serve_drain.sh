#!/usr/bin/env bash
# hark serve --workers 2 and a graceful stop: two worker processes share the
# port, and a webhook answered by one gives a token the other accepts (each
# connection's worker is read from ss: the call is placed until its stream
# lands on the worker that did not answer its webhook); SIGTERM during a live
# call turns /healthz to 503 at once, still takes a new call for
# HARK_DRAIN_ACCEPT_SECONDS (the balancer's time to notice), then refuses new
# calls politely (on both workers: the one without calls stays until the
# other is done), lets the live call finish normally, then every process
# exits with status 0.
set -euo pipefail
. "$(dirname "$0")/ports_lib.sh"
HARK=$(realpath "${1:-build/hark}")
FAKE=$(dirname "$HARK")/fake_twilio
T=$(mktemp -d /tmp/hark-drain-XXXXXX)
PORT=$(free_port)
pid=
cleanup() { if [ -n "$pid" ]; then pkill -9 -P "$pid" 2>/dev/null; kill -9 "$pid" 2>/dev/null; fi; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -20 "$T/serve.log" >&2 || true; exit 1; }

export HARK_STORE=memory TWILIO_ACCOUNT_SID=AC55555555555555555555555555555555 TWILIO_AUTH_TOKEN=tok
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$PORT/api/v1/voice-agents/twilio/webhook
export HARK_RECORDINGS_DIR=$T/rec HARK_PORT=$PORT HARK_AGENTS_DIR=agents HARK_DRAIN_SECONDS=60
export HARK_DRAIN_ACCEPT_SECONDS=2
# callers' and agents' words reach the log only at debug (the privacy rule of core/log.h)
export HARK_LOG_LEVEL=debug
"$HARK" serve --workers 2 2>"$T/serve.log" &
pid=$!
for _ in $(seq 50); do [ "$(grep -c '"event":"serve_ready"' "$T/serve.log")" -ge 2 ] && break; sleep 0.1; done
[ "$(grep -c '"event":"serve_ready"' "$T/serve.log")" -eq 2 ] || fail "two workers did not start"
[ "$(pgrep -P "$pid" | wc -l)" -eq 2 ] || fail "expected 2 worker processes under the supervisor"

. "$(dirname "$0")/twilio_lib.sh"
webhook() { # CallSid -> TwiML
  local p=(CallSid=$1 "From=+15551230000" "To=+15550199")
  curl -sf -H "X-Twilio-Signature: $(sign "$TWILIO_WEBHOOK_URL" "${p[@]}")" \
    --data-urlencode "${p[0]}" --data-urlencode "${p[1]}" --data-urlencode "${p[2]}" "$TWILIO_WEBHOOK_URL"
}
"$HARK" synth --text "What are your opening hours" --out "$T/l1.wav"

# The signed webhook, with the worker that took its connection read from
# ss(8) before the body is sent (the socket is open and accepted by then):
# prints "pid token".
webhook_on_worker() { # CallSid
  local sig; sig=$(sign "$TWILIO_WEBHOOK_URL" "CallSid=$1" "From=+15551230000" "To=+15550199")
  python3 - "$PORT" "$1" "$sig" <<'PY'
import re, socket, subprocess, sys, time, urllib.parse
port, sid, sig = int(sys.argv[1]), sys.argv[2], sys.argv[3]
body = urllib.parse.urlencode({"CallSid": sid, "From": "+15551230000", "To": "+15550199"}).encode()
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall((f"POST /api/v1/voice-agents/twilio/webhook HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
           f"X-Twilio-Signature: {sig}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
           f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode())
lport, pid, ss = s.getsockname()[1], None, ""
for _ in range(50):
    ss = subprocess.run(["ss", "-tnpH", "state", "established", f"( sport = :{port} and dport = :{lport} )"],
                        capture_output=True, text=True).stdout
    pid = re.search(r"pid=(\d+)", ss)
    if pid: break
    time.sleep(0.02)
s.sendall(body)
resp = b""
while True:
    d = s.recv(65536)
    if not d: break
    resp += d
    if b"</Response>" in resp: break
twiml = resp.decode(errors="replace")
tok = re.search(r'<Parameter name="token" value="([^"]+)"', twiml)
if not twiml.startswith("HTTP/1.1 200") or not pid or not tok:
    sys.exit(f"webhook: {twiml[:300]!r} / ss: {ss!r}")
print(pid.group(1), tok.group(1))
PY
}

# The live call: its token comes from one worker and its stream must land on
# the other. SO_REUSEPORT picks the worker per connection, so a stream that
# lands on its token's worker is hung up and the call is placed again.
crossed=
for try in $(seq 12); do
  SID=CA$(printf '%032d' $((700 + try)))
  read -r WEBHOOK_PID TOKEN < <(webhook_on_worker $SID) || true
  [ -n "${TOKEN:-}" ] || fail "no token from the webhook for $SID"
  pgrep -P "$pid" | grep -qx "$WEBHOOK_PID" || fail "webhook answered by $WEBHOOK_PID, not a worker of $pid"
  "$FAKE" --url "ws://127.0.0.1:$PORT/voice/stream/$SID" --call-sid $SID --stream-sid MZ$(printf '%032d' $((700 + try))) \
    --param agent=front_desk --param "token=$TOKEN" --caller-wav "$T/l1.wav" --caller-wav "$T/l1.wav" \
    --out "$T/heard.wav" --log "$T/events.jsonl" --max-seconds 60 &
  fake=$!
  for _ in $(seq 100); do grep -q '"event":"call_started","call_id":"'$SID'"' "$T/serve.log" && break; sleep 0.1; done
  grep -q '"event":"call_started","call_id":"'$SID'"' "$T/serve.log" || fail "call did not start"
  STREAM_PID=$(ss -tnpH state established "( sport = :$PORT )" | grep -Eo 'pid=[0-9]+' | sort -u | cut -d= -f2)
  [ "$(echo "$STREAM_PID" | wc -w)" -eq 1 ] || fail "cannot tell the worker holding the stream: '$STREAM_PID'"
  if [ "$STREAM_PID" != "$WEBHOOK_PID" ]; then crossed=1; break; fi
  kill "$fake" 2>/dev/null; wait "$fake" 2>/dev/null || true
  for _ in $(seq 50); do grep -q '"event":"call_ended","call_id":"'$SID'"' "$T/serve.log" && break; sleep 0.1; done
done
[ -n "$crossed" ] || fail "in 12 calls no stream landed on the worker that did not answer its webhook"
pgrep -P "$pid" | grep -qx "$STREAM_PID" || fail "the stream is held by $STREAM_PID, not a worker of $pid"
echo "token from worker $WEBHOOK_PID, stream on worker $STREAM_PID (call $try)"

[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")" = 200 ] || fail "/healthz not 200 before the drain"
kill -TERM "$pid"
# a call that comes before the balancer noticed is still taken (its stream is offered)
twiml=$(webhook CA$(printf '%032d' 200)) || fail "webhook failed right after SIGTERM"
[[ $twiml == *"<Stream"* ]] || fail "a call right after SIGTERM was not taken: $twiml"
for _ in $(seq 50); do [ "$(grep -c '"event":"serve_stopping"' "$T/serve.log")" -ge 2 ] && break; sleep 0.1; done
# /healthz answers 503 on every worker while draining (a load balancer takes the node out)
for i in 1 2 3 4; do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")" = 503 ] || fail "/healthz not 503 while draining"
done
# after HARK_DRAIN_ACCEPT_SECONDS both workers refuse new calls
for _ in $(seq 100); do [ "$(grep -c '"event":"drain_refusing"' "$T/serve.log")" -ge 2 ] && break; sleep 0.1; done
[ "$(grep -c '"event":"drain_refusing"' "$T/serve.log")" -eq 2 ] || fail "the workers did not start refusing"
for i in 1 2 3 4; do
  twiml=$(webhook CA$(printf '%032d' $((100 + i))))
  [[ $twiml == *"cannot take your call right now"* ]] || fail "new call not refused while draining: $twiml"
done
# the worker without calls has had many drain ticks (0.1 s each) by now;
# it still serves, since a listener closed early resets connections queued on it
sleep 0.3
kill -0 "$fake" 2>/dev/null || fail "the live call ended before the check"
[ "$(pgrep -P "$pid" | wc -l)" -eq 2 ] || fail "a worker left while another still drains"
wait "$fake" || fail "the live call did not finish normally"
grep -q '"event":"call_ended","call_id":"'$SID'".*customer-ended-call' "$T/serve.log" || fail "live call ended badly"
grep -q '"event":"assistant_say_text","call_id":"'$SID'".*open Monday to Friday' "$T/serve.log" || fail "the call was not answered"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$pid" 2>/dev/null || fail "serve did not exit after draining"
wait "$pid" || fail "serve exited non-zero"
pid=
echo "ok: serve drain"
