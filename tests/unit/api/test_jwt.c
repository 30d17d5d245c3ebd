/* tests/unit/api/test_jwt: session tokens: a valid one passes; expired, issued
 * in the future beyond the skew, an altered payload or signature, alg none,
 * alg HS512, a missing tenant, garbage base64, a short secret all fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/hmac.h>

#include "api/jwt.h"
#include "net/base64.h"

#define SECRET "test-secret-0123456789abcdef"
#define SUB "11111111-1111-1111-1111-111111111111"
#define TEN "22222222-2222-2222-2222-222222222222"
#define NOW 1800000000L

static int verify(const char *tok, long now, hk_jwt_claims *c, const char **why) {
    return hk_jwt_verify(SECRET, tok, strlen(tok), now, c, why);
}

/* A token with any header and payload, signed HS256 with secret. */
static void forge(const char *header, const char *payload, const char *secret, char *out, size_t cap) {
    long h = hk_base64url_encode((const uint8_t *)header, strlen(header), out, cap);
    out[h] = '.';
    long p = hk_base64url_encode((const uint8_t *)payload, strlen(payload), out + h + 1, cap - (size_t)h - 1);
    size_t n = (size_t)h + 1 + (size_t)p;
    unsigned char mac[32];
    unsigned int ml = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)out, n, mac, &ml);
    out[n] = '.';
    hk_base64url_encode(mac, 32, out + n + 1, cap - n - 1);
}

static void test_valid(void **state) {
    (void)state;
    char tok[1024];
    assert_true(hk_jwt_sign(SECRET, SUB, TEN, NOW, NOW + 3600, tok, sizeof tok) > 0);
    hk_jwt_claims c;
    const char *why = NULL;
    assert_int_equal(verify(tok, NOW + 10, &c, &why), 0);
    assert_string_equal(c.sub, SUB);
    assert_string_equal(c.tenant, TEN);
    assert_int_equal(c.exp, NOW + 3600);
    /* within the skew both ways */
    assert_int_equal(verify(tok, NOW - 30, &c, &why), 0);
    assert_int_equal(verify(tok, NOW + 3600 + 30, &c, &why), 0);
    /* a short secret signs nothing */
    assert_true(hk_jwt_sign("short", SUB, TEN, NOW, NOW + 60, tok, sizeof tok) < 0);
}

static void test_expired_and_future(void **state) {
    (void)state;
    char tok[1024];
    hk_jwt_claims c;
    const char *why = NULL;
    hk_jwt_sign(SECRET, SUB, TEN, NOW, NOW + 3600, tok, sizeof tok);
    assert_int_equal(verify(tok, NOW + 3600 + HK_JWT_SKEW_S + 1, &c, &why), -1);
    assert_string_equal(why, "expired");
    assert_int_equal(verify(tok, NOW - HK_JWT_SKEW_S - 1, &c, &why), -1);
    assert_string_equal(why, "issued in the future");
    /* a lifetime beyond the bound */
    hk_jwt_sign(SECRET, SUB, TEN, NOW, NOW + HK_JWT_MAX_LIFE_S + 10, tok, sizeof tok);
    assert_int_equal(verify(tok, NOW, &c, &why), -1);
}

static void test_altered(void **state) {
    (void)state;
    char tok[1024], bad[1024];
    hk_jwt_claims c;
    const char *why = NULL;
    hk_jwt_sign(SECRET, SUB, TEN, NOW, NOW + 3600, tok, sizeof tok);
    /* payload for another tenant, old signature */
    char other[1024];
    hk_jwt_sign(SECRET, SUB, "33333333-3333-3333-3333-333333333333", NOW, NOW + 3600, other, sizeof other);
    const char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
    const char *o1 = strchr(other, '.'), *o2 = strrchr(other, '.');
    snprintf(bad, sizeof bad, "%.*s%.*s%s", (int)(d1 - tok), tok, (int)(o2 - o1), o1, d2);
    assert_int_equal(verify(bad, NOW, &c, &why), -1);
    assert_string_equal(why, "bad signature");
    /* one signature character changed */
    snprintf(bad, sizeof bad, "%s", tok);
    char *last = bad + strlen(bad) - 2;
    *last = *last == 'A' ? 'B' : 'A';
    assert_int_equal(verify(bad, NOW, &c, &why), -1);
    /* signed with another secret */
    forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
          "{\"sub\":\"" SUB "\",\"tenant\":\"" TEN "\",\"iat\":1800000000,\"exp\":1800003600}",
          "another-secret-0123456789", bad, sizeof bad);
    assert_int_equal(verify(bad, NOW, &c, &why), -1);
    /* the same forge with the right secret passes: the forge is sound */
    forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
          "{\"sub\":\"" SUB "\",\"tenant\":\"" TEN "\",\"iat\":1800000000,\"exp\":1800003600}",
          SECRET, bad, sizeof bad);
    assert_int_equal(verify(bad, NOW, &c, &why), 0);
}

static void test_alg(void **state) {
    (void)state;
    char tok[1024];
    hk_jwt_claims c;
    const char *why = NULL;
    const char *payload = "{\"sub\":\"" SUB "\",\"tenant\":\"" TEN "\",\"iat\":1800000000,\"exp\":1800003600}";
    /* alg none, even correctly HMAC'ed */
    forge("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, SECRET, tok, sizeof tok);
    assert_int_equal(verify(tok, NOW, &c, &why), -1);
    assert_string_equal(why, "alg is not HS256");
    /* alg none, the classic form: no signature at all */
    char unsigned_tok[1024];
    snprintf(unsigned_tok, sizeof unsigned_tok, "%.*s.", (int)(strrchr(tok, '.') - tok), tok);
    assert_int_equal(verify(unsigned_tok, NOW, &c, &why), -1);
    forge("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", payload, SECRET, tok, sizeof tok);
    assert_int_equal(verify(tok, NOW, &c, &why), -1);
    forge("{\"typ\":\"JWT\"}", payload, SECRET, tok, sizeof tok);
    assert_int_equal(verify(tok, NOW, &c, &why), -1);
}

static void test_claims_and_garbage(void **state) {
    (void)state;
    char tok[1024];
    hk_jwt_claims c;
    const char *why = NULL;
    forge("{\"alg\":\"HS256\"}", "{\"sub\":\"" SUB "\",\"iat\":1800000000,\"exp\":1800003600}", SECRET,
          tok, sizeof tok);
    assert_int_equal(verify(tok, NOW, &c, &why), -1);
    assert_string_equal(why, "claims missing");
    forge("{\"alg\":\"HS256\"}", "{\"sub\":\"" SUB "\",\"tenant\":\"" TEN "\",\"iat\":\"x\",\"exp\":1800003600}",
          SECRET, tok, sizeof tok);
    assert_int_equal(verify(tok, NOW, &c, &why), -1);
    forge("{\"alg\":\"HS256\"}", "[1,2]", SECRET, tok, sizeof tok);
    assert_int_equal(verify(tok, NOW, &c, &why), -1);
    const char *garbage[] = {"", "a.b", "a.b.c.d", "!!!.???.***", "eyJ.eyJ.abc=", "a..b",
                             "hk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++)
        assert_int_equal(verify(garbage[i], NOW, &c, &why), -1);
    char big[HK_JWT_MAX_LEN + 10];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    big[10] = '.';
    big[20] = '.';
    assert_int_equal(verify(big, NOW, &c, &why), -1);
    /* no secret: nothing verifies */
    hk_jwt_sign(SECRET, SUB, TEN, NOW, NOW + 3600, tok, sizeof tok);
    assert_int_equal(hk_jwt_verify(NULL, tok, strlen(tok), NOW, &c, &why), -1);
    assert_int_equal(hk_jwt_verify("", tok, strlen(tok), NOW, &c, &why), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),   cmocka_unit_test(test_expired_and_future),
        cmocka_unit_test(test_altered), cmocka_unit_test(test_alg),
        cmocka_unit_test(test_claims_and_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
