/* providers/tts_espeak: the offline text-to-speech provider (espeak-ng). The
 * vtable synthesises on the thread pool and hands 8 kHz mu-law to the loop;
 * the synchronous helper below is for tools and tests (`hark synth`,
 * --caller-text) that want the engine's own PCM. */
#ifndef HK_TTS_ESPEAK_H
#define HK_TTS_ESPEAK_H

#include <stddef.h>
#include <stdint.h>

#include "providers/provider.h"

extern const hk_tts_vtable hk_tts_espeak;
/* Pieces of text queued for synthesis by this process so far (for tests and
 * benches: a phrase served from providers/tts_cache never gets here). */
unsigned long hk_tts_espeak_jobs(void);

/* Synthesises text with espeak-ng and waits for it: *pcm (malloc'ed, caller
 * frees) gets *n samples at *sample_rate (22050). voice NULL: "en-us"; rate_wpm
 * <= 0: 175. Serialised with the provider's pool work by a mutex (espeak-ng is
 * one global engine); blocks for a few ms per sentence, so never call it on a
 * loop that serves calls. Returns 0, or -1 (unknown voice, engine failed). */
int hk_espeak_synth_pcm(const char *text, const char *voice, int rate_wpm, int16_t **pcm,
                        size_t *n, int *sample_rate);

/* The espeak-ng voice for a language tag ("pt-BR" -> "pt-br", "de-DE" -> "de"),
 * into voice; -1 when espeak-ng has none. Loads the engine on first use (tens
 * of ms, once per process) and then takes a few ms: for agent loading, not
 * for the audio path. */
int hk_espeak_voice_for_language(const char *lang, char *voice, size_t n);

#endif
