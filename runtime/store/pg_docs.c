/* store/pg_docs: API resources (store.h, hk_store_doc_*) in PostgreSQL.
 * Assistants are rows of agents (schema/003_assistants.sql): the document is
 * agents.config, the owned fields are columns; tools are rows of tools
 * (schema/007_tools.sql) the same way. These are requests a client
 * waits on, so they run like reads: on a connection that is up, answered
 * through the callback; with the database away the answer is an error at
 * once, never the spool (a client told "created" must find it). Malformed
 * ids are "not found" here, before any SQL, as another tenant's ids are in
 * the WHERE clause. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/pg_internal.h"

typedef struct doc_req {
    hk_store_read_cb cb;
    void *ud;
} doc_req;

/* statement of (kind, operation); -1: the kind is not in PostgreSQL yet */
enum { OP_CREATE = 0, OP_GET, OP_LIST, OP_PATCH, OP_DELETE };

static int stmt_of(int kind, int op) {
    static const int assistant[] = {HK_SQL_ASSISTANT_CREATE, HK_SQL_ASSISTANT_GET,
                                    HK_SQL_ASSISTANT_LIST, HK_SQL_ASSISTANT_PATCH,
                                    HK_SQL_ASSISTANT_DELETE};
    static const int number[] = {HK_SQL_NUMBER_CREATE, HK_SQL_NUMBER_GET, HK_SQL_NUMBER_LIST,
                                 HK_SQL_NUMBER_PATCH, HK_SQL_NUMBER_DELETE};
    static const int tool[] = {HK_SQL_TOOL_CREATE, HK_SQL_TOOL_GET, HK_SQL_TOOL_LIST,
                               HK_SQL_TOOL_PATCH, HK_SQL_TOOL_DELETE};
    if (kind == HK_DOC_TOOL) return tool[op];
    return kind == HK_DOC_ASSISTANT ? assistant[op] : kind == HK_DOC_PHONE_NUMBER ? number[op] : -1;
}

static const char *jstr(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* a row of DOC_COLS (pg_sql.c) -> the served object */
static cJSON *row_doc(const cJSON *row) {
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(row, "config");
    return hk_store_doc_stamp(jstr(row, "id"), jstr(row, "org_id"), jstr(row, "created_at"),
                              jstr(row, "updated_at"), cJSON_IsObject(body) ? body : NULL);
}

static void doc_done(void *ud, cJSON *result, const char *err) {
    doc_req *r = ud;
    cJSON *out = NULL;
    if (!err && cJSON_IsArray(result)) {
        out = cJSON_CreateArray();
        const cJSON *row;
        cJSON_ArrayForEach(row, result) cJSON_AddItemToArray(out, row_doc(row));
    } else if (!err && result) {
        out = row_doc(result);
    }
    cJSON_Delete(result);
    r->cb(r->ud, out, err);
    free(r);
}

static hk_pg_op *doc_op(int kind, int op_kind, const char *tenant, hk_store_read_cb cb, void *ud) {
    int stmt = stmt_of(kind, op_kind);
    if (stmt < 0 || !tenant || !hk_store_is_uuid(tenant)) {
        cb(ud, NULL, stmt < 0 ? "this resource is not stored in PostgreSQL" : "bad tenant id");
        return NULL;
    }
    doc_req *r = malloc(sizeof *r);
    if (!r) abort();
    r->cb = cb;
    r->ud = ud;
    hk_pg_op *op = hk_pg_op_new(stmt, NULL);
    op->cb = doc_done;
    op->ud = r;
    op->single = op_kind != OP_LIST;
    snprintf(op->tenant, sizeof op->tenant, "%s", tenant);
    hk_pg_op_text(op, 0, tenant);
    return op;
}

static void bind_json(hk_pg_op *op, int i, const cJSON *body) {
    char *text = cJSON_PrintUnformatted(body);
    if (!text) abort();
    hk_pg_op_text(op, i, text);
    free(text);
}

void hk_pg_doc_create(hk_store *s, int kind, const char *tenant, const cJSON *body,
                      hk_store_read_cb cb, void *ud) {
    cJSON *copy = hk_store_doc_body(body);
    if (!copy) {
        cb(ud, NULL, "a resource is a JSON object");
        return;
    }
    hk_pg_op *op = doc_op(kind, OP_CREATE, tenant, cb, ud);
    if (op) {
        bind_json(op, 1, copy);
        hk_pg_submit_read(s, op);
    }
    cJSON_Delete(copy);
}

/* get, delete: by id; a malformed id is not found */
static void by_id(hk_store *s, int kind, int op_kind, const char *tenant, const char *id,
                  hk_store_read_cb cb, void *ud) {
    if (!hk_store_is_uuid(id)) {
        cb(ud, NULL, NULL);
        return;
    }
    hk_pg_op *op = doc_op(kind, op_kind, tenant, cb, ud);
    if (!op) return;
    hk_pg_op_text(op, 1, id);
    hk_pg_submit_read(s, op);
}

void hk_pg_doc_get(hk_store *s, int kind, const char *tenant, const char *id, hk_store_read_cb cb,
                   void *ud) {
    by_id(s, kind, OP_GET, tenant, id, cb, ud);
}

void hk_pg_doc_delete(hk_store *s, int kind, const char *tenant, const char *id,
                      hk_store_read_cb cb, void *ud) {
    by_id(s, kind, OP_DELETE, tenant, id, cb, ud);
}

void hk_pg_doc_patch(hk_store *s, int kind, const char *tenant, const char *id, const cJSON *patch,
                     hk_store_read_cb cb, void *ud) {
    if (!hk_store_is_uuid(id)) {
        cb(ud, NULL, NULL);
        return;
    }
    cJSON *changes = hk_store_doc_body(patch);
    if (!changes) {
        cb(ud, NULL, "a patch is a JSON object");
        return;
    }
    hk_pg_op *op = doc_op(kind, OP_PATCH, tenant, cb, ud);
    if (op) {
        hk_pg_op_text(op, 1, id);
        bind_json(op, 2, changes);
        hk_pg_submit_read(s, op);
    }
    cJSON_Delete(changes);
}

/* a bound in unix seconds as timestamptz text, to the microsecond (NULL: open) */
static void bind_time(hk_pg_op *op, int i, double t) {
    if (t == 0) {
        hk_pg_op_text(op, i, NULL);
        return;
    }
    long long us = llround(t * 1e6);
    time_t secs = (time_t)(us / 1000000 - (us % 1000000 < 0));
    long frac = (long)(us - (long long)secs * 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char buf[48];
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    hk_pg_op_text(op, i, buf);
}

void hk_pg_doc_list(hk_store *s, int kind, const char *tenant, const hk_store_doc_filter *f,
                    hk_store_read_cb cb, void *ud) {
    hk_store_doc_filter none = {0};
    if (!f) f = &none;
    hk_pg_op *op = doc_op(kind, OP_LIST, tenant, cb, ud);
    if (!op) return;
    const double b[8] = {f->created_gt, f->created_lt, f->created_ge, f->created_le,
                         f->updated_gt, f->updated_lt, f->updated_ge, f->updated_le};
    for (int i = 0; i < 8; i++) bind_time(op, 1 + i, b[i]);
    char n[16];
    snprintf(n, sizeof n, "%d", f->limit <= 0 ? 100 : f->limit > 1000 ? 1000 : f->limit);
    hk_pg_op_text(op, 9, n);
    hk_pg_submit_read(s, op);
}

void hk_pg_number_find(hk_store *s, const char *number, hk_store_read_cb cb, void *ud) {
    if (!number || !*number || strlen(number) > 32) {
        cb(ud, NULL, NULL);
        return;
    }
    doc_req *r = malloc(sizeof *r);
    if (!r) abort();
    r->cb = cb;
    r->ud = ud;
    hk_pg_op *op = hk_pg_op_new(HK_SQL_NUMBER_FIND, NULL);
    op->cb = doc_done;
    op->ud = r;
    op->single = 1;
    hk_pg_op_text(op, 0, number);
    hk_pg_submit_read(s, op);
}
