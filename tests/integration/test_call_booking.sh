#!/usr/bin/env bash
# A whole offline phone call: an espeak-made caller books an appointment on
# Tuesday at ten with the front-desk agent. The transcript must show the
# booking confirmed, the recording must be stereo and time-aligned, and the
# agent's channel, run back through speech recognition, must contain the
# confirmation words (what the caller actually heard, not just what was
# generated).
set -euo pipefail
HARK=${1:-build/hark}
T=$(mktemp -d /tmp/hark-it-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# caller lines as WAVs at different rates (the call converts them to 8 kHz mu-law)
"$HARK" synth --text "Hello, I would like to book an appointment please" --out "$T/l1.wav" --rate 16000
"$HARK" synth --text "Tuesday at ten" --out "$T/l2.wav" --rate 44100
"$HARK" synth --text "No thank you, that is all. Goodbye" --out "$T/l3.wav"

"$HARK" call --agent agents/front_desk.lua \
  --caller-wav "$T/l1.wav" --caller-wav "$T/l2.wav" --caller-wav "$T/l3.wav" \
  --out "$T/call.wav" --transcript "$T/call.json" >"$T/out.txt" 2>"$T/log.txt" \
  || { cat "$T/log.txt"; fail "hark call exited non-zero"; }
cat "$T/out.txt"

grep -Eq '"agent":[[:space:]]*"Maple Street Clinic front desk"' "$T/call.json" || fail "transcript names the agent"
grep -Eq '"text":[[:space:]]*"Your appointment is booked for tuesday at ten a m' "$T/call.json" \
  || fail "booking not confirmed in the transcript"
grep -Eq '"ended_reason":[[:space:]]*"assistant-ended-call"' "$T/call.json" || fail "agent did not hang up after goodbye"
grep -Eq '"role":[[:space:]]*"user"' "$T/call.json" || fail "no user messages"
# every turn has its four latency marks
turns=$(grep -Ec '"first_audio_ms":[[:space:]]*[0-9]' "$T/call.json" || true)
[ "$turns" -ge 3 ] || fail "expected >= 3 turns with first_audio_ms, got $turns"
! grep -q '"level":"error"' "$T/log.txt" || { grep '"level":"error"' "$T/log.txt"; fail "errors logged"; }

# the agent channel, heard back through speech recognition
"$HARK" transcribe --wav "$T/call.wav" --channel right \
  --phrase "your appointment is booked for tuesday at ten a m" \
  --phrase "is there anything else i can help with" \
  --phrase "hello thank you for calling maple street clinic" \
  --phrase "thank you for calling maple street clinic goodbye" \
  --phrase "which day would suit you" >"$T/heard.txt" 2>>"$T/log.txt" \
  || fail "transcribe failed"
cat "$T/heard.txt"
for w in booked tuesday ten; do
  grep -qw "$w" "$T/heard.txt" || fail "agent audio does not contain '$w'"
done
# and the caller channel holds the caller's words, not the agent's
"$HARK" transcribe --wav "$T/call.wav" --channel left --agent agents/front_desk.lua >"$T/caller.txt" 2>>"$T/log.txt"
grep -qw tuesday "$T/caller.txt" || fail "caller channel lacks 'tuesday'"
! grep -qw booked "$T/caller.txt" || fail "agent speech leaked into the caller channel"
echo "ok: booking call"
