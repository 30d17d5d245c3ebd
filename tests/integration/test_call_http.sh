#!/usr/bin/env bash
# call:http from an agent's tool: the hook yields while the request is out on
# the loop (libcurl multi) and resumes with {status, body}; a 404, a refused
# connection and a server slower than the request's timeout each come back
# as data the agent can speak, never as a stuck or crashed call.
set -euo pipefail
HARK=${1:-build/hark}
T=$(mktemp -d /tmp/hark-http-XXXXXX)
fail() { echo "FAIL: $*" >&2; exit 1; }
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$T"' EXIT
mkdir -p "$T/www/orders"
echo '{"number":"1001","status":"shipped"}' >"$T/www/orders/1001.json"
cat >"$T/server.py" <<'PY'
import http.server, sys, time, os
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/slow":
            time.sleep(5)
        return super().do_GET()
    def log_message(self, *a): pass
os.chdir(sys.argv[1])
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
python3 "$T/server.py" "$T/www" >"$T/port" &
pid=$!
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
PORT=$(cat "$T/port")
"$HARK" call --agent tests/fixtures/agents/http_tool.lua --to "+$PORT" \
  --caller-text "check the order" --caller-text "find a missing order" \
  --caller-text "try the broken link" --caller-text "wait for the slow server" \
  --transcript "$T/call.json" >"$T/out.txt" 2>"$T/log.txt" || { tail "$T/log.txt"; fail "call failed"; }
cat "$T/out.txt"
python3 - "$T/call.json" <<'PY' || fail "replies"
import json, sys
said = [m["text"] for m in json.load(open(sys.argv[1]))["messages"] if m["role"] == "assistant"]
assert said[1] == "Order 1001 is shipped.", said
assert said[2] == "The shop system said: status 404", said
assert said[3].startswith("The shop system said: ") and "onnect" in said[3], said
assert said[4].startswith("The shop system said: ") and "imeout" in said[4] or "timed out" in said[4], said
PY
echo "ok: call:http"
