#!/usr/bin/env bash
# A call's tool exchanges reach the record and come back as Vapi's message
# items: the booking call of test_llm_tool_memory (OpenAI, fake_llm.py) with
# --store writes to a private PostgreSQL; `hark serve` on the same database
# answers GET /call/{id} with {role:"tool_calls", toolCalls} and
# {role:"tool_call_result", toolCallId, name, result} between the caller's
# ask and the bot's answer, in call order, and keeps tool JSON out of the
# transcript. The call's LLM tokens are the fake's reported usage summed over
# its requests (20 prompt tokens each; one completion token per streamed
# piece, 8 per tool call), priced with HARK_PRICE_LLM_PER_1K_* in
# costBreakdown, costs[model] and cost.
set -euo pipefail
HARK=$(cd "$(dirname "${1:-build/hark}")" && pwd)/$(basename "${1:-build/hark}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
T=$(mktemp -d /tmp/hark-toolrec-XXXXXX)
chmod 0755 "$T"
fail() { echo "FAIL: $*" >&2; tail -20 "$T/serve.log" >&2 2>/dev/null || true; exit 1; }
. tests/integration/fakes_lib.sh
. "$(dirname "$0")/ports_lib.sh"
export HARK_PG_PORT=$(free_port) HARK_PG_DIR=$T/pg HARK_PG_FAST=1
spid=
cleanup() {
  [ -n "$spid" ] && kill "$spid" 2>/dev/null
  stop_fakes
  "$ROOT/scripts/pg" stop --purge >/dev/null 2>&1 || true
  rm -rf "$T"
}
trap cleanup EXIT
URL=$("$ROOT/scripts/pg" start)
export DATABASE_URL=$URL HARK_SPOOL_PATH=$T/spool.jsonl
export HARK_DATA_KEY=$(printf '%064d' 5)
unset HARK_STORE
"$HARK" migrate >/dev/null || fail "migrate"

start_fake LLM fake_llm.py --key sk-test --script tests/fixtures/llm/booking.json \
  --ttft-ms 100 --tokens-per-s 50 --log "$T/llm.log"
OPENAI_API_KEY=sk-test OPENAI_BASE_URL="http://127.0.0.1:$LLM/v1" \
  "$HARK" call --agent tests/fixtures/agents/llm_booking.lua --store \
    --caller-text "book a table for two" --caller-text "what is my booking reference" \
    --caller-text "thank you goodbye" --transcript "$T/call.json" >"$T/out.txt" 2>"$T/call.log" \
  || { tail -20 "$T/call.log"; fail "hark call --store"; }
SID=$(grep -Eo 'stored as call [A-Za-z0-9]+' "$T/out.txt" | awk '{print $4}')
[ -n "$SID" ] || fail "no call id printed"
KEY=$("$HARK" key create --tenant 00000000-0000-0000-0000-000000000001 2>/dev/null) || fail "key create"

PORT=$(free_port)
export JWT_SECRET=integration-secret-0123456789abcdef
export TWILIO_ACCOUNT_SID=AC00000000000000000000000000000000 TWILIO_AUTH_TOKEN=test-token
export TWILIO_WEBHOOK_URL=https://hark.example.com/api/v1/voice-agents/twilio/webhook
mkdir -p "$T/agents"
HARK_PRICE_LLM_PER_1K_PROMPT=0.5 HARK_PRICE_LLM_PER_1K_COMPLETION=2 \
  HARK_PORT=$PORT HARK_AGENTS_DIR=$T/agents "$HARK" serve 2>"$T/serve.log" &
spid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
code=$(curl -s -o "$T/call_api.json" -w '%{http_code}' -H "Authorization: Bearer $KEY" \
  "http://127.0.0.1:$PORT/call/$SID")
[ "$code" = 200 ] || fail "GET /call/$SID: $code $(cat "$T/call_api.json")"

python3 - "$T/call_api.json" "$T/call.json" "$T/llm.log" <<'PY' || fail "Vapi message checks"
import json, re, sys
c = json.load(open(sys.argv[1]))
t = json.load(open(sys.argv[2]))
msgs = c["messages"]
roles = [m["role"] for m in msgs]
assert roles.count("tool_calls") == 1 and roles.count("tool_call_result") == 1, roles
tc = next(m for m in msgs if m["role"] == "tool_calls")
tr = next(m for m in msgs if m["role"] == "tool_call_result")
call = tc["toolCalls"][0]
assert call["type"] == "function" and call["function"]["name"] == "book_table", call
assert json.loads(call["function"]["arguments"]) == {"people": 2, "time": "19:00"}, call
assert tr["toolCallId"] == call["id"] and tr["name"] == "book_table", tr
ref = re.search(r"reference (R\d+)", tr["result"]).group(1)
# the same exchange as the call's own record
rec = next(m for m in t["messages"] if m["role"] == "tool_call_result")["tool_results"][0]
assert rec["toolCallId"] == call["id"] and rec["result"] == tr["result"], (rec, tr)
# call order: the ask, the call, its result, then the answers (the later one names the reference)
i_ask = next(i for i, m in enumerate(msgs) if m["role"] == "user" and "book a table" in m["message"])
i_tc, i_tr = roles.index("tool_calls"), roles.index("tool_call_result")
i_ref = next(i for i, m in enumerate(msgs) if m["role"] == "bot" and ref in m["message"])
assert i_ask < i_tc < i_tr < i_ref, (i_ask, i_tc, i_tr, i_ref, roles)
transcript = c.get("transcript") or c["artifact"]["transcript"]
assert ref in transcript and "toolCallId" not in transcript and "book_table" not in transcript, transcript
print("GET /call:", roles)
# tokens: what the fake reported, summed over the call's requests
reqs = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
n = sum(1 for r in reqs if r["status"] == 200)
assert n == 4, reqs  # the tool call, its answer, the reference, goodbye
answers = [m["message"] for m in msgs if m["role"] == "bot" and m["message"] != "Hi, this is the restaurant."]
pieces = sum(len(re.findall(r"\s*\S{1,4}", a)) for a in answers)
cb = c["costBreakdown"]
assert cb["llmPromptTokens"] == 20 * n, cb
assert cb["llmCompletionTokens"] == pieces + 8 * len(tc["toolCalls"]), (cb, answers)
llm = round(cb["llmPromptTokens"] / 1000 * 0.5 + cb["llmCompletionTokens"] / 1000 * 2, 6)
assert abs(cb["llm"] - llm) < 1e-9 and llm > 0, (cb, llm)
assert [k["cost"] for k in c["costs"] if k["type"] == "model"] == [cb["llm"]], c["costs"]
assert abs(c["cost"] - cb["total"]) < 1e-9 and cb["total"] >= cb["llm"], (c["cost"], cb)
assert c["metadata"]["hark"]["usage"]["unrecorded"] == [], c["metadata"]["hark"]["usage"]
print("tokens:", cb["llmPromptTokens"], cb["llmCompletionTokens"], "llm cost", cb["llm"])
PY
echo "ok: tool calls and results are in the stored call as Vapi's tool_calls / tool_call_result items; LLM tokens priced"
