/* tests/unit/api/test_doc_resource: the frame /assistant, /tool and
 * /phone-number share (api/doc_resource.c), over real HTTP with the memory
 * store, on what the per-resource tests do not reach: a PATCH's null clears
 * a field of a /tool and a /phone-number (stored, and read back, as null);
 * without a store every route of the three answers 503 naming its
 * resource, yet a malformed body is still the 400 it is first; a store that
 * fails answers 503 "the store is unavailable" on every route (list, get,
 * delete, PATCH's read and its write, create), and a unique clash the
 * store reports on a /phone-number write (two writers racing the same
 * number) is the 400 "number is already registered", on /tool a 503. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api_http_harness.h"
#include "core/log.h"

static int setup(void **state) {
    (void)state;
    return harness_memory_setup(NULL, "11111111-0000-4000-8000-0000000000d1",
                                "11111111-0000-4000-8000-0000000000d2");
}

/* a reply's status and, for an error, Vapi's error shape with its message */
static void expect(const char *method, const char *path, const char *body, long status,
                   const char *message) {
    reply r = req(method, path, key_a, body);
    if (r.status != status) fprintf(stderr, "%s %s: %ld, want %ld\n", method, path, r.status, status);
    assert_int_equal(r.status, status);
    if (message) {
        assert_int_equal(at(r.json, "statusCode")->valueint, status);
        assert_true(says(&r, message));
    }
    cJSON_Delete(r.json);
}

/* the id of what POST path body made (201) */
static void created(const char *path, const char *body, char id[64]) {
    reply c = req("POST", path, key_a, body);
    assert_int_equal(c.status, 201);
    snprintf(id, 64, "%s", s_of(c.json, "id"));
    cJSON_Delete(c.json);
}

/* PATCH path with body answers 200 with field null, and so does a GET */
static void patch_clears(const char *path, const char *body, const char *field) {
    reply p = req("PATCH", path, key_a, body);
    assert_int_equal(p.status, 200);
    assert_true(cJSON_IsNull(at(p.json, field)));
    assert_non_null(s_of(p.json, "updatedAt"));
    cJSON_Delete(p.json);
    reply g = req("GET", path, key_a, NULL);
    assert_int_equal(g.status, 200);
    assert_true(cJSON_IsNull(at(g.json, field)));
    cJSON_Delete(g.json);
}

static void test_patch_null_clears(void **state) {
    (void)state;
    harness_loop_start();
    char id[64], path[128];
    created("/tool", "{\"type\":\"endCall\",\"messages\":[{\"type\":\"request-start\"}]}", id);
    snprintf(path, sizeof path, "/tool/%s", id);
    patch_clears(path, "{\"messages\":null}", "messages");
    /* the merged whole is checked: a null server is no server URL */
    expect("PATCH", path, "{\"server\":null}", 400, "server.url must be an http or https URL");

    created("/phone-number", "{\"number\":\"+14155550177\",\"twilioAccountSid\":\"AC1\",\"name\":\"Front\"}",
            id);
    snprintf(path, sizeof path, "/phone-number/%s", id);
    patch_clears(path, "{\"name\":null}", "name");
    /* the credentials a patch carries are dropped, the rest kept */
    reply p = req("PATCH", path, key_a, "{\"twilioAuthToken\":\"secret\",\"name\":\"Back\"}");
    assert_int_equal(p.status, 200);
    assert_string_equal(s_of(p.json, "name"), "Back");
    assert_null(at(p.json, "twilioAuthToken"));
    cJSON_Delete(p.json);
    harness_loop_stop();
}

static void test_no_store(void **state) {
    (void)state;
    hk_store *kept = app.store;
    app.store = NULL;
    harness_loop_start();
    static const char *res[][2] = {{"/assistant", "assistants"},
                                   {"/tool", "tools"},
                                   {"/phone-number", "phone numbers"}};
    for (int i = 0; i < 3; i++) {
        char why[96], one[96];
        snprintf(why, sizeof why, "no store: %s need the database (HARK_STORE)", res[i][1]);
        snprintf(one, sizeof one, "%s/7a1c2d3e-0000-4000-8000-00000000ffff", res[i][0]);
        expect("GET", res[i][0], NULL, 503, why);
        expect("POST", res[i][0], "{\"type\":\"endCall\"}", 503, why);
        expect("GET", one, NULL, 503, why);
        expect("PATCH", one, "{\"name\":\"x\"}", 503, why);
        expect("DELETE", one, NULL, 503, why);
        /* the body is read before the store is asked for */
        expect("POST", res[i][0], "[1]", 400, "the body must be a JSON object");
        expect("PATCH", one, "nope", 400, "the body must be a JSON object");
    }
    expect("GET", "/v2/phone-number", NULL, 503, "no store: phone numbers need the database");
    harness_loop_stop();
    app.store = kept;
}

/* a store whose document calls fail (with err, as PostgreSQL's would) */
static const char *fail_err = "server closed the connection";
static void fail_create(hk_store *s, int k, const char *t, const cJSON *b, hk_store_read_cb cb, void *ud) {
    (void)s, (void)k, (void)t, (void)b;
    cb(ud, NULL, fail_err);
}
static void fail_id(hk_store *s, int k, const char *t, const char *id, hk_store_read_cb cb, void *ud) {
    (void)s, (void)k, (void)t, (void)id;
    cb(ud, NULL, fail_err);
}
static void fail_list(hk_store *s, int k, const char *t, const hk_store_doc_filter *f, hk_store_read_cb cb,
                      void *ud) {
    (void)s, (void)k, (void)t, (void)f;
    cb(ud, NULL, fail_err);
}
static void fail_patch(hk_store *s, int k, const char *t, const char *id, const cJSON *p,
                       hk_store_read_cb cb, void *ud) {
    (void)s, (void)k, (void)t, (void)id, (void)p;
    cb(ud, NULL, fail_err);
}

#define UNAVAILABLE "the store is unavailable; try again"

static void test_store_errors(void **state) {
    (void)state;
    harness_loop_start();
    char tool[64], number[64], tpath[128], npath[128];
    created("/tool", "{\"type\":\"endCall\"}", tool);
    created("/phone-number", "{\"number\":\"+14155550178\",\"twilioAccountSid\":\"AC1\"}", number);
    snprintf(tpath, sizeof tpath, "/tool/%s", tool);
    snprintf(npath, sizeof npath, "/phone-number/%s", number);
    harness_loop_stop();

    const hk_store_vtable *mem = app.store->v;
    hk_store_vtable broken = *mem;
    broken.doc_list = fail_list;
    broken.doc_get = fail_id;
    broken.doc_delete = fail_id;
    app.store->v = &broken;
    harness_loop_start();
    static const char *lists[] = {"/assistant", "/tool", "/phone-number", "/v2/phone-number"};
    for (int i = 0; i < 4; i++) expect("GET", lists[i], NULL, 503, UNAVAILABLE);
    expect("GET", tpath, NULL, 503, UNAVAILABLE);
    expect("DELETE", npath, NULL, 503, UNAVAILABLE);
    expect("PATCH", tpath, "{\"type\":\"dtmf\"}", 503, UNAVAILABLE);
    harness_loop_stop();

    /* the reads work, the writes fail: a unique clash is the number's 400 */
    broken = *mem;
    broken.doc_create = fail_create;
    broken.doc_patch = fail_patch;
    app.store->v = &broken;
    harness_loop_start();
    fail_err = "ERROR: duplicate key value violates unique constraint \"docs_number\"";
    expect("POST", "/phone-number", "{\"number\":\"+14155550179\",\"twilioAccountSid\":\"AC1\"}", 400,
           "number is already registered");
    expect("PATCH", npath, "{\"name\":\"Race\"}", 400, "number is already registered");
    expect("POST", "/tool", "{\"type\":\"endCall\"}", 503, UNAVAILABLE);
    expect("PATCH", tpath, "{\"type\":\"dtmf\"}", 503, UNAVAILABLE);
    fail_err = "server closed the connection";
    expect("POST", "/phone-number", "{\"number\":\"+14155550179\",\"twilioAccountSid\":\"AC1\"}", 503,
           UNAVAILABLE);
    expect("PATCH", npath, "{\"name\":\"Race\"}", 503, UNAVAILABLE);
    harness_loop_stop();
    app.store->v = mem;

    /* nothing was written by the refused writes */
    harness_loop_start();
    reply g = req("GET", tpath, key_a, NULL);
    assert_int_equal(g.status, 200);
    assert_string_equal(s_of(g.json, "type"), "endCall");
    cJSON_Delete(g.json);
    harness_loop_stop();
}

int main(void) {
    hk_log_init(getenv("HARK_LOG_LEVEL"));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_patch_null_clears),
        cmocka_unit_test(test_no_store),
        cmocka_unit_test(test_store_errors),
    };
    int rc = cmocka_run_group_tests(tests, setup, harness_group_teardown);
    curl_global_cleanup();
    return rc;
}
