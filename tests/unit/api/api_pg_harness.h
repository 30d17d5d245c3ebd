/* tests/unit/api/api_pg_harness: what the REST API tests over PostgreSQL
 * share (test_api_call_pg.c, test_api_dash_pg.c), one copy: the side
 * connection to the private cluster (store_pg_helpers.h) with the schema
 * migrated, SQL that must succeed, API keys as api_keys rows, the PostgreSQL
 * store on loop with a keyring and a spool, and closing what they opened.
 * Header-only; include after api_http_harness.h (or the cases including it). */
#ifndef HK_TEST_API_PG_HARNESS_H
#define HK_TEST_API_PG_HARNESS_H

#include "core/pool.h"
#include "store/crypto.h"
#include "store/migrate.h"
#include "../store/store_pg_helpers.h"

static hk_pool *pool;
static PGconn *raw;

static inline void exec_ok(const char *sql, int n, const char *const *vals) {
    PGresult *r = PQexecParams(raw, sql, n, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
}

/* a new API key of tenant, as an api_keys row */
static inline void add_pg_key(const char *tenant, char *key) {
    char prefix[HK_APIKEY_PREFIX_LEN + 1], hex[65];
    uint8_t hash[32];
    assert_int_equal(hk_apikey_new(key, prefix, hash), 0);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", hash[i]);
    const char *p[] = {tenant, prefix, hex};
    exec_ok("INSERT INTO api_keys (tenant_id, key_prefix, key_hash) VALUES ($1::uuid, $2, "
            "decode($3, 'hex'))", 3, p);
}

/* raw connected, the schema migrated; 0, or -1 said on stderr */
static inline int pg_migrated(void) {
    raw = raw_connect();
    char err[512];
    if (hk_migrate_run(raw, HARK_SOURCE_DIR "/schema", stderr, err, sizeof err) < 0) {
        fprintf(stderr, "migrate: %s\n", err);
        return -1;
    }
    return 0;
}

/* the PostgreSQL store on loop and pool, sealing with keys ("id:hex,..."),
 * its spool $HARK_TEST_TMP/spool_name; NULL when it cannot */
static inline hk_store *open_pg_store(const char *keys, const char *spool_name) {
    char err[512], spool[300];
    hk_keyring kr;
    if (hk_keyring_parse(&kr, keys, err, sizeof err) != 0) return NULL;
    snprintf(spool, sizeof spool, "%s/%s", getenv("HARK_TEST_TMP") ? getenv("HARK_TEST_TMP") : "/tmp",
             spool_name);
    hk_store_pg_opts o = {.loop = loop, .conninfo = getenv("HARK_TEST_PG_URL"), .connections = 2,
                          .pool = pool, .keys = &kr, .spool_path = spool, .reconnect_s = 0.1};
    hk_store *s = hk_store_pg_new(&o, err, sizeof err);
    if (!s) fprintf(stderr, "store: %s\n", err);
    return s;
}

/* after the cases' stop: the pool, the loop, the side connection */
static inline int pg_close(void) {
    hk_pool_free(pool);
    ev_loop_destroy(loop);
    PQfinish(raw);
    return 0;
}

#endif
