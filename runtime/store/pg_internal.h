/* store/pg_internal: what the PostgreSQL store's files share and nothing else
 * includes: the operation (one prepared statement with bound parameters), the
 * statement table (pg_sql.c), one non-blocking connection on the loop
 * (pg_conn.c) and the spool of operations waiting for the database (spool.c).
 * Parameters are always bound, never spliced into SQL. */
#ifndef HK_STORE_PG_INTERNAL_H
#define HK_STORE_PG_INTERNAL_H

#include <ev.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "core/pool.h"
#include "store/store.h"

#define HK_PG_MAXP 18

enum {
    HK_SQL_CALL_CREATE = 0,
    HK_SQL_CALL_STATUS,
    HK_SQL_MSG_INSERT,
    HK_SQL_CALL_END,
    HK_SQL_CALLS_LIST,
    HK_SQL_CALL_GET,
    HK_SQL_MSGS_LIST,
    HK_SQL_AGENTS_LIST,
    HK_SQL_NUMBERS_LIST,
    HK_SQL_CALL_RECORDING,
    HK_SQL_API_KEY_FIND, /* pg_auth.c */
    HK_SQL_USER_FIND,
    /* API resources (pg_docs.c): answered like reads, never spooled */
    HK_SQL_ASSISTANT_CREATE,
    HK_SQL_ASSISTANT_GET,
    HK_SQL_ASSISTANT_LIST,
    HK_SQL_ASSISTANT_PATCH,
    HK_SQL_ASSISTANT_DELETE,
    HK_SQL_NUMBER_CREATE, /* API phone numbers (pg_docs.c) */
    HK_SQL_NUMBER_GET,
    HK_SQL_NUMBER_LIST,
    HK_SQL_NUMBER_PATCH,
    HK_SQL_NUMBER_DELETE,
    HK_SQL_NUMBER_FIND,
    HK_SQL_TOOL_CREATE, /* API tools (pg_docs.c) */
    HK_SQL_TOOL_GET,
    HK_SQL_TOOL_LIST,
    HK_SQL_TOOL_PATCH,
    HK_SQL_TOOL_DELETE,
    /* Vapi's /call reads (pg_calls.c): answered like reads, never spooled */
    HK_SQL_CALL_RECORDS,
    HK_SQL_CALL_RECORD_MSGS,
    HK_SQL_CALL_RENAME,
    HK_SQL_CALL_DELETE,
    /* the dashboard's reads (pg_calls.c, pg_overview.c, pg_api_keys.c) and
     * the search words of an ended call (a spooled write, pg.c) */
    HK_SQL_CALL_SEARCH,
    HK_SQL_CALL_WORDS,
    HK_SQL_OVERVIEW,
    HK_SQL_API_KEYS_LIST,
    HK_SQL_API_KEY_CREATE,
    HK_SQL_API_KEY_REVOKE,
    HK_SQL_API_KEY_USED,
    HK_SQL_ORG_GET, /* the tenant's org settings (pg_org.c) */
    HK_SQL_ORG_PATCH,
    HK_SQL_COUNT
};

typedef struct hk_pg_sql {
    const char *name; /* prepared statement name; also the spool's record type */
    const char *text;
} hk_pg_sql;

extern const hk_pg_sql hk_pg_sql_table[HK_SQL_COUNT];
int hk_pg_sql_find(const char *name); /* -1 when unknown */
/* 1 for the writes a database outage spools (and a spool file may name); the
 * one list pg.c and spool.c both go by */
int hk_pg_sql_spooled(int stmt);
/* 1 when a failure with this SQLSTATE is worth retrying (NULL: no answer) */
int hk_pg_sqlstate_transient(const char *sqlstate);

typedef struct hk_pg_op hk_pg_op;
struct hk_pg_op {
    int64_t seq;        /* writes: global order (also the calls.last_seq guard) */
    int stmt;
    int nparams;
    char *vals[HK_PG_MAXP];  /* owned; NULL is SQL NULL */
    int lens[HK_PG_MAXP];
    int fmts[HK_PG_MAXP];    /* 1: binary (bytea) */
    char key[72];            /* call_sid: ops of one call share a connection */
    int replay;              /* sent from the spool */
    /* reads */
    hk_store_read_cb cb;
    void *ud;
    char tenant[64];
    int single;              /* call_get: an object, not an array */
    hk_pg_op *next;          /* a connection's queue, or spool.c's loaded list */
    hk_pg_op *sp_next;       /* pg.c's spool list (an op can be on both while replaying) */
};

hk_pg_op *hk_pg_op_new(int stmt, const char *key);
/* Bind parameter i: text (NULL for SQL NULL), or n bytes of binary. */
void hk_pg_op_text(hk_pg_op *op, int i, const char *s);
void hk_pg_op_bin(hk_pg_op *op, int i, const uint8_t *b, int n);
void hk_pg_op_free(hk_pg_op *op);

/* ---- one connection (pg_conn.c) ---- */
enum { HK_CONN_DOWN = 0, HK_CONN_CONNECTING, HK_CONN_PREPARING, HK_CONN_READY };

typedef struct hk_pg_conn hk_pg_conn;
typedef struct hk_pg_conn_cbs {
    void *ud;
    void (*ready)(void *ud, hk_pg_conn *c);
    /* op finished: res is its result (NULL when the connection broke);
     * transient: worth retrying later (connection or server state), else the
     * statement itself failed. The callee owns op; res is freed after. */
    void (*done)(void *ud, hk_pg_conn *c, hk_pg_op *op, PGresult *res, int transient);
    /* connection lost: queued ops are handed back one by one via done() first */
    void (*down)(void *ud, hk_pg_conn *c);
} hk_pg_conn_cbs;

struct hk_pg_conn {
    struct ev_loop *loop;
    const char *conninfo;
    hk_pg_conn_cbs cbs;
    PGconn *pg;
    int state;
    int prep_next;
    ev_io io;
    int io_fd, io_events;
    ev_timer retry;
    double retry_s;
    ev_timer deadline;       /* connect or in-flight statement taking too long */
    hk_pg_op *cur;           /* in flight */
    PGresult *cur_res;
    hk_pg_op *qhead, *qtail; /* waiting for cur */
    int queued;
    char last_error[256];
};

void hk_pg_conn_init(hk_pg_conn *c, struct ev_loop *loop, const char *conninfo, double retry_s,
                     const hk_pg_conn_cbs *cbs);
void hk_pg_conn_start(hk_pg_conn *c);
/* Queue op (sent when the connection is ready and idle). */
void hk_pg_conn_send(hk_pg_conn *c, hk_pg_op *op);
/* Close the connection and return queued and in-flight ops through take(). */
void hk_pg_conn_close(hk_pg_conn *c, void (*take)(void *ud, hk_pg_op *op), void *ud);

/* ---- the spool (spool.c) ---- */
typedef struct hk_spool hk_spool;
/* Opens (creating) path; records already there are returned, oldest seq
 * first, in *loaded. */
hk_spool *hk_spool_open(const char *path, hk_pool *pool, hk_pg_op **loaded, char *err, size_t errlen);
/* Append op's record; written and fsynced on the pool, in call order. */
void hk_spool_append(hk_spool *sp, const hk_pg_op *op);
/* Every record appended so far has reached the database: empty the file. */
void hk_spool_clear(hk_spool *sp);
/* A record the database refused (not a connection problem): kept in
 * <path>.rejected for a human, never retried. */
void hk_spool_reject(hk_spool *sp, const hk_pg_op *op, const char *why);
/* Appends not yet fsynced. */
int hk_spool_unsynced(const hk_spool *sp);
/* Synchronous append (shutdown only). */
void hk_spool_append_now(hk_spool *sp, const hk_pg_op *op);
void hk_spool_free(hk_spool *sp);
/* The JSON line of a record (malloc'ed) and back. */
char *hk_spool_encode(const hk_pg_op *op);
hk_pg_op *hk_spool_decode(const char *line);

/* ---- connection string (pg_conninfo.c) ---- */
/* conninfo as key=value with the host name resolved once and pinned as
 * hostaddr= (blocking: startup only). malloc'ed; NULL with err. */
char *hk_pg_conninfo_pin(const char *conninfo, char *err, size_t errlen);

/* ---- API resources (pg_docs.c; pg.c puts them in its vtable) ---- */
/* Send a read (or an API resource operation) to the least busy connection;
 * "database unavailable" at once when none is up. */
void hk_pg_submit_read(hk_store *s, hk_pg_op *op);
void hk_pg_doc_create(hk_store *s, int kind, const char *tenant_id, const struct cJSON *body,
                      hk_store_read_cb cb, void *ud);
void hk_pg_doc_get(hk_store *s, int kind, const char *tenant_id, const char *id,
                   hk_store_read_cb cb, void *ud);
void hk_pg_doc_list(hk_store *s, int kind, const char *tenant_id, const hk_store_doc_filter *f,
                    hk_store_read_cb cb, void *ud);
void hk_pg_doc_patch(hk_store *s, int kind, const char *tenant_id, const char *id,
                     const struct cJSON *patch, hk_store_read_cb cb, void *ud);
void hk_pg_doc_delete(hk_store *s, int kind, const char *tenant_id, const char *id,
                      hk_store_read_cb cb, void *ud);
void hk_pg_number_find(hk_store *s, const char *number, hk_store_read_cb cb, void *ud);

/* ---- Vapi's /call (pg_calls.c; pg.c puts them in its vtable) ---- */
void hk_pg_call_records(hk_store *s, const char *tenant_id, const hk_store_call_query *q,
                        hk_store_read_cb cb, void *ud);
void hk_pg_call_rename(hk_store *s, const char *tenant_id, const char *id, const char *name,
                       hk_store_read_cb cb, void *ud);
void hk_pg_call_delete(hk_store *s, const char *tenant_id, const char *id, hk_store_read_cb cb,
                       void *ud);

/* ---- the dashboard (pg_overview.c, pg_api_keys.c) ---- */
void hk_pg_overview(hk_store *s, const char *tenant_id, const hk_store_overview_query *q,
                    hk_store_read_cb cb, void *ud);
void hk_pg_api_keys_list(hk_store *s, const char *tenant_id, hk_store_read_cb cb, void *ud);
void hk_pg_api_key_create(hk_store *s, const char *tenant_id, const hk_store_api_key_new *k,
                          hk_store_read_cb cb, void *ud);
void hk_pg_api_key_used(hk_store *s, const char *id);
void hk_pg_api_key_revoke(hk_store *s, const char *tenant_id, const char *id, hk_store_read_cb cb,
                          void *ud);
/* ---- the tenant's org settings (pg_org.c; pg.c puts them in its vtable) ---- */
void hk_pg_org_get(hk_store *s, const char *tenant_id, hk_store_read_cb cb, void *ud);
void hk_pg_org_patch(hk_store *s, const char *tenant_id, const struct cJSON *patch,
                     hk_store_read_cb cb, void *ud);
/* the keys the store seals with (pg.c): the search's hashes (pg_calls.c) */
const struct hk_keyring *hk_pg_keys(hk_store *s);

/* ---- reads (pg_read.c) ---- */
struct cJSON *hk_pg_result_json(PGresult *res, const struct hk_keyring *keys, const char *tenant,
                                int single, char *err, size_t errlen);

/* pg_auth.c */
void hk_pg_api_key_find(hk_store *s, const char *prefix, hk_store_read_cb cb, void *ud);
void hk_pg_user_find(hk_store *s, const char *email, hk_store_read_cb cb, void *ud);

#endif
