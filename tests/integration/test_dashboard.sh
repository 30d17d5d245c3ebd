#!/usr/bin/env bash
# The dashboard in a real browser: Debian's chromium, headless, driven by
# playwright-core (tests/fakes/dashboard/drive.js) against `hark serve` on a
# private PostgreSQL, with the LLM (tests/fakes/fake_llm.py), the transcriber
# (fake_deepgram), Twilio's REST API (fake_twilio_rest) and the caller
# (fake_twilio) faked. A tenant, a user
# and two API assistants; a number on the first. In the browser: a wrong
# password is refused inline; login; a call by the fake caller appears in
# Live calls (masked caller, ticking duration, state) and its words in the
# live transcript while it runs; after it ends it is in the history (an agent
# filter hides it), its detail plays the recording and draws one waterfall
# row per turn; an invalid agent edit is shown inline, a valid one saved; the
# number assigned to the second agent, the next call greets with its edited
# first message and its caller's barge-in is marked live; a number searched and bought through (fake) Twilio; overview; an API key created (shown once) and revoked; an
# expired session returns to login. No CSP violation on any page. Screenshots
# of each page land in <build dir>/screenshots (scripts/screenshots copies
# them to docs/screenshots). Needs node >= 20, chromium (scripts/bootstrap)
# and the npm registry once (else SKIP, exit 77).
set -euo pipefail
HARK=$(realpath "${1:-build/hark}")
BIN=$(dirname "$HARK")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DASH=$ROOT/tests/fakes/dashboard
T=$(mktemp -d /tmp/hark-dash-XXXXXX)
chmod 0755 "$T"
. "$ROOT/tests/integration/ports_lib.sh"
PGPORT_=$(free_port)
PORT=$(free_port)
export HARK_PG_PORT=$PGPORT_ HARK_PG_DIR=$T/pg HARK_PG_FAST=1
pid= rpid=
. "$ROOT/tests/integration/fakes_lib.sh"
cleanup() {
  set +e
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  [ -n "$rpid" ] && kill "$rpid" 2>/dev/null
  stop_fakes
  "$ROOT/scripts/pg" stop --purge >/dev/null 2>&1
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -30 "$T/serve.log" >&2 2>/dev/null || true; exit 1; }

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "SKIP: test_dashboard: playwright-core needs node >= 20 ($(node --version 2>/dev/null || echo none))"
  exit 77
fi
CHROMIUM=$(command -v chromium || true)
[ -n "$CHROMIUM" ] || fail "chromium is not installed: run scripts/bootstrap (it installs Debian's chromium for this test)"
. "$ROOT/tests/integration/npm_lib.sh"
npm_ready "$DASH" test_dashboard "$T/npm.log"

URL=$("$ROOT/scripts/pg" start)
export DATABASE_URL=$URL
unset HARK_STORE
"$HARK" migrate >/dev/null || fail "migrate"
TA=$("$HARK" tenant create "Acme") || fail "tenant create"
KA=$("$HARK" key create --tenant "$TA" 2>/dev/null) || fail "key create"
EMAIL=ann@acme.test PASSWORD='correct horse battery'
printf '%s\n' "$PASSWORD" | "$HARK" user create --tenant "$TA" --email "$EMAIL" >/dev/null || fail "user create"

# the model: whatever the caller says, a short answer; at "bye" it calls the
# assistant's endCall tool (a tool call the dashboard shows)
cat >"$T/llm.json" <<'JSON'
{"rules": [
  {"when": "user", "contains": "bye", "tool_calls": [{"name": "endCall", "arguments": {}}]},
  {"when": "tool", "text": "Goodbye."},
  {"when": "user", "text": "Yes, we have fresh bread and cakes today."}
]}
JSON
# the transcriber: Deepgram's stand-in hears the caller's three lines (twice:
# two calls), sending interim words as each line is spoken, then the final
printf '%s\n' "hello do you have fresh bread today" "what time do you close today" "thank you goodbye" \
  "hello do you have fresh bread today" "what time do you close today" "thank you goodbye" >"$T/dg.txt"
start_fake DG fake_deepgram --key dg-test --script "$T/dg.txt" --log "$T/dg.log"
start_fake LLM fake_llm.py --key sk-test --script "$T/llm.json" --ttft-ms 150 --log "$T/llm.log"
export TWILIO_ACCOUNT_SID=AC66666666666666666666666666666666 TWILIO_AUTH_TOKEN=tok
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$PORT/api/v1/voice-agents/twilio/webhook
"$BIN/fake_twilio_rest" --port 0 --account $TWILIO_ACCOUNT_SID --token $TWILIO_AUTH_TOKEN --log "$T/rest.log" >"$T/rest.port" &
rpid=$!
for _ in $(seq 50); do [ -s "$T/rest.port" ] && break; sleep 0.1; done
export TWILIO_API_BASE_URL=http://127.0.0.1:$(awk '{print $NF; exit}' "$T/rest.port")
export JWT_SECRET=dashboard-test-secret-0123456789abcdef
mkdir -p "$T/agents"
export HARK_PRICE_TELEPHONY_PER_MIN=0.0085 HARK_PRICE_STT_PER_MIN=0.0043 HARK_PRICE_TTS_PER_1K_CHARS=0.18
DEEPGRAM_API_KEY=dg-test DEEPGRAM_BASE_URL=ws://127.0.0.1:$DG \
OPENAI_API_KEY=sk-test OPENAI_BASE_URL="http://127.0.0.1:$LLM/v1" HARK_PORT=$PORT HARK_AGENTS_DIR=$T/agents \
  HARK_SPOOL_PATH=$T/spool.jsonl HARK_RECORDINGS_DIR=$T/rec HARK_LOG_LEVEL=debug \
  "$HARK" serve 2>"$T/serve.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || fail "serve did not start"

B=http://127.0.0.1:$PORT
# the store may still be connecting (credentials answer 503 until it is)
for _ in $(seq 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KA" "$B/auth/me")" = 200 ] && break
  sleep 0.1
done
api() { # METHOD PATH BODY -> body, then the status on a last line
  curl -s -X "$1" -H "Authorization: Bearer $KA" -H 'Content-Type: application/json' --data "$3" -w '\n%{http_code}' "$B$2"
}
jid() { sed '$d' <<<"$1" | python3 -c 'import sys, json; print(json.load(sys.stdin)["id"])'; }
MODEL='"model":{"provider":"openai","model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."}],"tools":[{"type":"endCall"}]},
  "transcriber":{"provider":"deepgram"}'
r=$(api POST /assistant "{\"name\":\"Bakery\",\"firstMessage\":\"Welcome to the corner bakery.\",$MODEL}")
[ "$(tail -n1 <<<"$r")" = 201 ] || fail "create assistant: $r"
A1=$(jid "$r")
r=$(api POST /assistant "{\"name\":\"Florist\",\"firstMessage\":\"You have reached the florist.\",$MODEL}")
[ "$(tail -n1 <<<"$r")" = 201 ] || fail "create assistant 2: $r"
A2=$(jid "$r")
NUM=+15550142
r=$(api POST /phone-number "{\"provider\":\"twilio\",\"number\":\"$NUM\",\"twilioAccountSid\":\"$TWILIO_ACCOUNT_SID\",\"twilioAuthToken\":\"x\",\"assistantId\":\"$A1\",\"name\":\"Shop line\"}")
[ "$(tail -n1 <<<"$r")" = 201 ] || fail "create number: $r"

# the caller's lines, and the script drive.js runs to place call N to a number
"$HARK" synth --text "Hello, do you have fresh bread today" --out "$T/l1.wav"
"$HARK" synth --text "What time do you close today" --out "$T/l2.wav"
"$HARK" synth --text "Thank you, goodbye" --out "$T/l3.wav"
cat >"$T/call.sh" <<SH
#!/usr/bin/env bash
# call.sh N NUMBER [FAKE_TWILIO_OPTION...]: one fake Twilio call; prints its CallSid
set -euo pipefail
export TWILIO_AUTH_TOKEN=$TWILIO_AUTH_TOKEN TWILIO_WEBHOOK_URL=$TWILIO_WEBHOOK_URL
. "$ROOT/tests/integration/twilio_lib.sh"
sid=CA\$(printf '%032d' \$((900 + \$1)))
tok=\$(stream_token "\$sid" "\$2")
[ -n "\$tok" ] || { echo "no stream token for \$2" >&2; exit 1; }
"$BIN/fake_twilio" --url "ws://127.0.0.1:$PORT/voice/stream/\$sid" --call-sid "\$sid" \\
  --stream-sid MZ\$(printf '%032d' \$((900 + \$1))) --param "token=\$tok" --param from=+15551230000 \\
  --param "to=\$2" --caller-wav "$T/l1.wav" --caller-wav "$T/l2.wav" --caller-wav "$T/l3.wav" \\
  --out "$T/heard\$1.wav" --log "$T/events\$1.jsonl" --max-seconds 90 "\${@:3}" >&2
echo "\$sid"
SH

SHOTS=$BIN/screenshots
mkdir -p "$SHOTS"
rm -f "$SHOTS"/*.png
BASE=$B EMAIL=$EMAIL PASSWORD=$PASSWORD CALL=$T/call.sh NUMBER=$NUM AGENT1=$A1 AGENT2=$A2 SHOTS=$SHOTS CHROMIUM=$CHROMIUM \
  NODE_PATH=$DASH/node_modules timeout 280 node "$DASH/drive.js" || fail "the browser run failed (screenshot: $SHOTS/failure.png)"
n=$(ls "$SHOTS"/*.png | grep -vc failure.png)
[ "$n" -ge 9 ] || fail "expected 9 screenshots, got $n"
echo "ok: dashboard in chromium ($n pages captured in $SHOTS)"
