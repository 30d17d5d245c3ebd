# tests/integration/ports_lib.sh: sourced by integration tests (not a test
# itself). free_port prints a port of 12000-31999 that nothing listens on now.
# Never the kernel's ephemeral range (32768-60999): an outgoing connection of
# another test running at the same time could take such a port between the
# check and the listen ("Address already in use").
free_port() {
  python3 - <<'PY'
import random, socket, sys
for _ in range(500):
    p = random.randint(12000, 31999)
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
