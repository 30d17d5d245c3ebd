/* providers/sphinx_pool: the worker's shared pocketsphinx decoders and grammar
 * cache. See sphinx_pool.h. Owns every ps_decoder_t of the process and every
 * grammar text; stt_sphinx.c only borrows them. One mutex (g_mu) guards the
 * lists and the bookkeeping fields; a decoder's pocketsphinx state is touched
 * only by the thread that acquired it (or, while it is being built, by the
 * thread building it, before it is on any list). Never runs on the loop. */
#include "providers/sphinx_pool.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sphinxbase/cmn.h>
#include <sphinxbase/err.h>
#include <sphinxbase/feat.h>
#include <sphinxbase/fsg_model.h>
#include <sphinxbase/jsgf.h>

#include "core/strbuf.h"
#include "providers/jsgf.h"

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

struct hk_sphinx_grammar {
    char *key;        /* model dir + phrases: what the cache is looked up by */
    char *text;       /* JSGF; NULL: no usable word (err says why) */
    char err[160];
    uint64_t id;      /* unique: names the grammar in decoders' search slots */
    int refs;         /* the cache's own (while cached) + one per holder */
    int building;     /* its text is being built: others wait for it */
    uint64_t used;    /* LRU tick */
    hk_sphinx_grammar *next;
};

typedef struct search_slot {
    uint64_t gid;     /* 0: empty */
    uint64_t used;
} search_slot;

struct hk_sphinx_decoder {
    ps_decoder_t *ps;
    struct decoder_set *set;
    int busy;
    int reserved;       /* busy across a call's jobs (counted in set->reserved) */
    cmn_type_t cmn0;    /* the model's CMN (batch): streaming switches it to live */
    hk_sphinx_cmn init; /* the live CMN estimate of a fresh decoder */
    long base_searches; /* pocketsphinx's own (its phone loop) */
    search_slot slot[HK_SPHINX_MAX_SEARCHES]; /* grammar searches "g0".."g7" */
    hk_sphinx_decoder *next;
};

typedef struct decoder_set {
    char *model_dir;
    int lm;           /* 1: the general language model; 0: grammar searches */
    int n;            /* decoders, including those being built */
    int reserved;     /* decoders reserved, including one being built for it */
    hk_sphinx_decoder *list;
    struct decoder_set *next;
} decoder_set;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER; /* a decoder freed, a grammar built */
static decoder_set *g_sets;
static hk_sphinx_grammar *g_grammars;
static uint64_t g_tick, g_next_gid = 1;
static long g_decoders_created, g_grammars_built, g_reservations;

static pthread_once_t g_log_once = PTHREAD_ONCE_INIT;
/* Not -logfn: ps_init would reopen the one global log file from several threads
 * at once (fclose racing writes). Disable sphinx logging once instead. */
static void quiet_sphinx(void) { err_set_logfp(NULL); }

/* ---- grammars ----------------------------------------------------------- */

static void grammar_free(hk_sphinx_grammar *g) {
    free(g->key);
    free(g->text);
    free(g);
}

/* Drops the cache's reference of the least recently used grammars beyond the
 * bound. Caller holds g_mu. */
static void grammars_trim(void) {
    for (;;) {
        int n = 0;
        hk_sphinx_grammar **victim = NULL;
        for (hk_sphinx_grammar **pp = &g_grammars; *pp; pp = &(*pp)->next) {
            n++;
            if (!(*pp)->building && (!victim || (*pp)->used < (*victim)->used)) victim = pp;
        }
        if (n <= HK_SPHINX_MAX_GRAMMARS || !victim) return;
        hk_sphinx_grammar *g = *victim;
        *victim = g->next;
        if (--g->refs == 0) grammar_free(g);
    }
}

static char *grammar_key(const char *model_dir, const char *const *phrases, size_t n) {
    hk_strbuf b = {0};
    hk_strbuf_str(&b, model_dir);
    for (size_t i = 0; i < n; i++) {
        hk_strbuf_str(&b, "\n");
        hk_strbuf_str(&b, phrases[i] ? phrases[i] : "");
    }
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

hk_sphinx_grammar *hk_sphinx_grammar_get(const char *model_dir, const char *const *phrases,
                                         size_t n, char *err, size_t errlen) {
    char *key = grammar_key(model_dir, phrases, n);
    hk_sphinx_grammar *g = NULL, *mine = NULL;
    pthread_mutex_lock(&g_mu);
    while (key) {
        for (g = g_grammars; g && strcmp(g->key, key) != 0; g = g->next) {
        }
        if (!g || !g->building) break;
        /* another thread is scanning the dictionary for the same phrases */
        pthread_cond_wait(&g_cv, &g_mu);
    }
    if (g) {
        g->used = ++g_tick;
        g->refs++;
    } else if (key && (mine = calloc(1, sizeof *mine))) {
        mine->key = key;
        key = NULL;
        mine->building = 1;
        mine->id = g_next_gid++;
        mine->refs = 2; /* the cache's and the caller's */
        mine->used = ++g_tick;
        mine->next = g_grammars;
        g_grammars = mine;
        grammars_trim();
    }
    pthread_mutex_unlock(&g_mu);
    free(key);
    if (mine) {
        /* outside the lock: the dictionary scan takes a while */
        char dict[600];
        snprintf(dict, sizeof dict, "%s/cmudict-en-us.dict", model_dir);
        char *text = hk_jsgf_build(phrases, n, dict, mine->err, sizeof mine->err);
        pthread_mutex_lock(&g_mu);
        mine->text = text;
        mine->building = 0;
        g_grammars_built++;
        pthread_cond_broadcast(&g_cv);
        pthread_mutex_unlock(&g_mu);
        g = mine;
    }
    if (!g) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!g->text) {
        snprintf(err, errlen, "%s", g->err);
        hk_sphinx_grammar_release(g);
        return NULL;
    }
    return g;
}

void hk_sphinx_grammar_release(hk_sphinx_grammar *g) {
    if (!g) return;
    pthread_mutex_lock(&g_mu);
    int last = --g->refs == 0;
    pthread_mutex_unlock(&g_mu);
    if (last) grammar_free(g);
}

/* ---- decoders ----------------------------------------------------------- */

static ps_decoder_t *decoder_build(const char *model_dir, int lm) {
    pthread_once(&g_log_once, quiet_sphinx);
    char hmm[600], dict[600], lmf[600];
    snprintf(hmm, sizeof hmm, "%s/en-us", model_dir);
    snprintf(dict, sizeof dict, "%s/cmudict-en-us.dict", model_dir);
    snprintf(lmf, sizeof lmf, "%s/en-us.lm.bin", model_dir);
    /* With grammars the n-gram model is not loaded at all (memory, load time).
     * With the language model, no -fwdflat: that second pass re-decodes the whole
     * utterance inside ps_end_utt (0.4-0.6 s of a streamed 1-2 s utterance, so
     * streaming saved nothing). bench_stt lm, words wrong of 226: 203 decoded
     * whole with it, 192 streamed with it, 191 streamed without it (the model
     * is that poor on phone-band speech either way); the end costs ~50-150 ms. */
    cmd_ln_t *cfg = lm ? cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", hmm, "-dict", dict, "-lm",
                                     lmf, "-fwdflat", "no", NULL)
                       : cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", hmm, "-dict", dict, "-lw",
                                     GRAMMAR_LW, "-wip", GRAMMAR_WIP, "-fsgusefiller", "no",
                                     "-remove_noise", "no", "-beam", GRAMMAR_BEAM, "-pbeam",
                                     GRAMMAR_BEAM, "-wbeam", GRAMMAR_WBEAM, NULL);
    if (!cfg) return NULL;
    ps_decoder_t *ps = ps_init(cfg);
    cmd_ln_free_r(cfg); /* the decoder keeps its own reference */
    return ps;
}

/* ps_set_jsgf_string of this pocketsphinx never frees the parsed grammar
 * (~18 KB per call, LeakSanitizer shows it); the same steps here do. A search
 * of that name must not exist (decoder_select unsets it first). */
static int load_search(ps_decoder_t *ps, const char *name, const char *text) {
    jsgf_t *jsgf = jsgf_parse_string(text, NULL);
    if (!jsgf) return -1;
    int rc = -1;
    jsgf_rule_t *rule = jsgf_get_public_rule(jsgf);
    float32 lw = cmd_ln_float32_r(ps_get_config(ps), "-lw");
    fsg_model_t *fsg = rule ? jsgf_build_fsg(jsgf, rule, ps_get_logmath(ps), lw) : NULL;
    if (fsg) {
        rc = ps_set_fsg(ps, name, fsg) == 0 ? 0 : -1;
        fsg_model_free(fsg); /* the search keeps its own reference */
    }
    jsgf_grammar_free(jsgf);
    return rc;
}

static int slot_of(const hk_sphinx_decoder *d, const hk_sphinx_grammar *g) {
    for (int i = 0; i < HK_SPHINX_MAX_SEARCHES; i++)
        if (d->slot[i].gid == g->id) return i;
    return -1;
}

/* Makes g's search the active one, loading it into the least recently used
 * slot if the decoder does not have it. Caller owns d (acquired or building). */
static int decoder_select(hk_sphinx_decoder *d, hk_sphinx_grammar *g) {
    char name[16];
    pthread_mutex_lock(&g_mu);
    int i = slot_of(d, g), evict = 0;
    if (i < 0) {
        i = 0;
        for (int k = 1; k < HK_SPHINX_MAX_SEARCHES; k++)
            if (d->slot[k].used < d->slot[i].used) i = k;
        evict = d->slot[i].gid != 0;
        d->slot[i].gid = 0; /* until the new search is in */
    }
    d->slot[i].used = ++g_tick;
    int loaded = d->slot[i].gid == g->id;
    pthread_mutex_unlock(&g_mu);
    snprintf(name, sizeof name, "g%d", i);
    if (!loaded) {
        if (evict) ps_unset_search(d->ps, name); /* frees the old grammar's search */
        if (load_search(d->ps, name, g->text) != 0) return -1;
        pthread_mutex_lock(&g_mu);
        d->slot[i].gid = g->id;
        pthread_mutex_unlock(&g_mu);
    }
    return ps_set_search(d->ps, name) == 0 ? 0 : -1;
}

/* The searches pocketsphinx itself holds: catches a slot replaced without the
 * old search being freed. Only on a decoder nobody else uses. */
static long count_searches(ps_decoder_t *ps) {
    long n = 0;
    for (ps_search_iter_t *it = ps_search_iter(ps); it; it = ps_search_iter_next(it)) n++;
    return n;
}

/* Caller holds g_mu. */
static decoder_set *set_find(const char *model_dir, int lm, int create) {
    for (decoder_set *s = g_sets; s; s = s->next)
        if (s->lm == lm && strcmp(s->model_dir, model_dir) == 0) return s;
    if (!create) return NULL;
    decoder_set *s = calloc(1, sizeof *s);
    if (!s || !(s->model_dir = strdup(model_dir))) {
        free(s);
        return NULL;
    }
    s->lm = lm;
    s->next = g_sets;
    g_sets = s;
    return s;
}

/* Caller holds g_mu: a free decoder of the set, preferring one with g loaded. */
static hk_sphinx_decoder *take_free(decoder_set *s, const hk_sphinx_grammar *g) {
    hk_sphinx_decoder *any = NULL;
    for (hk_sphinx_decoder *d = s->list; d; d = d->next) {
        if (d->busy) continue;
        if (!g || slot_of(d, g) >= 0) {
            any = d;
            break;
        }
        if (!any) any = d;
    }
    if (any) any->busy = 1;
    return any;
}

/* Builds a decoder for s, already counted in s->n; called without g_mu. */
static hk_sphinx_decoder *build_into(decoder_set *s) {
    hk_sphinx_decoder *d = calloc(1, sizeof *d);
    ps_decoder_t *ps = d ? decoder_build(s->model_dir, s->lm) : NULL;
    if (ps) {
        d->base_searches = count_searches(ps);
        feat_t *fcb = ps_get_feat(ps);
        d->cmn0 = fcb->cmn;
        d->ps = ps;
        hk_sphinx_decoder_cmn_save(d, &d->init);
        d->init.valid = 0;
    }
    pthread_mutex_lock(&g_mu);
    if (!ps) {
        s->n--;
        pthread_cond_broadcast(&g_cv); /* a waiter may build one itself */
        pthread_mutex_unlock(&g_mu);
        free(d);
        return NULL;
    }
    g_decoders_created++;
    d->ps = ps;
    d->set = s;
    d->busy = 1;
    d->next = s->list;
    s->list = d;
    pthread_mutex_unlock(&g_mu);
    return d;
}

typedef enum { ACQ_WAIT, ACQ_WARM, ACQ_RESERVE, ACQ_RESERVE_BUILD } acq_mode;

/* ACQ_WAIT waits for a free decoder; the others never wait and return NULL (no
 * error) when none is free and none may be built. ACQ_WARM builds only a set's
 * first decoder; ACQ_RESERVE builds none; ACQ_RESERVE_BUILD up to the cap. */
static hk_sphinx_decoder *acquire(const char *model_dir, hk_sphinx_grammar *g, acq_mode mode,
                                  char *err, size_t errlen) {
    int reserve = mode == ACQ_RESERVE || mode == ACQ_RESERVE_BUILD;
    pthread_mutex_lock(&g_mu);
    decoder_set *s = set_find(model_dir, g == NULL, 1);
    hk_sphinx_decoder *d = NULL;
    int build = 0;
    if (s && reserve && s->reserved >= HK_SPHINX_MAX_RESERVED) {
        s = NULL;
        reserve = -1;
    }
    while (s && !(d = take_free(s, g))) {
        int may_build = mode == ACQ_WAIT || mode == ACQ_RESERVE_BUILD ||
                        (mode == ACQ_WARM && s->n == 0);
        if (s->n < HK_SPHINX_MAX_DECODERS && may_build) {
            s->n++;
            build = 1;
            break;
        }
        if (mode != ACQ_WAIT) break;
        pthread_cond_wait(&g_cv, &g_mu);
    }
    if (s && reserve == 1 && (d || build)) {
        s->reserved++;
        g_reservations++;
        if (d) d->reserved = 1;
    }
    int have_any = s && s->n > 0;
    pthread_mutex_unlock(&g_mu);
    if (reserve == -1) return NULL; /* the reservation cap: decode whole at the end */
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (build && !(d = build_into(s))) {
        if (reserve == 1) {
            pthread_mutex_lock(&g_mu);
            s->reserved--;
            pthread_mutex_unlock(&g_mu);
        }
        snprintf(err, errlen, "sphinx: cannot load the model in %.150s", model_dir);
        return NULL;
    }
    if (build && reserve == 1) {
        pthread_mutex_lock(&g_mu);
        d->reserved = 1;
        pthread_mutex_unlock(&g_mu);
    }
    if (!d) {
        if (!have_any) snprintf(err, errlen, "sphinx: no decoder");
        return NULL;
    }
    /* a whole-utterance decode normalises per utterance (the model's batch CMN);
     * a streamed one switched the decoder to a running estimate */
    ps_get_feat(d->ps)->cmn = d->cmn0;
    if (g && decoder_select(d, g) != 0) {
        snprintf(err, errlen, "sphinx: the hint grammar did not load");
        hk_sphinx_decoder_release(d);
        return NULL;
    }
    return d;
}

hk_sphinx_decoder *hk_sphinx_decoder_acquire(const char *model_dir, hk_sphinx_grammar *g,
                                             char *err, size_t errlen) {
    return acquire(model_dir, g, ACQ_WAIT, err, errlen);
}

hk_sphinx_decoder *hk_sphinx_decoder_reserve(const char *model_dir, hk_sphinx_grammar *g,
                                             int may_build) {
    char err[200];
    return acquire(model_dir, g, may_build ? ACQ_RESERVE_BUILD : ACQ_RESERVE, err, sizeof err);
}

int hk_sphinx_decoder_warm(const char *model_dir, hk_sphinx_grammar *g, char *err,
                           size_t errlen) {
    err[0] = '\0';
    hk_sphinx_decoder *d = acquire(model_dir, g, ACQ_WARM, err, errlen);
    if (d) hk_sphinx_decoder_release(d);
    return d || !err[0] ? 0 : -1;
}

void hk_sphinx_decoder_cmn_load(hk_sphinx_decoder *d, const hk_sphinx_cmn *c) {
    cmn_t *cmn = ps_get_feat(d->ps)->cmn_struct;
    if (!c || !c->valid) c = &d->init;
    int n = cmn->veclen < HK_SPHINX_CMN_MAX ? cmn->veclen : HK_SPHINX_CMN_MAX;
    memcpy(cmn->cmn_mean, c->mean, (size_t)n * sizeof *c->mean);
    memcpy(cmn->sum, c->sum, (size_t)n * sizeof *c->sum);
    cmn->nframe = c->nframe;
}

void hk_sphinx_decoder_cmn_save(hk_sphinx_decoder *d, hk_sphinx_cmn *c) {
    cmn_t *cmn = ps_get_feat(d->ps)->cmn_struct;
    int n = cmn->veclen < HK_SPHINX_CMN_MAX ? cmn->veclen : HK_SPHINX_CMN_MAX;
    memset(c, 0, sizeof *c);
    memcpy(c->mean, cmn->cmn_mean, (size_t)n * sizeof *c->mean);
    memcpy(c->sum, cmn->sum, (size_t)n * sizeof *c->sum);
    c->nframe = cmn->nframe;
    c->valid = 1;
}

ps_decoder_t *hk_sphinx_decoder_ps(hk_sphinx_decoder *d) { return d->ps; }

void hk_sphinx_decoder_release(hk_sphinx_decoder *d) {
    if (!d) return;
    pthread_mutex_lock(&g_mu);
    d->busy = 0;
    if (d->reserved) {
        d->reserved = 0;
        d->set->reserved--;
    }
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_mu);
}

/* ---- stats and shutdown ------------------------------------------------- */

void hk_sphinx_pool_stats(hk_sphinx_stats *st) {
    memset(st, 0, sizeof *st);
    pthread_mutex_lock(&g_mu);
    st->decoders_created = g_decoders_created;
    st->grammars_built = g_grammars_built;
    st->reservations = g_reservations;
    for (decoder_set *s = g_sets; s; s = s->next)
        for (hk_sphinx_decoder *d = s->list; d; d = d->next) {
            st->decoders_live++;
            st->decoders_reserved += d->reserved;
            long k = d->busy ? 0 : count_searches(d->ps) - d->base_searches;
            if (k > st->searches_max) st->searches_max = k;
        }
    for (hk_sphinx_grammar *g = g_grammars; g; g = g->next) st->grammars_cached++;
    pthread_mutex_unlock(&g_mu);
}

void hk_sphinx_pool_shutdown(void) {
    pthread_mutex_lock(&g_mu);
    for (decoder_set **sp = &g_sets; *sp;) {
        decoder_set *s = *sp;
        for (hk_sphinx_decoder **dp = &s->list; *dp;) {
            hk_sphinx_decoder *d = *dp;
            if (d->busy) {
                dp = &d->next;
                continue;
            }
            *dp = d->next;
            s->n--;
            ps_free(d->ps);
            free(d);
        }
        if (s->n == 0) {
            *sp = s->next;
            free(s->model_dir);
            free(s);
        } else {
            sp = &s->next;
        }
    }
    while (g_grammars) {
        hk_sphinx_grammar *g = g_grammars;
        g_grammars = g->next;
        if (--g->refs == 0) grammar_free(g);
    }
    pthread_mutex_unlock(&g_mu);
}
