# tests/integration/twilio_lib.sh: helpers the Twilio integration tests source
# (not a test itself: ctest runs test_*.sh only).
#
# sign URL name=value...: X-Twilio-Signature as Twilio computes it (URL, then
# each name+value sorted by name, HMAC-SHA1 with $TWILIO_AUTH_TOKEN, base64),
# done with the openssl CLI so it is independent of hark's own code.
sign() {
  local url=$1; shift
  local s=$url
  while IFS= read -r kv; do s+="${kv%%=*}${kv#*=}"; done < <(printf '%s\n' "$@" | LC_ALL=C sort -t= -k1,1)
  printf '%s' "$s" | openssl dgst -sha1 -hmac "$TWILIO_AUTH_TOKEN" -binary | base64
}

# stream_token CallSid [To]: POST the signed incoming-call webhook at
# $TWILIO_WEBHOOK_URL and print the stream token of its TwiML answer.
stream_token() {
  local p=(CallSid=$1 "From=+15551230000" "To=${2:-+15550199}")
  curl -sf -H "X-Twilio-Signature: $(sign "$TWILIO_WEBHOOK_URL" "${p[@]}")" \
    --data-urlencode "${p[0]}" --data-urlencode "${p[1]}" --data-urlencode "${p[2]}" "$TWILIO_WEBHOOK_URL" \
    | grep -Eo '<Parameter name="token" value="[^"]+"' | sed -E 's/.*value="//; s/"$//'
}

# transfer_url CallSid Number: the connect-status URL hark signs for a transfer
# (base64url number, expiry, HMAC-SHA256 with $HARK_STREAM_SECRET), computed
# independently of hark's code.
transfer_url() {
  local b64url='base64 -w0 | tr "+/" "-_" | tr -d "="' exp=$(( $(date +%s) + 600 ))
  local sig; sig=$(printf 'transfer|%s|%s|%s' "$1" "$2" "$exp" \
    | openssl dgst -sha256 -hmac "$HARK_STREAM_SECRET" -binary | eval "$b64url")
  printf '%s/connect-status?transfer=%s&exp=%s&sig=%s' "$TWILIO_WEBHOOK_URL" \
    "$(printf '%s' "$2" | eval "$b64url")" "$exp" "$sig"
}
