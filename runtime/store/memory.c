/* store/memory: the store for tests and `hark call`: calls and messages in
 * process memory, same contract as PostgreSQL (tenant-scoped reads, idempotent
 * message ids, ordered messages), reads answered before the call returns.
 * Nothing is encrypted: nothing is at rest. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/memory_docs.h"
#include "store/memory_org.h"
#include "store/store.h"
#include "store/memory_auth.h"
#include "store/search_words.h"

typedef struct mem_msg {
    char id[37];
    int seq;
    char *role, *content, *tool_calls, *tool_results;
    double ts, confidence, marks[5];
    int is_partial;
    struct mem_msg *next;
} mem_msg;

typedef struct mem_call {
    char id[37]; /* the call's UUID (Vapi's id); sid is the carrier's */
    char *name;  /* PATCH /call/{id} */
    double created, updated;
    char *sid, *tenant, *agent, *from, *to, *status, *ended_reason, *transcript, *recording_url,
        *recording_sid, *latency;
    int inbound;
    double start, end, duration;
    long llm_prompt_tokens, llm_completion_tokens;
    mem_msg *msgs;
    struct mem_call *next;
} mem_call;

typedef struct mem_store {
    hk_store base;
    mem_call *calls; /* newest first */
    hk_mem_doc *docs; /* API resources (memory_docs.c), newest first */
    hk_mem_org *orgs; /* the tenants' org settings (memory_org.c) */
} mem_store;

hk_mem_doc **hk_store_memory_docs(hk_store *s) { return &((mem_store *)s)->docs; }
hk_mem_org **hk_store_memory_orgs(hk_store *s) { return &((mem_store *)s)->orgs; }

static char *dup0(const char *s) { return s ? strdup(s) : NULL; }
static void set(char **dst, const char *s) { free(*dst); *dst = dup0(s); }

static mem_call *find(mem_store *m, const char *tenant, const char *sid) {
    for (mem_call *c = m->calls; c; c = c->next)
        if (!strcmp(c->sid, sid) && (!tenant || !strcmp(c->tenant, tenant))) return c;
    return NULL;
}

static int mem_call_create(hk_store *s, const hk_store_call *in) {
    mem_store *m = (mem_store *)s;
    if (!in->call_sid || !in->tenant_id || !in->from || !in->to) return -1;
    if (find(m, NULL, in->call_sid)) return 0; /* idempotent, like ON CONFLICT DO NOTHING */
    mem_call *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->sid = strdup(in->call_sid);
    c->tenant = strdup(in->tenant_id);
    c->agent = dup0(in->agent_id);
    c->from = strdup(in->from);
    c->to = strdup(in->to);
    c->status = strdup(in->status ? in->status : "in-progress");
    c->inbound = in->inbound;
    c->start = in->start_time > 0 ? in->start_time : hk_store_now_s();
    hk_store_uuid(c->id);
    c->created = c->updated = hk_store_now_s();
    c->next = m->calls;
    m->calls = c;
    return 0;
}

static int mem_call_status(hk_store *s, const char *tenant, const char *sid, const char *status) {
    mem_call *c = find((mem_store *)s, tenant, sid);
    if (!c || !status) return -1;
    set(&c->status, status);
    c->updated = hk_store_now_s();
    return 0;
}

static int mem_message_add(hk_store *s, hk_store_message *in) {
    mem_call *c = find((mem_store *)s, in->tenant_id, in->call_sid);
    if (!c || !in->role || !in->content) return -1;
    if (!in->id[0]) hk_store_uuid(in->id);
    mem_msg **pp = &c->msgs;
    for (; *pp; pp = &(*pp)->next) {
        if (!strcmp((*pp)->id, in->id) || (*pp)->seq == in->seq) return 0; /* already there */
        if ((*pp)->seq > in->seq) break;
    }
    mem_msg *g = calloc(1, sizeof *g);
    if (!g) abort();
    memcpy(g->id, in->id, sizeof g->id);
    g->seq = in->seq;
    g->role = strdup(in->role);
    g->content = strdup(in->content);
    g->tool_calls = dup0(in->tool_calls_json);
    g->tool_results = dup0(in->tool_results_json);
    g->ts = in->ts > 0 ? in->ts : hk_store_now_s();
    g->confidence = in->confidence;
    g->is_partial = in->is_partial;
    double mk[5] = {in->user_end_ms, in->stt_final_ms, in->llm_first_token_ms,
                    in->tts_first_audio_ms, in->first_frame_ms};
    memcpy(g->marks, mk, sizeof mk);
    g->next = *pp;
    *pp = g;
    return 0;
}

static int mem_call_recording(hk_store *s, const char *tenant, const char *sid, const char *url) {
    mem_call *c = find((mem_store *)s, tenant, sid);
    if (!c || !url) return -1;
    set(&c->recording_url, url);
    c->updated = hk_store_now_s();
    return 0;
}

static int mem_call_end(hk_store *s, const hk_store_call_summary *e) {
    mem_call *c = find((mem_store *)s, e->tenant_id, e->call_sid);
    if (!c) return -1;
    set(&c->status, "ended");
    set(&c->ended_reason, e->ended_reason);
    set(&c->transcript, e->transcript);
    set(&c->recording_url, e->recording_url);
    set(&c->recording_sid, e->recording_sid);
    set(&c->latency, e->latency_json);
    if (e->llm_prompt_tokens >= 0) c->llm_prompt_tokens = e->llm_prompt_tokens;
    if (e->llm_completion_tokens >= 0) c->llm_completion_tokens = e->llm_completion_tokens;
    c->end = e->end_time > 0 ? e->end_time : hk_store_now_s();
    c->duration = e->duration_s;
    c->updated = hk_store_now_s();
    return 0;
}

static void add_str(cJSON *o, const char *k, const char *v) {
    if (v) cJSON_AddStringToObject(o, k, v);
    else cJSON_AddNullToObject(o, k);
}

static cJSON *call_json(const mem_call *c, int full) {
    cJSON *o = cJSON_CreateObject();
    add_str(o, "call_sid", c->sid);
    add_str(o, "agent_id", c->agent);
    add_str(o, "from_number", c->from);
    add_str(o, "to_number", c->to);
    cJSON_AddBoolToObject(o, "inbound", c->inbound);
    add_str(o, "status", c->status);
    cJSON_AddNumberToObject(o, "start_time", c->start);
    if (c->end > 0) cJSON_AddNumberToObject(o, "end_time", c->end);
    else cJSON_AddNullToObject(o, "end_time");
    cJSON_AddNumberToObject(o, "duration_s", c->duration);
    add_str(o, "ended_reason", c->ended_reason);
    add_str(o, "recording_url", c->recording_url);
    add_str(o, "recording_sid", c->recording_sid);
    cJSON *lat = c->latency ? cJSON_Parse(c->latency) : NULL;
    if (lat) cJSON_AddItemToObject(o, "latency", lat);
    else cJSON_AddNullToObject(o, "latency");
    cJSON_AddNumberToObject(o, "llm_prompt_tokens", (double)c->llm_prompt_tokens);
    cJSON_AddNumberToObject(o, "llm_completion_tokens", (double)c->llm_completion_tokens);
    if (full) add_str(o, "transcript", c->transcript);
    return o;
}

static void mem_calls_list(hk_store *s, const char *tenant, const hk_store_filter *f,
                           hk_store_read_cb cb, void *ud) {
    hk_store_filter none = {0};
    if (!f) f = &none;
    int limit = f->limit <= 0 ? 50 : f->limit > 500 ? 500 : f->limit, skip = f->offset;
    cJSON *arr = cJSON_CreateArray();
    for (mem_call *c = ((mem_store *)s)->calls; c && limit > 0; c = c->next) {
        if (!tenant || strcmp(c->tenant, tenant)) continue;
        if (f->agent_id && (!c->agent || strcmp(c->agent, f->agent_id))) continue;
        if (f->number && strcmp(c->from, f->number) && strcmp(c->to, f->number)) continue;
        if (f->since > 0 && c->start < f->since) continue;
        if (f->until > 0 && c->start >= f->until) continue;
        if (f->status && strcmp(c->status, f->status)) continue;
        if (skip > 0) { skip--; continue; }
        cJSON_AddItemToArray(arr, call_json(c, 0));
        limit--;
    }
    cb(ud, arr, NULL);
}

static void mem_call_get(hk_store *s, const char *tenant, const char *sid, hk_store_read_cb cb,
                         void *ud) {
    mem_call *c = tenant && sid ? find((mem_store *)s, tenant, sid) : NULL;
    cb(ud, c ? call_json(c, 1) : NULL, NULL);
}

static cJSON *msg_json(const mem_call *c, const mem_msg *g, int with_results) {
    static const char *marks[5] = {"user_end_ms", "stt_final_ms", "llm_first_token_ms",
                                   "tts_first_audio_ms", "first_frame_ms"};
    cJSON *o = cJSON_CreateObject();
    {
        add_str(o, "id", g->id);
        add_str(o, "call_sid", c->sid);
        cJSON_AddNumberToObject(o, "seq", g->seq);
        add_str(o, "role", g->role);
        add_str(o, "content", g->content);
        cJSON_AddNumberToObject(o, "ts", g->ts);
        cJSON_AddBoolToObject(o, "is_partial", g->is_partial);
        for (int i = 0; i < 5; i++) {
            if (g->marks[i] >= 0) cJSON_AddNumberToObject(o, marks[i], g->marks[i]);
            else cJSON_AddNullToObject(o, marks[i]);
        }
        cJSON *tc = g->tool_calls ? cJSON_Parse(g->tool_calls) : NULL;
        if (tc) cJSON_AddItemToObject(o, "tool_calls", tc);
        cJSON *tr = with_results && g->tool_results ? cJSON_Parse(g->tool_results) : NULL;
        if (tr) cJSON_AddItemToObject(o, "tool_results", tr);
    }
    return o;
}

static void mem_messages_list(hk_store *s, const char *tenant, const char *sid,
                              hk_store_read_cb cb, void *ud) {
    mem_call *c = tenant && sid ? find((mem_store *)s, tenant, sid) : NULL;
    cJSON *arr = cJSON_CreateArray();
    for (mem_msg *g = c ? c->msgs : NULL; g; g = g->next)
        cJSON_AddItemToArray(arr, msg_json(c, g, 0));
    cb(ud, arr, NULL);
}

/* ---- Vapi's /call reads (store.h: hk_store_call_query) ---- */

static cJSON *record_json(const mem_call *c) {
    cJSON *o = call_json(c, 1);
    cJSON_AddStringToObject(o, "id", c->id);
    add_str(o, "name", c->name);
    cJSON_AddNumberToObject(o, "created_at", c->created);
    cJSON_AddNumberToObject(o, "updated_at", c->updated);
    cJSON *msgs = cJSON_AddArrayToObject(o, "messages");
    for (const mem_msg *g = c->msgs; g; g = g->next) cJSON_AddItemToArray(msgs, msg_json(c, g, 1));
    return o;
}

/* t against the bounds, at millisecond precision like PostgreSQL */
static int in_bounds(double t, double gt, double lt, double ge, double le) {
    double ms = floor(t * 1000.0 + 1e-6);
    if (gt > 0 && !(ms > floor(gt * 1000.0 + 1e-6))) return 0;
    if (lt > 0 && !(ms < floor(lt * 1000.0 + 1e-6))) return 0;
    if (ge > 0 && !(ms >= floor(ge * 1000.0 + 1e-6))) return 0;
    if (le > 0 && !(ms <= floor(le * 1000.0 + 1e-6))) return 0;
    return 1;
}

/* over: hark's "ended" or one of Twilio's final statuses */
static int is_over(const char *status) {
    static const char *over[] = {"ended", "completed", "busy", "no-answer", "failed", "canceled"};
    for (size_t i = 0; i < sizeof over / sizeof *over; i++)
        if (!strcmp(status, over[i])) return 1;
    return 0;
}

/* hark's extensions: endedReason, duration bounds, words (search_words.h) of
 * the transcript (a call is searchable once it has ended) */
static int matches_extra(const mem_call *c, const hk_store_call_query *q) {
    if (q->ended_reason && (!c->ended_reason || strcmp(c->ended_reason, q->ended_reason))) return 0;
    int over = c->end > 0;
    if (q->has_duration_ge && (!over || c->duration < q->duration_ge)) return 0;
    if (q->has_duration_le && (!over || c->duration > q->duration_le)) return 0;
    /* the ended call's transcript, like PostgreSQL's index of it */
    if (!q->search) return 1;
    const char *texts[1] = {c->transcript};
    return c->transcript && hk_search_match(q->search, texts, 1);
}

/* number: the phone number q->phone_number_id names (NULL: no such number) */
static int matches(const mem_call *c, const char *tenant, const hk_store_call_query *q,
                   const char *number) {
    if (!tenant || strcmp(c->tenant, tenant)) return 0;
    if (q->id && strcasecmp(c->id, q->id) && strcmp(c->sid, q->id)) return 0;
    if (q->agent_id && (!c->agent || strcasecmp(c->agent, q->agent_id))) return 0;
    /* the hark number: the one called (inbound) or calling (outbound) */
    if (q->phone_number_id && (!number || strcmp(c->inbound ? c->to : c->from, number))) return 0;
    if (q->active_only && is_over(c->status)) return 0;
    if (!matches_extra(c, q)) return 0;
    const hk_store_doc_filter *t = &q->t;
    return in_bounds(c->created, t->created_gt, t->created_lt, t->created_ge, t->created_le) &&
           in_bounds(c->updated, t->updated_gt, t->updated_lt, t->updated_ge, t->updated_le);
}

static void got_number(void *ud, cJSON *doc, const char *err) {
    (void)err;
    *(cJSON **)ud = doc;
}

static void mem_call_records(hk_store *s, const char *tenant, const hk_store_call_query *q,
                             hk_store_read_cb cb, void *ud) {
    int limit = q->t.limit <= 0 ? 100 : q->t.limit > 1000 ? 1000 : q->t.limit;
    cJSON *doc = NULL; /* the tenant's phone-number document (memory_docs.c answers at once) */
    if (q->phone_number_id)
        hk_mem_doc_get(s, HK_DOC_PHONE_NUMBER, tenant, q->phone_number_id, got_number, &doc);
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(doc, "number");
    const char *number = cJSON_IsString(n) ? n->valuestring : NULL;
    cJSON *arr = cJSON_CreateArray();
    for (mem_call *c = ((mem_store *)s)->calls; c && limit > 0; c = c->next) {
        if (!matches(c, tenant, q, number)) continue;
        cJSON_AddItemToArray(arr, record_json(c));
        limit--;
    }
    cJSON_Delete(doc);
    cb(ud, arr, NULL);
}

static mem_call **find_id(mem_store *m, const char *tenant, const char *id) {
    hk_store_call_query q = {.id = id};
    for (mem_call **pp = &m->calls; *pp; pp = &(*pp)->next)
        if (id && matches(*pp, tenant, &q, NULL)) return pp;
    return NULL;
}

static void mem_call_rename(hk_store *s, const char *tenant, const char *id, const char *name,
                            hk_store_read_cb cb, void *ud) {
    mem_call **pp = find_id((mem_store *)s, tenant, id);
    if (pp) {
        set(&(*pp)->name, name);
        double t = hk_store_now_s();
        (*pp)->updated = t > (*pp)->updated ? t : (*pp)->updated + 0.001;
    }
    cb(ud, pp ? record_json(*pp) : NULL, NULL);
}

static void call_free(mem_call *c);

static void mem_call_delete(hk_store *s, const char *tenant, const char *id, hk_store_read_cb cb,
                            void *ud) {
    mem_call **pp = find_id((mem_store *)s, tenant, id);
    cJSON *was = NULL;
    if (pp) {
        mem_call *c = *pp;
        was = record_json(c);
        *pp = c->next;
        call_free(c);
    }
    cb(ud, was, NULL);
}

/* Agents and numbers are configuration in the memory store's world (agent
 * files): it has none to list. */
/* ---- GET /api/v1/overview (store.h, hk_store_overview_query) ---- */

static int cmp_num(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* PostgreSQL's percentile_cont: linear between the two nearest ranks */
static double percentile_cont(const double *v, int n, double p) {
    double pos = p * (n - 1);
    int lo = (int)floor(pos);
    if (lo >= n - 1) return v[n - 1];
    return v[lo] + (pos - lo) * (v[lo + 1] - v[lo]);
}

static int is_error_reason(const char *r) {
    return r && (strcasestr(r, "error") || strcasestr(r, "fail"));
}

static int same_agent(const char *a, const char *b) {
    return (!a && !b) || (a && b && !strcasecmp(a, b));
}

/* one agent's entry: its calls in range and the voice-to-voice of their turns */
static cJSON *agent_overview(const mem_store *m, const char *tenant, const char *agent,
                             const hk_store_overview_query *q) {
    int calls = 0, n = 0, cap = 64;
    double *v = malloc((size_t)cap * sizeof *v);
    if (!v) abort();
    for (const mem_call *c = m->calls; c; c = c->next) {
        if (strcmp(c->tenant, tenant) || !same_agent(c->agent, agent)) continue;
        if (c->created < q->from || c->created >= q->to) continue;
        calls++;
        for (const mem_msg *g = c->msgs; g; g = g->next) {
            double d = g->marks[4] - g->marks[0]; /* first frame out - end of speech */
            if (g->marks[0] < 0 || g->marks[4] < 0 || d < 0) continue;
            if (n == cap && !(v = realloc(v, (size_t)(cap *= 2) * sizeof *v))) abort();
            v[n++] = d;
        }
    }
    cJSON *o = cJSON_CreateObject();
    if (agent) cJSON_AddStringToObject(o, "agent_id", agent);
    else cJSON_AddNullToObject(o, "agent_id");
    cJSON_AddNumberToObject(o, "calls", calls);
    qsort(v, (size_t)n, sizeof *v, cmp_num);
    if (n) {
        cJSON_AddNumberToObject(o, "p50_ms", percentile_cont(v, n, 0.5));
        cJSON_AddNumberToObject(o, "p95_ms", percentile_cont(v, n, 0.95));
    } else {
        cJSON_AddNullToObject(o, "p50_ms");
        cJSON_AddNullToObject(o, "p95_ms");
    }
    free(v);
    return o;
}

static void mem_overview(hk_store *s, const char *tenant, const hk_store_overview_query *q,
                         hk_store_read_cb cb, void *ud) {
    const mem_store *m = (const mem_store *)s;
    if (!tenant) {
        cb(ud, NULL, "no tenant");
        return;
    }
    int today = 0, range = 0, errors = 0;
    cJSON *o = cJSON_CreateObject(), *reasons = cJSON_CreateObject(), *agents = cJSON_CreateArray();
    for (const mem_call *c = m->calls; c; c = c->next) {
        if (strcmp(c->tenant, tenant)) continue;
        if (c->created >= q->today_from && c->created < q->today_to) today++;
        if (c->created < q->from || c->created >= q->to) continue;
        range++;
        if (is_error_reason(c->ended_reason)) errors++;
        if (c->ended_reason) {
            cJSON *r = cJSON_GetObjectItemCaseSensitive(reasons, c->ended_reason);
            if (r) cJSON_SetNumberValue(r, r->valuedouble + 1);
            else cJSON_AddNumberToObject(reasons, c->ended_reason, 1);
        }
        /* the first call of each agent in range makes its entry */
        int seen = 0;
        for (const mem_call *d = m->calls; d != c && !seen; d = d->next)
            seen = !strcmp(d->tenant, tenant) && d->created >= q->from && d->created < q->to &&
                   same_agent(d->agent, c->agent);
        if (!seen) cJSON_AddItemToArray(agents, agent_overview(m, tenant, c->agent, q));
    }
    cJSON_AddNumberToObject(o, "calls_today", today);
    cJSON_AddNumberToObject(o, "calls_in_range", range);
    cJSON_AddNumberToObject(o, "errors", errors);
    cJSON_AddItemToObject(o, "ended_reasons", reasons);
    cJSON_AddItemToObject(o, "agents", agents);
    cb(ud, o, NULL);
}

static void mem_empty(hk_store *s, const char *tenant, hk_store_read_cb cb, void *ud) {
    (void)s, (void)tenant;
    cb(ud, cJSON_CreateArray(), NULL);
}

static int mem_pending(hk_store *s) {
    (void)s;
    return 0;
}

static void call_free(mem_call *c) {
    {
        while (c->msgs) {
            mem_msg *g = c->msgs;
            c->msgs = g->next;
            free(g->role), free(g->content), free(g->tool_calls), free(g->tool_results), free(g);
        }
        char *strs[] = {c->sid, c->tenant, c->agent, c->from, c->to, c->status, c->ended_reason,
                        c->transcript, c->recording_url, c->recording_sid, c->latency};
        for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) free(strs[i]);
        free(c->name);
        free(c);
    }
}

static void mem_free(hk_store *s) {
    mem_store *m = (mem_store *)s;
    while (m->calls) {
        mem_call *c = m->calls;
        m->calls = c->next;
        call_free(c);
    }
    hk_mem_docs_free(m->docs);
    hk_mem_orgs_free(m->orgs);
    free(m);
}

static const hk_store_vtable mem_vtable = {
    .name = "memory",
    .call_create = mem_call_create,
    .call_status = mem_call_status,
    .message_add = mem_message_add,
    .call_end = mem_call_end,
    .call_recording = mem_call_recording,
    .calls_list = mem_calls_list,
    .call_get = mem_call_get,
    .messages_list = mem_messages_list,
    .agents_list = mem_empty,
    .numbers_list = mem_empty,
    .api_key_find = hk_mem_api_key_find,
    .user_find = hk_mem_user_find,
    .doc_create = hk_mem_doc_create,
    .doc_get = hk_mem_doc_get,
    .doc_list = hk_mem_doc_list,
    .doc_patch = hk_mem_doc_patch,
    .doc_delete = hk_mem_doc_delete,
    .number_find = hk_mem_number_find,
    .call_records = mem_call_records,
    .call_rename = mem_call_rename,
    .call_delete = mem_call_delete,
    .overview = mem_overview,
    .api_keys_list = hk_mem_api_keys_list,
    .api_key_create = hk_mem_api_key_create,
    .api_key_revoke = hk_mem_api_key_revoke,
    .api_key_used = hk_mem_api_key_used,
    .org_get = hk_mem_org_get,
    .org_patch = hk_mem_org_patch,
    .pending = mem_pending,
    .free = mem_free,
};

hk_store *hk_store_memory_new(void) {
    mem_store *m = calloc(1, sizeof *m);
    if (!m) abort();
    m->base.v = &mem_vtable;
    return &m->base;
}
