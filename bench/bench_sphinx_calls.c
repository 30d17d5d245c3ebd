/* bench/bench_sphinx_calls: what many offline-STT calls cost a worker. Opens N
 * pocketsphinx sessions with the same agent phrases (agents/front_desk.lua's
 * style), as N calls of one agent would, and prints the worker's RSS growth
 * (VmRSS) and the time until every session is ready; then the end-of-utterance
 * latency of one caller line on one session, and the time for M sessions that
 * all end an utterance at once to get their transcripts, and how many decoders
 * and grammars the worker built (providers/sphinx_pool.c). With "lm" the
 * sessions have no hints (the general language model, decoded as it is spoken
 * on reserved decoders: at most HK_SPHINX_MAX_RESERVED stream at once).
 *   bench_sphinx_calls [N sessions, default 20] [M concurrent utterances, default 20]
 *                      [grammar|lm, default grammar] */
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/pool.h"
#include "media/g711.h"
#include "media/resample.h"
#include "providers/sphinx_pool.h"
#include "providers/stt_sphinx.h"
#include "providers/tts_espeak.h"

static const char *const k_hints[] = {
    "i would like to book an appointment", "book an appointment", "make an appointment",
    "what are your opening hours", "when are you open", "opening hours",
    "can i speak to a person", "speak to a person", "talk to someone", "a real person",
    "monday", "tuesday", "wednesday", "thursday", "friday",
    "at nine", "at ten", "at eleven", "at twelve", "at one", "at two", "at three", "at four",
    "in the morning", "in the afternoon", "yes please", "no thank you", "that is all",
    "goodbye", "bye", "thank you", "thanks",
};
#define N_HINTS (sizeof k_hints / sizeof *k_hints)

typedef struct {
    int got, errors;
    char text[256];
} result;

static int g_answers;

static void on_transcript(void *ud, uint64_t id, const char *text, int fin, double conf) {
    (void)id;
    (void)fin;
    (void)conf;
    result *r = ud;
    snprintf(r->text, sizeof r->text, "%s", text);
    r->got++;
    g_answers++;
}

static void on_error(void *ud, const char *msg) {
    result *r = ud;
    fprintf(stderr, "stt error: %s\n", msg);
    r->errors++;
    g_answers++;
}

static double rss_mb(void) {
    double kb = 0;
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) kb = atof(line + 6);
    fclose(f);
    return kb / 1024;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A caller line as the phone delivers it: 8 kHz after mu-law, with 0.2 s of
 * quiet line noise before and 0.5 s after (hark's VAD pre-roll and hangover). */
static int16_t *caller_audio(const char *text, size_t *n8) {
    int16_t *pcm, *speech;
    size_t n, ns;
    int rate;
    if (hk_espeak_synth_pcm(text, "en-us+klatt2", 0, &pcm, &n, &rate) != 0) return NULL;
    if (hk_resample_buffer(rate, 8000, pcm, n, &speech, &ns) != 0) return NULL;
    free(pcm);
    *n8 = ns + 700 * 8;
    int16_t *pcm8 = malloc(*n8 * sizeof *pcm8);
    unsigned seed = 12345;
    for (size_t i = 0; i < *n8; i++) {
        seed = seed * 1103515245u + 12345u;
        pcm8[i] = (int16_t)((int)((seed >> 16) % 41) - 20);
    }
    memcpy(pcm8 + 200 * 8, speech, ns * sizeof *speech);
    free(speech);
    uint8_t *u = malloc(*n8);
    hk_ulaw_encode_buf(pcm8, u, *n8);
    hk_ulaw_decode_buf(u, pcm8, *n8);
    free(u);
    return pcm8;
}

static void push_line(hk_stt *s, const int16_t *pcm8, size_t n8) {
    for (size_t off = 0; off < n8; off += 160)
        hk_stt_sphinx.push(s, NULL, pcm8 + off, n8 - off < 160 ? n8 - off : 160);
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 20;
    int m = argc > 2 ? atoi(argv[2]) : 20;
    int lm = argc > 3 && strcmp(argv[3], "lm") == 0;
    if (n < 1) n = 1;
    if (m > n) m = n;
    struct ev_loop *loop = EV_DEFAULT;
    hk_g711_init();
    hk_pool *pool = hk_pool_new(loop, 2);
    hk_pool_global_set(pool);
    size_t n8;
    int16_t *line = caller_audio("i would like to book an appointment", &n8);
    if (!line) {
        fprintf(stderr, "espeak-ng synthesis failed\n");
        return 1;
    }

    hk_stt **s = calloc((size_t)n, sizeof *s);
    result *r = calloc((size_t)n, sizeof *r);
    hk_stt_config cfg = {.provider = "sphinx", .language = "en", .phrases = lm ? NULL : k_hints,
                         .n_phrases = lm ? 0 : N_HINTS};
    printf("mode: %s\n", lm ? "language model (no hints)" : "grammar (hints)");
    char err[256];
    double rss0 = rss_mb(), t0 = now_ms();
    for (int i = 0; i < n; i++) {
        hk_stt_sink sink = {.ud = &r[i], .transcript = on_transcript, .error = on_error};
        if (!(s[i] = hk_stt_sphinx.open(loop, &cfg, &sink, err, sizeof err))) {
            fprintf(stderr, "open %d: %s\n", i, err);
            return 1;
        }
    }
    ev_run(loop, 0); /* until every open job has run */
    double t_open = now_ms() - t0, rss1 = rss_mb();
    printf("%d sessions: ready in %.0f ms, RSS %.1f -> %.1f MB (+%.1f MB, %.1f KB per session)\n",
           n, t_open, rss0, rss1, rss1 - rss0, (rss1 - rss0) * 1024 / n);

    /* one utterance on one session: the end-of-utterance latency a caller waits */
    for (int rep = 0; rep < 3; rep++) {
        push_line(s[0], line, n8);
        ev_run(loop, 0);
        double e0 = now_ms();
        hk_stt_sphinx.end_utterance(s[0], (uint64_t)rep + 1);
        ev_run(loop, 0);
        printf("one utterance (%.1f s of audio): end-of-utterance to transcript %.0f ms: \"%s\"\n",
               n8 / 8000.0, now_ms() - e0, r[0].text);
    }

    /* m callers end an utterance at the same moment */
    g_answers = 0;
    for (int i = 0; i < m; i++) push_line(s[i], line, n8);
    ev_run(loop, 0);
    double c0 = now_ms();
    for (int i = 0; i < m; i++) hk_stt_sphinx.end_utterance(s[i], 100);
    ev_run(loop, 0);
    int right = 0;
    for (int i = 0; i < m; i++) right += strstr(r[i].text, "appointment") != NULL;
    printf("%d concurrent utterances: all answered in %.0f ms (%d answers, %d heard "
           "\"appointment\"), RSS %.1f MB\n",
           m, now_ms() - c0, g_answers, right, rss_mb());

    hk_sphinx_stats st;
    hk_sphinx_pool_stats(&st);
    printf("shared: %ld decoders built, %ld grammars built (dictionary scans), %ld cached\n",
           st.decoders_created, st.grammars_built, st.grammars_cached);
    hk_stt_sphinx_stat ss;
    hk_stt_sphinx_stats(&ss);
    printf("utterances: %ld decoded as spoken (%ld reservations), %ld decoded whole at their end\n",
           ss.utterances_streamed, st.reservations, ss.utterances_whole);
    for (int i = 0; i < n; i++) hk_stt_sphinx.close(s[i]);
    ev_run(loop, 0);
    hk_pool_free(pool);
    hk_sphinx_pool_shutdown();
    free(s);
    free(r);
    free(line);
    return 0;
}
