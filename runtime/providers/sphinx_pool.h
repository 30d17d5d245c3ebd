/* providers/sphinx_pool: the worker's shared pocketsphinx state, so that an
 * offline-STT call costs its audio buffer and nothing more.
 *
 * - Decoders: pocketsphinx 5prealpha has no public way to share an acoustic
 *   model between decoders, and a decoder may only be used by one thread at a
 *   time. So the model + dictionary live in a few decoders per process (per
 *   model directory and mode: hint grammar or language model), built on first
 *   need and reused: a pool job takes a free one for the length of one
 *   utterance's decode and gives it back before the job ends. At most
 *   HK_SPHINX_MAX_DECODERS per mode exist; a job finding all of them busy waits
 *   for one. With decoders built only when none is free, their number stays at
 *   the number of engine threads that decode at the same time.
 * - Reservations (streaming the language model): a call whose utterance starts
 *   may _reserve a free decoder and keep it across its own jobs (not a thread:
 *   each job feeds a chunk and returns) until its utterance ends, is cancelled
 *   or the call closes. Never waits; may build a decoder lazily up to
 *   HK_SPHINX_MAX_DECODERS. No deadlock: at most HK_SPHINX_MAX_RESERVED
 *   (< HK_SPHINX_MAX_DECODERS) decoders of a set are reserved, so a job
 *   waiting in _acquire always waits for a decoder held by a running job (or
 *   builds one), never for a reservation whose next job is queued behind it.
 *   Reserving 2 of the 4 leaves 2 for whole-utterance decodes, one per engine
 *   thread of a default worker: with 3, twenty calls talking at once were
 *   answered in 32 s instead of 17 s (their whole decodes took turns on one
 *   decoder). Memory: the cap bounds a worker at 4 language-model decoders
 *   (~90 MB each; whole decodes alone on 2 threads built 2) and 4 grammar
 *   decoders (~30 MB each), whatever the number of calls.
 * - Grammars: the JSGF text built from an agent's phrases (jsgf.c scans the
 *   135k-word dictionary to build it) is cached by phrase list, LRU-bounded,
 *   refcounted: a call keeps its own reference. Each decoder keeps the searches
 *   of the last HK_SPHINX_MAX_SEARCHES grammars it decoded (named slots,
 *   LRU-replaced), so switching between an agent's calls costs ps_set_search.
 *
 * Threads: every function may be called from any thread; one mutex guards the
 * lists. A decoder handed out by _acquire belongs to the calling thread until
 * _release; one handed out by _reserve to the call's lane (its jobs run one at
 * a time), across jobs and threads, until _release.
 * hk_sphinx_pool_shutdown runs when no job is using a decoder (worker exit). */
#ifndef HK_SPHINX_POOL_H
#define HK_SPHINX_POOL_H

#include <stddef.h>
#include <pocketsphinx.h>

#define HK_SPHINX_MAX_DECODERS 4  /* per model directory and mode */
#define HK_SPHINX_MAX_RESERVED 2  /* per set, < HK_SPHINX_MAX_DECODERS: see Reservations */
#define HK_SPHINX_MAX_SEARCHES 8  /* grammar searches kept in one decoder */
#define HK_SPHINX_MAX_GRAMMARS 32 /* grammar texts cached (those in use are kept too) */

typedef struct hk_sphinx_grammar hk_sphinx_grammar;
typedef struct hk_sphinx_decoder hk_sphinx_decoder;

/* The hint grammar of these phrases (cached; a miss scans the dictionary: call
 * it on a pool thread). NULL with err when no phrase word is usable (also
 * cached). The caller owns one reference: hk_sphinx_grammar_release. */
hk_sphinx_grammar *hk_sphinx_grammar_get(const char *model_dir, const char *const *phrases,
                                         size_t n, char *err, size_t errlen);
void hk_sphinx_grammar_release(hk_sphinx_grammar *g);

/* Pool thread: a decoder of model_dir set up for grammar g (NULL: the general
 * language model), its search active and no utterance started. Waits while all
 * HK_SPHINX_MAX_DECODERS are busy. NULL with err when the model cannot load. */
hk_sphinx_decoder *hk_sphinx_decoder_acquire(const char *model_dir, hk_sphinx_grammar *g,
                                             char *err, size_t errlen);
ps_decoder_t *hk_sphinx_decoder_ps(hk_sphinx_decoder *d);
/* Gives back an acquired or reserved decoder (no utterance may be running). */
void hk_sphinx_decoder_release(hk_sphinx_decoder *d);

/* Pool thread, when a call's utterance starts: a free decoder reserved for the
 * call until _release (set up like _acquire's). Never waits. With may_build, a
 * decoder is built (~0.2-0.5 s) when none is free and the set is below its cap.
 * NULL when none can be had: the call decodes its utterance whole at its end. */
hk_sphinx_decoder *hk_sphinx_decoder_reserve(const char *model_dir, hk_sphinx_grammar *g,
                                             int may_build);

/* A call's own cepstral-mean estimate. Streaming decodes normalise with a
 * running estimate (cmn_live) that a shared decoder would otherwise carry from
 * one call's line to the next: a call saves it after each streamed utterance
 * and loads it into the decoder it reserves next (~110 bytes per call). */
#define HK_SPHINX_CMN_MAX 16
typedef struct hk_sphinx_cmn {
    int valid;  /* 0: the model's initial estimate (-cmninit) */
    int nframe;
    mfcc_t mean[HK_SPHINX_CMN_MAX];
    mfcc_t sum[HK_SPHINX_CMN_MAX];
} hk_sphinx_cmn;
/* Caller owns d (acquired or reserved), between utterances. */
void hk_sphinx_decoder_cmn_load(hk_sphinx_decoder *d, const hk_sphinx_cmn *c);
void hk_sphinx_decoder_cmn_save(hk_sphinx_decoder *d, hk_sphinx_cmn *c);

/* Pool thread, at a call's open: makes sure a decoder for (model_dir, g)
 * exists (building the first one, so a bad model fails the open), and loads
 * g's search into a free decoder if one is free. Never waits for a busy one. */
int hk_sphinx_decoder_warm(const char *model_dir, hk_sphinx_grammar *g, char *err,
                           size_t errlen);

typedef struct hk_sphinx_stats {
    long decoders_created; /* ps_init calls since start */
    long decoders_live;
    long decoders_reserved; /* now */
    long reservations;      /* granted since start */
    long grammars_built;   /* dictionary scans (cache misses) since start */
    long grammars_cached;
    long searches_max;     /* most grammar searches pocketsphinx holds in one free decoder */
} hk_sphinx_stats;
void hk_sphinx_pool_stats(hk_sphinx_stats *st);

/* Frees every free decoder and every cached grammar no call holds. */
void hk_sphinx_pool_shutdown(void);

#endif
