#!/usr/bin/env python3
"""tests/integration/events_client.py: a minimal WebSocket client for hark's
dashboard events socket (GET /api/v1/events), standard library only.

events_client.py PORT [--cookie C] [--bearer TOKEN] [--origin O] [--seconds S]
                 [--until TYPE[:CALLID]] [--ready FILE]
Prints the upgrade's status line ("HTTP 101" or "HTTP <code>") then every
text message the server sends, one per line, until --until's message type
(for that call id) arrived, the server closed ("CLOSED"), or S seconds passed
("TIMEOUT"). --ready: a file written once the first message (the snapshot)
arrived, so a test can start the call afterwards."""
import argparse, base64, os, socket, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("--cookie")
ap.add_argument("--bearer")
ap.add_argument("--origin")
ap.add_argument("--seconds", type=float, default=20)
ap.add_argument("--until")
ap.add_argument("--ready")
a = ap.parse_args()

def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()

s = socket.create_connection(("127.0.0.1", a.port), timeout=5)
key = base64.b64encode(os.urandom(16)).decode()
head = [f"GET /api/v1/events HTTP/1.1", f"Host: 127.0.0.1:{a.port}", "Upgrade: websocket",
        "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
if a.cookie: head.append(f"Cookie: {a.cookie}")
if a.bearer: head.append(f"Authorization: Bearer {a.bearer}")
if a.origin: head.append(f"Origin: {a.origin}")
s.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
buf = b""
deadline = time.time() + a.seconds
while b"\r\n\r\n" not in buf:
    s.settimeout(max(0.1, deadline - time.time()))
    try:
        d = s.recv(4096)
    except socket.timeout:
        out("TIMEOUT"); sys.exit(0)
    if not d:
        out("HTTP closed"); sys.exit(0)
    buf += d
status, _, buf = buf.partition(b"\r\n\r\n")
code = status.split(b"\r\n")[0].split(b" ")[1].decode()
out(f"HTTP {code}")
if code != "101":
    sys.exit(0)

def need(n):
    global buf
    while len(buf) < n:
        left = deadline - time.time()
        if left <= 0: raise TimeoutError
        s.settimeout(left)
        d = s.recv(65536)
        if not d: raise EOFError
        buf += d
    r, buf = buf[:n], buf[n:]
    return r

until_type, _, until_call = (a.until or "").partition(":")
got_first = False
try:
    while True:
        b0, b1 = need(2)
        op, n = b0 & 0x0F, b1 & 0x7F
        if n == 126: n = int.from_bytes(need(2), "big")
        elif n == 127: n = int.from_bytes(need(8), "big")
        payload = need(n) # server frames are not masked
        if op == 8:
            out("CLOSED"); break
        if op == 9: # ping: pong (masked, as a client must)
            mask = os.urandom(4)
            s.sendall(bytes([0x8A, 0x80 | len(payload)]) + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload)))
            continue
        if op != 1: continue
        text = payload.decode()
        out(text)
        if not got_first and a.ready:
            open(a.ready, "w").close()
        got_first = True
        if until_type and f'"type":"{until_type}"' in text and (not until_call or f'"callId":"{until_call}"' in text):
            break
except TimeoutError:
    out("TIMEOUT")
except EOFError:
    out("CLOSED")
