#!/usr/bin/env bash
# Agent fields over the audio path, against the provider fakes:
# 1. language = "de" reaches Deepgram as language=de; on_transcript sees the
#    interim transcripts Deepgram streams and the final, before the turn;
#    first_message_mode = "assistant-waits-for-user" keeps the agent silent
#    until the caller has spoken.
# 2. first_message_mode = "assistant-speaks-first-with-model-generated-message":
#    the model writes the greeting from the system prompt alone, before the
#    caller says anything.
set -euo pipefail
HARK=$(realpath "${1:-build/hark}")
T=$(mktemp -d /tmp/hark-fields-XXXXXX)
fail() { echo "FAIL: $*" >&2; exit 1; }
. tests/integration/fakes_lib.sh
trap 'stop_fakes; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

echo "Where is my order? The number is 1001." >"$T/dg.txt"
start_fake DG fake_deepgram --key dg-test --script "$T/dg.txt" --log "$T/dg.log"
export DEEPGRAM_API_KEY=dg-test DEEPGRAM_BASE_URL=ws://127.0.0.1:$DG
cat >"$T/listener.lua" <<'LUA'
return {
  name = "listener",
  language = "de",
  first_message = "Dieser Satz wird nie gesagt.",
  first_message_mode = "assistant-waits-for-user",
  transcriber = { provider = "deepgram" },
  on_transcript = function(call, t)
    local key = t.final and "finals" or "interims"
    call:set(key, call:get(key, 0) + 1)
    if t.final then call:set("final_turn", t.turn) end
  end,
  on_user_turn = function(call, text)
    return "interims " .. call:get("interims", 0) .. " finals " .. call:get("finals", 0) ..
           " turn " .. tostring(call:get("final_turn"))
  end,
}
LUA
"$HARK" call --agent "$T/listener.lua" --caller-text "where is my order the number is one zero zero one" \
  --transcript "$T/listener.json" --quiet 2>"$T/listener.log" || { tail "$T/listener.log"; fail "call 1"; }
python3 - "$T/listener.json" "$T/dg.log" <<'PY' || fail "language / on_transcript / waits-for-user"
import json, re, sys
t = json.load(open(sys.argv[1]))
msgs = [(m["role"], m["text"]) for m in t["messages"]]
print(msgs)
assert msgs[0][0] == "user", "waits-for-user: the caller speaks first"
assert "nie gesagt" not in json.dumps(msgs), "the first message is not spoken"
said = [m for r, m in msgs if r == "assistant"]
m = re.match(r"interims (\d+) finals (\d+) turn (\d+)", said[0])
assert m and int(m.group(1)) >= 2 and m.group(2) == "1" and m.group(3) == "1", said[0]
conns = [json.loads(l) for l in open(sys.argv[2]) if '"connect"' in l]
assert conns and "language=de" in conns[0]["query"], conns
PY
grep -q '"event":"hook_error"' "$T/listener.log" && fail "a hook failed"

cat >"$T/llm.json" <<'JSON'
{"rules": [
  {"when": "system", "text": "Good morning, the model greets you."},
  {"when": "user", "text": "You said something."}
]}
JSON
start_fake LLM fake_llm.py --key sk-test --script "$T/llm.json" --log "$T/llm.log"
cat >"$T/greeter.lua" <<'LUA'
return {
  name = "greeter",
  first_message = "This fixed line is not used.",
  first_message_mode = "assistant-speaks-first-with-model-generated-message",
  system_prompt = "You are a greeter. Greet the caller warmly.",
  model = { provider = "openai", model = "gpt-4o-mini" },
  transcriber = { phrases = { "hello there" } },
}
LUA
OPENAI_API_KEY=sk-test OPENAI_BASE_URL="http://127.0.0.1:$LLM/v1" "$HARK" call --agent "$T/greeter.lua" \
  --caller-text "hello there" --transcript "$T/greeter.json" --quiet 2>"$T/greeter.log" \
  || { tail "$T/greeter.log"; fail "call 2"; }
python3 - "$T/greeter.json" "$T/llm.log" <<'PY' || fail "model-generated first message"
import json, sys
t = json.load(open(sys.argv[1]))
msgs = [(m["role"], m["text"]) for m in t["messages"]]
print(msgs)
assert msgs[0] == ("assistant", "Good morning, the model greets you."), msgs
assert ("user", "hello there") in msgs and msgs[-1] == ("assistant", "You said something."), msgs
assert "fixed line" not in json.dumps(msgs)
reqs = [json.loads(l) for l in open(sys.argv[2])]
first = reqs[0]["body"]["messages"]
assert [m["role"] for m in first] == ["system"], first
PY
echo "ok: agent fields (language, on_transcript interims, waits-for-user, model-generated greeting)"
