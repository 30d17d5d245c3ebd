/* store/memory_auth: API keys and users in process memory. See memory_auth.h.
 * Answers like the PostgreSQL store's rows (pg_auth.c): id, tenant_id,
 * key_hash (hex) and revoked; id, tenant_id, password_hash. */
#include "store/memory_auth.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_ROWS 64

typedef struct mem_key {
    char id[37], tenant[37], prefix[16], name[128];
    uint8_t hash[32];
    int revoked;
    double created, revoked_at, last_used; /* 0: never */
} mem_key;

typedef struct mem_user {
    char id[37], tenant[37], email[256], hash[128];
} mem_user;

static mem_key keys[MAX_ROWS];
static int nkeys;
static mem_user users[MAX_ROWS];
static int nusers;

void hk_mem_auth_clear(void) { nkeys = nusers = 0; }

int hk_mem_auth_add_key(const char *tenant_id, const char *key_id, const char *prefix,
                        const uint8_t hash[32]) {
    if (nkeys >= MAX_ROWS) return -1;
    mem_key *k = &keys[nkeys++];
    memset(k, 0, sizeof *k);
    snprintf(k->id, sizeof k->id, "%s", key_id);
    snprintf(k->tenant, sizeof k->tenant, "%s", tenant_id);
    snprintf(k->prefix, sizeof k->prefix, "%s", prefix);
    memcpy(k->hash, hash, 32);
    k->created = hk_store_now_s();
    return 0;
}

int hk_mem_auth_revoke_key(const char *key_id) {
    for (int i = 0; i < nkeys; i++)
        if (strcmp(keys[i].id, key_id) == 0) {
            if (!keys[i].revoked) keys[i].revoked_at = hk_store_now_s();
            keys[i].revoked = 1;
            return 0;
        }
    return -1;
}

/* a key's row as pg_api_keys.c answers it: never the hash */
static cJSON *key_row(const mem_key *k) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", k->id);
    cJSON_AddStringToObject(o, "name", k->name);
    cJSON_AddStringToObject(o, "prefix", k->prefix);
    cJSON_AddNumberToObject(o, "created_at", k->created);
    if (k->revoked) cJSON_AddNumberToObject(o, "revoked_at", k->revoked_at);
    else cJSON_AddNullToObject(o, "revoked_at");
    if (k->last_used > 0) cJSON_AddNumberToObject(o, "last_used_at", k->last_used);
    else cJSON_AddNullToObject(o, "last_used_at");
    return o;
}

void hk_mem_api_keys_list(hk_store *s, const char *tenant, hk_store_read_cb cb, void *ud) {
    (void)s;
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; tenant && i < nkeys; i++)
        if (strcasecmp(keys[i].tenant, tenant) == 0) cJSON_AddItemToArray(arr, key_row(&keys[i]));
    cb(ud, arr, NULL);
}

void hk_mem_api_key_create(hk_store *s, const char *tenant, const hk_store_api_key_new *k,
                           hk_store_read_cb cb, void *ud) {
    (void)s;
    char id[37];
    hk_store_uuid(id);
    if (!tenant || !k->prefix || !k->hash || hk_mem_auth_add_key(tenant, id, k->prefix, k->hash)) {
        cb(ud, NULL, "no room for another key");
        return;
    }
    mem_key *row = &keys[nkeys - 1];
    snprintf(row->name, sizeof row->name, "%s", k->name ? k->name : "");
    cb(ud, key_row(row), NULL);
}

void hk_mem_api_key_used(hk_store *s, const char *id) {
    (void)s;
    for (int i = 0; id && i < nkeys; i++)
        if (strcasecmp(keys[i].id, id) == 0) keys[i].last_used = hk_store_now_s();
}

void hk_mem_api_key_revoke(hk_store *s, const char *tenant, const char *id, hk_store_read_cb cb,
                           void *ud) {
    (void)s;
    for (int i = 0; tenant && id && i < nkeys; i++)
        if (strcasecmp(keys[i].id, id) == 0 && strcasecmp(keys[i].tenant, tenant) == 0) {
            hk_mem_auth_revoke_key(keys[i].id);
            cb(ud, key_row(&keys[i]), NULL);
            return;
        }
    cb(ud, NULL, NULL);
}

int hk_mem_auth_add_user(const char *tenant_id, const char *user_id, const char *email,
                         const char *password_hash) {
    if (nusers >= MAX_ROWS) return -1;
    mem_user *u = &users[nusers++];
    snprintf(u->id, sizeof u->id, "%s", user_id);
    snprintf(u->tenant, sizeof u->tenant, "%s", tenant_id);
    snprintf(u->email, sizeof u->email, "%s", email);
    snprintf(u->hash, sizeof u->hash, "%s", password_hash);
    return 0;
}

void hk_mem_api_key_find(hk_store *s, const char *prefix, hk_store_read_cb cb, void *ud) {
    (void)s;
    for (int i = 0; i < nkeys; i++) {
        if (strcmp(keys[i].prefix, prefix) != 0) continue;
        char hex[65];
        for (int j = 0; j < 32; j++) sprintf(hex + 2 * j, "%02x", keys[i].hash[j]);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", keys[i].id);
        cJSON_AddStringToObject(o, "tenant_id", keys[i].tenant);
        cJSON_AddStringToObject(o, "key_hash", hex);
        cJSON_AddBoolToObject(o, "revoked", keys[i].revoked);
        cb(ud, o, NULL);
        return;
    }
    cb(ud, NULL, NULL);
}

void hk_mem_user_find(hk_store *s, const char *email, hk_store_read_cb cb, void *ud) {
    (void)s;
    for (int i = 0; i < nusers; i++) {
        if (strcasecmp(users[i].email, email) != 0) continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", users[i].id);
        cJSON_AddStringToObject(o, "tenant_id", users[i].tenant);
        cJSON_AddStringToObject(o, "password_hash", users[i].hash);
        cb(ud, o, NULL);
        return;
    }
    cb(ud, NULL, NULL);
}
