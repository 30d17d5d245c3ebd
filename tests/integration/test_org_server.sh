#!/usr/bin/env bash
# The org's server (PATCH /org; store/org_server.c), Vapi's last fallback for
# server messages, against a real PostgreSQL and `hark serve`, with
# tests/integration/server_url_receiver.py as the org's and an assistant's
# servers, and Twilio calls through tests/fakes/fake_twilio:
# 1. GET /org is the caller's tenant; PATCH /org sets its server (served
#    without the secret); a bad server is a 400 naming the field; another
#    tenant's id is a 404;
# 2. a call to an agent without a server: its status-updates (in-progress,
#    ended) and end-of-call-report reach the org's server, with the org's
#    X-Vapi-Secret and header and a signature made with that secret;
# 3. an agent with its own server: its messages go there, none to the org;
#    an agent without one on an API number with a server: the number's;
# 4. a number with neither assistant nor server: the assistant-request goes
#    to the org's server (its {error} is spoken);
# 5. PATCH /org {"serverUrl": null} clears it: the next call sends nothing.
set -euo pipefail
HARK=$(realpath "${1:-build/hark}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/hark-orgsrv-XXXXXX)
chmod 0755 "$T"
. "$(dirname "$0")/ports_lib.sh"
PGPORT_=$(free_port)
PORT=$(free_port)
export HARK_PG_PORT=$PGPORT_ HARK_PG_DIR=$T/pg HARK_PG_FAST=1
pid= OPID= APID=
cleanup() {
  set +e # clean-up goes on whatever is already gone; the test's status stands
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  [ -n "$OPID" ] && kill "$OPID" 2>/dev/null && wait "$OPID" 2>/dev/null
  [ -n "$APID" ] && kill "$APID" 2>/dev/null && wait "$APID" 2>/dev/null
  "$ROOT/scripts/pg" stop --purge >/dev/null 2>&1
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -20 "$T/serve.log" >&2 2>/dev/null || true; exit 1; }

URL=$("$ROOT/scripts/pg" start)
export DATABASE_URL=$URL
unset HARK_STORE
"$HARK" migrate >/dev/null || fail "migrate"
TD=00000000-0000-0000-0000-000000000001 # the default tenant: owns the agent files
KD=$("$HARK" key create --tenant "$TD" 2>/dev/null) || fail "key create"
TB=$("$HARK" tenant create "Other") || fail "tenant create"

receiver() { # NAME: starts server_url_receiver.py logging to $T/NAME.log; prints its pid
  python3 "$ROOT/tests/integration/server_url_receiver.py" --port "$(free_port)" --port-file "$T/$1.port" \
    --log "$T/$1.log" --reply-dir "$T/replies" >/dev/null 2>>"$T/receiver.err" &
  echo $!
}
mkdir -p "$T/replies"
OPID=$(receiver org)
APID=$(receiver own)
for n in org own; do
  for _ in $(seq 100); do [ -s "$T/$n.port" ] && break; sleep 0.05; done
  [ -s "$T/$n.port" ] || fail "receiver $n did not start"
done
OP=$(cat "$T/org.port") AP=$(cat "$T/own.port")

export TWILIO_ACCOUNT_SID=AC66666666666666666666666666666666 TWILIO_AUTH_TOKEN=tok
export TWILIO_WEBHOOK_URL=http://127.0.0.1:$PORT/api/v1/voice-agents/twilio/webhook
mkdir -p "$T/agents"
agent() { # NAME NUMBER [SERVER-LUA]
  cat <<LUA
return {
  name = "$1", phone_number = "$2", first_message = "Hello.",
  transcriber = { phrases = { "what are your opening hours" } },
  ${3:-}
  on_user_turn = function(call, text)
    call:hangup()
    return "We open at nine."
  end,
}
LUA
}
agent plain +15550161 >"$T/agents/plain.lua"
agent own +15550162 "server = { url = \"http://127.0.0.1:$AP/own\", secret = \"own-secret\" }," >"$T/agents/own.lua"
HARK_PORT=$PORT HARK_AGENTS_DIR=$T/agents HARK_SPOOL_PATH=$T/spool.jsonl HARK_RECORDINGS_DIR=$T/rec \
  "$HARK" serve 2>"$T/serve.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || fail "serve did not start"
. "$ROOT/tests/integration/twilio_lib.sh"
"$HARK" synth --text "what are your opening hours" --out "$T/line.wav" 2>/dev/null || fail "synth"

B=http://127.0.0.1:$PORT
api() { # METHOD PATH [BODY]: the body, then the status on a last line
  local args=(-s -X "$1" -H "Authorization: Bearer $KD" -w '\n%{http_code}')
  [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data "$3")
  curl "${args[@]}" "$B$2"
}
status() { tail -n1 <<<"$1"; }
body() { sed '$d' <<<"$1"; }

# 1. the org and its server
r=$(api GET /org)
[ "$(status "$r")" = 200 ] || fail "GET /org: $r"
body "$r" | python3 -c 'import json,sys; o=json.load(sys.stdin); assert o["id"] == sys.argv[1] and o["server"] is None, o' "$TD" \
  || fail "GET /org: $r"
r=$(api PATCH /org '{"server":{"url":"ftp://nope"}}')
[ "$(status "$r")" = 400 ] && grep -q 'server.url' <<<"$r" || fail "bad server: $r"
r=$(api PATCH "/org/$TB" '{"name":"x"}')
[ "$(status "$r")" = 404 ] || fail "another tenant's org: $r"
r=$(api PATCH "/org/$TD" "{\"name\":\"Acme\",\"server\":{\"url\":\"http://127.0.0.1:$OP/org\",\"secret\":\"org-secret\",\"headers\":{\"X-Org\":\"acme\"},\"timeoutSeconds\":5}}")
[ "$(status "$r")" = 200 ] || fail "PATCH /org: $r"
grep -q org-secret <<<"$r" && fail "the secret was served: $r"
body "$r" | python3 -c 'import json,sys; o=json.load(sys.stdin); assert o["name"] == "Acme" and o["server"]["url"].endswith("/org"), o' \
  || fail "PATCH /org answer: $r"
echo "ok 1 GET /org, PATCH /org (secret never served, bad server 400, another id 404)"

# call N NUMBER AGENT: a Twilio call to AGENT's number, the caller's line, hung up by the agent
call() {
  local sid; sid=$(printf 'CA%032d' "$1")
  local token; token=$(stream_token "$sid" "$2")
  [ -n "$token" ] || fail "call $1: no stream token"
  "$(dirname "$HARK")/fake_twilio" --url "ws://127.0.0.1:$PORT/voice/stream/$sid" --call-sid "$sid" \
    --stream-sid "MZ$(printf '%032d' "$1")" --param agent="$3" --param "token=$token" \
    --param from=+15551230000 --param to="$2" --caller-wav "$T/line.wav" --out "$T/heard$1.wav" \
    --log "$T/events$1.jsonl" --max-seconds 60 >"$T/fake$1.out" 2>&1 || fail "call $1: fake twilio failed"
  echo "$sid"
}
reports() { # LOG SID: how many end-of-call-reports of SID arrived
  [ -f "$1" ] || { echo 0; return; }
  python3 - "$1" "$2" <<'PY'
import json, sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["body"]["message"]["type"] == "end-of-call-report"
          and json.loads(l)["body"]["message"]["call"]["id"] == sys.argv[2]))
PY
}
wait_report() { # LOG SID
  for _ in $(seq 150); do [ "$(reports "$1" "$2")" -ge 1 ] && return 0; sleep 0.1; done
  return 1
}

# 2. an agent without a server: the org's
S2=$(call 2 +15550161 plain)
wait_report "$T/org.log" "$S2" || fail "2: no report at the org's server (see $T/org.log)"
sleep 1 # anything else would have come by now
python3 - "$T/org.log" "$S2" <<'PY' || fail "2: the org's messages (see $T/org.log)"
import hashlib, hmac, json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
mine = [r for r in reqs if r["body"]["message"]["call"]["id"] == sys.argv[2]]
kinds = sorted((r["body"]["message"]["type"], r["body"]["message"].get("status")) for r in mine
               if r["body"]["message"]["type"] in ("status-update", "end-of-call-report"))
assert kinds == [("end-of-call-report", None), ("status-update", "ended"), ("status-update", "in-progress")], kinds
for r in mine:
    h = r["headers"]
    assert r["path"] == "/org", r["path"]
    assert h["x-vapi-secret"] == "org-secret" and h["x-org"] == "acme", h
    t, v1 = (kv.split("=", 1)[1] for kv in h["x-hark-signature"].split(","))
    assert hmac.compare_digest(v1, hmac.new(b"org-secret", (t + "." + r["raw"]).encode(), hashlib.sha256).hexdigest())
rep = [r for r in mine if r["body"]["message"]["type"] == "end-of-call-report"][0]["body"]["message"]
assert "opening hours" in rep["artifact"]["transcript"], rep["artifact"]["transcript"]
PY
echo "ok 2 an agent without a server: status-updates and the report reach the org's server with its secret"

# 3. an agent with its own server: that one wins
S3=$(call 3 +15550162 own)
wait_report "$T/own.log" "$S3" || fail "3: no report at the agent's server (see $T/own.log)"
sleep 1
[ "$(reports "$T/org.log" "$S3")" = 0 ] || fail "3: the org's server got the agent's report"
grep -q "$S3" "$T/org.log" && fail "3: the org's server got messages of a call whose agent has a server"
python3 - "$T/own.log" "$S3" <<'PY' || fail "3: the agent's messages (see $T/own.log)"
import json, sys
mine = [json.loads(l) for l in open(sys.argv[1])]
mine = [r for r in mine if r["body"]["message"]["call"]["id"] == sys.argv[2]]
assert all(r["headers"]["x-vapi-secret"] == "own-secret" and r["path"] == "/own" for r in mine), mine
PY
echo "ok 3 an agent's own server wins over the org's"

# 3b. an agent without a server on a number with one: the number's wins over the org's
r=$(api POST /phone-number "{\"provider\":\"twilio\",\"number\":\"+15550164\",\"twilioAccountSid\":\"$TWILIO_ACCOUNT_SID\",\"assistantId\":\"plain\",\"server\":{\"url\":\"http://127.0.0.1:$AP/num\",\"secret\":\"num-secret\"}}")
[ "$(status "$r")" = 201 ] || fail "create number with a server: $r"
S6=$(call 6 +15550164 plain)
wait_report "$T/own.log" "$S6" || fail "3b: no report at the number's server (see $T/own.log)"
sleep 1
grep -q "$S6" "$T/org.log" && fail "3b: the org's server got messages of a call whose number has a server"
python3 - "$T/own.log" "$S6" <<'PY' || fail "3b: the number's messages (see $T/own.log)"
import json, sys
mine = [json.loads(l) for l in open(sys.argv[1])]
mine = [r for r in mine if r["body"]["message"]["call"]["id"] == sys.argv[2]]
kinds = sorted(r["body"]["message"]["type"] for r in mine)
assert kinds.count("status-update") == 2 and kinds.count("end-of-call-report") == 1, kinds
assert all(r["headers"]["x-vapi-secret"] == "num-secret" and r["path"] == "/num" for r in mine), mine
PY
echo "ok 3b an agent without a server on a number with one: the number's server, not the org's"

# 4. a number with neither assistant nor server asks the org's server who answers
r=$(api POST /phone-number "{\"provider\":\"twilio\",\"number\":\"+15550163\",\"twilioAccountSid\":\"$TWILIO_ACCOUNT_SID\"}")
[ "$(status "$r")" = 201 ] || fail "create number: $r"
printf '%s' '{"error":"The org says we are closed."}' >"$T/replies/15550163.json"
S4=$(printf 'CA%032d' 4)
p=(CallSid=$S4 "From=+15551230000" "To=+15550163")
x=$(curl -s --max-time 30 -H "X-Twilio-Signature: $(sign "$TWILIO_WEBHOOK_URL" "${p[@]}")" \
  --data-urlencode "${p[0]}" --data-urlencode "${p[1]}" --data-urlencode "${p[2]}" "$TWILIO_WEBHOOK_URL")
grep -q '<Say[^>]*>The org says we are closed.</Say><Hangup/>' <<<"$x" || fail "4: $x"
python3 - "$T/org.log" "$S4" <<'PY' || fail "4: the assistant-request (see $T/org.log)"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
ar = [r for r in reqs if r["body"]["message"]["type"] == "assistant-request"]
assert len(ar) == 1 and ar[0]["body"]["message"]["call"]["id"] == sys.argv[2], ar
assert ar[0]["headers"]["x-vapi-secret"] == "org-secret" and ar[0]["headers"]["x-org"] == "acme", ar[0]["headers"]
assert "org-secret" not in ar[0]["raw"], "the secret in the body"
PY
echo "ok 4 a number without assistant or server: the assistant-request goes to the org's server"

# 5. cleared: nothing goes anywhere
r=$(api PATCH /org '{"serverUrl":null}')
[ "$(status "$r")" = 200 ] && body "$r" | python3 -c 'import json,sys; assert json.load(sys.stdin)["server"] is None' \
  || fail "clear: $r"
before=$(wc -l <"$T/org.log")
S5=$(call 5 +15550161 plain)
sleep 2
[ "$(wc -l <"$T/org.log")" = "$before" ] || fail "5: the cleared org server still got messages"
echo "ok 5 PATCH /org serverUrl null clears it"
echo "PASS test_org_server"
