/* tests/unit/api/test_api_dash_pg: the dashboard's data over real HTTP with
 * the PostgreSQL store (the cases: api_dash_cases.h, which the memory store
 * passes in test_api_dash.c), on a private cluster (store_pg_helpers.h): the
 * schema migrated, two tenants, the agents as rows, content sealed with a
 * data key, API keys as api_keys rows. And what only PostgreSQL shows: the
 * search index holds hashes, never words, and they differ between tenants;
 * API key rows keep only the hash of a key the API created; a key rotation
 * keeps calls sealed under the previous key searchable, and after hark rekey
 * the newest key alone finds them. A machine without
 * PostgreSQL skips it visibly (exit 77). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../guarded_run.h"
#include "core/log.h"

static void cases_settle(void);
static void add_key_row(const char *tenant, char *key);
static int make_tie(const char *a, const char *b, const char *c);

#include "api_dash_cases.h"
#include "api_pg_harness.h"

#define KEY1 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY2 "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"

static void cases_settle(void) { drain(loop, app.store, 10.); }

static void add_key_row(const char *tenant, char *key) { add_pg_key(tenant, key); }

/* a, b, c created within one millisecond (a newest), around b's time */
static int make_tie(const char *a, const char *b, const char *c) {
    exec_ok("UPDATE calls SET created_at = date_trunc('milliseconds', (SELECT created_at FROM calls "
            "WHERE call_sid = $2)) + CASE call_sid WHEN $1 THEN interval '300 microseconds' "
            "WHEN $2 THEN interval '200 microseconds' ELSE interval '100 microseconds' END "
            "WHERE call_sid IN ($1, $2, $3)", 3, (const char *[]){a, b, c});
    return 1;
}

static hk_store *open_store(const char *keys) { return open_pg_store(keys, "api-dash-spool"); }

static int setup(void **state) {
    (void)state;
    if (pg_migrated() != 0) return -1;
    exec_ok("INSERT INTO tenants (id, name) VALUES ($1::uuid, 'Beta')", 1, (const char *[]){TB});
    exec_ok("INSERT INTO agents (id, tenant_id, name) VALUES ($1::uuid, $2::uuid, 'Front desk')", 2,
            (const char *[]){AG1, TA});
    exec_ok("INSERT INTO agents (id, tenant_id, name) VALUES ($1::uuid, $2::uuid, 'Bakery')", 2,
            (const char *[]){AG2, TA});
    loop = ev_loop_new(EVFLAG_AUTO);
    pool = hk_pool_new(loop, 1);
    app.store = open_store("1:" KEY1);
    if (!app.store) return -1;
    drain(loop, app.store, 10.);
    return dash_cases_start();
}

static int teardown(void **state) {
    (void)state;
    dash_cases_stop();
    return pg_close();
}

static void test_dash(void **state) {
    (void)state;
    /* sealed at rest; the index holds hashes, a tenant's differ from another's */
    assert_int_equal(raw_long(raw, "SELECT count(*) FROM calls WHERE position('Tuesday'::bytea IN "
                                   "transcript) > 0", 0, NULL), 0);
    assert_int_equal(raw_long(raw, "SELECT count(*) FROM calls WHERE cardinality(words) > 0", 0,
                              NULL), 4);
    assert_int_equal(raw_long(raw, "SELECT count(*) FROM calls a JOIN calls b ON a.call_sid = 'S1' "
                                   "AND b.call_sid = 'B1' AND a.words && b.words", 0, NULL), 0);
    dash_cases_run();
    /* the API's key: its prefix and hash only */
    assert_int_equal(raw_long(raw, "SELECT count(*) FROM api_keys WHERE name = 'ci deploys' AND "
                                   "length(key_hash) = 32 AND revoked_at IS NOT NULL", 0, NULL), 1);
    char *name = raw_value(raw, "SELECT name FROM agents WHERE id = $1::uuid", 1,
                           (const char *[]){AG1});
    assert_string_equal(name, "Front desk");
    free(name);
}

typedef struct got {
    int done;
    cJSON *result;
} got;

static void got_cb(void *ud, cJSON *result, const char *err) {
    got *g = ud;
    (void)err;
    g->result = result;
    g->done = 1;
}

/* each word's calls of tenant a, as s finds them, against want */
static void search_is(hk_store *s, const char *const *words, const char *const *want) {
    for (int i = 0; words[i]; i++) {
        got g = {0};
        hk_store_call_query q = {.t = {.limit = 10}, .search = words[i]};
        s->v->call_records(s, TA, &q, got_cb, &g);
        for (int spins = 0; !g.done && spins < 10000; spins++) ev_run(loop, EVRUN_ONCE);
        assert_true(g.done);
        char list[64] = "";
        const cJSON *r;
        cJSON_ArrayForEach(r, g.result) {
            if (list[0]) strcat(list, ",");
            strcat(list, jstr(r, "call_sid"));
        }
        if (strcmp(list, want[i])) fail_msg("%s: %s, want %s", words[i], list, want[i]);
        cJSON_Delete(g.result);
    }
}

/* a new data key seals from now on; calls sealed under the one before stay
 * searchable (their words are hashed under it) */
static void test_search_after_rotation(void **state) {
    (void)state;
    hk_store *rotated = open_store("1:" KEY1 ",2:" KEY2);
    assert_non_null(rotated);
    drain(loop, rotated, 10.);
    hk_store_call c = {.call_sid = "R1", .tenant_id = TA, .from = "+15550001111", .to = "+15550002222",
                       .inbound = 1};
    assert_int_equal(hk_store_call_create(rotated, &c), 0);
    hk_store_call_summary e = {.call_sid = "R1", .tenant_id = TA, .duration_s = 3,
                               .ended_reason = "customer-ended-call",
                               .transcript = "user: rotate the Tuesday keys\n", .cost_total = -1};
    assert_int_equal(hk_store_call_end(rotated, &e), 0);
    drain(loop, rotated, 10.);
    search_is(rotated, (const char *[]){"tuesday", "rotate", "booked", NULL},
              (const char *[]){"R1,S1", "R1", "S3,S1"});
    hk_store_free(rotated);

    /* hark rekey moves the words with the transcripts: key 1 can go */
    char err[256];
    hk_keyring kr;
    assert_int_equal(hk_keyring_parse(&kr, "1:" KEY1 ",2:" KEY2, err, sizeof err), 0);
    assert_true(hk_rekey_run(raw, &kr, stderr, err, sizeof err) > 0);
    hk_store *only2 = open_store("2:" KEY2);
    assert_non_null(only2);
    drain(loop, only2, 10.);
    search_is(only2, (const char *[]){"tuesday", "rotate", "booked", "user", NULL},
              (const char *[]){"R1,S1", "R1", "S3,S1", ""});
    hk_store_free(only2);
}

int main(void) {
    hk_log_init(getenv("HARK_LOG_LEVEL"));
    (void)await, (void)read_cb, (void)pg_ctl; /* store_pg_helpers.h's, for other tests */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = pg_private_start();
    if (rc != 0) return rc;
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_dash),
                                       cmocka_unit_test(test_search_after_rotation)};
    rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
