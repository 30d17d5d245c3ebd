#!/usr/bin/env bash
# The whole CRUD surface of hark's Vapi-compatible API with Vapi's official
# server SDK as the client (@vapi-ai/server-sdk 2.0.1, pinned by
# tests/fakes/vapi_sdk/package-lock.json), against a real PostgreSQL (a
# private cluster of scripts/pg), `hark serve` and the stand-in Twilio REST
# API (tests/fakes/fake_twilio_rest). tests/integration/vapi_sdk_client.mjs
# does the driving and asserts what the SDK returns: assistants (201, unknown
# fields kept, bare-array lists with limit and createdAt bounds, partial
# update, delete returning the object, 404 after), tools (update({id, body})),
# phone numbers (provider twilio, update with provider in the body,
# /v2/phone-number pages), calls (calls.create placing a call through the
# fake Twilio REST API: outboundPhoneCall, queued; list/get/update
# name/delete), 401 for a bad or missing token, 404 for another tenant's ids,
# and one request only for every 4xx (the SDK retries 5xx: a POST /call
# answered 5xx could ring the customer twice). Here the shell checks that
# Twilio got exactly one Calls.json request, for the SDK's call.
# Needs node >= 18 and the npm registry once; without them: SKIP (exit 77).
set -euo pipefail
HARK=$(realpath "${1:-build/hark}")
FAKE_REST=$(dirname "$HARK")/fake_twilio_rest
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SDK=$ROOT/tests/fakes/vapi_sdk
T=$(mktemp -d /tmp/hark-vapisdk-XXXXXX)
chmod 0755 "$T"
pid= rpid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  [ -n "$rpid" ] && kill "$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null
  "$ROOT/scripts/pg" stop --purge >/dev/null 2>&1 || true
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -30 "$T/serve.log" >&2 2>/dev/null || true; exit 1; }

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 18 ]; then
  echo "SKIP: test_vapi_sdk: @vapi-ai/server-sdk needs node >= 18 ($(node --version 2>/dev/null || echo none))"
  exit 77
fi
. "$(dirname "$0")/npm_lib.sh"
npm_ready "$SDK" test_vapi_sdk "$T/npm.log"

. "$(dirname "$0")/ports_lib.sh"
PORT=$(free_port)
export HARK_PG_PORT=$(free_port) HARK_PG_DIR=$T/pg HARK_PG_FAST=1
URL=$("$ROOT/scripts/pg" start)
export DATABASE_URL=$URL
unset HARK_STORE
"$HARK" migrate >/dev/null || fail "migrate"
TA=$("$HARK" tenant create "Acme") || fail "tenant create"
TB=$("$HARK" tenant create "Globex") || fail "tenant create B"
KA=$("$HARK" key create --tenant "$TA" 2>/dev/null) || fail "key create"
KB=$("$HARK" key create --tenant "$TB" 2>/dev/null) || fail "key create B"

ACCT=AC77777777777777777777777777777777
"$FAKE_REST" --port 0 --account $ACCT --token tok --log "$T/rest.log" >"$T/rport" &
rpid=$!
for _ in $(seq 50); do [ -s "$T/rport" ] && break; sleep 0.1; done
[ -s "$T/rport" ] || fail "fake_twilio_rest did not start"
export TWILIO_ACCOUNT_SID=$ACCT TWILIO_AUTH_TOKEN=tok TWILIO_API_BASE_URL=http://127.0.0.1:$(cat "$T/rport")
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$PORT/api/v1/voice-agents/twilio/webhook
mkdir -p "$T/agents"
# the SDK client sends ~80 requests in a second or two with one key: the API's
# rate limit (HARK_API_RATE_PER_SECOND, 50 by default) would answer some 429
# and the SDK would retry them, which the client counts as a retry of a 4xx
HARK_PORT=$PORT HARK_AGENTS_DIR=$T/agents HARK_SPOOL_PATH=$T/spool.jsonl HARK_API_RATE_PER_SECOND=0 \
  "$HARK" serve 2>"$T/serve.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || fail "serve did not start"

set +e
out=$(HARK_BASE=http://127.0.0.1:$PORT KEY_A=$KA KEY_B=$KB TENANT_A=$TA TWILIO_ACCT=$ACCT \
  timeout 240 node "$ROOT/tests/integration/vapi_sdk_client.mjs" 2>&1)
rc=$?
set -e
echo "$out"
[ $rc -eq 0 ] || fail "the SDK client failed (exit $rc)"
[ "$(tail -n1 <<<"$out")" = "ALL OK" ] || fail "the SDK client did not finish"

# Twilio got exactly one call request, the SDK's, from the number to the customer
sid=$(sed -n 's/^CALLSID //p' <<<"$out")
[[ "$sid" =~ ^CA[0-9a-f]{32}$ ]] || fail "no CallSid printed"
placed=$(grep -c 'Calls.json' "$T/rest.log" || true)
[ "$placed" = 1 ] || fail "Twilio got $placed call requests, want 1: $(cat "$T/rest.log")"
line=$(grep 'Calls.json' "$T/rest.log")
for want in 'To=%2B15557654321' 'From=%2B15550142'; do
  grep -qF "$want" <<<"$line" || fail "Calls.json lacks $want: $line"
done
echo "ok: vapi sdk"
