/* bench/bench_recorder: memory per call recording, in memory (whole call,
 * grown by doubling) against streamed to a file through the pool. N
 * recorders are fed S seconds of two-channel 20 ms frames each, round robin
 * as concurrent calls would be, as fast as the CPU goes except that every
 * half second of call time the pool is let finish its writes (at real time
 * it has that half second per chunk). Prints the recorder's own bytes and the
 * process RSS growth per recorder, bytes on disk, and the loop thread's CPU
 * per frame (the puts plus the pool's done callbacks; the writes themselves
 * run on the pool's threads). Numbers, not pass/fail.
 *   bench_recorder [N=200] [seconds=60] [dir=/tmp] */
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/pool.h"
#include "media/recorder.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
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

static void run(const char *mode, int n, int seconds, const char *dir, struct ev_loop *loop,
                hk_pool *pool)
{
    int to_file = strcmp(mode, "file") == 0;
    hk_recorder **r = calloc((size_t)n, sizeof *r);
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
    double cpu0 = cpu_now(), wall0 = wall_now();
    long frames = (long)seconds * 50;
    for (long k = 0; k < frames; k++) {
        double t = (double)k * 0.02;
        for (int i = 0; i < n; i++) {
            hk_recorder_put(r[i], HK_REC_CALLER, t, a, 160);
            hk_recorder_put(r[i], HK_REC_AGENT, t, b, 160);
        }
        if (!to_file) continue;
        ev_run(loop, EVRUN_NOWAIT);
        /* every half second of call time the pool has caught up, as it does
         * at real time (one chunk per call per half second) */
        while (k % 25 == 24 && hk_pool_in_flight(pool) > 0) ev_run(loop, EVRUN_ONCE);
    }
    double cpu = cpu_now() - cpu0;
    size_t own = 0, dropped = 0;
    for (int i = 0; i < n; i++) {
        own += hk_recorder_mem_bytes(r[i]);
        dropped += hk_recorder_dropped(r[i]);
    }
    long rss1 = rss_kb();
    if (to_file) {
        double c0 = cpu_now();
        for (int i = 0; i < n; i++) hk_recorder_close(r[i], NULL, NULL);
        while (hk_pool_in_flight(pool) > 0) ev_run(loop, EVRUN_ONCE);
        cpu += cpu_now() - c0;
    }
    double wall = wall_now() - wall0;
    long long disk = 0;
    for (int i = 0; i < n; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/bench_rec_%d.wav", dir, i);
        if (to_file && stat(path, &st) == 0) disk += st.st_size;
        if (to_file) unlink(path);
        if (!to_file) hk_recorder_free(r[i]);
    }
    free(r);
    long puts = frames * 2 * n;
    printf("%-6s N=%d %ds: recorder bytes/call %8.1f KB, RSS growth/call %8.1f KB, "
           "written %6.1f MB, dropped %zu frames, loop CPU %.2f us/frame put, wall %.1f s\n",
           mode, n, seconds, (double)own / n / 1024, (double)(rss1 - rss0) / n, (double)disk / 1e6,
           dropped, cpu / (double)puts * 1e6, wall);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200;
    int seconds = argc > 2 ? atoi(argv[2]) : 60;
    const char *dir = argc > 3 ? argv[3] : "/tmp";
    if (n <= 0 || seconds <= 0) {
        fprintf(stderr, "usage: bench_recorder [N] [seconds] [dir]\n");
        return 2;
    }
    struct ev_loop *loop = ev_default_loop(0);
    hk_pool *pool = hk_pool_new(loop, 2);
    /* file first: the in-memory run's freed arrays would otherwise stay in RSS */
    run("file", n, seconds, dir, loop, pool);
    run("memory", n, seconds, dir, loop, pool);
    hk_pool_free(pool);
    return 0;
}
