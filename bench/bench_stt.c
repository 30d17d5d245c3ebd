/* bench/bench_stt: word accuracy and decode time of the offline STT (pocketsphinx)
 * on receptionist caller lines, with the hint grammar and with the general
 * language model. The caller audio is espeak-ng speech taken through the phone
 * path: 22050 Hz -> 8 kHz -> mu-law -> PCM, pushed in 20 ms frames, either
 * tight or framed as hark's VAD delivers it (0.2 s pre-roll, 0.5 s hangover of
 * quiet line noise). Prints one line per utterance and a summary per case.
 *   bench_stt [grammar|lm|all] [espeak voice, default en-us] */
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/pool.h"
#include "media/g711.h"
#include "media/resample.h"
#include "providers/stt_sphinx.h"
#include "providers/tts_espeak.h"

static const char *const k_lines[] = {
    "i would like to book an appointment",
    "tuesday at ten",
    "can i come in on monday at nine",
    "what are your opening hours",
    "my name is john smith",
    "yes please",
    "no thank you",
    "do you have anything on friday afternoon",
    "i need to cancel my appointment",
    "thursday at two thirty",
    "is the doctor available tomorrow morning",
    "thanks goodbye",
};

/* What a receptionist agent would list as its expected phrases and keywords. */
static const char *const k_hints[] = {
    "book an appointment", "cancel my appointment", "reschedule", "opening hours",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "today", "tomorrow", "morning", "afternoon", "evening",
    "at 9", "at 10", "at 11", "at 12", "at 1", "at 2", "at 3", "at 4", "at 5", "thirty",
    "o'clock", "yes", "no", "my name is", "doctor", "available", "anything", "goodbye",
};

#define N_LINES (sizeof k_lines / sizeof *k_lines)

/* The words an agent acts on: keyword recall counts these. */
static const char *const k_keywords[] = {
    "book", "appointment", "cancel", "opening", "hours", "monday", "tuesday", "thursday",
    "friday", "tomorrow", "morning", "afternoon", "nine", "ten", "two", "thirty", "yes",
    "no", "name", "doctor", "available", "anything", "goodbye", NULL,
};

static int has_word(const char *text, const char *w) {
    char t[600], p[64];
    snprintf(t, sizeof t, " %s ", text);
    snprintf(p, sizeof p, " %s ", w);
    return strstr(t, p) != NULL;
}

/* Resident set size in MB (the decoder's memory shows as the growth over open). */
static double rss_mb(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        fclose(f);
    }
    return resident * 4096.0 / (1024 * 1024);
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

typedef struct {
    char text[512];
    double conf;
    int got, errors;
} result;

static void on_transcript(void *ud, uint64_t id, const char *text, int fin, double conf) {
    (void)id;
    (void)fin;
    result *r = ud;
    snprintf(r->text, sizeof r->text, "%s", text);
    r->conf = conf;
    r->got++;
}

static void on_error(void *ud, const char *msg) {
    result *r = ud;
    fprintf(stderr, "stt error: %s\n", msg);
    r->errors++;
}

/* Word-level edit distance between reference and hypothesis. */
static int word_errors(const char *ref, const char *hyp, int *n_ref) {
    char rb[512], hb[512], *rw[64], *hw[64], *save;
    int nr = 0, nh = 0;
    snprintf(rb, sizeof rb, "%s", ref);
    snprintf(hb, sizeof hb, "%s", hyp);
    for (char *t = strtok_r(rb, " ", &save); t && nr < 64; t = strtok_r(NULL, " ", &save)) rw[nr++] = t;
    for (char *t = strtok_r(hb, " ", &save); t && nh < 64; t = strtok_r(NULL, " ", &save)) hw[nh++] = t;
    int d[65][65];
    for (int i = 0; i <= nr; i++) d[i][0] = i;
    for (int j = 0; j <= nh; j++) d[0][j] = j;
    for (int i = 1; i <= nr; i++)
        for (int j = 1; j <= nh; j++) {
            int sub = d[i - 1][j - 1] + (strcmp(rw[i - 1], hw[j - 1]) != 0);
            int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
    *n_ref = nr;
    return d[nr][nh];
}

static const char *g_voice = "en-us";

/* espeak-ng speech of text as the phone delivers it: 8 kHz PCM after mu-law,
 * with lead/tail ms of quiet noise (about -65 dBFS) around it. */
static int16_t *caller_audio(const char *text, int lead, int tail, size_t *n8) {
    int16_t *pcm, *speech;
    size_t n, ns;
    int rate;
    if (hk_espeak_synth_pcm(text, g_voice, 0, &pcm, &n, &rate) != 0) return NULL;
    if (hk_resample_buffer(rate, 8000, pcm, n, &speech, &ns) != 0) {
        free(pcm);
        return NULL;
    }
    free(pcm);
    *n8 = ns + (size_t)(lead + tail) * 8;
    int16_t *pcm8 = malloc(*n8 * sizeof *pcm8);
    unsigned seed = 12345;
    for (size_t i = 0; i < *n8; i++) {
        seed = seed * 1103515245u + 12345u;
        pcm8[i] = (int16_t)((int)((seed >> 16) % 41) - 20);
    }
    memcpy(pcm8 + lead * 8, speech, ns * sizeof *speech);
    free(speech);
    uint8_t *u = malloc(*n8 ? *n8 : 1);
    hk_ulaw_encode_buf(pcm8, u, *n8);
    hk_ulaw_decode_buf(u, pcm8, *n8);
    free(u);
    return pcm8;
}

static void run_mode(struct ev_loop *loop, int grammar, int lead, int tail) {
    result r = {0};
    hk_stt_sink sink = {.ud = &r, .transcript = on_transcript, .error = on_error};
    hk_stt_config cfg = {.provider = "sphinx", .language = "en"};
    if (grammar) {
        cfg.phrases = k_hints;
        cfg.n_phrases = sizeof k_hints / sizeof *k_hints;
    }
    char err[256];
    double rss0 = rss_mb();
    double t0 = now_ms();
    hk_stt *stt = hk_stt_sphinx.open(loop, &cfg, &sink, err, sizeof err);
    if (!stt) {
        fprintf(stderr, "open: %s\n", err);
        exit(1);
    }
    double t_open_call = now_ms() - t0;
    ev_run(loop, 0); /* until the decoder is built */
    double t_open = now_ms() - t0;
    printf("\n== %s, voice %s, %d ms lead / %d ms tail silence: open() returned in %.2f ms, "
           "decoder ready after %.0f ms, RSS +%.0f MB\n",
           grammar ? "grammar (hints)" : "language model", g_voice, lead, tail, t_open_call, t_open,
           rss_mb() - rss0);

    int tot_err = 0, tot_words = 0, exact = 0, kw = 0, kw_hit = 0, kw_false = 0;
    double tot_end = 0, tot_all = 0, tot_audio = 0;
    for (size_t i = 0; i < N_LINES; i++) {
        size_t n8;
        int16_t *pcm8 = caller_audio(k_lines[i], lead, tail, &n8);
        if (!pcm8) {
            fprintf(stderr, "synth failed\n");
            exit(1);
        }
        int got_before = r.got;
        double a0 = now_ms();
        for (size_t off = 0; off < n8; off += 160) {
            size_t k = n8 - off < 160 ? n8 - off : 160;
            hk_stt_sphinx.push(stt, NULL, pcm8 + off, k);
        }
        ev_run(loop, 0); /* decode what was batched, as it would during speech */
        double e0 = now_ms();
        hk_stt_sphinx.end_utterance(stt, i + 1);
        ev_run(loop, 0);
        double e1 = now_ms();
        free(pcm8);
        if (r.got != got_before + 1) {
            printf("  [%zu] no transcript\n", i);
            continue;
        }
        int nref;
        int e = word_errors(k_lines[i], r.text, &nref);
        tot_err += e;
        tot_words += nref;
        exact += e == 0;
        for (int k = 0; k_keywords[k]; k++) {
            int in_ref = has_word(k_lines[i], k_keywords[k]), in_hyp = has_word(r.text, k_keywords[k]);
            kw += in_ref;
            kw_hit += in_ref && in_hyp;
            kw_false += !in_ref && in_hyp;
        }
        tot_end += e1 - e0;
        tot_all += e1 - a0;
        tot_audio += n8 / 8.0;
        printf("  %-42s -> %-42s errs %d/%d conf %.2f end %.0f ms, all %.0f ms for %.0f ms audio\n",
               k_lines[i], r.text, e, nref, r.conf, e1 - e0, e1 - a0, n8 / 8.0);
    }
    printf("  SUMMARY %s %s %s: word accuracy %.1f%% (WER %.1f%%, %d/%d words wrong), %d/%zu exact, "
           "keywords %d/%d heard (+%d false), end-of-utterance %.0f ms avg, decode %.0f ms per "
           "utterance (%.2fx real time)\n",
           grammar ? "grammar" : "LM", g_voice, lead || tail ? "vad-framed" : "tight",
           100.0 * (1 - (double)tot_err / tot_words), 100.0 * tot_err / tot_words, tot_err,
           tot_words, exact, N_LINES, kw_hit, kw, kw_false, tot_end / N_LINES, tot_all / N_LINES,
           tot_all / tot_audio);
    hk_stt_sphinx.close(stt);
    ev_run(loop, 0);
}

int main(int argc, char **argv) {
    struct ev_loop *loop = EV_DEFAULT;
    hk_g711_init();
    hk_pool *pool = hk_pool_new(loop, 2);
    hk_pool_global_set(pool);
    const char *only = argc > 1 ? argv[1] : "all";
    if (argc > 2) g_voice = argv[2];
    for (int framed = 0; framed < 2; framed++) {
        int lead = framed ? 200 : 0, tail = framed ? 500 : 0;
        if (strcmp(only, "lm") != 0) run_mode(loop, 1, lead, tail);
        if (strcmp(only, "grammar") != 0) run_mode(loop, 0, lead, tail);
    }
    hk_pool_free(pool);
    return 0;
}
