#!/usr/bin/env bash
# An API assistant's inline Vapi tools that hark runs itself: model.tools of
# type endCall becomes an agent tool that hangs up, transferCall one that
# transfers to one of its destination numbers (the model sees them as
# functions; the transfer itself needs Twilio, so here only its schema is
# checked). The fake LLM asks for endCall: the call ends with
# assistant-ended-call, and the tool call is in the record. Then tools hark
# cannot run are refused, each naming the field (function tools on a server:
# test_tool_server.sh).
set -euo pipefail
HARK=${1:-build/hark}
T=$(mktemp -d /tmp/hark-asstt-XXXXXX)
fail() { echo "FAIL: $*" >&2; exit 1; }
. tests/integration/fakes_lib.sh
trap 'stop_fakes; rm -rf "$T"' EXIT

cat >"$T/llm.json" <<'J'
{"rules": [
  {"when": "user", "contains": "hours", "text": "We are open from seven until six.",
   "tool_calls": [{"name": "endCall", "arguments": {}}]},
  {"when": "tool", "text": "Bye now."}
]}
J
start_fake LLM fake_llm.py --key sk-test --script "$T/llm.json" --log "$T/llm.log"

python3 - tests/fixtures/assistants/bakery.json "$T/asst.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
del a["endCallPhrases"]
a["model"]["tools"] = [
    {"type": "endCall"},
    {"type": "transferCall", "function": {"name": "to_front_desk", "description": "Transfer to the front desk"},
     "destinations": [{"type": "number", "number": "+15551230000"}, {"type": "number", "number": "+15551230001"}]},
]
json.dump(a, open(sys.argv[2], "w"))
PY
OPENAI_API_KEY=sk-test OPENAI_BASE_URL="http://127.0.0.1:$LLM/v1" \
  "$HARK" call --assistant-json "$T/asst.json" --caller-text "what are your hours" \
    --transcript "$T/call.json" >"$T/call.out" 2>"$T/call.err" \
  || { cat "$T/call.err"; fail "hark call --assistant-json failed"; }
! grep -q '"level":"error"' "$T/call.err" || { grep '"level":"error"' "$T/call.err"; fail "errors logged"; }
python3 - "$T/call.json" "$T/llm.log" <<'PY' || fail "call checks"
import json, sys
t = json.load(open(sys.argv[1]))
assert t["ended_reason"] == "assistant-ended-call", t["ended_reason"]
calls = [m for m in t["messages"] if m["role"] == "tool_calls"]
assert len(calls) == 1 and calls[0]["tool_calls"][0]["function"]["name"] == "endCall", calls
said = [m["text"] for m in t["messages"] if m["role"] == "assistant"]
assert any("seven until six" in s for s in said), said
reqs = [json.loads(l) for l in open(sys.argv[2])]
tools = {x["function"]["name"]: x["function"] for x in reqs[0]["body"]["tools"]}
assert set(tools) == {"endCall", "to_front_desk"}, tools
tr = tools["to_front_desk"]
assert tr["description"] == "Transfer to the front desk", tr
assert tr["parameters"]["properties"]["destination"]["enum"] == ["+15551230000", "+15551230001"], tr
assert tr["parameters"]["required"] == ["destination"], tr
print("endCall ended the call; transferCall offered as", tr["parameters"])
PY

refuse() { # json expected-substring
  printf '%s' "$1" >"$T/bad.json"
  set +e
  "$HARK" call --assistant-json "$T/bad.json" --caller-text "hi" >"$T/bad.out" 2>"$T/bad.err"
  rc=$?
  set -e
  [ "$rc" -ne 0 ] || fail "accepted: $1"
  grep -qF -- "$2" "$T/bad.err" || fail "error for $1 does not say '$2': $(cat "$T/bad.err")"
}
m() { printf '{"model":{"provider":"openai","model":"m",%s}}' "$1"; }
refuse "$(m '"tools":[{"type":"function","function":{"name":"f"}}]')" 'model.tools[0].server.url needs a server'
refuse "$(m '"tools":[{"type":"endCall"},{"type":"apiRequest"}]')" '(model.tools[1])'
refuse "$(m '"tools":[{"type":"transferCall"}]')" 'model.tools[0].destinations must name at least one number'
refuse "$(m '"tools":[{"type":"transferCall","destinations":[{"type":"sip","sipUri":"sip:a@b"}]}]')" 'model.tools[0].destinations[0].type "sip" is not supported'
refuse "$(m '"tools":[{"type":"transferCall","destinations":[{"type":"number","number":"555"}]}]')" 'model.tools[0].destinations[0].number must be an E.164 number'
refuse "$(m '"tools":[{"type":"endCall"},{"type":"endCall"}]')" 'model.tools[1].function.name "endCall" is the name of another tool'
refuse "$(m '"tools":[{"type":"endCall","function":{"name":"has space"}}]')" 'model.tools[0].function.name must match'
refuse "$(m '"toolIds":["7a1c2d3e-0000-4000-8000-0000000000bb"]')" 'model.toolIds cannot be resolved here'
echo "ok: endCall / transferCall tools of an API assistant; tools hark cannot run refused"
