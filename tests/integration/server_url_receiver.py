"""A customer's server URL for test_webhook_events.sh and
test_assistant_request.sh: records each POST (arrival time, headers, body)
as one JSON line in --log, after --delay seconds (every request: a slow
receiver); answers assistant-request with the JSON of --reply (after
--reply-delay seconds) or, with --reply-dir, of DIR/<digits of the called
number>.json after the seconds in DIR/<digits>.delay if that exists;
anything else with 200 "ok". Threaded, so a slow
answer does not hold the next request. --port 0: any free port, written to
--port-file."""
import argparse, json, os, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--port-file", required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--port", type=int, default=0)
ap.add_argument("--delay", type=float, default=0)
ap.add_argument("--reply")
ap.add_argument("--reply-delay", type=float, default=0)
ap.add_argument("--reply-dir")
args = ap.parse_args()
lock = threading.Lock()


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        t = time.time()
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        body = json.loads(raw.decode())
        kind = body["message"]["type"]
        with lock, open(args.log, "a") as f:
            f.write(json.dumps({"t": t, "path": self.path, "raw": raw.decode(),
                                "headers": {k.lower(): v for k, v in self.headers.items()},
                                "body": body}) + "\n")
        out = b"ok"
        if kind == "assistant-request" and args.reply:
            time.sleep(args.reply_delay)
            out = open(args.reply, "rb").read()
        elif kind == "assistant-request" and args.reply_dir:
            num = "".join(ch for ch in body["message"]["phoneNumber"]["number"] if ch.isdigit())
            base = os.path.join(args.reply_dir, num)
            if os.path.exists(base + ".delay"):
                time.sleep(float(open(base + ".delay").read()))
            out = open(base + ".json", "rb").read()
        time.sleep(args.delay)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
        except OSError:
            pass  # the sender gave up waiting

    def log_message(self, *a):
        pass


srv = ThreadingHTTPServer(("127.0.0.1", args.port), H)
srv.daemon_threads = True
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(args.port_file + ".tmp", args.port_file)
srv.serve_forever()
