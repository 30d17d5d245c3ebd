/* store/pg_overview: GET /api/v1/overview in PostgreSQL (store.h,
 * hk_store_overview_query): one statement (pg_sql.c, HK_SQL_OVERVIEW) counts
 * the tenant's calls and computes each agent's voice-to-voice percentiles
 * with percentile_cont over its turns' latency marks; its rows (kind, key, n,
 * p50, p95) are folded here into the object the store answers. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg_internal.h"

typedef struct ov_req {
    hk_store_read_cb cb;
    void *ud;
} ov_req;

static const char *str_of(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num_of(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static cJSON *num_or_null(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? cJSON_CreateNumber(v->valuedouble) : cJSON_CreateNull();
}

/* the agents entry of key (NULL: calls without an agent) */
static cJSON *agent_entry(cJSON *agents, const char *key) {
    cJSON *a;
    cJSON_ArrayForEach(a, agents) {
        const char *id = str_of(a, "agent_id");
        if ((!id && !key) || (id && key && !strcmp(id, key))) return a;
    }
    a = cJSON_CreateObject();
    if (key) cJSON_AddStringToObject(a, "agent_id", key);
    else cJSON_AddNullToObject(a, "agent_id");
    cJSON_AddNumberToObject(a, "calls", 0);
    cJSON_AddNullToObject(a, "p50_ms");
    cJSON_AddNullToObject(a, "p95_ms");
    cJSON_AddItemToArray(agents, a);
    return a;
}

static void got_rows(void *ud, cJSON *rows, const char *err) {
    ov_req *q = ud;
    hk_store_read_cb cb = q->cb;
    void *cud = q->ud;
    free(q);
    if (err || !cJSON_IsArray(rows)) {
        cJSON_Delete(rows);
        cb(cud, NULL, err ? err : "no overview result");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "calls_today", 0);
    cJSON_AddNumberToObject(o, "calls_in_range", 0);
    cJSON_AddNumberToObject(o, "errors", 0);
    cJSON *reasons = cJSON_AddObjectToObject(o, "ended_reasons");
    cJSON *agents = cJSON_AddArrayToObject(o, "agents");
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        const char *kind = str_of(row, "kind"), *key = str_of(row, "key");
        double n = num_of(row, "n");
        if (!kind) continue;
        if (!strcmp(kind, "range")) cJSON_SetNumberValue(cJSON_GetObjectItem(o, "calls_in_range"), n);
        else if (!strcmp(kind, "today")) cJSON_SetNumberValue(cJSON_GetObjectItem(o, "calls_today"), n);
        else if (!strcmp(kind, "errors")) cJSON_SetNumberValue(cJSON_GetObjectItem(o, "errors"), n);
        else if (!strcmp(kind, "reason") && key) cJSON_AddNumberToObject(reasons, key, n);
        else if (!strcmp(kind, "agent"))
            cJSON_SetNumberValue(cJSON_GetObjectItem(agent_entry(agents, key), "calls"), n);
        else if (!strcmp(kind, "latency")) {
            cJSON *a = agent_entry(agents, key);
            cJSON_ReplaceItemInObject(a, "p50_ms", num_or_null(row, "p50"));
            cJSON_ReplaceItemInObject(a, "p95_ms", num_or_null(row, "p95"));
        }
    }
    cJSON_Delete(rows);
    cb(cud, o, NULL);
}

static void bind_time(hk_pg_op *op, int i, double t) {
    char n[48];
    snprintf(n, sizeof n, "%.3f", t);
    hk_pg_op_text(op, i, n);
}

void hk_pg_overview(hk_store *s, const char *tenant, const hk_store_overview_query *q,
                    hk_store_read_cb cb, void *ud) {
    if (!tenant || !hk_store_is_uuid(tenant)) {
        cb(ud, NULL, "bad tenant id");
        return;
    }
    ov_req *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->cb = cb;
    r->ud = ud;
    hk_pg_op *op = hk_pg_op_new(HK_SQL_OVERVIEW, NULL);
    op->cb = got_rows;
    op->ud = r;
    snprintf(op->tenant, sizeof op->tenant, "%s", tenant);
    hk_pg_op_text(op, 0, tenant);
    bind_time(op, 1, q->from);
    bind_time(op, 2, q->to);
    bind_time(op, 3, q->today_from);
    bind_time(op, 4, q->today_to);
    hk_pg_submit_read(s, op);
}
