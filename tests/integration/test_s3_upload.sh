#!/usr/bin/env bash
# Call recordings to S3, against a real S3-compatible server on loopback
# (tests/fakes/s3: s3rver, with every SigV4 signature re-checked by AWS's own
# JavaScript signer). 1. net/s3 through tests/fakes/s3_put: a WAV goes up as
# recordings/CA1.wav and comes back byte for byte (fetched with curl's own
# SigV4 signer); a key with a space, '+' and '$' round-trips, and so does a
# virtual-hosted-style upload (<bucket>.s3.localhost); a wrong secret
# key is refused with S3's SignatureDoesNotMatch and a wrong access key with
# InvalidAccessKeyId (exit 1, S3's words on stderr); a missing file fails
# before any request. 2. hark serve with AWS_S3_BUCKET set: a caller rings and
# hangs up during the greeting; the saved recording is uploaded
# (recording_uploaded with its URL) and the object equals the file on disk.
# Needs node and the npm registry once (npm ci into tests/fakes/s3/node_modules);
# when the registry cannot be reached the test says SKIP and exits 77 (skipped).
set -euo pipefail
. "$(dirname "$0")/ports_lib.sh"
HARK=$(realpath "${1:-build/hark}")
BIN=$(dirname "$HARK")
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
S3DIR=$ROOT/tests/fakes/s3
T=$(mktemp -d /tmp/hark-s3-XXXXXX)
start=$(date +%s%N)
s3pid= pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  [ -n "$s3pid" ] && kill "$s3pid" 2>/dev/null
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -5 "$T/s3.log" "$T/serve.log" >&2 2>/dev/null || true; exit 1; }

command -v node >/dev/null && command -v npm >/dev/null || fail "node/npm missing: run scripts/bootstrap"

# s3rver and the signer, at the versions package-lock.json pins
. "$(dirname "$0")/npm_lib.sh"
npm_ready "$S3DIR" test_s3_upload "$T/npm.log"

BUCKET=hark-recordings
node "$S3DIR/server.js" "$T/s3data" $BUCKET >"$T/s3port" 2>"$T/s3.log" &
s3pid=$!
for _ in $(seq 100); do [ -s "$T/s3port" ] && break; sleep 0.05; done
S3PORT=$(cat "$T/s3port")
[ -n "$S3PORT" ] || fail "fake S3 did not start"
EP=http://127.0.0.1:$S3PORT
s3get() { # path -> the object on stdout, signed by curl
  curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" "$EP/$1"
}
put() { "$BIN/s3_put" --endpoint "$EP" --bucket $BUCKET --region us-east-1 "$@"; }

# 1. the uploader on its own
"$HARK" synth --text "Thank you for calling Maple Street Clinic" --out "$T/call.wav" 2>/dev/null
url=$(put --access-key S3RVER --secret-key S3RVER --key recordings/CA1.wav --file "$T/call.wav") \
  || fail "upload failed"
[ "$url" = "$EP/$BUCKET/recordings/CA1.wav" ] || fail "url '$url'"
s3get "$BUCKET/recordings/CA1.wav" >"$T/back.wav" || fail "cannot fetch the object back"
cmp "$T/call.wav" "$T/back.wav" || fail "object differs from the file"

url=$(put --access-key S3RVER --secret-key S3RVER --key 'recordings/CA 2+$x.wav' --file "$T/call.wav") \
  || fail "upload of an awkward key failed"
[ "$url" = "$EP/$BUCKET/recordings/CA%202%2B%24x.wav" ] || fail "url '$url'"
s3get "$BUCKET/recordings/CA%202%2B%24x.wav" | cmp - "$T/call.wav" || fail "awkward key did not round-trip"

# virtual-hosted style (AWS's default): <bucket>.s3.localhost, the key alone in the path
url=$("$BIN/s3_put" --endpoint "http://s3.localhost:$S3PORT" --virtual-host --bucket $BUCKET --region us-east-1 \
  --access-key S3RVER --secret-key S3RVER --key recordings/CA4.wav --file "$T/call.wav") || fail "virtual-host upload failed"
[ "$url" = "http://$BUCKET.s3.localhost:$S3PORT/recordings/CA4.wav" ] || fail "url '$url'"
s3get "$BUCKET/recordings/CA4.wav" | cmp - "$T/call.wav" || fail "virtual-host upload did not round-trip"

set +e
put --access-key S3RVER --secret-key not-the-secret --key recordings/CA3.wav --file "$T/call.wav" >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" -eq 1 ] && [ ! -s "$T/out" ] || fail "wrong secret: rc=$rc out=$(cat "$T/out")"
grep -q "S3 answered 403 SignatureDoesNotMatch: The request signature we calculated does not match" "$T/err" \
  || fail "wrong secret: $(cat "$T/err")"
s3get "$BUCKET/recordings/CA3.wav" >/dev/null && fail "a refused upload was stored"

set +e
put --access-key NOBODY --secret-key S3RVER --key recordings/CA3.wav --file "$T/call.wav" 2>"$T/err"
rc=$?
put --access-key S3RVER --secret-key S3RVER --key recordings/CA3.wav --file "$T/missing.wav" 2>"$T/err2"
rc2=$?
set -e
[ "$rc" -eq 1 ] && grep -q "403 InvalidAccessKeyId" "$T/err" || fail "wrong access key: rc=$rc $(cat "$T/err")"
[ "$rc2" -eq 1 ] && grep -q "cannot read $T/missing.wav: No such file" "$T/err2" || fail "missing file: $(cat "$T/err2")"

# 2. hark serve uploads a call's recording once it is saved
PORT=$(free_port)
export HARK_STORE=memory TWILIO_ACCOUNT_SID=AC55555555555555555555555555555555 TWILIO_AUTH_TOKEN=tok
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$PORT/api/v1/voice-agents/twilio/webhook
export HARK_RECORDINGS_DIR=$T/rec HARK_PORT=$PORT HARK_AGENTS_DIR=$ROOT/agents
export AWS_S3_BUCKET=$BUCKET AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
export AWS_S3_ENDPOINT=$EP
"$HARK" serve 2>"$T/serve.log" &
pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
. "$(dirname "$0")/twilio_lib.sh"
SID=CA$(printf '%032d' 7)
p=(CallSid=$SID AccountSid=$TWILIO_ACCOUNT_SID "From=+15551230000" "To=+15550199" Direction=inbound)
args=(); for kv in "${p[@]}"; do args+=(--data-urlencode "$kv"); done
TOKEN=$(curl -sf -H "X-Twilio-Signature: $(sign "$TWILIO_WEBHOOK_URL" "${p[@]}")" "${args[@]}" "$TWILIO_WEBHOOK_URL" \
  | grep -Eo '<Parameter name="token" value="[^"]+"' | sed -E 's/.*value="//; s/"$//')
[ -n "$TOKEN" ] || fail "no token from the webhook"
"$HARK" synth --text "No thank you, that is all. Goodbye" --out "$T/bye.wav" 2>/dev/null
set +e
"$BIN/fake_twilio" --url "ws://127.0.0.1:$PORT/voice/stream/$SID" --call-sid $SID --stream-sid MZ$(printf '%032d' 7) \
  --param agent=front_desk --param "token=$TOKEN" --param from=+15551230000 --param to=+15550199 \
  --caller-wav "$T/bye.wav" --out "$T/heard.wav" --log "$T/events.jsonl" --max-seconds 2 >/dev/null 2>&1
set -e
grep -q '"event":"call_started","call_id":"'$SID'"' "$T/serve.log" || fail "the call did not start"
for _ in $(seq 100); do grep -q '"event":"recording_upload' "$T/serve.log" && break; sleep 0.1; done
line=$(grep '"event":"recording_upload' "$T/serve.log" || true)
echo "$line" | grep -q '"event":"recording_uploaded","call_id":"'$SID'"' || fail "no upload: $line"
echo "$line" | grep -qF "$EP/$BUCKET/recordings/$SID.wav" || fail "upload URL: $line"
s3get "$BUCKET/recordings/$SID.wav" | cmp - "$T/rec/$SID.wav" || fail "uploaded recording differs from the saved one"

ms=$((($(date +%s%N) - start) / 1000000))
printf 'ok: s3 upload (%d.%01d s)\n' $((ms / 1000)) $((ms % 1000 / 100))
