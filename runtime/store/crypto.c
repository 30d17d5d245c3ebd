/* store/crypto: AES-256-GCM sealing of record values and the data keyring.
 * See crypto.h. Never logs key material; wipes parsed keys it discards. */
#include "store/crypto.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* One key: 64 hex digits or base64 of exactly 32 bytes. */
static int parse_key(const char *s, size_t n, uint8_t out[32]) {
    while (n && isspace((unsigned char)s[n - 1])) n--;
    while (n && isspace((unsigned char)*s)) s++, n--;
    if (n == 64) {
        int ok = 1;
        for (size_t i = 0; i < 32 && ok; i++) {
            int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
            if (hi < 0 || lo < 0) ok = 0;
            else out[i] = (uint8_t)(hi << 4 | lo);
        }
        if (ok) return 0;
    }
    if (n == 44 && s[43] == '=' && s[42] != '=') {
        uint8_t buf[33];
        if (EVP_DecodeBlock(buf, (const unsigned char *)s, 44) == 33) {
            memcpy(out, buf, 32); /* DecodeBlock counts the '=' pad as a zero byte */
            OPENSSL_cleanse(buf, sizeof buf);
            return 0;
        }
    }
    return -1;
}

int hk_keyring_parse(hk_keyring *kr, const char *spec, char *err, size_t errlen) {
    memset(kr, 0, sizeof *kr);
    const char *p = spec;
    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        int id = 1;
        const char *k = p;
        size_t klen = len;
        if (colon) {
            char *e;
            long v = strtol(p, &e, 10);
            if (e != colon || v < 1 || v > 1000000) {
                snprintf(err, errlen, "HARK_DATA_KEY: key id must be a positive integer");
                hk_keyring_wipe(kr);
                return -1;
            }
            id = (int)v;
            k = colon + 1;
            klen = len - (size_t)(k - p);
        }
        if (kr->n == HK_KEY_MAX) {
            snprintf(err, errlen, "HARK_DATA_KEY: at most %d keys", HK_KEY_MAX);
            hk_keyring_wipe(kr);
            return -1;
        }
        for (int i = 0; i < kr->n; i++)
            if (kr->ids[i] == id) {
                snprintf(err, errlen, "HARK_DATA_KEY: key id %d given twice", id);
                hk_keyring_wipe(kr);
                return -1;
            }
        if (parse_key(k, klen, kr->keys[kr->n]) != 0) {
            snprintf(err, errlen, "HARK_DATA_KEY: key %d is not 32 bytes of hex (64 digits) or "
                     "base64 (44 characters)", id);
            hk_keyring_wipe(kr);
            return -1;
        }
        kr->ids[kr->n++] = id;
        if (id > kr->newest) kr->newest = id;
        p = end ? end + 1 : NULL;
    }
    if (kr->n == 0) {
        snprintf(err, errlen, "HARK_DATA_KEY: empty");
        return -1;
    }
    return 0;
}

int hk_keyring_from_env(const hk_config *cfg, hk_keyring *kr, char *err, size_t errlen) {
    const char *spec = hk_config_str(cfg, HK_CFG_HARK_DATA_KEY);
    memset(kr, 0, sizeof *kr);
    if (spec && *spec) return hk_keyring_parse(kr, spec, err, errlen);
    if (hk_config_production(cfg)) {
        snprintf(err, errlen, "HARK_DATA_KEY is not set: refusing to store call records in the "
                 "clear with HARK_ENV=production (generate one: openssl rand -hex 32)");
        return -1;
    }
    hk_log(HK_LOG_WARN, NULL, "data_key_missing",
           "!!! HARK_DATA_KEY is not set: call transcripts, messages and recording URLs are "
           "stored UNENCRYPTED (development only; production refuses to start) !!!");
    return 0;
}

void hk_keyring_wipe(hk_keyring *kr) { OPENSSL_cleanse(kr, sizeof *kr); }

static const uint8_t *find_key(const hk_keyring *kr, int kid) {
    for (int i = 0; i < kr->n; i++)
        if (kr->ids[i] == kid) return kr->keys[i];
    return NULL;
}

void hk_seal_aad(char *out, size_t cap, const char *tenant, const char *column, const char *row) {
    snprintf(out, cap, "%s|%s|%s", tenant ? tenant : "", column, row ? row : "");
}

int hk_seal(const hk_keyring *kr, int kid, const char *aad, const uint8_t *plain, size_t n,
            uint8_t *out) {
    if (kid == 0) {
        if (n) memcpy(out, plain, n);
        return (int)n;
    }
    const uint8_t *key = find_key(kr, kid);
    if (!key || n > (size_t)INT32_MAX - HK_SEAL_OVERHEAD) return -1;
    if (RAND_bytes(out, 12) != 1) return -1;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0, ok = ctx != NULL;
    ok = ok && EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, out) == 1;
    ok = ok && EVP_EncryptUpdate(ctx, NULL, &len, (const uint8_t *)aad, (int)strlen(aad)) == 1;
    ok = ok && EVP_EncryptUpdate(ctx, out + 12, &len, plain, (int)n) == 1;
    int fin = 0;
    ok = ok && EVP_EncryptFinal_ex(ctx, out + 12 + len, &fin) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out + 12 + n) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? (int)n + HK_SEAL_OVERHEAD : -1;
}

int hk_open(const hk_keyring *kr, int kid, const char *aad, const uint8_t *sealed, size_t n,
            uint8_t *out) {
    if (kid == 0) {
        if (n) memcpy(out, sealed, n);
        return (int)n;
    }
    const uint8_t *key = find_key(kr, kid);
    if (!key || n < HK_SEAL_OVERHEAD || n > (size_t)INT32_MAX) return -1;
    size_t clen = n - HK_SEAL_OVERHEAD;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0, ok = ctx != NULL;
    ok = ok && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, sealed) == 1;
    ok = ok && EVP_DecryptUpdate(ctx, NULL, &len, (const uint8_t *)aad, (int)strlen(aad)) == 1;
    ok = ok && EVP_DecryptUpdate(ctx, out, &len, sealed + 12, (int)clen) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, (void *)(sealed + 12 + clen)) == 1;
    int fin = 0;
    ok = ok && EVP_DecryptFinal_ex(ctx, out + len, &fin) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
        OPENSSL_cleanse(out, clen);
        return -1;
    }
    return (int)clen;
}
