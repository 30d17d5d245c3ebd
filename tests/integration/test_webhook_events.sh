#!/usr/bin/env bash
# Vapi server messages from a call's events (api/webhooks over agent/
# call_events), to a real receiver (tests/integration/server_url_receiver.py):
# 1. `hark call`, default server messages: the caller talks over a long
#    greeting and the agent is slow to answer (hang_timeout = 1, the hook
#    sleeps 2 s): status-update, end-of-call-report, speech-update (user and
#    assistant, started and stopped), user-interrupted, hang (once) and
#    conversation-update (messages and messagesOpenAIFormatted: the trimmed
#    greeting, the caller's words, the answer); no transcript; every request
#    has its own X-Hark-Delivery-Id and an X-Hark-Signature that verifies
#    (HMAC-SHA256 over "t.body" computed here with the secret);
# 2. server.messages = {'transcript[transcriptType="final"]', "end-of-call-report"}:
#    only final transcripts (the caller's and the assistant's) and the report;
# 3. hark serve, a Twilio call (fake_twilio on the Media Stream) with a
#    receiver that takes 6 s per request: the agent's answer is not held up
#    (under 4.5 s after the caller's line, typically 0.7 s; a loop waiting on
#    the receiver would take >= 6 s), the call ends normally, the report arrives,
#    and the best-effort messages beyond the per-call bound are dropped and
#    logged.
set -euo pipefail
HARK=$(realpath "${1:-build/hark}")
T=$(mktemp -d /tmp/hark-whev-XXXXXX)
fail() { echo "FAIL: $*" >&2; exit 1; }
RPID= SPID=
stop_receiver() { [ -z "$RPID" ] || { kill "$RPID" 2>/dev/null || true; wait "$RPID" 2>/dev/null || true; }; RPID=; }
cleanup() {
  [ -z "$SPID" ] || kill "$SPID" 2>/dev/null || true
  stop_receiver
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
. "$(dirname "$0")/ports_lib.sh"
start_receiver() { # LOG [args...]; sets RPID and P
  local log=$1; shift
  rm -f "$T/port"
  python3 tests/integration/server_url_receiver.py --port "$(free_port)" --port-file "$T/port" --log "$log" "$@" \
    2>>"$T/receiver.err" &
  RPID=$!
  for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
  [ -s "$T/port" ] || fail "receiver did not start"
  P=$(cat "$T/port")
}
GREETING="Hello, thank you for calling the events line. This greeting is long on purpose so that a caller can talk over it."

# 1. default server messages
start_receiver "$T/r1.log"
cat >"$T/a1.lua" <<LUA
return {
  name = "events",
  first_message = "$GREETING",
  transcriber = { phrases = { "what are your opening hours" } },
  hang_timeout = 1,
  server = { url = "http://127.0.0.1:$P/hook", secret = "s3cret", timeout_seconds = 5 },
  on_user_turn = function(call, text)
    call:sleep(2)
    call:hangup()
    return "We open at nine."
  end,
}
LUA
timeout 120 "$HARK" call --agent "$T/a1.lua" --quiet --caller-text "@1.2:what are your opening hours" \
  2>"$T/c1.err" || { cat "$T/c1.err" >&2; fail "call 1"; }
stop_receiver
python3 - "$T/r1.log" "$GREETING" <<'PY' || fail "1: messages (see $T/r1.log)"
import hashlib, hmac, json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
greeting = sys.argv[2]
types = [r["body"]["message"]["type"] for r in reqs]
def of(t): return [r["body"]["message"] for r in reqs if r["body"]["message"]["type"] == t]
assert sorted(m["status"] for m in of("status-update")) == ["ended", "in-progress"], of("status-update")
assert len(of("end-of-call-report")) == 1
assert not of("transcript"), "transcript is not sent unless asked for"
assert len(of("hang")) == 1, types
assert len(of("user-interrupted")) >= 1, types
sp = {(m["role"], m["status"]) for m in of("speech-update")}
for want in [("user", "started"), ("user", "stopped"), ("assistant", "started"), ("assistant", "stopped")]:
    assert want in sp, (want, sp)
for m in of("speech-update"):
    assert isinstance(m["turn"], int), m
# the last conversation-update: the greeting as heard, the caller, the answer
conv = of("conversation-update")
assert conv, types
last = conv[-1]
said = [(x["role"], x["message"]) for x in last["messages"]]
assert said[0][0] == "bot" and greeting.startswith(said[0][1]) and len(said[0][1]) < len(greeting), said
assert any(r == "user" and "opening hours" in t for r, t in said), said
assert ("bot", "We open at nine.") in said, said
oai = [(x["role"], x["content"]) for x in last["messagesOpenAIFormatted"]]
assert ("assistant", "We open at nine.") in oai and any(r == "user" for r, _ in oai), oai
for x in last["messages"]:
    assert "time" in x and "secondsFromStart" in x, x
# the hang came while the agent was silent: before the answer was heard
hang_at = types.index("hang")
answer_at = min(i for i, r in enumerate(reqs) if r["body"]["message"]["type"] == "conversation-update"
                and any(x["message"] == "We open at nine." for x in r["body"]["message"]["messages"]))
assert hang_at < answer_at, (hang_at, answer_at)
ids = [r["headers"]["x-hark-delivery-id"] for r in reqs]
assert len(set(ids)) == len(ids), ids
call_id = reqs[0]["body"]["message"]["call"]["id"]
for r in reqs:
    h = r["headers"]
    assert h["x-vapi-secret"] == "s3cret"
    assert h["x-hark-delivery-id"].startswith(call_id + ":"), h
    assert r["body"]["message"]["call"]["id"] == call_id
    t, v1 = (kv.split("=", 1)[1] for kv in h["x-hark-signature"].split(","))
    want = hmac.new(b"s3cret", (t + "." + r["raw"]).encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(v1, want), ("signature", h["x-hark-signature"])
    assert abs(int(t) - r["t"]) < 60, (t, r["t"])
PY
grep -q 'opening hours' "$T/c1.err" && fail "1: caller words in the log"
echo "ok 1 default server messages: status, report, speech, interrupted, hang, conversation; signed"

# 2. final transcripts and the report only
start_receiver "$T/r2.log"
cat >"$T/a2.lua" <<LUA
return {
  name = "events2",
  first_message = "Hello.",
  transcriber = { phrases = { "what are your opening hours" } },
  server = { url = "http://127.0.0.1:$P/hook",
             messages = { 'transcript[transcriptType="final"]', "end-of-call-report" } },
  on_user_turn = function(call, text)
    call:hangup()
    return "We open at nine."
  end,
}
LUA
timeout 120 "$HARK" call --agent "$T/a2.lua" --quiet --caller-text "what are your opening hours" \
  2>"$T/c2.err" || { cat "$T/c2.err" >&2; fail "call 2"; }
stop_receiver
python3 - "$T/r2.log" <<'PY' || fail "2: filtered messages (see $T/r2.log)"
import json, sys
ms = [json.loads(l)["body"]["message"] for l in open(sys.argv[1])]
types = {m["type"] for m in ms}
assert types == {"transcript", "end-of-call-report"}, types
tr = [(m["role"], m["transcriptType"], m["transcript"]) for m in ms if m["type"] == "transcript"]
assert all(t == "final" for _, t, _ in tr), tr
assert ("assistant", "final", "Hello.") in tr and ("assistant", "final", "We open at nine.") in tr, tr
assert any(r == "user" and "opening hours" in x for r, _, x in tr), tr
for l in open(sys.argv[1]):
    assert "x-hark-signature" not in json.loads(l)["headers"], "no secret, no signature"
PY
echo "ok 2 server.messages filters: final transcripts and the report only"

# 3. hark serve, a slow receiver: the audio does not wait for it
start_receiver "$T/r3.log" --delay 6
mkdir -p "$T/agents"
cat >"$T/agents/slow.lua" <<LUA
return {
  name = "slow",
  phone_number = "+15550199",
  first_message = "Hello.",
  transcriber = { phrases = { "what are your opening hours" } },
  server = { url = "http://127.0.0.1:$P/hook", secret = "s3cret", timeout_seconds = 30,
             messages = { "transcript", "conversation-update", "speech-update", "end-of-call-report" } },
  on_start = function(call)
    for i = 1, 12 do call:say("Line " .. i .. ".") end
  end,
  on_user_turn = function(call, text)
    call:hangup()
    return "We open at nine."
  end,
}
LUA
SPORT=$(free_port)
export HARK_STORE=memory TWILIO_ACCOUNT_SID=AC44444444444444444444444444444444 TWILIO_AUTH_TOKEN=tok
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$SPORT/api/v1/voice-agents/twilio/webhook
HARK_PORT=$SPORT HARK_AGENTS_DIR="$T/agents" HARK_RECORDINGS_DIR="$T/rec" HARK_SPOOL_PATH="$T/serve.jsonl" \
  "$HARK" serve 2>"$T/serve.log" &
SPID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$SPORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
. tests/integration/twilio_lib.sh
"$HARK" synth --text "what are your opening hours" --out "$T/l1.wav" 2>/dev/null
SID=CA$(printf '%032d' 7)
TOKEN=$(stream_token $SID)
[ -n "$TOKEN" ] || fail "3: no stream token"
"$(dirname "$HARK")/fake_twilio" --url "ws://127.0.0.1:$SPORT/voice/stream/$SID" --call-sid $SID \
  --stream-sid MZ$(printf '%032d' 7) --param agent=slow --param "token=$TOKEN" \
  --param from=+15551230000 --param to=+15550199 --caller-wav "$T/l1.wav" --out "$T/heard.wav" \
  --log "$T/events.jsonl" --max-seconds 90 >"$T/fake.out" 2>&1 || fail "3: the call did not end normally"
python3 - "$T/events.jsonl" <<'PY' || fail "3: the answer was late with a slow receiver (see $T/events.jsonl)"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
lat = [e["latency_ms"] for e in ev if e["event"] == "agent_media_first"]
assert lat and max(lat) < 4500, lat
assert not [e for e in ev if e["event"] == "violation"]
PY
for _ in $(seq 300); do grep -q end-of-call-report "$T/r3.log" 2>/dev/null && break; sleep 0.1; done
grep -q '"end-of-call-report"' "$T/r3.log" || fail "3: no report from the slow receiver"
grep -q '"event":"webhook_dropped"' "$T/serve.log" || fail "3: nothing dropped for a slow receiver"
m=$(curl -s "http://127.0.0.1:$SPORT/metrics")
grep -Eq '^hark_webhooks_dropped_total [1-9]' <<<"$m" || fail "3: dropped messages not counted in /metrics"
kill $SPID; wait $SPID 2>/dev/null || true; SPID=
echo "ok 3 a slow receiver: the answer is not held up, chatty messages are dropped, the report arrives"
echo "PASS test_webhook_events"
