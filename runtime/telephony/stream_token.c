/* telephony/stream_token: see stream_token.h. Owns the token format and its
 * checks; the secret comes from HARK_STREAM_SECRET via the caller. */
#include "telephony/stream_token.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "net/base64.h"

/* call_sid|agent_id|expiry: two fields + two bars + up to 20 digits and sign. */
#define PAYLOAD_MAX (2 * HK_STREAM_TOKEN_FIELD_MAX + 2 + 21)

static int field_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n >= 1 && n <= HK_STREAM_TOKEN_FIELD_MAX && !strchr(s, '|');
}

static int mac(const char *secret, const uint8_t *msg, size_t n, uint8_t md[32])
{
    unsigned int len = 0;
    return HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, n, md, &len) && len == 32 ? 0 : -1;
}

int hk_stream_token_make(const char *secret, const char *call_sid, const char *agent_id,
                         int64_t expiry, char *out, size_t cap)
{
    char payload[PAYLOAD_MAX + 1];
    uint8_t md[32];
    if (!secret || !*secret || !field_ok(call_sid) || !field_ok(agent_id) || !out)
        return -1;
    int n = snprintf(payload, sizeof payload, "%s|%s|%" PRId64, call_sid, agent_id, expiry);
    if (n < 0 || (size_t)n >= sizeof payload || mac(secret, (const uint8_t *)payload, (size_t)n, md) < 0)
        return -1;
    long a = hk_base64url_encode((const uint8_t *)payload, (size_t)n, out, cap);
    if (a < 0 || (size_t)a + 1 >= cap)
        return -1;
    out[a] = '.';
    long b = hk_base64url_encode(md, sizeof md, out + a + 1, cap - (size_t)a - 1);
    if (b < 0) {
        out[0] = '\0';
        return -1;
    }
    return (int)(a + 1 + b);
}

/* Strict decimal int64: optional '-', digits only, no overflow. */
static int parse_i64(const char *s, size_t n, int64_t *v)
{
    size_t i = 0;
    int neg = 0;
    if (n && s[0] == '-')
        neg = 1, i = 1;
    if (i == n || n - i > 19)
        return -1;
    uint64_t acc = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        acc = acc * 10 + (uint64_t)(s[i] - '0');
    }
    if (acc > (uint64_t)INT64_MAX + (uint64_t)neg)
        return -1;
    *v = neg ? (int64_t)(0 - acc) : (int64_t)acc; /* two's complement: INT64_MIN too */
    return 0;
}

int hk_stream_token_verify(const char *secret, const char *token, const char *call_sid,
                           int64_t now, char *agent_id, size_t agent_cap)
{
    if (agent_id && agent_cap)
        agent_id[0] = '\0';
    if (!secret || !*secret || !token || !call_sid)
        return HK_STREAM_TOKEN_MALFORMED;
    const char *dot = strchr(token, '.');
    if (!dot)
        return HK_STREAM_TOKEN_MALFORMED;
    uint8_t payload[PAYLOAD_MAX + 1], got[33], want[32];
    long pn = hk_base64url_decode(token, (size_t)(dot - token), payload, PAYLOAD_MAX);
    long gn = hk_base64url_decode(dot + 1, strlen(dot + 1), got, sizeof got);
    if (pn <= 0 || gn != 32)
        return HK_STREAM_TOKEN_MALFORMED;
    if (mac(secret, payload, (size_t)pn, want) < 0 || CRYPTO_memcmp(want, got, 32) != 0)
        return HK_STREAM_TOKEN_BAD_SIGNATURE;
    payload[pn] = '\0';
    /* Genuine: the payload is one hark wrote, but parse it as carefully anyway. */
    const char *p = (const char *)payload;
    const char *bar1 = memchr(p, '|', (size_t)pn);
    const char *bar2 = bar1 ? memchr(bar1 + 1, '|', (size_t)(pn - (bar1 + 1 - p))) : NULL;
    int64_t expiry;
    if (!bar2 || bar1 == p || bar2 == bar1 + 1 || memchr(p, '\0', (size_t)pn)
        || parse_i64(bar2 + 1, (size_t)(pn - (bar2 + 1 - p)), &expiry) < 0)
        return HK_STREAM_TOKEN_MALFORMED;
    size_t alen = (size_t)(bar2 - bar1 - 1);
    if (agent_id && agent_cap) {
        if (alen >= agent_cap)
            return HK_STREAM_TOKEN_MALFORMED;
        memcpy(agent_id, bar1 + 1, alen);
        agent_id[alen] = '\0';
    }
    size_t clen = (size_t)(bar1 - p);
    if (strlen(call_sid) != clen || memcmp(call_sid, p, clen) != 0)
        return HK_STREAM_TOKEN_WRONG_CALL;
    if (now >= expiry)
        return HK_STREAM_TOKEN_EXPIRED;
    return HK_STREAM_TOKEN_OK;
}

const char *hk_stream_token_strerror(int code)
{
    switch (code) {
    case HK_STREAM_TOKEN_OK: return "ok";
    case HK_STREAM_TOKEN_MALFORMED: return "malformed";
    case HK_STREAM_TOKEN_BAD_SIGNATURE: return "bad signature";
    case HK_STREAM_TOKEN_WRONG_CALL: return "wrong call";
    case HK_STREAM_TOKEN_EXPIRED: return "expired";
    default: return "unknown";
    }
}
