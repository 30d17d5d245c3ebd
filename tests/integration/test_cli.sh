#!/usr/bin/env bash
# The hark command line: help texts, hark check on good and bad agent files
# (clear messages with file:line, non-zero exit), bad caller audio, and a
# realtime call that is paced at wall-clock speed.
set -euo pipefail
HARK=${1:-build/hark}
T=$(mktemp -d /tmp/hark-cli-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# output into a variable first: grep -q closing the pipe early kills hark with SIGPIPE under pipefail
out=$("$HARK" --help) || fail "hark --help exit code"
grep -q "usage: hark <command>" <<<"$out" || fail "hark --help"
for c in call check serve migrate synth transcribe test-lua; do
  out=$("$HARK" "$c" --help) || fail "hark $c --help exit code"
  grep -qi "usage: hark $c" <<<"$out" || fail "hark $c --help"
done
set +e; "$HARK" nosuch >/dev/null 2>&1; rc=$?; set -e
[ "$rc" -eq 2 ] || fail "unknown command exits 2 (got $rc)"

# hark check: good files pass, bad ones fail with file and line
"$HARK" check agents/front_desk.lua agents/order_status.lua >"$T/ok.txt" || fail "good agents fail check"
grep -q "stt deepgram, tts 11labs, model openai" "$T/ok.txt" || fail "cloud providers not listed: $(cat "$T/ok.txt")"
# without keys, check says which providers could not work (keys present: no note)
env -u DEEPGRAM_API_KEY -u OPENAI_API_KEY -u OPENAI_BASE_URL -u ELEVENLABS_API_KEY "$HARK" check agents/order_status.lua >"$T/nokey.txt"
grep -q "note: model 'openai' has no API key" "$T/nokey.txt" && grep -q "note: voice '11labs'" "$T/nokey.txt" \
  || fail "missing keys not noted: $(cat "$T/nokey.txt")"
DEEPGRAM_API_KEY=k OPENAI_API_KEY=k ELEVENLABS_API_KEY=k "$HARK" check agents/order_status.lua >"$T/keys.txt"
! grep -q "note:" "$T/keys.txt" || fail "keys present but noted: $(cat "$T/keys.txt")"
# a misspelt provider is refused at load time, naming what exists
sed 's/provider = "openai"/provider = "opnai"/' agents/order_status.lua >"$T/typo.lua"
set +e; "$HARK" check "$T/typo.lua" >"$T/typo.txt"; rc=$?; set -e
[ "$rc" -eq 1 ] && grep -q "model.provider 'opnai' is not available (have: .*openai" "$T/typo.txt" \
  || fail "misspelt provider: $(cat "$T/typo.txt")"
set +e
"$HARK" check tests/fixtures/agents/not_lua.lua >"$T/bad1.txt"; r1=$?
"$HARK" check tests/fixtures/agents/load_loop.lua >"$T/bad2.txt"; r2=$?
"$HARK" check tests/fixtures/agents/no_table.lua >"$T/bad3.txt"; r3=$?
"$HARK" check agents/front_desk.lua tests/fixtures/agents/bad_field.lua >"$T/bad4.txt"; r4=$?
set -e
[ "$r1" -eq 1 ] && grep -q "not_lua.lua:1:" "$T/bad1.txt" || fail "not Lua: $(cat "$T/bad1.txt")"
[ "$r2" -eq 1 ] && grep -q "load_loop.lua:3: CPU budget exceeded" "$T/bad2.txt" || fail "loop: $(cat "$T/bad2.txt")"
[ "$r3" -eq 1 ] && grep -q "must return the agent table" "$T/bad3.txt" || fail "no table: $(cat "$T/bad3.txt")"
[ "$r4" -eq 1 ] && grep -q "^ok   agents/front_desk.lua" "$T/bad4.txt" && grep -q "first_mesage" "$T/bad4.txt" \
  || fail "mixed good/bad: $(cat "$T/bad4.txt")"

# malformed caller audio: a clear error, no crash
printf 'RIFF\x24\x00\x00\x00WAVEjunk' >"$T/bad.wav"
set +e; "$HARK" call --agent agents/front_desk.lua --caller-wav "$T/bad.wav" 2>"$T/err.txt"; rc=$?; set -e
[ "$rc" -eq 1 ] && grep -q "wav:" "$T/err.txt" || fail "malformed wav: rc=$rc $(cat "$T/err.txt")"
set +e; "$HARK" call --agent agents/front_desk.lua --caller-wav "$T/missing.wav" 2>"$T/err.txt"; rc=$?; set -e
[ "$rc" -eq 1 ] || fail "missing wav must fail"
set +e; "$HARK" call --caller-text "hi" 2>"$T/err.txt"; rc=$?; set -e
[ "$rc" -eq 2 ] && grep -qE -- "one of --agent, --assistant-json or --assistant-id is required" "$T/err.txt" || fail "missing --agent: $(cat "$T/err.txt")"
# a setting out of range is named before the call starts, as serve does
set +e; HARK_CALL_MEMORY_MB=0 "$HARK" call --agent agents/front_desk.lua --caller-text "hi" 2>"$T/err.txt"; rc=$?; set -e
[ "$rc" -eq 1 ] && grep -q "HARK_CALL_MEMORY_MB must be a whole number 1-65536" "$T/err.txt" || fail "bad setting: rc=$rc $(cat "$T/err.txt")"

# text caller lines: the recogniser's word accuracy on them is reported
"$HARK" call --agent agents/front_desk.lua --caller-text "I would like to book an appointment" \
  >"$T/acc.txt" 2>/dev/null || fail "text caller call"
acc=$(grep -Eo 'word accuracy [0-9]+%' "$T/acc.txt" | grep -Eo '[0-9]+')
[ -n "$acc" ] && [ "$acc" -ge 60 ] || fail "word accuracy missing or low: $(cat "$T/acc.txt")"

# realtime: a greeting-only call (no caller lines) takes wall-clock time
start=$(date +%s%N)
"$HARK" call --agent agents/front_desk.lua --realtime --quiet --transcript "$T/rt.json" 2>/dev/null
ms=$(( ($(date +%s%N) - start) / 1000000 ))
grep -Eq '"ended_reason":[[:space:]]*"customer-ended-call"' "$T/rt.json" || fail "realtime call did not end normally"
end_ms=$(grep -Eo '"end_ms":[[:space:]]*[0-9]+' "$T/rt.json" | head -1 | grep -o '[0-9]*$')
[ "$ms" -ge "$end_ms" ] || fail "realtime call took ${ms} ms, less than the greeting's ${end_ms} ms"
echo "ok: cli"
