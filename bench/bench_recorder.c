/* bench/bench_recorder: what a call recording costs, in memory (whole call,
 * grown by doubling) against streamed to a file through the pool. N
 * recorders are fed S seconds of two-channel 20 ms frames each, round robin
 * as concurrent calls would be (1,000-2,000 of them: each recorder's memory
 * is cold again by its next frame, as in a worker), as fast as the CPU goes
 * except that every half second of call time the pool is let finish its
 * writes (at real time it has that half second per chunk). With evict_mb > 0
 * a buffer that large is read before each round of caller frames and of agent
 * frames, standing in for the rest of the worker's per-call work that pushes
 * the recorders out of the caches (4 MB: the L2 here).
 *
 * Prints, per mode: the recorder's own bytes and the process RSS growth per
 * recorder, bytes on disk, ns per hk_recorder_put on the loop thread (the
 * puts alone), the loop's cost of the pool's done callbacks and the pool
 * threads' CPU (the chunk writes: interleave, pwrite, wakeups) per second of
 * call and per 0.5 s of call, and what that adds up to as % of one core per
 * 1,000 calls at real time. Run it pinned to one core (taskset -c 1) so the
 * pool's wakeups cost what they do in a pinned worker. Numbers, not
 * pass/fail.
 *   bench_recorder [N=1000] [seconds=20] [dir=/tmp] [evict_mb=0] [file|memory|both] */
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/pool.h"
#include "media/recorder.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
    FILE *fp = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (!fp) return 0;
    if (fscanf(fp, "%ld %ld", &pages, &resident) != 2) resident = 0;
    fclose(fp);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static volatile unsigned long g_sink;

static void evict(const unsigned char *buf, size_t n)
{
    unsigned long s = 0;
    for (size_t i = 0; i < n; i += 64) s += buf[i];
    g_sink += s;
}

static void run(const char *mode, int n, int seconds, const char *dir, size_t evict_bytes,
                struct ev_loop *loop, hk_pool *pool)
{
    int to_file = strcmp(mode, "file") == 0;
    hk_recorder **r = calloc((size_t)n, sizeof *r);
    unsigned char *ev_buf = evict_bytes ? malloc(evict_bytes) : NULL;
    if (ev_buf) memset(ev_buf, 1, evict_bytes);
    char path[512];
    long rss0 = rss_kb();
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/bench_rec_%d.wav", dir, i);
        r[i] = to_file ? hk_recorder_new_file(8000, path, pool) : hk_recorder_new(8000);
    }
    int16_t a[160], b[160];
    for (int i = 0; i < 160; i++) {
        a[i] = (int16_t)(i * 37);
        b[i] = (int16_t)(-i * 21);
    }
    double put_cpu = 0, done_cpu = 0;
    double proc0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), thr0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    double wall0 = clock_s(CLOCK_MONOTONIC);
    long frames = (long)seconds * 50;
    for (long k = 0; k < frames; k++) {
        double t = (double)k * 0.02;
        /* a call's inbound and outbound frames come at different moments of
         * the worker's tick, other calls' work in between */
        if (ev_buf) evict(ev_buf, evict_bytes); /* not counted */
        double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        for (int i = 0; i < n; i++) hk_recorder_put(r[i], HK_REC_CALLER, t, a, 160);
        put_cpu += clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
        if (ev_buf) evict(ev_buf, evict_bytes);
        c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        /* the agent speaks two seconds in three, a little after the caller */
        for (int i = 0; i < n && k % 150 < 100; i++)
            hk_recorder_put(r[i], HK_REC_AGENT, t + 0.0001, b, 160);
        double c1 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        put_cpu += c1 - c0;
        if (!to_file) continue;
        ev_run(loop, EVRUN_NOWAIT);
        /* every half second of call time the pool has caught up, as it does
         * at real time (one chunk per call per half second) */
        while (k % 25 == 24 && hk_pool_in_flight(pool) > 0) ev_run(loop, EVRUN_ONCE);
        done_cpu += clock_s(CLOCK_THREAD_CPUTIME_ID) - c1;
    }
    size_t own = 0, dropped = 0;
    for (int i = 0; i < n; i++) {
        own += hk_recorder_mem_bytes(r[i]);
        dropped += hk_recorder_dropped(r[i]);
    }
    long rss1 = rss_kb();
    if (to_file) {
        double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        for (int i = 0; i < n; i++) hk_recorder_close(r[i], NULL, NULL);
        while (hk_pool_in_flight(pool) > 0) ev_run(loop, EVRUN_ONCE);
        done_cpu += clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    }
    double wall = clock_s(CLOCK_MONOTONIC) - wall0;
    /* everything the process spent beyond the loop thread: the pool threads */
    double pool_cpu = (clock_s(CLOCK_PROCESS_CPUTIME_ID) - proc0) -
                      (clock_s(CLOCK_THREAD_CPUTIME_ID) - thr0);
    long long disk = 0;
    for (int i = 0; i < n; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/bench_rec_%d.wav", dir, i);
        if (to_file && stat(path, &st) == 0) disk += st.st_size;
        if (to_file) unlink(path);
        if (!to_file) hk_recorder_free(r[i]);
    }
    free(r);
    free(ev_buf);
    long caller_puts = frames, agent_puts = 0;
    for (long k = 0; k < frames; k++) agent_puts += k % 150 < 100;
    double puts = (double)(caller_puts + agent_puts) * n;
    double call_s = (double)seconds * n;
    double us_put = put_cpu / call_s * 1e6, us_done = done_cpu / call_s * 1e6;
    double us_pool = pool_cpu / call_s * 1e6;
    printf("%-6s N=%d %ds evict %zu MB: recorder %6.1f KB/call, RSS growth %6.1f KB/call, "
           "written %6.1f MB, dropped %zu frames, wall %.1f s\n",
           mode, n, seconds, evict_bytes >> 20, (double)own / n / 1024,
           (double)(rss1 - rss0) / n, (double)disk / 1e6, dropped, wall);
    printf("       put %5.0f ns; per call-second: puts %5.1f us, loop done %5.1f us, "
           "pool %5.1f us (%5.1f us per 0.5 s chunk); total %.2f%% of a core per 1,000 calls\n",
           put_cpu / puts * 1e9, us_put, us_done, us_pool, us_pool / 2,
           (us_put + us_done + us_pool) * 1000 / 1e6 * 100);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    int seconds = argc > 2 ? atoi(argv[2]) : 20;
    const char *dir = argc > 3 ? argv[3] : "/tmp";
    long evict_mb = argc > 4 ? atol(argv[4]) : 0;
    const char *which = argc > 5 ? argv[5] : "both";
    if (n <= 0 || seconds <= 0 || evict_mb < 0 || evict_mb > 4096) {
        fprintf(stderr, "usage: bench_recorder [N] [seconds] [dir] [evict_mb] [file|memory|both]\n");
        return 2;
    }
    struct ev_loop *loop = ev_default_loop(0);
    hk_pool *pool = hk_pool_new(loop, 2);
    /* file first: the in-memory run's freed arrays would otherwise stay in RSS */
    if (strcmp(which, "memory") != 0) run("file", n, seconds, dir, (size_t)evict_mb << 20, loop, pool);
    if (strcmp(which, "file") != 0) run("memory", n, seconds, dir, (size_t)evict_mb << 20, loop, pool);
    hk_pool_free(pool);
    return 0;
}
