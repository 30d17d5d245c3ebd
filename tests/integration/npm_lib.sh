# tests/integration/npm_lib.sh: sourced by integration tests that need the npm
# packages of a tests/fakes/<dir> (not a test itself: ctest runs test_*.sh).
#
# npm_ready DIR TEST LOG: `npm ci` in DIR at the versions its package-lock.json
# pins, only when the lock file changed since the last install; serialised
# with flock (two build trees may run tests at once). When the npm registry
# cannot be reached, prints "SKIP: TEST: ..." and exits the test with 77 (ctest's
# skip code, set in CMakeLists.txt: shown as skipped, never as passed); any
# other install failure fails it (the caller's fail function).
npm_ready() {
  local dir=$1 test=$2 log=$3 sum
  exec 9<"$dir/package.json"
  flock 9
  sum=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ "$(cat "$dir/node_modules/.hark-lock-sum" 2>/dev/null)" != "$sum" ]; then
    if ! (cd "$dir" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) >"$log" 2>&1; then
      if ! timeout 20 npm ping >/dev/null 2>&1; then
        echo "SKIP: $test: the npm registry cannot be reached to install $(basename "$dir")'s packages (npm ping failed)"
        exit 77
      fi
      fail "npm ci in $dir failed: $(tail -5 "$log")"
    fi
    echo "$sum" >"$dir/node_modules/.hark-lock-sum"
  fi
  exec 9<&-
}
