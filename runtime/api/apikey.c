/* api/apikey: API key format and hashing. See apikey.h. */
#include "api/apikey.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <string.h>

#include "net/base64.h"

int hk_apikey_new(char key[HK_APIKEY_LEN + 1], char prefix[HK_APIKEY_PREFIX_LEN + 1],
                  uint8_t hash[32]) {
    uint8_t r[32];
    if (RAND_bytes(r, sizeof r) != 1) return -1;
    memcpy(key, "hk_", 3);
    if (hk_base64url_encode(r, sizeof r, key + 3, HK_APIKEY_LEN - 3 + 1) != HK_APIKEY_LEN - 3) return -1;
    OPENSSL_cleanse(r, sizeof r);
    return hk_apikey_parse(key, HK_APIKEY_LEN, prefix, hash);
}

int hk_apikey_parse(const char *text, size_t len, char prefix[HK_APIKEY_PREFIX_LEN + 1],
                    uint8_t hash[32]) {
    if (len != HK_APIKEY_LEN || memcmp(text, "hk_", 3) != 0) return -1;
    uint8_t raw[33];
    /* strict base64url: exactly 32 bytes, canonical */
    if (hk_base64url_decode(text + 3, len - 3, raw, sizeof raw) != 32) return -1;
    OPENSSL_cleanse(raw, sizeof raw);
    memcpy(prefix, text, HK_APIKEY_PREFIX_LEN);
    prefix[HK_APIKEY_PREFIX_LEN] = 0;
    SHA256((const unsigned char *)text, len, hash);
    return 0;
}

int hk_apikey_hash_equal(const uint8_t a[32], const uint8_t b[32]) {
    return CRYPTO_memcmp(a, b, 32) == 0;
}
