/* tests/unit/telephony/test_stream_token: a token made for a call verifies for
 * that call until its expiry and for nothing else; every altered byte, other
 * secret, truncation or malformed shape is refused; the payload format is
 * checked against an independent HMAC so the token stays interoperable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "net/base64.h"
#include "telephony/stream_token.h"

#define SECRET "s3cret-stream-key"
#define CALL "CA9876543210fedcba9876543210fedcba"
#define T0 1764000000

static void test_roundtrip(void **state)
{
    (void)state;
    char tok[HK_STREAM_TOKEN_MAX], agent[64];
    int n = hk_stream_token_make(SECRET, CALL, "front-desk", T0 + 60, tok, sizeof tok);
    assert_true(n > 0);
    assert_int_equal(n, strlen(tok));
    assert_null(strpbrk(tok, "+/=|")); /* URL- and XML-attribute-safe */
    assert_int_equal(hk_stream_token_verify(SECRET, tok, CALL, T0, agent, sizeof agent), HK_STREAM_TOKEN_OK);
    assert_string_equal(agent, "front-desk");
    assert_int_equal(hk_stream_token_verify(SECRET, tok, CALL, T0 + 59, NULL, 0), HK_STREAM_TOKEN_OK);
    assert_int_equal(hk_stream_token_verify(SECRET, tok, CALL, T0 + 60, agent, sizeof agent),
                     HK_STREAM_TOKEN_EXPIRED);
    assert_string_equal(agent, "front-desk");
    assert_int_equal(hk_stream_token_verify(SECRET, tok, CALL, INT64_MAX, NULL, 0), HK_STREAM_TOKEN_EXPIRED);
    assert_int_equal(hk_stream_token_verify(SECRET, tok, "CA0000000000000000000000000000000", T0, agent,
                                            sizeof agent),
                     HK_STREAM_TOKEN_WRONG_CALL);
    assert_int_equal(hk_stream_token_verify(SECRET, tok, CALL "0", T0, NULL, 0), HK_STREAM_TOKEN_WRONG_CALL);
    assert_int_equal(hk_stream_token_verify(SECRET, tok, "CA98", T0, NULL, 0), HK_STREAM_TOKEN_WRONG_CALL);
    assert_int_equal(hk_stream_token_verify(SECRET, tok, "", T0, NULL, 0), HK_STREAM_TOKEN_WRONG_CALL);
    assert_int_equal(hk_stream_token_verify("other", tok, CALL, T0, NULL, 0), HK_STREAM_TOKEN_BAD_SIGNATURE);
    assert_int_equal(hk_stream_token_verify(SECRET "x", tok, CALL, T0, NULL, 0), HK_STREAM_TOKEN_BAD_SIGNATURE);
}

/* The format is base64url(payload) "." base64url(HMAC-SHA256(payload)). */
static void test_format(void **state)
{
    (void)state;
    char tok[HK_STREAM_TOKEN_MAX], want[HK_STREAM_TOKEN_MAX];
    const char *payload = CALL "|agent-7|1764000060";
    unsigned char md[32];
    unsigned int mdlen;
    HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)payload, strlen(payload), md, &mdlen);
    long a = hk_base64url_encode((const uint8_t *)payload, strlen(payload), want, sizeof want);
    want[a] = '.';
    hk_base64url_encode(md, 32, want + a + 1, sizeof want - (size_t)a - 1);
    assert_int_equal(hk_stream_token_make(SECRET, CALL, "agent-7", 1764000060, tok, sizeof tok), strlen(want));
    assert_string_equal(tok, want);
    /* Negative and zero expiries are representable (and expired). */
    assert_true(hk_stream_token_make(SECRET, CALL, "a", -5, tok, sizeof tok) > 0);
    assert_int_equal(hk_stream_token_verify(SECRET, tok, CALL, -6, NULL, 0), HK_STREAM_TOKEN_OK);
    assert_int_equal(hk_stream_token_verify(SECRET, tok, CALL, 0, NULL, 0), HK_STREAM_TOKEN_EXPIRED);
    assert_true(hk_stream_token_make(SECRET, CALL, "a", INT64_MIN, tok, sizeof tok) > 0);
    assert_int_equal(hk_stream_token_verify(SECRET, tok, CALL, INT64_MIN, NULL, 0), HK_STREAM_TOKEN_EXPIRED);
}

/* Flipping any character of a genuine token never verifies. */
static void test_every_byte_altered(void **state)
{
    (void)state;
    char tok[HK_STREAM_TOKEN_MAX];
    int n = hk_stream_token_make(SECRET, CALL, "front-desk", T0 + 60, tok, sizeof tok);
    static const char repl[] = "A_-.0z|=";
    for (int i = 0; i < n; i++) {
        for (const char *r = repl; *r; r++) {
            char t[HK_STREAM_TOKEN_MAX];
            memcpy(t, tok, (size_t)n + 1);
            if (t[i] == *r)
                continue;
            t[i] = *r;
            int rc = hk_stream_token_verify(SECRET, t, CALL, T0, NULL, 0);
            assert_true(rc == HK_STREAM_TOKEN_BAD_SIGNATURE || rc == HK_STREAM_TOKEN_MALFORMED);
        }
        char t[HK_STREAM_TOKEN_MAX];
        memcpy(t, tok, (size_t)i);
        t[i] = '\0';
        assert_int_not_equal(hk_stream_token_verify(SECRET, t, CALL, T0, NULL, 0), HK_STREAM_TOKEN_OK);
    }
}

static void test_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {"", ".", "abc", "abc.", ".abc", "a.b.c", "!!!!.????",
                                      "Q0F8YXwx.AAAA", "Q0F8YXwx..", "Q0F8YXwx.+/+/"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(hk_stream_token_verify(SECRET, bad[i], CALL, T0, NULL, 0), HK_STREAM_TOKEN_MALFORMED);
    assert_int_equal(hk_stream_token_verify(NULL, "a.b", CALL, T0, NULL, 0), HK_STREAM_TOKEN_MALFORMED);
    assert_int_equal(hk_stream_token_verify("", "a.b", CALL, T0, NULL, 0), HK_STREAM_TOKEN_MALFORMED);
    assert_int_equal(hk_stream_token_verify(SECRET, NULL, CALL, T0, NULL, 0), HK_STREAM_TOKEN_MALFORMED);
    assert_int_equal(hk_stream_token_verify(SECRET, "a.b", NULL, T0, NULL, 0), HK_STREAM_TOKEN_MALFORMED);

    /* Correctly signed but malformed payloads (as if the secret leaked into a
     * buggy writer): still refused, never misread. */
    static const char *const payloads[] = {"CA1|agent", "CA1|agent|", "CA1|agent|12x", "|agent|5",
                                           "CA1||5", "CA1|a|b|5", "CA1|agent|99999999999999999999",
                                           "CA1|agent|+5", "CA1|agent| 5", "CA1|agent|--5"};
    for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
        unsigned char md[32];
        unsigned int mdlen;
        const char *p = payloads[i];
        HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)p, strlen(p), md, &mdlen);
        char t[HK_STREAM_TOKEN_MAX];
        long a = hk_base64url_encode((const uint8_t *)p, strlen(p), t, sizeof t);
        t[a] = '.';
        hk_base64url_encode(md, 32, t + a + 1, sizeof t - (size_t)a - 1);
        if (hk_stream_token_verify(SECRET, t, "CA1", 0, NULL, 0) != HK_STREAM_TOKEN_MALFORMED)
            fail_msg("payload %s accepted", p);
    }
}

static void test_make_limits(void **state)
{
    (void)state;
    char tok[HK_STREAM_TOKEN_MAX], agent[HK_STREAM_TOKEN_FIELD_MAX + 1];
    char big[HK_STREAM_TOKEN_FIELD_MAX + 2];
    memset(big, 'x', sizeof big);
    big[HK_STREAM_TOKEN_FIELD_MAX] = '\0';
    /* The largest fields and the longest expiry fit HK_STREAM_TOKEN_MAX. */
    int n = hk_stream_token_make(SECRET, big, big, INT64_MIN, tok, sizeof tok);
    assert_true(n > 0 && n < HK_STREAM_TOKEN_MAX);
    assert_int_equal(hk_stream_token_verify(SECRET, tok, big, INT64_MIN, agent, sizeof agent),
                     HK_STREAM_TOKEN_EXPIRED);
    assert_string_equal(agent, big);
    /* agent buffer too small to hold the agent id: refused, not truncated. */
    assert_int_equal(hk_stream_token_verify(SECRET, tok, big, INT64_MIN, agent, 10), HK_STREAM_TOKEN_MALFORMED);
    big[HK_STREAM_TOKEN_FIELD_MAX] = 'x';
    big[HK_STREAM_TOKEN_FIELD_MAX + 1] = '\0';
    assert_int_equal(hk_stream_token_make(SECRET, big, "a", 1, tok, sizeof tok), -1);
    assert_int_equal(hk_stream_token_make(SECRET, CALL, big, 1, tok, sizeof tok), -1);
    assert_int_equal(hk_stream_token_make(SECRET, "CA|1", "a", 1, tok, sizeof tok), -1);
    assert_int_equal(hk_stream_token_make(SECRET, CALL, "a|b", 1, tok, sizeof tok), -1);
    assert_int_equal(hk_stream_token_make(SECRET, "", "a", 1, tok, sizeof tok), -1);
    assert_int_equal(hk_stream_token_make(SECRET, CALL, "", 1, tok, sizeof tok), -1);
    assert_int_equal(hk_stream_token_make("", CALL, "a", 1, tok, sizeof tok), -1);
    assert_int_equal(hk_stream_token_make(NULL, CALL, "a", 1, tok, sizeof tok), -1);
    assert_int_equal(hk_stream_token_make(SECRET, NULL, "a", 1, tok, sizeof tok), -1);
    assert_int_equal(hk_stream_token_make(SECRET, CALL, "a", 1, NULL, 64), -1);
    /* Every capacity below the token's size fails; the exact size works. */
    n = hk_stream_token_make(SECRET, CALL, "front-desk", T0, tok, sizeof tok);
    for (size_t cap = 0; cap <= (size_t)n; cap++) {
        char *b = malloc(cap ? cap : 1);
        assert_int_equal(hk_stream_token_make(SECRET, CALL, "front-desk", T0, b, cap), -1);
        free(b);
    }
    char *b = malloc((size_t)n + 1);
    assert_int_equal(hk_stream_token_make(SECRET, CALL, "front-desk", T0, b, (size_t)n + 1), n);
    assert_string_equal(b, tok);
    free(b);
}

static void test_strerror(void **state)
{
    (void)state;
    assert_string_equal(hk_stream_token_strerror(HK_STREAM_TOKEN_OK), "ok");
    assert_string_equal(hk_stream_token_strerror(HK_STREAM_TOKEN_MALFORMED), "malformed");
    assert_string_equal(hk_stream_token_strerror(HK_STREAM_TOKEN_BAD_SIGNATURE), "bad signature");
    assert_string_equal(hk_stream_token_strerror(HK_STREAM_TOKEN_WRONG_CALL), "wrong call");
    assert_string_equal(hk_stream_token_strerror(HK_STREAM_TOKEN_EXPIRED), "expired");
    assert_string_equal(hk_stream_token_strerror(42), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),   cmocka_unit_test(test_format),
        cmocka_unit_test(test_every_byte_altered), cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_make_limits), cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
