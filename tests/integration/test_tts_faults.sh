#!/usr/bin/env bash
# ElevenLabs failures are never silent:
# - its stream-input WebSocket refused: the same request is synthesised over
#   the HTTP streaming endpoint (ulaw_8000) and the caller hears it;
# - both refused (WebSocket 403, HTTP 429): hark switches the call to the
#   offline voice (espeak) and says what could not be said;
# - voice.fallback names a provider and voice: that one is used.
# A normal ElevenLabs call also checks the audio is the fake's (mu-law passed
# through untouched, no transcoding) by hearing it back with the recogniser.
set -euo pipefail
HARK=${1:-build/hark}
T=$(mktemp -d /tmp/hark-ttsf-XXXXXX)
fail() { echo "FAIL: $*" >&2; exit 1; }
. tests/integration/fakes_lib.sh
trap 'stop_fakes; rm -rf "$T"' EXIT

start_fake LLM fake_llm.py --key sk-test --script tests/fixtures/llm/shop.json --ttft-ms 50 --tokens-per-s 100
sed 's/transcriber = {/voice = { provider = "elevenlabs", voiceId = "21m00Tcm4TlvDq8ikWAM" },\n  transcriber = {/' \
  tests/fixtures/agents/llm_shop.lua >"$T/agent.lua"
sed 's/transcriber = {/voice = { provider = "elevenlabs", voiceId = "voiceA", fallback = { provider = "espeak", voiceId = "en-us+f3" } },\n  transcriber = {/' \
  tests/fixtures/agents/llm_shop.lua >"$T/agent_fb.lua"

call() { # label, agent, elevenlabs port
  OPENAI_API_KEY=sk-test OPENAI_BASE_URL="http://127.0.0.1:$LLM/v1" \
  ELEVENLABS_API_KEY=xi-test ELEVENLABS_BASE_URL="http://127.0.0.1:$3" \
    "$HARK" call --agent "$2" --quiet --caller-text "where are my orders" --caller-text "thank you goodbye" \
      --out "$T/$1.wav" --transcript "$T/$1.json" 2>"$T/$1.log" || { tail -5 "$T/$1.log"; fail "$1: call failed"; }
  python3 - "$T/$1.json" <<'PY' || fail "$1: the conversation did not go on"
import json, sys
t = json.load(open(sys.argv[1]))
said = [m["text"] for m in t["messages"] if m["role"] == "assistant"]
assert said[0] == "Hi, this is the shop." and any("has shipped" in s for s in said), said
assert said[-1] == "Thank you for calling, goodbye." and t["ended_reason"] == "assistant-said-end-call-phrase", said
PY
}

# healthy: the agent's channel is the fake's espeak speech, heard back
start_fake EL fake_elevenlabs --key xi-test --log "$T/ok.el"
call ok "$T/agent.lua" "$EL"
! grep -q '"event":"tts_fallback"\|"event":"elevenlabs_fallback"' "$T/ok.log" || fail "ok: a fallback was used"
grep -q '"first_audio"' "$T/ok.el" || fail "ok: no audio from the fake"
"$HARK" transcribe --wav "$T/ok.wav" --channel right --phrase "hi this is the shop" \
  --phrase "thank you for calling goodbye" >"$T/heard.txt" 2>/dev/null || fail "transcribe"
grep -qi "thank you for calling goodbye" "$T/heard.txt" || fail "ok: agent audio not heard back: $(cat "$T/heard.txt")"

# WebSocket refused: HTTP streaming instead, still ElevenLabs
start_fake EL2 fake_elevenlabs --key xi-test --fault refuse-ws --log "$T/ws.el"
call ws "$T/agent.lua" "$EL2"
grep -q '"event":"elevenlabs_fallback"' "$T/ws.log" || fail "ws: no HTTP fallback logged"
grep -q '"http_first_audio"' "$T/ws.el" || fail "ws: no audio over HTTP"
! grep -q '"event":"tts_fallback"' "$T/ws.log" || fail "ws: switched voice although HTTP worked"

# everything refused: the offline voice speaks
start_fake EL3 fake_elevenlabs --key xi-test --fault refuse-ws,429
call down "$T/agent.lua" "$EL3"
grep -q '"event":"tts_fallback".*using espeak' "$T/down.log" || fail "down: no switch to espeak"
grep -q '"event":"tts_error"' "$T/down.log" || fail "down: no tts_error event"

# voice.fallback: the named provider and voice take over
call fb "$T/agent_fb.lua" "$EL3"
grep -q '"event":"tts_fallback".*using espeak (voice en-us+f3)' "$T/fb.log" || fail "fb: voice.fallback not used"
echo "ok: ElevenLabs faults fall back (HTTP, fallback voice, espeak) and the call goes on"
