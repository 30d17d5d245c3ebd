/* providers/tts_elevenlabs: ElevenLabs text-to-speech (cloud). Streams text in
 * over the stream-input WebSocket as the LLM writes it and hands 8 kHz mu-law
 * and word timings to the sink; falls back to the HTTP streaming endpoint when
 * the WebSocket cannot be used. The lead registers it as "elevenlabs"/"11labs". */
#ifndef HK_TTS_ELEVENLABS_H
#define HK_TTS_ELEVENLABS_H

#include "providers/provider.h"

extern const hk_tts_vtable hk_tts_elevenlabs;

#endif
