#!/usr/bin/env bash
# Byte compatibility with Twilio's request signing, proven with Twilio's own
# npm package (tests/fakes/twilio/sign.js runs twilio.getExpectedTwilioSignature):
# webhooks with awkward values (unicode, spaces, '&', '+', '=', empty values,
# repeated names, a query string in the URL) signed by it are accepted by
# hark serve; the same requests with one value changed are refused with 403.
# Needs node >= 20 (the twilio package's requirement) and the npm registry once;
# without either the test says SKIP and exits 77 (ctest shows it skipped).
set -euo pipefail
. "$(dirname "$0")/ports_lib.sh"
HARK=$(realpath "${1:-build/hark}")
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TW=$ROOT/tests/fakes/twilio
T=$(mktemp -d /tmp/hark-twnpm-XXXXXX)
PORT=$(free_port)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -5 "$T/serve.log" >&2 2>/dev/null || true; exit 1; }

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "SKIP: test_twilio_npm_signature: the twilio npm package needs node >= 20 ($(node --version 2>/dev/null || echo none))"
  exit 77
fi
. "$(dirname "$0")/npm_lib.sh"
npm_ready "$TW" test_twilio_npm_signature "$T/npm.log"

export HARK_STORE=memory TWILIO_ACCOUNT_SID=AC88888888888888888888888888888888 TWILIO_AUTH_TOKEN='t0k3n/with+odd=chars'
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$PORT/api/v1/voice-agents/twilio/webhook
export HARK_PORT=$PORT HARK_AGENTS_DIR=agents HARK_RECORDINGS_DIR=$T/rec
"$HARK" serve 2>"$T/serve.log" &
pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

post() { # url sig params... -> HTTP status
  local url=$1 sig=$2; shift 2
  local args=(); for kv in "$@"; do args+=(--data-urlencode "$kv"); done
  curl -s -o "$T/body" -w '%{http_code}' -H "X-Twilio-Signature: $sig" "${args[@]}" "$url"
}
checked=0
check() { # url params...: signed by npm -> 200; one value changed -> 403
  local url=$1; shift
  local sig; sig=$(node "$TW/sign.js" "$TWILIO_AUTH_TOKEN" "$url" "$@")
  # an HMAC-SHA1 in base64: 28 characters (an empty or broken signer fails here)
  [[ "$sig" =~ ^[A-Za-z0-9+/]{27}=$ ]] || fail "npm signer gave no signature: '$sig'"
  [[ "$(post "$url" "$sig" "$@")" =~ ^20[04]$ ]] || fail "npm-signed request refused: $url $*"
  local changed=("$@"); changed[0]="${changed[0]}x"
  [ "$(post "$url" "$sig" "${changed[@]}")" = 403 ] || fail "altered request accepted: $url ${changed[*]}"
  checked=$((checked + 1))
}
W=$TWILIO_WEBHOOK_URL
check "$W" CallSid=CA00000000000000000000000000000001 "From=+15551230000" "To=+15550199" CallStatus=ringing
check "$W" CallSid=CA00000000000000000000000000000002 "To=+15550199" "CallerName=Zoë & Bob O'Neil" \
  "FromCity=SAN FRANCISCO" "Note=a+b=c&d" "Empty=" "Emoji=📞☎"
check "$W/status" CallSid=CA00000000000000000000000000000003 CallStatus=completed CallDuration=42 \
  StatusCallbackEvent=initiated StatusCallbackEvent=completed StatusCallbackEvent=answered
check "$W?agent=front_desk" CallSid=CA00000000000000000000000000000004 "To=+15557654321" Direction=outbound-api
[ "$checked" -eq 4 ] || fail "expected 4 npm-signed requests checked, did $checked"
echo "ok: twilio npm signature ($checked requests)"
