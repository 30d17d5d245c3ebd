#!/usr/bin/env bash
# Failure is spoken, never silent. For each fault of the fake LLM the caller
# hears the agent's fallback line, an llm_error is logged, and the next turn
# is answered normally.
# - Faults before any output (refused, stall, 429, 500) are retried once, so
#   they are injected into two requests; with model.fallback naming a second
#   provider, that provider answers instead and no fallback line is heard.
# - Faults after some text was streamed (dropped stream, malformed event,
#   overloaded error mid-stream) are not retried (the caller already heard
#   part of the answer): what was said stays, then the fallback line.
set -euo pipefail
HARK=${1:-build/hark}
T=$(mktemp -d /tmp/hark-llmf-XXXXXX)
fail() { echo "FAIL: $*" >&2; exit 1; }
. tests/integration/fakes_lib.sh
trap 'stop_fakes; rm -rf "$T"' EXIT

# timeout = 1: a stalled stream gives up after a second without a token
sed 's/timeout = 2/timeout = 1/' tests/fixtures/agents/llm_shop.lua >"$T/agent.lua"
sed 's/model = { provider = "openai", model = "gpt-4o-mini", timeout = 2 }/model = { provider = "openai", model = "gpt-4o-mini", timeout = 1, fallback = { provider = "anthropic", model = "claude-3-5-haiku-latest" } }/' \
  tests/fixtures/agents/llm_shop.lua >"$T/agent_fb.lua"
grep -q 'fallback = { provider = "anthropic"' "$T/agent_fb.lua" || fail "fixture edit"

check() { # transcript, log, expect_fallback_line(1|0), label
  python3 - "$1" "$3" <<'PY' || { tail -5 "$2"; fail "$4"; }
import json, sys
t = json.load(open(sys.argv[1])); want_fb = sys.argv[2] == "1"
said = [m["text"] for m in t["messages"] if m["role"] == "assistant"]
fb = [s for s in said if s.startswith("Sorry, I could not do that")]
assert (len(fb) == 1) == want_fb, said
assert any("has shipped" in s for s in said) != want_fb, said   # turn 1 answered only without the fault
assert said[-1] == "Thank you for calling, goodbye.", said         # the call went on and ended normally
assert t["ended_reason"] == "assistant-said-end-call-phrase", t["ended_reason"]
PY
}

call() { # agent, base url, label
  OPENAI_API_KEY=sk-test OPENAI_BASE_URL="$2" ANTHROPIC_API_KEY=sk-test ANTHROPIC_BASE_URL="${2%/v1}" \
    "$HARK" call --agent "$1" --quiet --caller-text "where are my orders" --caller-text "thank you goodbye" \
      --transcript "$T/$3.json" 2>"$T/$3.log" || { tail -5 "$T/$3.log"; fail "$3: hark call failed"; }
}

# refused: nothing listens (the retry is refused too; turn 2 as well)
CLOSED=$(closed_port)
OPENAI_API_KEY=sk-test OPENAI_BASE_URL="http://127.0.0.1:$CLOSED/v1" "$HARK" call --agent "$T/agent.lua" --quiet \
  --caller-text "where are my orders" --transcript "$T/refused.json" 2>"$T/refused.log" || fail "refused: call failed"
python3 -c '
import json,sys; t=json.load(open(sys.argv[1])); s=[m["text"] for m in t["messages"] if m["role"]=="assistant"]
assert s[1].startswith("Sorry, I could not do that"), s' "$T/refused.json" || fail "refused: no fallback line"
[ "$(grep -c '"event":"llm_retry"' "$T/refused.log")" -eq 1 ] || fail "refused: expected exactly one retry"
grep -q '"event":"llm_error"' "$T/refused.log" || fail "refused: no llm_error event"
grep -q '"event":"llm_failed","call_id":"SIM' "$T/refused.log" || fail "refused: the provider's log line has no call id"

for fault in stall 429 500 drop malformed overloaded; do
  case "$fault" in drop|malformed|overloaded) count=1 retries=0 ;; *) count=2 retries=1 ;; esac
  start_fake PORT fake_llm.py --key sk-test --script tests/fixtures/llm/shop.json --ttft-ms 50 \
    --tokens-per-s 200 --fault "$fault" --fault-count "$count" --log "$T/$fault.llm"
  call "$T/agent.lua" "http://127.0.0.1:$PORT/v1" "$fault"
  check "$T/$fault.json" "$T/$fault.log" 1 "$fault: fallback line then a normal turn"
  grep -q '"event":"llm_error"' "$T/$fault.log" || fail "$fault: no llm_error event"
  [ "$(grep -c '"event":"llm_retry"' "$T/$fault.log" || true)" -eq "$retries" ] || fail "$fault: expected $retries retries"
  if [ "$retries" -eq 1 ]; then
    # model.fallback: the third request goes to the second provider and answers
    start_fake PORT2 fake_llm.py --key sk-test --script tests/fixtures/llm/shop.json --ttft-ms 50 \
      --tokens-per-s 200 --fault "$fault" --fault-count 2 --log "$T/$fault.fb.llm"
    call "$T/agent_fb.lua" "http://127.0.0.1:$PORT2/v1" "$fault.fb"
    check "$T/$fault.fb.json" "$T/$fault.fb.log" 0 "$fault: model.fallback answers"
    grep -q '/v1/messages' "$T/$fault.fb.llm" || fail "$fault: fallback provider not used"
    grep -q '"event":"llm_fallback"' "$T/$fault.fb.log" || fail "$fault: no llm_fallback event"
  fi
  echo "ok: $fault"
done
echo "ok: LLM faults are spoken and the call goes on"
