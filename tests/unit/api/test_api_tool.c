/* tests/unit/api/test_api_tool: Vapi's /tool over real HTTP: a hark HTTP
 * server with the REST routes on loopback (its loop on a thread of its own),
 * the memory store, API keys of two tenants, curl as the client. Create
 * (201, the body echoed with id/orgId/createdAt/updatedAt, unknown fields
 * kept) for function, endCall, transferCall and another Vapi type stored as
 * given; malformed tools refused with 400 in Vapi's error shape naming the
 * field; a bare-array list with limit and date filters; PATCH shallow merge
 * re-checked (a refused patch changes nothing); DELETE answering the object;
 * another tenant's ids answered 404; no key 401. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api_http_harness.h"
#include "core/log.h"

static int setup(void **state) {
    (void)state;
    return harness_memory_setup(NULL, "11111111-0000-4000-8000-000000000003",
                                "11111111-0000-4000-8000-000000000004");
}

#define BOOK "{\"type\":\"function\",\"function\":{\"name\":\"book_table\",\"description\":\"Book a table\"," \
             "\"parameters\":{\"type\":\"object\",\"properties\":{\"people\":{\"type\":\"integer\"}}}}," \
             "\"server\":{\"url\":\"https://example.com/tools\"},\"messages\":[{\"type\":\"request-start\"}]}"

/* 400 in Vapi's shape, its message naming what */
static void refused(const char *method, const char *path, const char *body, const char *what) {
    reply b = req(method, path, key_a, body);
    assert_int_equal(b.status, 400);
    assert_string_equal(s_of(b.json, "error"), "Bad Request");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(b.json, "statusCode")->valueint, 400);
    if (!says(&b, what)) fprintf(stderr, "expected '%s' in the 400 for %s\n", what, body);
    assert_true(says(&b, what));
    cJSON_Delete(b.json);
}

static void test_tool_crud(void **state) {
    (void)state;
    harness_loop_start();

    /* create: 201, echoed with the owned fields, unknown ones kept, owned ones ignored */
    reply c = req("POST", "/tool", key_a, BOOK);
    assert_int_equal(c.status, 201);
    const char *id = s_of(c.json, "id");
    assert_true(hk_store_is_uuid(id));
    assert_string_equal(s_of(c.json, "orgId"), HK_DEFAULT_TENANT);
    assert_non_null(s_of(c.json, "createdAt"));
    assert_string_equal(s_of(c.json, "type"), "function");
    const cJSON *fn = cJSON_GetObjectItemCaseSensitive(c.json, "function");
    assert_string_equal(s_of(fn, "name"), "book_table");
    assert_string_equal(s_of(cJSON_GetObjectItemCaseSensitive(c.json, "server"), "url"),
                        "https://example.com/tools");
    assert_non_null(cJSON_GetObjectItemCaseSensitive(c.json, "messages"));
    reply e = req("POST", "/tool", key_a, "{\"type\":\"endCall\",\"id\":\"mine\",\"orgId\":\"x\"}");
    assert_int_equal(e.status, 201);
    assert_true(hk_store_is_uuid(s_of(e.json, "id")));
    assert_string_equal(s_of(e.json, "orgId"), HK_DEFAULT_TENANT);
    reply t = req("POST", "/tool", key_a,
                  "{\"type\":\"transferCall\",\"destinations\":[{\"type\":\"number\",\"number\":\"+15551234567\"}]}");
    assert_int_equal(t.status, 201);
    reply o = req("POST", "/tool", key_a, "{\"type\":\"dtmf\",\"extra\":{\"kept\":true}}");
    assert_int_equal(o.status, 201);
    assert_true(says(&o, "\"kept\":true"));

    /* malformed: refused, nothing stored */
    refused("POST", "/tool", "{\"function\":{\"name\":\"x\"}}", "type must be a string");
    refused("POST", "/tool", "{\"type\":\"function\"}", "function must be an object");
    refused("POST", "/tool", "{\"type\":\"function\",\"function\":{\"name\":\"has space\"}}", "function.name");
    refused("POST", "/tool", "{\"type\":\"function\",\"function\":{\"name\":\"x\",\"parameters\":{\"type\":\"string\"}}}",
            "function.parameters");
    refused("POST", "/tool", "{\"type\":\"function\",\"function\":{\"name\":\"x\",\"description\":3}}",
            "function.description");
    refused("POST", "/tool", "{\"type\":\"function\",\"function\":{\"name\":\"x\"},\"server\":{\"url\":\"ftp://h\"}}",
            "server.url");
    refused("POST", "/tool", "{\"type\":\"transferCall\",\"destinations\":[1]}", "destinations[0]");
    reply notobj = req("POST", "/tool", key_a, "[1]");
    assert_int_equal(notobj.status, 400);

    /* get, and another tenant's view of it */
    char p[128];
    snprintf(p, sizeof p, "/tool/%s", id);
    check_owned(p, c.json, "{\"type\":\"endCall\"}");
    reply junk = req("GET", "/tool/not-a-uuid", key_a, NULL);
    assert_int_equal(junk.status, 404);

    /* list: bare array, newest first, the 4 stored; b has none */
    reply l = req("GET", "/tool", key_a, NULL);
    assert_int_equal(l.status, 200);
    assert_true(cJSON_IsArray(l.json));
    assert_int_equal(cJSON_GetArraySize(l.json), 4);
    assert_string_equal(s_of(cJSON_GetArrayItem(l.json, 0), "id"), s_of(o.json, "id"));
    assert_string_equal(s_of(cJSON_GetArrayItem(l.json, 3), "id"), id);
    reply lb = req("GET", "/tool", key_b, NULL);
    assert_int_equal(cJSON_GetArraySize(lb.json), 0);
    reply l1 = req("GET", "/tool?limit=1", key_a, NULL);
    assert_int_equal(cJSON_GetArraySize(l1.json), 1);
    char q[200];
    snprintf(q, sizeof q, "/tool?createdAtGt=%s", s_of(o.json, "createdAt"));
    reply lf = req("GET", q, key_a, NULL);
    assert_int_equal(lf.status, 200);
    assert_int_equal(cJSON_GetArraySize(lf.json), 0);
    snprintf(q, sizeof q, "/tool?createdAtLe=%s", s_of(c.json, "createdAt"));
    reply lle = req("GET", q, key_a, NULL);
    assert_true(cJSON_GetArraySize(lle.json) >= 1);
    assert_true(says(&lle, id));
    refused("GET", "/tool?createdAtGt=yesterday", NULL, "createdAtGt");
    refused("GET", "/tool?limit=lots", NULL, "limit");

    /* patch: shallow merge, checked again */
    reply pt = req("PATCH", p, key_a,
                   "{\"function\":{\"name\":\"book_table_v2\",\"parameters\":{\"type\":\"object\"}},\"async\":true}");
    assert_int_equal(pt.status, 200);
    assert_string_equal(s_of(cJSON_GetObjectItemCaseSensitive(pt.json, "function"), "name"), "book_table_v2");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(pt.json, "async")));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(pt.json, "server"));
    assert_string_equal(s_of(pt.json, "createdAt"), s_of(c.json, "createdAt"));
    refused("PATCH", p, "{\"function\":{\"description\":\"no name\"}}", "function.name");
    reply after = req("GET", p, key_a, NULL); /* the refused patch changed nothing */
    assert_string_equal(s_of(cJSON_GetObjectItemCaseSensitive(after.json, "function"), "name"), "book_table_v2");

    /* delete: the object, then gone */
    reply d = req("DELETE", p, key_a, NULL);
    assert_int_equal(d.status, 200);
    assert_string_equal(s_of(d.json, "id"), id);
    reply gone = req("GET", p, key_a, NULL);
    assert_int_equal(gone.status, 404);
    reply l3 = req("GET", "/tool", key_a, NULL);
    assert_int_equal(cJSON_GetArraySize(l3.json), 3);
    reply nokey = req("GET", "/tool", "hk_nope", NULL);
    assert_int_equal(nokey.status, 401);

    harness_loop_stop();
    reply all[] = {c, e, t, o, notobj, junk, l, lb, l1, lf, lle, pt, after, d, gone, l3, nokey};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) cJSON_Delete(all[i].json);
}

int main(void) {
    hk_log_init(getenv("HARK_LOG_LEVEL"));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_tool_crud)};
    return cmocka_run_group_tests(tests, setup, harness_group_teardown);
}
