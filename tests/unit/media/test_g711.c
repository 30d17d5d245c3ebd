/* tests/unit/media/test_g711: G.711 against an independent reference.
 * The reference encoders below are written differently from runtime/media/g711.c
 * (threshold chains instead of bit-count loops, negation instead of ~) so that a
 * shared mistake is unlikely; all 65,536 inputs are compared. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <cmocka.h>

#include "media/g711.h"

/* mu-law per G.191: 14-bit magnitude (one's complement for negatives) + 33. */
static uint8_t ref_ulaw(int16_t x)
{
    int mag = x >= 0 ? x / 4 : (-(int)x - 1) / 4;
    int a = mag + 33;
    if (a > 8191)
        a = 8191;
    int seg;
    if (a < 64)
        seg = 1;
    else if (a < 128)
        seg = 2;
    else if (a < 256)
        seg = 3;
    else if (a < 512)
        seg = 4;
    else if (a < 1024)
        seg = 5;
    else if (a < 2048)
        seg = 6;
    else if (a < 4096)
        seg = 7;
    else
        seg = 8;
    int mant = (a / (1 << seg)) % 16;
    int code = (((seg - 1) * 16) + mant) ^ 0x7F;
    return (uint8_t)(x >= 0 ? code + 0x80 : code);
}

/* A-law per G.191: 12-bit magnitude (one's complement for negatives). */
static uint8_t ref_alaw(int16_t x)
{
    int mag = x >= 0 ? x / 16 : (-(int)x - 1) / 16;
    int code;
    if (mag < 32) {
        code = mag; /* segments 0 and 1 are linear */
    } else {
        int seg = 2;
        while (mag >= (32 << (seg - 1)))
            seg++;
        code = seg * 16 + (mag / (1 << (seg - 1))) % 16;
    }
    if (x >= 0)
        code += 0x80;
    return (uint8_t)(code ^ 0x55);
}

static void *init_thread(void *arg)
{
    (void)arg;
    hk_g711_init();
    return (void *)(uintptr_t)hk_ulaw_encode(1000);
}

/* Runs first: concurrent first-time init must give complete tables everywhere. */
static void test_concurrent_init(void **state)
{
    (void)state;
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, init_thread, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *ret;
        assert_int_equal(pthread_join(t[i], &ret), 0);
        assert_int_equal((uintptr_t)ret, 0xCE);
    }
}

static void test_ulaw_all_inputs(void **state)
{
    (void)state;
    for (int i = -32768; i <= 32767; i++) {
        int16_t x = (int16_t)i;
        if (hk_ulaw_encode(x) != ref_ulaw(x))
            fail_msg("ulaw encode(%d) = 0x%02X, reference 0x%02X", i, hk_ulaw_encode(x),
                     ref_ulaw(x));
    }
}

static void test_alaw_all_inputs(void **state)
{
    (void)state;
    for (int i = -32768; i <= 32767; i++) {
        int16_t x = (int16_t)i;
        if (hk_alaw_encode(x) != ref_alaw(x))
            fail_msg("alaw encode(%d) = 0x%02X, reference 0x%02X", i, hk_alaw_encode(x),
                     ref_alaw(x));
    }
}

static void test_ulaw_g191_vectors(void **state)
{
    (void)state;
    static const struct {
        int16_t x;
        uint8_t code;
    } v[] = {
        {0, 0xFF},      {1, 0xFF},      {-1, 0x7F},     {4, 0xFE},      {-4, 0x7F},
        {-5, 0x7E},     {100, 0xF2},    {-100, 0x73},   {1000, 0xCE},   {-1000, 0x4E},
        {8158, 0x9F},   {-8159, 0x1F},  {32767, 0x80},  {-32768, 0x00},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        if (hk_ulaw_encode(v[i].x) != v[i].code)
            fail_msg("ulaw encode(%d) = 0x%02X, want 0x%02X", v[i].x, hk_ulaw_encode(v[i].x),
                     v[i].code);
    }
    assert_int_equal(hk_ulaw_encode(0), HK_ULAW_SILENCE);
}

static void test_ulaw_decode_vectors(void **state)
{
    (void)state;
    assert_int_equal(hk_ulaw_decode(0xFF), 0);
    assert_int_equal(hk_ulaw_decode(0x7F), 0);
    assert_int_equal(hk_ulaw_decode(0x00), -32124);
    assert_int_equal(hk_ulaw_decode(0x80), 32124);
    assert_int_equal(hk_ulaw_decode(0xCE), 988);
    assert_int_equal(hk_ulaw_decode(0x4E), -988);
}

/* Every decode code against the G.191 ulaw_expand formula written out
 * segment by segment: value = 128 << exp + step * mant + step / 2 - 132. */
static void test_ulaw_decode_all_codes(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        int u = 255 - c;
        int exp = (u / 16) % 8;
        int mant = u % 16;
        int step = 4 << (exp + 1);
        int mag = (128 << exp) + step * mant + step / 2 - 132;
        int want = c < 128 ? -mag : mag;
        if (hk_ulaw_decode((uint8_t)c) != want)
            fail_msg("ulaw decode(0x%02X) = %d, want %d", c, hk_ulaw_decode((uint8_t)c), want);
    }
}

static void test_ulaw_roundtrip(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        uint8_t back = hk_ulaw_encode(hk_ulaw_decode((uint8_t)c));
        if (c == 0x7F) { /* negative zero decodes to 0, which encodes as 0xFF */
            assert_true(back == 0x7F || back == 0xFF);
            continue;
        }
        if (back != c)
            fail_msg("ulaw 0x%02X -> %d -> 0x%02X", c, hk_ulaw_decode((uint8_t)c), back);
    }
}

static void test_alaw_vectors(void **state)
{
    (void)state;
    assert_int_equal(hk_alaw_decode(0xD5), 8);
    assert_int_equal(hk_alaw_decode(0x55), -8);
    assert_int_equal(hk_alaw_decode(0xAA), 32256);
    assert_int_equal(hk_alaw_decode(0x2A), -32256);
    assert_int_equal(hk_alaw_encode(0), 0xD5);
    assert_int_equal(hk_alaw_encode(-1), 0x55);
    assert_int_equal(hk_alaw_encode(32767), 0xAA);
    assert_int_equal(hk_alaw_encode(-32768), 0x2A);
}

static void test_alaw_roundtrip(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        uint8_t back = hk_alaw_encode(hk_alaw_decode((uint8_t)c));
        if (back != c)
            fail_msg("alaw 0x%02X -> %d -> 0x%02X", c, hk_alaw_decode((uint8_t)c), back);
    }
}

/* Decoded values must increase with the (sign-adjusted) code: monotonic codec. */
static void test_decode_monotonic(void **state)
{
    (void)state;
    int prev = -40000;
    for (int i = 0; i < 256; i++) {
        /* ascending order of value: codes 0x00..0x7F (negative, large to small
         * magnitude), then 0xFF..0x80 (positive, small to large) */
        uint8_t c = (uint8_t)(i < 128 ? i : 255 - (i - 128));
        int v = hk_ulaw_decode(c);
        assert_true(v >= prev);
        prev = v;
    }
}

static void test_buffers_match_scalar(void **state)
{
    (void)state;
    int16_t pcm[1000];
    uint8_t enc[1000];
    int16_t dec[1000];
    for (int i = 0; i < 1000; i++)
        pcm[i] = (int16_t)(i * 65 - 32500);
    hk_ulaw_encode_buf(pcm, enc, 1000);
    hk_ulaw_decode_buf(enc, dec, 1000);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(enc[i], hk_ulaw_encode(pcm[i]));
        assert_int_equal(dec[i], hk_ulaw_decode(enc[i]));
    }
    hk_ulaw_encode_buf(pcm, enc, 0); /* n = 0 touches nothing */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_init),
        cmocka_unit_test(test_ulaw_all_inputs),
        cmocka_unit_test(test_alaw_all_inputs),
        cmocka_unit_test(test_ulaw_g191_vectors),
        cmocka_unit_test(test_ulaw_decode_vectors),
        cmocka_unit_test(test_ulaw_decode_all_codes),
        cmocka_unit_test(test_ulaw_roundtrip),
        cmocka_unit_test(test_alaw_vectors),
        cmocka_unit_test(test_alaw_roundtrip),
        cmocka_unit_test(test_decode_monotonic),
        cmocka_unit_test(test_buffers_match_scalar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
