/* store/memory_auth: API keys and users of the memory store (tests, and
 * `hark serve` with HARK_STORE=memory, where nobody can create them: every
 * key is then refused). Process-wide, like a worker's memory store. */
#ifndef HK_MEMORY_AUTH_H
#define HK_MEMORY_AUTH_H

#include <stdint.h>

#include "store/store.h"

void hk_mem_api_key_find(hk_store *s, const char *prefix, hk_store_read_cb cb, void *ud);
void hk_mem_user_find(hk_store *s, const char *email, hk_store_read_cb cb, void *ud);
/* The dashboard's /api/v1/api-keys (store.h's api_keys_list, api_key_create,
 * api_key_revoke) */
void hk_mem_api_keys_list(hk_store *s, const char *tenant_id, hk_store_read_cb cb, void *ud);
void hk_mem_api_key_create(hk_store *s, const char *tenant_id, const hk_store_api_key_new *k,
                           hk_store_read_cb cb, void *ud);
void hk_mem_api_key_used(hk_store *s, const char *id);
void hk_mem_api_key_revoke(hk_store *s, const char *tenant_id, const char *id, hk_store_read_cb cb,
                           void *ud);
/* Tests: add a key (hash: SHA-256 of the key) or a user (an Argon2id hash
 * string); revoke a key. 0, or -1 when full. */
int hk_mem_auth_add_key(const char *tenant_id, const char *key_id, const char *prefix,
                        const uint8_t hash[32]);
int hk_mem_auth_revoke_key(const char *key_id);
int hk_mem_auth_add_user(const char *tenant_id, const char *user_id, const char *email,
                         const char *password_hash);
void hk_mem_auth_clear(void);

#endif
