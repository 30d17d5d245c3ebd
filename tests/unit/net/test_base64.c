/* tests/unit/net/test_base64: RFC 4648 vectors, agreement with OpenSSL's
 * EVP_EncodeBlock on random data of every length up to 400, strict rejection
 * of every malformed shape (bad bytes, padding, length, trailing bits),
 * exact buffer-size behaviour, and the base64url variant. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>

#include "net/base64.h"

static const char *const RFC[][2] = {
    {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

static void test_rfc4648_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof RFC / sizeof RFC[0]; i++) {
        char enc[32];
        uint8_t dec[32];
        size_t n = strlen(RFC[i][0]);
        assert_int_equal(hk_base64_encode((const uint8_t *)RFC[i][0], n, enc, sizeof enc), strlen(RFC[i][1]));
        assert_string_equal(enc, RFC[i][1]);
        assert_int_equal(hk_base64_decode(RFC[i][1], strlen(RFC[i][1]), dec, sizeof dec), n);
        assert_memory_equal(dec, RFC[i][0], n);
    }
}

static void test_sizes(void **state)
{
    (void)state;
    assert_int_equal(hk_base64_encoded_len(0), 0);
    assert_int_equal(hk_base64_encoded_len(1), 4);
    assert_int_equal(hk_base64_encoded_len(3), 4);
    assert_int_equal(hk_base64_encoded_len(4), 8);
    assert_int_equal(hk_base64_encoded_len(160), 216); /* one 20 ms mu-law frame */
    assert_int_equal(hk_base64_decoded_max(216), 162);
    assert_int_equal(hk_base64_decoded_max(0), 0);
    assert_int_equal(hk_base64url_encoded_len(0), 0);
    assert_int_equal(hk_base64url_encoded_len(1), 2);
    assert_int_equal(hk_base64url_encoded_len(2), 3);
    assert_int_equal(hk_base64url_encoded_len(3), 4);
    assert_int_equal(hk_base64url_encoded_len(32), 43); /* a SHA-256 MAC */
}

/* OpenSSL as the independent reference, every length 0..400. */
static void test_matches_openssl(void **state)
{
    (void)state;
    uint8_t in[400], back[400];
    char ours[600];
    unsigned char ref[600];
    srand(7);
    for (size_t n = 0; n <= sizeof in; n++) {
        for (size_t i = 0; i < n; i++)
            in[i] = (uint8_t)rand();
        int rn = EVP_EncodeBlock(ref, in, (int)n);
        long on = hk_base64_encode(in, n, ours, sizeof ours);
        assert_int_equal(on, rn);
        assert_int_equal((size_t)on, hk_base64_encoded_len(n));
        assert_memory_equal(ours, ref, (size_t)rn + 1);
        assert_true(hk_base64_decoded_max((size_t)on) >= n);
        assert_int_equal(hk_base64_decode(ours, (size_t)on, back, sizeof back), n);
        assert_memory_equal(back, in, n);
    }
}

static void test_encode_capacity(void **state)
{
    (void)state;
    uint8_t in[160] = {0xFF, 0x7F, 0x00};
    char out[217];
    memset(out, 'x', sizeof out);
    assert_int_equal(hk_base64_encode(in, 160, out, 216), -1); /* no room for the NUL */
    assert_int_equal(out[0], 'x');                             /* untouched */
    assert_int_equal(hk_base64_encode(in, 160, out, 217), 216);
    assert_int_equal(out[216], '\0');
    assert_int_equal(hk_base64_encode(in, 0, out, 1), 0);
    assert_string_equal(out, "");
    assert_int_equal(hk_base64_encode(in, 0, out, 0), -1);
}

static void test_decode_capacity(void **state)
{
    (void)state;
    uint8_t out[6];
    assert_int_equal(hk_base64_decode("Zm9vYmFy", 8, out, 5), -1);
    assert_int_equal(hk_base64_decode("Zm9vYmFy", 8, out, 6), 6);
    assert_int_equal(hk_base64_decode("Zm9vYg==", 8, out, 4), 4); /* exact, not decoded_max */
    assert_int_equal(hk_base64_decode("Zm9vYg==", 8, out, 3), -1);
    assert_int_equal(hk_base64_decode("", 0, NULL, 0), 0);
}

static void test_decode_rejects_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "Zg",  "Zg=",   "Z===",  "====",   "Zm9",    "Zm9vY",   "Zm9vYg=", /* length */
        "Zg=a", "Z=g=", "=Zg=",  "Zm=v",   "Zm9vYg==Zm9v",                /* '=' misplaced */
        "Zh==", "Zm9=", "Zm8/Zn==",                                     /* non-zero trailing bits */
        "Zm9 ", " Zm9", "Zm9\n", "Zm\r\n9v",                            /* whitespace */
        "Zm-v", "Zm_v", "Zm.v", "Zm9v\x80\x80\x80\x80",                 /* wrong alphabet */
    };
    uint8_t out[64];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(hk_base64_decode(bad[i], strlen(bad[i]), out, sizeof out), -1);
    /* An embedded NUL is a bad character, not the end. */
    assert_int_equal(hk_base64_decode("Zm\0v", 4, out, sizeof out), -1);
}

/* Every byte value in every position of a group: accepted exactly when it is
 * in the alphabet (the decode table agrees with the encoder's alphabet). */
static void test_every_byte(void **state)
{
    (void)state;
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int c = 0; c < 256; c++) {
        int ok = c != 0 && strchr(abc, c) != NULL;
        for (int pos = 0; pos < 4; pos++) {
            char g[5] = "AAAA";
            g[pos] = (char)c;
            uint8_t out[3];
            long r = hk_base64_decode(g, 4, out, sizeof out);
            if (c == '=' && pos == 3) { /* "AAA=" is padding, not a bad byte */
                assert_int_equal(r, 2);
                continue;
            }
            assert_int_equal(r, ok ? 3 : -1);
            if (ok) {
                char back[5];
                hk_base64_encode(out, 3, back, sizeof back);
                assert_memory_equal(back, g, 4);
            }
        }
    }
}

static void test_base64url(void **state)
{
    (void)state;
    const uint8_t in[] = {0xFB, 0xFF, 0xBF, 0xFE};
    char out[16];
    uint8_t back[8];
    assert_int_equal(hk_base64url_encode(in, 4, out, sizeof out), 6);
    assert_string_equal(out, "-_-__g");
    assert_int_equal(hk_base64_encode(in, 4, out, sizeof out), 8);
    assert_string_equal(out, "+/+//g==");
    assert_int_equal(hk_base64url_decode("-_-__g", 6, back, sizeof back), 4);
    assert_memory_equal(back, in, 4);
    assert_int_equal(hk_base64url_decode("+/+//g", 6, back, sizeof back), -1);
    assert_int_equal(hk_base64url_decode("-_-__g==", 8, back, sizeof back), -1);
    assert_int_equal(hk_base64url_decode("-_-_-", 5, back, sizeof back), -1); /* 4k+1 */
    assert_int_equal(hk_base64url_decode("-_-__h", 6, back, sizeof back), -1); /* trailing bits */
    assert_int_equal(hk_base64url_encode(in, 4, out, 6), -1);
    uint8_t rnd[100];
    char enc[200];
    srand(11);
    for (size_t n = 0; n <= sizeof rnd; n++) {
        for (size_t i = 0; i < n; i++)
            rnd[i] = (uint8_t)rand();
        long e = hk_base64url_encode(rnd, n, enc, sizeof enc);
        assert_int_equal((size_t)e, hk_base64url_encoded_len(n));
        assert_null(strpbrk(enc, "+/="));
        assert_int_equal(hk_base64url_decode(enc, (size_t)e, back, 0), n ? -1 : 0);
        uint8_t dec[100];
        assert_int_equal(hk_base64url_decode(enc, (size_t)e, dec, sizeof dec), n);
        assert_memory_equal(dec, rnd, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),   cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_matches_openssl),   cmocka_unit_test(test_encode_capacity),
        cmocka_unit_test(test_decode_capacity),   cmocka_unit_test(test_decode_rejects_malformed),
        cmocka_unit_test(test_every_byte),        cmocka_unit_test(test_base64url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
