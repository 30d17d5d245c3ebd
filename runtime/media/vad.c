/* media/vad: energy voice activity detector (endpointing and barge-in).
 * Owns the per-frame decision: frame level in dBFS against absolute start/stop
 * thresholds (hysteresis) and against an adaptive noise floor (SNR), plus the
 * start_ms / hangover_ms timers. Pure computation: no allocation, no I/O.
 *
 * Noise floor: starts at start_db - snr_db (so the SNR test adds nothing until
 * the line has been heard), falls quickly to quieter frames (time constant
 * 100 ms) and rises slowly (1.5 s) on frames that are not speech candidates.
 * During speech it may fall but never rises, so a long utterance cannot raise
 * the floor into itself and cut itself off. Speech onsets (loud frames not yet
 * confirmed as speech) do not move it either.
 *
 * Known limit: noise that jumps abruptly above start_db and snr_db over the
 * floor looks like speech, and because the floor is frozen during speech the
 * segment lasts as long as that noise does. A gradual rise is tracked. */
#include "media/vad.h"

#include <math.h>
#include <stdint.h>

#define HK_VAD_FLOOR_DOWN_MS 100.0
#define HK_VAD_FLOOR_UP_MS 1500.0
#define HK_VAD_MIN_DB -100.0

void hk_vad_config_default(hk_vad_config *cfg)
{
    cfg->start_db = -40.0;
    cfg->stop_db = -45.0;
    cfg->snr_db = 10.0;
    cfg->start_ms = 60;
    cfg->hangover_ms = 500;
}

void hk_vad_init(hk_vad *v, const hk_vad_config *cfg, int rate)
{
    if (cfg)
        v->cfg = *cfg;
    else
        hk_vad_config_default(&v->cfg);
    v->rate = rate > 0 ? rate : 8000;
    hk_vad_reset(v);
}

void hk_vad_reset(hk_vad *v)
{
    v->in_speech = 0;
    v->speech_ms = 0;
    v->silence_ms = 0;
    v->noise_db = v->cfg.start_db - v->cfg.snr_db;
    v->last_db = HK_VAD_MIN_DB;
}

double hk_frame_dbfs(const int16_t *frame, size_t n)
{
    if (n == 0)
        return HK_VAD_MIN_DB;
    /* exact integer sum (vectorised; a double accumulator is one dependent
     * add per sample): 2^30 per sample, so exact for any frame length here */
    int64_t isum = 0;
    for (size_t i = 0; i < n; i++)
        isum += (int32_t)frame[i] * frame[i];
    double sum = (double)isum;
    if (sum == 0)
        return HK_VAD_MIN_DB;
    double db = 10.0 * log10(sum / ((double)n * 32768.0 * 32768.0));
    return db < HK_VAD_MIN_DB ? HK_VAD_MIN_DB : db;
}

/* One-pole smoothing in the dB domain with a time constant per direction. */
static void track_floor(hk_vad *v, double level, double frame_ms, int may_rise)
{
    if (level < v->noise_db) {
        double a = frame_ms / HK_VAD_FLOOR_DOWN_MS;
        v->noise_db += (level - v->noise_db) * (a > 1.0 ? 1.0 : a);
    } else if (may_rise) {
        double a = frame_ms / HK_VAD_FLOOR_UP_MS;
        v->noise_db += (level - v->noise_db) * (a > 1.0 ? 1.0 : a);
    }
}

hk_vad_event hk_vad_process(hk_vad *v, const int16_t *frame, size_t n)
{
    double level = hk_frame_dbfs(frame, n);
    double frame_ms = (double)n * 1000.0 / v->rate;
    if (frame_ms > 60000.0)
        frame_ms = 60000.0; /* frames are tens of ms; keep the int counters sane */
    int ms = (int)lround(frame_ms);
    v->last_db = level;

    if (!v->in_speech) {
        int loud = level > v->cfg.start_db && level > v->noise_db + v->cfg.snr_db;
        if (!loud) {
            v->speech_ms = 0;
            track_floor(v, level, frame_ms, 1);
            return HK_VAD_SILENCE;
        }
        v->speech_ms += ms;
        if (v->speech_ms < v->cfg.start_ms)
            return HK_VAD_SILENCE;
        v->in_speech = 1;
        v->speech_ms = 0;
        v->silence_ms = 0;
        return HK_VAD_SPEECH_START;
    }

    /* In speech, the SNR test gets the same hysteresis as the absolute one. */
    double hyst = v->cfg.start_db - v->cfg.stop_db;
    if (hyst < 0)
        hyst = 0;
    int quiet = level < v->cfg.stop_db || level < v->noise_db + v->cfg.snr_db - hyst;
    if (!quiet) {
        v->silence_ms = 0;
        return HK_VAD_SPEECH;
    }
    track_floor(v, level, frame_ms, 0);
    v->silence_ms += ms;
    if (v->silence_ms < v->cfg.hangover_ms)
        return HK_VAD_SPEECH;
    v->in_speech = 0;
    v->silence_ms = 0;
    v->speech_ms = 0;
    return HK_VAD_SPEECH_END;
}
