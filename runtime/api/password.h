/* api/password: user passwords, Argon2id through libsodium
 * (crypto_pwhash_str, interactive limits: ~64 MB and tens of ms per hash).
 * Hashing and verifying run on the worker pool, never on the loop; a login
 * for an unknown email verifies against a dummy hash so it costs the same. */
#ifndef HK_PASSWORD_H
#define HK_PASSWORD_H

#include <stddef.h>

struct hk_pool;

#define HK_PASSWORD_HASH_MAX 128 /* crypto_pwhash_STRBYTES */
#define HK_PASSWORD_MIN 8
#define HK_PASSWORD_MAX 1024

/* Blocking: for the CLI only. 0, or -1 (out of memory, libsodium failed). */
int hk_password_hash(const char *password, char out[HK_PASSWORD_HASH_MAX]);

/* ok: 1 when password matches hash (NULL hash: never, same cost). Runs on
 * pool; cb on the loop. */
typedef void (*hk_password_cb)(void *ud, int ok);
void hk_password_verify(struct hk_pool *pool, const char *hash, const char *password,
                        hk_password_cb cb, void *ud);

#endif
