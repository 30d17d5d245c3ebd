/* tests/unit/store/test_store_pg_docs: API resources (assistants) in a real
 * PostgreSQL: the contract of store_docs_cases.h (the memory store passes the
 * same cases in test_store_docs.c), then what only a database shows: the row
 * is an agents row (so calls can point at it), the document is stored as
 * jsonb, a deleted assistant keeps its row for the calls that used it, and
 * with the database gone a create answers an error at once instead of
 * queueing. Starts a private cluster like test_store_pg (store_pg_helpers.h);
 * a machine without PostgreSQL skips it visibly (exit 77). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../guarded_run.h"
#include "core/log.h"
#include "core/pool.h"
#include "store/migrate.h"
#include "store_docs_cases.h"
#include "store_pg_helpers.h"

static struct ev_loop *loop;
static hk_pool *pool;
static hk_store *store;
static PGconn *raw;
static char tenant_a[64], tenant_b[64];

static void docs_await(doc_answer *a) {
    ev_timer guard;
    int fired = 0;
    ev_timer_init(&guard, on_guard, 10., 0.);
    guard.data = &fired;
    ev_timer_start(loop, &guard);
    while (!a->done && !fired) ev_run(loop, EVRUN_ONCE);
    ev_timer_stop(loop, &guard);
    assert_false(fired);
}

static int setup(void **state) {
    (void)state;
    raw = raw_connect();
    char err[512];
    if (hk_migrate_run(raw, HARK_SOURCE_DIR "/schema", stderr, err, sizeof err) < 0) {
        fprintf(stderr, "migrate: %s\n", err);
        return -1;
    }
    char *a = raw_value(raw, "INSERT INTO tenants (name) VALUES ('Acme') RETURNING id", 0, NULL);
    char *b = raw_value(raw, "INSERT INTO tenants (name) VALUES ('Beta') RETURNING id", 0, NULL);
    snprintf(tenant_a, sizeof tenant_a, "%s", a);
    snprintf(tenant_b, sizeof tenant_b, "%s", b);
    free(a), free(b);
    loop = ev_loop_new(EVFLAG_AUTO);
    pool = hk_pool_new(loop, 1);
    char spool[300];
    snprintf(spool, sizeof spool, "%s/docs-spool", getenv("HARK_TEST_TMP") ? getenv("HARK_TEST_TMP") : "/tmp");
    hk_store_pg_opts o = {.loop = loop, .conninfo = getenv("HARK_TEST_PG_URL"), .connections = 2,
                          .pool = pool, .spool_path = spool, .reconnect_s = 0.1};
    store = hk_store_pg_new(&o, err, sizeof err);
    if (!store) {
        fprintf(stderr, "store: %s\n", err);
        return -1;
    }
    drain(loop, store, 10.);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    hk_store_free(store);
    hk_pool_free(pool);
    ev_loop_destroy(loop);
    PQfinish(raw);
    return 0;
}

static void test_create_get(void **state) { (void)state; docs_case_create_get(store, tenant_a, tenant_b); }
static void test_list(void **state) { (void)state; docs_case_list(store, tenant_a, tenant_b); }
static void test_patch(void **state) { (void)state; docs_case_patch(store, tenant_a, tenant_b); }
static void test_delete(void **state) { (void)state; docs_case_delete(store, tenant_a, tenant_b); }

/* the assistant is an agents row: config is the document, name follows it,
 * version moves with each patch, a delete hides the row and keeps it */
static void test_rows(void **state) {
    (void)state;
    cJSON *c = d_create(store, tenant_a, "{\"name\":\"Row\",\"voice\":{\"provider\":\"espeak\"}}");
    const char *id = dstr(c, "id");
    const char *p[] = {id};
    char *v = raw_value(raw, "SELECT config->'voice'->>'provider' || '|' || name || '|' || version "
                             "|| '|' || (config ? 'id')::text FROM agents WHERE id = $1::uuid", 1, p);
    assert_string_equal(v, "espeak|Row|1|false"); /* owned fields are columns, not in config */
    free(v);
    cJSON_Delete(d_patch(store, tenant_a, id, "{\"name\":\"Row 2\"}"));
    v = raw_value(raw, "SELECT name || '|' || version FROM agents WHERE id = $1::uuid", 1, p);
    assert_string_equal(v, "Row 2|2");
    free(v);
    /* a call can point at it (calls.agent_id references agents) */
    const char *cp[] = {tenant_a, id};
    PQclear(PQexecParams(raw, "INSERT INTO calls (call_sid, tenant_id, agent_id, from_number, to_number) "
                              "VALUES ('CAdocs1', $1::uuid, $2::uuid, '+15550001', '+15550002')",
                         2, NULL, cp, NULL, NULL, 0));
    cJSON_Delete(d_delete(store, tenant_a, id));
    assert_int_equal(raw_long(raw, "SELECT count(*) FROM agents WHERE id = $1::uuid AND deleted_at "
                                   "IS NOT NULL", 1, p), 1);
    assert_int_equal(raw_long(raw, "SELECT count(*) FROM calls WHERE call_sid = 'CAdocs1' AND "
                                   "agent_id = $1::uuid", 1, p), 1);
    /* two assistants may share a name (Vapi's name is not unique) */
    cJSON *x = d_create(store, tenant_a, "{\"name\":\"Same\"}");
    cJSON *y = d_create(store, tenant_a, "{\"name\":\"Same\"}");
    assert_string_not_equal(dstr(x, "id"), dstr(y, "id"));
    /* no name at all */
    cJSON *z = d_create(store, tenant_a, "{}");
    assert_null(cJSON_GetObjectItemCaseSensitive(z, "name"));
    cJSON_Delete(x), cJSON_Delete(y), cJSON_Delete(z), cJSON_Delete(c);
}

/* database stopped: the request fails at once, nothing is spooled */
static void test_database_down(void **state) {
    (void)state;
    pg_ctl("stop");
    ev_timer t; /* let the connections notice */
    int fired = 0;
    ev_timer_init(&t, on_guard, 0.5, 0.);
    t.data = &fired;
    ev_timer_start(loop, &t);
    while (!fired) ev_run(loop, EVRUN_ONCE);
    doc_answer a = {0};
    cJSON *body = cJSON_Parse("{\"name\":\"offline\"}");
    hk_store_doc_create(store, HK_DOC_ASSISTANT, tenant_a, body, doc_cb, &a);
    cJSON_Delete(body);
    docs_await(&a);
    assert_null(a.result);
    assert_string_not_equal(a.err, "");
    assert_int_equal(hk_store_pending(store), 0);
    pg_ctl("start");
    drain(loop, store, 10.);
    cJSON *c = d_create(store, tenant_a, "{\"name\":\"back\"}");
    cJSON_Delete(c);
}

int main(void) {
    hk_log_init(getenv("HARK_LOG_LEVEL"));
    (void)jstr, (void)await, (void)read_cb; /* store_pg_helpers.h's, for other tests */
    int rc = pg_private_start();
    if (rc != 0) return rc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_get), cmocka_unit_test(test_list),
        cmocka_unit_test(test_patch),      cmocka_unit_test(test_delete),
        cmocka_unit_test(test_rows),       cmocka_unit_test(test_database_down),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
