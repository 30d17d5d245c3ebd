#!/usr/bin/env bash
# call:http bodies are bounded: a response over the default 1 MiB (or over a
# request's own max_response_bytes) fails the request with an error the agent
# gets as data (the call goes on, the log says which limit); a response under
# the limit arrives whole; a request body over 1 MiB is refused before it is
# sent; max_response_bytes outside 1..16 MiB is an error in the hook.
set -euo pipefail
HARK=${1:-build/hark}
T=$(mktemp -d /tmp/hark-http-limits-XXXXXX)
fail() { echo "FAIL: $*" >&2; exit 1; }
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$T"' EXIT
cat >"$T/server.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        n = int(self.path.strip("/"))  # /N: a body of N bytes, sent in 64 KiB pieces
        self.send_response(200)
        self.send_header("Content-Length", str(n))
        self.end_headers()
        piece = b"x" * 65536
        try:
            while n > 0:
                self.wfile.write(piece[:min(n, len(piece))])
                n -= len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(n)
        body = str(n).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
python3 "$T/server.py" >"$T/port" 2>/dev/null &
pid=$!
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
PORT=$(cat "$T/port")
cat >"$T/agent.lua" <<'LUA'
-- each caller line names a request; the reply says what came back
local function fetch(call, req)
  local ok, res, err = pcall(call.http, call, req)
  if not ok then return "error " .. tostring(res) end
  if not res then return "failed " .. err end
  return "got " .. #res.body .. " bytes"
end
return {
  name = "http limits",
  on_user_turn = function(call, text)
    local base = "http://127.0.0.1:" .. call:get("port")
    if text == "small" then return fetch(call, { url = base .. "/100000" }) end
    if text == "big" then return fetch(call, { url = base .. "/3000000" }) end
    if text == "capped" then return fetch(call, { url = base .. "/100000", max_response_bytes = 50000 }) end
    if text == "raised" then return fetch(call, { url = base .. "/3000000", max_response_bytes = 4000000 }) end
    if text == "upload" then return fetch(call, { url = base .. "/", method = "POST", body = string.rep("y", 500000) }) end
    if text == "huge upload" then return fetch(call, { url = base .. "/", method = "POST", body = string.rep("y", 1100000) }) end
    if text == "huge json" then return fetch(call, { url = base .. "/", method = "POST", json = { s = string.rep("y", 1100000) } }) end
    if text == "bad limit" then return fetch(call, { url = base .. "/10", max_response_bytes = 64000000 }) end
    return "unknown"
  end,
  on_dtmf = function(call, port) call:set("port", port) end,
}
LUA
cat >"$T/test.lua" <<LUA
local h = harness
local c = h.call("$T/agent.lua")
c:dtmf("$PORT")
local function ask(line) local said = c:user(line); print(line, said[1]); return said[1] or "" end
h.check(ask("small") == "got 100000 bytes", "a response under the limit arrives whole")
h.check(ask("big"):find("^failed call:http: response body over 1048576 bytes"), "over the 1 MiB default: an error as data")
h.check(ask("capped"):find("^failed call:http: response body over 50000 bytes"), "over the request's own limit")
h.check(ask("raised") == "got 3000000 bytes", "a raised limit lets a bigger body through")
h.check(ask("upload") == "got 6 bytes", "a 500 kB request body is sent")
h.check(ask("huge upload"):find("^failed call:http: request body over 1048576 bytes"), "a request body over 1 MiB is refused")
h.check(ask("huge json"):find("^failed call:http: request body over 1048576 bytes"), "so is JSON over 1 MiB")
h.check(ask("bad limit"):find("max_response_bytes must be 1%.%.16777216"), "a limit over 16 MiB is an error")
h.check(ask("small") == "got 100000 bytes", "the call goes on")
h.check(c:errors() == 0, "no hook failed")
LUA
"$HARK" test-lua "$T/test.lua" >"$T/out.txt" 2>"$T/log.txt" || { cat "$T/out.txt"; tail -5 "$T/log.txt"; fail "test-lua"; }
cat "$T/out.txt"
grep -q '"event":"http_response_too_big"' "$T/log.txt" || fail "the response limit is not logged"
grep -q '"event":"http_request_too_big"' "$T/log.txt" || fail "the request limit is not logged"
echo "ok: call:http body limits"
