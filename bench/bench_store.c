/* bench/bench_store: numbers for the PostgreSQL store (not pass/fail).
 *   1. message writes per second through the async path (sealed content,
 *      prepared statements), with 1 and 4 connections;
 *   2. the loop never waits on the database: pacing of a 20 ms ev_timer (the
 *      media pacer's period) while a call writes a message every 100 ms, with
 *      a normal database and with a slow one (a trigger that pg_sleeps 50 ms
 *      per inserted message), reported as interval p50/p99/max.
 * Uses DATABASE_URL if set (it must be migrated and disposable), else starts a
 * private cluster with scripts/pg on HARK_PG_PORT (default 54398) in a temp
 * dir and removes it after. Usage: bench_store [messages (default 20000)] */
#include <ev.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "core/pool.h"
#include "store/crypto.h"
#include "store/migrate.h"
#include "store/store.h"

static char tenant[64];
static hk_keyring keys;

static void sql(PGconn *pg, const char *q) {
    PGresult *r = PQexec(pg, q);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "bench_store: %s: %s", q, PQresultErrorMessage(r));
        exit(1);
    }
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r))
        snprintf(tenant, sizeof tenant, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
}

static hk_store *open_store(struct ev_loop *loop, hk_pool *pool, const char *url, int conns,
                            const char *spool) {
    char err[256];
    unlink(spool);
    hk_store_pg_opts o = {.loop = loop, .conninfo = url, .connections = conns, .pool = pool,
                          .keys = &keys, .spool_path = spool};
    hk_store *s = hk_store_pg_new(&o, err, sizeof err);
    if (!s) {
        fprintf(stderr, "bench_store: %s\n", err);
        exit(1);
    }
    while (hk_store_pg_connected(s) < conns) ev_run(loop, EVRUN_ONCE);
    return s;
}

static void wait_pending(struct ev_loop *loop, hk_store *s) {
    while (hk_store_pending(s) > 0) ev_run(loop, EVRUN_ONCE);
}

static void call(hk_store *s, char sid[64], int i, const char *tag) {
    snprintf(sid, 64, "CA-bench-%s-%d-%ld", tag, i, (long)getpid());
    hk_store_call c = {.call_sid = sid, .tenant_id = tenant, .from = "+15550001111",
                       .to = "+15550002222", .inbound = 1};
    hk_store_call_create(s, &c);
}

static void message(hk_store *s, const char *sid, int seq) {
    hk_store_message m = {.call_sid = sid, .tenant_id = tenant, .seq = seq,
                          .role = seq % 2 ? "user" : "assistant",
                          .content = "I'd like to book a cleaning for Tuesday at nine, please.",
                          .confidence = 0.93, .user_end_ms = 1200, .stt_final_ms = 1350,
                          .llm_first_token_ms = 1700, .tts_first_audio_ms = 1850,
                          .first_frame_ms = 1900};
    hk_store_message_add(s, &m);
}

static void bench_throughput(struct ev_loop *loop, hk_pool *pool, const char *url, int conns,
                             int n) {
    hk_store *s = open_store(loop, pool, url, conns, "/tmp/hark-bench-spool");
    enum { CALLS = 64 };
    char sids[CALLS][64];
    for (int i = 0; i < CALLS; i++) call(s, sids[i], i, conns == 1 ? "a" : "b");
    wait_pending(loop, s);
    double t0 = ev_time();
    double submit_max = 0;
    for (int i = 0; i < n; i++) {
        double a = ev_time();
        message(s, sids[i % CALLS], i / CALLS);
        double d = ev_time() - a;
        if (d > submit_max) submit_max = d;
    }
    double t1 = ev_time();
    wait_pending(loop, s);
    double t2 = ev_time();
    printf("writes: %d messages, %d connection(s), %d calls: %.0f msg/s committed "
           "(submit %.2f us/msg, worst submit %.0f us)\n", n, conns, CALLS, n / (t2 - t0),
           (t1 - t0) * 1e6 / n, submit_max * 1e6);
    hk_store_free(s);
}

typedef struct pace {
    double last;
    double iv[2000];
    int n, target, seq, every;
    hk_store *s;
    const char *sid;
} pace;

static void tick(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)revents;
    pace *p = w->data;
    double now = ev_time();
    ev_now_update(loop);
    if (p->last > 0 && p->n < 2000) p->iv[p->n++] = now - p->last;
    p->last = now;
    if (p->n % p->every == 0) message(p->s, p->sid, p->seq++);
    if (p->n >= p->target) ev_break(loop, EVBREAK_ONE);
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void bench_pacing(struct ev_loop *loop, hk_pool *pool, const char *url, const char *label,
                         int every) {
    hk_store *s = open_store(loop, pool, url, 4, "/tmp/hark-bench-spool");
    char sid[64];
    call(s, sid, 0, label);
    wait_pending(loop, s);
    pace p = {.target = 250, .s = s, .sid = sid, .every = every};
    ev_timer t;
    ev_timer_init(&t, tick, 0.02, 0.02);
    t.data = &p;
    ev_timer_start(loop, &t);
    ev_run(loop, 0);
    ev_timer_stop(loop, &t);
    int backlog = hk_store_pending(s);
    double t0 = ev_time();
    wait_pending(loop, s);
    qsort(p.iv, (size_t)p.n, sizeof *p.iv, cmpd);
    printf("pacing (%s, a message every %d ms): 20 ms timer over %d ticks, interval p50 %.2f ms, p99 %.2f ms, max %.2f "
           "ms; %d message(s) behind at the end, caught up in %.0f ms\n", label, every * 20, p.n,
           p.iv[p.n / 2] * 1e3, p.iv[p.n * 99 / 100] * 1e3, p.iv[p.n - 1] * 1e3, backlog,
           (ev_time() - t0) * 1e3);
    hk_store_free(s);
}

int main(int argc, char **argv) {
    hk_log_set_level(HK_LOG_ERROR);
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    char err[512], url[1024], dir[64] = "";
    if (!getenv("DATABASE_URL")) {
        snprintf(dir, sizeof dir, "/tmp/hark-bench-pg-XXXXXX");
        if (!mkdtemp(dir)) return 1;
        setenv("HARK_PG_DIR", dir, 1);
        if (!getenv("HARK_PG_PORT")) setenv("HARK_PG_PORT", "54398", 1);
    }
    hk_config cfg;
    if (hk_config_load(&cfg, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "bench_store: %s\n", err);
        return 1;
    }
    int url_rc = hk_db_url(&cfg, url, sizeof url, err, sizeof err);
    hk_config_free(&cfg);
    if (url_rc != 0) {
        fprintf(stderr, "bench_store: %s\n", err);
        return 1;
    }
    PGconn *pg = PQconnectdb(url);
    if (PQstatus(pg) != CONNECTION_OK || hk_migrate_run(pg, HARK_SOURCE_DIR "/schema", stderr, err, sizeof err) < 0) {
        fprintf(stderr, "bench_store: %s %s\n", PQerrorMessage(pg), err);
        return 1;
    }
    sql(pg, "INSERT INTO tenants (name) VALUES ('bench') RETURNING id");
    hk_keyring_parse(&keys, "1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                     err, sizeof err);
    struct ev_loop *loop = ev_default_loop(0);
    hk_pool *pool = hk_pool_new(loop, 2);
    bench_throughput(loop, pool, url, 1, n);
    bench_throughput(loop, pool, url, 4, n);
    bench_pacing(loop, pool, url, "normal database", 5);
    bench_pacing(loop, pool, url, "normal database", 1);
    sql(pg, "CREATE OR REPLACE FUNCTION bench_slow() RETURNS trigger AS $$ BEGIN "
            "PERFORM pg_sleep(0.05); RETURN NEW; END $$ LANGUAGE plpgsql");
    sql(pg, "CREATE TRIGGER bench_slow BEFORE INSERT ON call_messages FOR EACH ROW "
            "EXECUTE FUNCTION bench_slow()");
    bench_pacing(loop, pool, url, "slow database, 50 ms per insert", 5);
    bench_pacing(loop, pool, url, "slow database, 50 ms per insert", 1);
    sql(pg, "DROP TRIGGER bench_slow ON call_messages");
    PQfinish(pg);
    hk_pool_free(pool);
    unlink("/tmp/hark-bench-spool");
    if (dir[0]) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, HARK_SOURCE_DIR "/scripts/pg stop --purge >/dev/null");
        if (system(cmd) != 0) fprintf(stderr, "bench_store: scripts/pg stop failed\n");
        rmdir(dir);
    }
    return 0;
}
