#!/usr/bin/env bash
# Function tools served by the customer's server (Vapi's tool-calls round
# trip), with tests/fakes/fake_llm.py as the model and
# tests/integration/webhook_receiver.py --tools as the tool server:
# 1. an API assistant (hark call --assistant-json) with an inline function
#    tool on its own server (secret + header) and one on the assistant's
#    server: the model asks for both in one turn; the tool server gets one
#    tool-calls message (shape, X-Vapi-Secret, arguments an object), its
#    results go back to the model by toolCallId (a string as is, an object
#    JSON-encoded) and the model's answer is spoken; request-start is said;
# 2. legacy model.functions: a function-call message, {result} back;
# 3. failures become error results the model sees, never a crash: a tool
#    server too slow (timeoutSeconds), a malformed reply, HTTP 500, a reply
#    missing one call's result; request-failed is said;
# 4. toolIds through hark serve and PostgreSQL: POST /tool, an assistant
#    naming it (an unknown id is a 400 at create, at PATCH and in POST
#    /call's transient assistant), then a call
#    of that assistant as the store holds it (hark call --assistant-id):
#    the stored tool's server gets the tool-calls message; the tool deleted,
#    the next call goes on without it (a warning, no error);
# 5. (run before 4) an async tool (async: true): its tool-calls message is
#    sent and not waited for; the model is told at once that no result comes.
set -euo pipefail
. "$(dirname "$0")/ports_lib.sh"
HARK=$(realpath "${1:-build/hark}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
T=$(mktemp -d /tmp/hark-toolsrv-XXXXXX)
chmod 0755 "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
. tests/integration/fakes_lib.sh
RPID= SPID=
stop_receiver() { [ -z "$RPID" ] || { kill "$RPID" 2>/dev/null || true; wait "$RPID" 2>/dev/null || true; }; RPID=; }
cleanup() {
  set +e
  stop_receiver
  [ -z "$SPID" ] || { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }
  stop_fakes
  [ -z "${PGSTARTED:-}" ] || "$ROOT/scripts/pg" stop --purge >/dev/null 2>&1
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

# start_receiver LOG MODE: the tool server; its port in $RPORT
start_receiver() {
  stop_receiver
  rm -f "$T/rport"
  python3 tests/integration/webhook_receiver.py --port-file "$T/rport" --log "$1" --tools "$2" \
    2>>"$T/receiver.err" &
  RPID=$!
  for _ in $(seq 100); do [ -s "$T/rport" ] && break; sleep 0.05; done
  [ -s "$T/rport" ] || fail "receiver did not start"
  RPORT=$(cat "$T/rport")
}

cat >"$T/llm.json" <<'J'
{"rules": [
  {"when": "user", "contains": "order", "text": "",
   "tool_calls": [{"name": "lookup_order", "arguments": {"order": "A17", "qty": 12345678901234567, "tags": []}},
                  {"name": "opening_hours", "arguments": {"day": "monday"}}]},
  {"when": "user", "contains": "weather", "text": "", "tool_calls": [{"name": "weather", "arguments": {"city": "Oslo"}}]},
  {"when": "user", "contains": "notify", "text": "", "tool_calls": [{"name": "notify", "arguments": {"who": "shop"}}]},
  {"when": "tool", "text": "Here is what I found: {{tool_result}}"}
]}
J
start_fake LLM fake_llm.py --key sk-test --script "$T/llm.json" --log "$T/llm.log"
export OPENAI_API_KEY=sk-test OPENAI_BASE_URL="http://127.0.0.1:$LLM/v1"

# assistant FILE MAIN_URL TOOL_URL [TIMEOUT]: the inline-tools assistant
assistant() {
  python3 - "$@" <<'PY'
import json, sys
out, main, tool = sys.argv[1:4]
timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 5
a = {"name": "Shop", "firstMessage": "Hello, shop here.",
     "model": {"provider": "openai", "model": "gpt-4o-mini",
               "messages": [{"role": "system", "content": "You help with orders."}],
               "tools": [
                 {"type": "function", "async": False,
                  "function": {"name": "lookup_order", "description": "Find an order",
                               "parameters": {"type": "object", "properties": {"order": {"type": "string"}},
                                              "required": ["order"]}},
                  "server": {"url": tool, "secret": "tool-secret-1", "headers": {"X-Shop": "s1"},
                             "timeoutSeconds": timeout},
                  "messages": [{"type": "request-start", "content": "Let me check that."},
                               {"type": "request-failed", "content": "Sorry, the order system is not answering."}]},
                 {"type": "function", "function": {"name": "opening_hours", "parameters": {"type": "object",
                  "properties": {"day": {"type": "string"}}}}}],
               "functions": [{"name": "weather", "description": "Weather in a city",
                              "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}]},
     "voice": {"provider": "espeak"}, "transcriber": {"provider": "sphinx", "keywords": ["where is my order", "what is the weather", "hello there"]},
     "server": {"url": main, "secret": "main-secret", "timeoutSeconds": timeout}}
json.dump(a, open(out, "w"))
PY
}

# run NAME LINE: one call; the transcript in $T/NAME.json, the LLM requests in $T/NAME.llm
run() {
  : >"$T/llm.log"
  "$HARK" call --assistant-json "$T/asst.json" --caller-text "$2" --transcript "$T/$1.json" \
    >"$T/$1.out" 2>"$T/$1.err" || { tail -20 "$T/$1.err"; fail "$1: hark call failed"; }
  cp "$T/llm.log" "$T/$1.llm"
  ! grep -q '"level":"error"' "$T/$1.err" || { grep '"level":"error"' "$T/$1.err"; fail "$1: errors logged"; }
}

# ---- 1. the round trip: two calls of one turn in one message -------------
start_receiver "$T/r1.log" ok
assistant "$T/asst.json" "http://127.0.0.1:$RPORT/main" "http://127.0.0.1:$RPORT/tools"
run ok "where is my order"
python3 - "$T/r1.log" "$T/ok.llm" "$T/ok.json" <<'PY' || fail "1: the tool-calls round trip"
import json, sys
posts = [json.loads(l) for l in open(sys.argv[1])]
tc = [p for p in posts if p["body"]["message"]["type"] == "tool-calls"]
# one message per server: lookup_order has its own, opening_hours the assistant's
assert len(tc) == 2, [p["path"] for p in tc]
by = {p["path"]: p for p in tc}
own, main = by["/tools"], by["/main"]
assert own["headers"]["x-vapi-secret"] == "tool-secret-1", own["headers"]
assert own["headers"]["x-shop"] == "s1" and own["headers"]["content-type"] == "application/json", own["headers"]
assert main["headers"]["x-vapi-secret"] == "main-secret", main["headers"]
m = own["body"]["message"]
assert isinstance(m["timestamp"], (int, float)) and m["timestamp"] > 1.7e12, m["timestamp"]
assert m["call"]["id"] and m["call"]["type"] == "inboundPhoneCall" and m["call"]["status"] == "in-progress", m["call"]
assert m["assistant"]["name"] == "Shop", m["assistant"]
(c,) = m["toolCallList"]
assert c["type"] == "function" and c["id"] and c["function"]["name"] == "lookup_order" == c["name"], c
args = c["function"]["arguments"]
assert isinstance(args, dict) and args["order"] == "A17", args
assert args["qty"] == 12345678901234567 and args["tags"] == [], args  # as the model wrote them
assert c["arguments"] == args, c
(w,) = m["toolWithToolCallList"]
assert w["type"] == "function" and w["function"]["name"] == "lookup_order", w
assert w["function"]["parameters"]["required"] == ["order"], w
assert w["server"]["url"].endswith("/tools") and "secret" not in w["server"], w
assert w["toolCall"]["id"] == c["id"] and w["toolCall"]["function"]["arguments"] == args, w
assert [x["type"] for x in w["messages"]] == ["request-start", "request-failed"], w
(c2,) = main["body"]["message"]["toolCallList"]
assert c2["function"]["name"] == "opening_hours" and c2["function"]["arguments"] == {"day": "monday"}, c2
# the model's next request carries both results, matched by id
reqs = [json.loads(l)["body"] for l in open(sys.argv[2])]
tools_offered = sorted(t["function"]["name"] for t in reqs[0]["tools"])
assert tools_offered == ["lookup_order", "opening_hours", "weather"], tools_offered
last = reqs[-1]["messages"]
res = {x["tool_call_id"]: x["content"] for x in last if x["role"] == "tool"}
assert res[c["id"]] == "Order A17 ships on Tuesday", res
assert json.loads(res[c2["id"]]) == {"tool": "opening_hours", "args": {"day": "monday"}}, res
t = json.load(open(sys.argv[3]))
said = [x["text"] for x in t["messages"] if x["role"] == "assistant"]
assert "Let me check that." in said, said
assert any("Here is what I found" in s for s in said), said
results = [x for x in t["messages"] if x["role"] == "tool_call_result"]
assert len(results) == 2, t["messages"]
print("ok 1: one tool-calls message per server, results back to the model by id")
PY

# ---- 2. legacy functions: function-call ------------------------------------
run legacy "what is the weather"
python3 - "$T/r1.log" "$T/legacy.llm" <<'PY' || fail "2: function-call"
import json, sys
posts = [json.loads(l) for l in open(sys.argv[1])]
fc = [p for p in posts if p["body"]["message"]["type"] == "function-call"]
assert len(fc) == 1 and fc[0]["path"] == "/main", fc
m = fc[0]["body"]["message"]
assert m["functionCall"] == {"name": "weather", "parameters": {"city": "Oslo"}}, m
assert fc[0]["headers"]["x-vapi-secret"] == "main-secret"
last = [json.loads(l)["body"] for l in open(sys.argv[2])][-1]["messages"]
res = [x["content"] for x in last if x["role"] == "tool"]
assert res == ['function weather says {"city": "Oslo"}'], res
print("ok 2: legacy function-call, its result back to the model")
PY

# ---- 3. failures: error results the model sees ------------------------------
fails() { # NAME MODE EXPECTED-ERROR-SUBSTRING [TIMEOUT]
  start_receiver "$T/r-$1.log" "$2"
  assistant "$T/asst.json" "http://127.0.0.1:$RPORT/main" "http://127.0.0.1:$RPORT/tools" "${4:-5}"
  run "$1" "where is my order"
  python3 - "$T/$1.llm" "$T/$1.json" "$3" "$1" <<'PY' || fail "3: $1"
import json, sys
want, name = sys.argv[3], sys.argv[4]
last = [json.loads(l)["body"] for l in open(sys.argv[1])][-1]["messages"]
res = [json.loads(x["content"]) for x in last if x["role"] == "tool"]
assert len(res) == 2, res
errs = [r.get("error", "") for r in res if isinstance(r, dict)]
assert any(want in e for e in errs), (want, res)
t = json.load(open(sys.argv[2]))
said = [x["text"] for x in t["messages"] if x["role"] == "assistant"]
assert any("Here is what I found" in s for s in said), said  # the model answered after the failure
if name != "partial":
    assert "Sorry, the order system is not answering." in said, said
print("ok 3:", name, "->", [e for e in errs if want in e][0])
PY
}
fails timeout slow:4 "the tool server did not answer" 1
fails malformed malformed "the tool server's reply is not a JSON object"
fails status500 status:500 "the tool server answered HTTP 500"
fails partial partial "no result for this tool call"
fails error error "no such order"

# ---- 5. an async tool: sent, not waited for -------------------------------
start_receiver "$T/r5.log" slow:5
cat >"$T/asst.json" <<J
{"model": {"provider": "openai", "model": "gpt-4o-mini",
  "tools": [{"type": "function", "async": true, "function": {"name": "notify"}}]},
 "server": {"url": "http://127.0.0.1:$RPORT/async", "secret": "a-secret"},
 "voice": {"provider": "espeak"}, "transcriber": {"provider": "sphinx", "keywords": ["please notify the shop"]}}
J
run async "please notify the shop"
for _ in $(seq 150); do grep -q '"type": "tool-calls"' "$T/r5.log" && break; sleep 0.1; done
python3 - "$T/r5.log" "$T/async.json" "$T/async.llm" <<'PY' || fail "5: the async tool"
import json, sys
(p,) = [x for x in map(json.loads, open(sys.argv[1])) if x["body"]["message"]["type"] == "tool-calls"]
m = p["body"]["message"]
assert m["type"] == "tool-calls" and p["headers"]["x-vapi-secret"] == "a-secret", p
assert m["toolCallList"][0]["function"] == {"name": "notify", "arguments": {"who": "shop"}}, m
assert m["toolWithToolCallList"][0]["async"] is True, m
t = json.load(open(sys.argv[2]))
calls = [x["start_ms"] for x in t["messages"] if x["role"] == "tool_calls"]
res = [x for x in t["messages"] if x["role"] == "tool_call_result"]
assert json.loads(res[0]["text"])["status"] == "sent", res
# the receiver answers after 5 s: the turn went on long before
assert res[0]["start_ms"] - calls[0] < 2500, (calls, res)
last = [json.loads(l)["body"] for l in open(sys.argv[3])][-1]["messages"]
assert [json.loads(x["content"])["status"] for x in last if x["role"] == "tool"] == ["sent"], last
print("ok 5: an async tool's message is sent; the model hears at once that no result comes")
PY
stop_receiver

# ---- 4. toolIds through the API and the store --------------------------------
PGP=$(free_port) PORT=$(free_port)
export HARK_PG_PORT=$PGP HARK_PG_DIR=$T/pg HARK_PG_FAST=1
DATABASE_URL=$("$ROOT/scripts/pg" start) || fail "pg start"
PGSTARTED=1
export DATABASE_URL
unset HARK_STORE
"$HARK" migrate >/dev/null || fail "migrate"
TA=$("$HARK" tenant create "Shop") || fail "tenant create"
KA=$("$HARK" key create --tenant "$TA" 2>/dev/null) || fail "key create"
mkdir -p "$T/agents"
export TWILIO_ACCOUNT_SID=AC55555555555555555555555555555555 TWILIO_AUTH_TOKEN=tok
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$PORT/api/v1/voice-agents/twilio/webhook
HARK_PORT=$PORT HARK_AGENTS_DIR=$T/agents HARK_SPOOL_PATH=$T/spool.jsonl "$HARK" serve 2>"$T/serve.log" &
SPID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || fail "serve did not start"
api() { # METHOD PATH [BODY]: the body, then the status on a last line
  local args=(-s -X "$1" -H "Authorization: Bearer $KA" -w '\n%{http_code}')
  [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data "$3")
  curl "${args[@]}" "http://127.0.0.1:$PORT$2"
}
status() { tail -n1 <<<"$1"; }
jid() { sed '$d' <<<"$1" | python3 -c 'import sys, json; print(json.load(sys.stdin)["id"])'; }

start_receiver "$T/r4.log" ok
r=$(api POST /tool "{\"type\":\"function\",\"function\":{\"name\":\"lookup_order\",\"description\":\"Find an order\",\"parameters\":{\"type\":\"object\",\"properties\":{\"order\":{\"type\":\"string\"}},\"required\":[\"order\"]}},\"server\":{\"url\":\"http://127.0.0.1:$RPORT/stored\",\"secret\":\"stored-secret\"}}")
[ "$(status "$r")" = 201 ] || fail "4: POST /tool: $r"
TOOL=$(jid "$r")
MODEL='"provider":"openai","model":"gpt-4o-mini","messages":[{"role":"system","content":"Orders."}]'
BOGUS=7a1c2d3e-0000-4000-8000-0000000000bb
r=$(api POST /assistant "{\"name\":\"Stored\",\"model\":{$MODEL,\"toolIds\":[\"$TOOL\",\"$BOGUS\"]},\"voice\":{\"provider\":\"espeak\"},\"transcriber\":{\"provider\":\"sphinx\",\"keywords\":[\"where is my order\",\"hello there\"]}}")
[ "$(status "$r")" = 400 ] || fail "4: an unknown toolId must be a 400: $r"
grep -qF "model.toolIds[1] names no tool of this organisation ($BOGUS)" <<<"$r" || fail "4: the 400 names the id: $r"
r=$(api POST /assistant "{\"name\":\"Stored\",\"model\":{$MODEL,\"toolIds\":[\"$TOOL\"],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"opening_hours\"},\"server\":{\"url\":\"http://127.0.0.1:$RPORT/inline\"}}]},\"voice\":{\"provider\":\"espeak\"},\"transcriber\":{\"provider\":\"sphinx\",\"keywords\":[\"where is my order\",\"hello there\"]}}")
[ "$(status "$r")" = 201 ] || fail "4: POST /assistant with toolIds: $r"
ASST=$(jid "$r")
r=$(api PATCH "/assistant/$ASST" "{\"model\":{$MODEL,\"toolIds\":[\"$BOGUS\"]}}")
[ "$(status "$r")" = 400 ] || fail "4: PATCH to an unknown toolId must be a 400: $r"
grep -qF "model.toolIds[0] names no tool of this organisation ($BOGUS)" <<<"$r" || fail "4: the PATCH 400 names the id: $r"
# a transient assistant of POST /call: its toolIds are checked the same way
r=$(api POST /phone-number "{\"provider\":\"twilio\",\"number\":\"+15550142\",\"twilioAccountSid\":\"$TWILIO_ACCOUNT_SID\",\"twilioAuthToken\":\"tok\"}")
[ "$(status "$r")" = 201 ] || fail "4: POST /phone-number: $r"
NUM=$(jid "$r")
r=$(api POST /call "{\"phoneNumberId\":\"$NUM\",\"customer\":{\"number\":\"+15550100\"},\"assistant\":{\"model\":{$MODEL,\"toolIds\":[\"$BOGUS\"]}}}")
[ "$(status "$r")" = 400 ] || fail "4: POST /call with a transient assistant naming an unknown toolId must be a 400: $r"
grep -qF "assistant.model.toolIds names no tool of this organisation ($BOGUS)" <<<"$r" || fail "4: the POST /call 400 names the id: $r"
"$HARK" call --assistant-id "$ASST" --tenant "$TA" --caller-text "where is my order" \
  --transcript "$T/stored.json" >"$T/stored.out" 2>"$T/stored.err" \
  || { tail -20 "$T/stored.err"; fail "4: hark call --assistant-id failed"; }
! grep -q '"level":"error"' "$T/stored.err" || { grep '"level":"error"' "$T/stored.err"; fail "4: errors logged"; }
python3 - "$T/r4.log" "$T/stored.json" <<'PY' || fail "4: the stored tool's round trip"
import json, sys
posts = [json.loads(l) for l in open(sys.argv[1])]
by = {p["path"]: p for p in posts if p["body"]["message"]["type"] == "tool-calls"}
st = by["/stored"]
assert st["headers"]["x-vapi-secret"] == "stored-secret", st["headers"]
(c,) = st["body"]["message"]["toolCallList"]
assert c["function"]["name"] == "lookup_order" and c["function"]["arguments"]["order"] == "A17", c
assert "/inline" in by, by.keys()
t = json.load(open(sys.argv[2]))
res = {r["name"]: r["result"] for x in t["messages"] if x["role"] == "tool_call_result" for r in x["tool_results"]}
assert res["lookup_order"] == "Order A17 ships on Tuesday", res
said = [x["text"] for x in t["messages"] if x["role"] == "assistant"]
assert any("Here is what I found" in s for s in said), said
print("ok 4: a toolIds tool from the store, called on its server")
PY
r=$(api DELETE "/tool/$TOOL")
[ "$(status "$r")" = 200 ] || fail "4: DELETE /tool: $r"
: >"$T/r4.log"
"$HARK" call --assistant-id "$ASST" --tenant "$TA" --caller-text "hello there" \
  --transcript "$T/gone.json" >"$T/gone.out" 2>"$T/gone.err" \
  || { tail -20 "$T/gone.err"; fail "4: the call after the tool was deleted failed"; }
grep -q '"msg":"assistant_tool_missing"\|assistant_tool_missing' "$T/gone.err" || fail "4: no warning for the deleted tool: $(tail -5 "$T/gone.err")"
! grep -q '"level":"error"' "$T/gone.err" || { grep '"level":"error"' "$T/gone.err"; fail "4: errors logged after the delete"; }
echo "ok 4: the deleted tool is skipped with a warning"
echo "ok: tool-calls round trip (inline, legacy, toolIds), failures as error results"
