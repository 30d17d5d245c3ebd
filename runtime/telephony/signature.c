/* telephony/signature: see signature.h. Owns the X-Twilio-Signature algorithm
 * (ordering, port variants, body hash); knows nothing of HTTP servers. The
 * signed string is fed to the MAC piece by piece, so nothing is copied. */
#include "telephony/signature.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/base64.h"

/* Next UTF-16 code unit of a UTF-8 string, so byte strings sort the way
 * JavaScript's default sort orders them: code points above U+FFFF become
 * surrogate pairs (0xD800..0xDFFF) and sort below U+E000..U+FFFF. A byte
 * that is not valid UTF-8 stands for itself (JS would have replaced it). */
typedef struct { const unsigned char *s; unsigned pending; } u16_iter;

static unsigned u16_next(u16_iter *it)
{
    if (it->pending) {
        unsigned u = it->pending;
        it->pending = 0;
        return u;
    }
    const unsigned char *s = it->s; /* not at the end: u16_cmp checks first */
    uint32_t cp = s[0];
    size_t n = 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF && (s[1] & 0xC0) == 0x80) {
        cp = (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F), n = 2;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
        cp = (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F), n = 3;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80
               && (s[3] & 0xC0) == 0x80) {
        cp = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12
             | (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
        n = 4;
    }
    it->s += n;
    if (cp >= 0x10000 && cp <= 0x10FFFF) {
        cp -= 0x10000;
        it->pending = 0xDC00 | (cp & 0x3FF);
        return 0xD800 | (cp >> 10);
    }
    return cp;
}

static int u16_cmp(const char *a, const char *b)
{
    u16_iter x = {(const unsigned char *)a, 0}, y = {(const unsigned char *)b, 0};
    for (;;) {
        int xe = !x.pending && !*x.s, ye = !y.pending && !*y.s;
        if (xe || ye)
            return ye - xe; /* the shorter (a prefix) sorts first */
        unsigned u = u16_next(&x), v = u16_next(&y);
        if (u != v)
            return u < v ? -1 : 1;
    }
}

static int param_cmp(const void *pa, const void *pb)
{
    const hk_form_param *a = *(const hk_form_param *const *)pa;
    const hk_form_param *b = *(const hk_form_param *const *)pb;
    /* Invalid UTF-8 can map two different strings to the same units: break
     * such ties bytewise, so the order is total and never depends on input order. */
    int c = u16_cmp(a->name, b->name);
    if (!c)
        c = strcmp(a->name, b->name);
    if (!c)
        c = u16_cmp(a->value, b->value);
    return c ? c : strcmp(a->value, b->value);
}

/* The URL split the way the npm package's splitUrl does: scheme "://",
 * authority up to the first '/', '?' or '#', user info up to its last '@',
 * a port after the last ':' that follows any IPv6 ']'. */
typedef struct {
    const char *url;
    size_t head;      /* scheme + "://" + userinfo + host */
    size_t port_at;   /* == head */
    size_t port_len;  /* ":1234", 0 when none */
    const char *rest; /* path, query, fragment */
    const char *default_port;
} url_parts;

static int url_split(const char *url, url_parts *p)
{
    size_t i = 0;
    if (!((url[0] | 0x20) >= 'a' && (url[0] | 0x20) <= 'z'))
        return -1;
    while (url[i] && url[i] != ':' && url[i] != '/' && url[i] != '?' && url[i] != '#')
        i++;
    if (strncmp(url + i, "://", 3) != 0)
        return -1;
    size_t scheme_len = i;
    size_t a = i + 3, e = a;
    while (url[e] && url[e] != '/' && url[e] != '?' && url[e] != '#')
        e++;
    size_t hs = a;
    for (size_t k = a; k < e; k++)
        if (url[k] == '@')
            hs = k + 1;
    size_t from = hs;
    for (size_t k = hs; k < e; k++)
        if (url[k] == ']')
            from = k + 1;
    size_t colon = e;
    for (size_t k = from; k < e; k++)
        if (url[k] == ':') {
            colon = k;
            break;
        }
    p->url = url;
    p->head = colon;
    p->port_at = colon;
    p->port_len = e - colon;
    p->rest = url + e;
    p->default_port = (scheme_len == 5 && strncasecmp(url, "https", 5) == 0)
                              || (scheme_len == 3 && strncasecmp(url, "wss", 3) == 0)
                          ? ":443"
                          : ":80";
    return 0;
}

/* HMAC-SHA1 over the URL (given as up to three pieces) and the sorted
 * parameters, into a base64 signature. */
static int sign(const char *token, const char *u1, size_t l1, const char *u2, size_t l2,
                const char *u3, const hk_form_param *const *order, int n, char out[HK_TWILIO_SIG_SIZE])
{
    int ok = 0;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM prm[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA1", 0),
                        OSSL_PARAM_construct_end()};
    unsigned char md[EVP_MAX_MD_SIZE];
    size_t mdlen = 0;
    if (ctx && EVP_MAC_init(ctx, (const unsigned char *)token, strlen(token), prm)
        && EVP_MAC_update(ctx, (const unsigned char *)u1, l1)
        && EVP_MAC_update(ctx, (const unsigned char *)u2, l2)
        && EVP_MAC_update(ctx, (const unsigned char *)u3, strlen(u3))) {
        ok = 1;
        for (int i = 0; ok && i < n; i++) {
            if (i > 0 && strcmp(order[i]->name, order[i - 1]->name) == 0
                && strcmp(order[i]->value, order[i - 1]->value) == 0)
                continue; /* a repeated name counts each distinct value once */
            ok = EVP_MAC_update(ctx, (const unsigned char *)order[i]->name, strlen(order[i]->name))
                 && EVP_MAC_update(ctx, (const unsigned char *)order[i]->value, strlen(order[i]->value));
        }
        ok = ok && EVP_MAC_final(ctx, md, &mdlen, sizeof md) && mdlen == 20;
    }
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    if (!ok)
        return -1;
    return hk_base64_encode(md, mdlen, out, HK_TWILIO_SIG_SIZE) == 28 ? 0 : -1;
}

static int sort_params(const hk_form_param *params, int n, const hk_form_param **order)
{
    if (n < 0 || n > HK_TWILIO_SIG_MAX_PARAMS || (n > 0 && !params))
        return -1;
    for (int i = 0; i < n; i++)
        order[i] = &params[i];
    if (n > 1)
        qsort(order, (size_t)n, sizeof order[0], param_cmp);
    return 0;
}

int hk_twilio_signature(const char *auth_token, const char *url,
                        const hk_form_param *params, int n, char out[HK_TWILIO_SIG_SIZE])
{
    const hk_form_param *order[HK_TWILIO_SIG_MAX_PARAMS];
    if (!auth_token || !url || sort_params(params, n, order) < 0)
        return -1;
    return sign(auth_token, url, strlen(url), "", 0, "", order, n, out);
}

bool hk_twilio_verify(const char *auth_token, const char *header, const char *url,
                      const hk_form_param *params, int n)
{
    const hk_form_param *order[HK_TWILIO_SIG_MAX_PARAMS];
    if (!auth_token || !header || !url || strlen(header) != 28 || sort_params(params, n, order) < 0)
        return false;
    char sig[HK_TWILIO_SIG_SIZE];
    url_parts p;
    if (url_split(url, &p) < 0) /* no scheme://: only the URL as given */
        return sign(auth_token, url, strlen(url), "", 0, "", order, n, sig) == 0
               && CRYPTO_memcmp(sig, header, 28) == 0;
    int good = 0;
    /* Without any port. */
    if (sign(auth_token, url, p.head, "", 0, p.rest, order, n, sig) == 0)
        good |= CRYPTO_memcmp(sig, header, 28) == 0;
    /* With the port given, or the scheme's default when none was. */
    const char *port = p.port_len ? url + p.port_at : p.default_port;
    size_t port_len = p.port_len ? p.port_len : strlen(p.default_port);
    if (sign(auth_token, url, p.head, port, port_len, p.rest, order, n, sig) == 0)
        good |= CRYPTO_memcmp(sig, header, 28) == 0;
    return good;
}

/* The raw value of the first bodySHA256 query parameter, or NULL. */
static const char *body_hash_param(const char *url, size_t *len)
{
    const char *q = strchr(url, '?');
    if (!q)
        return NULL;
    const char *end = strchr(q, '#');
    if (!end)
        end = q + strlen(q);
    for (const char *s = q + 1; s < end;) {
        const char *amp = memchr(s, '&', (size_t)(end - s));
        const char *pe = amp ? amp : end;
        if ((size_t)(pe - s) >= 11 && memcmp(s, "bodySHA256=", 11) == 0) {
            *len = (size_t)(pe - s) - 11;
            return s + 11;
        }
        s = pe + 1;
    }
    return NULL;
}

bool hk_twilio_verify_body(const char *auth_token, const char *header, const char *url,
                           const char *body, size_t body_len)
{
    if (!url || (!body && body_len))
        return false;
    size_t hlen = 0;
    const char *want = body_hash_param(url, &hlen);
    if (!want || hlen != 64)
        return false;
    unsigned char md[SHA256_DIGEST_LENGTH];
    if (!EVP_Digest(body ? body : "", body_len, md, NULL, EVP_sha256(), NULL))
        return false;
    char hex[65];
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    int body_ok = CRYPTO_memcmp(hex, want, 64) == 0;
    return hk_twilio_verify(auth_token, header, url, NULL, 0) && body_ok;
}
