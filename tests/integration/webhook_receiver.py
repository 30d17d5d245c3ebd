"""A server-URL receiver for test_webhooks.sh: records each POST (headers and
body) as one JSON line in the log; answers 500 to the first --fail-first
requests of each message type, 200 after. --port 0: any free port, written
to --port-file.
As a tool server (--tools MODE, test_tool_server.sh) it answers tool-calls
with {results:[{toolCallId, result}]}: lookup_order gets a string naming
the order, any other tool an object echoing its name and arguments; and
function-call with {result: "..."}. MODE: ok | slow:SECONDS (answer that
late) | malformed (200, not JSON) | status:CODE | partial (the last call of
a message left unanswered) | error (every call answered with an error)."""
import argparse, json, sys, threading, time
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--port-file", required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--fail-first", type=int, default=0)
ap.add_argument("--port", type=int, default=0)
ap.add_argument("--tools", default=None)
args = ap.parse_args()
seen = {}
lock = threading.Lock()


def tool_reply(msg):
    """(status, body bytes) for a tool-calls / function-call message."""
    mode = args.tools
    if mode.startswith("slow:"):
        time.sleep(float(mode[5:]))
    if mode == "malformed":
        return 200, b"results: not json {"
    if mode.startswith("status:"):
        return int(mode[7:]), b'{"error":"down"}'
    if msg["type"] == "function-call":
        fc = msg["functionCall"]
        return 200, json.dumps({"result": "function %s says %s" % (fc["name"], json.dumps(fc["parameters"], sort_keys=True))}).encode()
    results = []
    for tc in msg["toolCallList"]:
        name, a = tc["function"]["name"], tc["function"]["arguments"]
        if mode == "error":
            results.append({"toolCallId": tc["id"], "error": "no such order"})
        elif name == "lookup_order":
            results.append({"toolCallId": tc["id"], "result": "Order %s ships on Tuesday" % a.get("order")})
        else:
            results.append({"toolCallId": tc["id"], "result": {"tool": name, "args": a}})
    if mode == "partial":
        results = results[:-1]
    return 200, json.dumps({"results": results}).encode()


class H(BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode()
        msg = json.loads(body)["message"]
        kind = msg["type"]
        with lock:
            seen[kind] = seen.get(kind, 0) + 1
            n = seen[kind]
        code = 500 if n <= args.fail_first else 200
        out = b"ok"
        if args.tools and kind in ("tool-calls", "function-call"):
            code, out = tool_reply(msg)
        with lock, open(args.log, "a") as f:
            f.write(json.dumps({"n": n, "code": code, "path": self.path,
                                "headers": {k.lower(): v for k, v in self.headers.items()},
                                "body": json.loads(body)}) + "\n")
        try:
            self.send_response(code)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the caller gave up (a timeout test)

    def log_message(self, *a):
        pass


srv = (ThreadingHTTPServer if args.tools else HTTPServer)(("127.0.0.1", args.port), H)
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(args.port_file + ".tmp", args.port_file)
srv.serve_forever()
