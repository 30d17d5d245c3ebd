/* api/overview: the dashboard's GET /api/v1/overview?from=&to= for the
 * request's tenant: {from, to, callsToday, callsInRange, agents:
 * [{assistantId, name, calls, p50VoiceToVoiceMs, p95VoiceToVoiceMs}], errors,
 * fallbacks, endedReasons: {reason: count}}.
 *   from, to: ISO-8601 dates or date-times (UTC unless an offset says
 *     otherwise); a bare date as `to` includes that whole day. Default: today
 *     (UTC). At most 366 days.
 *   callsToday / callsInRange: calls created today (UTC) / in [from, to).
 *   voice-to-voice: per turn, the first audio frame out minus the end of the
 *     caller's speech (the turn's latency marks stored with its message, as
 *     GET /call/{id}'s metadata.hark.turns shows them); percentiles like
 *     PostgreSQL's percentile_cont, computed by the store (store.h,
 *     hk_store_overview_query); null for an agent without measured turns.
 *   errors: calls in range whose endedReason names an error or a failure.
 *   fallbacks: this worker's provider fallbacks and LLM retries since it
 *     started (the counters of /metrics; process-wide, not per tenant).
 * Names come from the tenant's API assistants, its agents rows and the file
 * agents (default tenant); an agent without one is named by its id. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/overview.h"

#include "agent/agent.h"
#include "agent/agent_dir.h"
#include "agent/call.h"
#include "api/app.h"
#include "core/metrics.h"
#include "store/store.h"

#define DAY 86400.0
#define MAX_RANGE_DAYS 366

typedef struct ov_ctx {
    hk_api_req *r;
    cJSON *stats;  /* the store's answer */
    cJSON *names;  /* {id: name} */
    double from, to;
} ov_ctx;


static void ctx_free(ov_ctx *c) {
    cJSON_Delete(c->stats);
    cJSON_Delete(c->names);
    free(c);
}

/* a counter of /metrics by name, from its text form (this worker's) */
static double metric(const char *text, const char *name) {
    size_t n = strlen(name);
    for (const char *p = text; (p = strstr(p, name)); p += n)
        if ((p == text || p[-1] == '\n') && p[n] == ' ') return strtod(p + n + 1, NULL);
    return 0;
}

static double fallbacks(void) {
    size_t cap = 32768;
    char *text = malloc(cap);
    if (!text) abort();
    hk_metrics_render(text, cap);
    double f = metric(text, "hark_provider_fallbacks_total") + metric(text, "hark_llm_retries_total");
    free(text);
    return f;
}

static double num(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static cJSON *num_or_null(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? cJSON_CreateNumber(round(v->valuedouble * 10) / 10) : cJSON_CreateNull();
}

static void add_name(cJSON *names, const char *id, const char *name) {
    if (id && name && name[0] && !cJSON_GetObjectItemCaseSensitive(names, id))
        cJSON_AddStringToObject(names, id, name);
}

static void answer(ov_ctx *c) {
    hk_api_req *r = c->r;
    cJSON *o = cJSON_CreateObject();
    char iso[32];
    hk_store_time_iso(c->from, iso);
    cJSON_AddStringToObject(o, "from", iso);
    hk_store_time_iso(c->to, iso);
    cJSON_AddStringToObject(o, "to", iso);
    cJSON_AddNumberToObject(o, "callsToday", num(c->stats, "calls_today"));
    cJSON_AddNumberToObject(o, "callsInRange", num(c->stats, "calls_in_range"));
    cJSON *agents = cJSON_AddArrayToObject(o, "agents");
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(c->stats, "agents")) {
        cJSON *e = cJSON_CreateObject();
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(a, "agent_id");
        const char *ids = cJSON_IsString(id) ? id->valuestring : NULL;
        const cJSON *name = ids ? cJSON_GetObjectItemCaseSensitive(c->names, ids) : NULL;
        if (ids) cJSON_AddStringToObject(e, "assistantId", ids);
        else cJSON_AddNullToObject(e, "assistantId");
        if (cJSON_IsString(name)) cJSON_AddStringToObject(e, "name", name->valuestring);
        else if (ids) cJSON_AddStringToObject(e, "name", ids);
        else cJSON_AddNullToObject(e, "name");
        cJSON_AddNumberToObject(e, "calls", num(a, "calls"));
        cJSON_AddItemToObject(e, "p50VoiceToVoiceMs", num_or_null(a, "p50_ms"));
        cJSON_AddItemToObject(e, "p95VoiceToVoiceMs", num_or_null(a, "p95_ms"));
        cJSON_AddItemToArray(agents, e);
    }
    cJSON_AddNumberToObject(o, "errors", num(c->stats, "errors"));
    cJSON_AddNumberToObject(o, "fallbacks", fallbacks());
    cJSON *reasons = cJSON_GetObjectItemCaseSensitive(c->stats, "ended_reasons");
    cJSON_AddItemToObject(o, "endedReasons",
                          cJSON_IsObject(reasons) ? cJSON_Duplicate(reasons, 1) : cJSON_CreateObject());
    ctx_free(c);
    hk_api_reply_json(r, 200, o);
}

/* the agents rows (PostgreSQL's agents table; the memory store has none) */
static void got_agents(void *ud, cJSON *rows, const char *err) {
    ov_ctx *c = ud;
    const cJSON *row;
    if (!err)
        cJSON_ArrayForEach(row, rows) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(row, "id");
            const cJSON *nm = cJSON_GetObjectItemCaseSensitive(row, "name");
            if (cJSON_IsString(id) && cJSON_IsString(nm)) add_name(c->names, id->valuestring, nm->valuestring);
        }
    cJSON_Delete(rows);
    /* file agents belong to the default tenant */
    if (!strcmp(c->r->tenant_id, HK_DEFAULT_TENANT) && c->r->app->agents)
        for (int i = 0;; i++) {
            const hk_agent *a = hk_agent_dir_at(c->r->app->agents, i);
            if (!a) break;
            add_name(c->names, a->id, a->name);
        }
    answer(c);
}

static void got_assistants(void *ud, cJSON *docs, const char *err) {
    ov_ctx *c = ud;
    const cJSON *d;
    if (!err)
        cJSON_ArrayForEach(d, docs) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(d, "id");
            const cJSON *nm = cJSON_GetObjectItemCaseSensitive(d, "name");
            if (cJSON_IsString(id) && cJSON_IsString(nm)) add_name(c->names, id->valuestring, nm->valuestring);
        }
    cJSON_Delete(docs);
    hk_store *s = c->r->app->store;
    if (s->v->agents_list) s->v->agents_list(s, c->r->tenant_id, got_agents, c);
    else got_agents(c, NULL, NULL);
}

static void got_stats(void *ud, cJSON *stats, const char *err) {
    ov_ctx *c = ud;
    if (err || !cJSON_IsObject(stats)) {
        cJSON_Delete(stats);
        hk_api_req *r = c->r;
        ctx_free(c);
        hk_api_reply_error(r, 503, "the store is unavailable; try again");
        return;
    }
    c->stats = stats;
    hk_store *s = c->r->app->store;
    hk_store_doc_filter f = {.limit = 1000};
    if (s->v->doc_list) s->v->doc_list(s, HK_DOC_ASSISTANT, c->r->tenant_id, &f, got_assistants, c);
    else got_assistants(c, NULL, NULL);
}

/* one bound: 1 given (t set), 0 absent, -1 answered 400 */
static int parse_bound(hk_api_req *r, const char *name, int is_to, double *t) {
    char v[64], why[128];
    int n = hk_api_query(r, name, v, sizeof v);
    if (n == 0) return 0;
    if (n < 0 || hk_store_time_parse(v, t) != 0 || *t <= 0) {
        snprintf(why, sizeof why, "%s must be an ISO-8601 date or date-time", name);
        hk_api_reply_invalid(r, why);
        return -1;
    }
    if (is_to && !strchr(v, 'T')) *t += DAY; /* a bare date: through its end */
    return 1;
}

void hk_api_overview(hk_api_req *r) {
    hk_store *s = r->app->store;
    if (!s) {
        hk_api_reply_error(r, 503, "no store: the overview needs the database (HARK_STORE)");
        return;
    }
    if (!s->v->overview) {
        char why[160];
        snprintf(why, sizeof why, "the %s store does not serve the overview yet", s->v->name);
        hk_api_reply_error(r, 501, why);
        return;
    }
    double now = ev_now(r->app->loop);
    double today = floor(now / DAY) * DAY;
    double from = today, to = today + DAY;
    int hf = parse_bound(r, "from", 0, &from);
    if (hf < 0) return;
    int ht = parse_bound(r, "to", 1, &to);
    if (ht < 0) return;
    if (hf && !ht) to = from < today + DAY ? today + DAY : from + DAY; /* through today */
    if (!hf && ht) from = to - DAY;
    if (to <= from || to - from > MAX_RANGE_DAYS * DAY) {
        hk_api_reply_invalid(r, "from must come before to, at most 366 days apart");
        return;
    }
    ov_ctx *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->r = r;
    c->names = cJSON_CreateObject();
    c->from = from;
    c->to = to;
    hk_store_overview_query q = {.from = from, .to = to, .today_from = today, .today_to = today + DAY};
    s->v->overview(s, r->tenant_id, &q, got_stats, c);
}
