#!/usr/bin/env bash
# Two hark serve nodes behind haproxy (scripts/haproxy), sharing one private
# PostgreSQL (scripts/pg) and one redis-server (scripts/redis), with the same
# stream secret and Twilio auth token, and the balancer's URL as their public
# webhook URL (so either node checks the signature of a webhook the other
# would have answered, and accepts the stream token the other issued).
#   1. six concurrent calls through haproxy (webhook and Media Stream, the
#      fake Twilio caller): all finish normally, both nodes' /metrics count
#      calls, and each call is in PostgreSQL exactly once with its messages;
#   2. a call answered by node B's webhook streams into node A (the token
#      crosses nodes); node B's activeCalls (the Redis registry) lists it
#      while it runs, and its live transcript reaches an events socket
#      connected through haproxy and one connected to node B;
#   3. SIGTERM to node A during a call there: A's /healthz answers 503,
#      haproxy marks A down, four new calls through haproxy all land on B and
#      are answered (none refused), A's call finishes normally, A exits 0.
set -euo pipefail
HARK=$(realpath "${1:-build/hark}")
BIN=$(dirname "$HARK")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/ports_lib.sh"
. "$(dirname "$0")/twilio_lib.sh"
command -v redis-server >/dev/null || { echo "SKIP: no redis-server (scripts/bootstrap)"; exit 77; }
T=$(mktemp -d /tmp/hark-multinode-XXXXXX)
chmod 0755 "$T"
while :; do # five distinct free ports
  PGP=$(free_port) RPORT=$(free_port) PA=$(free_port) PB=$(free_port) HP=$(free_port)
  [ "$(printf '%s\n' $PGP $RPORT $PA $PB $HP | sort -u | wc -l)" = 5 ] && break
done
export HARK_PG_PORT=$PGP HARK_PG_DIR=$T/pg HARK_PG_FAST=1
pa= pb= fakes=()
cleanup() {
  set +e # a process already gone must not stop the rest of the clean-up
  for p in "${fakes[@]}"; do kill "$p" 2>/dev/null; done
  for p in $pa $pb; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  "$ROOT/scripts/haproxy" stop --port "$HP" --dir "$T/haproxy" >/dev/null 2>&1
  "$ROOT/scripts/redis" stop --port "$RPORT" --dir "$T/redis" >/dev/null 2>&1
  "$ROOT/scripts/pg" stop --purge >/dev/null 2>&1
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  tail -n 8 "$T"/a.log "$T"/b.log "$T"/haproxy/haproxy.log >&2 2>/dev/null || true
  exit 1
}

DATABASE_URL=$("$ROOT/scripts/pg" start) || fail "pg start"
export DATABASE_URL
unset HARK_STORE
"$HARK" migrate >/dev/null || fail "migrate"
TENANT=00000000-0000-0000-0000-000000000001 # the agent files' tenant (schema/002)
KEY=$("$HARK" key create --tenant "$TENANT" 2>/dev/null) || fail "key create"
REDIS_URL=$("$ROOT/scripts/redis" start --port "$RPORT" --dir "$T/redis") || fail "redis start"
export REDIS_URL
HAP=http://127.0.0.1:$HP
# what both nodes share: the public URL is the balancer's
export TWILIO_WEBHOOK_URL=$HAP/api/v1/voice-agents/twilio/webhook
export TWILIO_ACCOUNT_SID=AC66666666666666666666666666666666 TWILIO_AUTH_TOKEN=multinode-tok
export HARK_STREAM_SECRET=multinode-secret-$RANDOM$RANDOM TWILIO_API_BASE_URL=http://127.0.0.1:1
export HARK_AGENTS_DIR=$T/agents HARK_RECORDINGS_DIR=$T/rec HARK_DRAIN_SECONDS=90 HARK_LOG_LEVEL=info
NUM=+15550411
mkdir -p "$T/agents" "$T/rec"
cat >"$T/agents/desk.lua" <<LUA
return {
  name = "desk",
  phone_number = "$NUM",
  first_message = "Hello, this is the front desk.",
  on_user_turn = function(call, text) return "Thank you, I have written that down for you." end,
}
LUA
start() { # port log
  HARK_PORT=$1 HARK_SPOOL_PATH=$T/spool-$1.jsonl "$HARK" serve --workers 1 2>"$2" &
  started=$!
}
ready() { for _ in $(seq 150); do curl -sf "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return; sleep 0.1; done; fail "port $1 not up"; }
start "$PA" "$T/a.log"; pa=$started
start "$PB" "$T/b.log"; pb=$started
ready "$PA"; ready "$PB"
for _ in $(seq 100); do [ "$(cat "$T/a.log" "$T/b.log" | grep -c '"events_redis_subscribed"')" -ge 2 ] && break; sleep 0.1; done
"$ROOT/scripts/haproxy" start --port "$HP" --dir "$T/haproxy" \
  --backend "127.0.0.1:$PA" --backend "127.0.0.1:$PB" >/dev/null || fail "haproxy start"
for _ in $(seq 100); do curl -sf "$HAP/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "$HAP/healthz" >/dev/null || fail "no /healthz through haproxy"
"$HARK" synth --text "I would like to book a table" --out "$T/line.wav" 2>/dev/null || fail "synth"

sid() { printf 'CA%032d' "$1"; }
webhook() { # base-url sid -> the stream token (the signature is over the public URL)
  local p=(CallSid=$2 "From=+15551230000" "To=$NUM") tw
  tw=$(curl -sf -H "X-Twilio-Signature: $(sign "$TWILIO_WEBHOOK_URL" "${p[@]}")" --data-urlencode "${p[0]}" \
    --data-urlencode "${p[1]}" --data-urlencode "${p[2]}" "$1/api/v1/voice-agents/twilio/webhook") || return 1
  grep -Eo '<Parameter name="token" value="[^"]+"' <<<"$tw" | sed -E 's/.*value="//; s/"$//'
}
caller() { # ws-base sid token lines: a fake Twilio call in the background, its pid in $started
  local wavs=() i
  for i in $(seq "$4"); do wavs+=(--caller-wav "$T/line.wav"); done
  "$BIN/fake_twilio" --url "$1/voice/stream/$2" --call-sid "$2" --stream-sid "MZ${2#CA}" \
    --account-sid "$TWILIO_ACCOUNT_SID" --param "token=$3" --param from=+15551230000 --param "to=$NUM" \
    "${wavs[@]}" --out "$T/heard-$2.wav" --log "$T/fake-$2.jsonl" --max-seconds 90 >"$T/fake-$2.out" 2>&1 &
  started=$!
  fakes+=("$started")
}
started_on() { # log sid: 0 when the call's stream started on that node
  grep -q "\"event\":\"call_started\",\"call_id\":\"$2\"" "$1"
}
metric() { # port name
  curl -sf "http://127.0.0.1:$1/metrics" | awk -v n="$2" '$1 == n { print $2 }'
}

# ---- 1. six concurrent calls through haproxy ----
pids=()
for i in $(seq 6); do
  S=$(sid $((100 + i)))
  TOKEN=$(webhook "$HAP" "$S") || fail "webhook of $S through haproxy"
  [ -n "$TOKEN" ] || fail "no stream token for $S"
  caller "ws://127.0.0.1:$HP" "$S" "$TOKEN" 1
  pids+=("$started")
done
for i in $(seq 6); do
  wait "${pids[$((i - 1))]}" || fail "call $(sid $((100 + i))) did not end normally: $(cat "$T/fake-$(sid $((100 + i))).out")"
done
on_a=0 on_b=0 crossed=0
for i in $(seq 6); do
  S=$(sid $((100 + i)))
  if started_on "$T/a.log" "$S"; then on_a=$((on_a + 1)); sn=a
  elif started_on "$T/b.log" "$S"; then on_b=$((on_b + 1)); sn=b
  else fail "$S started on no node"; fi
  grep -q "\"event\":\"call_incoming\",\"call_id\":\"$S\"" "$T/$sn.log" || crossed=$((crossed + 1))
done
[ "$on_a" -ge 1 ] && [ "$on_b" -ge 1 ] || fail "calls not spread: $on_a on A, $on_b on B"
ma=$(metric "$PA" hark_calls_started_total) mb=$(metric "$PB" hark_calls_started_total)
[ "${ma:-0}" = "$on_a" ] && [ "${mb:-0}" = "$on_b" ] || fail "/metrics: A $ma B $mb, logs: A $on_a B $on_b"
echo "calls spread: $on_a on node A, $on_b on node B ($crossed with webhook and stream on different nodes)"
# each call once in PostgreSQL, ended, with its messages (greeting, caller, reply)
for i in $(seq 6); do
  S=$(sid $((100 + i))) row=
  for _ in $(seq 100); do
    row=$(psql "$DATABASE_URL" -Atqc "SELECT count(*), min(status),
      (SELECT count(*) >= 3 FROM call_messages m WHERE m.call_sid = '$S' AND NOT m.is_partial),
      (SELECT count(DISTINCT role) FROM call_messages m WHERE m.call_sid = '$S' AND role IN ('assistant','user'))
      FROM calls WHERE call_sid = '$S'")
    [ "$row" = "1|ended|t|2" ] && break
    sleep 0.1
  done
  [ "$row" = "1|ended|t|2" ] || fail "$S in PostgreSQL: rows|status|3+ messages|roles = $row"
done
n=$(psql "$DATABASE_URL" -Atqc "SELECT count(*) FROM calls")
[ "$n" = 6 ] || fail "$n call rows for 6 calls"

# ---- 2. a call live on node A, seen from node B and through haproxy ----
ev() { python3 "$ROOT/tests/integration/events_client.py" "$@"; }
S=$(sid 201)
ev "$HP" --bearer "$KEY" --seconds 80 --until "call.ended:$S" --ready "$T/ready.h" >"$T/ev.h" &
evh=$!
ev "$PB" --bearer "$KEY" --seconds 80 --until "call.ended:$S" --ready "$T/ready.b" >"$T/ev.b" &
evb=$!
for _ in $(seq 100); do [ -e "$T/ready.h" ] && [ -e "$T/ready.b" ] && break; sleep 0.1; done
[ -e "$T/ready.h" ] && [ -e "$T/ready.b" ] || fail "no snapshot on the events sockets: $(cat "$T/ev.h" "$T/ev.b")"
TOKEN=$(webhook "http://127.0.0.1:$PB" "$S") || fail "webhook on node B"
[ -n "$TOKEN" ] || fail "no token from node B"
caller "ws://127.0.0.1:$PA" "$S" "$TOKEN" 3; live=$started
for _ in $(seq 100); do started_on "$T/a.log" "$S" && break; sleep 0.1; done
started_on "$T/a.log" "$S" || fail "node A refused the stream token of node B: $(cat "$T/fake-$S.out")"
r=$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PB/api/v1/voice-agents/calls?tenantId=$TENANT")
[ "$(tail -1 <<<"$r")" = 200 ] || fail "voice-agents/calls on B: $r"
act=$(sed '$d' <<<"$r" | python3 -c 'import sys, json; print(" ".join(c.get("phoneCallProviderId") or "" for c in json.load(sys.stdin)["activeCalls"]))')
grep -q "$S" <<<"$act" || fail "node B's activeCalls lacks the call live on node A: $act"
wait "$live" || fail "the call on node A did not end normally: $(cat "$T/fake-$S.out")"
wait "$evh" || true
wait "$evb" || true
for f in "$T/ev.h" "$T/ev.b"; do
  grep -q "^{\"type\":\"call.started\",\"callId\":\"$S\"" "$f" || fail "call.started missing in $f: $(cat "$f")"
  grep -q "^{\"type\":\"call.transcript\",\"callId\":\"$S\",\"at\":[0-9]*,\"role\":\"assistant\",\"final\":true,\"text\":\"Hello, this is the front desk.\"" "$f" \
    || fail "the greeting's live transcript missing in $f: $(cat "$f")"
  grep -q "^{\"type\":\"call.transcript\",\"callId\":\"$S\",\"at\":[0-9]*,\"role\":\"user\",\"final\":true," "$f" \
    || fail "the caller's live transcript missing in $f: $(cat "$f")"
  grep -q "^{\"type\":\"call.ended\",\"callId\":\"$S\"" "$f" || fail "call.ended missing in $f: $(cat "$f")"
done

# ---- 3. SIGTERM drains node A; haproxy sends new calls to node B ----
S=$(sid 301)
TOKEN=$(webhook "http://127.0.0.1:$PA" "$S") || fail "webhook on node A"
caller "ws://127.0.0.1:$PA" "$S" "$TOKEN" 4; live=$started
for _ in $(seq 100); do started_on "$T/a.log" "$S" && break; sleep 0.1; done
started_on "$T/a.log" "$S" || fail "the drain call did not start on A"
t0=$(date +%s%N)
kill -TERM "$pa"
code=
for _ in $(seq 50); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PA/healthz" || true)
  [ "$code" = 503 ] && break
  sleep 0.1
done
[ "$code" = 503 ] || fail "node A's /healthz while draining: $code"
for _ in $(seq 150); do grep -q 'node1 is DOWN' "$T/haproxy/haproxy.log" && break; sleep 0.1; done
grep -q 'node1 is DOWN' "$T/haproxy/haproxy.log" || fail "haproxy did not take node A out"
echo "haproxy took the draining node out $(( ($(date +%s%N) - t0) / 1000000 )) ms after SIGTERM (at most, polled every 100 ms)"
kill -0 "$live" 2>/dev/null || fail "the drain call ended before the new calls were placed"
pids=()
for i in $(seq 4); do
  N=$(sid $((400 + i)))
  TOKEN=$(webhook "$HAP" "$N") || fail "webhook of $N during the drain"
  [ -n "$TOKEN" ] || fail "$N refused during node A's drain"
  caller "ws://127.0.0.1:$HP" "$N" "$TOKEN" 1
  pids+=("$started")
done
for i in $(seq 4); do
  N=$(sid $((400 + i)))
  wait "${pids[$((i - 1))]}" || fail "$N did not end normally: $(cat "$T/fake-$N.out")"
  started_on "$T/b.log" "$N" || fail "$N did not run on node B"
  if grep -q "\"call_id\":\"$N\"" "$T/a.log"; then fail "$N reached the draining node A"; fi
done
wait "$live" || fail "node A's call did not finish during the drain: $(cat "$T/fake-$S.out")"
grep -q "\"event\":\"call_ended\",\"call_id\":\"$S\".*customer-ended-call" "$T/a.log" || fail "the drained call ended badly"
for _ in $(seq 150); do kill -0 "$pa" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$pa" 2>/dev/null || fail "node A did not exit after draining"
wait "$pa" || fail "node A exited non-zero"
pa=
n=$(psql "$DATABASE_URL" -Atqc "SELECT count(*), count(DISTINCT call_sid) FROM calls")
[ "$n" = "12|12" ] || fail "call rows (all, distinct) after the drain: $n"
echo "ok: multinode (A $on_a, B $on_b of 6; drain: 4 new calls on B, A's call finished)"
