/* providers/stt_sphinx: the offline speech-to-text provider (pocketsphinx).
 *
 * Driving it from a call session:
 * - open() returns at once (no I/O but a stat of the model). Decoders and
 *   grammars are the worker's, shared by every call (sphinx_pool.h): a call
 *   costs its utterance buffer (~1.5 KB idle). The first call of a worker
 *   builds a decoder on the thread pool (~80 ms with hints, ~30 MB resident;
 *   ~200 ms without, ~90 MB), the first call of an agent its grammar (a scan of
 *   the dictionary); later calls open in well under a millisecond of pool
 *   time. Audio pushed meanwhile is queued, not lost. A failure to build the
 *   decoder arrives later as sink->error. Callbacks run on the loop of the
 *   global pool (hk_pool_global()).
 * - push() takes 8 kHz audio as it arrives, including the VAD's pre-roll and
 *   hangover: quiet edges are trimmed here (they turn into inserted words).
 * - With cfg->phrases the decoder is constrained to a grammar of the hints (see
 *   jsgf.h) and decodes each utterance whole at end_utterance: ~65-90 ms for
 *   a 1-3 s utterance, on whichever shared decoder is free (an utterance
 *   ending while all are busy waits for one). Without hints the general
 *   language model (~10x slower than the grammar) decodes as the caller
 *   speaks, on a shared decoder the call reserves for the utterance (at most
 *   HK_SPHINX_MAX_RESERVED at once per worker; a call finding none decodes its
 *   utterance whole at the end), so the end costs only the last ~100 ms of
 *   speech. It gets most words wrong on telephone-band speech: give hints.
 *   Numbers: bench/bench_stt.c, bench/bench_sphinx_calls.c.
 * - Every end_utterance(utt_id) yields exactly one sink->transcript(utt_id, ...,
 *   is_final=1, confidence) or one sink->error, also when the utterance had no
 *   speech (text ""). cancel() drops the audio of the utterance in progress;
 *   transcripts of utterances already ended are still delivered. No interim
 *   transcripts, no speech_started (hark's VAD does endpointing).
 * - confidence: with the language model, the posterior probability of the
 *   hypothesis (0..1; below HK_SPHINX_LOW_CONFIDENCE the agent should confirm).
 *   With the grammar pocketsphinx reports 1 for right and wrong alike, so it is
 *   -1 (unavailable): agents using hints should confirm what they act on. */
#ifndef HK_STT_SPHINX_H
#define HK_STT_SPHINX_H

#include "providers/provider.h"

extern const hk_stt_vtable hk_stt_sphinx;

/* Below this language-model confidence an agent should confirm what it heard. */
#define HK_SPHINX_LOW_CONFIDENCE 0.5

/* Counters of the process's sphinx sessions (any thread), for tests and benches.
 * samples_* are 8 kHz samples of trimmed speech. */
typedef struct hk_stt_sphinx_stat {
    long utterances_streamed; /* decoded as they were spoken (language model) */
    long utterances_whole;    /* decoded whole at their end */
    long chunks_streamed;     /* feeds of a streamed decode before its end */
    long samples_streamed;    /* speech fed before the end of its utterance */
    long samples_at_end;      /* speech of streamed utterances left for the end */
} hk_stt_sphinx_stat;
void hk_stt_sphinx_stats(hk_stt_sphinx_stat *st);

#endif
