/* net/webhook_sig: see webhook_sig.h. */
#include "net/webhook_sig.h"

#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>

int hk_webhook_signature(const char *secret, long long unix_s, const char *body, size_t len,
                         char *out, size_t cap) {
    char ts[24];
    int tn = snprintf(ts, sizeof ts, "%lld.", unix_s);
    unsigned char md[32];
    size_t mdlen = 0;
    if (cap < 100 || tn <= 0) return -1;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                           OSSL_PARAM_construct_end()};
    int ok = ctx && EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params) &&
             EVP_MAC_update(ctx, (const unsigned char *)ts, (size_t)tn) &&
             EVP_MAC_update(ctx, (const unsigned char *)body, len) &&
             EVP_MAC_final(ctx, md, &mdlen, sizeof md) && mdlen == 32;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    if (!ok) return -1;
    int n = snprintf(out, cap, "t=%lld,v1=", unix_s);
    for (size_t i = 0; i < mdlen; i++) n += snprintf(out + n, cap - (size_t)n, "%02x", md[i]);
    return 0;
}
