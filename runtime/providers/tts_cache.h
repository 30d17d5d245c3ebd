/* providers/tts_cache: the worker's cache of synthesised fixed phrases (first
 * message, fallback line, end message, call:say of the same text), so a
 * greeting every call says is synthesised once per voice and then plays in
 * the first frame, without touching the provider. Entries are 8 kHz mu-law
 * plus the word marks barge-in trims by; the key is the provider, voice,
 * model, rate, pitch, stability, similarity, base URL and the exact text (not
 * the agent version: a new version with the same text and voice reuses it).
 * An LRU bounded by bytes (HARK_TTS_CACHE_MB); loop thread only, no locks.
 * A fill (hk_tts_fill) collects one request's audio as it arrives and is put
 * in the cache only when the whole phrase finished (done ok); a cancelled or
 * failed synthesis is dropped.
 * A call plays a hit by reference (hk_tts_clip_hold, media/outq), not by
 * copy: an entry held by a call stays alive after the LRU evicts it (or the
 * cache is freed) until its last holder releases it; such an entry no
 * longer counts in the cache's bytes. */
#ifndef HK_TTS_CACHE_H
#define HK_TTS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "providers/provider.h"

typedef struct hk_tts_cache hk_tts_cache;

/* What a hit returns: valid until the next put or free of the cache, or,
 * once held, until released. */
typedef struct hk_tts_clip {
    const uint8_t *ulaw;
    size_t n;
    const hk_word_mark *marks;
    size_t n_marks;
    void *entry; /* for hk_tts_clip_hold */
} hk_tts_clip;

typedef struct hk_tts_cache_stats {
    unsigned long long hits, misses, puts, evictions;
    size_t bytes, entries, max_bytes;
    size_t held_evicted; /* entries evicted while a call still plays them */
} hk_tts_cache_stats;

hk_tts_cache *hk_tts_cache_new(size_t max_bytes);
void hk_tts_cache_free(hk_tts_cache *cache);
/* The voice part of a key (malloc'ed): vtable name (aliases agree) and every
 * setting that changes the audio. NULL when out of memory. */
char *hk_tts_cache_voice_key(const char *provider, const hk_tts_config *cfg);
/* 1 and *clip on a hit (the entry becomes the most recent), 0 on a miss. */
int hk_tts_cache_get(hk_tts_cache *cache, const char *voice_key, const char *text, hk_tts_clip *clip);
/* Store audio + marks for (voice_key, text), taking ownership of ulaw and
 * marks (malloc'ed) whatever the result; evicts least recently used entries
 * to stay within max_bytes. 1 stored, 0 not (already there, larger than the
 * cache, or out of memory). */
int hk_tts_cache_put(hk_tts_cache *cache, const char *voice_key, const char *text, uint8_t *ulaw,
                     size_t n, hk_word_mark *marks, size_t n_marks);
/* Keeps the clip's audio and marks alive (evicted or not) until as many
 * hk_tts_clip_release as holds; returns the handle to release. */
void *hk_tts_clip_hold(const hk_tts_clip *clip);
void hk_tts_clip_release(void *held);
void hk_tts_cache_stats_get(const hk_tts_cache *cache, hk_tts_cache_stats *st);

/* The worker's cache: max_bytes 0 turns it off (hk_tts_cache_worker then
 * returns NULL). Default 64 MB; created on first use, so each forked worker
 * has its own. */
void hk_tts_cache_worker_configure(size_t max_bytes);
hk_tts_cache *hk_tts_cache_worker(void);

/* One whole phrase being synthesised for the cache. Zero-initialised is idle. */
typedef struct hk_tts_fill {
    uint64_t req; /* 0: idle */
    char *key;    /* voice key, NUL, text */
    size_t voice_len;
    uint8_t *ulaw;
    size_t n, cap, limit;
    hk_word_mark *marks;
    size_t n_marks, cap_marks;
    int failed; /* too long or out of memory: not cached */
} hk_tts_fill;

/* Start collecting request req (drops what was collected before). limit:
 * the most audio bytes worth caching (beyond it the fill gives up). */
void hk_tts_fill_begin(hk_tts_fill *f, uint64_t req, const char *voice_key, const char *text,
                       size_t limit);
void hk_tts_fill_audio(hk_tts_fill *f, uint64_t req, const uint8_t *ulaw, size_t n);
void hk_tts_fill_words(hk_tts_fill *f, uint64_t req, const hk_word_mark *marks, size_t n);
/* Request req ended: ok puts it in cache (1 when stored); !ok drops it. */
int hk_tts_fill_end(hk_tts_fill *f, hk_tts_cache *cache, uint64_t req, int ok);
/* Cancelled (barge-in, provider switch, call end): drop what was collected. */
void hk_tts_fill_drop(hk_tts_fill *f);

#endif
