/* store/pg_calls: Vapi's /call reads in PostgreSQL (store.h,
 * hk_store_call_query). A list is two statements: the calls (one indexed
 * scan of the tenant's newest, with the filters as NULL-able parameters),
 * then the messages of exactly those calls in one statement, each opened
 * (decrypted) for the asking tenant by pg_read.c and grouped into its call
 * here. PATCH {name} and DELETE name the call by its UUID or its call_sid:
 * the record is read first (so DELETE can answer it as it was, messages and
 * all), then changed by its UUID. Like every API request these run as reads:
 * with the database away the answer is an error at once, never the spool. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/crypto.h"
#include "store/pg_internal.h"
#include "store/search_words.h"

/* what follows the read: nothing (a list), nothing but answering its one
 * call (rename's second read), rename, delete */
enum { AFTER_NONE = 0, AFTER_ONE, AFTER_RENAME, AFTER_DELETE };

typedef struct rec_req {
    hk_store *s;
    hk_store_read_cb cb;
    void *ud;
    char tenant[64];
    cJSON *calls; /* the first statement's rows */
    int after;    /* AFTER_* */
    char *name;
} rec_req;

static hk_pg_op *op_for(int stmt, rec_req *r, hk_store_read_cb done) {
    hk_pg_op *op = hk_pg_op_new(stmt, NULL);
    op->cb = done;
    op->ud = r;
    snprintf(op->tenant, sizeof op->tenant, "%s", r->tenant);
    hk_pg_op_text(op, 0, r->tenant);
    return op;
}

static void finish(rec_req *r, cJSON *result, const char *err) {
    hk_store_read_cb cb = r->cb;
    void *ud = r->ud;
    cJSON_Delete(r->calls);
    free(r->name);
    free(r);
    cb(ud, result, err);
}

static const char *jstr(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static void changed(void *ud, cJSON *result, const char *err);
static rec_req *req_new(hk_store *s, const char *tenant, hk_store_read_cb cb, void *ud);
static void start(rec_req *r, const hk_store_call_query *q);

/* the messages arrived: into their calls, in seq order (the statement's) */
static void got_msgs(void *ud, cJSON *msgs, const char *err) {
    rec_req *r = ud;
    if (err || !cJSON_IsArray(msgs)) {
        cJSON_Delete(msgs);
        finish(r, NULL, err ? err : "no messages result");
        return;
    }
    cJSON *call;
    cJSON_ArrayForEach(call, r->calls) cJSON_AddArrayToObject(call, "messages");
    while (cJSON_GetArraySize(msgs) > 0) {
        cJSON *m = cJSON_DetachItemFromArray(msgs, 0);
        const char *sid = jstr(m, "call_sid");
        cJSON *home = NULL;
        cJSON_ArrayForEach(call, r->calls)
            if (!strcmp(jstr(call, "call_sid"), sid)) home = call;
        if (home) cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(home, "messages"), m);
        else cJSON_Delete(m);
    }
    cJSON_Delete(msgs);
    if (r->after == AFTER_NONE) {
        cJSON *out = r->calls;
        r->calls = NULL;
        finish(r, out, NULL);
        return;
    }
    if (r->after == AFTER_ONE) {
        finish(r, cJSON_DetachItemFromArray(r->calls, 0), NULL);
        return;
    }
    cJSON *one = cJSON_GetArrayItem(r->calls, 0);
    if (!one) {
        finish(r, NULL, NULL); /* not found (or another tenant's) */
        return;
    }
    hk_pg_op *op = op_for(r->after == AFTER_RENAME ? HK_SQL_CALL_RENAME : HK_SQL_CALL_DELETE, r,
                          changed);
    op->single = 1;
    hk_pg_op_text(op, 1, jstr(one, "id"));
    if (r->after == AFTER_RENAME) hk_pg_op_text(op, 2, r->name);
    hk_pg_submit_read(r->s, op);
}

static void got_calls(void *ud, cJSON *calls, const char *err) {
    rec_req *r = ud;
    if (err || !cJSON_IsArray(calls)) {
        cJSON_Delete(calls);
        finish(r, NULL, err ? err : "no calls result");
        return;
    }
    r->calls = calls;
    if (cJSON_GetArraySize(calls) == 0) {
        got_msgs(r, cJSON_CreateArray(), NULL);
        return;
    }
    cJSON *sids = cJSON_CreateArray();
    const cJSON *c;
    cJSON_ArrayForEach(c, calls) cJSON_AddItemToArray(sids, cJSON_CreateString(jstr(c, "call_sid")));
    char *text = cJSON_PrintUnformatted(sids);
    cJSON_Delete(sids);
    if (!text) abort();
    hk_pg_op *op = op_for(HK_SQL_CALL_RECORD_MSGS, r, got_msgs);
    hk_pg_op_text(op, 1, text);
    free(text);
    hk_pg_submit_read(r->s, op);
}

/* renamed: the record again, with its new name and time; deleted: the one
 * read before */
static void changed(void *ud, cJSON *result, const char *err) {
    rec_req *r = ud;
    if (err || !result) {
        cJSON_Delete(result);
        finish(r, NULL, err); /* gone meanwhile: not found */
        return;
    }
    if (r->after == AFTER_DELETE) {
        cJSON_Delete(result);
        cJSON *was = cJSON_DetachItemFromArray(r->calls, 0);
        finish(r, was, NULL);
        return;
    }
    rec_req *again = req_new(r->s, r->tenant, r->cb, r->ud);
    again->after = AFTER_ONE;
    hk_store_call_query q = {.t = {.limit = 1}, .id = jstr(result, "id")};
    start(again, &q);
    cJSON_Delete(result);
    cJSON_Delete(r->calls);
    free(r->name);
    free(r);
}

/* The four bounds of one time column (unix seconds, 0: open), compared at
 * millisecond precision like the served times, as the range [from, before)
 * of the bare column: t > gt is t >= gt + 1 ms, t <= le is t < le + 1 ms.
 * Bound as params i (from) and i + 1 (before), in milliseconds / 1000. */
static void bind_range(hk_pg_op *op, int i, double gt, double lt, double ge, double le) {
    double from = 0, before = 0;
    if (gt > 0) from = floor(gt * 1000.0 + 1e-6) + 1;
    if (ge > 0 && floor(ge * 1000.0 + 1e-6) > from) from = floor(ge * 1000.0 + 1e-6);
    if (lt > 0) before = floor(lt * 1000.0 + 1e-6);
    if (le > 0 && (before == 0 || floor(le * 1000.0 + 1e-6) + 1 < before))
        before = floor(le * 1000.0 + 1e-6) + 1;
    char n[48];
    snprintf(n, sizeof n, "%.3f", from / 1000.0);
    hk_pg_op_text(op, i, from > 0 ? n : NULL);
    snprintf(n, sizeof n, "%.3f", before / 1000.0);
    hk_pg_op_text(op, i + 1, before > 0 ? n : NULL);
}

/* the hashes of the search's words under key kid (search_words.h) as an
 * array literal */
static void bind_words(hk_pg_op *op, int i, const hk_keyring *kr, int kid, const char *tenant,
                       const char *search) {
    int64_t h[HK_SEARCH_QUERY_WORDS];
    int n = hk_search_hashes(kr, kid, tenant, search, h, HK_SEARCH_QUERY_WORDS);
    char *text = hk_search_array_text(h, n);
    if (!text) abort();
    hk_pg_op_text(op, i, text);
    free(text);
}

/* hark's $12..$16: endedReason, duration bounds, the search's words under
 * the newest key and the one before it (or the newest again) */
static void bind_extensions(hk_store *s, hk_pg_op *op, const char *tenant,
                            const hk_store_call_query *q) {
    char n[48];
    hk_pg_op_text(op, 11, q->ended_reason);
    snprintf(n, sizeof n, "%.17g", q->duration_ge);
    hk_pg_op_text(op, 12, q->has_duration_ge ? n : NULL);
    snprintf(n, sizeof n, "%.17g", q->duration_le);
    hk_pg_op_text(op, 13, q->has_duration_le ? n : NULL);
    if (!q->search) return;
    const hk_keyring *kr = hk_pg_keys(s);
    int prev = 0;
    for (int i = 0; i < kr->n; i++)
        if (kr->ids[i] != kr->newest && kr->ids[i] > prev) prev = kr->ids[i];
    bind_words(op, 14, kr, kr->newest, tenant, q->search);
    bind_words(op, 15, kr, prev ? prev : kr->newest, tenant, q->search);
}

/* the first statement of r; answers NULL at once for a malformed tenant */
static void start(rec_req *r, const hk_store_call_query *q) {
    if (!hk_store_is_uuid(r->tenant)) {
        finish(r, NULL, "bad tenant id");
        return;
    }
    hk_pg_op *op = op_for(q->search ? HK_SQL_CALL_SEARCH : HK_SQL_CALL_RECORDS, r, got_calls);
    int uuid = q->id && hk_store_is_uuid(q->id);
    hk_pg_op_text(op, 1, uuid ? q->id : NULL);
    hk_pg_op_text(op, 2, q->id && !uuid ? q->id : NULL);
    const hk_store_doc_filter *t = &q->t;
    bind_range(op, 3, t->created_gt, t->created_lt, t->created_ge, t->created_le);
    bind_range(op, 5, t->updated_gt, t->updated_lt, t->updated_ge, t->updated_le);
    hk_pg_op_text(op, 7, q->agent_id && hk_store_is_uuid(q->agent_id) ? q->agent_id : NULL);
    hk_pg_op_text(op, 8, q->phone_number_id && hk_store_is_uuid(q->phone_number_id)
                             ? q->phone_number_id : NULL);
    hk_pg_op_text(op, 9, q->active_only ? "true" : "false");
    char n[16];
    snprintf(n, sizeof n, "%d", t->limit <= 0 ? 100 : t->limit > 1000 ? 1000 : t->limit);
    hk_pg_op_text(op, 10, n);
    bind_extensions(r->s, op, r->tenant, q);
    hk_pg_submit_read(r->s, op);
}

/* a malformed filter id matches nothing, like another tenant's */
static int impossible(const hk_store_call_query *q) {
    return (q->agent_id && !hk_store_is_uuid(q->agent_id)) ||
           (q->phone_number_id && !hk_store_is_uuid(q->phone_number_id));
}

static rec_req *req_new(hk_store *s, const char *tenant, hk_store_read_cb cb, void *ud) {
    rec_req *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->s = s;
    r->cb = cb;
    r->ud = ud;
    snprintf(r->tenant, sizeof r->tenant, "%s", tenant ? tenant : "");
    return r;
}

void hk_pg_call_records(hk_store *s, const char *tenant, const hk_store_call_query *q,
                        hk_store_read_cb cb, void *ud) {
    if (impossible(q)) {
        cb(ud, cJSON_CreateArray(), NULL);
        return;
    }
    start(req_new(s, tenant, cb, ud), q);
}

void hk_pg_call_rename(hk_store *s, const char *tenant, const char *id, const char *name,
                       hk_store_read_cb cb, void *ud) {
    rec_req *r = req_new(s, tenant, cb, ud);
    r->after = AFTER_RENAME;
    r->name = strdup(name ? name : "");
    if (!r->name) abort();
    hk_store_call_query q = {.t = {.limit = 1}, .id = id};
    start(r, &q);
}

void hk_pg_call_delete(hk_store *s, const char *tenant, const char *id, hk_store_read_cb cb,
                       void *ud) {
    rec_req *r = req_new(s, tenant, cb, ud);
    r->after = AFTER_DELETE;
    hk_store_call_query q = {.t = {.limit = 1}, .id = id};
    start(r, &q);
}
