# tests/integration/fakes_lib.sh: start the provider fakes of tests/fakes for
# an integration test. Each fake is started with --port 0 and prints
# `port N` once listening; start_fake waits for that line. Source after
# setting HARK, T (a temp dir) and fail(); call stop_fakes in the EXIT trap.
FAKE_PIDS=()
FAKES_DIR=$(dirname "$HARK")

# start_fake VAR PROGRAM ARGS...: PROGRAM is fake_llm (python) or a binary
# name in the build dir; the chosen port goes into VAR.
start_fake() {
  local var=$1 prog=$2; shift 2
  local out="$T/$prog.$RANDOM.port"
  local cmd
  case "$prog" in
    *.py) cmd=(python3 "tests/fakes/$prog") ;;
    *) cmd=("$FAKES_DIR/$prog") ;;
  esac
  "${cmd[@]}" --port 0 "$@" >"$out" 2>>"$T/fakes.err" &
  FAKE_PIDS+=($!)
  local i
  for i in $(seq 200); do
    grep -q '^port ' "$out" 2>/dev/null && break
    sleep 0.05
  done
  local p
  p=$(awk '/^port /{print $2; exit}' "$out")
  [ -n "$p" ] || { cat "$T/fakes.err" >&2; fail "$prog did not start"; }
  printf -v "$var" '%s' "$p"
}

stop_fakes() {
  local p
  for p in "${FAKE_PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  wait 2>/dev/null || true
}

# a port nothing listens on (for "connection refused")
closed_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
