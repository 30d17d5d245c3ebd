/* tests/unit/api/test_api_phone_number: Vapi's /phone-number over real HTTP
 * (the memory store, API keys of two tenants, curl as the client): the
 * number checks (E.164, twilioAccountSid, provider), create 201 echoing
 * provider/assistantId/server/name and never the auth token, a number
 * registered twice (even by another tenant) refused, assistantId naming a
 * missing assistant refused, PATCH reassigning the assistant (provider
 * tolerated), another tenant's id 404 for GET/PATCH/DELETE, bare-array list
 * with limit, DELETE freeing the number, and the /v2 pages (search, sort,
 * page metadata). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/phone_number.h"
#include "api_http_harness.h"
#include "core/log.h"

static int setup(void **state) {
    (void)state;
    return harness_memory_setup("/tmp/hark-apinum-XXXXXX", "11111111-0000-4000-8000-000000000001",
                                "11111111-0000-4000-8000-000000000002");
}

static reply kept[64];
static int nkept;
static reply keep(reply r) {
    if (nkept < 64) kept[nkept++] = r;
    return r;
}
#define REQ(m, p, k, b) keep(req(m, p, k, b))

static void test_number_checks(void **state) {
    (void)state;
    assert_true(hk_phone_number_e164("+14155550123"));
    assert_true(hk_phone_number_e164("+44"));
    assert_false(hk_phone_number_e164("14155550123"));
    assert_false(hk_phone_number_e164("+04155550123"));
    assert_false(hk_phone_number_e164("+1415555012a"));
    assert_false(hk_phone_number_e164("+1234567890123456")); /* 16 digits */
    assert_false(hk_phone_number_e164("+1"));
    assert_false(hk_phone_number_e164(NULL));
    char why[256];
    const char *good = "{\"provider\":\"twilio\",\"number\":\"+14155550123\",\"twilioAccountSid\":\"AC1\"}";
    cJSON *d = cJSON_Parse(good);
    assert_int_equal(hk_phone_number_check(d, why, sizeof why), 0);
    cJSON_Delete(d);
    static const char *bad[][2] = {
        {"{\"provider\":\"vonage\",\"number\":\"+14155550123\",\"twilioAccountSid\":\"AC1\"}", "provider"},
        {"{\"number\":\"4155550123\",\"twilioAccountSid\":\"AC1\"}", "number"},
        {"{\"twilioAccountSid\":\"AC1\"}", "number"},
        {"{\"number\":\"+14155550123\"}", "twilioAccountSid"},
        {"{\"number\":\"+14155550123\",\"twilioAccountSid\":\"\"}", "twilioAccountSid"},
        {"{\"number\":\"+14155550123\",\"twilioAccountSid\":\"AC1\",\"assistantId\":5}", "assistantId"},
        {"{\"number\":\"+14155550123\",\"twilioAccountSid\":\"AC1\",\"server\":\"x\"}", "server"},
        {"{\"number\":\"+14155550123\",\"twilioAccountSid\":\"AC1\",\"name\":\"01234567890123456789012345678901234567890\"}", "name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        d = cJSON_Parse(bad[i][0]);
        why[0] = 0;
        assert_int_equal(hk_phone_number_check(d, why, sizeof why), -1);
        assert_non_null(strstr(why, bad[i][1]));
        cJSON_Delete(d);
    }
    d = cJSON_Parse("{\"number\":\"+1\",\"twilioAuthToken\":\"s\",\"twilioApiSecret\":\"t\",\"twilioApiKey\":\"k\",\"name\":\"n\"}");
    cJSON *s = hk_phone_number_strip(d);
    char *t = cJSON_PrintUnformatted(s);
    assert_string_equal(t, "{\"number\":\"+1\",\"name\":\"n\"}");
    free(t);
    cJSON_Delete(s);
    cJSON_Delete(d);
    /* a repeated key is a repeated credential: every copy goes (found by fuzz_api_json) */
    d = cJSON_Parse("{\"twilioAuthToken\":\"s\",\"number\":\"+1\",\"twilioAuthToken\":\"again\","
                    "\"twilioApiKey\":\"k\",\"twilioApiKey\":\"k2\"}");
    s = hk_phone_number_strip(d);
    t = cJSON_PrintUnformatted(s);
    assert_string_equal(t, "{\"number\":\"+1\"}");
    free(t);
    cJSON_Delete(s);
    cJSON_Delete(d);
}

static cJSON *doc(const char *id, const char *number, const char *name, const char *created) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "number", number);
    if (name) cJSON_AddStringToObject(o, "name", name);
    cJSON_AddStringToObject(o, "createdAt", created);
    return o;
}

static int meta(const cJSON *page, const char *k) {
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(page, "metadata"), k)->valueint;
}

static const char *result_id(const cJSON *page, int i) {
    return s_of(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(page, "results"), i), "id");
}

static void test_paging(void **state) {
    (void)state;
    cJSON *all = cJSON_CreateArray(); /* newest first, as the store lists */
    cJSON_AddItemToArray(all, doc("e", "+15550000005", "Sales", "2026-01-05T00:00:00.000Z"));
    cJSON_AddItemToArray(all, doc("d", "+15550000004", NULL, "2026-01-04T00:00:00.000Z"));
    cJSON_AddItemToArray(all, doc("c", "+15550000003", "support line", "2026-01-03T00:00:00.000Z"));
    cJSON_AddItemToArray(all, doc("b", "+15550000002", "Support", "2026-01-02T00:00:00.000Z"));
    cJSON_AddItemToArray(all, doc("a", "+15550000001", "Alpha", "2026-01-01T00:00:00.000Z"));
    cJSON *p = hk_phone_number_paged(all, NULL, NULL, 0, 1, 2);
    assert_int_equal(meta(p, "itemsPerPage"), 2);
    assert_int_equal(meta(p, "totalItems"), 5);
    assert_int_equal(meta(p, "currentPage"), 1);
    assert_int_equal(meta(p, "totalPages"), 3);
    assert_string_equal(result_id(p, 0), "e");
    assert_string_equal(result_id(p, 1), "d");
    cJSON_Delete(p);
    p = hk_phone_number_paged(all, NULL, "createdAt", 1, 3, 2); /* oldest first, last page */
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "results")), 1);
    assert_string_equal(result_id(p, 0), "e");
    cJSON_Delete(p);
    p = hk_phone_number_paged(all, NULL, "createdAt", 1, 4, 2); /* past the end: empty */
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "results")), 0);
    assert_int_equal(meta(p, "totalPages"), 3);
    cJSON_Delete(p);
    p = hk_phone_number_paged(all, "SUPPORT", "name", 1, 1, 10); /* search by name, any case */
    assert_int_equal(meta(p, "totalItems"), 2);
    assert_string_equal(result_id(p, 0), "b");
    assert_string_equal(result_id(p, 1), "c");
    cJSON_Delete(p);
    p = hk_phone_number_paged(all, "0000004", NULL, 0, 1, 10); /* search by number */
    assert_int_equal(meta(p, "totalItems"), 1);
    assert_string_equal(result_id(p, 0), "d");
    cJSON_Delete(p);
    p = hk_phone_number_paged(all, "nothing", NULL, 0, 1, 10);
    assert_int_equal(meta(p, "totalItems"), 0);
    assert_int_equal(meta(p, "totalPages"), 0);
    cJSON_Delete(p);
    cJSON_Delete(all);
}

static void test_number_crud(void **state) {
    (void)state;
    harness_loop_start();
    reply as = REQ("POST", "/assistant", key_a, "{\"name\":\"A\",\"firstMessage\":\"Hi\",\"model\":{\"provider\":\"openai\",\"model\":\"gpt-4o-mini\"}}");
    assert_int_equal(as.status, 201);
    char asst[40], body[512], p[128];
    snprintf(asst, sizeof asst, "%s", s_of(as.json, "id"));

    snprintf(body, sizeof body, "{\"provider\":\"twilio\",\"number\":\"+14155550100\",\"twilioAccountSid\":\"AC1\","
             "\"twilioAuthToken\":\"tok-secret-1\",\"assistantId\":\"%s\",\"name\":\"Main\","
             "\"server\":{\"url\":\"https://x.test/h\"},\"custom\":7}", asst);
    reply c = REQ("POST", "/phone-number", key_a, body);
    assert_int_equal(c.status, 201);
    assert_false(says(&c, "tok-secret-1"));
    assert_null(cJSON_GetObjectItemCaseSensitive(c.json, "twilioAuthToken"));
    assert_string_equal(s_of(c.json, "provider"), "twilio");
    assert_string_equal(s_of(c.json, "assistantId"), asst);
    assert_string_equal(s_of(c.json, "name"), "Main");
    assert_string_equal(s_of(cJSON_GetObjectItemCaseSensitive(c.json, "server"), "url"), "https://x.test/h");
    assert_string_equal(s_of(c.json, "orgId"), HK_DEFAULT_TENANT);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(c.json, "custom")->valueint, 7);
    const char *id = s_of(c.json, "id");
    assert_true(hk_store_is_uuid(id));
    snprintf(p, sizeof p, "/phone-number/%s", id);

    /* the number is one tenant's: again, by anyone, is refused */
    reply dup = REQ("POST", "/phone-number", key_a, "{\"provider\":\"twilio\",\"number\":\"+14155550100\",\"twilioAccountSid\":\"AC1\"}");
    assert_int_equal(dup.status, 400);
    assert_true(says(&dup, "already registered"));
    reply dupb = REQ("POST", "/phone-number", key_b, "{\"provider\":\"twilio\",\"number\":\"+14155550100\",\"twilioAccountSid\":\"AC2\"}");
    assert_int_equal(dupb.status, 400);
    /* checks */
    reply nosid = REQ("POST", "/phone-number", key_a, "{\"provider\":\"twilio\",\"number\":\"+14155550101\"}");
    assert_int_equal(nosid.status, 400);
    assert_true(says(&nosid, "twilioAccountSid"));
    reply badnum = REQ("POST", "/phone-number", key_a, "{\"provider\":\"twilio\",\"number\":\"555-0101\",\"twilioAccountSid\":\"AC1\"}");
    assert_int_equal(badnum.status, 400);
    /* tenant b cannot attach a's assistant (it is not b's) */
    snprintf(body, sizeof body, "{\"provider\":\"twilio\",\"number\":\"+14155550102\",\"twilioAccountSid\":\"AC2\",\"assistantId\":\"%s\"}", asst);
    reply foreign = REQ("POST", "/phone-number", key_b, body);
    assert_int_equal(foreign.status, 400);
    assert_true(says(&foreign, "assistantId"));
    /* a file agent is the default tenant's assistant */
    reply fa = REQ("POST", "/phone-number", key_a, "{\"provider\":\"twilio\",\"number\":\"+14155550103\",\"twilioAccountSid\":\"AC1\",\"assistantId\":\"front_desk\"}");
    assert_int_equal(fa.status, 201);

    /* get; another tenant sees nothing */
    reply g = REQ("GET", p, key_a, NULL);
    assert_int_equal(g.status, 200);
    assert_true(cJSON_Compare(g.json, c.json, 1));
    assert_int_equal(REQ("GET", p, key_b, NULL).status, 404);
    assert_int_equal(REQ("PATCH", p, key_b, "{\"assistantId\":null}").status, 404);
    assert_int_equal(REQ("DELETE", p, key_b, NULL).status, 404);
    reply lb = REQ("GET", "/phone-number", key_b, NULL);
    assert_int_equal(cJSON_GetArraySize(lb.json), 0);

    /* patch: reassign, provider tolerated, token dropped; a bad patch changes nothing */
    reply as2 = REQ("POST", "/assistant", key_a, "{\"name\":\"B\",\"firstMessage\":\"Hello\",\"model\":{\"provider\":\"openai\",\"model\":\"gpt-4o-mini\"}}");
    snprintf(body, sizeof body, "{\"provider\":\"twilio\",\"assistantId\":\"%s\",\"twilioAuthToken\":\"tok-2\"}",
             s_of(as2.json, "id"));
    reply pt = REQ("PATCH", p, key_a, body);
    assert_int_equal(pt.status, 200);
    assert_string_equal(s_of(pt.json, "assistantId"), s_of(as2.json, "id"));
    assert_string_equal(s_of(pt.json, "name"), "Main");
    assert_false(says(&pt, "tok-2"));
    assert_int_equal(REQ("PATCH", p, key_a, "{\"provider\":\"vonage\"}").status, 400);
    assert_int_equal(REQ("PATCH", p, key_a, "{\"number\":\"+14155550103\"}").status, 400); /* taken */
    assert_int_equal(REQ("PATCH", p, key_a, "{\"assistantId\":\"7a1c2d3e-0000-4000-8000-000000000999\"}").status, 400);
    reply same = REQ("PATCH", p, key_a, "{\"number\":\"+14155550100\",\"assistantId\":null}");
    assert_int_equal(same.status, 200);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(same.json, "assistantId")));

    /* list: bare array, limit */
    reply l = REQ("GET", "/phone-number", key_a, NULL);
    assert_true(cJSON_IsArray(l.json));
    assert_int_equal(cJSON_GetArraySize(l.json), 2);
    assert_int_equal(cJSON_GetArraySize(REQ("GET", "/phone-number?limit=1", key_a, NULL).json), 1);
    assert_int_equal(REQ("GET", "/phone-number?limit=x", key_a, NULL).status, 400);
    assert_int_equal(REQ("GET", "/phone-number?createdAtGt=yesterday", key_a, NULL).status, 400);
    /* v2 */
    reply v = REQ("GET", "/v2/phone-number?limit=1&page=2&sortOrder=ASC", key_a, NULL);
    assert_int_equal(v.status, 200);
    assert_int_equal(meta(v.json, "totalItems"), 2);
    assert_int_equal(meta(v.json, "totalPages"), 2);
    assert_int_equal(meta(v.json, "currentPage"), 2);
    assert_string_equal(result_id(v.json, 0), s_of(fa.json, "id")); /* the newer, second ascending */
    reply vs = REQ("GET", "/v2/phone-number?search=main", key_a, NULL);
    assert_int_equal(meta(vs.json, "totalItems"), 1);
    assert_string_equal(result_id(vs.json, 0), id);
    assert_int_equal(REQ("GET", "/v2/phone-number?sortOrder=up", key_a, NULL).status, 400);
    assert_int_equal(REQ("GET", "/v2/phone-number?page=0", key_a, NULL).status, 400);
    assert_int_equal(REQ("GET", "/v2/phone-number?sortBy=cost", key_a, NULL).status, 400);
    reply vb = REQ("GET", "/v2/phone-number", key_b, NULL);
    assert_int_equal(meta(vb.json, "totalItems"), 0);

    /* delete: the object, then gone, and the number free for another tenant */
    reply d = REQ("DELETE", p, key_a, NULL);
    assert_int_equal(d.status, 200);
    assert_string_equal(s_of(d.json, "id"), id);
    assert_int_equal(REQ("GET", p, key_a, NULL).status, 404);
    assert_int_equal(REQ("POST", "/phone-number", key_b, "{\"provider\":\"twilio\",\"number\":\"+14155550100\",\"twilioAccountSid\":\"AC2\"}").status, 201);
    assert_int_equal(REQ("GET", "/phone-number", "hk_nope", NULL).status, 401);

    harness_loop_stop();
    for (int i = 0; i < nkept; i++) cJSON_Delete(kept[i].json);
}

int main(void) {
    hk_log_init(getenv("HARK_LOG_LEVEL"));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_number_checks), cmocka_unit_test(test_paging),
                                       cmocka_unit_test(test_number_crud)};
    return cmocka_run_group_tests(tests, setup, harness_group_teardown);
}
