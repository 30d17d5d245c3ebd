/* store/pg_api_keys: a tenant's API keys in PostgreSQL for the dashboard's
 * /api/v1/api-keys (store.h, hk_store_api_key_new): list, create (the
 * prefix and SHA-256 api/apikey.c made; the key itself never reaches the
 * store), revoke (revoked_at set once), last use (last_used_at, best
 * effort). Every statement but the last names the tenant, so
 * another tenant's key id is not found; rows never carry the hash. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "store/pg_internal.h"

static hk_pg_op *key_op(int stmt, const char *tenant, hk_store_read_cb cb, void *ud) {
    hk_pg_op *op = hk_pg_op_new(stmt, NULL);
    op->cb = cb;
    op->ud = ud;
    snprintf(op->tenant, sizeof op->tenant, "%s", tenant);
    hk_pg_op_text(op, 0, tenant);
    return op;
}

void hk_pg_api_keys_list(hk_store *s, const char *tenant, hk_store_read_cb cb, void *ud) {
    if (!tenant || !hk_store_is_uuid(tenant)) {
        cb(ud, NULL, "bad tenant id");
        return;
    }
    hk_pg_submit_read(s, key_op(HK_SQL_API_KEYS_LIST, tenant, cb, ud));
}

void hk_pg_api_key_create(hk_store *s, const char *tenant, const hk_store_api_key_new *k,
                          hk_store_read_cb cb, void *ud) {
    if (!tenant || !hk_store_is_uuid(tenant) || !k->prefix || !k->hash) {
        cb(ud, NULL, "bad tenant id or key");
        return;
    }
    char hex[65];
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", k->hash[i]);
    hk_pg_op *op = key_op(HK_SQL_API_KEY_CREATE, tenant, cb, ud);
    op->single = 1;
    hk_pg_op_text(op, 1, k->name ? k->name : "");
    hk_pg_op_text(op, 2, k->prefix);
    hk_pg_op_text(op, 3, hex);
    hk_pg_submit_read(s, op);
}

static void used_done(void *ud, struct cJSON *rows, const char *err) {
    (void)ud;
    (void)err; /* best effort: a lost last_used_at is no reason to fail a request */
    cJSON_Delete(rows);
}

void hk_pg_api_key_used(hk_store *s, const char *id) {
    if (!id || !hk_store_is_uuid(id)) return;
    hk_pg_op *op = hk_pg_op_new(HK_SQL_API_KEY_USED, NULL);
    op->cb = used_done;
    op->ud = NULL;
    hk_pg_op_text(op, 0, id);
    hk_pg_submit_read(s, op);
}

void hk_pg_api_key_revoke(hk_store *s, const char *tenant, const char *id, hk_store_read_cb cb,
                          void *ud) {
    /* a malformed id is no key of this tenant */
    if (!tenant || !hk_store_is_uuid(tenant) || !id || !hk_store_is_uuid(id)) {
        cb(ud, NULL, NULL);
        return;
    }
    hk_pg_op *op = key_op(HK_SQL_API_KEY_REVOKE, tenant, cb, ud);
    op->single = 1;
    hk_pg_op_text(op, 1, id);
    hk_pg_submit_read(s, op);
}
