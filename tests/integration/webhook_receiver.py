"""A server-URL receiver for test_webhooks.sh: records each POST (headers and
body) as one JSON line in the log; answers 500 to the first --fail-first
requests of each message type, 200 after. --port 0: any free port, written
to --port-file."""
import argparse, json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--port-file", required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--fail-first", type=int, default=0)
ap.add_argument("--port", type=int, default=0)
args = ap.parse_args()
seen = {}


class H(BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode()
        kind = json.loads(body)["message"]["type"]
        seen[kind] = seen.get(kind, 0) + 1
        code = 500 if seen[kind] <= args.fail_first else 200
        with open(args.log, "a") as f:
            f.write(json.dumps({"n": seen[kind], "code": code, "path": self.path,
                                "headers": {k.lower(): v for k, v in self.headers.items()},
                                "body": json.loads(body)}) + "\n")
        self.send_response(code)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *a):
        pass


srv = HTTPServer(("127.0.0.1", args.port), H)
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(args.port_file + ".tmp", args.port_file)
srv.serve_forever()
