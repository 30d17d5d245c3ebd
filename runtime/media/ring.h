/* media/ring: a byte ring buffer of fixed power-of-two capacity, allocated once.
 * Single-threaded (loop thread). Used for outbound mu-law audio awaiting the
 * pacer and for inbound frames: no allocation per frame. Positions are 64-bit
 * running totals, so "bytes ever written" doubles as an audio clock. */
#ifndef HK_RING_H
#define HK_RING_H

#include <stddef.h>
#include <stdint.h>

typedef struct hk_ring {
    uint8_t *buf;
    size_t cap;     /* power of two */
    uint64_t head;  /* total bytes written */
    uint64_t tail;  /* total bytes read */
    uint64_t origin; /* the total at buffer index 0: head when the ring last ran empty */
} hk_ring;

/* cap is rounded up to a power of two. Returns 0 or -1 (no memory). */
int hk_ring_init(hk_ring *r, size_t cap);
void hk_ring_free(hk_ring *r);
size_t hk_ring_used(const hk_ring *r);
size_t hk_ring_space(const hk_ring *r);
/* Writes up to n bytes (never overwrites unread data); returns bytes written. */
size_t hk_ring_write(hk_ring *r, const void *src, size_t n);
/* Reads up to n bytes; returns bytes read. */
size_t hk_ring_read(hk_ring *r, void *dst, size_t n);
/* Copies up to n bytes without consuming them. */
size_t hk_ring_peek(const hk_ring *r, void *dst, size_t n);
/* Drops everything unread (tail = head). An empty ring (cleared, or read to
 * the end) writes from the start of its buffer again. */
void hk_ring_clear(hk_ring *r);

#endif
