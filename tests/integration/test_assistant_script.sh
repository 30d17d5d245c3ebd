#!/usr/bin/env bash
# An API assistant with a Lua script (metadata.hark.script): `hark call
# --assistant-json` with HARK_AGENTS_DIR pointing at a directory holding the
# script. The assistant's JSON gives the settings (firstMessage, the model,
# its system prompt), the script its on_start hook (it says a line after the
# greeting) and a Lua tool the model calls (the fake LLM asks for it; its
# result goes back to the model). The script's own first_message and
# system_prompt lose to the JSON's. Then a broken script and a missing one
# refuse the assistant, naming metadata.hark.script; an edit of the script
# applies to the next call. (The registry's hot reload and the API's 400:
# tests/unit/agent/test_assistant_script.c, tests/unit/api/test_api_assistant.c.)
set -euo pipefail
HARK=$(realpath "${1:-build/hark}")
T=$(mktemp -d /tmp/hark-ascript-XXXXXX)
fail() { echo "FAIL: $*" >&2; exit 1; }
. tests/integration/fakes_lib.sh
trap 'stop_fakes; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

cat >"$T/llm.json" <<'J'
{"rules": [
  {"when": "user", "contains": "hours", "text": "Let me check.",
   "tool_calls": [{"name": "opening_hours", "arguments": {"day": "monday"}}]},
  {"when": "tool", "text": "We open at seven. Goodbye."}
]}
J
start_fake LLM fake_llm.py --key sk-test --script "$T/llm.json" --log "$T/llm.log"

mkdir -p "$T/agents"
script() { # version
  cat >"$T/agents/bakery_logic.lua.tmp" <<LUA
return {
  first_message = "The script's greeting is never said.",
  system_prompt = "The script's prompt loses to the assistant's.",
  on_start = function(call) call:say("Script $1 is running.") end,
  tools = {
    opening_hours = hark.tool {
      name = "opening_hours",
      description = "Opening hours of one day.",
      parameters = { type = "object", properties = { day = { type = "string" } }, required = { "day" } },
      handler = function(call, args) return { day = args.day, opens = "07:00", by = "script $1" } end,
    },
  },
}
LUA
  mv "$T/agents/bakery_logic.lua.tmp" "$T/agents/bakery_logic.lua"
}
script v1
python3 - tests/fixtures/assistants/bakery.json "$T/asst.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
a["metadata"] = {"hark": {"script": "bakery_logic.lua"}}
json.dump(a, open(sys.argv[2], "w"))
PY

call() { # name
  OPENAI_API_KEY=sk-test OPENAI_BASE_URL="http://127.0.0.1:$LLM/v1" HARK_AGENTS_DIR="$T/agents" \
    "$HARK" call --assistant-json "$T/asst.json" --caller-text "what are your hours" \
      --transcript "$T/$1.json" >"$T/$1.out" 2>"$T/$1.err"
}
call one || { cat "$T/one.err"; fail "hark call with a script failed"; }
python3 - "$T/one.json" "$T/llm.log" v1 <<'PY' || fail "call 1 checks"
import json, sys
t = json.load(open(sys.argv[1]))
v = sys.argv[3]
said = [m["text"] for m in t["messages"] if m["role"] == "assistant"]
assert said[0] == "Hello, this is the bakery. How can I help?", said
assert "Script %s is running." % v in said, said
assert not any("never said" in s for s in said), said
calls = [m for m in t["messages"] if m["role"] == "tool_calls"]
assert calls and calls[0]["tool_calls"][0]["function"]["name"] == "opening_hours", calls
reqs = [json.loads(l) for l in open(sys.argv[2])]
oa = [r["body"] for r in reqs if r["path"].endswith("/chat/completions")]
assert oa[0]["messages"][0]["content"] == "You answer questions about the bakery's hours.", oa[0]["messages"][0]
assert [x["function"]["name"] for x in oa[0]["tools"]] == ["opening_hours"], oa[0]["tools"]
tool_msgs = [m for b in oa for m in b["messages"] if m["role"] == "tool"]
assert tool_msgs and json.loads(tool_msgs[-1]["content"])["by"] == "script " + v, tool_msgs
assert any("We open at seven" in s for s in said), said
print("call with script", v, "ok:", said)
PY

# the script edited: the next call runs the new version
script v2
: >"$T/llm.log"
call two || { cat "$T/two.err"; fail "hark call after the edit failed"; }
python3 - "$T/two.json" "$T/llm.log" v2 <<'PY' || fail "call 2 checks"
import json, sys
t = json.load(open(sys.argv[1]))
said = [m["text"] for m in t["messages"] if m["role"] == "assistant"]
assert "Script v2 is running." in said, said
reqs = [json.loads(l) for l in open(sys.argv[2])]
tool_msgs = [m for r in reqs if r["path"].endswith("/chat/completions") for m in r["body"]["messages"] if m["role"] == "tool"]
assert tool_msgs and json.loads(tool_msgs[-1]["content"])["by"] == "script v2", tool_msgs
print("edited script applied:", said)
PY

# broken and missing scripts: refused, naming the field
printf 'return { on_start = function(call)\n' >"$T/agents/bakery_logic.lua"
set +e
call broken
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "a broken script was accepted"
err=$(cat "$T/broken.err")
case "$err" in *"metadata.hark.script bakery_logic.lua:2"*) ;; *) fail "broken script error: $err" ;; esac
rm "$T/agents/bakery_logic.lua"
set +e
call missing
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "a missing script was accepted"
err=$(cat "$T/missing.err")
case "$err" in *"metadata.hark.script bakery_logic.lua: cannot open"*) ;; *) fail "missing script error: $err" ;; esac
echo "refusals ok"
echo PASS
