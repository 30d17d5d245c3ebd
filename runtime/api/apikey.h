/* api/apikey: private API keys: "hk_" + 43 base64url characters (256 random
 * bits). The first HK_APIKEY_PREFIX_LEN characters find the row; the store
 * keeps only the SHA-256 of the whole key (a slow hash adds nothing to 256
 * random bits), compared in constant time. The key is shown once. */
#ifndef HK_APIKEY_H
#define HK_APIKEY_H

#include <stddef.h>
#include <stdint.h>

#define HK_APIKEY_LEN 46
#define HK_APIKEY_PREFIX_LEN 12

/* A new key, its prefix and hash. 0, or -1 when the random source failed. */
int hk_apikey_new(char key[HK_APIKEY_LEN + 1], char prefix[HK_APIKEY_PREFIX_LEN + 1],
                  uint8_t hash[32]);
/* 0 when text (len bytes) has a key's shape; prefix and hash filled. */
int hk_apikey_parse(const char *text, size_t len, char prefix[HK_APIKEY_PREFIX_LEN + 1],
                    uint8_t hash[32]);
/* 1 when the hashes are equal (constant time). */
int hk_apikey_hash_equal(const uint8_t a[32], const uint8_t b[32]);

#endif
