#!/usr/bin/env bash
# A whole phone call through hark serve as Twilio would place it: the signed
# incoming-call webhook gives TwiML with the stream URL and token; a stand-in
# Twilio (tests/fakes/fake_twilio) opens the Media Stream with those
# parameters, speaks the caller's lines as 20 ms mu-law media messages, plays
# the agent's media back at real time and echoes marks. Checks: the booking is
# confirmed in what the caller heard, every reply is followed by a mark, the
# call's stereo recording lands in HARK_RECORDINGS_DIR; streams with another
# call's real token, a forged (wrong HMAC), truncated, non-base64, expired or
# missing token are each refused for that reason; a caller talking over the agent gets a clear; DTMF 0
# transfers (the connect action then dials reception); the agent's hang-up and
# transfer reach Twilio's REST API (a stand-in, tests/fakes/fake_twilio_rest).
set -euo pipefail
. "$(dirname "$0")/ports_lib.sh"
HARK=$(realpath "${1:-build/hark}")
FAKE=$(dirname "$HARK")/fake_twilio
T=$(mktemp -d /tmp/hark-twcall-XXXXXX)
PORT=$(free_port)
pid= rpid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$rpid" ] && kill "$rpid" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -20 "$T/serve.log" >&2 || true; exit 1; }

export HARK_STORE=memory TWILIO_ACCOUNT_SID=AC44444444444444444444444444444444 TWILIO_AUTH_TOKEN=tok
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$PORT/api/v1/voice-agents/twilio/webhook
export HARK_RECORDINGS_DIR=$T/rec HARK_PORT=$PORT HARK_AGENTS_DIR=agents
# callers' and agents' words reach the log only at debug (the privacy rule of core/log.h)
export HARK_LOG_LEVEL=debug
# a known stream secret, so the test can mint well-signed but expired tokens
export HARK_STREAM_SECRET=test-stream-secret-$RANDOM$RANDOM
"$(dirname "$HARK")/fake_twilio_rest" --port 0 --account $TWILIO_ACCOUNT_SID --token $TWILIO_AUTH_TOKEN \
  --log "$T/rest.log" >"$T/rest.port" &
rpid=$!
for _ in $(seq 50); do [ -s "$T/rest.port" ] && break; sleep 0.1; done
export TWILIO_API_BASE_URL=http://127.0.0.1:$(cat "$T/rest.port")
"$HARK" serve 2>"$T/serve.log" &
pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

. "$(dirname "$0")/twilio_lib.sh"
"$HARK" synth --text "Hello, I would like to book an appointment please" --out "$T/l1.wav"
"$HARK" synth --text "Tuesday at ten" --out "$T/l2.wav"
"$HARK" synth --text "No thank you, that is all. Goodbye" --out "$T/l3.wav"

# 1. the booking call
SID=CA$(printf '%032d' 1)
TOKEN=$(stream_token $SID)
[ -n "$TOKEN" ] || fail "no token from the webhook"
"$FAKE" --url "ws://127.0.0.1:$PORT/voice/stream/$SID" --call-sid $SID --stream-sid MZ$(printf '%032d' 1) \
  --param agent=front_desk --param "token=$TOKEN" --param from=+15551230000 --param to=+15550199 \
  --caller-wav "$T/l1.wav" --caller-wav "$T/l2.wav" --caller-wav "$T/l3.wav" \
  --out "$T/heard.wav" --log "$T/events.jsonl" --max-seconds 90 || fail "fake twilio call failed"
grep -q '"event":"user_turn_text".*tuesday' "$T/serve.log" || fail "caller's tuesday not recognised"
grep -q '"event":"assistant_say_text".*booked for tuesday at ten' "$T/serve.log" || fail "no booking"
grep -q '"event":"call_ended".*assistant-ended-call' "$T/serve.log" || fail "agent did not hang up"
marks=$(grep -c '"mark' "$T/events.jsonl" || true)
[ "$marks" -ge 4 ] || fail "expected marks after replies, got $marks"
"$HARK" transcribe --wav "$T/heard.wav" --channel right \
  --phrase "your appointment is booked for tuesday at ten a m" --phrase "which day would suit you" \
  --phrase "thank you for calling maple street clinic goodbye" >"$T/heard.txt" 2>/dev/null
grep -qw booked "$T/heard.txt" && grep -qw tuesday "$T/heard.txt" || fail "caller did not hear the booking: $(cat "$T/heard.txt")"
# the recording is written on the pool after the call: wait for it to be saved
for _ in $(seq 50); do grep -q '"event":"recording_saved","call_id":"'$SID'"' "$T/serve.log" && break; sleep 0.1; done
grep -q '"event":"recording_saved","call_id":"'$SID'"' "$T/serve.log" || fail "no recording"
"$HARK" transcribe --wav "$T/rec/$SID.wav" --channel right --phrase "your appointment is booked for tuesday at ten a m" \
  >"$T/rec.txt" 2>/dev/null || fail "cannot transcribe the recording"
grep -qw booked "$T/rec.txt" || fail "recording lacks the agent's words: $(cat "$T/rec.txt")"

# the agent hung up: Twilio was told to complete the call
for _ in $(seq 30); do grep -q "Calls/$SID.json" "$T/rest.log" 2>/dev/null && break; sleep 0.1; done
grep "Calls/$SID.json" "$T/rest.log" | grep -q '"body":"Status=completed"' || fail "no REST hang-up: $(cat "$T/rest.log")"

# 2. tokens that are not this call's: each stream is refused for its own
# reason and no call starts. Forged ones are minted here with Python's hmac
# (independent of hark): base64url(CallSid|agent|expiry) "." base64url(HMAC-SHA256).
mint() { # secret payload -> token
  python3 -c 'import sys, hmac, hashlib, base64
b = lambda x: base64.urlsafe_b64encode(x).rstrip(b"=").decode()
s, p = sys.argv[1].encode(), sys.argv[2].encode()
print(b(p) + "." + b(hmac.new(s, p, hashlib.sha256).digest()))' "$1" "$2"
}
refused_stream() { # n token reason-regex what
  local sid=CA$(printf '%032d' "$1")
  set +e
  "$FAKE" --url "ws://127.0.0.1:$PORT/voice/stream/$sid" --call-sid $sid --stream-sid MZ$(printf '%032d' "$1") \
    --param agent=front_desk --param "token=$2" --caller-wav "$T/l2.wav" \
    --out "$T/h$1.wav" --log "$T/e$1.jsonl" --max-seconds 10 >/dev/null 2>&1
  set -e
  grep -Eq '"event":"stream_rejected","call_id":"'$sid'".*stream token: ('"$3"')' "$T/serve.log" \
    || fail "$4: not refused as $3: $(grep "$sid" "$T/serve.log" | head -3)"
  ! grep -q '"event":"call_started","call_id":"'$sid'"' "$T/serve.log" || fail "a call started on $4"
}
AGENT=$(python3 -c 'import sys, base64; p = sys.argv[1].split(".")[0]; print(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)).decode().split("|")[1])' "$TOKEN")
[ -n "$AGENT" ] || fail "cannot read the agent id of a real token"
FUTURE=$(( $(date +%s) + 600 ))
refused_stream 2 "$TOKEN" "wrong call" "another call's real token"
refused_stream 21 "$(mint wrong-secret "CA$(printf '%032d' 21)|$AGENT|$FUTURE")" "bad signature" \
  "a token of the right shape signed with another secret"
real22=$(stream_token CA$(printf '%032d' 22))
refused_stream 22 "${real22:0:$(( ${#real22} - 8 ))}" "malformed|bad signature" "a truncated real token"
refused_stream 23 '!!!!not-base64.????' "malformed" "a token that is not base64url"
refused_stream 24 "$(mint "$HARK_STREAM_SECRET" "CA$(printf '%032d' 24)|$AGENT|$(( $(date +%s) - 5 ))")" "expired" \
  "an expired token signed with the real secret"
refused_stream 25 "" "malformed" "a start without a token"

# 3. barge-in over the phone: the caller talks over the greeting -> clear
SID3=CA$(printf '%032d' 3)
"$FAKE" --url "ws://127.0.0.1:$PORT/voice/stream/$SID3" --call-sid $SID3 --stream-sid MZ$(printf '%032d' 3) \
  --param agent=front_desk --param "token=$(stream_token $SID3)" --caller-wav "$T/l1.wav" --barge-in-ms 1200 \
  --out "$T/h3.wav" --log "$T/e3.jsonl" --max-seconds 40 >/dev/null 2>&1 || true
grep -q '"clear' "$T/e3.jsonl" || fail "no clear after barge-in"
# speech onset -> clear, generously bounded (bench/twilio_latency.sh reports the real figure)
onset=$(grep '"event":"line_start"' "$T/e3.jsonl" | grep '"over_agent":true' | head -1 | grep -Eo '"t":[0-9.]+' | cut -d: -f2)
clear=$(grep '"event":"clear_received"' "$T/e3.jsonl" | head -1 | grep -Eo '"t":[0-9.]+' | cut -d: -f2)
[ -n "$onset" ] && [ -n "$clear" ] || fail "cannot time the barge-in: $(cat "$T/e3.jsonl")"
awk -v a="$onset" -v b="$clear" 'BEGIN { d = b - a; print "barge-in: speech onset -> clear " d " ms"; exit !(d >= 0 && d < 1000) }' \
  || fail "clear came too late or before the caller spoke"
grep -q '"event":"barge_in","call_id":"'$SID3'"' "$T/serve.log" || fail "no barge_in logged"
# the greeting is kept only as far as the caller heard it (position marks echoed by the carrier)
# (the words at debug, the length and time at info)
text=$(grep '"event":"assistant_trimmed_text","call_id":"'$SID3'"' "$T/serve.log" | head -1 | sed -E 's/.*"msg":"\\"(.*)\\"".*/\1/')
ms=$(grep '"event":"assistant_trimmed","call_id":"'$SID3'"' "$T/serve.log" | head -1 | sed -E 's/.*\(([0-9]+) ms heard\)".*/\1/')
heard="$text|$ms"
greeting="Hello, thank you for calling Maple Street Clinic. How can I help you today?"
[ -n "$text" ] && [ "${#text}" -lt "${#greeting}" ] || fail "greeting not trimmed: '$heard'"
case "$greeting" in "$text"*) ;; *) fail "trimmed text '$text' is not a prefix of the greeting";; esac
[ "$ms" -ge 800 ] && [ "$ms" -le 2500 ] || fail "heard ${ms} ms of a greeting interrupted 1.2 s in"

# 4. DTMF 0 transfers: a REST update redirects the call to a connect-status URL
# carrying the number, signed with the stream secret (any worker can answer it)
SID4=CA$(printf '%032d' 4)
"$FAKE" --url "ws://127.0.0.1:$PORT/voice/stream/$SID4" --call-sid $SID4 --stream-sid MZ$(printf '%032d' 4) \
  --param agent=front_desk --param "token=$(stream_token $SID4)" --caller-wav "$T/l2.wav" --dtmf-after-line 1:0 \
  --out "$T/h4.wav" --log "$T/e4.jsonl" --max-seconds 40 >/dev/null 2>&1 || true
grep -q '"event":"call_ended","call_id":"'$SID4'".*assistant-forwarded-call' "$T/serve.log" || fail "no transfer"
for _ in $(seq 30); do grep -q "Calls/$SID4.json" "$T/rest.log" && break; sleep 0.1; done
turl=$(grep "Calls/$SID4.json" "$T/rest.log" | python3 -c 'import sys, re, html, urllib.parse
b = urllib.parse.unquote_plus(sys.stdin.read().replace("\\/", "/"))
m = re.search(r"<Redirect[^>]*>([^<]+)</Redirect>", b)
print(html.unescape(m.group(1)) if m else "")')
[ -n "$turl" ] || fail "no REST transfer: $(grep "Calls/$SID4" "$T/rest.log")"
CS=(CallSid=$SID4 CallStatus=in-progress)
connect_status() { # URL: Twilio's request to it, signed over the full URL
  curl -sf -H "X-Twilio-Signature: $(sign "$1" "${CS[@]}")" \
    --data-urlencode "CallSid=$SID4" --data-urlencode "CallStatus=in-progress" "$1"
}
connect_status "$turl" | grep -q '<Dial>+15550100</Dial>' || fail "the signed transfer URL did not dial ($turl)"
connect_status "$TWILIO_WEBHOOK_URL/connect-status" | grep -q '<Hangup/>' || fail "connect action without a transfer did not hang up"
other=$(printf '+15550199' | base64 | tr '+/' '-_' | tr -d '=')
connect_status "$(echo "$turl" | sed -E "s/transfer=[^&]+/transfer=$other/")" | grep -q '<Hangup/>' \
  || fail "a transfer URL with another number was obeyed"
echo "ok: twilio call"
