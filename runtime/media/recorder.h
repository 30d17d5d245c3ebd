/* media/recorder: a two-channel call recording, caller left and agent right,
 * placed by call time so both sides line up as the caller experienced them.
 * Buffers grow geometrically (amortised, never per frame); one call owns one. */
#ifndef HK_RECORDER_H
#define HK_RECORDER_H

#include <stddef.h>
#include <stdint.h>

typedef struct hk_recorder hk_recorder;

enum { HK_REC_CALLER = 0, HK_REC_AGENT = 1 };

hk_recorder *hk_recorder_new(int rate);
void hk_recorder_free(hk_recorder *r);
/* Write n samples of channel ch starting at call time t (seconds). */
void hk_recorder_put(hk_recorder *r, int ch, double t, const int16_t *pcm, size_t n);
size_t hk_recorder_frames(const hk_recorder *r);
/* Channel samples (NULL-safe length via hk_recorder_frames). */
const int16_t *hk_recorder_channel(const hk_recorder *r, int ch);
int hk_recorder_write_wav(const hk_recorder *r, const char *path, char *err, size_t errlen);

#endif
