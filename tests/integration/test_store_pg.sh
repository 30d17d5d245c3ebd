#!/usr/bin/env bash
# Call records in a real PostgreSQL: starts a private cluster (scripts/pg on a
# free loopback port, data in a temp dir), then
#   - `hark migrate` from empty, again (a no-op), and the embedded default
#     (no DATABASE_URL: hark starts/uses scripts/pg itself);
#   - `hark migrate` refusing a changed applied migration;
#   - the store driver (tests/unit/store/test_store_pg.c, built beside hark)
#     on a database of this cluster: a call written as it goes, ciphertext at
#     rest, tenant scoping, the database stopped mid-call, the spool
#     outliving the process, injection strings stored verbatim, filters,
#     rekey. (ctest also runs it as unit/test_store_pg, where it starts a
#     cluster of its own: neither run can pass without a real server.)
# Stops and removes the cluster on exit.
set -euo pipefail
. "$(dirname "$0")/ports_lib.sh"
HARK=${1:-build/hark}
HARK=$(cd "$(dirname "$HARK")" && pwd)/$(basename "$HARK")
DRIVER=$(dirname "$HARK")/test_store_pg
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$DRIVER" ] || fail "store driver not built: $DRIVER"

T=$(mktemp -d /tmp/hark-store-XXXXXX)
chmod 0755 "$T"
# a free port: the kernel picks one, we hand it to PostgreSQL
PORT=$(free_port)
export HARK_PG_PORT=$PORT HARK_PG_DIR=$T/pg HARK_PG_FAST=1
cleanup() { "$ROOT/scripts/pg" stop --purge >/dev/null 2>&1 || true; rm -rf "$T"; }
trap cleanup EXIT

URL=$("$ROOT/scripts/pg" start)
"$ROOT/scripts/pg" status | grep -q running || fail "scripts/pg status"
[ "$("$ROOT/scripts/pg" start)" = "$URL" ] || fail "scripts/pg start is not idempotent"

# migrate: from empty, then a no-op
out=$(DATABASE_URL=$URL "$HARK" migrate) || fail "migrate from empty: $out"
echo "$out" | grep -q "^applied 001_init.sql" || fail "migrate did not apply 001: $out"
out=$(DATABASE_URL=$URL "$HARK" migrate) || fail "migrate re-run: $out"
echo "$out" | grep -q "schema up to date" || fail "re-run was not a no-op: $out"
NMIG=$(ls "$ROOT"/schema/[0-9]*.sql | wc -l)
psql "$URL" -Atqc "SELECT count(*) FROM schema_migrations" | grep -qx "$NMIG" || fail "schema_migrations rows"
# the embedded default: no DATABASE_URL, same private cluster through scripts/pg
out=$(env -u DATABASE_URL "$HARK" migrate) || fail "embedded migrate: $out"
echo "$out" | grep -q "schema up to date" || fail "embedded default did not reach the cluster: $out"

# a changed applied migration is refused
mkdir -p "$T/schema" && cp "$ROOT"/schema/*.sql "$T/schema/"
echo "-- a late edit" >>"$T/schema/001_init.sql"
set +e; DATABASE_URL=$URL "$HARK" migrate --dir "$T/schema" >"$T/m.out" 2>"$T/m.err"; rc=$?; set -e
[ "$rc" -eq 1 ] && grep -q "changed after it was applied" "$T/m.err" || fail "changed migration: rc=$rc $(cat "$T/m.err")"

# the store driver gets an empty database of its own
psql "$URL" -qc "CREATE DATABASE store_driver" >/dev/null
mkdir -p "$T/spool"
HARK_TEST_PG_URL=${URL/\/hark\?//store_driver?} HARK_TEST_PG_PORT=$PORT HARK_TEST_TMP=$T/spool \
  HARK_LOG_LEVEL=error timeout 120 "$DRIVER" || fail "store driver"
echo "ok: store_pg"
