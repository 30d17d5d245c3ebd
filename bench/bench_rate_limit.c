/* bench/bench_rate_limit: what a rate check costs per request
 * (cluster/rate_limit). The per-worker table (no Redis, or Redis down): CPU
 * per check over many ids. With REDIS_URL set (e.g. scripts/redis start):
 * the EVAL round trip one request waits for (sequential, p50/p99 latency),
 * and checks per second when many requests are in flight at once (the loop's
 * CPU per check). Numbers, not pass/fail.
 *   REDIS_URL=redis://127.0.0.1:63799/0 bench_rate_limit [N=20000] */
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/call_limits.h"
#include "cluster/rate_limit.h"
#include "cluster/redis.h"
#include "core/config.h"

static double now(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static struct ev_loop *loop;
static int pending, allowed, refused;
static double t_sent;
static double *lat;
static int nlat;

static void on_seq(void *ud, int ok, int ra) {
    (void)ud; (void)ra;
    lat[nlat++] = now(CLOCK_MONOTONIC) - t_sent;
    ok ? allowed++ : refused++;
    ev_break(loop, EVBREAK_ONE);
}

static void on_burst(void *ud, int ok, int ra) {
    (void)ud; (void)ra;
    ok ? allowed++ : refused++;
    if (--pending == 0) ev_break(loop, EVBREAK_ONE);
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    if (n < 100) n = 100;
    char id[32];
    int ra;
    double c0 = now(CLOCK_THREAD_CPUTIME_ID);
    for (int i = 0; i < n * 10; i++) {
        snprintf(id, sizeof id, "k:%d", i % 1000);
        hk_rate_limit_take_local("api", id, 50, 1000, &ra);
    }
    double c1 = now(CLOCK_THREAD_CPUTIME_ID);
    printf("per-worker table: %.0f ns CPU per check (%d checks, 1000 keys)\n", (c1 - c0) / (n * 10) * 1e9, n * 10);

    hk_config cfg;
    char err[256];
    hk_config_load(&cfg, "/dev/null", err, sizeof err);
    const char *url = hk_config_str(&cfg, HK_CFG_REDIS_URL);
    if (!url || !url[0]) {
        printf("Redis: set REDIS_URL to measure the EVAL round trip\n");
        hk_config_free(&cfg);
        return 0;
    }
    loop = ev_default_loop(0);
    if (hk_call_limits_init(loop, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "bench_rate_limit: %s\n", err);
        return 1;
    }
    for (int i = 0; i < 100 && !hk_redis_connected(hk_call_limits_redis()); i++) ev_run(loop, EVRUN_ONCE);
    lat = calloc((size_t)n, sizeof *lat);
    c0 = now(CLOCK_THREAD_CPUTIME_ID);
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof id, "bench:%d", i % 1000);
        t_sent = now(CLOCK_MONOTONIC);
        hk_rate_limit_take("bench", id, 1000000, 1000, on_seq, NULL);
        if (nlat <= i) ev_run(loop, 0);
    }
    c1 = now(CLOCK_THREAD_CPUTIME_ID);
    qsort(lat, (size_t)nlat, sizeof *lat, cmp);
    printf("Redis, one at a time: p50 %.0f us, p99 %.0f us per check; loop CPU %.1f us per check (%d checks)\n",
           lat[nlat / 2] * 1e6, lat[nlat * 99 / 100] * 1e6, (c1 - c0) / n * 1e6, n);
    allowed = refused = 0;
    double w0 = now(CLOCK_MONOTONIC);
    c0 = now(CLOCK_THREAD_CPUTIME_ID);
    for (int done = 0; done < n; done += 500) {
        pending = 500;
        for (int i = 0; i < 500; i++) {
            snprintf(id, sizeof id, "burst:%d", i);
            hk_rate_limit_take("bench", id, 1000000, 1000, on_burst, NULL);
        }
        if (pending) ev_run(loop, 0);
    }
    double w1 = now(CLOCK_MONOTONIC);
    c1 = now(CLOCK_THREAD_CPUTIME_ID);
    printf("Redis, 500 in flight: %.0f checks/s, loop CPU %.1f us per check\n",
           (allowed + refused) / (w1 - w0), (c1 - c0) / (allowed + refused) * 1e6);
    hk_call_limits_shutdown();
    free(lat);
    hk_config_free(&cfg);
    return 0;
}
