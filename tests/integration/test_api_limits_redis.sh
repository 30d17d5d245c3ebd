#!/usr/bin/env bash
# Rate limits of the REST API's front door, shared by two hark serve processes
# through a private redis-server, with keys and users in a private PostgreSQL:
# a burst of requests with one API key gets 429 with Retry-After: 1 and Vapi's
# error JSON, and the key works again after the window; Vapi's server SDK
# (when installed) retries its 429s after Retry-After and every call succeeds; login attempts for one
# email are limited across both nodes (the 4th, on the other node, is a 429 even
# with the right password) and per client address; an unknown key's second try is
# answered from the negative cache (no store read); with PostgreSQL down an
# uncached key gets 503 with Retry-After (not 401); with Redis down the limits
# count per worker (logged once, counted in /metrics) and requests still pass.
set -euo pipefail
. "$(dirname "$0")/ports_lib.sh"
HARK=$(realpath "${1:-build/hark}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/hark-apilim-XXXXXX)
chmod 0755 "$T"
RPORT=$(free_port) PGP=$(free_port)
PA=$(free_port) PB=$(free_port)
export HARK_PG_PORT=$PGP HARK_PG_DIR=$T/pg HARK_PG_FAST=1
pa= pb=
cleanup() {
  set +e
  for p in $pa $pb; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  "$ROOT/scripts/redis" stop --port $RPORT --dir "$T/redis" >/dev/null 2>&1
  "$ROOT/scripts/pg" stop --purge >/dev/null 2>&1
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -n 8 "$T"/a.log "$T"/b.log >&2 || true; exit 1; }
command -v redis-server >/dev/null || { echo "SKIP: no redis-server (scripts/bootstrap)"; exit 77; }

URL=$("$ROOT/scripts/pg" start) || fail "pg start"
export DATABASE_URL=$URL
unset HARK_STORE
"$HARK" migrate >/dev/null || fail "migrate"
TA=$("$HARK" tenant create "Acme") || fail "tenant create"
KA=$("$HARK" key create --tenant "$TA" 2>/dev/null) || fail "key create"
KB=$("$HARK" key create --tenant "$TA" 2>/dev/null) || fail "key create 2"
KC=$("$HARK" key create --tenant "$TA" 2>/dev/null) || fail "key create 3"
printf 'correct horse battery\n' | "$HARK" user create --tenant "$TA" --email ann@acme.test >/dev/null || fail "user create"
printf 'correct horse battery\n' | "$HARK" user create --tenant "$TA" --email bob@acme.test >/dev/null || fail "user create"

REDIS_URL=$("$ROOT/scripts/redis" start --port $RPORT --dir "$T/redis")
export REDIS_URL JWT_SECRET=integration-secret-0123456789abcdef
export TWILIO_ACCOUNT_SID=AC00000000000000000000000000000000 TWILIO_AUTH_TOKEN=test-token
export TWILIO_WEBHOOK_URL=https://hark.example.com/api/v1/voice-agents/twilio/webhook
export HARK_API_RATE_PER_SECOND=5 HARK_LOGIN_PER_EMAIL_PER_MINUTE=3 HARK_LOGIN_PER_IP_PER_MINUTE=5
export HARK_LOG_LEVEL=debug HARK_AGENTS_DIR=$T/agents
mkdir -p "$T/agents"
start() { HARK_PORT=$1 HARK_SPOOL_PATH=$T/spool-$1.jsonl "$HARK" serve >/dev/null 2>"$2" & started=$!; }
ready() { for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return; sleep 0.1; done; fail "port $1 not up"; }
start $PA "$T/a.log"; pa=$started; start $PB "$T/b.log"; pb=$started
ready $PA; ready $PB
sleep 0.3 # both connected to Redis
A=http://127.0.0.1:$PA B=http://127.0.0.1:$PB
req() { local out=$1; shift; curl -s -D "$out.h" -o "$out" -w '%{http_code}' "$@"; }

# 1. API requests per key per second: a burst of 20 at once over both nodes
burst() { # key port... : 20 requests at once; sets ok, limited, last (a limited answer's file)
  local key=$1; shift
  local ports=("$@") pids=() i
  for i in $(seq 20); do
    u=http://127.0.0.1:${ports[$((i % ${#ports[@]}))]}
    curl -s -D "$T/b$i.h" -o "$T/b$i" -w '%{http_code}' -H "Authorization: Bearer $key" "$u/auth/me" >"$T/b$i.code" &
    pids+=($!)
  done
  wait "${pids[@]}" || true
  ok=0 limited=0 last=
  for i in $(seq 20); do
    case $(cat "$T/b$i.code") in
      200) ok=$((ok + 1)) ;;
      429) limited=$((limited + 1)); last=$T/b$i ;;
      *) fail "burst request $i: $(cat "$T/b$i.code") $(cat "$T/b$i")" ;;
    esac
  done
}
burst "$KA" $PA $PB
# 20 at once land in at most two 1 s windows: at most 10 pass
[ "$limited" -ge 10 ] || fail "a burst of 20 at 5/s: only $limited limited"
grep -qi '^retry-after: 1' "$last.h" || fail "429 without Retry-After: 1: $(cat "$last.h")"
grep -q '"statusCode":429' "$last" && grep -q '"error":"Too Many Requests"' "$last" \
  || fail "429 body: $(cat "$last")"
for p in $PA $PB; do # every check went to Redis
  m=$(curl -sf "http://127.0.0.1:$p/metrics")
  grep -Eq '^hark_rate_limit_degraded_total 0$' <<<"$m" || fail "port $p counted without Redis: $(grep rate_limit <<<"$m")"
done
# another key has its own budget
code=$(req "$T/r" -H "Authorization: Bearer $KB" "$A/auth/me"); [ "$code" = 200 ] || fail "second key limited: $code"
sleep 1.2
code=$(req "$T/r" -H "Authorization: Bearer $KA" "$A/auth/me"); [ "$code" = 200 ] || fail "key still limited after the window: $code"
echo "burst of 20 at 5/s over two nodes: $ok passed, $limited limited"

# 1b. Vapi's server SDK (when test_vapi_sdk installed it) retries a 429 after Retry-After:
# 8 lists at once with a fresh key all succeed, some of them on a retry
SDK=$ROOT/tests/fakes/vapi_sdk
if command -v node >/dev/null && [ -d "$SDK/node_modules/@vapi-ai/server-sdk" ]; then
  cat >"$T/sdk.mjs" <<'JS'
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const { VapiClient } = require(require.resolve("@vapi-ai/server-sdk", { paths: [process.env.SDK_DIR] }));
let sent = 0, limited = 0;
const fetchCounting = async (url, init) => {
  sent++;
  const res = await fetch(url, init);
  if (res.status === 429) limited++;
  return res;
};
const c = new VapiClient({ token: process.env.KEY, baseUrl: process.env.BASE, fetch: fetchCounting, timeoutInSeconds: 30 });
const lists = await Promise.all(Array.from({ length: 8 }, () => c.assistants.list()));
if (!lists.every(Array.isArray)) throw new Error("a list failed");
console.log(`sent ${sent} limited ${limited}`);
JS
  out=$(SDK_DIR=$SDK KEY=$KC BASE=$A timeout 60 node "$T/sdk.mjs" 2>&1) || fail "the SDK under the limit: $out"
  [[ $out =~ ^sent\ ([0-9]+)\ limited\ ([0-9]+)$ ]] || fail "SDK output: $out"
  [ "${BASH_REMATCH[2]}" -ge 1 ] && [ "${BASH_REMATCH[1]}" -eq $((8 + BASH_REMATCH[2])) ] || fail "SDK retries: $out"
  echo "Vapi SDK, 8 lists at 5/s: $out"
else
  echo "note: Vapi's SDK not installed (test_vapi_sdk installs it): its retry part not run"
fi

# 2. logins: 3 per email per minute across both nodes, then 5 per client address
login() { req "$T/login" -H 'Content-Type: application/json' -d "{\"email\":\"$2\",\"password\":\"$3\"}" "$1/auth/login"; }
for i in 1 2 3; do
  t0=$(date +%s%N); code=$(login $A ann@acme.test "wrong horse $i"); t1=$(date +%s%N)
  [ "$code" = 401 ] || fail "wrong password $i: $code"
done
echo "failed login (known email): $(( (t1 - t0) / 1000000 )) ms"
code=$(login $B ann@acme.test "correct horse battery")
[ "$code" = 429 ] || fail "4th login for one email (other node) not limited: $code $(cat "$T/login")"
ra=$(grep -i '^retry-after:' "$T/login.h" | tr -dc 0-9)
[ -n "$ra" ] && [ "$ra" -ge 30 ] && [ "$ra" -le 60 ] || fail "login Retry-After: '$ra'"
grep -q '"statusCode":429' "$T/login" || fail "login 429 body: $(cat "$T/login")"
t0=$(date +%s%N); code=$(login $A nobody@acme.test "wrong horse"); t1=$(date +%s%N) # 5th from this address
[ "$code" = 401 ] || fail "unknown email: $code"
echo "failed login (unknown email): $(( (t1 - t0) / 1000000 )) ms"
code=$(login $B bob@acme.test "correct horse battery")
[ "$code" = 429 ] || fail "6th login from one address not limited: $code"
grep -q '"login_rate_limited"' "$T/b.log" || fail "login limit not logged"
for f in "$T/a.log" "$T/b.log"; do grep -q "ann@acme.test" "$f" && fail "an email reached the log"; done
redis-cli -p $RPORT --scan --pattern 'hark:rl:login-email:*' >"$T/lk"
grep -q "acme" "$T/lk" && fail "an email is in a Redis key: $(cat "$T/lk")"

# 3. an unknown key: the store is asked once, then the negative cache answers
UNK=hk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
code=$(req "$T/r" -H "Authorization: Bearer $UNK" "$A/auth/me"); [ "$code" = 401 ] || fail "unknown key: $code"
code=$(req "$T/r" -H "Authorization: Bearer $UNK" "$A/auth/me"); [ "$code" = 401 ] || fail "unknown key again: $code"
grep -q '"api_unauthorized".*no such key (cached)' "$T/a.log" || fail "the second unknown key was not answered from the negative cache"

# 4. PostgreSQL down: a key not in the cache is a 503 with Retry-After, not a 401
"$ROOT/scripts/pg" stop >/dev/null
sleep 3.5 # the positive cache of KB (3 s) lapses
code=$(req "$T/r" -H "Authorization: Bearer $KB" "$B/auth/me")
[ "$code" = 503 ] || fail "store down: $code $(cat "$T/r")"
grep -qi '^retry-after: [0-9]' "$T/r.h" || fail "503 without Retry-After"
grep -q '"statusCode":503' "$T/r" || fail "503 body: $(cat "$T/r")"
"$ROOT/scripts/pg" start >/dev/null

# 5. Redis down: requests pass, limited per worker, logged once and counted
"$ROOT/scripts/redis" stop --port $RPORT --dir "$T/redis"
sleep 0.5
burst "$KA" $PA
[ "$limited" -ge 10 ] && [ "$ok" -ge 1 ] || fail "Redis down: $ok passed, $limited limited (per worker: 5/s)"
[ "$(grep -c '"rate_limit_degraded"' "$T/a.log")" = 1 ] || fail "Redis down not logged exactly once"
m=$(curl -sf "$A/metrics")
grep -Eq '^hark_rate_limit_degraded_total [1-9]' <<<"$m" || fail "degraded not counted"
grep -Eq '^hark_rate_limited_total [1-9]' <<<"$m" || fail "limited not counted"
echo "ok: API and login limits in Redis"
