/* api/apikeys_routes: the dashboard's API keys page, for the request's
 * tenant: GET /api/v1/api-keys -> [{id, name, prefix, createdAt, revokedAt,
 * lastUsedAt}] (oldest first); POST /api/v1/api-keys {name} -> 201 {id,
 * name, prefix, key, createdAt}: the key is in this answer only (api/apikey.c
 * makes it; the store keeps its prefix and SHA-256, as `hark key create`
 * does); DELETE /api/v1/api-keys/{id} -> 200 the revoked key (revokedAt set
 * once; revoking again answers it unchanged), 404 for an id that is not one
 * of this tenant's keys. No answer ever carries a hash. A revoked key stops
 * working at once on this worker (its auth cache is dropped) and within
 * HK_AUTH_CACHE_TTL_S on the others. */
#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/apikeys_routes.h"

#include "api/apikey.h"
#include "api/app.h"
#include "api/auth.h"
#include "core/log.h"
#include "store/store.h"

#define NAME_MAX_LEN 100

static int have_store(hk_api_req *r) {
    hk_store *s = r->app->store;
    if (!s) {
        hk_api_reply_error(r, 503, "no store: API keys need the database (HARK_STORE)");
        return 0;
    }
    if (!s->v->api_keys_list || !s->v->api_key_create || !s->v->api_key_revoke) {
        char why[160];
        snprintf(why, sizeof why, "the %s store does not serve API keys yet", s->v->name);
        hk_api_reply_error(r, 501, why);
        return 0;
    }
    return 1;
}

static void add_time(cJSON *o, const char *k, const cJSON *row, const char *col) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, col);
    if (!cJSON_IsNumber(v)) {
        cJSON_AddNullToObject(o, k);
        return;
    }
    char iso[32];
    hk_store_time_iso(v->valuedouble, iso);
    cJSON_AddStringToObject(o, k, iso);
}

static void add_str(cJSON *o, const char *k, const cJSON *row, const char *col) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, col);
    cJSON_AddStringToObject(o, k, cJSON_IsString(v) ? v->valuestring : "");
}

/* a store row as the API shows it (only these fields: never a hash) */
static cJSON *key_json(const cJSON *row) {
    cJSON *o = cJSON_CreateObject();
    add_str(o, "id", row, "id");
    add_str(o, "name", row, "name");
    add_str(o, "prefix", row, "prefix");
    add_time(o, "createdAt", row, "created_at");
    add_time(o, "revokedAt", row, "revoked_at");
    add_time(o, "lastUsedAt", row, "last_used_at");
    return o;
}

static void listed(void *ud, cJSON *rows, const char *err) {
    hk_api_req *r = ud;
    if (err || !cJSON_IsArray(rows)) {
        cJSON_Delete(rows);
        hk_api_reply_error(r, 503, "the store is unavailable; try again");
        return;
    }
    cJSON *out = cJSON_CreateArray();
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) cJSON_AddItemToArray(out, key_json(row));
    cJSON_Delete(rows);
    hk_api_reply_json(r, 200, out);
}

void hk_api_keys_list(hk_api_req *r) {
    if (!have_store(r)) return;
    r->app->store->v->api_keys_list(r->app->store, r->tenant_id, listed, r);
}

typedef struct create_ctx {
    hk_api_req *r;
    char key[HK_APIKEY_LEN + 1];
} create_ctx;

static void created(void *ud, cJSON *row, const char *err) {
    create_ctx *c = ud;
    hk_api_req *r = c->r;
    if (err || !cJSON_IsObject(row)) {
        OPENSSL_cleanse(c->key, sizeof c->key);
        free(c);
        cJSON_Delete(row);
        hk_api_reply_error(r, 503, "the store is unavailable; try again");
        return;
    }
    cJSON *o = key_json(row);
    cJSON_DeleteItemFromObjectCaseSensitive(o, "revokedAt");
    cJSON_DeleteItemFromObjectCaseSensitive(o, "lastUsedAt");
    cJSON_AddStringToObject(o, "key", c->key);
    OPENSSL_cleanse(c->key, sizeof c->key);
    hk_log(HK_LOG_INFO, NULL, "api_key_created", "tenant %s key %s", r->tenant_id,
           cJSON_GetObjectItemCaseSensitive(o, "id")->valuestring);
    free(c);
    cJSON_Delete(row);
    hk_api_reply_json(r, 201, o);
}

void hk_api_keys_create(hk_api_req *r) {
    cJSON *body = hk_api_body_object(r);
    if (!body) return;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "name");
    if (name && (!cJSON_IsString(name) || strlen(name->valuestring) > NAME_MAX_LEN)) {
        cJSON_Delete(body);
        hk_api_reply_error(r, 400, "name must be a string of at most 100 characters");
        return;
    }
    if (!have_store(r)) {
        cJSON_Delete(body);
        return;
    }
    create_ctx *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->r = r;
    char prefix[HK_APIKEY_PREFIX_LEN + 1];
    uint8_t hash[32];
    if (hk_apikey_new(c->key, prefix, hash) != 0) {
        free(c);
        cJSON_Delete(body);
        hk_api_reply_error(r, 500, "no randomness for a key; try again");
        return;
    }
    hk_store_api_key_new k = {.name = name ? name->valuestring : "", .prefix = prefix, .hash = hash};
    r->app->store->v->api_key_create(r->app->store, r->tenant_id, &k, created, c);
    cJSON_Delete(body);
}

static void revoked(void *ud, cJSON *row, const char *err) {
    hk_api_req *r = ud;
    if (err) {
        cJSON_Delete(row);
        hk_api_reply_error(r, 503, "the store is unavailable; try again");
        return;
    }
    if (!cJSON_IsObject(row)) {
        cJSON_Delete(row);
        hk_api_reply_error(r, 404, "Couldn't find the API key");
        return;
    }
    hk_auth_cache_clear(); /* this worker refuses it from now on */
    cJSON *o = key_json(row);
    cJSON_Delete(row);
    hk_log(HK_LOG_INFO, NULL, "api_key_revoked", "tenant %s key %s", r->tenant_id,
           cJSON_GetObjectItemCaseSensitive(o, "id")->valuestring);
    hk_api_reply_json(r, 200, o);
}

void hk_api_keys_revoke(hk_api_req *r) {
    if (!have_store(r)) return;
    if (!hk_store_is_uuid(r->params[0])) {
        hk_api_reply_error(r, 404, "Couldn't find the API key");
        return;
    }
    r->app->store->v->api_key_revoke(r->app->store, r->tenant_id, r->params[0], revoked, r);
}
