/* store/memory_docs: API resources (assistants, ...) in process memory, with
 * the PostgreSQL store's contract (store.h, hk_store_doc_*): tenant-scoped,
 * newest first, times at millisecond precision, updatedAt strictly moving
 * forward on a patch, a deleted resource gone for every read. Answers before
 * the call returns. */
#include "store/memory_docs.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct hk_mem_doc {
    int kind;
    char id[37];
    char *tenant;
    int64_t created_ms, updated_ms;
    cJSON *body; /* without the owned keys */
    hk_mem_doc *next;
};

static cJSON *doc_json(const hk_mem_doc *d) {
    char c[32], u[32];
    hk_store_time_iso((double)d->created_ms / 1000.0, c);
    hk_store_time_iso((double)d->updated_ms / 1000.0, u);
    return hk_store_doc_stamp(d->id, d->tenant, c, u, d->body);
}

static hk_mem_doc **find(hk_store *s, int kind, const char *tenant, const char *id) {
    if (!tenant || !hk_store_is_uuid(id)) return NULL;
    for (hk_mem_doc **pp = hk_store_memory_docs(s); *pp; pp = &(*pp)->next) {
        hk_mem_doc *d = *pp;
        if (d->kind == kind && !strcasecmp(d->id, id) && !strcmp(d->tenant, tenant)) return pp;
    }
    return NULL;
}

void hk_mem_doc_create(hk_store *s, int kind, const char *tenant, const cJSON *body,
                       hk_store_read_cb cb, void *ud) {
    cJSON *copy = hk_store_doc_body(body);
    if (!copy || !tenant || kind < 0 || kind >= HK_DOC_KINDS) {
        cJSON_Delete(copy);
        cb(ud, NULL, "a resource is a JSON object");
        return;
    }
    hk_mem_doc *d = calloc(1, sizeof *d);
    if (!d) abort();
    d->kind = kind;
    hk_store_uuid(d->id);
    d->tenant = strdup(tenant);
    d->created_ms = d->updated_ms = hk_store_now_ms();
    d->body = copy;
    hk_mem_doc **head = hk_store_memory_docs(s);
    d->next = *head;
    *head = d;
    cb(ud, doc_json(d), NULL);
}

void hk_mem_doc_get(hk_store *s, int kind, const char *tenant, const char *id, hk_store_read_cb cb,
                    void *ud) {
    hk_mem_doc **pp = find(s, kind, tenant, id);
    cb(ud, pp ? doc_json(*pp) : NULL, NULL);
}

/* t (ms) against a bound in unix seconds, compared in microseconds like
 * PostgreSQL's timestamps; op: 0 >, 1 <, 2 >=, 3 <= */
static int bound_ok(int64_t t_ms, double bound, int op) {
    if (bound == 0) return 1;
    int64_t a = t_ms * 1000, b = llround(bound * 1e6);
    switch (op) {
    case 0: return a > b;
    case 1: return a < b;
    case 2: return a >= b;
    default: return a <= b;
    }
}

void hk_mem_doc_list(hk_store *s, int kind, const char *tenant, const hk_store_doc_filter *f,
                     hk_store_read_cb cb, void *ud) {
    hk_store_doc_filter none = {0};
    if (!f) f = &none;
    int limit = f->limit <= 0 ? 100 : f->limit > 1000 ? 1000 : f->limit;
    cJSON *arr = cJSON_CreateArray();
    for (hk_mem_doc *d = *hk_store_memory_docs(s); d && limit > 0; d = d->next) {
        if (d->kind != kind || !tenant || strcmp(d->tenant, tenant)) continue;
        if (!bound_ok(d->created_ms, f->created_gt, 0) || !bound_ok(d->created_ms, f->created_lt, 1) ||
            !bound_ok(d->created_ms, f->created_ge, 2) || !bound_ok(d->created_ms, f->created_le, 3) ||
            !bound_ok(d->updated_ms, f->updated_gt, 0) || !bound_ok(d->updated_ms, f->updated_lt, 1) ||
            !bound_ok(d->updated_ms, f->updated_ge, 2) || !bound_ok(d->updated_ms, f->updated_le, 3))
            continue;
        cJSON_AddItemToArray(arr, doc_json(d));
        limit--;
    }
    cb(ud, arr, NULL);
}

void hk_mem_doc_patch(hk_store *s, int kind, const char *tenant, const char *id,
                      const cJSON *patch, hk_store_read_cb cb, void *ud) {
    hk_mem_doc **pp = find(s, kind, tenant, id);
    if (!pp) {
        cb(ud, NULL, NULL);
        return;
    }
    cJSON *changes = hk_store_doc_body(patch);
    if (!changes) {
        cb(ud, NULL, "a patch is a JSON object");
        return;
    }
    hk_mem_doc *d = *pp;
    if (hk_store_doc_merge(d->body, changes) != 0) abort();
    cJSON_Delete(changes);
    int64_t t = hk_store_now_ms();
    d->updated_ms = t > d->updated_ms ? t : d->updated_ms + 1;
    cb(ud, doc_json(d), NULL);
}

void hk_mem_doc_delete(hk_store *s, int kind, const char *tenant, const char *id,
                       hk_store_read_cb cb, void *ud) {
    hk_mem_doc **pp = find(s, kind, tenant, id);
    if (!pp) {
        cb(ud, NULL, NULL);
        return;
    }
    hk_mem_doc *d = *pp;
    *pp = d->next;
    d->next = NULL;
    cJSON *out = doc_json(d);
    hk_mem_docs_free(d);
    cb(ud, out, NULL);
}

void hk_mem_number_find(hk_store *s, const char *number, hk_store_read_cb cb, void *ud) {
    for (hk_mem_doc *d = *hk_store_memory_docs(s); d && number; d = d->next) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(d->body, "number");
        if (d->kind == HK_DOC_PHONE_NUMBER && cJSON_IsString(n) && !strcmp(n->valuestring, number)) {
            cb(ud, doc_json(d), NULL);
            return;
        }
    }
    cb(ud, NULL, NULL);
}

void hk_mem_docs_free(hk_mem_doc *head) {
    while (head) {
        hk_mem_doc *d = head;
        head = d->next;
        cJSON_Delete(d->body);
        free(d->tenant);
        free(d);
    }
}
