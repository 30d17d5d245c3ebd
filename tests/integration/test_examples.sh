#!/usr/bin/env bash
# examples/: every example agent loads (`hark check examples/*.lua`), and each
# runs one simulated call offline, reading like the call it shows:
#   - outbound_call: the reminder is confirmed and the agent hangs up; a "no"
#     cancels; `hark dial --agent outbound_call` asks Twilio (a stand-in REST
#     API, tests/fakes/fake_twilio_rest) to ring with ?agent=outbound_call;
#   - llm_tools_webhook: the fake LLM (tests/fakes/fake_llm.py) asks for both
#     tools, book_table POSTs the booking to a local webhook server with
#     call:http, the server's reference goes back to the model, and the
#     caller hears the booking;
#   - custom_turn: one silent completion classifies the turn (never spoken),
#     a second one answers aloud with the billing hint; goodbye is handled in
#     Lua with no model request.
# Cloud keys are removed, so the voices and transcribers are the offline ones.
set -euo pipefail
HARK=$(realpath "${1:-build/hark}")
T=$(mktemp -d /tmp/hark-examples-XXXXXX)
fail() { echo "FAIL: $*" >&2; exit 1; }
wpid=
. tests/integration/fakes_lib.sh
trap '[ -n "$wpid" ] && kill "$wpid" 2>/dev/null; stop_fakes; rm -rf "$T"' EXIT
unset DEEPGRAM_API_KEY ELEVENLABS_API_KEY OPENAI_API_KEY ANTHROPIC_API_KEY OPENAI_BASE_URL \
  DEEPGRAM_BASE_URL ELEVENLABS_BASE_URL ANTHROPIC_BASE_URL
export HARK_STORE=memory

# 1. every example loads; a broken one fails the test (exit status and its line)
files=(examples/*.lua)
[ "${#files[@]}" -ge 3 ] || fail "expected at least 3 examples, found ${#files[@]}"
"$HARK" check "${files[@]}" >"$T/check.out" 2>&1 || { cat "$T/check.out"; fail "hark check examples/*.lua"; }
[ "$(grep -c '^ok ' "$T/check.out")" -eq "${#files[@]}" ] || { cat "$T/check.out"; fail "not every example is ok"; }
for f in "${files[@]}"; do
  grep -q "$(basename "$f" .lua)" examples/README.md || fail "examples/README.md does not say how to run $f"
done

call() { # name agent-file lines... : hark call with a transcript at $T/name.json
  local name=$1 agent=$2; shift 2
  local args=(); for l in "$@"; do args+=(--caller-text "$l"); done
  "$HARK" call --agent "$agent" "${args[@]}" --transcript "$T/$name.json" >"$T/$name.out" 2>"$T/$name.err" \
    || { cat "$T/$name.out" "$T/$name.err"; fail "$name: hark call failed"; }
  # a cloud voice/transcriber without its key is logged and replaced by the offline one (expected here)
  ! grep '"level":"error"' "$T/$name.err" | grep -v 'needs an API key' | grep -q . \
    || { grep '"level":"error"' "$T/$name.err"; fail "$name: errors logged"; }
}

# 2. outbound_call, offline: yes confirms, no cancels, the agent hangs up
call yes examples/outbound_call.lua "yes I can make it"
call no examples/outbound_call.lua "no I need to cancel"
python3 - "$T/yes.json" "$T/no.json" <<'PY' || fail "outbound_call transcripts"
import json, sys
for path, want in zip(sys.argv[1:], ("see you tomorrow", "cancelled it")):
    t = json.load(open(path))
    said = [m["text"] for m in t["messages"] if m["role"] == "assistant"]
    assert said[0].startswith("Hello, this is Maple Street Clinic"), said
    assert want in said[-1], (want, said)
    assert t["ended_reason"] == "assistant-ended-call", t["ended_reason"]
print("outbound_call: ok")
PY
# placing it: hark dial names the agent in the answer webhook Twilio will fetch
ACCT=AC66666666666666666666666666666666
"$(dirname "$HARK")/fake_twilio_rest" --port 0 --account $ACCT --token tok --log "$T/rest.log" >"$T/rest.port" &
FAKE_PIDS+=($!)
for _ in $(seq 50); do [ -s "$T/rest.port" ] && break; sleep 0.1; done
REST=$(cat "$T/rest.port")
sid=$(TWILIO_ACCOUNT_SID=$ACCT TWILIO_AUTH_TOKEN=tok TWILIO_PHONE_NUMBER=+15550199 \
  TWILIO_WEBHOOK_URL=https://hark.example.com/api/v1/voice-agents/twilio/webhook \
  TWILIO_API_BASE_URL=http://127.0.0.1:$REST HARK_AGENTS_DIR=examples \
  "$HARK" dial --agent outbound_call --to +15551234567) || fail "hark dial failed"
[[ "$sid" =~ ^CA[0-9a-f]{32}$ ]] || fail "hark dial printed '$sid', not a Call SID"
tail -1 "$T/rest.log" | grep -qF 'webhook%3Fagent%3Doutbound_call' || fail "dial request: $(tail -1 "$T/rest.log")"
tail -1 "$T/rest.log" | grep -qF 'To=%2B15551234567' || fail "dial request: $(tail -1 "$T/rest.log")"

# 3. llm_tools_webhook: the fake LLM, and a webhook server that keeps what it got
start_fake LLM fake_llm.py --key sk-test --script tests/fixtures/llm/examples.json \
  --ttft-ms 50 --tokens-per-s 200 --log "$T/llm.log"
cat >"$T/webhook.py" <<'PY'
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(sys.argv[1], "a") as f:
            f.write(json.dumps({"path": self.path, "type": self.headers.get("Content-Type"),
                                "body": json.loads(body)}) + "\n")
        out = json.dumps({"reference": "R-4242"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
python3 "$T/webhook.py" "$T/webhook.log" >"$T/webhook.port" &
wpid=$!
for _ in $(seq 50); do [ -s "$T/webhook.port" ] && break; sleep 0.1; done
WPORT=$(cat "$T/webhook.port")
[ -n "$WPORT" ] || fail "webhook server did not start"
grep -q 'local BOOKING_WEBHOOK = "http://127.0.0.1:8787/bookings"' examples/llm_tools_webhook.lua \
  || fail "llm_tools_webhook.lua no longer has the BOOKING_WEBHOOK line this test points at its server"
sed "s#http://127.0.0.1:8787/bookings#http://127.0.0.1:$WPORT/bookings#" examples/llm_tools_webhook.lua >"$T/llm_tools_webhook.lua"
export OPENAI_API_KEY=sk-test OPENAI_BASE_URL=http://127.0.0.1:$LLM/v1
call webhook "$T/llm_tools_webhook.lua" "a table for four tonight at seven please" "thank you goodbye"
python3 - "$T/webhook.json" "$T/webhook.log" "$T/llm.log" <<'PY' || fail "llm_tools_webhook checks"
import json, sys
t = json.load(open(sys.argv[1]))
said = [m["text"] for m in t["messages"] if m["role"] == "assistant"]
assert any("booked" in s for s in said), said
assert t["ended_reason"] == "assistant-said-end-call-phrase", t["ended_reason"]
hooks = [json.loads(l) for l in open(sys.argv[2])]
assert len(hooks) == 1, hooks
b = hooks[0]
assert b["path"] == "/bookings" and b["type"].startswith("application/json"), b
assert b["body"]["party_size"] == 4 and b["body"]["time"] == "19:00" and b["body"]["name"] == "Sam", b
assert b["body"]["call_id"] == t["call_id"], (b, t["call_id"])
reqs = [json.loads(l) for l in open(sys.argv[3])]
assert len(reqs) == 3, [r["path"] for r in reqs]
b1, b2 = reqs[0]["body"], reqs[1]["body"]
assert sorted(x["function"]["name"] for x in b1["tools"]) == ["book_table", "check_availability"], b1["tools"]
results = {m["tool_call_id"]: json.loads(m["content"]) for m in b2["messages"] if m["role"] == "tool"}
assert len(results) == 2, b2["messages"]
assert {"booked": True, "reference": "R-4242"} in results.values(), results
assert {"available": True, "seats": 4} in results.values(), results
print("llm_tools_webhook: ok")
PY

# 4. custom_turn: a silent classification, then the spoken answer; goodbye in Lua
: >"$T/llm.log"
call custom examples/custom_turn.lua "why is my bill so high this month" "thank you goodbye"
python3 - "$T/custom.json" "$T/llm.log" <<'PY' || fail "custom_turn checks"
import json, sys
t = json.load(open(sys.argv[1]))
said = [m["text"] for m in t["messages"] if m["role"] == "assistant"]
assert any("heating top-up" in s for s in said), said
assert not any(s.strip().lower() == "billing" for s in said), ("the classification was spoken", said)
assert said[-1] == "Thanks for calling Northwind Energy. Goodbye.", said
assert t["ended_reason"] == "assistant-ended-call", t["ended_reason"]
reqs = [json.loads(l) for l in open(sys.argv[2])]
assert len(reqs) == 2, ("goodbye must not reach the model", [r["body"]["messages"][-1] for r in reqs])
c, a = reqs[0]["body"]["messages"], reqs[1]["body"]["messages"]
assert c[0]["role"] == "system" and c[0]["content"].startswith("Classify") and c[-1]["content"].startswith("Classify: "), c
assert a[0]["content"].startswith("You answer questions for Northwind"), a
assert a[1]["role"] == "system" and "billing" in a[1]["content"], a
assert a[-1]["role"] == "user" and "bill" in a[-1]["content"], a
print("custom_turn: ok")
PY
echo "ok: examples"
