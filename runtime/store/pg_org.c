/* store/pg_org: the tenant's org settings in PostgreSQL (store.h, org_get /
 * org_patch): columns of tenants (schema/010_org_server.sql). Requests a
 * client (or a call's server messages) wait on: run like reads, on a
 * connection that is up; with the database away the answer is an error at
 * once, never the spool. A malformed tenant id is an error before any SQL. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "store/pg_internal.h"

typedef struct org_req {
    hk_store_read_cb cb;
    void *ud;
} org_req;

/* a row of ORG_COLS (pg_sql.c) -> {id, name, server, createdAt, updatedAt} */
static void org_done(void *ud, cJSON *row, const char *err) {
    org_req *r = ud;
    cJSON *out = NULL;
    if (!err && cJSON_IsObject(row)) {
        static const char *keys[][2] = {{"id", "id"}, {"name", "name"}, {"config", "server"},
                                        {"created_at", "createdAt"}, {"updated_at", "updatedAt"}};
        out = cJSON_CreateObject();
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, keys[i][0]);
            cJSON_AddItemToObject(out, keys[i][1], v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
        }
    }
    cJSON_Delete(row);
    r->cb(r->ud, out, err);
    free(r);
}

static hk_pg_op *org_op(int stmt, const char *tenant, hk_store_read_cb cb, void *ud) {
    if (!tenant || !hk_store_is_uuid(tenant)) {
        cb(ud, NULL, "bad tenant id");
        return NULL;
    }
    org_req *r = malloc(sizeof *r);
    if (!r) abort();
    *r = (org_req){cb, ud};
    hk_pg_op *op = hk_pg_op_new(stmt, NULL);
    op->cb = org_done;
    op->ud = r;
    op->single = 1;
    snprintf(op->tenant, sizeof op->tenant, "%s", tenant);
    hk_pg_op_text(op, 0, tenant);
    return op;
}

void hk_pg_org_get(hk_store *s, const char *tenant, hk_store_read_cb cb, void *ud) {
    hk_pg_op *op = org_op(HK_SQL_ORG_GET, tenant, cb, ud);
    if (op) hk_pg_submit_read(s, op);
}

void hk_pg_org_patch(hk_store *s, const char *tenant, const cJSON *patch, hk_store_read_cb cb,
                     void *ud) {
    if (!cJSON_IsObject(patch)) {
        cb(ud, NULL, "org patch: a JSON object");
        return;
    }
    char *text = cJSON_PrintUnformatted(patch);
    if (!text) abort();
    hk_pg_op *op = org_op(HK_SQL_ORG_PATCH, tenant, cb, ud);
    if (op) {
        hk_pg_op_text(op, 1, text);
        hk_pg_submit_read(s, op);
    }
    free(text);
}
