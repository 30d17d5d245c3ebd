/* providers/tts_espeak: text-to-speech with espeak-ng, offline.
 * Owns the process's one espeak-ng engine: a global, non-thread-safe singleton,
 * so every use holds g_mu and all pool work shares one lane (requests complete
 * in order). speak() and push() only queue jobs (one per pushed piece):
 * synthesis, the 22050 -> 8000 Hz resample and mu-law encoding run on a
 * worker; the sink is called on the loop thread.
 * Never blocks the loop; never calls espeak-ng without g_mu. */
#include "providers/tts_espeak.h"

#include <espeak-ng/speak_lib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
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
static unsigned long g_jobs_made; /* pieces queued for synthesis (loop thread only) */

unsigned long hk_tts_espeak_jobs(void) { return g_jobs_made; }

typedef struct synth_acc {
    int16_t *pcm;
    size_t n, cap;
    hk_word_mark *marks; /* text_pos/text_len in characters until chars_to_bytes */
    size_t n_marks, cap_marks;
    const atomic_uint *gen; /* abort when this moves away from want_gen */
    unsigned want_gen;
    int oom, aborted;
} synth_acc;

/* Called by espeak_Synth on this thread, once per block of audio + events. */
static int on_synth(short *wav, int numsamples, espeak_EVENT *ev) {
    synth_acc *acc = ev ? ev->user_data : NULL;
    if (!acc) return 0;
    if (acc->gen && atomic_load(acc->gen) != acc->want_gen) {
        acc->aborted = 1;
        return 1; /* cancelled: stop synthesising */
    }
    if (wav && numsamples > 0) {
        if (hk_grow((void **)&acc->pcm, &acc->cap, acc->n + (size_t)numsamples, sizeof *acc->pcm)) {
            acc->oom = 1;
            return 1;
        }
        memcpy(acc->pcm + acc->n, wav, (size_t)numsamples * sizeof *wav);
        acc->n += (size_t)numsamples;
    }
    for (; ev && ev->type != espeakEVENT_LIST_TERMINATED; ev++) {
        if (ev->type != espeakEVENT_WORD || ev->text_position < 1) continue;
        if (hk_grow((void **)&acc->marks, &acc->cap_marks, acc->n_marks + 1, sizeof *acc->marks)) {
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

/* 0 once the engine is up, -1 when it cannot start. */
static int init_locked(void) {
    if (g_rate == 0) {
        g_rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL, espeakINITIALIZE_DONT_EXIT);
        if (g_rate <= 0) g_rate = -1;
        else espeak_SetSynthCallback(on_synth);
    }
    return g_rate < 0 ? -1 : 0;
}

static int synth_locked(const char *text, const char *voice, int rate, int pitch, synth_acc *acc,
                        char *err, size_t errlen) {
    if (!*text) return 0; /* espeak-ng would still make a few ms of silence */
    if (init_locked() != 0) {
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

int hk_espeak_voice_for_language(const char *lang, char *voice, size_t n) {
    char tries[2][40];
    size_t len = strlen(lang);
    if (len >= sizeof tries[0]) return -1;
    for (size_t i = 0; i <= len; i++) /* "pt-BR" -> "pt-br", espeak-ng's spelling */
        tries[0][i] = (char)(lang[i] >= 'A' && lang[i] <= 'Z' ? lang[i] + 32 : lang[i]);
    memcpy(tries[1], tries[0], len + 1);
    char *dash = strchr(tries[1], '-');
    if (dash) *dash = 0; /* "de-DE" -> "de" */
    int rc = -1;
    pthread_mutex_lock(&g_mu);
    if (init_locked() == 0)
        for (int i = 0; i < (dash ? 2 : 1) && rc != 0; i++)
            if (espeak_SetVoiceByName(tries[i]) == EE_OK) {
                snprintf(g_voice, sizeof g_voice, "%.39s", tries[i]); /* now the engine's voice */
                snprintf(voice, n, "%s", tries[i]);
                rc = 0;
            }
    if (rc != 0) g_voice[0] = 0; /* a failed selection may leave the engine anywhere */
    pthread_mutex_unlock(&g_mu);
    return rc;
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

typedef struct tts_job tts_job;

/* One request: the text pushed so far and the audio delivered so far (the
 * offsets of its next piece's word marks). Pieces of the oldest request still
 * being pushed go to the pool at once; pieces of later requests wait in their
 * request until every earlier request has pushed its last piece, so the pool
 * lane (first in, first out) finishes requests in order. A request lives while
 * it is listed (not ended, or still holding waiting pieces) or has jobs. */
typedef struct tts_req {
    struct tts_req *next;       /* in hk_tts.reqs, ids increasing */
    uint64_t id;
    uint32_t text_bytes;        /* bytes pushed so far */
    uint64_t samples;           /* 8 kHz samples delivered so far */
    tts_job *wait_head, *wait_tail; /* pieces not yet submitted */
    int ended;                  /* the piece with last=1 was pushed */
    int failed;                 /* a piece failed: done(ok=0) sent, the rest is dropped */
    int listed;
    int jobs;                   /* submitted, done() not run */
} tts_req;

struct hk_tts {
    struct ev_loop *loop;
    hk_pool *pool;
    hk_tts_sink sink;
    char voice[64];
    int rate, pitch;
    atomic_uint gen;   /* bumped by cancel(); read by workers to abort early */
    int in_flight;     /* jobs whose done() has not run */
    int closed;        /* close() called: freed by the last done() */
    tts_req *reqs;     /* requests still taking pieces; the head is being submitted */
    uint64_t max_id;   /* highest request id opened (ids only increase) */
    int any_id;
};

struct tts_job {
    hk_job job;
    hk_tts *tts;
    tts_req *req;
    tts_job *wait_next;
    uint64_t req_id;
    unsigned gen;
    char *text;
    uint32_t text_off; /* the request's text pushed before this piece */
    int last;
    /* results, written by the worker */
    int ok;
    char err[128];
    uint8_t *ulaw;
    size_t n;
    hk_word_mark *marks;
    size_t n_marks;
};

static void tts_free(hk_tts *t) { free(t); }

static void job_free(tts_job *job) {
    free(job->text);
    free(job->ulaw);
    free(job->marks);
    free(job);
}

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
    return !job->tts->closed && atomic_load(&job->tts->gen) == job->gen && !job->req->failed;
}

static void job_done(hk_job *j) {
    tts_job *job = (tts_job *)j;
    hk_tts *t = job->tts;
    tts_req *r = job->req;
    const hk_tts_sink *s = &t->sink;
    if (job->ok && job_live(job)) {
        /* this piece's marks, placed in the request's whole text and audio */
        uint32_t ms_before = (uint32_t)(r->samples / 8);
        for (size_t i = 0; i < job->n_marks; i++) {
            job->marks[i].text_pos += job->text_off;
            job->marks[i].audio_ms += ms_before;
        }
        r->samples += job->n;
        if (job->n_marks && s->words) s->words(s->ud, job->req_id, job->marks, job->n_marks);
        if (job->n && s->audio && job_live(job)) s->audio(s->ud, job->req_id, job->ulaw, job->n);
        if (job->last && s->done && job_live(job)) s->done(s->ud, job->req_id, 1, NULL);
    } else if (!job->ok && job_live(job)) {
        r->failed = 1; /* one done per request: the pieces after this one are dropped */
        if (s->done) s->done(s->ud, job->req_id, 0, job->err);
    }
    job_free(job);
    if (--r->jobs == 0 && !r->listed) free(r);
    if (--t->in_flight == 0 && t->closed) tts_free(t);
}

static void job_submit(hk_tts *t, tts_job *job) {
    job->req->jobs++;
    t->in_flight++;
    hk_pool_submit(t->pool, &job->job);
}

/* Submit what may go now: the head request's pieces; once the head has pushed
 * its last piece, the next request becomes the head. */
static void reqs_pump(hk_tts *t) {
    while (t->reqs) {
        tts_req *r = t->reqs;
        while (r->wait_head) {
            tts_job *job = r->wait_head;
            r->wait_head = job->wait_next;
            job_submit(t, job);
        }
        r->wait_tail = NULL;
        if (!r->ended) return;
        t->reqs = r->next;
        r->listed = 0;
        if (r->jobs == 0) free(r);
    }
}

/* Forget every request: waiting pieces are freed here, submitted ones are
 * dropped by their done() (the generation moved). */
static void reqs_drop(hk_tts *t) {
    while (t->reqs) {
        tts_req *r = t->reqs;
        t->reqs = r->next;
        while (r->wait_head) {
            tts_job *job = r->wait_head;
            r->wait_head = job->wait_next;
            job_free(job);
        }
        r->listed = 0;
        if (r->jobs == 0) free(r);
    }
}

static tts_req *req_find_or_open(hk_tts *t, uint64_t id) {
    tts_req **pp = &t->reqs;
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->id == id) return *pp;
    if (t->any_id && id <= t->max_id) return NULL; /* ended, cancelled or out of order */
    tts_req *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->id = id;
    r->listed = 1;
    *pp = r;
    t->max_id = id;
    t->any_id = 1;
    return r;
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

/* Every piece is synthesised as soon as it may be (flush changes nothing:
 * espeak-ng is fast enough that a piece is never worth holding back). */
static int espeak_push(hk_tts *t, uint64_t req_id, const char *text, int flush, int last) {
    (void)flush;
    if (!t || t->closed || !text) return -1;
    tts_req *r = req_find_or_open(t, req_id);
    if (!r || r->ended) return -1;
    size_t len = strlen(text);
    if (len > UINT32_MAX - r->text_bytes) return -1;
    if (r->failed || (len == 0 && !last)) { /* nothing to synthesise */
        r->ended = last;
        reqs_pump(t);
        return 0;
    }
    tts_job *job = calloc(1, sizeof *job);
    if (!job || !(job->text = strdup(text))) {
        free(job);
        return -1;
    }
    g_jobs_made++;
    job->tts = t;
    job->req = r;
    job->req_id = req_id;
    job->gen = atomic_load(&t->gen);
    job->text_off = r->text_bytes;
    job->last = last;
    job->job.work = job_work;
    job->job.done = job_done;
    job->job.lane = &g_lane;
    r->text_bytes += (uint32_t)len;
    r->ended = last;
    if (r == t->reqs) {
        job_submit(t, job);
    } else { /* an earlier request is still being pushed: wait behind it */
        if (r->wait_tail) r->wait_tail->wait_next = job;
        else r->wait_head = job;
        r->wait_tail = job;
    }
    reqs_pump(t);
    return 0;
}

static int espeak_speak(hk_tts *t, uint64_t req_id, const char *text) {
    return espeak_push(t, req_id, text, 1, 1);
}

static void espeak_cancel(hk_tts *t) {
    if (!t) return;
    atomic_fetch_add(&t->gen, 1);
    reqs_drop(t);
}

static void espeak_close(hk_tts *t) {
    if (!t || t->closed) return;
    t->closed = 1;
    atomic_fetch_add(&t->gen, 1); /* queued jobs skip their synthesis */
    reqs_drop(t);
    if (t->in_flight == 0) tts_free(t);
}

const hk_tts_vtable hk_tts_espeak = {
    .name = "espeak",
    .open = espeak_open,
    .speak = espeak_speak,
    .push = espeak_push,
    .cancel = espeak_cancel,
    .close = espeak_close,
};
