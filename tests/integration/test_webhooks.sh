#!/usr/bin/env bash
# Vapi server messages out (api/webhooks), with `hark call` and a python
# receiver (tests/integration/webhook_receiver.py):
# 1. an agent with server = {url, secret, headers}: status-update in-progress
#    and ended, and one end-of-call-report with X-Vapi-Secret, the agent's
#    header, the delivery id, the call id, endedReason, the caller's words in
#    artifact.transcript and artifact.messages;
# 2. a receiver answering 500 twice gets each message on the third attempt;
# 3. durability: the receiver is down, hark is killed (-9) while retrying;
#    the next hark start with the receiver up replays the queue file and
#    the first call's report arrives once; a start after that replays nothing;
# 4. an API assistant (Vapi JSON, `hark call --assistant-json`) with the
#    legacy serverUrl + serverUrlSecret gets its report with the secret, and
#    its serverMessages pick what is sent (the report and conversation-update);
# 5. hark serve: a Twilio call (tests/fakes/fake_twilio on the Media Stream)
#    to a file agent with a server URL: the report names the CallSid.
set -euo pipefail
HARK=$(realpath "${1:-build/hark}")
T=$(mktemp -d /tmp/hark-webhooks-XXXXXX)
fail() { echo "FAIL: $*" >&2; exit 1; }
RPID=
stop_receiver() { [ -z "$RPID" ] || { kill "$RPID" 2>/dev/null || true; wait "$RPID" 2>/dev/null || true; }; RPID=; }
trap 'stop_receiver; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

# start_receiver LOG PORT FAIL_FIRST
start_receiver() {
  rm -f "$T/port"
  python3 tests/integration/webhook_receiver.py --port-file "$T/port" --log "$1" --port "$2" \
    --fail-first "$3" 2>>"$T/receiver.err" &
  RPID=$!
  for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
  [ -s "$T/port" ] || fail "receiver did not start"
}
. "$(dirname "$0")/ports_lib.sh"
agent() { # agent PORT > file
  cat <<LUA
return {
  name = "webhook",
  phone_number = "+15550199",
  first_message = "Hello.",
  transcriber = { phrases = { "what are your opening hours" } },
  server = { url = "http://127.0.0.1:$1/hook", secret = "s3cret",
             headers = { ["X-Team"] = "blue" }, timeout_seconds = 5 },
  on_user_turn = function(call, text)
    call:hangup()
    return "We open at nine."
  end,
}
LUA
}
call() { # call AGENT ERRLOG [env...]
  local a=$1 e=$2; shift 2
  env "$@" timeout 120 "$HARK" call --agent "$a" --quiet --caller-text "what are your opening hours" \
    2>"$e"
}
# check LOG: the three messages of one call, delivered, with the right shape
check() {
  python3 - "$1" "$2" <<'PY'
import json, sys
log, want_attempts = sys.argv[1], int(sys.argv[2])
reqs = [json.loads(l) for l in open(log)]
ok = [r for r in reqs if r["code"] == 200]
def one(kind, status=None):
    m = [r for r in ok if r["body"]["message"]["type"] == kind
         and (status is None or r["body"]["message"].get("status") == status)]
    assert len(m) == 1, (kind, status, len(m))
    return m[0]
rep = one("end-of-call-report")
one("status-update", "in-progress")
one("status-update", "ended")
for r in reqs:
    h = r["headers"]
    assert r["path"] == "/hook", r["path"]
    assert h.get("x-vapi-secret") == "s3cret", h
    assert h.get("x-team") == "blue", h
    assert h.get("content-type") == "application/json", h
assert rep["n"] == want_attempts, ("report attempt", rep["n"])
m = rep["body"]["message"]
call = m["call"]
assert call["id"].startswith("SIM"), call
assert rep["headers"]["x-hark-delivery-id"] == call["id"] + ":report"
assert m["endedReason"] == "assistant-ended-call", m["endedReason"]
assert call["endedReason"] == "assistant-ended-call"
assert isinstance(m["timestamp"], (int, float)) and m["timestamp"] > 1.7e12
for k in ("startedAt", "endedAt", "analysis", "cost", "assistant"):
    assert k in m, k
art = m["artifact"]
assert "opening hours" in art["transcript"], art["transcript"]
roles = [(x["role"], x["message"]) for x in art["messages"]]
assert roles[0] == ("bot", "Hello."), roles
assert any(r == "user" and "opening hours" in t for r, t in roles), roles
assert ("bot", "We open at nine.") in roles, roles
print(call["id"])
PY
}

# 1. delivered at once
P=$(free_port)
start_receiver "$T/r1.log" "$P" 0
agent "$P" >"$T/a1.lua"
call "$T/a1.lua" "$T/c1.err" || { cat "$T/c1.err" >&2; fail "call 1"; }
check "$T/r1.log" 1 >/dev/null || fail "1: messages (see $T/r1.log)"
durable=$(grep -Ec '"type": "(status-update|end-of-call-report)"' "$T/r1.log" || true)
[ "$durable" -eq 3 ] || fail "1: expected exactly 3 status/report requests, got $durable"
grep -q 'opening hours' "$T/c1.err" && fail "1: caller words in the log"
stop_receiver
echo "ok 1 report and status-updates delivered once with secret and headers"

# 2. two 500s, then delivered on the third attempt
P=$(free_port)
start_receiver "$T/r2.log" "$P" 2
agent "$P" >"$T/a2.lua"
call "$T/a2.lua" "$T/c2.err" || fail "call 2"
check "$T/r2.log" 3 >/dev/null || fail "2: messages (see $T/r2.log)"
grep -q '"webhook_retry".*:report status 500 attempt 2' "$T/c2.err" || fail "2: retry not logged"
grep -q '"webhook_delivered".*:report status 200 attempt 3' "$T/c2.err" || fail "2: delivery not logged"
stop_receiver
echo "ok 2 a receiver failing twice gets the report on the third attempt"

# 3. receiver down, hark killed while retrying; restart with it up
P=$(free_port)
agent "$P" >"$T/a3.lua"
SP="$T/spool.jsonl"
call "$T/a3.lua" "$T/c3.err" HARK_SPOOL_PATH="$SP" &
CPID=$!
for _ in $(seq 200); do
  grep -q '"webhook_retry".*:report status 0 attempt 2' "$T/c3.err" 2>/dev/null && break
  sleep 0.1
done
grep -q '"webhook_retry".*:report status 0 attempt 2' "$T/c3.err" || fail "3: no retries while down"
kill -9 "$CPID"; wait "$CPID" 2>/dev/null || true
first=$(grep -o '"call_id":"SIM[0-9a-f]*"' "$T/c3.err" | head -1 | cut -d'"' -f4)
[ -n "$first" ] || fail "3: no call id"
grep -q "\"add\":\"$first:report\"" "$T/spool-webhooks.jsonl" || fail "3: report not in the queue file"
start_receiver "$T/r3.log" "$P" 0
call "$T/a3.lua" "$T/c3b.err" HARK_SPOOL_PATH="$SP" || fail "call 3b"
grep -q '"webhook_replay"' "$T/c3b.err" || fail "3: no replay logged"
python3 - "$T/r3.log" "$first" <<'PY' || fail "3: the first call's report did not arrive after the restart"
import json, sys
reqs = [json.loads(l)["body"]["message"] for l in open(sys.argv[1])]
reps = [m for m in reqs if m["type"] == "end-of-call-report" and m["call"]["id"] == sys.argv[2]]
assert len(reps) == 1, len(reps)
assert "opening hours" in reps[0]["artifact"]["transcript"]
PY
call "$T/a3.lua" "$T/c3c.err" HARK_SPOOL_PATH="$SP" || fail "call 3c"
grep -q '"webhook_replay"' "$T/c3c.err" && fail "3: delivered messages replayed again"
stop_receiver
echo "ok 3 an undelivered report survives a kill and arrives after the restart"

# 4. an API assistant: serverUrl and serverUrlSecret (Vapi's legacy names)
. tests/integration/fakes_lib.sh
trap 'stop_receiver; stop_fakes; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
start_fake LLM fake_llm.py --key sk-test --script tests/fixtures/llm/assistant.json --log "$T/llm.log"
P=$(free_port)
start_receiver "$T/r4.log" "$P" 0
python3 - "$P" >"$T/asst.json" <<'PY'
import json, sys
a = json.load(open("tests/fixtures/assistants/bakery.json"))
a["serverUrl"] = "http://127.0.0.1:%s/hook" % sys.argv[1]
a["serverUrlSecret"] = "legacy-secret"
a["serverMessages"] = ["end-of-call-report", "conversation-update"]
print(json.dumps(a))
PY
OPENAI_API_KEY=sk-test OPENAI_BASE_URL="http://127.0.0.1:$LLM/v1" timeout 120 \
  "$HARK" call --assistant-json "$T/asst.json" --quiet \
    --caller-text "what are your hours" --caller-text "thank you goodbye" 2>"$T/c4.err" \
  || { cat "$T/c4.err" >&2; fail "call 4"; }
python3 - "$T/r4.log" <<'PY' || fail "4: the API assistant's report (see $T/r4.log)"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
reps = [r for r in reqs if r["body"]["message"]["type"] == "end-of-call-report"]
assert len(reps) == 1, len(reps)
# serverMessages: the report and conversation updates, nothing else
types = {r["body"]["message"]["type"] for r in reqs}
assert types == {"end-of-call-report", "conversation-update"}, types
r = reps[0]
assert r["headers"].get("x-vapi-secret") == "legacy-secret", r["headers"]
m = r["body"]["message"]
assert m["endedReason"] == "assistant-said-end-call-phrase", m["endedReason"]
assert "hours" in m["artifact"]["transcript"], m["artifact"]["transcript"]
assert m["assistant"]["name"] == "Bakery line", m["assistant"]
PY
stop_receiver
echo "ok 4 an API assistant's serverUrl gets the report with serverUrlSecret"

# 5. through hark serve, a call as Twilio places it
P=$(free_port)
start_receiver "$T/r5.log" "$P" 0
mkdir -p "$T/agents"
agent "$P" >"$T/agents/webhook.lua"
SPORT=$(free_port)
export HARK_STORE=memory TWILIO_ACCOUNT_SID=AC44444444444444444444444444444444 TWILIO_AUTH_TOKEN=tok
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$SPORT/api/v1/voice-agents/twilio/webhook
HARK_PORT=$SPORT HARK_AGENTS_DIR="$T/agents" HARK_RECORDINGS_DIR="$T/rec" HARK_SPOOL_PATH="$T/serve.jsonl" \
  "$HARK" serve 2>"$T/serve.log" &
SPID=$!
trap 'kill $SPID 2>/dev/null || true; stop_receiver; stop_fakes; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$SPORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
. tests/integration/twilio_lib.sh
"$HARK" synth --text "what are your opening hours" --out "$T/l1.wav" 2>/dev/null
SID=CA$(printf '%032d' 5)
TOKEN=$(stream_token $SID)
[ -n "$TOKEN" ] || fail "5: no stream token"
"$(dirname "$HARK")/fake_twilio" --url "ws://127.0.0.1:$SPORT/voice/stream/$SID" --call-sid $SID \
  --stream-sid MZ$(printf '%032d' 5) --param agent=webhook --param "token=$TOKEN" \
  --param from=+15551230000 --param to=+15550199 --caller-wav "$T/l1.wav" --out "$T/heard.wav" \
  --log "$T/events.jsonl" --max-seconds 60 >"$T/fake.out" 2>&1 || fail "5: fake twilio call failed"
for _ in $(seq 100); do grep -q end-of-call-report "$T/r5.log" 2>/dev/null && break; sleep 0.1; done
python3 - "$T/r5.log" "$SID" <<'PY' || fail "5: the report from hark serve (see $T/r5.log)"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
reps = [r for r in reqs if r["body"]["message"]["type"] == "end-of-call-report"]
assert len(reps) == 1, len(reps)
m = reps[0]["body"]["message"]
assert m["call"]["id"] == sys.argv[2], m["call"]
assert reps[0]["headers"]["x-vapi-secret"] == "s3cret"
assert "opening hours" in m["artifact"]["transcript"], m["artifact"]["transcript"]
PY
kill $SPID; wait $SPID 2>/dev/null || true
stop_receiver
echo "ok 5 hark serve: a Twilio call's report reaches the agent's server URL"
echo "PASS test_webhooks"
