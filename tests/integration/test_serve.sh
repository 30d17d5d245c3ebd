#!/usr/bin/env bash
# hark serve: health and metrics on its port, agents hot-reloaded from
# HARK_AGENTS_DIR (a good edit becomes version 2, a broken edit is counted as
# a reload failure and the old version stays), clean stop on SIGTERM.
set -euo pipefail
. "$(dirname "$0")/ports_lib.sh"
HARK=$(realpath "${1:-build/hark}")
T=$(mktemp -d /tmp/hark-serve-XXXXXX)
PORT=$(free_port)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; cat "$T/serve.log" >&2 || true; exit 1; }

cat >"$T/hello.lua" <<'LUA'
return { name = "hello", on_user_turn = function(call, text) return "v1" end }
LUA
# required configuration is checked at start-up, all of it in one message
set +e; env -u TWILIO_AUTH_TOKEN -u TWILIO_WEBHOOK_URL HARK_PORT=$PORT "$HARK" serve 2>"$T/cfg.txt"; rc=$?; set -e
[ "$rc" -eq 1 ] && grep -q TWILIO_AUTH_TOKEN "$T/cfg.txt" && grep -q TWILIO_WEBHOOK_URL "$T/cfg.txt" \
  || fail "missing configuration not reported: $(cat "$T/cfg.txt")"
help=$("$HARK" serve --help) || fail "serve --help exit code" # not piped: grep -q would SIGPIPE hark
grep -q DEEPGRAM_BASE_URL <<<"$help" || fail "serve --help does not list the configuration"

export HARK_STORE=memory TWILIO_ACCOUNT_SID=AC00000000000000000000000000000000 TWILIO_AUTH_TOKEN=test-token TWILIO_WEBHOOK_URL=https://hark.example.com/api/v1/voice-agents/twilio/webhook
HARK_PORT=$PORT HARK_AGENTS_DIR=$T "$HARK" serve 2>"$T/serve.log" &
pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/healthz" | grep -q '"status":"ok"' || fail "healthz"
curl -sf "http://127.0.0.1:$PORT/metrics" >"$T/metrics.txt" || fail "GET /metrics"
grep -q '^hark_active_calls 0$' "$T/metrics.txt" || fail "metrics"
grep -q "^hark_llm_first_token_seconds_count 0$" "$T/metrics.txt" && grep -q "^hark_provider_fallbacks_total 0$" "$T/metrics.txt" \
  || fail "provider metrics missing"
# (a dotless path is the dashboard's own route: index.html; a file or /api/ path is not)
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/nope.txt")
[ "$code" = 404 ] || fail "unknown path gave $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/nope")
[ "$code" = 404 ] || fail "unknown API path gave $code"
grep -q '"event":"agent_loaded".*hello.lua version 1' "$T/serve.log" || fail "agent not loaded"

# hot reload: a good edit (written then renamed, as editors do), then a broken one
printf 'return { name = "hello", on_user_turn = function(call, text) return "v2" end }\n' >"$T/.hello.tmp"
mv "$T/.hello.tmp" "$T/hello.lua"
for _ in $(seq 50); do grep -q 'hello.lua version 2' "$T/serve.log" && break; sleep 0.1; done
grep -q 'hello.lua version 2' "$T/serve.log" || fail "edit not reloaded"
printf 'return { name = \n' >"$T/hello.lua"
for _ in $(seq 50); do grep -q 'agent_reload_failed' "$T/serve.log" && break; sleep 0.1; done
grep -q '"event":"agent_reload_failed".*hello.lua:2:.*kept version 2' "$T/serve.log" || fail "broken edit not reported"
curl -sf "http://127.0.0.1:$PORT/metrics" >"$T/metrics.txt" || fail "GET /metrics"
grep -q '^hark_agent_reload_failures_total 1$' "$T/metrics.txt" || fail "reload failure not counted"

kill -TERM "$pid"
wait "$pid" || fail "serve did not exit cleanly on SIGTERM"
pid=
grep -q '"event":"serve_stopping"' "$T/serve.log" || fail "no stop log"
# configuration from ./.env, re-read on SIGHUP (the environment still wins)
mkdir -p "$T/cwd"
printf 'TWILIO_ACCOUNT_SID=AC00000000000000000000000000000000\nTWILIO_AUTH_TOKEN=test-token\nTWILIO_WEBHOOK_URL="https://one.example.com/api/v1/voice-agents/twilio/webhook"\n' >"$T/cwd/.env"
(cd "$T/cwd" && exec env -u TWILIO_ACCOUNT_SID -u TWILIO_AUTH_TOKEN -u TWILIO_WEBHOOK_URL \
   HARK_STORE=memory HARK_PORT=$PORT HARK_AGENTS_DIR=$T "$HARK" serve 2>"$T/serve2.log") &
pid=$!
for _ in $(seq 50); do grep -q serve_ready "$T/serve2.log" 2>/dev/null && break; sleep 0.1; done
grep -q 'webhook https://one.example.com/' "$T/serve2.log" || fail ".env not read: $(cat "$T/serve2.log")"
sed -i 's/one.example.com/two.example.com/' "$T/cwd/.env"
kill -HUP "$pid"
for _ in $(seq 50); do grep -q config_reloaded "$T/serve2.log" && break; sleep 0.1; done
grep -q '"event":"config_reloaded".*https://two.example.com/' "$T/serve2.log" || fail "SIGHUP did not reload .env"
printf 'TWILIO_WEBHOOK_URL=not-a-url\n' >>"$T/cwd/.env"
kill -HUP "$pid"
for _ in $(seq 50); do grep -q config_reload_failed "$T/serve2.log" && break; sleep 0.1; done
grep -q '"event":"config_reload_failed"' "$T/serve2.log" || fail "a bad reload was not refused"
curl -sf "http://127.0.0.1:$PORT/healthz" | grep -q ok || fail "serve died on a bad reload"
kill -TERM "$pid"; wait "$pid" || fail "serve did not stop cleanly after reloads"
pid=
echo "ok: serve"
