#!/usr/bin/env bash
# Tool exchanges are remembered for the rest of a call (OpenAI, then
# Anthropic, both served by tests/fakes/fake_llm.py, which refuses malformed
# histories the way the real services do). Turn 1 books a table: the tool
# makes a reference nobody else knows. Turn 2 asks for it: the fake answers
# with the newest tool result found in the request's history, so the
# reference is spoken only if turn 2's request carries turn 1's tool call and
# its result (checked on the wire too, and in turn 3's request). Then a
# barge-in while a slow tool runs: the call has no result, and the next
# request still must be valid (the call answered "did not finish").
# Last, the fake itself is shown to refuse broken histories.
set -euo pipefail
HARK=${1:-build/hark}
T=$(mktemp -d /tmp/hark-llmtm-XXXXXX)
fail() { echo "FAIL: $*" >&2; exit 1; }
. tests/integration/fakes_lib.sh
trap 'stop_fakes; rm -rf "$T"' EXIT

start_fake LLM fake_llm.py --key sk-test --script tests/fixtures/llm/booking.json \
  --ttft-ms 100 --tokens-per-s 50 --log "$T/llm.log"

agent_for() { # provider
  sed "s/provider = \"openai\"/provider = \"$1\"/" tests/fixtures/agents/llm_booking.lua >"$T/$1.lua"
}

run() { # name provider lines...
  local name=$1 prov=$2
  shift 2
  local args=()
  for l in "$@"; do args+=(--caller-text "$l"); done
  : >"$T/llm.log"
  OPENAI_API_KEY=sk-test OPENAI_BASE_URL="http://127.0.0.1:$LLM/v1" \
  ANTHROPIC_API_KEY=sk-test ANTHROPIC_BASE_URL="http://127.0.0.1:$LLM" \
    "$HARK" call --agent "$T/$prov.lua" "${args[@]}" --transcript "$T/$name.json" \
      >"$T/$name.out" 2>"$T/$name.err" || { tail -20 "$T/$name.err"; fail "$name: hark call failed"; }
  cp "$T/llm.log" "$T/$name.llm.log"
  ! grep -q '"level":"error"' "$T/$name.err" || { grep '"level":"error"' "$T/$name.err"; fail "$name: errors logged"; }
}

for prov in openai anthropic; do
  agent_for $prov
  run "$prov" "$prov" "book a table for two" "what is my booking reference" "thank you goodbye"
  python3 - "$T/$prov.json" "$T/$prov.llm.log" "$prov" <<'PY' || fail "$prov: tool memory checks"
import json, re, sys
t = json.load(open(sys.argv[1])); prov = sys.argv[3]
reqs = [json.loads(l) for l in open(sys.argv[2])]
assert all(r["status"] == 200 for r in reqs), [(r["status"], r["body"]) for r in reqs if r["status"] != 200]
msgs = t["messages"]
roles = [m["role"] for m in msgs]
# the record: the call, then its result, between the caller's ask and the answer
calls = [m for m in msgs if m["role"] == "tool_calls"]
results = [m for m in msgs if m["role"] == "tool_call_result"]
assert len(calls) == 1 and len(results) == 1, roles
tc = calls[0]["tool_calls"]
assert len(tc) == 1 and tc[0]["function"]["name"] == "book_table", tc
assert json.loads(tc[0]["function"]["arguments"]) == {"people": 2, "time": "19:00"}, tc
res = results[0]["tool_results"][0]
assert res["toolCallId"] == tc[0]["id"] and res["name"] == "book_table", res
ref = re.search(r"reference (R\d+)", res["result"]).group(1)
assert roles.index("tool_calls") < roles.index("tool_call_result"), roles
# turn 2: the model knew the reference, because the history carried it
said = [m["text"] for m in msgs if m["role"] == "assistant"]
assert any("booking reference is" in s and ref in s for s in said), (ref, said)
# the wire: turn 2's and turn 3's requests hold the tool call and its result
bodies = [r["body"] for r in reqs]
assert len(bodies) == 4, len(bodies)  # turn 1 (call, then answer), turn 2, turn 3
for b in bodies[2:]:
    m = b["messages"]
    if prov == "openai":
        i = next(i for i, x in enumerate(m) if x["role"] == "assistant" and x.get("tool_calls"))
        assert m[i]["tool_calls"][0]["id"] == tc[0]["id"], m[i]
        assert m[i]["tool_calls"][0]["function"]["name"] == "book_table", m[i]
        assert m[i + 1] == {"role": "tool", "tool_call_id": tc[0]["id"], "content": res["result"]}, m[i + 1]
        assert m[i - 1]["role"] == "user" and "book a table" in m[i - 1]["content"], m[i - 1]
    else:
        i = next(i for i, x in enumerate(m) if x["role"] == "assistant" and isinstance(x["content"], list)
                 and any(bl["type"] == "tool_use" for bl in x["content"]))
        use = [bl for bl in m[i]["content"] if bl["type"] == "tool_use"][0]
        assert use["id"] == tc[0]["id"] and use["name"] == "book_table", use
        assert use["input"] == {"people": 2, "time": "19:00"}, use
        first = m[i + 1]["content"][0]
        assert m[i + 1]["role"] == "user" and first["type"] == "tool_result", m[i + 1]
        assert first["tool_use_id"] == tc[0]["id"] and first["content"] == res["result"], first
print(prov, "remembered", ref, "| turn 2 said:", [s for s in said if ref in s][0])
PY
done

# barge-in while the slow tool runs: the call has no result, the history stays valid
for prov in openai anthropic; do
  run "$prov-barge" "$prov" "book a table slowly" "@1.5:never mind" "thank you goodbye"
  grep -q '"event":"barge_in"' "$T/$prov-barge.err" || fail "$prov-barge: no barge-in"
  grep -q '"event":"hook_cancelled"' "$T/$prov-barge.err" || fail "$prov-barge: the tool's hook was not cancelled"
  python3 - "$T/$prov-barge.json" "$T/$prov-barge.llm.log" "$prov" <<'PY' || fail "$prov-barge: checks"
import json, sys
t = json.load(open(sys.argv[1])); prov = sys.argv[3]
reqs = [json.loads(l) for l in open(sys.argv[2])]
assert all(r["status"] == 200 for r in reqs), [(r["status"], r["body"]) for r in reqs if r["status"] != 200]
roles = [m["role"] for m in t["messages"]]
assert "tool_calls" in roles and "tool_call_result" not in roles, roles  # the tool never finished
said = [m["text"] for m in t["messages"] if m["role"] == "assistant"]
assert any("did not finish" in s for s in said), said  # the model was told so, validly
assert said[-1] == "Thank you for calling, goodbye.", said
last = json.dumps(reqs[-1]["body"])
assert "hold_table" in last and "did not finish" in last, last
print(prov, "barge-in during a tool: history valid,", len(reqs), "requests")
PY
done

# the fake refuses what the real services refuse (so the checks above can fail)
python3 - "$LLM" <<'PY' || fail "the fake accepted a malformed history"
import json, sys, urllib.request, urllib.error
port = sys.argv[1]
def post(path, body, headers):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", json.dumps(body).encode(),
                                 dict({"Content-Type": "application/json"}, **headers))
    try:
        with urllib.request.urlopen(req) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
oa = {"Authorization": "Bearer sk-test"}
an = {"x-api-key": "sk-test", "anthropic-version": "2023-06-01"}
call = {"id": "call_1", "type": "function", "function": {"name": "book_table", "arguments": "{}"}}
bad_openai = [
    [{"role": "user", "content": "hi"}, {"role": "tool", "tool_call_id": "call_1", "content": "x"}],
    [{"role": "user", "content": "hi"}, {"role": "assistant", "tool_calls": [call]},
     {"role": "user", "content": "again"}],
    [{"role": "user", "content": "hi"}, {"role": "assistant", "tool_calls": [call]}],
]
for m in bad_openai:
    assert post("/v1/chat/completions", {"model": "m", "stream": True, "messages": m}, oa) == 400, m
use = {"type": "tool_use", "id": "toolu_1", "name": "book_table", "input": {}}
res = {"type": "tool_result", "tool_use_id": "toolu_1", "content": "x"}
bad_anthropic = [
    [{"role": "user", "content": [res]}],
    [{"role": "user", "content": "hi"}, {"role": "assistant", "content": [use]},
     {"role": "user", "content": "again"}],
    [{"role": "user", "content": "hi"}, {"role": "assistant", "content": [use]},
     {"role": "user", "content": [{"type": "text", "text": "a"}, res]}],
]
for m in bad_anthropic:
    assert post("/v1/messages", {"model": "m", "max_tokens": 10, "stream": True, "messages": m}, an) == 400, m
good = [{"role": "user", "content": "hi"}, {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "x"}]
assert post("/v1/chat/completions", {"model": "m", "stream": True, "messages": good}, oa) == 200
print("fake: refuses tool results without their call, calls without results, results after text")
PY
echo "ok: tool calls and results are remembered in later turns (openai, anthropic), barge-in keeps the history valid"
