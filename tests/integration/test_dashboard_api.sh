#!/usr/bin/env bash
# The dashboard's backend through real servers: a private PostgreSQL and
# redis-server, node A (`hark serve --workers 2`) and node B (one worker)
# sharing them. Static files: types, strict CSP, ETag/304, vendor caching,
# a JSON 404 for unknown paths, no traversal or symlink out. Cookie session: login sets an
# HttpOnly SameSite=Strict cookie that works on GET, needs X-Hark-CSRF on
# POST, is refused when expired (401 "session expired"), logout clears it and
# revokes its token on every node.
# Live events: a socket on node B, authenticated by the cookie, gets its
# snapshot, then call.started and call.ended of a Twilio call (the fake
# caller) running on node A; another tenant's socket hears nothing of it; a
# bad cookie or a foreign Origin gets no socket. Recording: the call's WAV
# with Range (206, Content-Range), 416 past the end, 404 for another tenant,
# and GET /call/{id}'s recordingUrl pointing at it.
set -euo pipefail
. "$(dirname "$0")/ports_lib.sh"
HARK=$(realpath "${1:-build/hark}")
BIN=$(dirname "$HARK")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/hark-dashapi-XXXXXX)
chmod 0755 "$T"
PGP=$(free_port) RPORT=$(free_port) PA=$(free_port) PB=$(free_port)
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
fail() { echo "FAIL: $*" >&2; tail -n 8 "$T"/a.log "$T"/b.log >&2 2>/dev/null || true; exit 1; }
command -v redis-server >/dev/null || { echo "SKIP: no redis-server (scripts/bootstrap)"; exit 77; }
. "$(dirname "$0")/twilio_lib.sh"

export DATABASE_URL=$("$ROOT/scripts/pg" start)
unset HARK_STORE
"$HARK" migrate >/dev/null || fail "migrate"
TA=$("$HARK" tenant create "Acme") || fail "tenant create"
TB=$("$HARK" tenant create "Globex") || fail "tenant create B"
KA=$("$HARK" key create --tenant "$TA" 2>/dev/null) || fail "key create"
KB=$("$HARK" key create --tenant "$TB" 2>/dev/null) || fail "key create B"
printf 'correct horse battery\n' | "$HARK" user create --tenant "$TA" --email ann@acme.test >/dev/null || fail "user"
printf 'correct horse battery\n' | "$HARK" user create --tenant "$TB" --email bob@globex.test >/dev/null || fail "user B"
export REDIS_URL=$("$ROOT/scripts/redis" start --port $RPORT --dir "$T/redis")

# the dashboard's files, with a symlink out of the directory
mkdir -p "$T/web/js" "$T/web/vendor" "$T/agents" "$T/rec"
printf '<!doctype html><title>hark</title><script type="module" src="/js/app.js"></script>\n' >"$T/web/index.html"
printf 'export const answer = 42;\n' >"$T/web/js/app.js"
printf 'body{color:#111}\n' >"$T/web/app.css"
printf 'vendored\n' >"$T/web/vendor/lib.js"
printf 'secret\n' >"$T/outside.txt"
ln -s "$T/outside.txt" "$T/web/leak.txt"

export JWT_SECRET=dashboard-api-secret-0123456789 HARK_STREAM_SECRET=stream-secret-$RANDOM
export TWILIO_ACCOUNT_SID=AC77777777777777777777777777777777 TWILIO_AUTH_TOKEN=tok
export HARK_WEB_DIR=$T/web HARK_AGENTS_DIR=$T/agents HARK_RECORDINGS_DIR=$T/rec HARK_LOG_LEVEL=info
start() { # port log [args]: pid in $started
  local port=$1 log=$2; shift 2
  TWILIO_WEBHOOK_URL=http://127.0.0.1:$port/api/v1/voice-agents/twilio/webhook HARK_PORT=$port \
    HARK_SPOOL_PATH=$T/spool-$port.jsonl "$HARK" serve "$@" 2>"$log" &
  started=$!
}
ready() { for _ in $(seq 150); do curl -sf "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return; sleep 0.1; done; fail "port $1 not up"; }
start $PA "$T/a.log" --workers 2; pa=$started
start $PB "$T/b.log"; pb=$started
ready $PA; ready $PB
for _ in $(seq 50); do [ "$(grep -c '"events_redis_subscribed"' "$T/a.log" "$T/b.log" | awk -F: '{s+=$2} END {print s}')" -ge 3 ] && break; sleep 0.1; done
A=http://127.0.0.1:$PA B=http://127.0.0.1:$PB

# ---- static files ----
h=$(curl -s -D - -o "$T/body" "$B/")
grep -q '^HTTP/1.1 200' <<<"$h" || fail "GET /: $h"
grep -qi '^content-type: text/html; charset=utf-8' <<<"$h" || fail "index type: $h"
grep -qi "^content-security-policy: default-src 'self'; img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'" <<<"$h" || fail "CSP: $h"
grep -qi '^x-content-type-options: nosniff' <<<"$h" && grep -qi '^referrer-policy: no-referrer' <<<"$h" || fail "strict headers: $h"
grep -qi '^cache-control: no-cache' <<<"$h" || fail "html caching: $h"
grep -q 'script type="module"' "$T/body" || fail "index body"
etag=$(grep -i '^etag:' <<<"$h" | cut -d' ' -f2 | tr -d '\r')
[ -n "$etag" ] || fail "no ETag"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$B/")" = 304 ] || fail "If-None-Match not 304"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: "other"' "$B/")" = 200 ] || fail "stale ETag not 200"
h=$(curl -s -D - -o /dev/null "$B/js/app.js"); grep -qi '^content-type: text/javascript' <<<"$h" || fail "js type: $h"
h=$(curl -s -D - -o /dev/null "$B/app.css"); grep -qi '^content-type: text/css' <<<"$h" || fail "css type: $h"
h=$(curl -s -D - -o /dev/null "$B/vendor/lib.js"); grep -qi '^cache-control: public, max-age=31536000' <<<"$h" || fail "vendor caching: $h"
h=$(curl -s -I "$B/js/app.js"); grep -q '^HTTP/1.1 200' <<<"$h" && grep -qi '^content-length: 26' <<<"$h" || fail "HEAD: $h"
b=$(curl -s -w ' %{http_code}' "$B/calls/CA123"); grep -q '"statusCode":404.* 404$' <<<"$b" || fail "an unknown path is a JSON 404, not the page: $b"
for p in /leak.txt /nope.js "/js/%2e%2e/%2e%2e/outside.txt" "/..%2f..%2foutside.txt" /.hidden; do
  b=$(curl -s --path-as-is "$B$p")
  if grep -q secret <<<"$b"; then fail "$p leaked the file outside"; fi
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$B/leak.txt")" = 404 ] || fail "symlink out not 404"
# the API keeps its paths
[ "$(curl -s -o /dev/null -w '%{http_code}' "$B/assistant")" = 401 ] || fail "/assistant taken by the web"

# ---- cookie session ----
login() { curl -s -D "$T/h.$1" -o "$T/b.$1" -w '%{http_code}' -H 'Content-Type: application/json' \
  --data "{\"email\":\"$2\",\"password\":\"correct horse battery\"}" "$B/auth/login"; }
[ "$(login a ann@acme.test)" = 200 ] || fail "login: $(cat "$T/b.a")"
grep -q '"token"' "$T/b.a" && grep -q '"expiresAt"' "$T/b.a" || fail "login JSON: $(cat "$T/b.a")"
sc=$(grep -i '^set-cookie:' "$T/h.a" | tr -d '\r')
grep -q 'hark_session=ey' <<<"$sc" && grep -q 'HttpOnly' <<<"$sc" && grep -q 'SameSite=Strict' <<<"$sc" \
  && grep -q 'Path=/' <<<"$sc" && grep -q 'Max-Age=3600' <<<"$sc" || fail "cookie: $sc"
if grep -q Secure <<<"$sc"; then fail "Secure on an http public URL"; fi
CA=$(sed -E 's/^[^:]*: *//; s/;.*//' <<<"$sc")
[ "$(login b bob@globex.test)" = 200 ] || fail "login B"
CB=$(grep -i '^set-cookie:' "$T/h.b" | tr -d '\r' | sed -E 's/^[^:]*: *//; s/;.*//')
me=$(curl -s -H "Cookie: $CA" "$A/auth/me")
grep -q "\"tenantId\":\"$TA\"" <<<"$me" && grep -q '"credential":"session"' <<<"$me" || fail "cookie on node A: $me"
post() { curl -s -o "$T/p" -w '%{http_code}' -X POST -H 'Content-Type: application/json' "$@"; }
[ "$(post -H "Cookie: $CA" --data '{"name":"x"}' "$B/assistant")" = 403 ] || fail "POST without X-Hark-CSRF: $(cat "$T/p")"
grep -q 'X-Hark-CSRF' "$T/p" || fail "403 body: $(cat "$T/p")"
# the number's assistant, created through the cookie with the CSRF header
MODEL='"model":{"provider":"openai","model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."}]},"transcriber":{"provider":"sphinx","keywords":["hello"]}'
[ "$(post -H "Cookie: $CA" -H 'X-Hark-CSRF: 1' --data "{\"name\":\"Front desk\",\"firstMessage\":\"Welcome to Acme.\",$MODEL}" "$B/assistant")" = 201 ] \
  || fail "POST with the CSRF header: $(cat "$T/p")"
AID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/p")
NUM=+15550177
[ "$(post -H "Authorization: Bearer $KA" --data "{\"provider\":\"twilio\",\"number\":\"$NUM\",\"twilioAccountSid\":\"$TWILIO_ACCOUNT_SID\",\"twilioAuthToken\":\"x\",\"assistantId\":\"$AID\"}" "$B/phone-number")" = 201 ] \
  || fail "number: $(cat "$T/p")"
# Bearer wins over a bad cookie; an expired cookie is "session expired"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KA" -H 'Cookie: hark_session=x.y.z' "$B/auth/me")" = 200 ] || fail "Bearer did not win"
OLD=$(python3 - "$JWT_SECRET" "$TA" <<'PY'
import base64, hashlib, hmac, json, sys, time, uuid
b = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()
now = int(time.time())
h = b(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
p = b(json.dumps({"sub": str(uuid.uuid4()), "tenant": sys.argv[2], "iat": now - 7200, "exp": now - 3600}).encode())
print(h + "." + p + "." + b(hmac.new(sys.argv[1].encode(), (h + "." + p).encode(), hashlib.sha256).digest()))
PY
)
code=$(curl -s -o "$T/r" -w '%{http_code}' -H "Cookie: hark_session=$OLD" "$B/auth/me")
[ "$code" = 401 ] && grep -q '"message":"session expired"' "$T/r" || fail "expired cookie: $code $(cat "$T/r")"
h=$(curl -s -D - -o /dev/null -X POST -H "Cookie: $CB" -H 'Content-Length: 0' "$B/auth/logout")
grep -q '^HTTP/1.1 204' <<<"$h" && grep -qi '^set-cookie: hark_session=;.*Max-Age=0' <<<"$h" || fail "logout: $h"
# the logged-out token is refused on the other node too (told through Redis); A's session lives on
for _ in $(seq 40); do
  code=$(curl -s -o "$T/r" -w '%{http_code}' -H "Cookie: $CB" "$A/auth/me"); [ "$code" = 401 ] && break; sleep 0.1
done
[ "$code" = 401 ] && grep -q '"message":"session expired"' "$T/r" || fail "logged-out cookie on node A: $code $(cat "$T/r")"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $CA" "$A/auth/me")" = 200 ] || fail "another session revoked"

# ---- live events: sockets on node B, the call on node A ----
ev() { python3 "$ROOT/tests/integration/events_client.py" "$@"; }
# refused before the upgrade (no 101): a forged, an expired or a logged-out cookie, a foreign Origin, nothing
for args in "--cookie hark_session=x.y.z" "--cookie hark_session=$OLD" "--cookie $CB" "--cookie $CA --origin http://evil.example" ""; do
  o=$(ev $PB $args --seconds 5)
  [ "$o" = "HTTP closed" ] || fail "socket with '${args:0:40}': $o"
done
SID=CA$(printf '%032d' 4242)
ev $PB --cookie "$CA" --origin "http://127.0.0.1:$PB" --seconds 60 --until "call.ended:$SID" --ready "$T/ready.a" >"$T/ev.a" &
eva=$!
ev $PB --bearer "$KB" --seconds 40 --ready "$T/ready.b" >"$T/ev.b" &
evb=$!
for _ in $(seq 100); do [ -e "$T/ready.a" ] && [ -e "$T/ready.b" ] && break; sleep 0.1; done
[ -e "$T/ready.a" ] || fail "no snapshot on socket A: $(cat "$T/ev.a")"
grep -q '^{"type":"snapshot","calls":\[\]}$' "$T/ev.a" || fail "snapshot A: $(cat "$T/ev.a")"
TWILIO_WEBHOOK_URL=$A/api/v1/voice-agents/twilio/webhook
TOKEN=$(stream_token $SID $NUM)
[ -n "$TOKEN" ] || fail "the call was not answered"
"$HARK" synth --text "hello" --out "$T/hello.wav" 2>/dev/null
"$BIN/fake_twilio" --url "ws://127.0.0.1:$PA/voice/stream/$SID" --call-sid $SID --stream-sid MZ$(printf '%032d' 4242) \
  --param "token=$TOKEN" --param from=+15551234567 --param "to=$NUM" --caller-wav "$T/hello.wav" \
  --out "$T/heard.wav" --log "$T/fake.jsonl" --max-seconds 5 >/dev/null 2>&1 &
fk=$!
# a snapshot taken while the call runs lists it (node A's call, seen from node B through Redis)
for _ in $(seq 60); do grep -q '"type":"call.started"' "$T/ev.a" && break; sleep 0.1; done
sleep 0.5
o=$(ev $PB --cookie "$CA" --seconds 5 --until snapshot)
grep -q "\"id\":\"$SID\"" <<<"$o" && grep -q "\"assistantName\":\"Front desk\"" <<<"$o" || fail "snapshot during the call: $o"
wait $fk || true
wait $eva || true
grep -q "^{\"type\":\"call.started\",\"callId\":\"$SID\",\"at\":[0-9]*,\"call\":{\"id\":\"$SID\",\"assistantId\":\"$AID\",\"assistantName\":\"Front desk\",\"customerNumber\":\"+1555\*\*\*4567\",\"startedAt\":\"[0-9T:.-]*Z\",\"state\":\"listening\"}}$" "$T/ev.a" \
  || fail "call.started on node B: $(cat "$T/ev.a")"
grep -q "^{\"type\":\"call.ended\",\"callId\":\"$SID\",\"at\":[0-9]*,\"endedReason\":\"[a-z-]*\"}$" "$T/ev.a" || fail "call.ended: $(cat "$T/ev.a")"
if grep -q "1234567" "$T/ev.a"; then fail "the caller's number unmasked"; fi
# the call's live lines and states, in order, from the other node
grep -q "^{\"type\":\"call.transcript\",\"callId\":\"$SID\",\"at\":[0-9]*,\"role\":\"assistant\",\"final\":true,\"text\":\"Welcome to Acme.\",\"turn\":-1}$" "$T/ev.a" \
  || fail "the greeting's transcript: $(cat "$T/ev.a")"
grep -q "^{\"type\":\"call.transcript\",\"callId\":\"$SID\",\"at\":[0-9]*,\"role\":\"user\",\"final\":true,\"text\":\"hello\",\"turn\":0}$" "$T/ev.a" \
  || fail "the caller's transcript: $(cat "$T/ev.a")"
order=$(grep -o '"type":"call\.[a-z_]*"[^}]*"\(state\|role\)":"[a-z]*"' "$T/ev.a" | grep -o '"\(state\|role\)":"[a-z]*"' | tr '\n' ' ')
grep -q '"state":"speaking".*"state":"listening".*"role":"user".*"state":"thinking"' <<<"$order" || fail "states out of order: $order"

kill $evb 2>/dev/null; wait $evb 2>/dev/null || true
grep -q '"type":"snapshot"' "$T/ev.b" || fail "socket B had no snapshot: $(cat "$T/ev.b")"
if grep -q "$SID" "$T/ev.b"; then fail "tenant B heard tenant A's call"; fi

# ---- the recording ----
for _ in $(seq 50); do ls "$T/rec/$SID.wav" >/dev/null 2>&1 && break; sleep 0.1; done
[ -f "$T/rec/$SID.wav" ] || fail "no recording saved"
size=$(stat -c %s "$T/rec/$SID.wav")
h=$(curl -s -D - -o "$T/whole.wav" -H "Cookie: $CA" "$B/call/$SID/recording")
grep -q '^HTTP/1.1 200' <<<"$h" && grep -qi '^content-type: audio/wav' <<<"$h" && grep -qi '^accept-ranges: bytes' <<<"$h" || fail "recording: $h"
cmp -s "$T/whole.wav" "$T/rec/$SID.wav" || fail "the recording differs from the file"
h=$(curl -s -D - -o "$T/part" -H "Cookie: $CA" -H 'Range: bytes=0-43' "$B/call/$SID/recording")
grep -q '^HTTP/1.1 206' <<<"$h" && grep -qi "^content-range: bytes 0-43/$size" <<<"$h" || fail "range: $h"
[ "$(stat -c %s "$T/part")" = 44 ] && [ "$(head -c 4 "$T/part")" = RIFF ] || fail "range body"
h=$(curl -s -D - -o "$T/part" -H "Authorization: Bearer $KA" -H "Range: bytes=$((size - 10))-" "$B/call/$SID/recording")
grep -q '^HTTP/1.1 206' <<<"$h" && [ "$(stat -c %s "$T/part")" = 10 ] || fail "tail range: $h"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $CA" -H "Range: bytes=$size-" "$B/call/$SID/recording")" = 416 ] || fail "416"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KB" "$B/call/$SID/recording")" = 404 ] || fail "other tenant's recording"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$B/call/$SID/recording")" = 401 ] || fail "recording without credentials"
c=$(curl -s -H "Cookie: $CA" "$B/call/$SID")
url=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["artifact"]["recordingUrl"])' "$c")
# (the answering node's public URL: node B's TWILIO_WEBHOOK_URL)
[ "$url" = "$B/call/$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$c")/recording" ] || fail "recordingUrl: $url"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $CA" "$url")" = 200 ] || fail "recordingUrl not served"
echo "ok: dashboard backend (static, cookie session, events across nodes, recording)"
