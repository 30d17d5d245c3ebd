/* api/call: Vapi's /call resource, read side: GET /call (bare array, newest
 * first, limit, createdAt/updatedAt bounds, id/assistantId/phoneNumberId),
 * GET /call/{id} (the call's UUID, or its CallSid), PATCH /call/{id} (only
 * {name}), DELETE /call/{id} (answers the call; its messages go with it), and
 * the seed dashboard's GET /api/v1/voice-agents/calls?tenantId= ({calls,
 * activeCalls}). The store answers call records (store.h,
 * hk_store_call_query), call_json.c shapes them. Every read carries the
 * request's tenant: another tenant's call is a 404, never a 403. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/call.h"

#include "api/api.h"
#include "api/app.h"
#include "cluster/call_limits.h"
#include "store/search_words.h"
#include "store/store.h"

#define NOT_FOUND "Couldn't find the call (no call with this id)"


static int have_store(hk_api_req *r) {
    hk_store *s = r->app->store;
    if (!s) {
        hk_api_reply_error(r, 503, "no store: calls need the database (HARK_STORE)");
        return 0;
    }
    if (!s->v->call_records || !s->v->call_rename || !s->v->call_delete) {
        char why[160];
        snprintf(why, sizeof why, "the %s store does not serve /call yet", s->v->name);
        hk_api_reply_error(r, 501, why);
        return 0;
    }
    return 1;
}

static double now_s(hk_api_req *r) { return ev_now(r->app->loop); }

/* one record -> one call object; NULL result: 404 */
static void answer_one(hk_api_req *r, cJSON *rec, const char *err) {
    if (err) {
        cJSON_Delete(rec);
        hk_api_reply_error(r, 503, "the store is unavailable; try again");
        return;
    }
    /* call_records answers an array; rename and delete an object */
    cJSON *one = cJSON_IsArray(rec) ? cJSON_GetArrayItem(rec, 0) : rec;
    if (!one) {
        cJSON_Delete(rec);
        hk_api_reply_error(r, 404, NOT_FOUND);
        return;
    }
    cJSON *o = hk_call_json(one, r->tenant_id, r->app->cfg, now_s(r));
    cJSON_Delete(rec);
    hk_api_reply_json(r, 200, o);
}

static void got_one(void *ud, cJSON *result, const char *err) { answer_one(ud, result, err); }

static cJSON *map_all(hk_api_req *r, const cJSON *recs) {
    cJSON *out = cJSON_CreateArray();
    const cJSON *it;
    cJSON_ArrayForEach(it, recs)
        cJSON_AddItemToArray(out, hk_call_json(it, r->tenant_id, r->app->cfg, now_s(r)));
    return out;
}

static void listed(void *ud, cJSON *result, const char *err) {
    hk_api_req *r = ud;
    if (err || !cJSON_IsArray(result)) {
        cJSON_Delete(result);
        hk_api_reply_error(r, 503, "the store is unavailable; try again");
        return;
    }
    cJSON *out = map_all(r, result);
    cJSON_Delete(result);
    hk_api_reply_json(r, 200, out);
}

/* The list's query: limit, the eight date bounds, id, assistantId,
 * phoneNumberId. 0, or -1 after answering 400. The strings point into bufs. */
typedef struct query_bufs {
    char id[128], assistant[64], number[64];
} query_bufs;

static int parse_query(hk_api_req *r, hk_store_call_query *q, query_bufs *b) {
    if (hk_api_list_filter(r, &q->t) != 0) return -1;
    int n;
    if (hk_api_query(r, "id", b->id, sizeof b->id) < 0) {
        hk_api_reply_invalid(r, "id must be a call id");
        return -1;
    }
    n = hk_api_query(r, "assistantId", b->assistant, sizeof b->assistant);
    if (n < 0 || (n == 1 && !hk_store_is_uuid(b->assistant))) {
        hk_api_reply_invalid(r, "assistantId must be a UUID");
        return -1;
    }
    n = hk_api_query(r, "phoneNumberId", b->number, sizeof b->number);
    if (n < 0 || (n == 1 && !hk_store_is_uuid(b->number))) {
        hk_api_reply_invalid(r, "phoneNumberId must be a UUID");
        return -1;
    }
    q->id = b->id[0] ? b->id : NULL;
    q->agent_id = b->assistant[0] ? b->assistant : NULL;
    q->phone_number_id = b->number[0] ? b->number : NULL;
    return 0;
}

/* ---- hark's extensions of GET /call (the dashboard's history) ----
 * endedReason (exact), durationGe / durationLe (seconds, inclusive: calls
 * not over have no duration and are left out), q (every word of it in what
 * caller and agent said, the call's transcript; whole words, case-folded:
 * see store/search_words.h; a call is searchable once it has ended). Paging:
 * the list is newest first; the next page is createdAtLt = the last call's
 * createdAt with the same limit (a full page carries every call of its last
 * millisecond: see got_page). 0, or -1 after answering 400. */
typedef struct ext_bufs {
    char reason[128], search[512];
} ext_bufs;

static int parse_seconds(hk_api_req *r, const char *name, int *has, double *out) {
    char v[32], why[96];
    int n = hk_api_query(r, name, v, sizeof v);
    if (n == 0) return 0;
    char *end = NULL;
    double d = n == 1 ? strtod(v, &end) : -1;
    if (n < 0 || !v[0] || *end || !(d >= 0 && d <= 1e9)) {
        snprintf(why, sizeof why, "%s must be a number of seconds, 0 or more", name);
        hk_api_reply_invalid(r, why);
        return -1;
    }
    *has = 1;
    *out = d;
    return 0;
}

static int count_word(void *ud, const char *word) {
    (void)word;
    ++*(int *)ud;
    return 0;
}

static int parse_extensions(hk_api_req *r, hk_store_call_query *q, ext_bufs *e) {
    int n = hk_api_query(r, "endedReason", e->reason, sizeof e->reason);
    if (n < 0 || (n == 1 && !e->reason[0])) {
        hk_api_reply_invalid(r, "endedReason must be an ended reason (at most 127 characters)");
        return -1;
    }
    q->ended_reason = n == 1 ? e->reason : NULL;
    if (parse_seconds(r, "durationGe", &q->has_duration_ge, &q->duration_ge) != 0 ||
        parse_seconds(r, "durationLe", &q->has_duration_le, &q->duration_le) != 0)
        return -1;
    n = hk_api_query(r, "q", e->search, sizeof e->search);
    int words = 0;
    if (n == 1) hk_search_words(e->search, strlen(e->search), count_word, &words);
    if (n < 0 || (n == 1 && (words < 1 || words > HK_SEARCH_QUERY_WORDS))) {
        char why[128];
        snprintf(why, sizeof why, "q must hold 1 to %d words (at most 511 characters)",
                 HK_SEARCH_QUERY_WORDS);
        hk_api_reply_invalid(r, why);
        return -1;
    }
    q->search = n == 1 ? e->search : NULL;
    return 0;
}

/* A full page ends inside its last call's millisecond: the calls of that
 * same millisecond the limit cut off come too (a page can then be longer
 * than limit), so the next page, createdAtLt = that createdAt, neither skips
 * nor repeats a call. The list's query lives here while the store answers. */
typedef struct page_ctx {
    hk_api_req *r;
    hk_store_call_query q;
    query_bufs b;
    ext_bufs e;
    cJSON *page;
} page_ctx;

static void page_done(page_ctx *c, cJSON *result, const char *err) {
    hk_api_req *r = c->r;
    free(c);
    listed(r, result, err);
}

static int has_id(const cJSON *page, const char *id) {
    const cJSON *it;
    cJSON_ArrayForEach(it, page) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, "id");
        if (cJSON_IsString(v) && !strcmp(v->valuestring, id)) return 1;
    }
    return 0;
}

static void got_tail(void *ud, cJSON *tail, const char *err) {
    page_ctx *c = ud;
    cJSON *page = c->page;
    if (err || !cJSON_IsArray(tail)) {
        cJSON_Delete(tail);
        cJSON_Delete(page);
        page_done(c, NULL, err ? err : "no result");
        return;
    }
    while (cJSON_GetArraySize(tail) > 0) {
        cJSON *it = cJSON_DetachItemFromArray(tail, 0);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
        if (cJSON_IsString(id) && !has_id(page, id->valuestring)) cJSON_AddItemToArray(page, it);
        else cJSON_Delete(it);
    }
    cJSON_Delete(tail);
    page_done(c, page, NULL);
}

static void got_page(void *ud, cJSON *page, const char *err) {
    page_ctx *c = ud;
    int limit = c->q.t.limit <= 0 ? 100 : c->q.t.limit; /* the store's default */
    int n = cJSON_IsArray(page) ? cJSON_GetArraySize(page) : 0;
    const cJSON *t = n ? cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(page, n - 1),
                                                          "created_at") : NULL;
    if (err || n < limit || !cJSON_IsNumber(t)) {
        page_done(c, page, err);
        return;
    }
    double ms = floor(t->valuedouble * 1000.0 + 1e-6);
    c->page = page;
    c->q.t.limit = 1000;
    c->q.t.created_gt = c->q.t.created_le = 0;
    c->q.t.created_ge = ms / 1000.0;
    c->q.t.created_lt = (ms + 1) / 1000.0;
    c->r->app->store->v->call_records(c->r->app->store, c->r->tenant_id, &c->q, got_tail, c);
}

void hk_api_call_list(hk_api_req *r) {
    page_ctx *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->r = r;
    if (!have_store(r) || parse_query(r, &c->q, &c->b) != 0 ||
        parse_extensions(r, &c->q, &c->e) != 0) {
        free(c);
        return;
    }
    r->app->store->v->call_records(r->app->store, r->tenant_id, &c->q, got_page, c);
}

void hk_api_call_get(hk_api_req *r) {
    if (!have_store(r)) return;
    hk_store_call_query q = {.t = {.limit = 1}, .id = r->params[0]};
    r->app->store->v->call_records(r->app->store, r->tenant_id, &q, got_one, r);
}

/* Vapi's PATCH /call/{id} takes only name */
void hk_api_call_patch(hk_api_req *r) {
    cJSON *body = hk_api_body_object(r);
    if (!body) return;
    const cJSON *it, *name = NULL;
    cJSON_ArrayForEach(it, body) {
        if (strcmp(it->string, "name") != 0) {
            char why[160];
            snprintf(why, sizeof why, "property %.64s should not exist: a call's only updatable "
                     "field is name", it->string);
            cJSON_Delete(body);
            hk_api_reply_invalid(r, why);
            return;
        }
        name = it;
    }
    if (!name || !cJSON_IsString(name) || strlen(name->valuestring) > 40) {
        cJSON_Delete(body);
        hk_api_reply_invalid(r, "name must be a string of at most 40 characters");
        return;
    }
    if (have_store(r))
        r->app->store->v->call_rename(r->app->store, r->tenant_id, r->params[0], name->valuestring,
                                      got_one, r);
    cJSON_Delete(body);
}

void hk_api_call_delete(hk_api_req *r) {
    if (!have_store(r)) return;
    r->app->store->v->call_delete(r->app->store, r->tenant_id, r->params[0], got_one, r);
}

/* ---- the seed dashboard's GET /api/v1/voice-agents/calls?tenantId= ----
 * {calls, activeCalls}: Vapi's call objects plus the fields the seed's page
 * reads (from, to, startTime, duration). activeCalls are the tenant's calls
 * that are live. With REDIS_URL: the active-call registry of
 * cluster/call_limits (leases held by any worker of any node; a dead node's
 * calls leave with their lease), each shown as its store record. Without
 * Redis: the calls whose status is not "ended" in the store (a node that
 * died mid-call leaves its calls there until something ends them). */
typedef struct seed_ctx {
    hk_api_req *r;
    cJSON *active;
    cJSON *registry; /* cluster/call_limits' live calls [{callSid, agentId, startedAt}], NULL: no Redis */
    int limit;
} seed_ctx;

/* With the Redis registry, the active calls are its live leases (any worker,
 * any node; a dead node's lapse with their lease): each is its store record
 * when one exists, else what the registry knows. Takes store_active. */
static cJSON *active_from_registry(hk_api_req *r, const cJSON *registry, cJSON *store_active) {
    cJSON *out = cJSON_CreateArray();
    const cJSON *e;
    cJSON_ArrayForEach(e, registry) {
        const char *sid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "callSid"));
        const char *agent = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "agentId"));
        const cJSON *at = cJSON_GetObjectItemCaseSensitive(e, "startedAt");
        if (!sid) continue;
        cJSON *found = NULL;
        int i = 0;
        cJSON *rec;
        cJSON_ArrayForEach(rec, store_active) {
            const char *p = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "phoneCallProviderId"));
            if (p && strcmp(p, sid) == 0) {
                found = cJSON_DetachItemFromArray(store_active, i);
                break;
            }
            i++;
        }
        if (!found) {
            found = cJSON_CreateObject();
            cJSON_AddNullToObject(found, "id");
            cJSON_AddStringToObject(found, "orgId", r->tenant_id);
            cJSON_AddStringToObject(found, "status", "in-progress");
            cJSON_AddStringToObject(found, "phoneCallProviderId", sid);
            if (agent) cJSON_AddStringToObject(found, "assistantId", agent);
            char iso[32];
            hk_store_time_iso(cJSON_IsNumber(at) ? at->valuedouble / 1000.0 : 0, iso);
            cJSON_AddStringToObject(found, "startedAt", iso);
            cJSON_AddStringToObject(found, "startTime", iso);
        }
        cJSON_AddItemToArray(out, found);
    }
    cJSON_Delete(store_active);
    return out;
}

static cJSON *seed_calls(hk_api_req *r, const cJSON *recs) {
    cJSON *out = map_all(r, recs);
    const cJSON *rec;
    int i = 0;
    cJSON_ArrayForEach(rec, recs) {
        cJSON *o = cJSON_GetArrayItem(out, i++);
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(rec, "from_number");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(rec, "to_number");
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(rec, "duration_s");
        cJSON_AddItemToObject(o, "from", f ? cJSON_Duplicate(f, 0) : cJSON_CreateNull());
        cJSON_AddItemToObject(o, "to", t ? cJSON_Duplicate(t, 0) : cJSON_CreateNull());
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "startedAt");
        cJSON_AddItemToObject(o, "startTime", st ? cJSON_Duplicate(st, 0) : cJSON_CreateNull());
        if (cJSON_IsNumber(d) && d->valuedouble > 0) cJSON_AddNumberToObject(o, "duration", d->valuedouble);
        else cJSON_AddNullToObject(o, "duration");
    }
    return out;
}

static void seed_all(void *ud, cJSON *result, const char *err) {
    seed_ctx *c = ud;
    hk_api_req *r = c->r;
    if (err || !cJSON_IsArray(result)) {
        cJSON_Delete(result);
        cJSON_Delete(c->active);
        free(c);
        hk_api_reply_error(r, 503, "the store is unavailable; try again");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "calls", seed_calls(r, result));
    cJSON_AddItemToObject(o, "activeCalls", c->active);
    cJSON_Delete(result);
    free(c);
    hk_api_reply_json(r, 200, o);
}

static void seed_active(void *ud, cJSON *result, const char *err) {
    seed_ctx *c = ud;
    hk_api_req *r = c->r;
    if (err || !cJSON_IsArray(result)) {
        cJSON_Delete(result);
        cJSON_Delete(c->registry);
        free(c);
        hk_api_reply_error(r, 503, "the store is unavailable; try again");
        return;
    }
    c->active = seed_calls(r, result);
    cJSON_Delete(result);
    if (c->registry) {
        c->active = active_from_registry(r, c->registry, c->active);
        cJSON_Delete(c->registry);
        c->registry = NULL;
    }
    hk_store_call_query q = {.t = {.limit = c->limit}};
    r->app->store->v->call_records(r->app->store, r->tenant_id, &q, seed_all, c);
}

/* The registry's answer (NULL without Redis: the store's "active" records
 * alone, which a dead node leaves behind), then the store's. */
static void seed_registry(void *ud, const char *json, const char *err) {
    seed_ctx *c = ud;
    hk_api_req *r = c->r;
    (void)err;
    c->registry = json ? cJSON_Parse(json) : NULL;
    if (c->registry && !cJSON_IsArray(c->registry)) {
        cJSON_Delete(c->registry);
        c->registry = NULL;
    }
    hk_store_call_query q = {.t = {.limit = 1000}, .active_only = 1};
    r->app->store->v->call_records(r->app->store, r->tenant_id, &q, seed_active, c);
}

void hk_api_voice_agent_calls(hk_api_req *r) {
    char tenant[64], v[16];
    int n = hk_api_query(r, "tenantId", tenant, sizeof tenant);
    if (n != 1) {
        hk_api_reply_invalid(r, "tenantId is required");
        return;
    }
    /* another tenant's calls do not exist for this credential */
    if (strcasecmp(tenant, r->tenant_id) != 0) {
        hk_api_reply_error(r, 404, "Couldn't find the tenant");
        return;
    }
    int limit = 100;
    if (hk_api_query(r, "limit", v, sizeof v) == 1) {
        char *end;
        long l = strtol(v, &end, 10);
        if (*end || !v[0] || l < 1 || l > 1000) {
            hk_api_reply_invalid(r, "limit must be a number from 1 to 1000");
            return;
        }
        limit = (int)l;
    }
    if (!have_store(r)) return;
    seed_ctx *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->r = r;
    c->limit = limit;
    hk_call_limits_active(r->tenant_id, seed_registry, c);
}
