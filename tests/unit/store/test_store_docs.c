/* tests/unit/store/test_store_docs: API resources in the memory store (the
 * contract in store_docs_cases.h, shared with PostgreSQL's test), and the
 * helpers both stores use: UUID check, ISO-8601 times both ways, the owned
 * keys a body cannot set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store_docs_cases.h"

/* the memory store answers before the call returns */
static void docs_await(doc_answer *a) { assert_true(a->done); }

#define TA "6f1c2d3e-0000-4000-8000-00000000000a"
#define TB "6f1c2d3e-0000-4000-8000-00000000000b"

static void test_create_get(void **state) {
    (void)state;
    hk_store *s = hk_store_memory_new();
    docs_case_create_get(s, TA, TB);
    hk_store_free(s);
}

static void test_list(void **state) {
    (void)state;
    hk_store *s = hk_store_memory_new();
    docs_case_list(s, TA, TB);
    hk_store_free(s);
}

static void test_patch(void **state) {
    (void)state;
    hk_store *s = hk_store_memory_new();
    docs_case_patch(s, TA, TB);
    hk_store_free(s);
}

static void test_delete(void **state) {
    (void)state;
    hk_store *s = hk_store_memory_new();
    docs_case_delete(s, TA, TB);
    hk_store_free(s);
}

static void test_list_limits(void **state) {
    (void)state;
    hk_store *s = hk_store_memory_new();
    for (int i = 0; i < 1005; i++) cJSON_Delete(d_create(s, TA, "{}"));
    cJSON *l = d_list(s, TA, NULL);
    assert_int_equal(cJSON_GetArraySize(l), 100); /* default */
    cJSON_Delete(l);
    hk_store_doc_filter f = {.limit = 5000};
    l = d_list(s, TA, &f);
    assert_int_equal(cJSON_GetArraySize(l), 1000); /* at most */
    cJSON_Delete(l);
    /* a non-object body is refused */
    doc_answer a = {0};
    cJSON *arr = cJSON_CreateArray();
    hk_store_doc_create(s, HK_DOC_ASSISTANT, TA, arr, doc_cb, &a);
    assert_true(a.done);
    assert_null(a.result);
    assert_string_not_equal(a.err, "");
    cJSON_Delete(arr);
    hk_store_free(s);
}

static void test_uuid_and_times(void **state) {
    (void)state;
    char u[37];
    hk_store_uuid(u);
    assert_true(hk_store_is_uuid(u));
    assert_true(hk_store_is_uuid("6F1C2D3E-0000-4000-8000-00000000000A"));
    assert_false(hk_store_is_uuid("6f1c2d3e-0000-4000-8000-00000000000"));
    assert_false(hk_store_is_uuid("6f1c2d3e-0000-4000-8000-00000000000g"));
    assert_false(hk_store_is_uuid("6f1c2d3e00000-4000-8000-00000000000a"));
    assert_false(hk_store_is_uuid(NULL));
    char iso[32];
    hk_store_time_iso(1796503260.123, iso);
    assert_string_equal(iso, "2026-12-05T20:41:00.123Z");
    hk_store_time_iso(1796503260.9999, iso); /* truncated, never rounded up */
    assert_string_equal(iso, "2026-12-05T20:41:00.999Z");
    double t;
    assert_int_equal(hk_store_time_parse("2026-12-05T20:41:00.123Z", &t), 0);
    assert_true(t > 1796503260.1229 && t < 1796503260.1231);
    assert_int_equal(hk_store_time_parse("2026-12-05T22:41:00+02:00", &t), 0);
    assert_true(t == 1796503260.0);
    assert_int_equal(hk_store_time_parse("2026-12-05T15:41-0500", &t), 0);
    assert_true(t == 1796503260.0);
    assert_int_equal(hk_store_time_parse("2026-12-05", &t), 0);
    assert_true(t == 1796428800.0);
    assert_int_equal(hk_store_time_parse("2026-12-05T20:41:00", &t), 0); /* no zone: UTC */
    assert_true(t == 1796503260.0);
    const char *bad[] = {"", "2026", "2026-13-01", "2026-12-05T25:00", "2026-12-05T20:41:00.Z",
                         "2026-12-05T20:41:00Zjunk", "yesterday", "2026-12-05T20:41:00+2", NULL};
    for (int i = 0; bad[i]; i++) {
        if (hk_store_time_parse(bad[i], &t) == 0) fprintf(stderr, "parsed: %s\n", bad[i]);
        assert_int_equal(hk_store_time_parse(bad[i], &t), -1);
    }
}

/* a body repeating a store-owned key loses every copy (found by fuzz_api_json) */
static void test_body_repeated_keys(void **state) {
    (void)state;
    cJSON *in = cJSON_Parse("{\"id\":\"x\",\"name\":\"n\",\"id\":\"again\",\"orgId\":\"o\","
                            "\"orgId\":\"o2\",\"createdAt\":1,\"createdAt\":2}");
    cJSON *b = hk_store_doc_body(in);
    char *t = cJSON_PrintUnformatted(b);
    assert_string_equal(t, "{\"name\":\"n\"}");
    free(t);
    cJSON_Delete(b);
    cJSON_Delete(in);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_get), cmocka_unit_test(test_list),
        cmocka_unit_test(test_patch),      cmocka_unit_test(test_delete),
        cmocka_unit_test(test_list_limits), cmocka_unit_test(test_uuid_and_times),
        cmocka_unit_test(test_body_repeated_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
