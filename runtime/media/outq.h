/* media/outq: the outbound audio of one call, in the order it is to be
 * played: a short queue of segments, each either bytes in the call's own
 * ring (what a provider streams) or a reference to audio held elsewhere (a
 * cached phrase, played where it lies instead of copied into the ring). The
 * reference holds its owner alive through a release callback called once the
 * segment has played or been cleared. Positions (head, tail) are 64-bit
 * running totals over all segments, in bytes of 8 kHz mu-law, like the ring's:
 * the audio clock marks and barge-in trimming count in. Loop thread only; no
 * allocation after hk_outq_init. */
#ifndef HK_OUTQ_H
#define HK_OUTQ_H

#include <stddef.h>
#include <stdint.h>

#include "media/ring.h"

#define HK_OUTQ_SEGS 8

typedef void (*hk_outq_release)(void *ref);

typedef struct hk_outq_seg {
    const uint8_t *data; /* NULL: the next n bytes of the ring */
    size_t n, off;       /* length, and how much of it has been read */
    void *ref;           /* handed to release when the segment is done */
    hk_outq_release release;
} hk_outq_seg;

typedef struct hk_outq {
    hk_ring ring;
    hk_outq_seg seg[HK_OUTQ_SEGS]; /* circular: seg[first .. first+n_seg) */
    unsigned first, n_seg;
    uint64_t head; /* total bytes queued */
    uint64_t tail; /* total bytes read */
} hk_outq;

/* ring_cap: the ring's capacity (the most streamed audio queued at once).
 * 0 or -1 (no memory). */
int hk_outq_init(hk_outq *q, size_t ring_cap);
/* Releases every reference still queued and frees the ring. */
void hk_outq_free(hk_outq *q);
size_t hk_outq_used(const hk_outq *q);
/* Copies up to n bytes into the ring, after what is queued; returns bytes
 * queued (fewer when the ring is full). */
size_t hk_outq_write(hk_outq *q, const void *src, size_t n);
/* Queues n bytes at data by reference: 1 queued (release(ref) will be called
 * exactly once, when they have been read or cleared), 0 when the queue has
 * no room for another segment (nothing queued, release not called: copy
 * them with hk_outq_write instead). One slot is always kept for the ring,
 * so hk_outq_write never runs out of segments. */
int hk_outq_push_ref(hk_outq *q, const uint8_t *data, size_t n, void *ref, hk_outq_release release);
/* Reads up to n bytes in order across segments; returns bytes read. */
size_t hk_outq_read(hk_outq *q, uint8_t *dst, size_t n);
/* Drops everything unread (tail = head), releasing the references. */
void hk_outq_clear(hk_outq *q);

#endif
