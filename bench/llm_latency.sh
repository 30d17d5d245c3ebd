#!/usr/bin/env bash
# bench/llm_latency.sh [TURNS]: how soon an LLM reply is heard. Fakes as the
# providers issue sets them: final transcript at +0 (measured from it), LLM
# first token after 200 ms at 50 tokens/s (fake_llm), TTS first audio 150 ms
# after text (fake_elevenlabs, stream-input WebSocket). Two ways to answer
# the same 40-word reply:
#   streamed: hark's default turn, speaking each clause as the LLM writes it
#   whole:    wait for the complete LLM answer, then synthesise it
# Prints per-stage numbers and hark's own overhead (total minus the time the
# providers took: first token + the first clause's tokens + TTS first audio).
# Numbers only; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
TURNS=${1:-10}
HARK=${HARK:-build/hark}
T=$(mktemp -d /tmp/hark-bench-llm-XXXXXX)
fail() { echo "bench: $*" >&2; exit 1; }
. tests/integration/fakes_lib.sh
trap 'stop_fakes; rm -rf "$T"' EXIT

start_fake LLM fake_llm.py --script tests/fixtures/llm/bench.json --ttft-ms 200 --tokens-per-s 50
start_fake EL fake_elevenlabs --first-audio-ms 150
base=$(sed 's/transcriber = {/voice = { provider = "elevenlabs", voiceId = "21m00Tcm4TlvDq8ikWAM" },\n  transcriber = {/' \
  tests/fixtures/agents/llm_shop.lua)
echo "$base" >"$T/streamed.lua"
# the same agent, but its turn waits for the whole answer before speaking
echo "$base" | sed 's/^  tools = {/  on_user_turn = function(call, text)\n    local r = call:llm{ messages = hark.llm_messages(call, { system_prompt = "x" }), speak = false }\n    if r then call:say(r.text) end\n  end,\n  tools = {/' >"$T/whole.lua"
grep -q 'speak = false' "$T/whole.lua" || fail "agent edit"

args=()
for i in $(seq 1 "$TURNS"); do args+=(--caller-text "where are my orders"); done
for mode in streamed whole; do
  OPENAI_API_KEY=sk-bench OPENAI_BASE_URL="http://127.0.0.1:$LLM/v1" \
  ELEVENLABS_API_KEY=xi-bench ELEVENLABS_BASE_URL="http://127.0.0.1:$EL" HARK_LOG_LEVEL=error \
    "$HARK" call --agent "$T/$mode.lua" --quiet "${args[@]}" --gap-ms 300 --transcript "$T/$mode.json"
done
python3 - "$T/streamed.json" "$T/whole.json" <<'PY'
import json, sys
def pct(a, p):
    a = sorted(a); return a[min(len(a) - 1, int(round(p / 100 * (len(a) - 1))))]
def show(name, a):
    print("  %-46s p50 %6.1f  p90 %6.1f  max %6.1f ms" % (name, pct(a, 50), pct(a, 90), max(a)))
for path, mode in zip(sys.argv[1:], ("streamed (speak while thinking)", "whole answer first")):
    turns = [t for t in json.load(open(path))["turns"] if t["first_audio_ms"] is not None]
    print("%s: %d turns" % (mode, len(turns)))
    tot = [t["first_audio_ms"] - t["stt_final_ms"] for t in turns]
    ttft = [t["llm_first_token_ms"] - t["llm_request_ms"] for t in turns]
    text = [t["reply_ready_ms"] - t["llm_first_token_ms"] for t in turns]
    tts = [t["tts_first_audio_ms"] - t["reply_ready_ms"] for t in turns]
    show("final transcript -> LLM request sent", [t["llm_request_ms"] - t["stt_final_ms"] for t in turns])
    show("LLM request -> first token (fake: 200)", ttft)
    show("first token -> text handed to TTS", text)
    show("text to TTS -> first TTS audio (fake: 150)", tts)
    show("first TTS audio -> first frame out", [t["first_audio_ms"] - t["tts_first_audio_ms"] for t in turns])
    show("final transcript -> first frame out (total)", tot)
    show("hark overhead (total - provider time)", [a - b - c - d for a, b, c, d in zip(tot, ttft, text, tts)])
PY
