/* tests/fuzz/fuzz_stream_token: libFuzzer target for telephony/stream_token
 * (the token a Media Streams start message carries before the call is
 * trusted). The first byte picks a mode, the second the agent id buffer's
 * size (0: NULL; the buffer is an exact-size heap block, so ASan sees a
 * write past it):
 *   0: the rest is a token: a verdict other than malformed or bad signature
 *      needs the MAC recomputed here to match, and only those verdicts ever
 *      leave an agent id in the buffer (else it is "");
 *   1: the rest is a payload (any bytes), MAC'ed here with the secret, so
 *      the parser behind the MAC is reached: a genuine verdict means the
 *      payload is "call|agent|expiry" with the agent id given back (no '|',
 *      terminated inside the buffer), the call sid compared and the decimal
 *      expiry compared with now; a canonical such payload is never refused;
 *   2: call sid, agent id, expiry and now from the input: make refuses
 *      exactly the fields it documents, and its token verifies as ok or
 *      expired (by now vs expiry) with the agent id back, as wrong call for
 *      another sid, as bad for another secret; one byte changed anywhere
 *      gives malformed or bad signature and no agent id. */
#include <errno.h>
#include <inttypes.h>
#include <openssl/hmac.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/base64.h"
#include "telephony/stream_token.h"

#define SECRET "fuzz-stream-secret"
#define CALL "CA0123456789abcdef0123456789abcdef"

static size_t cap;   /* the agent id buffer's size, 0: NULL */
static char *agent;  /* malloc'ed, exactly cap bytes */

static int genuine(int rc) {
    return rc == HK_STREAM_TOKEN_OK || rc == HK_STREAM_TOKEN_WRONG_CALL || rc == HK_STREAM_TOKEN_EXPIRED;
}

/* Verifies a heap copy of tok; checks what every verdict promises. */
static int verify(const char *secret, const char *tok, const char *call, int64_t now) {
    size_t n = strlen(tok);
    char *copy = malloc(n + 1);
    memcpy(copy, tok, n + 1);
    int rc = hk_stream_token_verify(secret, copy, call, now, agent, cap);
    free(copy);
    if (!genuine(rc) && rc != HK_STREAM_TOKEN_MALFORMED && rc != HK_STREAM_TOKEN_BAD_SIGNATURE) abort();
    if (agent && (!memchr(agent, '\0', cap) || strchr(agent, '|') || (!genuine(rc) && agent[0]))) abort();
    if (!strcmp(hk_stream_token_strerror(rc), "unknown")) abort();
    return rc;
}

static void raw_token(const char *tok) {
    int rc = verify(SECRET, tok, CALL, 1800000000);
    if (!genuine(rc)) return;
    const char *dot = strchr(tok, '.');
    uint8_t p[512], got[33], want[32];
    unsigned int ml = 0;
    long pn = dot ? hk_base64url_decode(tok, (size_t)(dot - tok), p, sizeof p) : -1;
    if (pn <= 0 || hk_base64url_decode(dot + 1, strlen(dot + 1), got, sizeof got) != 32) abort();
    HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), p, (size_t)pn, want, &ml);
    if (memcmp(want, got, 32) != 0) abort();
}

static void signed_payload(const uint8_t *p, size_t pn, int64_t now) {
    char tok[1024];
    uint8_t mac[32];
    unsigned int ml = 0;
    long a = hk_base64url_encode(p, pn, tok, sizeof tok);
    if (a <= 0 || (size_t)a + 2 + 43 >= sizeof tok) return;
    HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), p, pn, mac, &ml);
    tok[a] = '.';
    hk_base64url_encode(mac, 32, tok + a + 1, sizeof tok - (size_t)a - 1);
    int rc = verify(SECRET, tok, CALL, now);
    /* the payload's shape, read here independently */
    const uint8_t *b1 = memchr(p, '|', pn), *b2 = b1 ? memchr(b1 + 1, '|', pn - (size_t)(b1 + 1 - p)) : NULL;
    char num[32] = "";
    size_t numl = b2 ? pn - (size_t)(b2 + 1 - p) : 0;
    if (b2 && numl < sizeof num) memcpy(num, b2 + 1, numl), num[numl] = '\0';
    char *end = NULL;
    errno = 0;
    long long e = numl && numl < sizeof num ? strtoll(num, &end, 10) : 0;
    int num_ok = numl && numl < sizeof num && !errno && end == num + numl &&
                 (num[0] == '-' || (num[0] >= '0' && num[0] <= '9'));
    size_t cl = b1 ? (size_t)(b1 - p) : 0, al = b2 ? (size_t)(b2 - b1 - 1) : 0;
    int shape = b2 && cl && al && !memchr(p, '\0', pn) && num_ok;
    if (genuine(rc)) {
        if (!shape) abort();
        if (agent && (strlen(agent) != al || memcmp(agent, b1 + 1, al) != 0)) abort();
        int same = cl == strlen(CALL) && memcmp(p, CALL, cl) == 0;
        if (same != (rc != HK_STREAM_TOKEN_WRONG_CALL)) abort();
        if (same && (rc == HK_STREAM_TOKEN_OK) != (now < e)) abort();
    }
    /* canonical: what make writes (no leading zeros, no "-0"), fields fit */
    int canonical = shape && pn <= 2 * HK_STREAM_TOKEN_FIELD_MAX + 2 + 21 && (!agent || al < cap) &&
                    !(num[0] == '0' && numl > 1) && !(num[0] == '-' && (numl == 1 || num[1] == '0'));
    if (canonical && !genuine(rc)) abort();
}

static void round_trip(const uint8_t *d, size_t n) {
    if (n < 20) return;
    int64_t expiry, now;
    memcpy(&expiry, d, 8);
    memcpy(&now, d + 8, 8);
    if ((d[16] & 1) && __builtin_add_overflow(expiry, (int8_t)d[17], &now)) /* near the edge */
        now = expiry;
    size_t cl = d[18] % 110, pos = d[19];
    uint8_t flip = d[17] ? d[17] : 1;
    d += 20, n -= 20;
    char call[112], ag[112];
    if (cl > n) cl = n;
    memcpy(call, d, cl);
    call[cl] = '\0';
    size_t al = n - cl < 111 ? n - cl : 111;
    memcpy(ag, d + cl, al);
    ag[al] = '\0';
    char *tok = malloc(HK_STREAM_TOKEN_MAX);
    int tn = hk_stream_token_make(SECRET, call, ag, expiry, tok, HK_STREAM_TOKEN_MAX);
    size_t c = strlen(call), a = strlen(ag);
    int fields_ok = c >= 1 && c <= HK_STREAM_TOKEN_FIELD_MAX && !strchr(call, '|') && a >= 1 &&
                    a <= HK_STREAM_TOKEN_FIELD_MAX && !strchr(ag, '|');
    if ((tn > 0) != fields_ok || (tn > 0 && (size_t)tn != strlen(tok))) abort();
    if (tn > 0) {
        int rc = verify(SECRET, tok, call, now);
        if (agent && a >= cap) {
            if (rc != HK_STREAM_TOKEN_MALFORMED) abort(); /* does not fit: refused, not cut */
        } else {
            if (rc != (now < expiry ? HK_STREAM_TOKEN_OK : HK_STREAM_TOKEN_EXPIRED)) abort();
            if (agent && strcmp(agent, ag) != 0) abort();
            char other[112];
            memcpy(other, call, c + 1);
            other[0] ^= 1;
            if (verify(SECRET, tok, other, now) != HK_STREAM_TOKEN_WRONG_CALL) abort();
        }
        if (verify("fuzz-stream-secreT", tok, call, now) != HK_STREAM_TOKEN_BAD_SIGNATURE) abort();
        if (verify("", tok, call, now) != HK_STREAM_TOKEN_MALFORMED) abort();
        size_t at = pos % (size_t)tn;
        tok[at] ^= (char)flip;
        if (genuine(verify(SECRET, tok, call, now))) abort();
    }
    free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    cap = data[1] % 128;
    agent = cap ? malloc(cap) : NULL;
    const uint8_t *d = data + 2;
    size_t n = size - 2;
    switch (data[0] % 3) {
    case 0: {
        char *tok = malloc(n + 1);
        memcpy(tok, d, n);
        tok[n] = '\0';
        raw_token(tok);
        free(tok);
        break;
    }
    case 1: {
        int64_t now = 1800000000;
        if (n >= 8) memcpy(&now, d, 8), d += 8, n -= 8;
        signed_payload(d, n, now);
        break;
    }
    default: round_trip(d, n); break;
    }
    free(agent);
    return 0;
}
