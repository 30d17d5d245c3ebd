#!/usr/bin/env bash
# bench/tool_latency.sh [CALLS]: what a function tool on the customer's
# server adds to a turn (lua/hark/tool_server.lua). Each call: the model
# (tests/fakes/fake_llm.py) asks for two tools on one server in one turn;
# hark POSTs one tool-calls message to tests/integration/webhook_receiver.py
# --tools ok on loopback and hands the results back. Prints the call-time
# from the recorded tool calls to the last recorded result (p50 / max over
# CALLS calls: request building, the loopback POST, the Python receiver,
# matching), and the Lua cost of one message without the network (envelope,
# arguments splice, reply match; 1000 runs against a stand-in call:http).
# Numbers only; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
CALLS=${1:-10}
HARK=${HARK:-build/hark}
T=$(mktemp -d /tmp/hark-bench-tool-XXXXXX)
fail() { echo "bench: $*" >&2; exit 1; }
. tests/integration/fakes_lib.sh
RPID=
trap 'stop_fakes; [ -z "$RPID" ] || kill "$RPID" 2>/dev/null; rm -rf "$T"' EXIT

cat >"$T/llm.json" <<'J'
{"rules": [
  {"when": "user", "contains": "order", "text": "",
   "tool_calls": [{"name": "lookup_order", "arguments": {"order": "A17"}},
                  {"name": "opening_hours", "arguments": {"day": "monday"}}]},
  {"when": "tool", "text": "Done."}
]}
J
start_fake LLM fake_llm.py --key sk-test --script "$T/llm.json"
python3 tests/integration/webhook_receiver.py --port-file "$T/rport" --log "$T/r.log" --tools ok 2>/dev/null &
RPID=$!
for _ in $(seq 100); do [ -s "$T/rport" ] && break; sleep 0.05; done
[ -s "$T/rport" ] || fail "receiver did not start"
URL="http://127.0.0.1:$(cat "$T/rport")/tools"
cat >"$T/asst.json" <<J
{"model": {"provider": "openai", "model": "gpt-4o-mini",
  "tools": [{"type": "function", "function": {"name": "lookup_order"}},
            {"type": "function", "function": {"name": "opening_hours"}}]},
 "server": {"url": "$URL"}, "voice": {"provider": "espeak"},
 "transcriber": {"provider": "sphinx", "keywords": ["where is my order"]}}
J
for i in $(seq "$CALLS"); do
  OPENAI_API_KEY=sk-test OPENAI_BASE_URL="http://127.0.0.1:$LLM/v1" \
    "$HARK" call --assistant-json "$T/asst.json" --caller-text "where is my order" --quiet \
      --transcript "$T/c$i.json" >/dev/null 2>&1 || fail "call $i failed"
done
python3 - "$T" "$CALLS" <<'PY'
import json, sys
d, n = sys.argv[1], int(sys.argv[2])
ms = []
for i in range(1, n + 1):
    m = json.load(open(f"{d}/c{i}.json"))["messages"]
    calls = [x["start_ms"] for x in m if x["role"] == "tool_calls"]
    res = [x["start_ms"] for x in m if x["role"] == "tool_call_result"]
    if calls and len(res) == 2:
        ms.append(res[-1] - calls[0])
ms.sort()
print(f"tool-calls round trip (2 calls, 1 message, loopback): p50 {ms[len(ms)//2]} ms, max {ms[-1]} ms over {len(ms)} calls")
PY
cat >"$T/lua.lua" <<'L'
local cjson = require("cjson")
local asst = require("hark.assistant")
local ts = require("hark.tool_server")
local a = asst.to_agent({ model = { provider = "openai", model = "m", tools = {
  { type = "function", ["function"] = { name = "lookup_order", parameters = { type = "object",
    properties = { order = { type = "string" } }, required = { "order" } } } },
  { type = "function", ["function"] = { name = "opening_hours" } } } }, serverUrl = "http://127.0.0.1:9/t" })
local reply = { status = 200, body = cjson.encode({ results = {
  { toolCallId = "c1", result = "Order A17 ships on Tuesday" }, { toolCallId = "c2", result = { open = "9-5" } } } }) }
local fake = { log = function() end, tool_say = function() end,
  server_message = function(_, ty) return { type = ty, call = { id = "CA1" } } end,
  http = function() return reply end }
local t0 = os.clock()
for _ = 1, 1000 do
  ts.run(fake, { { id = "c1", def = a.tools.lookup_order, arguments = '{"order":"A17"}' },
                 { id = "c2", def = a.tools.opening_hours, arguments = '{"day":"monday"}' } })
end
print(string.format("Lua per tool-calls message (2 calls, no network): %.1f us", (os.clock() - t0) * 1000))
L
"$HARK" test-lua "$T/lua.lua" 2>/dev/null | grep -v '^ok '
