/* bench/bench_stt: word accuracy and decode time of the offline STT (pocketsphinx)
 * on caller lines of a clinic's phone line, with the hint grammar and with the general
 * language model. The caller audio is espeak-ng speech taken through the phone
 * path: 22050 Hz -> 8 kHz -> mu-law -> PCM, pushed in 20 ms frames, either
 * tight or framed as hark's VAD delivers it (0.2 s pre-roll, 0.5 s hangover of
 * quiet line noise). Prints one line per utterance and a summary per case.
 * Two hint styles: receptionist keywords and agents/front_desk.lua's phrases.
 *   bench_stt [grammar|lm|all] [espeak voice, default en-us] [wpm, default 175] */
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

typedef struct suite {
    const char *name;
    const char *const *lines; /* what the caller says (espeak-ng input) */
    size_t n_lines;
    const char *const *hints; /* the agent's expected phrases and keywords */
    size_t n_hints;
} suite;

/* Keyword-style hints, as a receptionist agent configured from Vapi would list. */
static const char *const k_recept_lines[] = {
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
static const char *const k_recept_hints[] = {
    "book an appointment", "cancel my appointment", "reschedule", "opening hours",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "today", "tomorrow", "morning", "afternoon", "evening",
    "at 9", "at 10", "at 11", "at 12", "at 1", "at 2", "at 3", "at 4", "at 5", "thirty",
    "o'clock", "yes", "no", "my name is", "doctor", "available", "anything", "goodbye",
};

/* Phrase-style hints: agents/front_desk.lua's list, with its callers' lines. */
static const char *const k_desk_lines[] = {
    "Hello, I would like to book an appointment please",
    "Tuesday at ten",
    "No thank you, that is all. Goodbye",
    "What are your opening hours?",
    "Can I speak to a real person?",
    "Wednesday at two in the afternoon",
    "Yes please",
    "I would like to make an appointment for Friday",
    "Monday morning at nine",
    "Thank you, bye",
};
static const char *const k_desk_hints[] = {
    "i would like to book an appointment", "book an appointment", "make an appointment",
    "what are your opening hours", "when are you open", "opening hours",
    "can i speak to a person", "speak to a person", "talk to someone", "a real person",
    "monday", "tuesday", "wednesday", "thursday", "friday",
    "at nine", "at ten", "at eleven", "at twelve", "at one", "at two", "at three", "at four",
    "in the morning", "in the afternoon", "yes please", "no thank you", "that is all",
    "goodbye", "bye", "thank you", "thanks",
};

#define N(a) (sizeof(a) / sizeof *(a))
static const suite k_suites[] = {
    {"receptionist keywords", k_recept_lines, N(k_recept_lines), k_recept_hints, N(k_recept_hints)},
    {"front desk phrases", k_desk_lines, N(k_desk_lines), k_desk_hints, N(k_desk_hints)},
};

/* The words an agent acts on: keyword recall counts these. */
static const char *const k_keywords[] = {
    "book", "appointment", "cancel", "opening", "hours", "open", "monday", "tuesday",
    "wednesday", "thursday", "friday", "tomorrow", "morning", "afternoon", "nine", "ten",
    "two", "thirty", "yes", "no", "name", "person", "doctor", "available", "anything",
    "goodbye", "bye", NULL,
};

static int has_word(const char *text, const char *w) {
    char t[600], p[64];
    snprintf(t, sizeof t, " %s ", text);
    snprintf(p, sizeof p, " %s ", w);
    return strstr(t, p) != NULL;
}

/* The reference transcript of a line: lowercase words, no punctuation. */
static void normalise(const char *in, char *out, size_t cap) {
    size_t k = 0;
    for (const char *p = in; *p && k + 1 < cap; p++) {
        char c = *p >= 'A' && *p <= 'Z' ? (char)(*p + 32) : *p;
        if ((c >= 'a' && c <= 'z') || c == '\'') out[k++] = c;
        else if (k && out[k - 1] != ' ') out[k++] = ' ';
    }
    while (k && out[k - 1] == ' ') k--;
    out[k] = '\0';
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
static int g_wpm = 175;

/* espeak-ng speech of text as the phone delivers it: 8 kHz PCM after mu-law,
 * with lead/tail ms of quiet noise (about -65 dBFS) around it. */
static int16_t *caller_audio(const char *text, int lead, int tail, size_t *n8) {
    int16_t *pcm, *speech;
    size_t n, ns;
    int rate;
    if (hk_espeak_synth_pcm(text, g_voice, g_wpm, &pcm, &n, &rate) != 0) return NULL;
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

static void run_mode(struct ev_loop *loop, const suite *su, int grammar, int lead, int tail) {
    result r = {0};
    hk_stt_sink sink = {.ud = &r, .transcript = on_transcript, .error = on_error};
    hk_stt_config cfg = {.provider = "sphinx", .language = "en"};
    if (grammar) {
        cfg.phrases = su->hints;
        cfg.n_phrases = su->n_hints;
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
    printf("\n== %s, %s, voice %s at %d wpm, %d ms lead / %d ms tail silence: open() returned "
           "in %.2f ms, decoder ready after %.0f ms, RSS +%.0f MB\n",
           su->name, grammar ? "grammar (hints)" : "language model", g_voice, g_wpm, lead, tail,
           t_open_call, t_open, rss_mb() - rss0);

    int tot_err = 0, tot_words = 0, exact = 0, kw = 0, kw_hit = 0, kw_false = 0;
    double tot_end = 0, tot_all = 0, tot_audio = 0;
    for (size_t i = 0; i < su->n_lines; i++) {
        size_t n8;
        char ref[512];
        normalise(su->lines[i], ref, sizeof ref);
        int16_t *pcm8 = caller_audio(su->lines[i], lead, tail, &n8);
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
        int e = word_errors(ref, r.text, &nref);
        tot_err += e;
        tot_words += nref;
        exact += e == 0;
        for (int k = 0; k_keywords[k]; k++) {
            int in_ref = has_word(ref, k_keywords[k]), in_hyp = has_word(r.text, k_keywords[k]);
            kw += in_ref;
            kw_hit += in_ref && in_hyp;
            kw_false += !in_ref && in_hyp;
        }
        tot_end += e1 - e0;
        tot_all += e1 - a0;
        tot_audio += n8 / 8.0;
        printf("  %-46s -> %-46s errs %d/%d conf %.2f end %.0f ms, all %.0f ms for %.0f ms audio\n",
               ref, r.text, e, nref, r.conf, e1 - e0, e1 - a0, n8 / 8.0);
    }
    printf("  SUMMARY %s, %s, %s %d wpm, %s: word accuracy %.1f%% (WER %.1f%%, %d/%d words wrong), %d/%zu exact, "
           "keywords %d/%d heard (+%d false), end-of-utterance %.0f ms avg, decode %.0f ms per "
           "utterance (%.2fx real time)\n",
           su->name, grammar ? "grammar" : "LM", g_voice, g_wpm, lead || tail ? "vad-framed" : "tight",
           100.0 * (1 - (double)tot_err / tot_words), 100.0 * tot_err / tot_words, tot_err,
           tot_words, exact, su->n_lines, kw_hit, kw, kw_false, tot_end / su->n_lines,
           tot_all / su->n_lines,
           tot_all / tot_audio);
    hk_stt_sphinx_stat ss;
    hk_stt_sphinx_stats(&ss);
    printf("  so far: %ld utterances decoded as spoken (%ld of %ld samples of them before their "
           "end), %ld decoded whole at their end\n",
           ss.utterances_streamed, ss.samples_streamed, ss.samples_streamed + ss.samples_at_end,
           ss.utterances_whole);
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
    if (argc > 3) g_wpm = atoi(argv[3]);
    for (size_t s = 0; s < N(k_suites); s++)
        for (int framed = 0; framed < 2; framed++) {
            int lead = framed ? 200 : 0, tail = framed ? 500 : 0;
            if (strcmp(only, "lm") != 0) run_mode(loop, &k_suites[s], 1, lead, tail);
            if (strcmp(only, "grammar") != 0) run_mode(loop, &k_suites[s], 0, lead, tail);
        }
    hk_pool_free(pool);
    return 0;
}
