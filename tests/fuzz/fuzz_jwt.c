/* tests/fuzz/fuzz_jwt: libFuzzer target for api/jwt (session tokens, read
 * from the Authorization header and the session cookie before anyone is
 * authenticated). The first byte picks a mode:
 *   0: the rest is a token: hk_jwt_looks_like agrees with its definition
 *      (base64url characters and exactly two dots); hk_jwt_verify accepts
 *      only a token whose signature is the HMAC-SHA256 of its first two parts
 *      (recomputed here), and then with sane claims (below);
 *   1: the rest is a header and a payload (any bytes), signed here with the
 *      secret so the claim parser is reached: an accepted token has a header
 *      whose alg is "HS256" and claims equal to the payload's, and sane:
 *      sub and tenant non-empty and terminated inside their arrays, iat at
 *      most now + skew, exp past now - skew, 0 < exp - iat <= max life;
 *   2: sub, tenant, iat and exp from the input: hk_jwt_sign refuses exactly
 *      what it cannot write (too long, '"' or '\'), and verify accepts its
 *      token exactly when the claims are in bounds, giving them back; the
 *      token with one byte changed (anywhere, and in the signature), cut
 *      short, or checked with another secret is refused.
 * Tokens are copied to exact-size heap blocks so ASan sees any over-read. */
#include <cjson/cJSON.h>
#include <openssl/hmac.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/jwt.h"
#include "core/json_arena.h"
#include "net/base64.h"

#define SECRET "fuzz-secret-0123456789abcdef"
#define NOW 1800000000L
#define TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

static int verify(const char *secret, const char *tok, size_t n, hk_jwt_claims *c) {
    char *copy = malloc(n ? n : 1);
    memcpy(copy, tok, n);
    const char *why = NULL;
    int rc = hk_jwt_verify(secret, copy, n, NOW, c, &why);
    free(copy);
    if (rc != 0 && (rc != -1 || !why || !why[0])) abort(); /* a refusal says why */
    return rc;
}

static void check_claims(const hk_jwt_claims *c) {
    if (!TERMINATED(c->sub) || !TERMINATED(c->tenant) || !c->sub[0] || !c->tenant[0]) abort();
    if (c->iat < 0 || c->iat > NOW + HK_JWT_SKEW_S || NOW >= c->exp + HK_JWT_SKEW_S || c->exp <= c->iat ||
        c->exp - c->iat > HK_JWT_MAX_LIFE_S)
        abort();
}

/* b64(header) "." b64(payload) "." b64(HMAC): its length, or -1 (too long). */
static long forge(const uint8_t *h, size_t hn, const uint8_t *p, size_t pn, char *out, size_t cap) {
    long a = hk_base64url_encode(h, hn, out, cap);
    if (a < 0 || (size_t)a + 1 >= cap) return -1;
    out[a] = '.';
    long b = hk_base64url_encode(p, pn, out + a + 1, cap - (size_t)a - 1);
    if (b < 0) return -1;
    size_t n = (size_t)a + 1 + (size_t)b;
    unsigned char mac[32];
    unsigned int ml = 0;
    HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)out, n, mac, &ml);
    if (n + 1 >= cap) return -1;
    out[n] = '.';
    long s = hk_base64url_encode(mac, sizeof mac, out + n + 1, cap - n - 1);
    return s < 0 ? -1 : (long)(n + 1 + (size_t)s);
}

static void raw_token(const char *t, size_t n) {
    int dots = 0, alphabet = 1;
    for (size_t i = 0; i < n; i++) {
        char ch = t[i];
        if (ch == '.') dots++;
        else if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                   ch == '-' || ch == '_'))
            alphabet = 0;
    }
    char *copy = malloc(n ? n : 1);
    memcpy(copy, t, n);
    int looks = hk_jwt_looks_like(copy, n);
    free(copy);
    if (looks != (alphabet && dots == 2)) abort();
    hk_jwt_claims c;
    if (verify(SECRET, t, n, &c) != 0) return;
    const char *d2 = t + n;
    while (d2 > t && *--d2 != '.') {}
    unsigned char mac[32], sig[33];
    unsigned int ml = 0;
    HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)t, (size_t)(d2 - t), mac, &ml);
    if (!looks || hk_base64url_decode(d2 + 1, n - (size_t)(d2 + 1 - t), sig, sizeof sig) != 32 ||
        memcmp(mac, sig, 32) != 0)
        abort();
    check_claims(&c);
}

static void signed_parts(const uint8_t *d, size_t n) {
    if (n < 1) return;
    size_t split = d[0] % n;
    const uint8_t *h = d + 1, *p = d + 1 + split;
    size_t hn = split, pn = n - 1 - split;
    char tok[HK_JWT_MAX_LEN + 64];
    long tn = forge(h, hn, p, pn, tok, sizeof tok);
    hk_jwt_claims c;
    if (tn < 0 || verify(SECRET, tok, (size_t)tn, &c) != 0) return;
    check_claims(&c);
    cJSON *hj = cJSON_ParseWithLength((const char *)h, hn), *pj = cJSON_ParseWithLength((const char *)p, pn);
    const cJSON *alg = cJSON_GetObjectItemCaseSensitive(hj, "alg");
    const cJSON *sub = cJSON_GetObjectItemCaseSensitive(pj, "sub");
    const cJSON *ten = cJSON_GetObjectItemCaseSensitive(pj, "tenant");
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(pj, "exp");
    int ok = cJSON_IsString(alg) && strcmp(alg->valuestring, "HS256") == 0 && cJSON_IsString(sub) &&
             strcmp(sub->valuestring, c.sub) == 0 && cJSON_IsString(ten) && strcmp(ten->valuestring, c.tenant) == 0 &&
             cJSON_IsNumber(exp) && (long)exp->valuedouble == c.exp;
    cJSON_Delete(hj);
    cJSON_Delete(pj);
    if (!ok) abort();
}

static int32_t i32(const uint8_t *d) {
    uint32_t v;
    memcpy(&v, d, sizeof v);
    return (int32_t)v;
}

static void round_trip(const uint8_t *d, size_t n) {
    if (n < 14) return;
    long iat = NOW + i32(d), exp = iat + i32(d + 4);
    size_t sl = d[8] % 80, pos = (size_t)d[9] | (size_t)d[10] << 8, spos = d[11];
    uint8_t flip = d[12] ? d[12] : 1, how = d[13];
    d += 14, n -= 14;
    char sub[80], ten[80];
    if (sl > n) sl = n;
    memcpy(sub, d, sl);
    sub[sl] = '\0';
    size_t tl = n - sl < 79 ? n - sl : 79;
    memcpy(ten, d + sl, tl);
    ten[tl] = '\0';
    if (how & 1) iat = (long)i32(d - 14) * 1000L, exp = iat + i32(d - 10); /* far from now too */
    char tok[HK_JWT_MAX_LEN + 1];
    long tn = hk_jwt_sign(SECRET, sub, ten, iat, exp, tok, sizeof tok);
    hk_jwt_claims c;
    int writable = strlen(sub) < sizeof c.sub && strlen(ten) < sizeof c.tenant && !strpbrk(sub, "\"\\") &&
                   !strpbrk(ten, "\"\\");
    if ((tn > 0) != writable || (tn > 0 && (size_t)tn != strlen(tok))) abort();
    if (tn <= 0) return;
    int valid = sub[0] && ten[0] && iat >= 0 && exp <= 100000000000L && iat <= NOW + HK_JWT_SKEW_S &&
                NOW < exp + HK_JWT_SKEW_S && exp > iat && exp - iat <= HK_JWT_MAX_LIFE_S;
    int rc = verify(SECRET, tok, (size_t)tn, &c);
    if ((rc == 0) != valid) abort();
    if (rc == 0 && (strcmp(c.sub, sub) != 0 || strcmp(c.tenant, ten) != 0 || c.iat != iat || c.exp != exp)) abort();
    /* any one byte changed, anywhere and in the signature part */
    const char *sig = strrchr(tok, '.') + 1;
    size_t at[2] = {pos % (size_t)tn, (size_t)(sig - tok) + spos % strlen(sig)};
    for (int i = 0; i < 2; i++) {
        tok[at[i]] ^= (char)flip;
        if (verify(SECRET, tok, (size_t)tn, &c) == 0) abort();
        tok[at[i]] ^= (char)flip;
    }
    if (verify(SECRET, tok, (size_t)tn - 1, &c) == 0) abort();
    if (verify("fuzz-secret-0123456789abcdeF", tok, (size_t)tn, &c) == 0) abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    hk_json_arena_install(); /* as hark does: cJSON's hooks are process-wide */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    switch (data[0] % 3) {
    case 0: raw_token((const char *)data + 1, size - 1); break;
    case 1: signed_parts(data + 1, size - 1); break;
    default: round_trip(data + 1, size - 1); break;
    }
    return 0;
}
