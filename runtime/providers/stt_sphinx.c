/* providers/stt_sphinx: speech-to-text with pocketsphinx, offline.
 * Owns one decoder per stream. The decoder is only ever touched by pool jobs in
 * the stream's own lane (the stream's address), so its jobs run one at a time in
 * order: open (build grammar + decoder), audio batches (silence trim, 8 -> 16 kHz
 * upsample, and with the language model incremental ps_process_raw), end
 * (hypothesis + confidence), reset (cancel), close (free). The loop thread only
 * buffers audio and delivers results: it never waits on the decoder.
 *
 * With the hint grammar the utterance is decoded whole at its end: the model
 * normalises cepstra per utterance (feat.params: -cmn batch), and incremental
 * decoding switches that to a running estimate that starts from the model's
 * defaults, which lost "book an appointment" in the first utterance of every
 * test voice. Grammar decoding is fast (~0.03x real time), so the end costs
 * tens of ms. The language model is ~10x slower: it decodes as audio comes. */
#include "providers/stt_sphinx.h"

#include <limits.h>
#include <pocketsphinx.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <sphinxbase/err.h>
#include <sphinxbase/fsg_model.h>
#include <sphinxbase/jsgf.h>

#include "core/log.h"
#include "core/pool.h"
#include "media/g711.h"
#include "media/resample.h"
#include "media/vad.h"
#include "providers/jsgf.h"

#ifndef HARK_SPHINX_MODEL_DIR
#define HARK_SPHINX_MODEL_DIR "/usr/share/pocketsphinx/model/en-us"
#endif

/* Audio is handed to the decoder in batches of at least this many 8 kHz samples
 * (100 ms); while one batch decodes the next accumulates, so a slow pool gets
 * bigger batches instead of a queue of small ones. */
#define BATCH_SAMPLES 800
#define GRAMMAR_SEARCH "hints"

/* Decoder settings with the hint grammar. The grammar's word loop read speech
 * as runs of short words with the defaults ("two at at please at an" for
 * "tuesday at ten"): word accuracy below zero. Chosen by grids over -lw, -wip,
 * -fsgusefiller, -remove_noise and the beams on receptionist lines x espeak-ng
 * voices over 8 kHz mu-law (bench/bench_stt.c prints the result). The wider
 * beams let the grammar's word weights (jsgf.c) work without pruning the right
 * path: +5..10 points, decoding ~2x slower (still ~0.04x real time). */
#define GRAMMAR_LW "10"
#define GRAMMAR_WIP "1e-2"
#define GRAMMAR_BEAM "1e-80"
#define GRAMMAR_WBEAM "1e-60"

/* Silence trimming. An utterance arrives with the VAD's pre-roll and hangover
 * (~0.5 s of silence); decoded, that silence turns into inserted words (with the
 * grammar, 0.3 s of quiet noise around each line cost over 20 points of word
 * accuracy). So quiet 10 ms frames are held back and only fed when speech
 * follows them (a pause between words); at the edges only TRIM_KEEP is kept. */
#define TRIM_FRAME 80            /* 10 ms at 8 kHz */
#define TRIM_DB (-45.0)          /* quieter frames are silence (the VAD's stop level) */
#define TRIM_KEEP 240            /* 30 ms of silence kept before and after speech */
#define TRIM_HOLD_MAX 16000      /* a pause longer than 2 s is fed in part anyway */
#define UTT_MAX (60 * 8000)      /* grammar mode keeps at most 60 s of an utterance */

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
    int failed;       /* the decoder could not be built */
    struct stt_job *close_job; /* allocated by open(): close() cannot fail */
    /* shared: written by the loop, read by workers */
    atomic_uint seq;           /* utterance sequence number (bumped by end and cancel) */
    atomic_uint cancelled_seq; /* audio of this utterance is skipped */
    atomic_int abandoned;      /* closed: skip building the decoder */
    /* read-only after open */
    char model_dir[512];
    char **phrases;
    size_t n_phrases;
    /* worker (the stream's lane) */
    ps_decoder_t *ps;
    hk_resampler *up;   /* 8 -> 16 kHz: the acoustic model is 16 kHz */
    int grammar;        /* hint grammar loaded: decode whole utterances */
    int in_utt;         /* audio of the current utterance reached the decoder/utt */
    int16_t *utt;       /* grammar mode: the utterance so far, 8 kHz */
    size_t n_utt, cap_utt;
    int utt_full;
    int heard;                     /* a loud frame was seen in this utterance */
    int16_t part[TRIM_FRAME];      /* samples short of a whole frame */
    size_t n_part;
    int16_t hold[TRIM_HOLD_MAX];   /* quiet frames not fed yet */
    size_t n_hold;
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

static pthread_once_t g_log_once = PTHREAD_ONCE_INIT;
/* Not -logfn: ps_init would reopen the one global log file from several workers
 * at once (fclose racing writes). Disable sphinx logging once instead. */
static void quiet_sphinx(void) { err_set_logfp(NULL); }

/* ps_set_jsgf_string of this pocketsphinx never frees the parsed grammar
 * (~18 KB per stream, LeakSanitizer shows it); the same steps here do. */
static int set_grammar(ps_decoder_t *ps, const char *text) {
    jsgf_t *jsgf = jsgf_parse_string(text, NULL);
    if (!jsgf) return -1;
    int rc = -1;
    jsgf_rule_t *rule = jsgf_get_public_rule(jsgf);
    float32 lw = cmd_ln_float32_r(ps_get_config(ps), "-lw");
    fsg_model_t *fsg = rule ? jsgf_build_fsg(jsgf, rule, ps_get_logmath(ps), lw) : NULL;
    if (fsg) {
        rc = ps_set_fsg(ps, GRAMMAR_SEARCH, fsg) == 0 ? 0 : -1;
        fsg_model_free(fsg); /* the search keeps its own reference */
    }
    jsgf_grammar_free(jsgf);
    return rc;
}

static void w_open(hk_stt *s) {
    if (atomic_load(&s->abandoned)) return;
    pthread_once(&g_log_once, quiet_sphinx);
    char hmm[600], dict[600], lm[600], gerr[160];
    snprintf(hmm, sizeof hmm, "%s/en-us", s->model_dir);
    snprintf(dict, sizeof dict, "%s/cmudict-en-us.dict", s->model_dir);
    snprintf(lm, sizeof lm, "%s/en-us.lm.bin", s->model_dir);
    char *grammar = NULL;
    if (s->n_phrases) {
        grammar = hk_jsgf_build((const char *const *)s->phrases, s->n_phrases, dict, gerr,
                                sizeof gerr);
        if (!grammar)
            hk_log(HK_LOG_WARN, NULL, "stt_grammar_unusable",
                   "sphinx: %s; using the general language model", gerr);
    }
    /* With a grammar the n-gram model is not loaded at all (memory, load time). */
    cmd_ln_t *cfg = grammar ? cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", hmm, "-dict", dict,
                                          "-lw", GRAMMAR_LW, "-wip", GRAMMAR_WIP,
                                          "-fsgusefiller", "no", "-remove_noise", "no",
                                          "-beam", GRAMMAR_BEAM, "-pbeam", GRAMMAR_BEAM,
                                          "-wbeam", GRAMMAR_WBEAM, NULL)
                            : cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", hmm, "-dict", dict,
                                          "-lm", lm, NULL);
    if (!cfg) {
        snprintf(s->open_err, sizeof s->open_err, "sphinx: bad decoder configuration");
        free(grammar);
        return;
    }
    s->ps = ps_init(cfg);
    cmd_ln_free_r(cfg); /* the decoder keeps its own reference */
    if (!s->ps) {
        snprintf(s->open_err, sizeof s->open_err, "sphinx: cannot load the model in %.150s",
                 s->model_dir);
        free(grammar);
        return;
    }
    if (grammar) {
        if (set_grammar(s->ps, grammar) != 0 || ps_set_search(s->ps, GRAMMAR_SEARCH) != 0) {
            snprintf(s->open_err, sizeof s->open_err, "sphinx: the hint grammar did not load");
            ps_free(s->ps);
            s->ps = NULL;
        }
        free(grammar);
        s->grammar = s->ps != NULL;
    }
    if (s->ps && !(s->up = hk_resampler_new(8000, 16000))) {
        snprintf(s->open_err, sizeof s->open_err, "sphinx: no 8 -> 16 kHz resampler");
        ps_free(s->ps);
        s->ps = NULL;
    }
}

/* Speech (8 kHz) for the decoder: kept whole (grammar) or upsampled and decoded. */
static int w_feed(hk_stt *s, const int16_t *pcm8, size_t n) {
    if (n == 0) return 0;
    if (s->grammar) {
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
            int16_t *p = realloc(s->utt, c * sizeof *p);
            if (!p) return -1;
            s->utt = p;
            s->cap_utt = c;
        }
        memcpy(s->utt + s->n_utt, pcm8, n * sizeof *pcm8);
        s->n_utt += n;
        s->in_utt = 1;
        return 0;
    }
    size_t cap = hk_resampler_max_out(s->up, n);
    int16_t *pcm16 = malloc(cap * sizeof *pcm16);
    if (!pcm16) return -1;
    size_t n16 = hk_resampler_process(s->up, pcm8, n, pcm16, cap);
    int rc = 0;
    if (!s->in_utt) {
        if (ps_start_utt(s->ps) < 0) rc = -1;
        else s->in_utt = 1;
    }
    if (rc == 0 && n16 && ps_process_raw(s->ps, pcm16, n16, FALSE, FALSE) < 0) rc = -1;
    free(pcm16);
    return rc;
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

/* End of utterance: keep a little of the trailing silence, drop the rest. */
static int w_audio_end(hk_stt *s) {
    int rc = 0;
    if (s->heard) rc = w_feed(s, s->hold, s->n_hold < TRIM_KEEP ? s->n_hold : TRIM_KEEP);
    s->n_hold = s->n_part = 0;
    s->heard = 0;
    return rc;
}

/* The posterior probability of the best path through the lattice: near 1 when
 * no other word sequence came close, low when the decoder was guessing. With a
 * grammar pocketsphinx always reports 1 (measured: right and wrong alike), so
 * there it is "unavailable" (-1) rather than a number that misleads. */
static double w_confidence(hk_stt *s) {
    if (s->grammar) return -1;
    ps_decoder_t *ps = s->ps;
    int32 post = ps_get_prob(ps);
    if (post > 0) return -1;
    double p = logmath_exp(ps_get_logmath(ps), post);
    if (p < 0 || p > 1) return -1;
    return p;
}

static void w_restart_resampler(hk_stt *s) {
    hk_resampler *r = hk_resampler_new(8000, 16000);
    if (r) {
        hk_resampler_free(s->up);
        s->up = r;
    }
}

static void w_end(stt_job *job) {
    hk_stt *s = job->stt;
    if (!s->ps) {
        snprintf(job->err, sizeof job->err, "%s", s->open_err[0] ? s->open_err : "sphinx: no decoder");
        return;
    }
    int rc = w_audio(s, job->pcm, job->n);
    int rc2 = w_audio_end(s); /* always: resets the trimmer for the next utterance */
    if (rc == 0) rc = rc2;
    if (rc == 0 && s->in_utt && !s->grammar) {
        /* flush the resampler's delay line: the last few ms of speech */
        int16_t zeros[64] = {0};
        int lat = hk_resampler_latency(s->up) / 2 + 1;
        while (rc == 0 && lat > 0) {
            size_t k = lat > 64 ? 64 : (size_t)lat;
            rc = w_feed(s, zeros, k);
            lat -= (int)k;
        }
    }
    const char *hyp = NULL;
    job->conf = -1;
    int started = s->in_utt;
    if (s->grammar && s->in_utt && rc == 0) {
        /* whole-buffer resampling, aligned in time: measured a few points of
         * accuracy better than the streaming resampler's delayed output */
        int16_t *pcm16 = NULL;
        size_t n16 = 0;
        started = 0;
        if (hk_resample_buffer(8000, 16000, s->utt, s->n_utt, &pcm16, &n16) != 0) rc = -1;
        else if (!(started = ps_start_utt(s->ps) >= 0)) rc = -1;
        else if (ps_process_raw(s->ps, pcm16, n16, FALSE, TRUE) < 0) rc = -1;
        free(pcm16);
    } else if (s->grammar) {
        started = 0;
    }
    s->n_utt = 0;
    s->utt_full = 0;
    s->in_utt = 0;
    if (started) {
        if (ps_end_utt(s->ps) < 0) rc = -1;
        if (rc == 0) {
            int32 score;
            hyp = ps_get_hyp(s->ps, &score);
            if (hyp && *hyp) job->conf = w_confidence(s);
        }
    }
    w_restart_resampler(s);
    if (rc != 0) {
        snprintf(job->err, sizeof job->err, "sphinx: decoding failed");
        return;
    }
    job->text = strdup(hyp ? hyp : "");
    if (!job->text) {
        snprintf(job->err, sizeof job->err, "out of memory");
        return;
    }
    job->ok = 1;
}

static void job_work(hk_job *j) {
    stt_job *job = (stt_job *)j;
    hk_stt *s = job->stt;
    switch (job->kind) {
    case J_OPEN:
        w_open(s);
        job->ok = s->ps != NULL; /* done() must not read s->ps: a close job may be freeing it */
        break;
    case J_AUDIO:
        if (s->ps && job->seq != atomic_load(&s->cancelled_seq) && w_audio(s, job->pcm, job->n))
            hk_log(HK_LOG_WARN, NULL, "stt_decode_failed", "sphinx: processing audio failed");
        break;
    case J_END:
        w_end(job);
        break;
    case J_RESET:
        if (s->ps && s->in_utt && !s->grammar) ps_end_utt(s->ps); /* hypothesis discarded */
        s->in_utt = 0;
        s->n_utt = 0;
        s->utt_full = 0;
        s->heard = 0;
        s->n_hold = s->n_part = 0;
        if (s->ps) w_restart_resampler(s);
        break;
    case J_CLOSE:
        if (s->ps) ps_free(s->ps);
        s->ps = NULL;
        hk_resampler_free(s->up);
        s->up = NULL;
        free(s->utt);
        s->utt = NULL;
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
    submit(s, job); /* frees the decoder on the lane; its done() frees s */
}

const hk_stt_vtable hk_stt_sphinx = {
    .name = "sphinx",
    .open = sphinx_open,
    .push = sphinx_push,
    .end_utterance = sphinx_end_utterance,
    .cancel = sphinx_cancel,
    .close = sphinx_close,
};
