/* providers/stt_deepgram: Deepgram live speech-to-text over one WebSocket per
 * call (shared/reference/protocols.md section 2). Continuous: the session
 * pushes every 20 ms frame of mu-law, silence included, and the provider sends
 * them in chunk_ms messages (HARK_DEEPGRAM_CHUNK_MS); Deepgram's endpointing
 * (speech_final / UtteranceEnd) drives sink.endpoint. A dropped connection is
 * re-opened and the audio since the last final span is sent again, so no
 * words are lost; sink.error only when the reconnects fail. */
#ifndef HK_STT_DEEPGRAM_H
#define HK_STT_DEEPGRAM_H

#include "providers/provider.h"

extern const hk_stt_vtable hk_stt_deepgram;

#endif
