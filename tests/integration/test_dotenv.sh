#!/usr/bin/env bash
# Settings written only to ./.env (none in the environment) reach every part
# of hark that uses them, as a user with a .env file would run it:
#   HARK_STORE=memory        -> no PostgreSQL is started
#   HARK_ENV=production      -> a call that would store records without a key refuses
#   HARK_DATA_KEY            -> transcripts are encrypted in PostgreSQL
#   DATABASE_URL             -> hark migrate and the store use it
#   HARK_SPOOL_PATH          -> records spool there while the database is down
#   HARK_LOG_LEVEL, HARK_LUA_DIR, HARK_WORKERS, HARK_DRAIN_SECONDS, HARK_STREAM_SECRET
set -euo pipefail
. "$(dirname "$0")/ports_lib.sh"
HARK=$(cd "$(dirname "${1:-build/hark}")" && pwd)/$(basename "${1:-build/hark}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/hark-dotenv-XXXXXX)
chmod 0755 "$T"
mkdir "$T/cwd"
AGENT=$ROOT/agents/front_desk.lua
PGPORT=$(free_port)
spid=
cleanup() {
  [ -n "$spid" ] && kill "$spid" 2>/dev/null
  HARK_PG_PORT=$PGPORT HARK_PG_DIR=$T/pg "$ROOT/scripts/pg" stop --purge >/dev/null 2>&1 || true
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# nothing hark reads may come from the environment in this test
for v in $("$HARK" serve --help | grep -Eo '^  [A-Z][A-Z0-9_]+' ); do unset "$v"; done
# where scripts/pg would put a private cluster if hark (wrongly) started one
export HARK_PG_PORT=$PGPORT HARK_PG_DIR=$T/pg HARK_PG_FAST=1
KEY=$(printf '%064d' 5)
call() { (cd "$T/cwd" && "$HARK" call --agent "$AGENT" --quiet "$@"); }

# HARK_STORE=memory from .env: the call is stored in memory, PostgreSQL never starts
printf 'HARK_STORE=memory\n' >"$T/cwd/.env"
call --store --caller-text "what are your opening hours" >"$T/out1.txt" 2>"$T/err1.txt" \
  || fail "HARK_STORE=memory call: $(cat "$T/err1.txt")"
[ ! -e "$T/pg" ] || fail "HARK_STORE=memory in .env was ignored: PostgreSQL was started"

# a .env line hark cannot read stops the command (it may be the one with the key)
printf 'HARK_STORE=memory\nHARK_DATA_KEY="unterminated\n' >"$T/cwd/.env"
set +e; call --caller-text "hello" >/dev/null 2>"$T/bad.txt"; rc=$?; set -e
[ "$rc" -eq 1 ] && grep -q '.env line 2: unterminated' "$T/bad.txt" || fail "broken .env not refused (rc $rc): $(cat "$T/bad.txt")"

# HARK_LOG_LEVEL from .env
printf 'HARK_LOG_LEVEL=debug\n' >"$T/cwd/.env"
call --caller-text "what are your opening hours" >/dev/null 2>"$T/err2.txt" || fail "debug call"
grep -q '"level":"debug"' "$T/err2.txt" || fail "HARK_LOG_LEVEL=debug in .env was ignored"
printf 'HARK_LOG_LEVEL=error\n' >"$T/cwd/.env"
call --caller-text "what are your opening hours" >/dev/null 2>"$T/err3.txt" || fail "error-level call"
! grep -q '"level":"info"' "$T/err3.txt" || fail "HARK_LOG_LEVEL=error in .env was ignored"

# HARK_LUA_DIR from .env: a directory without hark's Lua library is used (and fails)
printf 'HARK_LUA_DIR=%s/no-lua-here\n' "$T" >"$T/cwd/.env"
set +e; (cd "$T/cwd" && "$HARK" check "$AGENT") >"$T/check.txt" 2>&1; rc=$?; set -e
[ "$rc" -ne 0 ] && grep -q "no-lua-here" "$T/check.txt" || fail "HARK_LUA_DIR in .env was ignored: $(cat "$T/check.txt")"

# HARK_SPOOL_PATH + DATABASE_URL from .env: the database is unreachable, so
# the record lands in the spool file .env names (no private cluster started)
printf 'DATABASE_URL=postgresql://hark@127.0.0.1:1/none?connect_timeout=1\nHARK_SPOOL_PATH=%s/spool.jsonl\nHARK_DATA_KEY=%s\n' \
  "$T" "$KEY" >"$T/cwd/.env"
# (hark call then waits for the database to come back: stop it after a while)
set +e
timeout 8 bash -c "cd '$T/cwd' && exec '$HARK' call --agent '$AGENT' --quiet --store --caller-text 'no thank you goodbye'" \
  >/dev/null 2>"$T/err4.txt"
set -e
[ -s "$T/spool.jsonl" ] || fail "HARK_SPOOL_PATH/DATABASE_URL in .env ignored: no spool at $T/spool.jsonl: $(tail -5 "$T/err4.txt")"
[ ! -e "$T/pg" ] || fail "DATABASE_URL in .env was ignored: the private PostgreSQL was started"

# HARK_ENV=production from .env without HARK_DATA_KEY: no call is stored in the clear
printf 'HARK_ENV=production\nDATABASE_URL=postgresql://hark@127.0.0.1:1/none\n' >"$T/cwd/.env"
set +e; call --store --caller-text "goodbye" >/dev/null 2>"$T/err5.txt"; rc=$?; set -e
[ "$rc" -ne 0 ] && grep -q "HARK_DATA_KEY is not set" "$T/err5.txt" \
  || fail "HARK_ENV=production in .env: stored without a key (rc $rc): $(tail -3 "$T/err5.txt")"

# HARK_DATA_KEY + HARK_ENV=production + DATABASE_URL from .env against a real
# PostgreSQL: migrate uses the URL, the call's words are encrypted at rest
if ! URL=$("$ROOT/scripts/pg" start 2>"$T/pg.err"); then
  echo "SKIP: PostgreSQL could not start: $(tail -3 "$T/pg.err")"; exit 77
fi
printf 'HARK_ENV=production\nDATABASE_URL=%s\nHARK_DATA_KEY=%s\nHARK_SPOOL_PATH=%s/spool2.jsonl\n' \
  "$URL" "$KEY" "$T" >"$T/cwd/.env"
(cd "$T/cwd" && "$HARK" migrate) >/dev/null 2>"$T/mig.txt" || fail "migrate with DATABASE_URL from .env: $(cat "$T/mig.txt")"
call --store --caller-text "I would like to book an appointment on tuesday at ten" \
  --caller-text "no thank you goodbye" >/dev/null 2>"$T/err6.txt" || fail "stored call: $(tail -5 "$T/err6.txt")"
! grep -q data_key_missing "$T/err6.txt" || fail "HARK_DATA_KEY in .env was ignored"
q() { psql "$URL" -Atqc "$1"; }
[ "$(q "SELECT count(*) FROM call_messages")" -ge 3 ] || fail "messages not stored"
raw=$(q "SELECT m.* FROM call_messages m; SELECT c.* FROM calls c")
! echo "$raw" | grep -qi "appointment\|tuesday\|goodbye" || fail "HARK_DATA_KEY in .env: plaintext at rest"

# hark serve: HARK_WORKERS, HARK_DRAIN_SECONDS, HARK_STREAM_SECRET (and the
# required Twilio settings) from .env
SPORT=$(free_port)
cat >"$T/cwd/.env" <<EOF
HARK_STORE=memory
HARK_PORT=$SPORT
HARK_AGENTS_DIR=$ROOT/agents
HARK_RECORDINGS_DIR=$T/rec
TWILIO_ACCOUNT_SID=AC12121212121212121212121212121212
TWILIO_AUTH_TOKEN=tok
TWILIO_WEBHOOK_URL=http://127.0.0.1:$SPORT/api/v1/voice-agents/twilio/webhook
HARK_WORKERS=2
HARK_DRAIN_SECONDS=7
HARK_STREAM_SECRET=from-dotenv-secret
EOF
(cd "$T/cwd" && exec "$HARK" serve 2>"$T/serve.log") &
spid=$!
for _ in $(seq 100); do [ "$(grep -c serve_ready "$T/serve.log" 2>/dev/null)" = 2 ] && break; sleep 0.1; done
[ "$(grep -c serve_ready "$T/serve.log")" = 2 ] || fail "HARK_WORKERS=2 in .env: $(grep -c serve_ready "$T/serve.log") worker(s) ready"
! grep -q stream_secret_generated "$T/serve.log" || fail "HARK_STREAM_SECRET in .env was ignored"
kill -TERM "$spid"
wait "$spid" || fail "serve did not stop cleanly"
spid=
grep -q '"event":"serve_stopping".*up to 7 s' "$T/serve.log" || fail "HARK_DRAIN_SECONDS=7 in .env was ignored: $(grep serve_stopping "$T/serve.log")"
echo "ok: settings from .env"
