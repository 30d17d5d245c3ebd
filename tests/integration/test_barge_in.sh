#!/usr/bin/env bash
# Barge-in on a simulated call: the caller talks over the agent's greeting.
# - default agent: playback stops, the greeting is recorded only as far as it
#   was heard (marked interrupted) and the agent answers the caller;
# - an agent needing 1.5 s of speech: a short "okay" only pauses playback,
#   which resumes, and the greeting is recorded whole;
# - barge_in = false: the greeting plays to the end.
set -euo pipefail
HARK=${1:-build/hark}
T=$(mktemp -d /tmp/hark-barge-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
first_text() { grep -m1 -Eo '"text":[[:space:]]*"[^"]*"' "$1" | sed -E 's/"text":[[:space:]]*"//; s/"$//'; }

"$HARK" call --agent agents/front_desk.lua --quiet --caller-text "@1.2:what are your opening hours" \
  --transcript "$T/a.json" 2>"$T/a.log" || fail "call a"
greeting="Hello, thank you for calling Maple Street Clinic. How can I help you today?"
heard=$(first_text "$T/a.json")
[ -n "$heard" ] && [ "${#heard}" -lt "${#greeting}" ] || fail "greeting not cut: '$heard'"
case "$greeting" in "$heard"*) ;; *) fail "heard text '$heard' is not a prefix of the greeting";; esac
grep -Eq '"interrupted":[[:space:]]*true' "$T/a.json" || fail "greeting not marked interrupted"
grep -q '"event":"barge_in"' "$T/a.log" || fail "no barge_in event"
# the agent answered the caller after the interruption
[ "$(grep -Ec '"role":[[:space:]]*"assistant"' "$T/a.json")" -ge 2 ] || fail "no reply after barge-in"

"$HARK" call --agent tests/fixtures/agents/patient.lua --quiet --caller-text "@1.0:okay" \
  --transcript "$T/b.json" 2>"$T/b.log" || fail "call b"
[ "$(first_text "$T/b.json")" = "Welcome to the patience test line. This greeting is long on purpose so that a caller can talk over it." ] \
  || fail "short sound cut the greeting: $(first_text "$T/b.json")"
! grep -Eq '"interrupted"' "$T/b.json" || fail "short sound interrupted"
grep -q '"event":"barge_in_resumed"' "$T/b.log" || fail "short sound did not pause and resume playback"

"$HARK" call --agent tests/fixtures/agents/no_barge.lua --quiet --caller-text "@1.0:what are your opening hours" \
  --transcript "$T/c.json" 2>"$T/c.log" || fail "call c"
! grep -Eq '"interrupted"' "$T/c.json" || fail "barge_in=false was interrupted"
! grep -q '"event":"barge_in"' "$T/c.log" || fail "barge_in=false logged a barge-in"
echo "ok: barge-in"
