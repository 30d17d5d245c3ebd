/* tests/unit/store/store_pg_helpers: what the PostgreSQL store tests share:
 * a blocking side connection for raw SELECTs (what an attacker with the
 * database would see), driving the loop until the store has no pending
 * writes, and waiting for one read's answer. Header-only; include after
 * <cmocka.h>. The database is real: tests/integration/test_store_pg.sh starts
 * a private PostgreSQL and passes HARK_TEST_PG_URL / HARK_TEST_PG_PORT. */
#ifndef HK_TEST_STORE_PG_HELPERS_H
#define HK_TEST_STORE_PG_HELPERS_H

#include <cjson/cJSON.h>
#include <ev.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

static PGconn *raw_connect(void) {
    PGconn *pg = PQconnectdb(getenv("HARK_TEST_PG_URL"));
    assert_int_equal(PQstatus(pg), CONNECTION_OK);
    PQclear(PQexec(pg, "SET client_min_messages = warning"));
    return pg;
}

/* One value of a one-row query with text parameters ("" when NULL, NULL when no row). */
static char *raw_value(PGconn *pg, const char *sql, int n, const char *const *vals) {
    PGresult *r = PQexecParams(pg, sql, n, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "raw_value: %s: %s\n", sql, PQresultErrorMessage(r));
        fail();
    }
    char *v = PQntuples(r) ? strdup(PQgetvalue(r, 0, 0)) : NULL;
    PQclear(r);
    return v;
}

static long raw_long(PGconn *pg, const char *sql, int n, const char *const *vals) {
    char *v = raw_value(pg, sql, n, vals);
    long x = v ? atol(v) : -1;
    free(v);
    return x;
}

typedef struct drain_ctx {
    hk_store *s;
    int min_conns; /* also wait for this many connections up */
} drain_ctx;

static void drain_check(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)revents;
    drain_ctx *d = w->data;
    if (hk_store_pending(d->s) == 0 && hk_store_pg_connected(d->s) >= d->min_conns)
        ev_break(loop, EVBREAK_ONE);
}

/* Run the loop until every write reached the database (fails after limit s). */
static void drain(struct ev_loop *loop, hk_store *s, double limit) {
    drain_ctx d = {s, 1};
    ev_timer chk, guard;
    ev_timer_init(&chk, drain_check, 0.005, 0.005);
    chk.data = &d;
    ev_timer_init(&guard, on_guard, limit, 0.);
    int fired = 0;
    guard.data = &fired;
    ev_timer_start(loop, &chk);
    ev_timer_start(loop, &guard);
    ev_run(loop, 0);
    ev_timer_stop(loop, &chk);
    ev_timer_stop(loop, &guard);
    if (fired) fprintf(stderr, "drain: still %d pending, %d connected\n", hk_store_pending(s),
                       hk_store_pg_connected(s));
    assert_false(fired);
}

typedef struct read_ctx {
    struct ev_loop *loop;
    int done;
    cJSON *result;
    char err[256];
} read_ctx;

static void read_cb(void *ud, cJSON *result, const char *err) {
    read_ctx *r = ud;
    r->done = 1;
    r->result = result;
    snprintf(r->err, sizeof r->err, "%s", err ? err : "");
    ev_break(r->loop, EVBREAK_ONE);
}

/* Run the loop until the read answers; returns its result (caller frees). */
static cJSON *await(struct ev_loop *loop, read_ctx *r) {
    if (!r->done) {
        ev_timer guard;
        int fired = 0;
        ev_timer_init(&guard, on_guard, 10., 0.);
        guard.data = &fired;
        ev_timer_start(loop, &guard);
        while (!r->done && !fired) ev_run(loop, EVRUN_ONCE);
        ev_timer_stop(loop, &guard);
        assert_false(fired);
    }
    if (r->err[0]) fprintf(stderr, "read error: %s\n", r->err);
    assert_string_equal(r->err, "");
    return r->result;
}

static const char *jstr(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* scripts/pg on the test's private port (blocks: test harness only). */
static void pg_ctl(const char *what) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s/scripts/pg %s --port %s >/dev/null", HARK_SOURCE_DIR, what,
             getenv("HARK_TEST_PG_PORT"));
    assert_int_equal(system(cmd), 0);
}

#endif
