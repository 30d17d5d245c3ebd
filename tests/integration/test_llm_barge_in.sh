#!/usr/bin/env bash
# Barge-in while the LLM is still writing and ElevenLabs still speaking: the
# caller asks for a story (streamed slowly by the fake LLM, spoken by the fake
# ElevenLabs over its stream-input WebSocket) and talks over it. hark must
# cancel both streams mid-flight (the LLM's HTTP stream closed long before its
# end, the TTS socket closed without its final message), keep only what was
# heard in the transcript, and answer the caller's new turn.
set -euo pipefail
HARK=${1:-build/hark}
T=$(mktemp -d /tmp/hark-llmb-XXXXXX)
fail() { echo "FAIL: $*" >&2; exit 1; }
. tests/integration/fakes_lib.sh
trap 'stop_fakes; rm -rf "$T"' EXIT

start_fake LLM fake_llm.py --key sk-test --script tests/fixtures/llm/shop.json \
  --ttft-ms 200 --tokens-per-s 10 --log "$T/llm.log"
start_fake EL fake_elevenlabs --key xi-test --first-audio-ms 150 --log "$T/el.log"
sed 's/transcriber = {/voice = { provider = "11labs", voiceId = "21m00Tcm4TlvDq8ikWAM" },\n  transcriber = {/' \
  tests/fixtures/agents/llm_shop.lua >"$T/agent.lua"
grep -q '11labs' "$T/agent.lua" || fail "fixture edit"

OPENAI_API_KEY=sk-test OPENAI_BASE_URL="http://127.0.0.1:$LLM/v1" \
ELEVENLABS_API_KEY=xi-test ELEVENLABS_BASE_URL="http://127.0.0.1:$EL" \
  "$HARK" call --agent "$T/agent.lua" --caller-text "tell me a story" \
    --caller-text "@2.5:thank you goodbye" --transcript "$T/call.json" >"$T/out.txt" 2>"$T/log.txt" \
  || { tail -20 "$T/log.txt"; fail "hark call failed"; }
cat "$T/out.txt"
grep -q '"event":"barge_in"' "$T/log.txt" || fail "no barge-in"
grep -q '"event":"llm_cancelled"' "$T/log.txt" || fail "LLM stream not cancelled"
! grep -q '"event":"tts_fallback"' "$T/log.txt" || fail "ElevenLabs was not used throughout"

python3 - "$T/call.json" "$T/llm.log" "$T/el.log" <<'PY' || fail "checks"
import json, sys
t = json.load(open(sys.argv[1]))
story = [m for m in t["messages"] if m["role"] == "assistant" and m["text"].startswith("Once upon")]
assert len(story) == 1 and story[0].get("interrupted"), story
full = "Once upon a time, in a small town by the sea, there lived a baker"
assert len(story[0]["text"]) < 200, story[0]["text"]           # only what was heard
said = [m["text"] for m in t["messages"] if m["role"] == "assistant"]
assert said[-1] == "Thank you for calling, goodbye.", said       # the new turn was answered
# the LLM stream for the story was cut: at 10 tokens/s it needed ~8 s
reqs = [json.loads(l) for l in open(sys.argv[2])]
st = [r for r in reqs if "story" in r["body"]["messages"][-1].get("content", "")]
assert len(st) == 1, st
dur = st[0]["last_event"] - st[0]["first_event"]
assert dur < 5.0, ("the story stream ran on after the barge-in", dur)
# the ElevenLabs socket of the story closed without its final message
ev = [json.loads(l) for l in open(sys.argv[3])]
conns = {e["conn"] for e in ev if e.get("event") == "text" and "Once upon" in json.dumps(e)}
assert len(conns) == 1, conns
c = conns.pop()
mine = [e["event"] for e in ev if e.get("conn") == c]
assert "final_sent" not in mine and "ws_close" in mine, mine
print("story heard:", story[0]["text"], "| LLM stream lasted %.2f s" % dur)
PY
echo "ok: barge-in cancels the LLM and TTS streams"
