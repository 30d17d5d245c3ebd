#!/usr/bin/env bash
# hark dial against a stand-in Twilio REST API (tests/fakes/fake_twilio_rest):
# POST Calls.json with Basic auth, To/From, the webhook URL naming the agent,
# the status callback and its four events; the new Call SID is printed; a bad
# token is reported with Twilio's message and a non-zero exit.
set -euo pipefail
. "$(dirname "$0")/ports_lib.sh"
HARK=$(realpath "${1:-build/hark}")
FAKE=$(dirname "$HARK")/fake_twilio_rest
T=$(mktemp -d /tmp/hark-dial-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; cat "$T/rest.log" >&2 2>/dev/null || true; exit 1; }

ACCT=AC33333333333333333333333333333333
"$FAKE" --port 0 --account $ACCT --token secret-token --log "$T/rest.log" >"$T/port" &
pid=$!
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
PORT=$(cat "$T/port")
export TWILIO_ACCOUNT_SID=$ACCT TWILIO_AUTH_TOKEN=secret-token TWILIO_PHONE_NUMBER=+15550199
export TWILIO_WEBHOOK_URL=https://hark.example.com/api/v1/voice-agents/twilio/webhook
export TWILIO_API_BASE_URL=http://127.0.0.1:$PORT

sid=$("$HARK" dial --agent front_desk --to +15557654321) || fail "dial failed"
[[ "$sid" =~ ^CA[0-9a-f]{32}$ ]] || fail "bad sid '$sid'"
line=$(tail -1 "$T/rest.log")
echo "$line" | grep -q "\"path\":\"/2010-04-01/Accounts/$ACCT/Calls.json\"" || fail "path: $line"
basic=$(printf '%s' "$ACCT:secret-token" | base64 -w0)
echo "$line" | grep -qF "\"authorization\":\"Basic $basic\"" || fail "auth: $line"
for want in 'To=%2B15557654321' 'From=%2B15550199' \
    'Url=https%3A%2F%2Fhark.example.com%2Fapi%2Fv1%2Fvoice-agents%2Ftwilio%2Fwebhook%3Fagent%3Dfront_desk' \
    'StatusCallback=https%3A%2F%2Fhark.example.com%2Fapi%2Fv1%2Fvoice-agents%2Ftwilio%2Fwebhook%2Fstatus' \
    'StatusCallbackEvent=initiated' 'StatusCallbackEvent=completed'; do
  echo "$line" | grep -qF "$want" || fail "body lacks $want: $line"
done

set +e
TWILIO_AUTH_TOKEN=wrong "$HARK" dial --agent front_desk --to +15557654321 2>"$T/err"; rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "Twilio answered 401: Authenticate" "$T/err" || fail "bad token: rc=$rc $(cat "$T/err")"
# hark.dial from agent code during a live call under hark serve
FAKE_CALLER=$(dirname "$HARK")/fake_twilio
SPORT=$(free_port)
mkdir -p "$T/agents"
cp agents/front_desk.lua tests/fixtures/agents/dialer.lua "$T/agents/"
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$SPORT/api/v1/voice-agents/twilio/webhook
HARK_STORE=memory HARK_PORT=$SPORT HARK_AGENTS_DIR=$T/agents HARK_RECORDINGS_DIR=$T/rec "$HARK" serve 2>"$T/serve.log" &
spid=$!
trap 'kill $spid 2>/dev/null; cleanup' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$SPORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
. "$(dirname "$0")/twilio_lib.sh"
TOKEN=$(stream_token CA$(printf '%032d' 9) +15550177)
[ -n "$TOKEN" ] || fail "no token for the dialer call"
"$FAKE_CALLER" --url "ws://127.0.0.1:$SPORT/voice/stream/CA$(printf '%032d' 9)" --call-sid CA$(printf '%032d' 9) \
  --stream-sid MZ$(printf '%032d' 9) --param agent=dialer --param "token=$TOKEN" \
  --out "$T/h.wav" --log "$T/e.jsonl" --max-seconds 8 >/dev/null 2>&1 || true
for _ in $(seq 50); do grep -q '"event":"call_dialled"' "$T/serve.log" && break; sleep 0.1; done
grep -q '"event":"call_dialled"' "$T/serve.log" || { cat "$T/serve.log" >&2; fail "hark.dial did not place a call"; }
tail -1 "$T/rest.log" | grep -qF 'Url=http%3A%2F%2F127.0.0.1%3A'"$SPORT"'%2Fapi%2Fv1%2Fvoice-agents%2Ftwilio%2Fwebhook%3Fagent%3Dfront_desk' \
  || fail "hark.dial request: $(tail -1 "$T/rest.log")"
tail -1 "$T/rest.log" | grep -qF 'To=%2B15557654321' || fail "hark.dial To"
echo "ok: twilio dial"
