/* api/auth: Authorization header -> tenant. See auth.h. API keys: a small
 * direct-mapped cache per worker (process) of prefix -> hash, tenant, key id,
 * revoked, refreshed from the store after HK_AUTH_CACHE_TTL_S; a miss costs
 * one store read. JWTs: api/jwt with JWT_SECRET. */
#include "api/auth.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/apikey.h"
#include "api/app.h"
#include "api/jwt.h"
#include "store/store.h"

#define CACHE_SLOTS 512

typedef struct key_entry {
    char prefix[HK_APIKEY_PREFIX_LEN + 1];
    uint8_t hash[32];
    char key_id[37], tenant_id[37];
    int revoked;
    double fetched; /* ev_now; 0: empty */
} key_entry;

static key_entry cache[CACHE_SLOTS];

const char hk_auth_store_unavailable[] = "store unavailable";

/* Negative cache: key prefixes the store said it does not know, answered
 * without a store read for HK_AUTH_NEG_TTL_S (a key created meanwhile waits
 * that long). Fixed size, direct-mapped: a flood of random keys overwrites
 * slots, never grows memory; those each cost one read, but at most
 * HK_AUTH_MAX_LOOKUPS wait on the store at once (more: 503). */
#define NEG_SLOTS 1024
typedef struct neg_entry {
    char prefix[HK_APIKEY_PREFIX_LEN + 1];
    double until; /* ev_now */
} neg_entry;
static neg_entry neg[NEG_SLOTS];
static int lookups; /* store reads in flight */

static uint32_t prefix_hash(const char *prefix) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = prefix; *p; p++) h = (h ^ (uint8_t)*p) * 16777619u;
    return h;
}

static int neg_known(const char *prefix, double now) {
    const neg_entry *e = &neg[(prefix_hash(prefix) >> 7) % NEG_SLOTS];
    return e->until > now && strcmp(e->prefix, prefix) == 0;
}

static void neg_add(const char *prefix, double now) {
    neg_entry *e = &neg[(prefix_hash(prefix) >> 7) % NEG_SLOTS];
    memcpy(e->prefix, prefix, sizeof e->prefix);
    e->until = now + HK_AUTH_NEG_TTL_S;
}

void hk_auth_cache_clear(void) {
    memset(cache, 0, sizeof cache);
    memset(neg, 0, sizeof neg);
}

static key_entry *slot(const char *prefix) { return &cache[prefix_hash(prefix) % CACHE_SLOTS]; }

const char *hk_auth_bearer(const char *authorization, size_t *len) {
    if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0) return NULL;
    const char *t = authorization + 7;
    while (*t == ' ') t++;
    size_t n = strlen(t);
    while (n && isspace((unsigned char)t[n - 1])) n--;
    if (!n || n > HK_JWT_MAX_LEN) return NULL;
    *len = n;
    return t;
}

int hk_auth_shape_ok(const char *authorization) {
    size_t n;
    const char *t = hk_auth_bearer(authorization, &n);
    if (!t) return 0;
    if (hk_jwt_looks_like(t, n)) return 1;
    char prefix[HK_APIKEY_PREFIX_LEN + 1];
    uint8_t hash[32];
    return hk_apikey_parse(t, n, prefix, hash) == 0;
}

static void answer_key(const key_entry *e, const uint8_t hash[32], hk_auth_cb cb, void *ud) {
    if (e->revoked) return cb(ud, NULL, "key revoked");
    if (!hk_apikey_hash_equal(e->hash, hash)) return cb(ud, NULL, "key does not match");
    hk_auth_principal who;
    memset(&who, 0, sizeof who);
    memcpy(who.tenant_id, e->tenant_id, sizeof who.tenant_id);
    memcpy(who.key_id, e->key_id, sizeof who.key_id);
    cb(ud, &who, NULL);
}

typedef struct key_lookup {
    hk_app *app;
    char prefix[HK_APIKEY_PREFIX_LEN + 1];
    uint8_t hash[32];
    hk_auth_cb cb;
    void *ud;
} key_lookup;

static int hex32(const char *hex, uint8_t out[32]) {
    if (!hex || strlen(hex) != 64) return -1;
    for (int i = 0; i < 32; i++) {
        unsigned v;
        char b[3] = {hex[2 * i], hex[2 * i + 1], 0};
        if (!isxdigit((unsigned char)b[0]) || !isxdigit((unsigned char)b[1])) return -1;
        v = (unsigned)strtoul(b, NULL, 16);
        out[i] = (uint8_t)v;
    }
    return 0;
}

static int copy_id(const cJSON *o, const char *name, char out[37]) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsString(v) || strlen(v->valuestring) != 36) return -1;
    memcpy(out, v->valuestring, 37);
    return 0;
}

static void key_found(void *ud, cJSON *row, const char *err) {
    key_lookup *l = ud;
    key_entry e;
    memset(&e, 0, sizeof e);
    const char *why = NULL;
    lookups--;
    if (err) why = hk_auth_store_unavailable;
    else if (!row) {
        why = "no such key";
        neg_add(l->prefix, ev_now(l->app->loop));
    }
    else if (copy_id(row, "id", e.key_id) || copy_id(row, "tenant_id", e.tenant_id) ||
             hex32(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "key_hash")), e.hash))
        why = "key row unreadable";
    if (why) {
        cJSON_Delete(row);
        l->cb(l->ud, NULL, why);
        free(l);
        return;
    }
    e.revoked = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(row, "revoked"));
    cJSON_Delete(row);
    memcpy(e.prefix, l->prefix, sizeof e.prefix);
    e.fetched = ev_now(l->app->loop);
    *slot(l->prefix) = e;
    /* read from the store and good: remember when it was last used (once per
     * key per cache period per worker, not per request) */
    if (!e.revoked && hk_apikey_hash_equal(e.hash, l->hash) && l->app->store &&
        l->app->store->v->api_key_used)
        l->app->store->v->api_key_used(l->app->store, e.key_id);
    answer_key(&e, l->hash, l->cb, l->ud);
    free(l);
}

void hk_auth_check(hk_app *app, const char *authorization, hk_auth_cb cb, void *ud) {
    size_t n;
    const char *t = hk_auth_bearer(authorization, &n);
    if (!t) return cb(ud, NULL, "no bearer credential");
    if (hk_jwt_looks_like(t, n)) {
        hk_jwt_claims c;
        const char *why = NULL;
        if (hk_jwt_verify(hk_config_str(app->cfg, HK_CFG_JWT_SECRET), t, n, (long)time(NULL), &c,
                          &why) != 0)
            return cb(ud, NULL, why);
        if (strlen(c.tenant) != 36 || strlen(c.sub) != 36) return cb(ud, NULL, "claims are not ids");
        hk_auth_principal who;
        memset(&who, 0, sizeof who);
        memcpy(who.tenant_id, c.tenant, 37);
        memcpy(who.user_id, c.sub, 37);
        return cb(ud, &who, NULL);
    }
    key_lookup l;
    if (hk_apikey_parse(t, n, l.prefix, l.hash) != 0) return cb(ud, NULL, "malformed key");
    key_entry *e = slot(l.prefix);
    if (e->fetched > 0 && strcmp(e->prefix, l.prefix) == 0 &&
        ev_now(app->loop) - e->fetched < HK_AUTH_CACHE_TTL_S)
        return answer_key(e, l.hash, cb, ud);
    if (neg_known(l.prefix, ev_now(app->loop))) return cb(ud, NULL, "no such key (cached)");
    if (!app->store || !app->store->v->api_key_find) return cb(ud, NULL, "no store");
    if (lookups >= HK_AUTH_MAX_LOOKUPS) return cb(ud, NULL, hk_auth_store_unavailable);
    key_lookup *p = malloc(sizeof *p);
    if (!p) return cb(ud, NULL, "out of memory");
    *p = l;
    p->app = app;
    p->cb = cb;
    p->ud = ud;
    lookups++;
    app->store->v->api_key_find(app->store, p->prefix, key_found, p);
}
