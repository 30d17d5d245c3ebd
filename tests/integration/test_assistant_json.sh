#!/usr/bin/env bash
# An API assistant (Vapi's JSON, as POST /assistant takes it) runs as an agent:
# `hark call --assistant-json` maps it through lua/hark/assistant.lua onto the
# agent table a Lua file returns and holds a simulated call with it (espeak
# voice, sphinx transcriber, the LLM served by tests/fakes/fake_llm.py). The
# greeting is firstMessage, the model gets model.messages' system prompt,
# model and maxTokens, and endCallPhrases end the call. Then assistants hark
# cannot run are refused, each with a message naming the assistant's field.
set -euo pipefail
HARK=${1:-build/hark}
T=$(mktemp -d /tmp/hark-asst-XXXXXX)
fail() { echo "FAIL: $*" >&2; exit 1; }
. tests/integration/fakes_lib.sh
trap 'stop_fakes; rm -rf "$T"' EXIT

start_fake LLM fake_llm.py --key sk-test --script tests/fixtures/llm/assistant.json --log "$T/llm.log"

OPENAI_API_KEY=sk-test OPENAI_BASE_URL="http://127.0.0.1:$LLM/v1" \
  "$HARK" call --assistant-json tests/fixtures/assistants/bakery.json \
    --caller-text "what are your hours" --caller-text "thank you goodbye" \
    --transcript "$T/call.json" >"$T/call.out" 2>"$T/call.err" \
  || { cat "$T/call.err"; fail "hark call --assistant-json failed"; }
cat "$T/call.out"
python3 - "$T/call.json" "$T/llm.log" <<'PY' || fail "call checks"
import json, sys
t = json.load(open(sys.argv[1]))
said = [m["text"] for m in t["messages"] if m["role"] == "assistant"]
assert said[0] == "Hello, this is the bakery. How can I help?", said
assert any("seven in the morning" in s for s in said), said
assert t["ended_reason"] == "assistant-said-end-call-phrase", t["ended_reason"]
reqs = [json.loads(l) for l in open(sys.argv[2])]
oa = [r for r in reqs if r["path"].endswith("/chat/completions")]
assert oa, reqs
b = oa[0]["body"]
assert b["model"] == "gpt-4o-mini", b
assert b["messages"][0] == {"role": "system", "content": "You answer questions about the bakery's hours."}, b["messages"]
assert b.get("max_tokens") == 150 or b.get("max_completion_tokens") == 150, b
assert abs(b.get("temperature", -1) - 0.3) < 1e-9, b
print("assistant call ok:", said)
PY

# refused, each naming its field
refuse() { # json expected-substring
  printf '%s' "$1" >"$T/bad.json"
  set +e
  "$HARK" call --assistant-json "$T/bad.json" --caller-text "hi" >"$T/bad.out" 2>"$T/bad.err"
  rc=$?
  set -e
  [ "$rc" -ne 0 ] || fail "accepted: $1"
  grep -qF -- "$2" "$T/bad.err" || fail "error for $1 does not say '$2': $(cat "$T/bad.err")"
}
M='"model":{"provider":"openai","model":"gpt-4o-mini"}'
refuse '{"name":"x"}' 'model is required'
refuse '[1,2]' 'assistant must be a JSON object'
refuse '{"model":' 'assistant is not valid JSON'
refuse "{$M,\"voice\":{\"provider\":\"cartesia\",\"voiceId\":\"v\"}}" "voice.provider 'cartesia' is not available"
refuse "{$M,\"firstMessageMode\":\"whenever\"}" 'firstMessageMode must be'
refuse "{$M,\"firstMessage\":7}" 'firstMessage must be a string'
refuse "{$M,\"maxDurationSeconds\":5}" 'maxDurationSeconds must be 10..43200'
refuse "{$M,\"endCallPhrases\":[\"bye\",3]}" 'endCallPhrases[1] must be a string'
refuse '{"model":{"provider":"openai","model":"m","messages":[{"role":"system","content":"a"},{"role":"user","content":"b"}]}}' 'model.messages[1].role "user" is not supported'
refuse '{"model":{"provider":"openai","model":"m","maxTokens":-1}}' 'maxTokens'
refuse '{"model":{"provider":"nope","model":"m"}}' "model.provider 'nope' is not available"
refuse '{"model":{"model":"m"}}' 'model.provider is required'
refuse "{$M,\"server\":{\"url\":\"ftp://example.com/hook\"}}" 'server.url must be an http:// or https:// URL'
refuse "{$M,\"serverUrl\":7}" 'serverUrl must be a string'
refuse "{$M,\"server\":{\"url\":\"https://example.com/hook\",\"headers\":{\"X-A\":1}}}" 'server.headers must map header names to strings'
refuse "{$M,\"transcriber\":{\"provider\":\"sphinx\",\"language\":\"de\"}}" 'only an English model'
refuse '{"model":{"provider":"openai","model":"m","tools":[{"type":"function","function":{"name":"f"}}]}}' 'model.tools[0].server.url needs a server'
echo "refusals ok"
echo PASS
