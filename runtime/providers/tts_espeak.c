/* providers/tts_espeak: text-to-speech with espeak-ng, offline.
 * Owns the process's one espeak-ng engine: a global, non-thread-safe singleton,
 * so every use holds g_mu and all pool work shares one lane (requests complete
 * in order). speak() only queues a job: synthesis, the 22050 -> 8000 Hz resample
 * and mu-law encoding run on a worker; the sink is called on the loop thread.
 * Never blocks the loop; never calls espeak-ng without g_mu. */
#include "providers/tts_espeak.h"

#include <espeak-ng/speak_lib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "media/g711.h"
#include "media/resample.h"

#define DEFAULT_VOICE "en-us"
#define DEFAULT_RATE 175
#define DEFAULT_PITCH 50

/* ---- the engine (every function here runs with g_mu held) -------------- */

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static int g_rate;          /* engine sample rate; 0: not initialised; -1: failed */
static char g_voice[64];    /* voice currently selected in the engine */
static const char g_lane;   /* the pool lane of all espeak-ng work */

typedef struct synth_acc {
    int16_t *pcm;
    size_t n, cap;
    hk_word_mark *marks; /* text_pos/text_len in characters until chars_to_bytes */
    size_t n_marks, cap_marks;
    const atomic_uint *gen; /* abort when this moves away from want_gen */
    unsigned want_gen;
    int oom, aborted;
} synth_acc;

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap * 2 : 4096 / elem;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* Called by espeak_Synth on this thread, once per block of audio + events. */
static int on_synth(short *wav, int numsamples, espeak_EVENT *ev) {
    synth_acc *acc = ev ? ev->user_data : NULL;
    if (!acc) return 0;
    if (acc->gen && atomic_load(acc->gen) != acc->want_gen) {
        acc->aborted = 1;
        return 1; /* cancelled: stop synthesising */
    }
    if (wav && numsamples > 0) {
        if (grow((void **)&acc->pcm, &acc->cap, acc->n + (size_t)numsamples, sizeof *acc->pcm)) {
            acc->oom = 1;
            return 1;
        }
        memcpy(acc->pcm + acc->n, wav, (size_t)numsamples * sizeof *wav);
        acc->n += (size_t)numsamples;
    }
    for (; ev && ev->type != espeakEVENT_LIST_TERMINATED; ev++) {
        if (ev->type != espeakEVENT_WORD || ev->text_position < 1) continue;
        if (grow((void **)&acc->marks, &acc->cap_marks, acc->n_marks + 1, sizeof *acc->marks)) {
            acc->oom = 1;
            return 1;
        }
        hk_word_mark *m = &acc->marks[acc->n_marks++];
        m->text_pos = (uint32_t)(ev->text_position - 1); /* espeak counts from 1 */
        m->text_len = ev->length > 0 ? (uint32_t)ev->length : 0;
        m->audio_ms = ev->audio_position > 0 ? (uint32_t)ev->audio_position : 0;
    }
    return 0;
}

/* espeak-ng reports positions in characters; the provider API speaks bytes. */
static void chars_to_bytes(const char *text, hk_word_mark *m, size_t n) {
    size_t len = strlen(text);
    for (size_t i = 0; i < n; i++) {
        size_t b = 0, c = 0;
        while (b < len && c < m[i].text_pos)
            if (((unsigned char)text[++b] & 0xC0) != 0x80) c++;
        size_t e = b;
        c = 0;
        while (e < len && c < m[i].text_len)
            if (((unsigned char)text[++e] & 0xC0) != 0x80) c++;
        m[i].text_pos = (uint32_t)b;
        m[i].text_len = (uint32_t)(e - b);
    }
}

static int synth_locked(const char *text, const char *voice, int rate, int pitch, synth_acc *acc,
                        char *err, size_t errlen) {
    if (!*text) return 0; /* espeak-ng would still make a few ms of silence */
    if (g_rate == 0) {
        g_rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL, espeakINITIALIZE_DONT_EXIT);
        if (g_rate <= 0) g_rate = -1;
        else espeak_SetSynthCallback(on_synth);
    }
    if (g_rate < 0) {
        snprintf(err, errlen, "espeak-ng failed to initialise (data files missing?)");
        return -1;
    }
    if (strcmp(g_voice, voice) != 0) {
        if (espeak_SetVoiceByName(voice) != EE_OK) {
            g_voice[0] = '\0';
            snprintf(err, errlen, "espeak-ng has no voice \"%s\"", voice);
            return -1;
        }
        snprintf(g_voice, sizeof g_voice, "%s", voice);
    }
    espeak_SetParameter(espeakRATE, rate, 0);
    espeak_SetParameter(espeakPITCH, pitch, 0);
    espeak_ERROR e = espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8,
                                  NULL, acc);
    if (e != EE_OK) {
        snprintf(err, errlen, "espeak-ng synthesis failed (%d)", (int)e);
        return -1;
    }
    if (acc->oom) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    chars_to_bytes(text, acc->marks, acc->n_marks);
    return 0;
}

static int clamp_rate(int r) {
    if (r <= 0) return DEFAULT_RATE;
    return r < espeakRATE_MINIMUM ? espeakRATE_MINIMUM : r > espeakRATE_MAXIMUM ? espeakRATE_MAXIMUM : r;
}

int hk_espeak_synth_pcm(const char *text, const char *voice, int rate_wpm, int16_t **pcm,
                        size_t *n, int *sample_rate) {
    if (!text || !pcm || !n) return -1;
    synth_acc acc = {0};
    char err[128];
    pthread_mutex_lock(&g_mu);
    int rc = synth_locked(text, voice && *voice ? voice : DEFAULT_VOICE, clamp_rate(rate_wpm),
                          DEFAULT_PITCH, &acc, err, sizeof err);
    int rate = g_rate;
    pthread_mutex_unlock(&g_mu);
    free(acc.marks);
    if (rc) {
        free(acc.pcm);
        return -1;
    }
    if (!acc.pcm) acc.pcm = malloc(sizeof *acc.pcm); /* empty text: a valid empty buffer */
    if (!acc.pcm) return -1;
    *pcm = acc.pcm;
    *n = acc.n;
    if (sample_rate) *sample_rate = rate;
    return 0;
}

/* ---- the provider ------------------------------------------------------ */

struct hk_tts {
    struct ev_loop *loop;
    hk_pool *pool;
    hk_tts_sink sink;
    char voice[64];
    int rate, pitch;
    atomic_uint gen;   /* bumped by cancel(); read by workers to abort early */
    int in_flight;     /* jobs whose done() has not run */
    int closed;        /* close() called: freed by the last done() */
};

typedef struct tts_job {
    hk_job job;
    hk_tts *tts;
    uint64_t req_id;
    unsigned gen;
    char *text;
    /* results, written by the worker */
    int ok;
    char err[128];
    uint8_t *ulaw;
    size_t n;
    hk_word_mark *marks;
    size_t n_marks;
} tts_job;

static void tts_free(hk_tts *t) { free(t); }

static void job_work(hk_job *j) {
    tts_job *job = (tts_job *)j;
    hk_tts *t = job->tts;
    synth_acc acc = {.gen = &t->gen, .want_gen = job->gen};
    if (atomic_load(&t->gen) != job->gen) return; /* cancelled while queued */
    pthread_mutex_lock(&g_mu);
    int rc = synth_locked(job->text, t->voice, t->rate, t->pitch, &acc, job->err, sizeof job->err);
    int in_rate = g_rate;
    pthread_mutex_unlock(&g_mu);
    job->marks = acc.marks;
    job->n_marks = acc.n_marks;
    if (rc || acc.aborted) {
        free(acc.pcm);
        return;
    }
    int16_t *pcm8 = NULL;
    size_t n8 = 0;
    if (acc.n > 0 && hk_resample_buffer(in_rate, 8000, acc.pcm, acc.n, &pcm8, &n8) != 0) {
        free(acc.pcm);
        snprintf(job->err, sizeof job->err, "resampling %d Hz to 8000 Hz failed", in_rate);
        return;
    }
    free(acc.pcm);
    if (n8 > 0) {
        job->ulaw = malloc(n8);
        if (!job->ulaw) {
            free(pcm8);
            snprintf(job->err, sizeof job->err, "out of memory");
            return;
        }
        hk_ulaw_encode_buf(pcm8, job->ulaw, n8);
        job->n = n8;
    }
    free(pcm8);
    job->ok = 1;
}

/* A sink callback may cancel or close the stream: check again before each one. */
static int job_live(const tts_job *job) {
    return !job->tts->closed && atomic_load(&job->tts->gen) == job->gen;
}

static void job_done(hk_job *j) {
    tts_job *job = (tts_job *)j;
    hk_tts *t = job->tts;
    const hk_tts_sink *s = &t->sink;
    if (job->ok && job->n_marks && s->words && job_live(job))
        s->words(s->ud, job->req_id, job->marks, job->n_marks);
    if (job->ok && job->n && s->audio && job_live(job))
        s->audio(s->ud, job->req_id, job->ulaw, job->n);
    if (s->done && job_live(job))
        s->done(s->ud, job->req_id, job->ok, job->ok ? NULL : job->err);
    free(job->text);
    free(job->ulaw);
    free(job->marks);
    free(job);
    if (--t->in_flight == 0 && t->closed) tts_free(t);
}

static hk_tts *espeak_open(struct ev_loop *loop, const hk_tts_config *cfg,
                           const hk_tts_sink *sink, char *err, size_t errlen) {
    hk_pool *pool = hk_pool_global();
    if (!pool) {
        snprintf(err, errlen, "espeak: no thread pool");
        return NULL;
    }
    if (!sink) {
        snprintf(err, errlen, "espeak: no sink");
        return NULL;
    }
    hk_tts *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    hk_g711_init(); /* workers encode with the tables: build them on this thread first */
    t->loop = loop;
    t->pool = pool;
    t->sink = *sink;
    const char *v = cfg && cfg->voice_id && *cfg->voice_id ? cfg->voice_id : DEFAULT_VOICE;
    if (strlen(v) >= sizeof t->voice) {
        snprintf(err, errlen, "espeak: voice name too long");
        free(t);
        return NULL;
    }
    snprintf(t->voice, sizeof t->voice, "%s", v);
    t->rate = clamp_rate(cfg ? cfg->rate_wpm : 0);
    int p = cfg ? cfg->pitch : -1;
    t->pitch = p < 0 ? DEFAULT_PITCH : p > 100 ? 100 : p;
    atomic_init(&t->gen, 0);
    return t;
}

static int espeak_speak(hk_tts *t, uint64_t req_id, const char *text) {
    if (!t || t->closed || !text) return -1;
    tts_job *job = calloc(1, sizeof *job);
    if (!job) return -1;
    job->text = strdup(text);
    if (!job->text) {
        free(job);
        return -1;
    }
    job->tts = t;
    job->req_id = req_id;
    job->gen = atomic_load(&t->gen);
    job->job.work = job_work;
    job->job.done = job_done;
    job->job.lane = &g_lane;
    t->in_flight++;
    hk_pool_submit(t->pool, &job->job);
    return 0;
}

static void espeak_cancel(hk_tts *t) {
    if (t) atomic_fetch_add(&t->gen, 1);
}

static void espeak_close(hk_tts *t) {
    if (!t || t->closed) return;
    t->closed = 1;
    atomic_fetch_add(&t->gen, 1); /* queued jobs skip their synthesis */
    if (t->in_flight == 0) tts_free(t);
}

const hk_tts_vtable hk_tts_espeak = {
    .name = "espeak",
    .open = espeak_open,
    .speak = espeak_speak,
    .cancel = espeak_cancel,
    .close = espeak_close,
};
