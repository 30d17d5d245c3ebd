/* api/jwt: HS256 session tokens with OpenSSL's HMAC and cJSON. See jwt.h. */
#include "api/jwt.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "net/base64.h"

static const char HEADER[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

static int hs256(const char *secret, const char *data, size_t len, unsigned char mac[32]) {
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)data, len, mac, &n))
        return -1;
    return n == 32 ? 0 : -1;
}

long hk_jwt_sign(const char *secret, const char *sub, const char *tenant, long iat, long exp,
                 char *out, size_t cap) {
    if (!secret || strlen(secret) < HK_JWT_MIN_SECRET) return -1;
    if (strlen(sub) >= sizeof ((hk_jwt_claims *)0)->sub || strlen(tenant) >= sizeof ((hk_jwt_claims *)0)->tenant)
        return -1;
    char payload[256];
    int pn = snprintf(payload, sizeof payload, "{\"sub\":\"%s\",\"tenant\":\"%s\",\"iat\":%ld,\"exp\":%ld}",
                      sub, tenant, iat, exp);
    if (pn < 0 || (size_t)pn >= sizeof payload || strpbrk(sub, "\"\\") || strpbrk(tenant, "\"\\"))
        return -1;
    long h = hk_base64url_encode((const uint8_t *)HEADER, sizeof HEADER - 1, out, cap);
    if (h < 0 || (size_t)h + 2 >= cap) return -1;
    out[h] = '.';
    long p = hk_base64url_encode((const uint8_t *)payload, (size_t)pn, out + h + 1, cap - (size_t)h - 1);
    if (p < 0) return -1;
    size_t signed_len = (size_t)h + 1 + (size_t)p;
    unsigned char mac[32];
    if (signed_len + 2 >= cap || hs256(secret, out, signed_len, mac) != 0) return -1;
    out[signed_len] = '.';
    long s = hk_base64url_encode(mac, sizeof mac, out + signed_len + 1, cap - signed_len - 1);
    if (s < 0) return -1;
    return (long)signed_len + 1 + s;
}

int hk_jwt_looks_like(const char *text, size_t len) {
    int dots = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        if (ch == '.') dots++;
        else if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                   ch == '-' || ch == '_'))
            return 0;
    }
    return dots == 2;
}

/* The JSON object of one base64url part, or NULL. */
static cJSON *part_json(const char *b64, size_t n) {
    unsigned char buf[HK_JWT_MAX_LEN];
    long len = hk_base64url_decode(b64, n, buf, sizeof buf);
    if (len <= 0) return NULL;
    cJSON *o = cJSON_ParseWithLength((const char *)buf, (size_t)len);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int copy_str(const cJSON *o, const char *name, char *out, size_t cap) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) >= cap) return -1;
    memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
    return 0;
}

static int get_time(const cJSON *o, const char *name, long *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e11) return -1;
    *out = (long)v->valuedouble;
    return 0;
}

int hk_jwt_verify(const char *secret, const char *token, size_t len, long now, hk_jwt_claims *c,
                  const char **why) {
    static const char *unused;
    if (!why) why = &unused;
    memset(c, 0, sizeof *c);
    if (!secret || strlen(secret) < HK_JWT_MIN_SECRET) return *why = "no JWT_SECRET", -1;
    if (len > HK_JWT_MAX_LEN || !hk_jwt_looks_like(token, len)) return *why = "not a JWT", -1;
    const char *d1 = memchr(token, '.', len);
    const char *d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token));
    /* the signature first: nothing unsigned is parsed beyond this */
    unsigned char mac[32], sig[33];
    const char *s = d2 + 1;
    size_t sl = len - (size_t)(s - token);
    if (hk_base64url_decode(s, sl, sig, sizeof sig) != 32) return *why = "bad signature", -1;
    if (hs256(secret, token, (size_t)(d2 - token), mac) != 0) return *why = "hmac failed", -1;
    if (CRYPTO_memcmp(mac, sig, 32) != 0) return *why = "bad signature", -1;
    cJSON *h = part_json(token, (size_t)(d1 - token));
    const cJSON *alg = cJSON_GetObjectItemCaseSensitive(h, "alg");
    int alg_ok = cJSON_IsString(alg) && strcmp(alg->valuestring, "HS256") == 0;
    cJSON_Delete(h);
    if (!alg_ok) return *why = "alg is not HS256", -1;
    cJSON *p = part_json(d1 + 1, (size_t)(d2 - d1 - 1));
    int bad = !p || copy_str(p, "sub", c->sub, sizeof c->sub) || copy_str(p, "tenant", c->tenant, sizeof c->tenant) ||
              get_time(p, "iat", &c->iat) || get_time(p, "exp", &c->exp);
    cJSON_Delete(p);
    if (bad) return *why = "claims missing", -1;
    if (c->iat > now + HK_JWT_SKEW_S) return *why = "issued in the future", -1;
    if (now >= c->exp + HK_JWT_SKEW_S) return *why = "expired", -1;
    if (c->exp <= c->iat || c->exp - c->iat > HK_JWT_MAX_LIFE_S) return *why = "lifetime out of bounds", -1;
    return 0;
}
