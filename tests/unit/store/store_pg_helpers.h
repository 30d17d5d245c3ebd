/* tests/unit/store/store_pg_helpers: what the PostgreSQL store tests share:
 * a blocking side connection for raw SELECTs (what an attacker with the
 * database would see), driving the loop until the store has no pending
 * writes, and waiting for one read's answer. Header-only; include after
 * <cmocka.h>. The database is real: given HARK_TEST_PG_URL / HARK_TEST_PG_PORT
 * it is that server; without them pg_private_start() starts a private cluster
 * of its own with scripts/pg (free loopback port, data in a temp dir), so a
 * plain `ctest` runs the store tests for real instead of passing them. */
#ifndef HK_TEST_STORE_PG_HELPERS_H
#define HK_TEST_STORE_PG_HELPERS_H

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <ev.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* The private cluster pg_private_start() made, removed at exit. */
static char pg_private_dir[64];

static void pg_private_stop(void) {
    if (!pg_private_dir[0]) return;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s/scripts/pg stop --purge >/dev/null 2>&1; rm -rf %s", HARK_SOURCE_DIR,
             pg_private_dir);
    if (system(cmd) != 0) fprintf(stderr, "pg_private_stop: could not remove %s\n", pg_private_dir);
    pg_private_dir[0] = 0;
}

/* Without HARK_TEST_PG_URL: start a private PostgreSQL with scripts/pg (as
 * tests/integration/test_store_pg.sh does), export HARK_TEST_PG_URL/_PORT and
 * HARK_TEST_TMP for the tests, and stop and purge it at exit. Returns 0 when a
 * server is there, 77 (ctest's skip code) when this machine has no PostgreSQL
 * server binaries (scripts/bootstrap installs them, so never in CI), 1 when a
 * server should start and does not. */
static int pg_private_start(void) {
    if (getenv("HARK_TEST_PG_URL") && getenv("HARK_TEST_PG_PORT")) return 0;
    char probe[512];
    snprintf(probe, sizeof probe,
             "ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null 2>&1");
    if (system(probe) != 0) {
        printf("SKIP: no PostgreSQL server binaries on this machine (scripts/bootstrap installs them)\n");
        return 77;
    }
    snprintf(pg_private_dir, sizeof pg_private_dir, "/tmp/hark-storepg-XXXXXX");
    if (!mkdtemp(pg_private_dir)) {
        perror("mkdtemp");
        pg_private_dir[0] = 0;
        return 1;
    }
    chmod(pg_private_dir, 0755); /* scripts/pg runs the server as postgres when we are root */
    atexit(pg_private_stop);
    /* a free port: the kernel picks one, PostgreSQL gets it */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
        perror("free port");
        return 1;
    }
    close(fd);
    char port[16], dir[128], spool[128], cmd[512], url[512];
    snprintf(port, sizeof port, "%d", ntohs(a.sin_port));
    snprintf(dir, sizeof dir, "%s/pg", pg_private_dir);
    snprintf(spool, sizeof spool, "%s/spool", pg_private_dir);
    mkdir(spool, 0755);
    setenv("HARK_PG_PORT", port, 1);
    setenv("HARK_PG_DIR", dir, 1); /* pg_ctl()'s stop/start find the same cluster */
    setenv("HARK_PG_FAST", "1", 1);
    snprintf(cmd, sizeof cmd, "%s/scripts/pg start", HARK_SOURCE_DIR);
    FILE *p = popen(cmd, "r");
    if (!p || !fgets(url, sizeof url, p)) {
        if (p) pclose(p);
        fprintf(stderr, "FAIL: scripts/pg start gave no URL (PostgreSQL is installed but did not start)\n");
        return 1;
    }
    if (pclose(p) != 0) {
        fprintf(stderr, "FAIL: scripts/pg start failed\n");
        return 1;
    }
    url[strcspn(url, "\n")] = 0;
    setenv("HARK_TEST_PG_URL", url, 1); /* its "hark" database is new and empty */
    setenv("HARK_TEST_PG_PORT", port, 1);
    setenv("HARK_TEST_TMP", spool, 1);
    printf("started a private PostgreSQL on port %s (%s)\n", port, pg_private_dir);
    return 0;
}

#endif
