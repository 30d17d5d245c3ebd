#!/usr/bin/env bash
# The REST API's front door against a real PostgreSQL (a private cluster of
# scripts/pg) and `hark serve`: tenants and keys from the CLI, then requests
# to GET /auth/me with a good key (200, its tenant), no key, a malformed key,
# an unknown key, a revoked key (401 within the cache's few seconds); a
# user's login with the right and the wrong password and an unknown email
# (the same 401); the session JWT working, and expired, altered, other-secret
# and alg:none tokens refused; two tenants each seeing only themselves.
set -euo pipefail
HARK=$(realpath "${1:-build/hark}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/hark-apiauth-XXXXXX)
chmod 0755 "$T"
PGPORT_=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export HARK_PG_PORT=$PGPORT_ HARK_PG_DIR=$T/pg HARK_PG_FAST=1
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  "$ROOT/scripts/pg" stop --purge >/dev/null 2>&1 || true
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; cat "$T/serve.log" >&2 2>/dev/null || true; exit 1; }

URL=$("$ROOT/scripts/pg" start)
export DATABASE_URL=$URL
unset HARK_STORE
"$HARK" migrate >/dev/null || fail "migrate"

# the CLI refuses the memory store
set +e; HARK_STORE=memory "$HARK" tenant create x 2>/dev/null; rc=$?; set -e
[ "$rc" = 2 ] || fail "tenant create with HARK_STORE=memory exited $rc"

TA=$("$HARK" tenant create "Acme") || fail "tenant create"
TB=$("$HARK" tenant create "Globex") || fail "tenant create B"
[[ $TA =~ ^[0-9a-f-]{36}$ ]] || fail "tenant id: $TA"
KA=$("$HARK" key create --tenant "$TA" --name ci 2>"$T/keyA.err") || fail "key create"
KA2=$("$HARK" key create --tenant "$TA" 2>"$T/keyA2.err") || fail "second key"
KB=$("$HARK" key create --tenant "$TB" 2>/dev/null) || fail "key create B"
[[ $KA =~ ^hk_[A-Za-z0-9_-]{43}$ ]] || fail "key shape: $KA"
KA2_ID=$(grep -o 'key [0-9a-f-]\{36\}' "$T/keyA2.err" | cut -d' ' -f2)
list=$("$HARK" key list --tenant "$TA") || fail "key list"
[ "$(grep -c '^[0-9a-f-]\{36\}' <<<"$list")" = 2 ] || fail "key list: $list"
grep -q "${KA:0:12}" <<<"$list" || fail "key list shows no prefix"
if grep -q "$KA" <<<"$list"; then fail "key list shows the whole key"; fi
psql "$URL" -Atqc "SELECT count(*) FROM api_keys WHERE key_prefix || '' = '$KA'" | grep -qx 0 || fail "key stored in the clear"
set +e; "$HARK" key create --tenant not-a-uuid >/dev/null 2>&1; rc=$?; set -e
[ "$rc" = 1 ] || fail "key create for a malformed tenant exited $rc"
printf 'correct horse battery\n' | "$HARK" user create --tenant "$TA" --email Ann@Acme.test >/dev/null || fail "user create"
set +e; printf 'short\n' | "$HARK" user create --tenant "$TA" --email b@acme.test >/dev/null 2>&1; rc=$?; set -e
[ "$rc" = 2 ] || fail "short password accepted ($rc)"

export JWT_SECRET=integration-secret-0123456789abcdef
export TWILIO_ACCOUNT_SID=AC00000000000000000000000000000000 TWILIO_AUTH_TOKEN=test-token
export TWILIO_WEBHOOK_URL=https://hark.example.com/api/v1/voice-agents/twilio/webhook
mkdir -p "$T/agents"
HARK_PORT=$PORT HARK_AGENTS_DIR=$T/agents HARK_SPOOL_PATH=$T/spool.jsonl HARK_LOG_LEVEL=debug \
  "$HARK" serve 2>"$T/serve.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || fail "serve did not start"

B=http://127.0.0.1:$PORT
# code BODYFILE [curl args...]
req() { local out=$1; shift; curl -s -o "$out" -w '%{http_code}' "$@"; }

code=$(req "$T/r" -H "Authorization: Bearer $KA" "$B/auth/me")
[ "$code" = 200 ] || fail "good key: $code $(cat "$T/r")"
grep -q "\"tenantId\":\"$TA\"" "$T/r" || fail "me with key A: $(cat "$T/r")"
code=$(req "$T/r" -H "Authorization: Bearer $KB" "$B/auth/me")
[ "$code" = 200 ] && grep -q "\"tenantId\":\"$TB\"" "$T/r" || fail "me with key B: $(cat "$T/r")"
if grep -q "$TA" "$T/r"; then fail "tenant B's key sees tenant A"; fi
code=$(req "$T/r" -H "Authorization: Bearer $KA2" "$B/auth/me")
[ "$code" = 200 ] && grep -q "\"keyId\":\"$KA2_ID\"" "$T/r" || fail "second key: $(cat "$T/r")"
# cached path: the same key again
code=$(req "$T/r" -H "Authorization: Bearer $KA" "$B/auth/me"); [ "$code" = 200 ] || fail "cached key: $code"

code=$(req "$T/r" "$B/auth/me"); [ "$code" = 401 ] || fail "no key: $code"
grep -q '"statusCode":401' "$T/r" && grep -q '"error":"Unauthorized"' "$T/r" || fail "401 body: $(cat "$T/r")"
code=$(req "$T/r" -H "Authorization: Bearer nope" "$B/auth/me"); [ "$code" = 401 ] || fail "malformed key: $code"
code=$(req "$T/r" -H "Authorization: Basic $KA" "$B/auth/me"); [ "$code" = 401 ] || fail "basic scheme: $code"
# right prefix, wrong rest; and an unknown key of the right shape
BAD="${KA:0:12}AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
code=$(req "$T/r" -H "Authorization: Bearer $BAD" "$B/auth/me"); [ "$code" = 401 ] || fail "altered key: $code"
code=$(req "$T/r" -H "Authorization: Bearer hk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$B/auth/me")
[ "$code" = 401 ] || fail "unknown key: $code"
code=$(req "$T/r" -H "Authorization: Bearer $KA" "$B/api/no-such-route"); [ "$code" = 404 ] || fail "unknown route: $code"

# revocation: refused within the cache lifetime (3 s), the other key still works
"$HARK" key revoke "$KA2_ID" 2>/dev/null || fail "revoke"
for _ in $(seq 50); do
  code=$(req "$T/r" -H "Authorization: Bearer $KA2" "$B/auth/me"); [ "$code" = 401 ] && break; sleep 0.1
done
[ "$code" = 401 ] || fail "revoked key still accepted after 5 s"
grep -q "revoked" <<<"$("$HARK" key list --tenant "$TA")" || true
code=$(req "$T/r" -H "Authorization: Bearer $KA" "$B/auth/me"); [ "$code" = 200 ] || fail "other key after revoke: $code"
set +e; "$HARK" key revoke 00000000-0000-0000-0000-00000000dead 2>/dev/null; rc=$?; set -e
[ "$rc" = 1 ] || fail "revoking an unknown key exited $rc"

# login
t0=$(date +%s%N)
code=$(req "$T/login" -H 'Content-Type: application/json' -d '{"email":"ann@acme.test","password":"correct horse battery"}' "$B/auth/login")
t1=$(date +%s%N)
[ "$code" = 200 ] || fail "login: $code $(cat "$T/login")"
echo "login took $(( (t1 - t0) / 1000000 )) ms"
TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$T/login")
grep -q '"expiresAt":"20[0-9-]*T[0-9:.]*Z"' "$T/login" || fail "no expiresAt: $(cat "$T/login")"
code=$(req "$T/r" -H "Authorization: Bearer $TOKEN" "$B/auth/me")
[ "$code" = 200 ] && grep -q "\"tenantId\":\"$TA\"" "$T/r" && grep -q '"userId"' "$T/r" || fail "JWT: $code $(cat "$T/r")"
code=$(req "$T/r" -d '{"email":"ann@acme.test","password":"wrong horse battery"}' "$B/auth/login")
[ "$code" = 401 ] || fail "wrong password: $code"
cp "$T/r" "$T/wrong"
code=$(req "$T/r" -d '{"email":"nobody@acme.test","password":"correct horse battery"}' "$B/auth/login")
[ "$code" = 401 ] || fail "unknown email: $code"
cmp -s "$T/r" "$T/wrong" || fail "unknown email and wrong password answer differently"
code=$(req "$T/r" -d '{"email":1}' "$B/auth/login"); [ "$code" = 400 ] || fail "bad login body: $code"
# several logins at once: the loop stays free (healthz answers meanwhile)
logins=()
for i in 1 2 3 4; do
  curl -s -o /dev/null -d '{"email":"ann@acme.test","password":"wrong horse battery"}' "$B/auth/login" &
  logins+=($!)
done
h0=$(date +%s%N); curl -sf "$B/healthz" >/dev/null || fail "healthz during logins"; h1=$(date +%s%N)
wait "${logins[@]}" || true
echo "healthz during 4 logins: $(( (h1 - h0) / 1000000 )) ms"

# forged tokens: expired, altered payload, another secret, alg none
forge() { python3 - "$@" <<'PY'
import base64, hmac, hashlib, json, sys, time
alg, secret, tenant, sub, iat, exp = sys.argv[1:7]
b = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()
h = b(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
p = b(json.dumps({"sub": sub, "tenant": tenant, "iat": int(iat), "exp": int(exp)}, separators=(",", ":")).encode())
sig = b(hmac.new(secret.encode(), f"{h}.{p}".encode(), hashlib.sha256).digest()) if alg != "none" else ""
print(f"{h}.{p}.{sig}")
PY
}
NOW=$(date +%s)
USER_ID=$(psql "$URL" -Atqc "SELECT id FROM users WHERE email='ann@acme.test'")
GOOD=$(forge HS256 "$JWT_SECRET" "$TA" "$USER_ID" "$NOW" $((NOW + 600)))
code=$(req "$T/r" -H "Authorization: Bearer $GOOD" "$B/auth/me"); [ "$code" = 200 ] || fail "forge helper is wrong: $code"
EXPIRED=$(forge HS256 "$JWT_SECRET" "$TA" "$USER_ID" $((NOW - 7200)) $((NOW - 3600)))
OTHER=$(forge HS256 "another-secret-0123456789abcdef" "$TA" "$USER_ID" "$NOW" $((NOW + 600)))
NONE=$(forge none "" "$TA" "$USER_ID" "$NOW" $((NOW + 600)))
HS512ISH=$(forge HS512 "$JWT_SECRET" "$TA" "$USER_ID" "$NOW" $((NOW + 600)))
# the login token with tenant B spliced into its payload
ALTERED=$(python3 - "$TOKEN" "$TB" <<'PY'
import base64, json, sys
h, p, s = sys.argv[1].split(".")
d = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
d["tenant"] = sys.argv[2]
p2 = base64.urlsafe_b64encode(json.dumps(d, separators=(",", ":")).encode()).rstrip(b"=").decode()
print(f"{h}.{p2}.{s}")
PY
)
for name in EXPIRED OTHER NONE HS512ISH ALTERED; do
  code=$(req "$T/r" -H "Authorization: Bearer ${!name}" "$B/auth/me")
  [ "$code" = 401 ] || fail "$name JWT accepted: $code $(cat "$T/r")"
done

# nothing secret in the log
for s in "$KA" "$KB" "$TOKEN" "correct horse battery"; do
  if grep -qF "$s" "$T/serve.log"; then fail "a credential reached the log"; fi
done
kill -TERM "$pid"; wait "$pid" || fail "serve exit"; pid=
echo "ok"
