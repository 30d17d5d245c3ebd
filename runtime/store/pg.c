/* store/pg: the PostgreSQL store. Owns a few connections (pg_conn.c), routes
 * each write to the connection its call hashes to (so one call's writes run
 * in order) and keeps the promise that no write is lost:
 *   direct mode: writes go straight to their connection.
 *   spool mode:  entered when a connection is down or a write fails in a way
 *                worth retrying. Every write, including the ones handed back by
 *                the failed connection, goes to the spool (memory list ordered
 *                by seq + the fsynced file), and the list replays one record
 *                at a time, oldest first, once a connection is up and no
 *                direct write is still outstanding. Empty again: the file is
 *                truncated and direct mode resumes.
 * Exactly once: messages carry a client-made UUID (ON CONFLICT DO NOTHING),
 * call rows their call_sid, updates a seq that never goes back (last_seq).
 * Values of sealed columns are encrypted here, before they leave the process.
 * Never waits on the database or the disk in the loop. */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "core/log.h"
#include "store/crypto.h"
#include "store/pg_internal.h"
#include "store/search_words.h"

#define MAX_CONNS 16

typedef struct pg_store {
    hk_store base;
    struct ev_loop *loop;
    char *conninfo;
    hk_keyring keys;
    hk_pool *pool, *own_pool;
    hk_spool *spool;
    hk_pg_conn conns[MAX_CONNS];
    int nconns;
    int spooling;             /* spool mode */
    hk_pg_op *sp_head;        /* spool list, ordered by seq */
    int sp_count;
    int replaying;            /* head of the list is in flight */
    int direct_out;           /* direct writes queued or in flight */
    int64_t last_seq;
    int rr;                   /* reads round robin */
    int closing;
} pg_store;

static int64_t next_seq(pg_store *s) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    int64_t now = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
    s->last_seq = now > s->last_seq ? now : s->last_seq + 1;
    return s->last_seq;
}

void hk_store_uuid(char out[37]) {
    uint8_t b[16];
    if (RAND_bytes(b, sizeof b) != 1) abort();
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}

static int is_write(const hk_pg_op *op) { return hk_pg_sql_spooled(op->stmt); }

static void pump_replay(pg_store *s);

/* Put a write on the spool list in seq order. fresh: not in the file yet. */
static void spool_add(pg_store *s, hk_pg_op *op, int fresh) {
    if (!s->spooling) hk_log(HK_LOG_WARN, NULL, "db_spooling", "database unavailable: writes go "
                             "to the spool until it is back");
    s->spooling = 1;
    if (fresh) hk_spool_append(s->spool, op);
    hk_pg_op **pp = &s->sp_head;
    /* the head may be in flight (replaying): never insert before it */
    if (s->replaying && *pp) pp = &(*pp)->sp_next;
    while (*pp && (*pp)->seq <= op->seq) pp = &(*pp)->sp_next;
    op->sp_next = *pp;
    *pp = op;
    s->sp_count++;
}

static hk_pg_conn *ready_conn(pg_store *s) {
    for (int i = 0; i < s->nconns; i++) {
        hk_pg_conn *c = &s->conns[s->rr++ % s->nconns];
        if (c->state == HK_CONN_READY) return c;
    }
    return NULL;
}

static void pump_replay(pg_store *s) {
    if (!s->spooling || s->replaying || s->direct_out > 0 || s->closing) return;
    if (!s->sp_head) {
        s->spooling = 0;
        hk_spool_clear(s->spool);
        hk_log(HK_LOG_INFO, NULL, "db_spool_drained", "spool replayed; writing directly again");
        return;
    }
    hk_pg_conn *c = ready_conn(s);
    if (!c) return;
    s->replaying = 1;
    s->sp_head->replay = 1;
    hk_pg_conn_send(c, s->sp_head);
}

/* op->seq is set by the caller when a parameter carries it. */
static void submit_write(pg_store *s, hk_pg_op *op) {
    if (!op->seq) op->seq = next_seq(s);
    if (!s->spooling) {
        unsigned h = 5381;
        for (const char *p = op->key; *p; p++) h = h * 33 + (unsigned char)*p;
        hk_pg_conn *c = &s->conns[h % (unsigned)s->nconns];
        if (c->state != HK_CONN_DOWN) {
            s->direct_out++;
            hk_pg_conn_send(c, op);
            return;
        }
    }
    spool_add(s, op, 1);
    pump_replay(s);
}

static void fail_read(hk_pg_op *op, const char *err) {
    if (op->cb) op->cb(op->ud, NULL, err);
    hk_pg_op_free(op);
}

static void on_ready(void *ud, hk_pg_conn *c) {
    (void)c;
    pump_replay(ud);
}

static void on_down(void *ud, hk_pg_conn *c) {
    (void)c;
    pump_replay(ud);
}

static void on_done(void *ud, hk_pg_conn *c, hk_pg_op *op, PGresult *res, int transient) {
    pg_store *s = ud;
    if (!is_write(op)) {
        if (!res || (PQresultStatus(res) != PGRES_TUPLES_OK)) {
            char err[300];
            snprintf(err, sizeof err, "%s", res ? PQresultErrorMessage(res) : c->last_error);
            fail_read(op, err);
            return;
        }
        char err[256] = "";
        struct cJSON *j = hk_pg_result_json(res, &s->keys, op->tenant, op->single, err, sizeof err);
        if (op->cb) op->cb(op->ud, j, err[0] ? err : NULL);
        hk_pg_op_free(op);
        return;
    }
    int failed = !res || (PQresultStatus(res) != PGRES_COMMAND_OK);
    if (op->replay) {
        s->replaying = 0;
        op->replay = 0;
        if (failed && transient) {
            pump_replay(s); /* stays at the head: retried when a connection is up */
            return;
        }
        s->sp_head = op->sp_next;
        s->sp_count--;
        if (failed) hk_spool_reject(s->spool, op, PQresultErrorMessage(res));
        hk_pg_op_free(op);
        pump_replay(s);
        return;
    }
    s->direct_out--;
    if (failed && transient) {
        spool_add(s, op, 1);
    } else {
        if (failed) hk_spool_reject(s->spool, op, PQresultErrorMessage(res));
        hk_pg_op_free(op);
    }
    pump_replay(s);
}

/* ---- writes ---- */

static char *fmt_num(char *buf, size_t cap, double v) {
    snprintf(buf, cap, "%.17g", v);
    return buf;
}

static int pg_call_create(hk_store *st, const hk_store_call *c) {
    pg_store *s = (pg_store *)st;
    if (!c->call_sid || !c->tenant_id || !c->from || !c->to) return -1;
    char n1[32], n2[32];
    hk_pg_op *op = hk_pg_op_new(HK_SQL_CALL_CREATE, c->call_sid);
    op->seq = next_seq(s);
    hk_pg_op_text(op, 0, c->call_sid);
    hk_pg_op_text(op, 1, c->tenant_id);
    hk_pg_op_text(op, 2, c->agent_id);
    hk_pg_op_text(op, 3, c->from);
    hk_pg_op_text(op, 4, c->to);
    hk_pg_op_text(op, 5, c->inbound ? "true" : "false");
    hk_pg_op_text(op, 6, c->status ? c->status : "in-progress");
    hk_pg_op_text(op, 7, fmt_num(n1, sizeof n1, c->start_time > 0 ? c->start_time : hk_store_now_s()));
    /* the row starts at seq 0 so every later update of this call applies */
    hk_pg_op_text(op, 8, fmt_num(n2, sizeof n2, 0));
    submit_write(s, op);
    return 0;
}

static int pg_call_status(hk_store *st, const char *tenant, const char *sid, const char *status) {
    pg_store *s = (pg_store *)st;
    if (!tenant || !sid || !status) return -1;
    hk_pg_op *op = hk_pg_op_new(HK_SQL_CALL_STATUS, sid);
    hk_pg_op_text(op, 0, tenant);
    hk_pg_op_text(op, 1, sid);
    hk_pg_op_text(op, 2, status);
    char n[32];
    op->seq = next_seq(s);
    hk_pg_op_text(op, 3, fmt_num(n, sizeof n, (double)op->seq));
    submit_write(s, op);
    return 0;
}

/* Seal text under the newest key into op parameter i (bytea). */
static int bind_sealed(pg_store *s, hk_pg_op *op, int i, const char *tenant, const char *column,
                       const char *row, const char *text) {
    if (!text) {
        hk_pg_op_text(op, i, NULL);
        return 0;
    }
    char aad[256];
    hk_seal_aad(aad, sizeof aad, tenant, column, row);
    size_t n = strlen(text);
    uint8_t *buf = malloc(n + HK_SEAL_OVERHEAD);
    if (!buf) abort();
    int len = hk_seal(&s->keys, s->keys.newest, aad, (const uint8_t *)text, n, buf);
    if (len >= 0) hk_pg_op_bin(op, i, buf, len);
    free(buf);
    return len < 0 ? -1 : 0;
}

static void opt_num(hk_pg_op *op, int i, double v) {
    char n[32];
    hk_pg_op_text(op, i, v < 0 ? NULL : fmt_num(n, sizeof n, v));
}

static int pg_message_add(hk_store *st, hk_store_message *m) {
    pg_store *s = (pg_store *)st;
    if (!m->call_sid || !m->tenant_id || !m->role || !m->content) return -1;
    if (!m->id[0]) hk_store_uuid(m->id);
    char n[32], kid[16];
    hk_pg_op *op = hk_pg_op_new(HK_SQL_MSG_INSERT, m->call_sid);
    hk_pg_op_text(op, 0, m->id);
    hk_pg_op_text(op, 1, m->call_sid);
    hk_pg_op_text(op, 2, m->tenant_id);
    snprintf(n, sizeof n, "%d", m->seq);
    hk_pg_op_text(op, 3, n);
    hk_pg_op_text(op, 4, m->role);
    snprintf(kid, sizeof kid, "%d", s->keys.newest);
    hk_pg_op_text(op, 5, kid);
    if (bind_sealed(s, op, 6, m->tenant_id, "call_messages.content", m->id, m->content) != 0) {
        hk_pg_op_free(op);
        return -1;
    }
    hk_pg_op_text(op, 7, fmt_num(n, sizeof n, m->ts > 0 ? m->ts : hk_store_now_s()));
    hk_pg_op_text(op, 8, m->is_partial ? "true" : "false");
    opt_num(op, 9, m->confidence);
    opt_num(op, 10, m->user_end_ms);
    opt_num(op, 11, m->stt_final_ms);
    opt_num(op, 12, m->llm_first_token_ms);
    opt_num(op, 13, m->tts_first_audio_ms);
    opt_num(op, 14, m->first_frame_ms);
    hk_pg_op_text(op, 15, m->tool_calls_json);
    hk_pg_op_text(op, 16, m->tool_results_json);
    submit_write(s, op);
    return 0;
}

/* the blind index of the transcript (search_words.h), hashed under the key
 * that sealed it; after hk_call_end, on the same connection (same key) */
static void call_words(pg_store *s, const hk_store_call_summary *e) {
    if (!e->transcript || !e->transcript[0]) return;
    int64_t *h = malloc(HK_SEARCH_CALL_WORDS * sizeof *h);
    if (!h) abort();
    int n = hk_search_hashes(&s->keys, s->keys.newest, e->tenant_id, e->transcript, h,
                             HK_SEARCH_CALL_WORDS);
    char *text = hk_search_array_text(h, n);
    free(h);
    if (!text) abort();
    hk_pg_op *op = hk_pg_op_new(HK_SQL_CALL_WORDS, e->call_sid);
    hk_pg_op_text(op, 0, e->tenant_id);
    hk_pg_op_text(op, 1, e->call_sid);
    hk_pg_op_text(op, 2, text);
    free(text);
    op->seq = next_seq(s);
    submit_write(s, op);
}

const hk_keyring *hk_pg_keys(hk_store *st) { return &((pg_store *)st)->keys; }

static int pg_call_end(hk_store *st, const hk_store_call_summary *e) {
    pg_store *s = (pg_store *)st;
    if (!e->call_sid || !e->tenant_id) return -1;
    char n[32], kid[16];
    hk_pg_op *op = hk_pg_op_new(HK_SQL_CALL_END, e->call_sid);
    hk_pg_op_text(op, 0, e->tenant_id);
    hk_pg_op_text(op, 1, e->call_sid);
    hk_pg_op_text(op, 2, fmt_num(n, sizeof n, e->end_time > 0 ? e->end_time : hk_store_now_s()));
    hk_pg_op_text(op, 3, fmt_num(n, sizeof n, e->duration_s));
    hk_pg_op_text(op, 4, e->ended_reason);
    snprintf(kid, sizeof kid, "%d", s->keys.newest);
    hk_pg_op_text(op, 5, kid);
    if (bind_sealed(s, op, 6, e->tenant_id, "calls.transcript", e->call_sid, e->transcript) ||
        bind_sealed(s, op, 7, e->tenant_id, "calls.recording_url", e->call_sid, e->recording_url)) {
        hk_pg_op_free(op);
        return -1;
    }
    hk_pg_op_text(op, 8, e->recording_sid);
    hk_pg_op_text(op, 9, e->latency_json);
    hk_pg_op_text(op, 10, e->language_detected);
    hk_pg_op_text(op, 11, e->sentiment);
    opt_num(op, 12, e->cost_total);
    op->seq = next_seq(s);
    hk_pg_op_text(op, 13, fmt_num(n, sizeof n, (double)op->seq));
    opt_num(op, 14, (double)e->llm_prompt_tokens);
    opt_num(op, 15, (double)e->llm_completion_tokens);
    submit_write(s, op);
    call_words(s, e);
    return 0;
}

static int pg_call_recording(hk_store *st, const char *tenant, const char *sid, const char *url) {
    pg_store *s = (pg_store *)st;
    if (!tenant || !sid || !url) return -1;
    char n[32], kid[16];
    hk_pg_op *op = hk_pg_op_new(HK_SQL_CALL_RECORDING, sid);
    hk_pg_op_text(op, 0, tenant);
    hk_pg_op_text(op, 1, sid);
    if (bind_sealed(s, op, 2, tenant, "calls.recording_url", sid, url)) {
        hk_pg_op_free(op);
        return -1;
    }
    snprintf(kid, sizeof kid, "%d", s->keys.newest);
    hk_pg_op_text(op, 3, kid);
    op->seq = next_seq(s);
    hk_pg_op_text(op, 4, fmt_num(n, sizeof n, (double)op->seq));
    submit_write(s, op);
    return 0;
}

/* ---- reads ---- */

static void submit_read(pg_store *s, hk_pg_op *op) {
    hk_pg_conn *best = NULL;
    for (int i = 0; i < s->nconns; i++) {
        hk_pg_conn *c = &s->conns[(s->rr + i) % s->nconns];
        if (c->state == HK_CONN_READY && (!best || c->queued < best->queued)) best = c;
    }
    s->rr++;
    if (!best) {
        fail_read(op, "database unavailable");
        return;
    }
    hk_pg_conn_send(best, op);
}

void hk_pg_submit_read(hk_store *st, hk_pg_op *op) { submit_read((pg_store *)st, op); }

static hk_pg_op *read_op(int stmt, const char *tenant, hk_store_read_cb cb, void *ud) {
    hk_pg_op *op = hk_pg_op_new(stmt, NULL);
    op->cb = cb;
    op->ud = ud;
    snprintf(op->tenant, sizeof op->tenant, "%s", tenant ? tenant : "");
    hk_pg_op_text(op, 0, tenant);
    return op;
}

static void pg_calls_list(hk_store *st, const char *tenant, const hk_store_filter *f,
                          hk_store_read_cb cb, void *ud) {
    hk_store_filter none = {0};
    if (!f) f = &none;
    hk_pg_op *op = read_op(HK_SQL_CALLS_LIST, tenant, cb, ud);
    char n[32];
    hk_pg_op_text(op, 1, f->agent_id);
    hk_pg_op_text(op, 2, f->number);
    hk_pg_op_text(op, 3, f->since > 0 ? fmt_num(n, sizeof n, f->since) : NULL);
    hk_pg_op_text(op, 4, f->until > 0 ? fmt_num(n, sizeof n, f->until) : NULL);
    hk_pg_op_text(op, 5, f->status);
    int limit = f->limit <= 0 ? 50 : f->limit > 500 ? 500 : f->limit;
    snprintf(n, sizeof n, "%d", limit);
    hk_pg_op_text(op, 6, n);
    snprintf(n, sizeof n, "%d", f->offset < 0 ? 0 : f->offset);
    hk_pg_op_text(op, 7, n);
    submit_read((pg_store *)st, op);
}

static void pg_call_get(hk_store *st, const char *tenant, const char *sid, hk_store_read_cb cb,
                        void *ud) {
    hk_pg_op *op = read_op(HK_SQL_CALL_GET, tenant, cb, ud);
    op->single = 1;
    hk_pg_op_text(op, 1, sid);
    submit_read((pg_store *)st, op);
}

static void pg_messages_list(hk_store *st, const char *tenant, const char *sid,
                             hk_store_read_cb cb, void *ud) {
    hk_pg_op *op = read_op(HK_SQL_MSGS_LIST, tenant, cb, ud);
    hk_pg_op_text(op, 1, sid);
    submit_read((pg_store *)st, op);
}

static void pg_agents_list(hk_store *st, const char *tenant, hk_store_read_cb cb, void *ud) {
    submit_read((pg_store *)st, read_op(HK_SQL_AGENTS_LIST, tenant, cb, ud));
}

static void pg_numbers_list(hk_store *st, const char *tenant, hk_store_read_cb cb, void *ud) {
    submit_read((pg_store *)st, read_op(HK_SQL_NUMBERS_LIST, tenant, cb, ud));
}

static int pg_pending(hk_store *st) {
    pg_store *s = (pg_store *)st;
    return s->sp_count + s->direct_out + hk_spool_unsynced(s->spool);
}

int hk_store_pg_connected(hk_store *st) {
    pg_store *s = (pg_store *)st;
    int n = 0;
    for (int i = 0; i < s->nconns; i++) n += s->conns[i].state == HK_CONN_READY;
    return n;
}

/* Shutdown: writes still outstanding go to the spool file now (the next run
 * replays them; any that did commit are skipped by their idempotent keys). */
static void take_on_close(void *ud, hk_pg_op *op) {
    pg_store *s = ud;
    if (is_write(op)) {
        if (!op->replay) hk_spool_append_now(s->spool, op);
        if (op->replay) return; /* still on the spool list, freed below */
        hk_pg_op_free(op);
    } else {
        fail_read(op, "store closed");
    }
}

static void pg_free(hk_store *st) {
    pg_store *s = (pg_store *)st;
    s->closing = 1;
    for (int i = 0; i < s->nconns; i++) hk_pg_conn_close(&s->conns[i], take_on_close, s);
    if (s->own_pool) hk_pool_free(s->own_pool);
    while (s->sp_head) {
        hk_pg_op *op = s->sp_head;
        s->sp_head = op->sp_next;
        hk_pg_op_free(op);
    }
    hk_spool_free(s->spool); /* appends still on a shared pool finish first */
    hk_keyring_wipe(&s->keys);
    free(s->conninfo);
    free(s);
}

static const hk_store_vtable pg_vtable = {
    .name = "postgres",
    .call_create = pg_call_create,
    .call_status = pg_call_status,
    .message_add = pg_message_add,
    .call_end = pg_call_end,
    .call_recording = pg_call_recording,
    .calls_list = pg_calls_list,
    .call_get = pg_call_get,
    .messages_list = pg_messages_list,
    .agents_list = pg_agents_list,
    .numbers_list = pg_numbers_list,
    .api_key_find = hk_pg_api_key_find,
    .user_find = hk_pg_user_find,
    .doc_create = hk_pg_doc_create,
    .doc_get = hk_pg_doc_get,
    .doc_list = hk_pg_doc_list,
    .doc_patch = hk_pg_doc_patch,
    .doc_delete = hk_pg_doc_delete,
    .call_records = hk_pg_call_records,
    .call_rename = hk_pg_call_rename,
    .call_delete = hk_pg_call_delete,
    .number_find = hk_pg_number_find,
    .overview = hk_pg_overview,
    .api_keys_list = hk_pg_api_keys_list,
    .api_key_create = hk_pg_api_key_create,
    .api_key_revoke = hk_pg_api_key_revoke,
    .api_key_used = hk_pg_api_key_used,
    .org_get = hk_pg_org_get,
    .org_patch = hk_pg_org_patch,
    .pending = pg_pending,
    .free = pg_free,
};

hk_store *hk_store_pg_new(const hk_store_pg_opts *o, char *err, size_t errlen) {
    if (!o->loop || !o->conninfo || !o->spool_path) {
        snprintf(err, errlen, "store: loop, conninfo and spool_path are required");
        return NULL;
    }
    pg_store *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->base.v = &pg_vtable;
    s->loop = o->loop;
    s->conninfo = hk_pg_conninfo_pin(o->conninfo, err, errlen);
    if (!s->conninfo) {
        free(s);
        return NULL;
    }
    if (o->keys) s->keys = *o->keys;
    s->pool = o->pool ? o->pool : hk_pool_global();
    if (!s->pool) s->pool = s->own_pool = hk_pool_new(o->loop, 1);
    hk_pg_op *loaded = NULL;
    s->spool = hk_spool_open(o->spool_path, s->pool, &loaded, err, errlen);
    if (!s->spool) {
        if (s->own_pool) hk_pool_free(s->own_pool);
        free(s->conninfo);
        free(s);
        return NULL;
    }
    for (hk_pg_op *op = loaded; op; op = op->next) {
        op->sp_next = op->next;
        s->sp_count++;
        if (op->seq > s->last_seq) s->last_seq = op->seq;
    }
    s->sp_head = loaded;
    s->spooling = loaded != NULL;
    s->nconns = o->connections > 0 ? (o->connections > MAX_CONNS ? MAX_CONNS : o->connections) : 4;
    hk_pg_conn_cbs cbs = {s, on_ready, on_done, on_down};
    for (int i = 0; i < s->nconns; i++) {
        hk_pg_conn_init(&s->conns[i], o->loop, s->conninfo, o->reconnect_s > 0 ? o->reconnect_s : 0.5,
                        &cbs);
        hk_pg_conn_start(&s->conns[i]);
    }
    return &s->base;
}
