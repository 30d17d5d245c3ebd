/* bench/bench_tts_cache: time from call start to the first greeting frame,
 * the first call of an agent (the greeting synthesised) against later calls
 * (the greeting from providers/tts_cache), on one worker at wall time, through
 * the real session. Then the cold case: M calls starting in the same instant
 * with an empty cache (each synthesises; the cache keeps one copy). Prints the
 * cache's bytes and the worker's RSS. The offline voice (espeak-ng) always;
 * ElevenLabs too when ELEVENLABS_BASE_URL (and key) point at a server, e.g.
 * build/fake_elevenlabs --port 0 --key xi. The transcriber is Deepgram when
 * DEEPGRAM_BASE_URL is set, else sphinx.
 *   bench_tts_cache [N later calls, default 20] [M cold simultaneous calls, default 10] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/call.h"
#include "cli/cli.h"
#include "core/log.h"
#include "providers/settings.h"
#include "providers/tts_espeak.h"

#define GREETING "Thanks for calling Maple Street Clinic, this is the front desk, how can I help you today?"
#define MAXC 256

typedef struct bcall {
    hk_call *c;
    double first_frame;
    int ended;
} bcall;

static hk_worker g_w;

static void on_audio(void *ud, const uint8_t *ulaw, size_t n) {
    (void)ulaw;
    (void)n;
    bcall *b = ud;
    if (b->first_frame < 0) b->first_frame = hk_call_now(b->c);
}

static void on_ended(void *ud, const char *reason) {
    (void)reason;
    ((bcall *)ud)->ended = 1;
}

static double rss_mb(void) {
    double kb = 0;
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) kb = atof(line + 6);
    if (f) fclose(f);
    return kb / 1024;
}

static int start(bcall *b, hk_agent *a, const char *id) {
    b->first_frame = -1;
    b->ended = 0;
    hk_call_opts o = {.loop = g_w.loop, .clock = g_w.clock, .id = id};
    hk_vad_config_default(&o.vad);
    hk_call_io io = {.ud = b, .send_audio = on_audio, .ended = on_ended};
    char err[256];
    b->c = hk_call_new(a, &o, &io, err, sizeof err);
    if (!b->c) {
        fprintf(stderr, "call: %s\n", err);
        return -1;
    }
    hk_call_start(b->c);
    return 0;
}

static void wait_first_frames(bcall *b, int n) {
    double end = hk_clock_now(g_w.clock) + 15;
    for (;;) {
        int all = 1;
        for (int i = 0; i < n; i++)
            if (b[i].first_frame < 0 || !b[i].c->msgs[0].synthesised) all = 0;
        if (all || hk_clock_now(g_w.clock) > end) return;
        ev_run(g_w.loop, EVRUN_ONCE);
    }
}

static void finish(bcall *b, int n) {
    for (int i = 0; i < n; i++)
        if (b[i].c && !b[i].c->ended) hk_call_end(b[i].c, "customer-ended-call");
    for (int k = 0; k < 100; k++) ev_run(g_w.loop, EVRUN_NOWAIT);
    for (int i = 0; i < n; i++) hk_call_free(b[i].c);
    memset(b, 0, (size_t)n * sizeof *b);
}

static int cmp(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static void bench_voice(const char *label, const char *voice, const char *transcriber, int n_later,
                        int n_cold) {
    char path[] = "/tmp/hark-bench-ttsc-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return;
    FILE *f = fdopen(fd, "w");
    fprintf(f, "return { name = \"bench\", first_message = \"%s\", voice = %s,\n"
               "  transcriber = { provider = \"%s\" },\n"
               "  on_user_turn = function(call, text) return \"I see.\" end }\n",
            GREETING, voice, transcriber);
    fclose(f);
    char err[1024];
    hk_agent *a = hk_agent_load(g_w.vm, path, 1, err, sizeof err);
    unlink(path);
    if (!a) {
        fprintf(stderr, "agent: %s\n", err);
        return;
    }
    static bcall b[MAXC];
    static double later[MAXC];
    hk_tts_cache_worker_configure((size_t)64 << 20); /* empty */
    unsigned long jobs0 = hk_tts_espeak_jobs();
    double rss0 = rss_mb();
    start(&b[0], a, "first");
    wait_first_frames(b, 1);
    double first = b[0].first_frame;
    finish(b, 1);
    for (int i = 0; i < n_later; i++) {
        char id[32];
        snprintf(id, sizeof id, "later-%d", i);
        if (start(&b[0], a, id) != 0) break;
        wait_first_frames(b, 1);
        later[i] = b[0].first_frame;
        finish(b, 1);
    }
    qsort(later, (size_t)n_later, sizeof *later, cmp);
    hk_tts_cache_stats st;
    hk_tts_cache_stats_get(hk_tts_cache_worker(), &st);
    printf("%-10s first call %7.1f ms | %d later calls: median %6.2f ms, max %6.2f ms | cache %zu entries, "
           "%.1f KB, hits %llu misses %llu | espeak jobs %lu\n",
           label, first * 1000, n_later, later[n_later / 2] * 1000, later[n_later - 1] * 1000,
           st.entries, (double)st.bytes / 1024, st.hits, st.misses, hk_tts_espeak_jobs() - jobs0);

    hk_tts_cache_worker_configure((size_t)64 << 20); /* cold again */
    for (int i = 0; i < n_cold; i++) {
        char id[32];
        snprintf(id, sizeof id, "cold-%d", i);
        start(&b[i], a, id);
    }
    wait_first_frames(b, n_cold);
    for (int i = 0; i < n_cold; i++) later[i] = b[i].first_frame;
    qsort(later, (size_t)n_cold, sizeof *later, cmp);
    hk_tts_cache_stats_get(hk_tts_cache_worker(), &st);
    printf("%-10s %d calls at once, cold cache: first frame median %6.1f ms, max %6.1f ms | cache %zu "
           "entries, %.1f KB | RSS %.1f MB -> %.1f MB\n",
           label, n_cold, later[n_cold / 2] * 1000, later[n_cold - 1] * 1000, st.entries,
           (double)st.bytes / 1024, rss0, rss_mb());
    finish(b, n_cold);
    hk_agent_unref(a);
}

int main(int argc, char **argv) {
    int n_later = argc > 1 ? atoi(argv[1]) : 20, n_cold = argc > 2 ? atoi(argv[2]) : 10;
    if (n_later < 1 || n_later > MAXC || n_cold < 1 || n_cold > MAXC) {
        fprintf(stderr, "usage: bench_tts_cache [N later calls 1-%d] [M cold calls 1-%d]\n", MAXC, MAXC);
        return 2;
    }
    hk_log_set_level(HK_LOG_ERROR);
    hk_config cfg;
    char err[256];
    if (hk_config_load(&cfg, NULL, err, sizeof err) != 0) fprintf(stderr, "%s\n", err);
    hk_provider_settings_load(&cfg);
    if (hk_worker_init(&g_w, &cfg, 0, 2, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const char *stt = hk_config_str(&cfg, HK_CFG_DEEPGRAM_BASE_URL) &&
                              strstr(hk_config_str(&cfg, HK_CFG_DEEPGRAM_BASE_URL), "127.0.0.1")
                          ? "deepgram" : "sphinx";
    printf("greeting: %zu chars; transcriber %s; first frame = call start -> first agent frame sent\n",
           strlen(GREETING), stt);
    bench_voice("espeak", "{ provider = \"espeak\" }", stt, n_later, n_cold);
    const char *el = hk_config_str(&cfg, HK_CFG_ELEVENLABS_BASE_URL);
    if (el && strstr(el, "127.0.0.1"))
        bench_voice("elevenlabs", "{ provider = \"elevenlabs\", voice_id = \"21m00Tcm4TlvDq8ikWAM\" }", stt,
                    n_later, n_cold);
    else
        printf("elevenlabs: skipped (set ELEVENLABS_BASE_URL to a local server such as the fake)\n");
    hk_worker_free(&g_w);
    hk_config_free(&cfg);
    return 0;
}
