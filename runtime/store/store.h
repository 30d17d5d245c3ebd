/* store/store: the one interface to call records, behind a vtable with two
 * implementations: memory (tests, `hark call`) and PostgreSQL (async libpq on
 * the worker's libev loop, spool on disk when the database is away).
 *
 * What the call lifecycle calls, and when (all on the loop thread; none of
 * these ever waits on the database; strings are copied before they return):
 *   1. call answered / outbound call placed:  hk_store_call_create()
 *   2. status changes (ringing, in-progress, forwarding, ended):
 *                                             hk_store_call_status()
 *   3. each FINAL message, when it is final (user: final transcript; assistant:
 *      after barge-in trimming, i.e. the words heard; tool calls and results):
 *                                             hk_store_message_add()
 *      seq is the message's index in the call (0, 1, 2, ...); leave id[] empty
 *      and the store fills a UUID (it is the idempotency key of replays).
 *   4. the call is over (after on_end):      hk_store_call_end()
 * Writes return 0 when accepted; a write is never dropped: it reaches the
 * database, or the spool file (fsynced) and later the database, exactly once.
 * Reads (API, dashboard) are always scoped by tenant and answer through a
 * callback with a cJSON value the callback owns (memory store: called before
 * the read function returns; PostgreSQL: later, on the loop, except "database
 * unavailable", which is answered at once). */
#ifndef HK_STORE_H
#define HK_STORE_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;
struct hk_pool;
struct hk_keyring;
struct hk_config;

typedef struct hk_store hk_store;

typedef struct hk_store_call {
    const char *call_sid;  /* unique; the carrier's id (Twilio CallSid) or hark's */
    const char *tenant_id; /* uuid text */
    const char *agent_id;  /* uuid text or NULL */
    const char *from, *to; /* E.164 */
    int inbound;
    const char *status;    /* NULL: "in-progress" */
    double start_time;     /* unix seconds; 0: now */
} hk_store_call;

typedef struct hk_store_message {
    const char *call_sid, *tenant_id;
    char id[37];           /* UUID text; empty: the store makes one (and writes it back) */
    int seq;               /* index in the call */
    const char *role;      /* "assistant" | "user" | "tool" | "system" */
    const char *content;
    double ts;             /* unix seconds; 0: now */
    int is_partial;
    double confidence;     /* <0: unknown */
    /* latency marks of the turn this message closes, ms since the call
     * started; <0: not measured */
    double user_end_ms, stt_final_ms, llm_first_token_ms, tts_first_audio_ms, first_frame_ms;
    const char *tool_calls_json, *tool_results_json; /* JSON text or NULL */
} hk_store_message;

typedef struct hk_store_call_summary {
    const char *call_sid, *tenant_id;
    double end_time;       /* unix seconds; 0: now */
    double duration_s;
    const char *ended_reason;
    const char *transcript;     /* whole-call text or NULL */
    const char *recording_url, *recording_sid;
    const char *latency_json;   /* {"turns":n,"p50_ms":..,"p95_ms":..} or NULL */
    const char *language_detected, *sentiment;
    double cost_total;          /* <0: unknown */
    long llm_prompt_tokens;     /* the LLM usage over the call (0: none used) */
    long llm_completion_tokens;
} hk_store_call_summary;

typedef struct hk_store_filter {
    const char *agent_id;   /* NULL: any */
    const char *number;     /* from or to; NULL: any */
    double since, until;    /* start_time range, unix seconds; 0: open */
    const char *status;     /* NULL: any */
    int limit, offset;      /* limit 0: 50; at most 500 */
} hk_store_filter;

/* result: a cJSON array (lists) or object (get; NULL when not found); err set
 * on failure. The callback owns result. */
typedef void (*hk_store_read_cb)(void *ud, struct cJSON *result, const char *err);

/* API resources (Vapi's /assistant, /phone-number, /tool): a JSON
 * document kept verbatim, unknown fields included, beside the fields the
 * store owns: id (UUID v4), orgId (the tenant), createdAt, updatedAt
 * (ISO-8601 UTC with milliseconds). Answers through hk_store_read_cb: the
 * object (create, get, patch, delete; NULL when not found, which is also the
 * answer for another tenant's id or a malformed one) or an array, newest
 * first (list). A request body's id/orgId/createdAt/updatedAt are ignored. */
enum { HK_DOC_ASSISTANT = 0, HK_DOC_PHONE_NUMBER, HK_DOC_TOOL, HK_DOC_KINDS };

typedef struct hk_store_doc_filter {
    int limit;                /* 0: 100; at most 1000 */
    /* createdAt/updatedAt bounds, unix seconds (compared at ms precision); 0: open */
    double created_gt, created_lt, created_ge, created_le;
    double updated_gt, updated_lt, updated_ge, updated_le;
} hk_store_doc_filter;

/* Vapi's /call reads (api/call.c maps them). A call record: the columns as
 * calls_list spells them (call_sid, agent_id, from_number, to_number, inbound,
 * status, start_time, end_time, duration_s, ended_reason, recording_url,
 * latency, cost_total; times unix seconds) plus id (the call's UUID), name,
 * created_at, updated_at (unix seconds), transcript, and "messages": the
 * call's messages as messages_list spells them (with tool_calls and
 * tool_results), in seq order. Lists are newest (created_at) first. */
typedef struct hk_store_call_query {
    hk_store_doc_filter t;       /* limit (0: 100; at most 1000), createdAt/updatedAt bounds */
    const char *id;              /* the call's UUID or its call_sid; NULL: any */
    const char *agent_id;        /* NULL: any */
    const char *phone_number_id; /* the hark number the call came in on or went out from; NULL: any */
    int active_only;             /* only calls not over (status neither "ended" nor a final
                                  * Twilio status: completed, busy, no-answer, failed, canceled) */
    /* hark's extensions (the dashboard's history; api/call.c's list) */
    const char *ended_reason;    /* exactly this endedReason; NULL: any */
    int has_duration_ge, has_duration_le; /* the bounds below apply (calls not over: none) */
    double duration_ge, duration_le; /* seconds, inclusive */
    const char *search;          /* every word of it in the ended call's transcript (what
                                  * caller and agent said; search_words.h: whole words,
                                  * case-folded); NULL: any */
} hk_store_call_query;

/* GET /api/v1/overview (api/overview.c): a tenant's calls created in
 * [from, to) and in [today_from, today_to) (unix seconds). Answers
 * {calls_today, calls_in_range, errors (calls in range whose ended_reason
 * names an error or failure), ended_reasons: {reason: count} (in range,
 * ended calls), agents: [{agent_id (null: none), calls, p50_ms, p95_ms
 * (voice-to-voice of the agent's turns in range: a message's first_frame_ms
 * minus its user_end_ms, both measured; null without turns)}]}. */
typedef struct hk_store_overview_query {
    double from, to, today_from, today_to;
} hk_store_overview_query;

/* The API keys of a tenant (api/apikeys_routes.c; what `hark key` does with
 * SQL). Rows: {id, name, prefix, created_at, revoked_at, last_used_at}
 * (times unix seconds or null); the hash never leaves the store. */
typedef struct hk_store_api_key_new {
    const char *name, *prefix;
    const unsigned char *hash; /* 32 bytes, SHA-256 of the key */
} hk_store_api_key_new;

typedef struct hk_store_vtable {
    const char *name;
    int (*call_create)(hk_store *s, const hk_store_call *c);
    int (*call_status)(hk_store *s, const char *tenant_id, const char *call_sid, const char *status);
    int (*message_add)(hk_store *s, hk_store_message *m);
    int (*call_end)(hk_store *s, const hk_store_call_summary *e);
    /* The recording moved (uploaded after the call): its new URL. */
    int (*call_recording)(hk_store *s, const char *tenant_id, const char *call_sid,
                          const char *recording_url);
    void (*calls_list)(hk_store *s, const char *tenant_id, const hk_store_filter *f,
                       hk_store_read_cb cb, void *ud);
    void (*call_get)(hk_store *s, const char *tenant_id, const char *call_sid, hk_store_read_cb cb,
                     void *ud);
    void (*messages_list)(hk_store *s, const char *tenant_id, const char *call_sid,
                          hk_store_read_cb cb, void *ud);
    void (*agents_list)(hk_store *s, const char *tenant_id, hk_store_read_cb cb, void *ud);
    void (*numbers_list)(hk_store *s, const char *tenant_id, hk_store_read_cb cb, void *ud);
    /* api/auth (store/memory_auth.c, store/pg_auth.c); not tenant-scoped:
     * this is how the tenant is found. The API key with this prefix:
     * {id, tenant_id, key_hash (hex SHA-256), revoked (bool)}, or NULL. */
    void (*api_key_find)(hk_store *s, const char *prefix, hk_store_read_cb cb, void *ud);
    /* The user with this email (lower-cased): {id, tenant_id, password_hash}, or NULL. */
    void (*user_find)(hk_store *s, const char *email, hk_store_read_cb cb, void *ud);
    /* API resources (see hk_store_doc_filter above); kind: HK_DOC_* */
    void (*doc_create)(hk_store *s, int kind, const char *tenant_id, const struct cJSON *body,
                       hk_store_read_cb cb, void *ud);
    void (*doc_get)(hk_store *s, int kind, const char *tenant_id, const char *id,
                    hk_store_read_cb cb, void *ud);
    void (*doc_list)(hk_store *s, int kind, const char *tenant_id, const hk_store_doc_filter *f,
                     hk_store_read_cb cb, void *ud);
    /* shallow merge of the top-level keys of patch; updatedAt moves forward */
    void (*doc_patch)(hk_store *s, int kind, const char *tenant_id, const char *id,
                      const struct cJSON *patch, hk_store_read_cb cb, void *ud);
    /* answers the deleted object */
    void (*doc_delete)(hk_store *s, int kind, const char *tenant_id, const char *id,
                       hk_store_read_cb cb, void *ud);
    /* Vapi's /call (hk_store_call_query above): an array of call records.
     * NULL in a store that has no such reads yet (the API answers 501). */
    void (*call_records)(hk_store *s, const char *tenant_id, const hk_store_call_query *q,
                         hk_store_read_cb cb, void *ud);
    /* PATCH /call/{id} {name}: the renamed record; NULL when not found */
    void (*call_rename)(hk_store *s, const char *tenant_id, const char *id, const char *name,
                        hk_store_read_cb cb, void *ud);
    /* DELETE /call/{id}: the record as it was; the call and its messages are gone */
    void (*call_delete)(hk_store *s, const char *tenant_id, const char *id, hk_store_read_cb cb,
                        void *ud);
    /* The active phone-number document (kind HK_DOC_PHONE_NUMBER) whose
     * "number" is this E.164 number, whatever its tenant (its orgId says
     * which): how an incoming call finds its tenant. NULL when none. */
    void (*number_find)(hk_store *s, const char *number, hk_store_read_cb cb, void *ud);
    /* GET /api/v1/overview (hk_store_overview_query above); NULL: 501 */
    void (*overview)(hk_store *s, const char *tenant_id, const hk_store_overview_query *q,
                     hk_store_read_cb cb, void *ud);
    /* API keys (hk_store_api_key_new above): the tenant's keys, oldest first;
     * a new key (answers its row); revoke (answers the row, revoked_at set
     * once; NULL when no such key of this tenant). NULL: 501 */
    void (*api_keys_list)(hk_store *s, const char *tenant_id, hk_store_read_cb cb, void *ud);
    void (*api_key_create)(hk_store *s, const char *tenant_id, const hk_store_api_key_new *k,
                           hk_store_read_cb cb, void *ud);
    void (*api_key_revoke)(hk_store *s, const char *tenant_id, const char *id, hk_store_read_cb cb,
                           void *ud);
    /* The key with this id authenticated a request: last_used_at = now
     * (best effort, no answer; api/auth calls it when it reads a key from
     * the store, so at most once per key per worker per cache period). */
    void (*api_key_used)(hk_store *s, const char *id);
    /* The tenant's org settings (Vapi's Org; api/org.c, api/org_server.c):
     * {id, name, server (an object, the secret included; null: none),
     * createdAt, updatedAt}; NULL when the store knows no such tenant (the
     * memory store knows every tenant). patch: {name?: string, server?:
     * object or null}, each key present replaces that field (server as a
     * whole); answers the org as it is now. NULL: 501 */
    void (*org_get)(hk_store *s, const char *tenant_id, hk_store_read_cb cb, void *ud);
    void (*org_patch)(hk_store *s, const char *tenant_id, const struct cJSON *patch,
                      hk_store_read_cb cb, void *ud);
    /* Writes not yet in the database (queued, in flight or spooled). */
    int (*pending)(hk_store *s);
    void (*free)(hk_store *s);
} hk_store_vtable;

struct hk_store {
    const hk_store_vtable *v;
};

/* Thin wrappers, so callers read hk_store_call_create(s, &c). */
static inline int hk_store_call_create(hk_store *s, const hk_store_call *c) { return s->v->call_create(s, c); }
static inline int hk_store_call_status(hk_store *s, const char *t, const char *sid, const char *st) { return s->v->call_status(s, t, sid, st); }
static inline int hk_store_message_add(hk_store *s, hk_store_message *m) { return s->v->message_add(s, m); }
static inline int hk_store_call_end(hk_store *s, const hk_store_call_summary *e) { return s->v->call_end(s, e); }
static inline int hk_store_call_recording(hk_store *s, const char *t, const char *sid, const char *url) { return s->v->call_recording(s, t, sid, url); }
static inline int hk_store_pending(hk_store *s) { return s->v->pending(s); }
static inline void hk_store_free(hk_store *s) { if (s) s->v->free(s); }
static inline void hk_store_doc_create(hk_store *s, int k, const char *t, const struct cJSON *b, hk_store_read_cb cb, void *ud) { s->v->doc_create(s, k, t, b, cb, ud); }
static inline void hk_store_doc_get(hk_store *s, int k, const char *t, const char *id, hk_store_read_cb cb, void *ud) { s->v->doc_get(s, k, t, id, cb, ud); }
static inline void hk_store_doc_list(hk_store *s, int k, const char *t, const hk_store_doc_filter *f, hk_store_read_cb cb, void *ud) { s->v->doc_list(s, k, t, f, cb, ud); }
static inline void hk_store_doc_patch(hk_store *s, int k, const char *t, const char *id, const struct cJSON *p, hk_store_read_cb cb, void *ud) { s->v->doc_patch(s, k, t, id, p, cb, ud); }
static inline void hk_store_doc_delete(hk_store *s, int k, const char *t, const char *id, hk_store_read_cb cb, void *ud) { s->v->doc_delete(s, k, t, id, cb, ud); }
static inline void hk_store_number_find(hk_store *s, const char *n, hk_store_read_cb cb, void *ud) { s->v->number_find(s, n, cb, ud); }

/* store/memory.c: everything in process memory, reads answered at once. */
hk_store *hk_store_memory_new(void);

/* store/pg.c: PostgreSQL. conninfo: a libpq URL or key=value string; a host
 * name in it is resolved here, once (blocking: call at startup), and pinned
 * as hostaddr= so reconnects never block the loop. pool: where spool appends fsync (NULL: hk_pool_global()). keys: the
 * data keys (NULL: plaintext; see crypto.h). spool_path: the append-only
 * spool; records left there by an earlier run are replayed first. */
typedef struct hk_store_pg_opts {
    struct ev_loop *loop;
    const char *conninfo;
    int connections;          /* 0: 4 */
    struct hk_pool *pool;
    const struct hk_keyring *keys;
    const char *spool_path;
    double reconnect_s;       /* 0: 0.5 */
} hk_store_pg_opts;

hk_store *hk_store_pg_new(const hk_store_pg_opts *o, char *err, size_t errlen);
/* Connections up right now (tests and /metrics). */
int hk_store_pg_connected(hk_store *s);

/* store/store_env.c: what `hark serve` opens, from its settings (cfg:
 * environment and .env). HARK_STORE=memory gives the
 * memory store; otherwise PostgreSQL at DATABASE_URL, or the embedded cluster
 * (scripts/pg start, blocking: call at startup, before serving), keys from
 * HARK_DATA_KEY (NULL with err in HARK_ENV=production without a key), spool
 * at HARK_SPOOL_PATH (default var/store-spool.jsonl). Run `hark migrate`
 * first: without the schema the connections log the error and the writes
 * wait in the spool. */
hk_store *hk_store_from_env(const struct hk_config *cfg, struct ev_loop *loop, struct hk_pool *pool,
                            char *err, size_t errlen);

/* A random UUID (v4) as text. */
void hk_store_uuid(char out[37]);

/* store/store_docs.c: what both stores (and the API handlers) share about
 * resources. A UUID in its text form (any version, either case)? */
int hk_store_is_uuid(const char *s);
/* The wall clock: unix seconds (microseconds kept), and unix milliseconds. */
double hk_store_now_s(void);
int64_t hk_store_now_ms(void);
/* unix seconds -> "2026-12-05T20:41:00.123Z" (milliseconds, truncated) */
void hk_store_time_iso(double t, char out[32]);
/* ISO-8601 date or date-time ("2026-12-05", "...T20:41", "...:00.123Z",
 * "+02:00" offsets) -> unix seconds; -1 when it is not one. */
int hk_store_time_parse(const char *iso, double *t);
/* A copy of body without the store-owned keys (NULL when body is not an object). */
struct cJSON *hk_store_doc_body(const struct cJSON *body);
/* PATCH's shallow merge: each top-level key of patch, copied into into (a key
 * already there keeps its place). -1 when out of memory. */
int hk_store_doc_merge(struct cJSON *into, const struct cJSON *patch);
/* The object the API serves: id, orgId, createdAt, updatedAt, then body's keys. */
struct cJSON *hk_store_doc_stamp(const char *id, const char *org, const char *created_iso,
                                 const char *updated_iso, const struct cJSON *body);

#endif
