# tests/integration/abuse_client.py: the raw-socket half of test_abuse.sh (not
# a test itself). Loopback only, every step bounded. Usage:
#   abuse_client.py PORT HARK_PID
# Prints one "ok: ..." line per check and exits 1 on the first failure.
import os, socket, sys, threading, time

PORT, PID = int(sys.argv[1]), int(sys.argv[2])
KEY = "dGhlIHNhbXBsZSBub25jZQ=="
failed = []


def rss_kb():
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
    return -1


def fail(msg):
    failed.append(msg)
    print("FAIL:", msg, flush=True)


def conn():
    s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    return s


def answer(data, timeout=5):
    """Send data, read until the server closes; the bytes read."""
    s = conn()
    s.settimeout(timeout)
    out = b""
    try:
        s.sendall(data)
    except OSError:
        pass  # the server may refuse before everything is sent
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except OSError:
        pass
    s.close()
    return out


def expect_status(name, data, status):
    out = answer(data)
    first = out.split(b"\r\n", 1)[0]
    if not first.startswith(b"HTTP/1.1 %d" % status):
        fail(f"{name}: expected {status}, got {first[:80]!r}")
    elif out.count(b"HTTP/1.1 ") != 1:
        fail(f"{name}: {out.count(b'HTTP/1.1 ')} answers")
    else:
        print(f"ok: {name} -> {status}", flush=True)


def upgrade(path):
    s = conn()
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    got = b""
    while b"\r\n\r\n" not in got:
        d = s.recv(4096)
        if not d:
            break
        got += d
    return s, got.startswith(b"HTTP/1.1 101")


def closed_within(s, secs):
    """True if the server closes s within secs (reading and dropping data)."""
    s.settimeout(0.2)
    end = time.time() + secs
    while time.time() < end:
        try:
            if s.recv(65536) == b"":
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False


# -- slow headers: 40 connections sending one byte every 0.5 s (background) --
slow_results = []


def slowloris(i):
    s = conn()
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
    t0 = time.time()
    closed = False
    for b in head:
        try:
            s.send(bytes([b]))
        except OSError:
            closed = True
            break
        s.settimeout(0.5)
        try:
            if s.recv(4096) == b"":
                closed = True
                break
        except socket.timeout:
            pass
        except OSError:
            closed = True
            break
        if time.time() - t0 > 20:
            break
    slow_results.append((closed or closed_within(s, 1), time.time() - t0))
    s.close()


slow = [threading.Thread(target=slowloris, args=(i,)) for i in range(40)]
for t in slow:
    t.start()

base = rss_kb()
print(f"ok: baseline RSS {base} kB", flush=True)

# -- request lines and headers --
expect_status("7.7 KB request line", b"GET /" + b"a" * 7700 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414)
expect_status("64 KB request line", b"GET /?" + b"a" * 65536 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414)
expect_status("3 KB query", b"GET /healthz?" + b"q" * 3000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 200)
expect_status("9 KB header", b"GET /healthz HTTP/1.1\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431)
expect_status("200 headers", b"GET /healthz HTTP/1.1\r\n" +
              b"".join(b"X-H%d: v\r\n" % i for i in range(200)) + b"\r\n", 431)
expect_status("chunked body", b"POST /api/v1/voice-agents/twilio/webhook HTTP/1.1\r\nHost: x\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 411)
expect_status("10 MB body", b"POST /api/v1/voice-agents/twilio/webhook HTTP/1.1\r\nHost: x\r\n"
              b"Content-Length: 10000000\r\n\r\n" + b"x" * 300000, 413)
expect_status("broken upgrade", b"GET /voice/stream/CA1 HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", 400)

# -- garbage and oversized WebSocket frames: the stream is closed --
s, ok = upgrade("/voice/stream/CA" + "9" * 32)
if not ok:
    fail("upgrade for garbage frames refused")
s.sendall(os.urandom(4096))
if closed_within(s, 5):
    print("ok: garbage frames closed", flush=True)
else:
    fail("garbage frames: stream kept open")
s.close()
s, ok = upgrade("/voice/stream/CA" + "8" * 32)
# a masked text frame announcing 1 GB, then 256 KB of it
s.sendall(bytes([0x81, 0xFF]) + (1 << 30).to_bytes(8, "big") + b"\0\0\0\0")
try:
    s.sendall(b"x" * 262144)
except OSError:
    pass
if closed_within(s, 5):
    print("ok: oversized frame closed", flush=True)
else:
    fail("oversized frame: stream kept open")
s.close()

# -- 1,000 idle upgrades that never send start --
idle = []
for i in range(1000):
    s, ok = upgrade("/voice/stream/CA%032d" % i)
    if not ok:
        fail(f"idle upgrade {i} refused")
        break
    idle.append(s)
peak = rss_kb()
print(f"ok: {len(idle)} idle upgrades, RSS {peak} kB (+{peak - base} kB)", flush=True)
if peak - base > 160 * 1024:  # ~7 MB plain, ~65 MB under ASan
    fail(f"RSS grew by {peak - base} kB with 1,000 idle upgrades")
time.sleep(7)  # the start deadline is 5 s
still = 0
for s in idle:
    s.setblocking(False)
    try:
        if s.recv(65536) != b"":
            still += 1
    except BlockingIOError:
        still += 1
    except OSError:
        pass
    s.close()
if still:
    fail(f"{still} idle upgrades still open after 7 s")
else:
    print("ok: every idle upgrade closed by the start deadline", flush=True)

for t in slow:
    t.join(30)
bad = [r for r in slow_results if not r[0] or r[1] > 15]
if len(slow_results) != 40 or bad:
    fail(f"slow headers: {len(bad)} of {len(slow_results)} not closed within 15 s")
else:
    print(f"ok: 40 slow-header connections closed after {max(r[1] for r in slow_results):.1f} s at most",
          flush=True)
print(f"ok: final RSS {rss_kb()} kB", flush=True)
sys.exit(1 if failed else 0)
