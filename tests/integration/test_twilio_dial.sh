#!/usr/bin/env bash
# hark dial against a stand-in Twilio REST API (tests/fakes/fake_twilio_rest):
# POST Calls.json with Basic auth, To/From, the webhook URL naming the agent,
# the status callback and its four events; the new Call SID is printed; a bad
# token is reported with Twilio's message and a non-zero exit.
set -euo pipefail
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
echo "ok: twilio dial"
