/* bench/bench_web_static: what the dashboard's files cost (api/web_static).
 * Loading the directory once at start (time, files, bytes), then one answer
 * from memory (lookup + copy) per file, and the same files read from disk
 * per request for comparison (open + read + close, as an off-loop pool job
 * would do before the hand-back), to justify loading once. Numbers, not
 * pass/fail.
 *   bench_web_static [DIR=web] [ROUNDS=2000] */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/web_static.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* the URL paths of the files under dir (depth 2 is enough for a bench) */
static int list(const char *dir, const char *url, char names[][256], int max, int n) {
    DIR *d = opendir(dir);
    if (!d) return n;
    struct dirent *de;
    while ((de = readdir(d)) && n < max) {
        if (de->d_name[0] == '.') continue;
        char p[1024], u[512];
        snprintf(p, sizeof p, "%.500s/%.255s", dir, de->d_name);
        snprintf(u, sizeof u, "%.200s/%.255s", url, de->d_name);
        if (strlen(u) >= 256) continue;
        if (de->d_type == DT_DIR) n = list(p, u, names, max, n);
        else if (de->d_type == DT_REG) memcpy(names[n++], u, strlen(u) + 1);
    }
    closedir(d);
    return n;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "web";
    int rounds = argc > 2 ? atoi(argv[2]) : 2000;
    char err[256];
    double t0 = now();
    hk_web *w = hk_web_load(dir, err, sizeof err);
    double t1 = now();
    if (!w) {
        fprintf(stderr, "bench_web_static: %s\n", err);
        return 1;
    }
    static char names[512][256];
    int n = list(dir, "", names, 512, 0);
    printf("load %s: %zu files in %.2f ms\n", dir, hk_web_count(w), (t1 - t0) * 1e3);
    double *mem = malloc(sizeof(double) * (size_t)rounds), *disk = malloc(sizeof(double) * (size_t)rounds);
    size_t bytes = 0;
    for (int r = 0; r < rounds; r++) {
        double a = now();
        for (int i = 0; i < n; i++) {
            hk_http_request req = {.method = "GET", .path = names[i], .query = "", .if_none_match = ""};
            hk_http_response resp = {0};
            hk_web_serve(w, &req, &resp);
            bytes += resp.len;
            free(resp.body);
            free(resp.headers);
        }
        double b = now();
        for (int i = 0; i < n; i++) {
            char p[1024];
            snprintf(p, sizeof p, "%.500s%.255s", dir, names[i]);
            FILE *f = fopen(p, "rb");
            if (!f) continue;
            fseek(f, 0, SEEK_END);
            long sz = ftell(f);
            rewind(f);
            char *buf = malloc((size_t)sz + 1);
            if (fread(buf, 1, (size_t)sz, f) != (size_t)sz) sz = 0;
            fclose(f);
            free(buf);
        }
        double c = now();
        mem[r] = (b - a) / n;
        disk[r] = (c - b) / n;
    }
    qsort(mem, (size_t)rounds, sizeof *mem, cmp);
    qsort(disk, (size_t)rounds, sizeof *disk, cmp);
    printf("per file answer from memory: p50 %.2f us p99 %.2f us (%zu bytes per round)\n", mem[rounds / 2] * 1e6,
           mem[rounds * 99 / 100] * 1e6, bytes / (size_t)rounds);
    printf("per file read from disk (page cache): p50 %.2f us p99 %.2f us\n", disk[rounds / 2] * 1e6,
           disk[rounds * 99 / 100] * 1e6);
    free(mem);
    free(disk);
    hk_web_free(w);
    return 0;
}
