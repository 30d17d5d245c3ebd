# tests/integration/ports_lib.sh: sourced by integration tests and benches
# (not a test itself). free_port prints a port of 12000-31999 that nothing
# listens on now and that no other test took in the last 5 minutes: each pick
# is reserved by creating /tmp/hark-ports/<port> exclusively, so two tests
# running at the same time never get the same port between the check and
# their listen. Never the kernel's ephemeral range (32768-60999): an outgoing
# connection could take such a port before the listen.
free_port() {
  python3 - <<'PY'
import os, random, socket, sys, time
d = "/tmp/hark-ports"
os.makedirs(d, mode=0o1777, exist_ok=True)
for _ in range(2000):
    p = random.randint(12000, 31999)
    f = f"{d}/{p}"
    try:
        if time.time() - os.stat(f).st_mtime < 300:
            continue  # another test's port, picked lately
        os.unlink(f)
    except FileNotFoundError:
        pass
    except OSError:
        continue
    try:
        os.close(os.open(f, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    except OSError:
        continue  # another test reserved it just now
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    sys.exit(0)
sys.exit("no free port in 12000-31999")
PY
}
