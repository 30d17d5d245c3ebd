/* media/vad: energy voice activity detector over fixed frames, with an adaptive
 * noise floor, separate start/stop thresholds (hysteresis), a minimum speech
 * time before "start" and a hangover before "end". Used for endpointing and
 * barge-in. Pure computation: no allocation, no I/O. */
#ifndef HK_VAD_H
#define HK_VAD_H

#include <stddef.h>
#include <stdint.h>

typedef struct hk_vad_config {
    double start_db;  /* frame level (dBFS) above which speech may start, default -40 */
    double stop_db;   /* level below which a frame counts as silence, default -45 */
    double snr_db;    /* speech must also be this far above the noise floor, default 10 */
    int start_ms;     /* speech must last this long to start a segment, default 60 */
    int hangover_ms;  /* silence this long ends the segment, default 500 */
} hk_vad_config;

typedef enum {
    HK_VAD_SILENCE = 0,  /* no speech */
    HK_VAD_SPEECH_START, /* this frame confirmed speech began (start_ms ago) */
    HK_VAD_SPEECH,       /* inside a speech segment */
    HK_VAD_SPEECH_END    /* the hangover elapsed: segment over */
} hk_vad_event;

typedef struct hk_vad {
    hk_vad_config cfg;
    int rate;
    int in_speech;
    int speech_ms;    /* consecutive loud time while not in speech */
    int silence_ms;   /* consecutive quiet time while in speech */
    double noise_db;  /* adaptive noise floor */
    double last_db;   /* level of the last frame */
} hk_vad;

void hk_vad_config_default(hk_vad_config *cfg);
void hk_vad_init(hk_vad *v, const hk_vad_config *cfg, int rate);
void hk_vad_reset(hk_vad *v);
hk_vad_event hk_vad_process(hk_vad *v, const int16_t *frame, size_t n);
/* dBFS of a frame (-100 for digital silence). */
double hk_frame_dbfs(const int16_t *frame, size_t n);

#endif
