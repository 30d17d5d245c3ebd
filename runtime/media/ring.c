/* media/ring: fixed-capacity byte ring (power-of-two size, allocated once).
 * Owns its buffer; head/tail are 64-bit running totals, so used = head - tail
 * never wraps in practice (callers use head as an audio clock). The index
 * is (total - origin) & (cap - 1); whenever the ring runs empty, origin moves
 * to head, so the next write lands at the start of the buffer: a ring that
 * is drained as it fills (a socket's send queue, the audio to a provider)
 * only ever touches the first pages of its buffer, and pages never written
 * cost no memory (RSS), however large the capacity.
 * Single-threaded: no locks, no allocation after hk_ring_init. */
#include "media/ring.h"

#include <stdlib.h>
#include <string.h>

int hk_ring_init(hk_ring *r, size_t cap)
{
    memset(r, 0, sizeof *r);
    if (cap == 0)
        cap = 1;
    size_t p = 1;
    while (p < cap) {
        if (p > SIZE_MAX / 2)
            return -1;
        p <<= 1;
    }
    r->buf = malloc(p);
    if (!r->buf)
        return -1;
    r->cap = p;
    return 0;
}

void hk_ring_free(hk_ring *r)
{
    free(r->buf);
    memset(r, 0, sizeof *r);
}

size_t hk_ring_used(const hk_ring *r)
{
    return (size_t)(r->head - r->tail);
}

size_t hk_ring_space(const hk_ring *r)
{
    return r->cap - hk_ring_used(r);
}

size_t hk_ring_write(hk_ring *r, const void *src, size_t n)
{
    size_t space = hk_ring_space(r);
    if (n > space)
        n = space;
    if (n == 0)
        return 0;
    size_t at = (size_t)((r->head - r->origin) & (r->cap - 1));
    size_t first = r->cap - at < n ? r->cap - at : n;
    memcpy(r->buf + at, src, first);
    memcpy(r->buf, (const uint8_t *)src + first, n - first);
    r->head += n;
    return n;
}

size_t hk_ring_peek(const hk_ring *r, void *dst, size_t n)
{
    size_t used = hk_ring_used(r);
    if (n > used)
        n = used;
    if (n == 0)
        return 0;
    size_t at = (size_t)((r->tail - r->origin) & (r->cap - 1));
    size_t first = r->cap - at < n ? r->cap - at : n;
    memcpy(dst, r->buf + at, first);
    memcpy((uint8_t *)dst + first, r->buf, n - first);
    return n;
}

size_t hk_ring_read(hk_ring *r, void *dst, size_t n)
{
    n = hk_ring_peek(r, dst, n);
    r->tail += n;
    if (r->tail == r->head) r->origin = r->head; /* empty: rewind */
    return n;
}

void hk_ring_clear(hk_ring *r)
{
    r->tail = r->origin = r->head;
}
