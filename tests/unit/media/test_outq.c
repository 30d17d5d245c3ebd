/* tests/unit/media/test_outq: the call's outbound queue. Ring bytes and
 * referenced clips play in the order queued, frame by frame across segment
 * boundaries; positions count every byte (the audio clock barge-in trims by);
 * a reference is released exactly once, when read to its end, cleared or
 * freed, never before; a full segment queue refuses a reference (the caller
 * copies) but always takes ring bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "media/outq.h"

static int released[16];

static void release(void *ref) {
    released[(int)(intptr_t)ref]++;
}

static void fill(uint8_t *b, size_t n, uint8_t seed) {
    for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(seed + i);
}

static void test_order_positions_release(void **state) {
    (void)state;
    memset(released, 0, sizeof released);
    hk_outq q;
    assert_int_equal(hk_outq_init(&q, 1024), 0);
    uint8_t a[100], clip[250], b[60], frame[160], want[410];
    fill(a, sizeof a, 1);
    fill(clip, sizeof clip, 101);
    fill(b, sizeof b, 201);
    assert_int_equal(hk_outq_write(&q, a, 60), 60);
    assert_int_equal(hk_outq_write(&q, a + 60, 40), 40); /* extends the ring segment */
    assert_int_equal(hk_outq_push_ref(&q, clip, sizeof clip, (void *)(intptr_t)1, release), 1);
    assert_int_equal(hk_outq_write(&q, b, sizeof b), 60);
    assert_int_equal(q.n_seg, 3);
    assert_int_equal(q.head, 410);
    assert_int_equal(hk_outq_used(&q), 410);
    /* the clip's bytes are not in the ring */
    assert_int_equal(hk_ring_used(&q.ring), 160);
    memcpy(want, a, 100);
    memcpy(want + 100, clip, 250);
    memcpy(want + 350, b, 60);
    assert_int_equal(hk_outq_read(&q, frame, 160), 160);
    assert_memory_equal(frame, want, 160);
    assert_int_equal(q.tail, 160);
    assert_int_equal(released[1], 0);
    assert_int_equal(hk_outq_read(&q, frame, 160), 160);
    assert_memory_equal(frame, want + 160, 160);
    assert_int_equal(released[1], 0); /* 30 bytes of the clip still to play */
    assert_int_equal(hk_outq_read(&q, frame, 160), 90);
    assert_memory_equal(frame, want + 320, 90);
    assert_int_equal(released[1], 1);
    assert_int_equal(q.tail, 410);
    assert_int_equal(q.n_seg, 0);
    assert_int_equal(hk_outq_read(&q, frame, 160), 0);
    hk_outq_free(&q);
    assert_int_equal(released[1], 1);
}

static void test_clear_and_free_release_once(void **state) {
    (void)state;
    memset(released, 0, sizeof released);
    hk_outq q;
    uint8_t clip[500], frame[160];
    fill(clip, sizeof clip, 7);
    assert_int_equal(hk_outq_init(&q, 1024), 0);
    assert_int_equal(hk_outq_push_ref(&q, clip, sizeof clip, (void *)(intptr_t)2, release), 1);
    assert_int_equal(hk_outq_push_ref(&q, clip, 100, (void *)(intptr_t)3, release), 1);
    assert_int_equal(hk_outq_read(&q, frame, 160), 160);
    hk_outq_clear(&q); /* barge-in: both dropped at once */
    assert_int_equal(released[2], 1);
    assert_int_equal(released[3], 1);
    assert_int_equal(q.tail, q.head);
    assert_int_equal(q.head, 600);
    assert_int_equal(hk_outq_used(&q), 0);
    /* positions keep running after a clear */
    assert_int_equal(hk_outq_write(&q, clip, 10), 10);
    assert_int_equal(q.head, 610);
    assert_int_equal(hk_outq_read(&q, frame, 160), 10);
    assert_memory_equal(frame, clip, 10);
    assert_int_equal(hk_outq_push_ref(&q, clip, 50, (void *)(intptr_t)4, release), 1);
    hk_outq_free(&q); /* the call ends mid-clip */
    assert_int_equal(released[4], 1);
    assert_int_equal(released[2], 1);
    /* a zeroed queue (a text-only call) clears and frees harmlessly */
    memset(&q, 0, sizeof q);
    hk_outq_clear(&q);
    assert_int_equal(hk_outq_write(&q, clip, 10), 0);
    hk_outq_free(&q);
}

static void test_full_queue_refuses_refs_takes_bytes(void **state) {
    (void)state;
    memset(released, 0, sizeof released);
    hk_outq q;
    uint8_t clip[40], frame[160], all[400];
    fill(all, sizeof all, 90);
    fill(clip, sizeof clip, 50);
    assert_int_equal(hk_outq_init(&q, 64), 0);
    size_t total = 0;
    int refs = 0;
    while (hk_outq_push_ref(&q, clip, sizeof clip, (void *)(intptr_t)5, release)) {
        refs++;
        assert_int_equal(hk_outq_write(&q, "xy", 2), 2);
        total += sizeof clip + 2;
    }
    assert_true(refs >= 3);
    assert_int_equal(released[5], 0); /* a refused reference is not released */
    assert_int_equal(refs, HK_OUTQ_SEGS / 2); /* each followed by ring bytes */
    /* bytes after the last reference still fit (one slot is kept) */
    assert_int_equal(hk_outq_push_ref(&q, clip, sizeof clip, (void *)(intptr_t)6, release), 0);
    assert_int_equal(released[6], 0);
    assert_int_equal(hk_outq_write(&q, clip, 5), 5);
    total += 5;
    /* the ring bound: no more than its capacity of copied bytes */
    size_t w = hk_outq_write(&q, all, sizeof all);
    assert_true(w < sizeof all);
    total += w;
    assert_int_equal(hk_outq_used(&q), total);
    size_t got = 0, n;
    while ((n = hk_outq_read(&q, frame, sizeof frame)) > 0) {
        if (got == 0) assert_memory_equal(frame, clip, sizeof clip);
        got += n;
    }
    assert_int_equal(got, total);
    assert_int_equal(released[5], refs);
    assert_int_equal(q.n_seg, 0);
    hk_outq_free(&q);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_positions_release),
        cmocka_unit_test(test_clear_and_free_release_once),
        cmocka_unit_test(test_full_queue_refuses_refs_takes_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
