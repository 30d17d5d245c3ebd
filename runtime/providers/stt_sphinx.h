/* providers/stt_sphinx: the offline speech-to-text provider (pocketsphinx).
 *
 * Driving it from a call session:
 * - open() returns at once; the decoder (~100 MB, a few hundred ms to load) is
 *   built on the thread pool. Audio pushed meanwhile is queued, not lost. A
 *   failure to build it arrives later as sink->error.
 * - With cfg->phrases the decoder is constrained to a grammar of the hints (see
 *   jsgf.h): far more accurate on phone audio. Without, the general language
 *   model is used (most words wrong on telephone-band synthetic speech).
 * - Every end_utterance(utt_id) yields exactly one sink->transcript(utt_id, ...,
 *   is_final=1, confidence) or one sink->error, even when the utterance had no
 *   audio (text ""). cancel() drops the audio of the utterance in progress;
 *   transcripts of utterances already ended are still delivered. No interim
 *   transcripts, no speech_started (hark's VAD does endpointing).
 * - confidence: the decoder's posterior probability of the hypothesis (0..1),
 *   -1 when it has none; see HK_SPHINX_LOW_CONFIDENCE. */
#ifndef HK_STT_SPHINX_H
#define HK_STT_SPHINX_H

#include "providers/provider.h"

extern const hk_stt_vtable hk_stt_sphinx;

/* Below this confidence an agent should confirm what it heard. */
#define HK_SPHINX_LOW_CONFIDENCE 0.5

#endif
