/* providers/stt_sphinx: speech-to-text with pocketsphinx, offline.
 * Owns a call's utterance audio, never a decoder for longer than an utterance:
 * decoders, the model and the hint grammars are the worker's (sphinx_pool.c),
 * so an idle call costs a few hundred bytes. The stream's state below "worker"
 * is only touched by pool jobs in the stream's own lane (the stream's address),
 * so those jobs run one at a time in order: open (find the cached grammar, make
 * sure a decoder exists), audio batches (silence trim into the utterance
 * buffer; with the language model, also the streamed decode below), end
 * (decode, give the decoder back), reset (cancel), close (free). The loop
 * thread only buffers audio and delivers results: it never waits on a decoder.
 *
 * With hints, utterances are decoded whole at their end: the model normalises
 * cepstra per utterance (feat.params: -cmn batch), and incremental decoding
 * switches that to a running estimate that starts from the model's defaults,
 * which lost "book an appointment" in the first utterance of every test voice.
 * Grammar decoding is fast (~0.03x real time), so the end costs tens of ms.
 *
 * The language model (no hints) is ~10x slower, too slow to run all at the end
 * (~0.7-0.9 s after the caller stops). So when an utterance starts (its first
 * loud frame) the call reserves a free shared decoder (sphinx_pool.h:
 * reservations; a decoder, not a thread) and each audio job feeds the new
 * trimmed speech to it; the end job processes only the tail. The running CMN
 * estimate is the call's own (saved and reloaded around each reservation), as
 * it was when every call had its decoder. No free decoder at the start: it is
 * tried again with every batch, and at worst the utterance is decoded whole at
 * its end on any decoder, as with hints. End, cancel and close release it. */
#include "providers/stt_sphinx.h"

#include <limits.h>
#include <pocketsphinx.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/log.h"
#include "core/pool.h"
#include "media/g711.h"
#include "media/resample.h"
#include "media/vad.h"
#include "providers/sphinx_pool.h"

#ifndef HARK_SPHINX_MODEL_DIR
#define HARK_SPHINX_MODEL_DIR "/usr/share/pocketsphinx/model/en-us"
#endif

/* Audio is handed to the lane in batches of at least this many 8 kHz samples
 * (100 ms); while one batch is trimmed the next accumulates. */
#define BATCH_SAMPLES 800

/* Silence trimming. An utterance arrives with the VAD's pre-roll and hangover
 * (~0.5 s of silence); decoded, that silence turns into inserted words (with the
 * grammar, 0.3 s of quiet noise around each line cost over 20 points of word
 * accuracy). So quiet 10 ms frames are held back and only fed when speech
 * follows them (a pause between words); at the edges only TRIM_KEEP is kept. */
#define TRIM_FRAME 80            /* 10 ms at 8 kHz */
#define TRIM_DB (-45.0)          /* quieter frames are silence (the VAD's stop level) */
#define TRIM_KEEP 240            /* 30 ms of silence kept before and after speech */
#define TRIM_HOLD_MAX 16000      /* a pause longer than 2 s is fed in part anyway */
#define UTT_MAX (60 * 8000)      /* at most 60 s of an utterance is decoded */

/* A streamed decode is fed once this much new trimmed speech is buffered. */
#define STREAM_CHUNK 800         /* 100 ms at 8 kHz */

/* Process-wide counters (hk_stt_sphinx_stats), any thread. */
static atomic_long g_utts_streamed, g_utts_whole, g_chunks_streamed, g_samples_streamed,
    g_samples_at_end;

typedef enum { J_OPEN, J_AUDIO, J_END, J_RESET, J_CLOSE } job_kind;

struct hk_stt {
    /* loop thread */
    hk_pool *pool;
    hk_stt_sink sink;
    int16_t *pending; /* 8 kHz audio not yet handed to a job */
    size_t n_pending, cap_pending;
    int audio_busy;   /* an audio job is queued or running */
    int in_flight;    /* jobs whose done() has not run */
    int closed;
    int failed;       /* no decoder can be built */
    struct stt_job *close_job; /* allocated by open(): close() cannot fail */
    /* shared: written by the loop, read by workers */
    atomic_uint seq;           /* utterance sequence number (bumped by end and cancel) */
    atomic_uint cancelled_seq; /* audio of this utterance is skipped */
    atomic_int abandoned;      /* closed: skip the open work */
    /* read-only after open() (phrases: until the open job is done) */
    char model_dir[512];
    char **phrases;
    size_t n_phrases;
    /* worker (the stream's lane) */
    int ready;                 /* open succeeded */
    hk_sphinx_grammar *grammar; /* NULL: the general language model */
    int16_t *utt;              /* the utterance so far (trimmed), 8 kHz */
    size_t n_utt, cap_utt;
    int utt_full;
    int heard;                 /* a loud frame was seen in this utterance */
    int16_t part[TRIM_FRAME];  /* samples short of a whole frame */
    size_t n_part;
    int16_t *hold;             /* quiet frames not fed yet (TRIM_HOLD_MAX, while speaking) */
    size_t n_hold;
    /* worker: the streamed decode (language model only) */
    hk_sphinx_decoder *res;    /* reserved for this utterance, its utterance started */
    hk_resampler *rs;          /* 8 -> 16 kHz, while res */
    int rs_skip;               /* resampler delay still to drop (16 kHz samples) */
    size_t n_fed;              /* samples of utt already given to res */
    int tried_build;           /* this utterance already asked for a decoder to be built */
    hk_sphinx_cmn cmn;         /* the call's running CMN estimate */
    char open_err[200];
};

typedef struct stt_job {
    hk_job job;
    hk_stt *stt;
    job_kind kind;
    unsigned seq;
    uint64_t utt_id;
    int16_t *pcm; /* 8 kHz, owned */
    size_t n;
    /* results */
    int ok;
    char *text;
    double conf;
    char err[200];
} stt_job;

/* ---- worker side ------------------------------------------------------- */

static void w_open(hk_stt *s) {
    if (atomic_load(&s->abandoned)) return;
    char gerr[160];
    if (s->n_phrases) {
        /* cached per phrase list: the dictionary is scanned once per agent version */
        s->grammar = hk_sphinx_grammar_get(s->model_dir, (const char *const *)s->phrases,
                                           s->n_phrases, gerr, sizeof gerr);
        if (!s->grammar)
            hk_log(HK_LOG_WARN, NULL, "stt_grammar_unusable",
                   "sphinx: %s; using the general language model", gerr);
    }
    if (hk_sphinx_decoder_warm(s->model_dir, s->grammar, s->open_err, sizeof s->open_err) == 0)
        s->ready = 1;
}

/* Trimmed speech (8 kHz) into the utterance buffer. Idle calls hold none: the
 * buffer is freed when the utterance is decoded. */
static int w_feed(hk_stt *s, const int16_t *pcm8, size_t n) {
    if (n == 0) return 0;
    if (s->n_utt + n > UTT_MAX) {
        if (!s->utt_full)
            hk_log(HK_LOG_WARN, NULL, "stt_utterance_long",
                   "sphinx: utterance longer than %d s: the rest is ignored", UTT_MAX / 8000);
        s->utt_full = 1;
        return 0;
    }
    if (s->n_utt + n > s->cap_utt) {
        size_t c = s->cap_utt ? s->cap_utt * 2 : 5 * 8000;
        while (c < s->n_utt + n) c *= 2;
        if (c > UTT_MAX) c = UTT_MAX;
        int16_t *p = realloc(s->utt, c * sizeof *p);
        if (!p) return -1;
        s->utt = p;
        s->cap_utt = c;
    }
    memcpy(s->utt + s->n_utt, pcm8, n * sizeof *pcm8);
    s->n_utt += n;
    return 0;
}

static void hold_drop_front(hk_stt *s, size_t k) {
    memmove(s->hold, s->hold + k, (s->n_hold - k) * sizeof *s->hold);
    s->n_hold -= k;
}

/* One 10 ms frame through the trimmer. */
static int w_frame(hk_stt *s, const int16_t *f) {
    int rc = 0;
    if (hk_frame_dbfs(f, TRIM_FRAME) > TRIM_DB) {
        if (!s->heard && s->n_hold > TRIM_KEEP) hold_drop_front(s, s->n_hold - TRIM_KEEP);
        rc = w_feed(s, s->hold, s->n_hold);
        s->n_hold = 0;
        s->heard = 1;
        return rc ? rc : w_feed(s, f, TRIM_FRAME);
    }
    if (!s->hold && !(s->hold = malloc(TRIM_HOLD_MAX * sizeof *s->hold))) return -1;
    if (s->n_hold + TRIM_FRAME > TRIM_HOLD_MAX) {
        size_t k = TRIM_HOLD_MAX / 2;
        if (s->heard) rc = w_feed(s, s->hold, k); /* before speech: just drop */
        hold_drop_front(s, k);
    }
    memcpy(s->hold + s->n_hold, f, TRIM_FRAME * sizeof *f);
    s->n_hold += TRIM_FRAME;
    return rc;
}

static int w_audio(hk_stt *s, const int16_t *pcm, size_t n) {
    int rc = 0;
    while (n > 0 && rc == 0) {
        size_t k = TRIM_FRAME - s->n_part;
        if (k > n) k = n;
        memcpy(s->part + s->n_part, pcm, k * sizeof *pcm);
        s->n_part += k;
        pcm += k;
        n -= k;
        if (s->n_part == TRIM_FRAME) {
            s->n_part = 0;
            rc = w_frame(s, s->part);
        }
    }
    return rc;
}

/* Gives the reserved decoder back (its utterance ended or dropped). */
static void w_stream_drop(hk_stt *s, int end_utt) {
    if (!s->res) return;
    if (end_utt) ps_end_utt(hk_sphinx_decoder_ps(s->res));
    hk_sphinx_decoder_release(s->res);
    s->res = NULL;
    hk_resampler_free(s->rs);
    s->rs = NULL;
    s->n_fed = 0;
}

/* The utterance's samples from n_fed on, resampled, into the reserved decoder. */
static int w_stream_feed(hk_stt *s) {
    size_t n = s->n_utt - s->n_fed;
    if (n == 0) return 0;
    size_t cap = hk_resampler_max_out(s->rs, n);
    int16_t *pcm16 = malloc(cap * sizeof *pcm16);
    if (!pcm16) return -1;
    size_t n16 = hk_resampler_process(s->rs, s->utt + s->n_fed, n, pcm16, cap);
    size_t skip = (size_t)s->rs_skip < n16 ? (size_t)s->rs_skip : n16;
    s->rs_skip -= (int)skip;
    int rc = 0;
    if (n16 > skip &&
        ps_process_raw(hk_sphinx_decoder_ps(s->res), pcm16 + skip, n16 - skip, FALSE, FALSE) < 0)
        rc = -1;
    free(pcm16);
    s->n_fed = s->n_utt;
    return rc;
}

/* After an audio batch: start streaming the utterance if it has begun and a
 * decoder is free, and feed what is new. A failure falls back to decoding the
 * buffered utterance whole at its end. */
static void w_stream(hk_stt *s) {
    if (s->grammar || !s->heard || s->utt_full) return;
    if (!s->res) {
        s->res = hk_sphinx_decoder_reserve(s->model_dir, NULL, !s->tried_build);
        s->tried_build = 1;
        if (!s->res) return;
        hk_sphinx_decoder_cmn_load(s->res, &s->cmn);
        s->rs = hk_resampler_new(8000, 16000);
        s->n_fed = 0;
        if (!s->rs || ps_start_utt(hk_sphinx_decoder_ps(s->res)) < 0) {
            w_stream_drop(s, 0);
            return;
        }
        s->rs_skip = hk_resampler_latency(s->rs);
    }
    if (s->n_utt - s->n_fed < STREAM_CHUNK) return;
    size_t n = s->n_utt - s->n_fed;
    if (w_stream_feed(s) != 0) {
        hk_log(HK_LOG_WARN, NULL, "stt_decode_failed",
               "sphinx: streaming failed; decoding the utterance at its end");
        w_stream_drop(s, 1);
        s->n_fed = 0;
        return;
    }
    atomic_fetch_add(&g_chunks_streamed, 1);
    atomic_fetch_add(&g_samples_streamed, (long)n);
}

/* Forgets the utterance in progress, its buffers and its reserved decoder. */
static void w_utt_reset(hk_stt *s) {
    free(s->utt);
    s->utt = NULL;
    s->n_utt = s->cap_utt = 0;
    s->utt_full = 0;
    free(s->hold);
    s->hold = NULL;
    s->n_hold = s->n_part = 0;
    s->heard = 0;
    w_stream_drop(s, 1);
    s->tried_build = 0;
}

/* The posterior probability of the best path through the lattice: near 1 when
 * no other word sequence came close, low when the decoder was guessing. With a
 * grammar pocketsphinx always reports 1 (measured: right and wrong alike), so
 * there it is "unavailable" (-1) rather than a number that misleads. */
static double w_confidence(hk_stt *s, ps_decoder_t *ps) {
    if (s->grammar) return -1;
    int32 post = ps_get_prob(ps);
    if (post > 0) return -1;
    double p = logmath_exp(ps_get_logmath(ps), post);
    if (p < 0 || p > 1) return -1;
    return p;
}

/* The hypothesis of an ended utterance into job->text (and its confidence). */
static void w_hyp(hk_stt *s, stt_job *job, ps_decoder_t *ps) {
    int32 score;
    const char *hyp = ps_get_hyp(ps, &score);
    if (hyp && *hyp) job->conf = w_confidence(s, ps);
    if (!(job->text = strdup(hyp ? hyp : ""))) snprintf(job->err, sizeof job->err, "out of memory");
}

/* Decodes the utterance whole on a shared decoder; *text NULL on failure. */
static void w_decode(hk_stt *s, stt_job *job) {
    /* whole-buffer resampling (the model is 16 kHz), aligned in time: measured a
     * few points of accuracy better than a streaming resampler's delayed output */
    int16_t *pcm16 = NULL;
    size_t n16 = 0;
    if (hk_resample_buffer(8000, 16000, s->utt, s->n_utt, &pcm16, &n16) != 0) {
        snprintf(job->err, sizeof job->err, "sphinx: decoding failed");
        return;
    }
    hk_sphinx_decoder *d = hk_sphinx_decoder_acquire(s->model_dir, s->grammar, job->err,
                                                     sizeof job->err);
    if (!d) {
        free(pcm16);
        return;
    }
    ps_decoder_t *ps = hk_sphinx_decoder_ps(d);
    int rc = ps_start_utt(ps) < 0 ? -1 : 0;
    if (rc == 0) {
        if (ps_process_raw(ps, pcm16, n16, FALSE, TRUE) < 0) rc = -1;
        if (ps_end_utt(ps) < 0) rc = -1;
    }
    free(pcm16);
    if (rc == 0) w_hyp(s, job, ps);
    else snprintf(job->err, sizeof job->err, "sphinx: decoding failed");
    hk_sphinx_decoder_release(d);
    atomic_fetch_add(&g_utts_whole, 1);
}

/* Ends a streamed utterance: only the tail not fed yet is processed here. */
static void w_stream_end(hk_stt *s, stt_job *job) {
    ps_decoder_t *ps = hk_sphinx_decoder_ps(s->res);
    size_t tail = s->n_utt - s->n_fed;
    int rc = w_stream_feed(s);
    if (ps_end_utt(ps) < 0) rc = -1;
    if (rc == 0) {
        w_hyp(s, job, ps);
        hk_sphinx_decoder_cmn_save(s->res, &s->cmn);
        atomic_fetch_add(&g_utts_streamed, 1);
        atomic_fetch_add(&g_samples_at_end, (long)tail);
    } else {
        snprintf(job->err, sizeof job->err, "sphinx: decoding failed");
    }
    w_stream_drop(s, 0);
}

static void w_end(stt_job *job) {
    hk_stt *s = job->stt;
    job->conf = -1;
    if (!s->ready) {
        snprintf(job->err, sizeof job->err, "%s", s->open_err[0] ? s->open_err : "sphinx: no decoder");
        return;
    }
    int rc = w_audio(s, job->pcm, job->n);
    /* end of utterance: keep a little of the trailing silence, drop the rest */
    if (rc == 0 && s->heard) rc = w_feed(s, s->hold, s->n_hold < TRIM_KEEP ? s->n_hold : TRIM_KEEP);
    if (rc != 0) snprintf(job->err, sizeof job->err, "sphinx: decoding failed");
    else if (s->res) w_stream_end(s, job);
    else if (s->n_utt == 0 && !(job->text = strdup(""))) snprintf(job->err, sizeof job->err, "out of memory");
    else if (s->n_utt > 0) w_decode(s, job);
    w_utt_reset(s);
    job->ok = job->text != NULL;
}

static void job_work(hk_job *j) {
    stt_job *job = (stt_job *)j;
    hk_stt *s = job->stt;
    switch (job->kind) {
    case J_OPEN:
        w_open(s);
        job->ok = s->ready; /* done() must not read s: a close job may be running */
        break;
    case J_AUDIO:
        if (!s->ready || job->seq == atomic_load(&s->cancelled_seq)) break;
        if (w_audio(s, job->pcm, job->n))
            hk_log(HK_LOG_WARN, NULL, "stt_decode_failed", "sphinx: processing audio failed");
        else
            w_stream(s);
        break;
    case J_END:
        w_end(job);
        break;
    case J_RESET:
        w_utt_reset(s);
        break;
    case J_CLOSE:
        w_utt_reset(s);
        hk_sphinx_grammar_release(s->grammar);
        s->grammar = NULL;
        break;
    }
}

/* ---- loop side --------------------------------------------------------- */

static void stt_free(hk_stt *s) {
    free(s->close_job);
    for (size_t i = 0; i < s->n_phrases; i++) free(s->phrases[i]);
    free(s->phrases);
    free(s->pending);
    free(s);
}

static void submit(hk_stt *s, stt_job *job);
static void submit_audio(hk_stt *s);

static void job_done(hk_job *j) {
    stt_job *job = (stt_job *)j;
    hk_stt *s = job->stt;
    const hk_stt_sink *k = &s->sink;
    switch (job->kind) {
    case J_OPEN:
        /* the grammar (shared) holds the phrases now: an idle call keeps no copy */
        for (size_t i = 0; i < s->n_phrases; i++) free(s->phrases[i]);
        free(s->phrases);
        s->phrases = NULL;
        s->n_phrases = 0;
        if (!job->ok && !s->closed) {
            s->failed = 1;
            s->n_pending = 0;
            if (k->error) k->error(k->ud, s->open_err[0] ? s->open_err : "sphinx: no decoder");
        }
        break;
    case J_AUDIO:
        s->audio_busy = 0;
        if (!s->closed && s->n_pending >= BATCH_SAMPLES) submit_audio(s);
        break;
    case J_END:
        if (s->closed) break;
        if (job->ok) {
            if (k->transcript) k->transcript(k->ud, job->utt_id, job->text, 1, job->conf);
        } else if (k->error) {
            k->error(k->ud, job->err);
        }
        break;
    case J_RESET:
    case J_CLOSE:
        break;
    }
    free(job->pcm);
    free(job->text);
    free(job);
    if (--s->in_flight == 0 && s->closed) stt_free(s);
}

static stt_job *new_job(hk_stt *s, job_kind kind) {
    stt_job *job = calloc(1, sizeof *job);
    if (!job) return NULL;
    job->stt = s;
    job->kind = kind;
    job->seq = atomic_load(&s->seq);
    job->job.work = job_work;
    job->job.done = job_done;
    job->job.lane = s;
    return job;
}

static void submit(hk_stt *s, stt_job *job) {
    s->in_flight++;
    hk_pool_submit(s->pool, &job->job);
}

/* Hands the pending audio to a job (the job owns the buffer). */
static void take_pending(hk_stt *s, stt_job *job) {
    job->pcm = s->pending;
    job->n = s->n_pending;
    s->pending = NULL;
    s->n_pending = s->cap_pending = 0;
}

static void submit_audio(hk_stt *s) {
    stt_job *job = new_job(s, J_AUDIO);
    if (!job) return; /* the audio stays pending for the next batch */
    take_pending(s, job);
    s->audio_busy = 1;
    submit(s, job);
}

static hk_stt *sphinx_open(struct ev_loop *loop, const hk_stt_config *cfg,
                           const hk_stt_sink *sink, char *err, size_t errlen) {
    (void)loop;
    hk_pool *pool = hk_pool_global();
    if (!pool) {
        snprintf(err, errlen, "sphinx: no thread pool");
        return NULL;
    }
    if (!sink) {
        snprintf(err, errlen, "sphinx: no sink");
        return NULL;
    }
    if (cfg && cfg->language && *cfg->language && strncasecmp(cfg->language, "en", 2) != 0) {
        snprintf(err, errlen, "sphinx: only an English model is installed (language \"%s\")",
                 cfg->language);
        return NULL;
    }
    const char *dir = cfg && cfg->model_dir && *cfg->model_dir ? cfg->model_dir
                                                               : HARK_SPHINX_MODEL_DIR;
    char mdef[600];
    struct stat st;
    snprintf(mdef, sizeof mdef, "%s/en-us/mdef", dir);
    if (strlen(dir) >= sizeof ((hk_stt *)0)->model_dir || stat(mdef, &st) != 0) {
        snprintf(err, errlen, "sphinx: no acoustic model at %s/en-us", dir);
        return NULL;
    }
    hk_stt *s = calloc(1, sizeof *s);
    if (!s) goto oom;
    s->pool = pool;
    s->sink = *sink;
    snprintf(s->model_dir, sizeof s->model_dir, "%s", dir);
    atomic_init(&s->seq, 0);
    atomic_init(&s->cancelled_seq, UINT_MAX);
    atomic_init(&s->abandoned, 0);
    if (cfg && cfg->n_phrases) {
        s->phrases = calloc(cfg->n_phrases, sizeof *s->phrases);
        if (!s->phrases) goto oom;
        for (size_t i = 0; i < cfg->n_phrases; i++) {
            const char *p = cfg->phrases[i] ? cfg->phrases[i] : "";
            if (!(s->phrases[s->n_phrases++] = strdup(p))) goto oom;
        }
    }
    hk_g711_init(); /* push() decodes mu-law when no PCM is given */
    if (!(s->close_job = new_job(s, J_CLOSE))) goto oom;
    stt_job *job = new_job(s, J_OPEN);
    if (!job) goto oom;
    submit(s, job);
    return s;
oom:
    if (s) stt_free(s);
    snprintf(err, errlen, "out of memory");
    return NULL;
}

static void sphinx_push(hk_stt *s, const uint8_t *ulaw, const int16_t *pcm, size_t n) {
    if (!s || s->closed || s->failed || n == 0 || (!pcm && !ulaw)) return;
    if (s->n_pending + n > s->cap_pending) {
        size_t cap = s->cap_pending ? s->cap_pending * 2 : 4 * BATCH_SAMPLES;
        while (cap < s->n_pending + n) cap *= 2;
        int16_t *p = realloc(s->pending, cap * sizeof *p);
        if (!p) {
            hk_log(HK_LOG_WARN, NULL, "stt_audio_dropped", "sphinx: out of memory");
            return;
        }
        s->pending = p;
        s->cap_pending = cap;
    }
    if (pcm) memcpy(s->pending + s->n_pending, pcm, n * sizeof *pcm);
    else hk_ulaw_decode_buf(ulaw, s->pending + s->n_pending, n);
    s->n_pending += n;
    if (!s->audio_busy && s->n_pending >= BATCH_SAMPLES) submit_audio(s);
}

static void sphinx_end_utterance(hk_stt *s, uint64_t utt_id) {
    if (!s || s->closed) return;
    stt_job *job = new_job(s, J_END);
    if (!job) {
        hk_log(HK_LOG_ERROR, NULL, "stt_end_failed", "sphinx: out of memory");
        return;
    }
    job->utt_id = utt_id;
    take_pending(s, job);
    atomic_fetch_add(&s->seq, 1);
    submit(s, job);
}

static void sphinx_cancel(hk_stt *s) {
    if (!s || s->closed) return;
    s->n_pending = 0;
    stt_job *job = new_job(s, J_RESET);
    atomic_store(&s->cancelled_seq, atomic_fetch_add(&s->seq, 1));
    if (job) submit(s, job);
}

static void sphinx_close(hk_stt *s) {
    if (!s || s->closed) return;
    s->closed = 1;
    atomic_store(&s->abandoned, 1);
    atomic_store(&s->cancelled_seq, atomic_load(&s->seq));
    stt_job *job = s->close_job;
    s->close_job = NULL;
    submit(s, job); /* releases a reserved decoder on the lane; its done() frees s */
}

void hk_stt_sphinx_stats(hk_stt_sphinx_stat *st) {
    st->utterances_streamed = atomic_load(&g_utts_streamed);
    st->utterances_whole = atomic_load(&g_utts_whole);
    st->chunks_streamed = atomic_load(&g_chunks_streamed);
    st->samples_streamed = atomic_load(&g_samples_streamed);
    st->samples_at_end = atomic_load(&g_samples_at_end);
}

const hk_stt_vtable hk_stt_sphinx = {
    .name = "sphinx",
    .open = sphinx_open,
    .push = sphinx_push,
    .end_utterance = sphinx_end_utterance,
    .cancel = sphinx_cancel,
    .close = sphinx_close,
};
