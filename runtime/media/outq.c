/* media/outq: see outq.h. A fixed array of segments used as a circular
 * queue in front of the call's ring: ring bytes written after a ring segment
 * extend it, after a reference (or into an empty queue) open a new one. A
 * reference is pushed only while two slots are free, so a write always finds
 * a slot. Reading copies at most one frame at a time out of the segments;
 * nothing is allocated after init. */
#include "media/outq.h"

#include <string.h>

int hk_outq_init(hk_outq *q, size_t ring_cap) {
    memset(q, 0, sizeof *q);
    return hk_ring_init(&q->ring, ring_cap);
}

static hk_outq_seg *seg_at(hk_outq *q, unsigned i) {
    return &q->seg[(q->first + i) % HK_OUTQ_SEGS];
}

/* The first segment is done (read or cleared): release it, drop it. */
static void pop_first(hk_outq *q) {
    hk_outq_seg *s = seg_at(q, 0);
    hk_outq_release release = s->release;
    void *ref = s->ref;
    memset(s, 0, sizeof *s);
    q->first = (q->first + 1) % HK_OUTQ_SEGS;
    q->n_seg--;
    if (release) release(ref);
}

void hk_outq_clear(hk_outq *q) {
    while (q->n_seg) pop_first(q);
    q->first = 0;
    if (q->ring.buf) hk_ring_clear(&q->ring);
    q->tail = q->head;
}

void hk_outq_free(hk_outq *q) {
    hk_outq_clear(q);
    hk_ring_free(&q->ring);
}

size_t hk_outq_used(const hk_outq *q) {
    return (size_t)(q->head - q->tail);
}

size_t hk_outq_write(hk_outq *q, const void *src, size_t n) {
    if (!q->ring.buf) return 0;
    hk_outq_seg *last = q->n_seg ? seg_at(q, q->n_seg - 1) : NULL;
    if (!last || last->data) {
        if (q->n_seg == HK_OUTQ_SEGS) return 0; /* never: push_ref keeps a slot */
        last = seg_at(q, q->n_seg++);
        memset(last, 0, sizeof *last);
    }
    size_t w = hk_ring_write(&q->ring, src, n);
    last->n += w;
    q->head += w;
    if (last->n == 0) q->n_seg--; /* nothing fitted: no empty segment */
    return w;
}

int hk_outq_push_ref(hk_outq *q, const uint8_t *data, size_t n, void *ref, hk_outq_release release) {
    if (!data || n == 0 || q->n_seg + 2 > HK_OUTQ_SEGS) return 0;
    hk_outq_seg *s = seg_at(q, q->n_seg++);
    s->data = data;
    s->n = n;
    s->off = 0;
    s->ref = ref;
    s->release = release;
    q->head += n;
    return 1;
}

size_t hk_outq_read(hk_outq *q, uint8_t *dst, size_t n) {
    size_t got = 0;
    while (got < n && q->n_seg) {
        hk_outq_seg *s = seg_at(q, 0);
        size_t k = s->n - s->off < n - got ? s->n - s->off : n - got;
        if (s->data) memcpy(dst + got, s->data + s->off, k);
        else k = hk_ring_read(&q->ring, dst + got, k);
        s->off += k;
        got += k;
        if (s->off >= s->n) pop_first(q);
        else if (k == 0) break; /* a ring segment longer than the ring holds: never */
    }
    q->tail += got;
    return got;
}
