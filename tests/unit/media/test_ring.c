/* tests/unit/media/test_ring: the byte ring's wraparound, full/empty edges,
 * peek and clear, and the running totals used as an audio clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "media/ring.h"

static void test_init_rounds_to_power_of_two(void **state)
{
    (void)state;
    hk_ring r;
    assert_int_equal(hk_ring_init(&r, 100), 0);
    assert_int_equal(r.cap, 128);
    assert_int_equal(hk_ring_used(&r), 0);
    assert_int_equal(hk_ring_space(&r), 128);
    hk_ring_free(&r);
    assert_int_equal(hk_ring_init(&r, 64), 0);
    assert_int_equal(r.cap, 64);
    hk_ring_free(&r);
    assert_int_equal(hk_ring_init(&r, 0), 0);
    assert_true(r.cap >= 1);
    hk_ring_free(&r);
    assert_null(r.buf);
}

static void test_empty(void **state)
{
    (void)state;
    hk_ring r;
    uint8_t out[8];
    assert_int_equal(hk_ring_init(&r, 16), 0);
    assert_int_equal(hk_ring_read(&r, out, sizeof out), 0);
    assert_int_equal(hk_ring_peek(&r, out, sizeof out), 0);
    assert_int_equal(hk_ring_write(&r, "abc", 0), 0);
    assert_int_equal(hk_ring_used(&r), 0);
    hk_ring_free(&r);
}

static void test_full_never_overwrites(void **state)
{
    (void)state;
    hk_ring r;
    uint8_t in[20], out[20];
    for (int i = 0; i < 20; i++)
        in[i] = (uint8_t)i;
    assert_int_equal(hk_ring_init(&r, 16), 0);
    assert_int_equal(hk_ring_write(&r, in, 20), 16); /* short write */
    assert_int_equal(hk_ring_space(&r), 0);
    assert_int_equal(hk_ring_write(&r, in, 1), 0);
    assert_int_equal(hk_ring_read(&r, out, 20), 16);
    assert_memory_equal(in, out, 16);
    assert_int_equal(hk_ring_used(&r), 0);
    hk_ring_free(&r);
}

static void test_wraparound(void **state)
{
    (void)state;
    hk_ring r;
    assert_int_equal(hk_ring_init(&r, 16), 0);
    uint8_t next_in = 0, next_out = 0;
    /* odd sizes walk the positions across the end many times */
    for (int round = 0; round < 200; round++) {
        uint8_t chunk[16], got[16];
        size_t w = (size_t)(round * 7 % 13) + 1;
        for (size_t i = 0; i < w; i++)
            chunk[i] = (uint8_t)(next_in + i);
        size_t wrote = hk_ring_write(&r, chunk, w);
        next_in = (uint8_t)(next_in + wrote);
        size_t rd = (size_t)(round * 5 % 11) + 1;
        size_t n = hk_ring_read(&r, got, rd);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(got[i], (uint8_t)(next_out + i));
        next_out = (uint8_t)(next_out + n);
        assert_true(hk_ring_used(&r) <= 16);
    }
    assert_true(r.head > 16 * 10); /* wrapped many times */
    assert_int_equal(r.head - r.tail, hk_ring_used(&r));
    hk_ring_free(&r);
}

static void test_peek_does_not_consume(void **state)
{
    (void)state;
    hk_ring r;
    uint8_t out[8];
    assert_int_equal(hk_ring_init(&r, 8), 0);
    /* place the data across the wrap point */
    assert_int_equal(hk_ring_write(&r, "123456", 6), 6);
    assert_int_equal(hk_ring_read(&r, out, 6), 6);
    assert_int_equal(hk_ring_write(&r, "abcdef", 6), 6);
    memset(out, 0, sizeof out);
    assert_int_equal(hk_ring_peek(&r, out, 4), 4);
    assert_memory_equal(out, "abcd", 4);
    assert_int_equal(hk_ring_used(&r), 6);
    assert_int_equal(hk_ring_peek(&r, out, 8), 6);
    assert_memory_equal(out, "abcdef", 6);
    assert_int_equal(hk_ring_read(&r, out, 8), 6);
    assert_memory_equal(out, "abcdef", 6);
    hk_ring_free(&r);
}

static void test_clear(void **state)
{
    (void)state;
    hk_ring r;
    uint8_t out[8];
    assert_int_equal(hk_ring_init(&r, 8), 0);
    assert_int_equal(hk_ring_write(&r, "hello", 5), 5);
    hk_ring_clear(&r);
    assert_int_equal(hk_ring_used(&r), 0);
    assert_int_equal(hk_ring_space(&r), 8);
    assert_int_equal(r.head, 5); /* the clock keeps counting */
    assert_int_equal(hk_ring_read(&r, out, 8), 0);
    assert_int_equal(hk_ring_write(&r, "xy", 2), 2);
    assert_int_equal(hk_ring_read(&r, out, 8), 2);
    assert_memory_equal(out, "xy", 2);
    hk_ring_free(&r);
}

/* A ring drained as it fills writes from the start of its buffer again
 * (only its first pages are ever touched), while head keeps counting. */
static void test_rewinds_when_empty(void **state)
{
    (void)state;
    hk_ring r;
    uint8_t out[8];
    assert_int_equal(hk_ring_init(&r, 4096), 0);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(hk_ring_write(&r, "abcdefg", 7), 7);
        assert_int_equal(hk_ring_read(&r, out, 8), 7);
        assert_memory_equal(out, "abcdefg", 7);
    }
    assert_int_equal(r.head, 7000); /* the clock */
    assert_int_equal(hk_ring_write(&r, "XY", 2), 2);
    assert_memory_equal(r.buf, "XY", 2); /* at the start, not at 7000 % 4096 */
    /* not empty: no rewind, data stays in order across the wrap */
    assert_int_equal(hk_ring_read(&r, out, 1), 1);
    assert_int_equal(hk_ring_write(&r, "Z", 1), 1);
    assert_int_equal(hk_ring_read(&r, out, 8), 2);
    assert_memory_equal(out, "YZ", 2);
    /* clear rewinds too */
    assert_int_equal(hk_ring_write(&r, "abc", 3), 3);
    hk_ring_clear(&r);
    assert_int_equal(hk_ring_write(&r, "Q", 1), 1);
    assert_memory_equal(r.buf, "Q", 1);
    assert_int_equal(r.head, 7007);
    hk_ring_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_rounds_to_power_of_two),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_full_never_overwrites),
        cmocka_unit_test(test_wraparound),
        cmocka_unit_test(test_peek_does_not_consume),
        cmocka_unit_test(test_clear),
        cmocka_unit_test(test_rewinds_when_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
