/* media/recorder: a two-channel call recording, caller left and agent right,
 * placed by call time so both sides line up as the caller experienced them.
 *
 * Two modes. In memory (hk_recorder_new): both channels are kept whole and
 * grow geometrically; for tests and `hark call --out`. To a file
 * (hk_recorder_new_file): only a window of two half-second chunks is kept;
 * a chunk the window has moved past is handed to the pool, which appends it
 * to <path>.part (a WAV header with placeholder sizes is written at open);
 * hk_recorder_close writes the rest, fixes the header and renames the file to
 * <path>, all on the pool. Memory stays a few chunks whatever the call
 * length; the loop thread never touches the file and allocates nothing per
 * frame. A write that lands before the window (more than half a second late)
 * is dropped and counted. One call owns one recorder, used from the thread
 * that runs its pool's loop. */
#ifndef HK_RECORDER_H
#define HK_RECORDER_H

#include <stddef.h>
#include <stdint.h>

typedef struct hk_recorder hk_recorder;
typedef struct hk_pool hk_pool;

enum { HK_REC_CALLER = 0, HK_REC_AGENT = 1 };

hk_recorder *hk_recorder_new(int rate);
/* The file is created on the pool; an error there (unwritable directory, disk
 * full) marks the recording failed, later chunks are dropped without I/O, and
 * hk_recorder_close reports it. NULL only when out of memory. */
hk_recorder *hk_recorder_new_file(int rate, const char *path, hk_pool *pool);
/* In memory: frees. To a file, not closed: abandons it (the .part file is
 * removed on the pool; the memory goes once the pool is done with it). */
void hk_recorder_free(hk_recorder *r);
/* Write n samples of channel ch starting at call time t (seconds). */
void hk_recorder_put(hk_recorder *r, int ch, double t, const int16_t *pcm, size_t n);
size_t hk_recorder_frames(const hk_recorder *r);
/* Bytes the recorder has allocated (its struct and sample buffers). */
size_t hk_recorder_mem_bytes(const hk_recorder *r);
/* Frames dropped so far: late writes, or chunks the disk could not keep up with. */
size_t hk_recorder_dropped(const hk_recorder *r);
/* In-memory mode only (NULL for a file recorder); length hk_recorder_frames. */
const int16_t *hk_recorder_channel(const hk_recorder *r, int ch);
/* In-memory mode only: the whole recording as a stereo WAV. */
int hk_recorder_write_wav(const hk_recorder *r, const char *path, char *err, size_t errlen);

typedef struct hk_recorder_result {
    int rc;          /* 0: <path> holds the recording */
    const char *err; /* rc != 0: what went wrong */
    const char *path;
    size_t frames;   /* stereo frames in the file */
    size_t dropped;  /* frames lost (silence in the file) */
} hk_recorder_result;
typedef void (*hk_recorder_done_cb)(void *ud, const hk_recorder_result *res);

/* Finish a file recording: done runs on the loop thread once the file is
 * complete (or failed), then the recorder is freed. The recorder belongs to
 * the close from here: never free it. In memory mode done runs at once with
 * rc -1 (nothing to close). */
void hk_recorder_close(hk_recorder *r, hk_recorder_done_cb done, void *ud);

#endif
