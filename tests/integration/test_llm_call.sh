#!/usr/bin/env bash
# A phone call answered by an LLM (OpenAI-compatible, then Anthropic) served
# by tests/fakes/fake_llm.py: the caller asks about two orders, the model asks
# for two tool calls in one response, hark runs both Lua tools and sends the
# results back, and the model's answer is spoken while it is still being
# written (the first audio frame leaves before the LLM stream ends). The
# fake's log proves the wire format of the round trip.
set -euo pipefail
HARK=${1:-build/hark}
T=$(mktemp -d /tmp/hark-llm-XXXXXX)
fail() { echo "FAIL: $*" >&2; exit 1; }
. tests/integration/fakes_lib.sh
trap 'stop_fakes; rm -rf "$T"' EXIT

start_fake LLM fake_llm.py --key sk-test --script tests/fixtures/llm/shop.json \
  --ttft-ms 200 --tokens-per-s 50 --log "$T/llm.log"

run_call() { # provider name
  local prov=$1
  sed "s/provider = \"openai\"/provider = \"$prov\"/" tests/fixtures/agents/llm_shop.lua >"$T/$prov.lua"
  OPENAI_API_KEY=sk-test OPENAI_BASE_URL="http://127.0.0.1:$LLM/v1" \
  ANTHROPIC_API_KEY=sk-test ANTHROPIC_BASE_URL="http://127.0.0.1:$LLM" \
    "$HARK" call --agent "$T/$prov.lua" --caller-text "where are my orders" \
      --caller-text "thank you goodbye" --transcript "$T/$prov.json" >"$T/$prov.out" 2>"$T/$prov.err" \
    || { cat "$T/$prov.err"; fail "$prov: hark call failed"; }
  cat "$T/$prov.out"
  ! grep -q '"level":"error"' "$T/$prov.err" || { grep '"level":"error"' "$T/$prov.err"; fail "$prov: errors logged"; }
  python3 - "$T/$prov.json" "$prov" <<'PY' || fail "$prov: transcript checks"
import json, sys
t = json.load(open(sys.argv[1])); prov = sys.argv[2]
said = [m["text"] for m in t["messages"] if m["role"] == "assistant"]
assert any("has shipped" in s and "being processed" in s for s in said), said
assert t["ended_reason"] == "assistant-said-end-call-phrase", t["ended_reason"]
turn = t["turns"][0]
for k in ("llm_request_ms", "llm_first_token_ms", "reply_ready_ms", "tts_first_audio_ms", "first_audio_ms", "llm_end_ms"):
    assert turn[k] is not None, (k, turn)
# speak while thinking: audio went out while the model was still writing
assert turn["first_audio_ms"] < turn["llm_end_ms"], turn
assert turn["stt_final_ms"] <= turn["llm_request_ms"] <= turn["llm_first_token_ms"] <= turn["reply_ready_ms"], turn
print(prov, "turn 1 marks:", {k: v for k, v in turn.items()})
PY
}

run_call openai
python3 - "$T/llm.log" <<'PY' || fail "openai wire checks"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
oa = [r for r in reqs if r["path"].endswith("/chat/completions")]
assert len(oa) == 3, [r["path"] for r in reqs]
b1, b2 = oa[0]["body"], oa[1]["body"]
assert b1["stream"] is True and b1["model"] == "gpt-4o-mini"
assert b1["messages"][0] == {"role": "system", "content": "You help callers with their orders. Use lookup_order."}, b1["messages"][0]
assert [t["function"]["name"] for t in b1["tools"]] == ["lookup_order"]
asst = [m for m in b2["messages"] if m["role"] == "assistant" and m.get("tool_calls")]
assert len(asst) == 1 and len(asst[0]["tool_calls"]) == 2, b2["messages"]
tools = [m for m in b2["messages"] if m["role"] == "tool"]
ids = [c["id"] for c in asst[0]["tool_calls"]]
assert [m["tool_call_id"] for m in tools] == ids, (tools, ids)
res = [json.loads(m["content"]) for m in tools]
assert {r["order_number"]: r["status"] for r in res} == {"1001": "shipped", "1002": "processing"}, res
# the last turn's history: what was said, in order, with the system prompt first
b3 = oa[2]["body"]
roles = [m["role"] for m in b3["messages"]]
assert roles[0] == "system" and roles[-1] == "user" and "goodbye" in b3["messages"][-1]["content"], roles
print("openai wire: ok")
PY

run_call anthropic
python3 - "$T/llm.log" <<'PY' || fail "anthropic wire checks"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
an = [r for r in reqs if r["path"].endswith("/v1/messages")]
assert len(an) == 3, [r["path"] for r in reqs]
b1, b2 = an[0]["body"], an[1]["body"]
assert b1["system"].startswith("You help callers") and b1["max_tokens"] > 0 and b1["stream"] is True
assert b1["tools"][0]["name"] == "lookup_order" and "input_schema" in b1["tools"][0]
asst = b2["messages"][-2]; user = b2["messages"][-1]
uses = [b for b in asst["content"] if b["type"] == "tool_use"]
results = [b for b in user["content"] if b["type"] == "tool_result"]
assert len(uses) == 2 and [u["id"] for u in uses] == [r["tool_use_id"] for r in results], (asst, user)
assert uses[0]["input"] == {"order_number": "1001"}, uses
print("anthropic wire: ok")
PY
# a custom turn: Lua calls call:llm itself, without speaking the stream
sed 's/^  tools = {/  on_user_turn = function(call, text)\n    local r, err = call:llm{ messages = hark.llm_messages(call, { system_prompt = "Be brief." }), speak = false }\n    if not r then return "no answer: " .. err end\n    if #r.tool_calls > 0 then return "The model wants " .. #r.tool_calls .. " tool calls to " .. r.tool_calls[1].name end\n    return "The model said: " .. r.text\n  end,\n  tools = {/' \
  tests/fixtures/agents/llm_shop.lua >"$T/custom.lua"
OPENAI_API_KEY=sk-test OPENAI_BASE_URL="http://127.0.0.1:$LLM/v1" "$HARK" call --agent "$T/custom.lua" --quiet \
  --caller-text "where are my orders" --caller-text "thank you goodbye" --transcript "$T/custom.json" 2>"$T/custom.err" \
  || { tail "$T/custom.err"; fail "custom turn call failed"; }
python3 - "$T/custom.json" <<'PY' || fail "custom turn"
import json, sys
said = [m["text"] for m in json.load(open(sys.argv[1]))["messages"] if m["role"] == "assistant"]
assert said[1:] == ["The model wants 2 tool calls to lookup_order",
                    "The model said: Thank you for calling, goodbye."], said
PY
echo "ok: LLM calls with tools (openai, anthropic) and a custom turn with call:llm"
