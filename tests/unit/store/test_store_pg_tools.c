/* tests/unit/store/test_store_pg_tools: API tools (Vapi's /tool, kind
 * HK_DOC_TOOL) in a real PostgreSQL: rows of tools (schema/007_tools.sql)
 * with the document as jsonb and type following it; create/get/list/patch/
 * delete through the store with the contract of store.h (owned fields are
 * columns, newest first, createdAt bounds, another tenant's id is "not
 * found", a delete hides the row and keeps it). Starts a private cluster like
 * test_store_pg (store_pg_helpers.h); a machine without PostgreSQL skips it
 * visibly (exit 77). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../guarded_run.h"
#include "core/log.h"
#include "core/pool.h"
#include "store/migrate.h"
#include "store_pg_helpers.h"

static struct ev_loop *loop;
static hk_pool *pool;
static hk_store *store;
static PGconn *raw;
static char tenant_a[64], tenant_b[64];

/* one store answer: the result (caller frees; NULL: not found), no error */
static cJSON *run(read_ctx *r) {
    cJSON *res = await(loop, r);
    assert_string_equal(r->err, "");
    return res;
}

static cJSON *t_create(const char *tenant, const char *json) {
    read_ctx r = {.loop = loop};
    cJSON *body = cJSON_Parse(json);
    hk_store_doc_create(store, HK_DOC_TOOL, tenant, body, read_cb, &r);
    cJSON_Delete(body);
    return run(&r);
}

static cJSON *t_get(const char *tenant, const char *id) {
    read_ctx r = {.loop = loop};
    hk_store_doc_get(store, HK_DOC_TOOL, tenant, id, read_cb, &r);
    return run(&r);
}

static cJSON *t_list(const char *tenant, const hk_store_doc_filter *f) {
    read_ctx r = {.loop = loop};
    hk_store_doc_list(store, HK_DOC_TOOL, tenant, f, read_cb, &r);
    return run(&r);
}

static cJSON *t_patch(const char *tenant, const char *id, const char *json) {
    read_ctx r = {.loop = loop};
    cJSON *p = cJSON_Parse(json);
    hk_store_doc_patch(store, HK_DOC_TOOL, tenant, id, p, read_cb, &r);
    cJSON_Delete(p);
    return run(&r);
}

static cJSON *t_delete(const char *tenant, const char *id) {
    read_ctx r = {.loop = loop};
    hk_store_doc_delete(store, HK_DOC_TOOL, tenant, id, read_cb, &r);
    return run(&r);
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
    snprintf(spool, sizeof spool, "%s/tools-spool", getenv("HARK_TEST_TMP") ? getenv("HARK_TEST_TMP") : "/tmp");
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

static void test_tools(void **state) {
    (void)state;
    cJSON *c = t_create(tenant_a, "{\"type\":\"function\",\"id\":\"ignored\",\"function\":{\"name\":\"book\"},"
                                  "\"server\":{\"url\":\"https://example.com/t\"},\"extra\":[1,2]}");
    assert_non_null(c);
    const char *id = jstr(c, "id");
    assert_true(hk_store_is_uuid(id));
    assert_string_equal(jstr(c, "orgId"), tenant_a);
    assert_string_equal(jstr(c, "type"), "function");
    assert_non_null(cJSON_GetObjectItemCaseSensitive(c, "extra"));
    assert_int_equal(strlen(jstr(c, "createdAt")), 24); /* ms precision, Z */
    /* the row: type a column, the document without owned fields */
    const char *p[] = {id};
    char *v = raw_value(raw, "SELECT type || '|' || (config->'function'->>'name') || '|' || (config ? 'id')::text "
                             "|| '|' || tenant_id::text FROM tools WHERE id = $1::uuid", 1, p);
    char want[200];
    snprintf(want, sizeof want, "function|book|false|%s", tenant_a);
    assert_string_equal(v, want);
    free(v);

    cJSON *g = t_get(tenant_a, id);
    assert_true(cJSON_Compare(g, c, 1));
    assert_null(t_get(tenant_b, id));       /* another tenant's: not found */
    assert_null(t_get(tenant_a, "nope"));   /* a malformed id: not found */

    cJSON *e = t_create(tenant_a, "{\"type\":\"endCall\"}");
    hk_store_doc_filter f = {0};
    cJSON *l = t_list(tenant_a, &f);
    assert_int_equal(cJSON_GetArraySize(l), 2);
    assert_string_equal(jstr(cJSON_GetArrayItem(l, 0), "id"), jstr(e, "id")); /* newest first */
    cJSON *lb = t_list(tenant_b, &f);
    assert_int_equal(cJSON_GetArraySize(lb), 0);
    f.limit = 1;
    cJSON *l1 = t_list(tenant_a, &f);
    assert_int_equal(cJSON_GetArraySize(l1), 1);
    hk_store_doc_filter fc = {0};
    assert_int_equal(hk_store_time_parse(jstr(e, "createdAt"), &fc.created_gt), 0);
    cJSON *lf = t_list(tenant_a, &fc);
    assert_int_equal(cJSON_GetArraySize(lf), 0);

    /* patch: merged, type follows, updatedAt moves, createdAt stays */
    cJSON *pt = t_patch(tenant_a, id, "{\"type\":\"transferCall\",\"destinations\":[]}");
    assert_string_equal(jstr(pt, "type"), "transferCall");
    assert_non_null(cJSON_GetObjectItemCaseSensitive(pt, "server"));
    assert_string_equal(jstr(pt, "createdAt"), jstr(c, "createdAt"));
    assert_true(strcmp(jstr(pt, "updatedAt"), jstr(c, "updatedAt")) > 0);
    v = raw_value(raw, "SELECT type FROM tools WHERE id = $1::uuid", 1, p);
    assert_string_equal(v, "transferCall");
    free(v);
    assert_null(t_patch(tenant_b, id, "{\"type\":\"x\"}"));

    /* delete: the object, then gone for reads; the row stays, hidden */
    assert_null(t_delete(tenant_b, id));
    cJSON *d = t_delete(tenant_a, id);
    assert_string_equal(jstr(d, "id"), id);
    assert_null(t_get(tenant_a, id));
    assert_null(t_delete(tenant_a, id));
    assert_int_equal(raw_long(raw, "SELECT count(*) FROM tools WHERE id = $1::uuid AND deleted_at IS NOT NULL",
                              1, p), 1);
    cJSON *l2 = t_list(tenant_a, &f);
    assert_int_equal(cJSON_GetArraySize(l2), 1);
    cJSON *all[] = {c, g, e, l, lb, l1, lf, pt, d, l2};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) cJSON_Delete(all[i]);
}

int main(void) {
    hk_log_init(getenv("HARK_LOG_LEVEL"));
    (void)pg_ctl;
    int rc = pg_private_start();
    if (rc != 0) return rc;
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_tools)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
