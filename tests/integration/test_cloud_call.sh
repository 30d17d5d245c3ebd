#!/usr/bin/env bash
# The cloud example agent (agents/order_status.lua, unchanged) end to end
# against the three fakes: Deepgram hears the caller (mu-law sent as is), the
# OpenAI-compatible model calls lookup_order, ElevenLabs speaks the answer.
# 1. hark call: the caller's order is looked up and the answer spoken; the
#    Deepgram socket is dropped in the middle of the call and hark reconnects
#    and re-sends the audio not yet transcribed: both caller lines arrive whole.
#    With Deepgram refusing, the call falls back to the offline recogniser.
#    The caller's audio goes to Deepgram in 100 ms messages (800 bytes), not
#    20 ms frames: short ones only where hark flushes (endpoint, Finalize,
#    close); the fake logs each message's size.
# 2. the same agent on a phone call: hark serve + the fake Twilio caller, with
#    HARK_DEEPGRAM_CHUNK_MS=200 (1600-byte messages); 300 is refused at start.
set -euo pipefail
. "$(dirname "$0")/ports_lib.sh"
HARK=$(realpath "${1:-build/hark}")
T=$(mktemp -d /tmp/hark-cloud-XXXXXX)
fail() { echo "FAIL: $*" >&2; exit 1; }
. tests/integration/fakes_lib.sh
SPID=
trap '[ -n "$SPID" ] && kill $SPID 2>/dev/null; stop_fakes; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

start_fake DG fake_deepgram --key dg-test --script tests/fixtures/deepgram/order_status.txt \
  --drop-after-ms 5500 --log "$T/dg.log"
start_fake LLM fake_llm.py --key sk-test --script tests/fixtures/llm/order_status.json --log "$T/llm.log"
start_fake EL fake_elevenlabs --key xi-test --log "$T/el.log"
export DEEPGRAM_API_KEY=dg-test DEEPGRAM_BASE_URL=ws://127.0.0.1:$DG
export OPENAI_API_KEY=sk-test OPENAI_BASE_URL=http://127.0.0.1:$LLM/v1
export ELEVENLABS_API_KEY=xi-test ELEVENLABS_BASE_URL=http://127.0.0.1:$EL

"$HARK" call --agent agents/order_status.lua --caller-text "where is my order the number is one zero zero one" \
  --caller-text "thank you goodbye" --transcript "$T/call.json" >"$T/out.txt" 2>"$T/log.txt" \
  || { tail -20 "$T/log.txt"; fail "hark call failed"; }
cat "$T/out.txt"
! grep -q '"event":"\(tts\|stt\)_fallback"' "$T/log.txt" || fail "a provider fell back"
python3 - "$T/call.json" "$T/dg.log" "$T/llm.log" <<'PY' || fail "call checks"
import json, sys
t = json.load(open(sys.argv[1]))
users = [m["text"] for m in t["messages"] if m["role"] == "user"]
said = [m["text"] for m in t["messages"] if m["role"] == "assistant"]
assert users == ["Where is my order? The number is 1001.", "Thank you, goodbye."], users
assert "Your order 1001 has shipped with UPS, and it should arrive on Thursday." in said, said
assert said[-1] == "Thanks for calling Acme Shop. Goodbye!", said
dg = [json.loads(l) for l in open(sys.argv[2])]
conns = [e for e in dg if e.get("event") == "connect"]
assert len(conns) >= 2 and any(e.get("event") == "drop" for e in dg), [e.get("event") for e in dg]
assert "encoding=mulaw" in conns[0]["query"] and "sample_rate=8000" in conns[0]["query"], conns[0]
def check_chunks(dg, size):
    # per connection: messages of at most `size` bytes, nearly all exactly it;
    # a short one only at a flush (up to 3 around each endpoint, one before
    # each Finalize, one at the close) or where pushes stopped
    for c in sorted({e["conn"] for e in dg if e.get("event") == "audio"}):
        sizes = [e["bytes"] for e in dg if e.get("event") == "audio" and e["conn"] == c]
        turns = sum(1 for e in dg if e.get("conn") == c and (e.get("speech_final") or
                    (e.get("event") == "control" and e.get("type") == "Finalize")))
        short = [b for b in sizes if b != size]
        assert max(sizes) <= size, (c, max(sizes))
        assert len(sizes) - len(short) >= 5 and len(short) <= 4 * turns + 2, (c, size, turns, sizes)
    return sum(e["bytes"] for e in dg if e.get("event") == "audio")
check_chunks(dg, 800)
llm = [json.loads(l) for l in open(sys.argv[3])]
tool = [m for r in llm for m in r["body"]["messages"] if m["role"] == "tool"]
assert tool and json.loads(tool[0]["content"])["status"] == "shipped", tool
print("deepgram connections:", len(conns), "| answer:", said[1])
PY

# 1b. Deepgram refusing every connection: after its retries the call switches
# to the offline recogniser (silently: no words were lost) and goes on
start_fake DGX fake_deepgram --key dg-test --refuse 1000
DEEPGRAM_BASE_URL=ws://127.0.0.1:$DGX "$HARK" call --agent agents/order_status.lua --quiet \
  --caller-text "what is my order status" --transcript "$T/down.json" 2>"$T/down.log" \
  || { tail -20 "$T/down.log"; fail "hark call (deepgram down) failed"; }
grep -q '"event":"stt_fallback".*using sphinx' "$T/down.log" || fail "deepgram down: no switch to sphinx"
python3 - "$T/down.json" <<'PY' || fail "deepgram down: the caller was not heard"
import json, sys
t = json.load(open(sys.argv[1]))
users = [m["text"] for m in t["messages"] if m["role"] == "user"]
said = [m["text"] for m in t["messages"] if m["role"] == "assistant"]
assert users and "order" in users[0], users
assert not any("unavailable" in s for s in said), said   # nothing was lost: no apology
assert len(said) >= 2, said                               # the model answered the turn
PY

# 2. the same agent over the Twilio path (a fresh Deepgram script)
start_fake DG2 fake_deepgram --key dg-test --script tests/fixtures/deepgram/order_status.txt --log "$T/dg2.log"
export DEEPGRAM_BASE_URL=http://127.0.0.1:$DG2 # an http(s):// base means ws(s)://
PORT=$(free_port)
export HARK_STORE=memory TWILIO_ACCOUNT_SID=AC55555555555555555555555555555555 TWILIO_AUTH_TOKEN=tok
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$PORT/api/v1/voice-agents/twilio/webhook
export HARK_RECORDINGS_DIR=$T/rec HARK_PORT=$PORT HARK_AGENTS_DIR=agents
# callers' and agents' words reach the log only at debug (the privacy rule of core/log.h)
export HARK_LOG_LEVEL=debug
# a chunk outside 20-250 ms is refused at start, by name
out=$(HARK_DEEPGRAM_CHUNK_MS=300 timeout 20 "$HARK" serve 2>&1) && fail "serve started with HARK_DEEPGRAM_CHUNK_MS=300"
[[ $out == *"HARK_DEEPGRAM_CHUNK_MS must be a whole number 20-250"* ]] || fail "no clear error for a bad chunk: $out"
export HARK_DEEPGRAM_CHUNK_MS=200
"$HARK" serve 2>"$T/serve.log" &
SPID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
. tests/integration/twilio_lib.sh
"$HARK" synth --text "where is my order the number is one zero zero one" --out "$T/l1.wav"
"$HARK" synth --text "thank you goodbye" --out "$T/l2.wav"
SID=CA$(printf '%032d' 7)
TOKEN=$(stream_token $SID +15550100) || true
[ -n "$TOKEN" ] || { tail -5 "$T/serve.log"; fail "no token from the webhook"; }
"$FAKES_DIR/fake_twilio" --url "ws://127.0.0.1:$PORT/voice/stream/$SID" --call-sid $SID \
  --stream-sid MZ$(printf '%032d' 7) --param agent=order_status --param "token=$TOKEN" \
  --param from=+15551230000 --param to=+15550100 --caller-wav "$T/l1.wav" --caller-wav "$T/l2.wav" \
  --out "$T/heard.wav" --log "$T/tw.jsonl" --max-seconds 60 || { tail -20 "$T/serve.log"; fail "phone call failed"; }
grep -q '"event":"assistant_say_text".*has shipped with UPS' "$T/serve.log" || { tail -20 "$T/serve.log"; fail "phone: no answer"; }
"$HARK" transcribe --wav "$T/heard.wav" --channel right \
  --phrase "your order one thousand and one has shipped with u p s and it should arrive on thursday" \
  --phrase "thanks for calling acme shop goodbye" >"$T/heard.txt" 2>/dev/null || fail "transcribe"
grep -qw shipped "$T/heard.txt" || fail "phone: the caller did not hear the answer: $(cat "$T/heard.txt")"
kill $SPID; wait $SPID 2>/dev/null || true; SPID=
python3 - "$T/dg2.log" <<'PY' || fail "phone: audio to Deepgram not in 200 ms messages"
import json, sys
dg = [json.loads(l) for l in open(sys.argv[1])]
sizes = [e["bytes"] for e in dg if e.get("event") == "audio"]
full = sum(1 for b in sizes if b == 1600)
assert sizes and max(sizes) <= 1600 and full >= 0.8 * len(sizes), (full, len(sizes), sizes[:40])
print("phone: %d messages to Deepgram, %d of 1600 bytes" % (len(sizes), full))
PY
echo "ok: cloud agent over hark call and over Twilio"
