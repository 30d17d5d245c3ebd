/* tests/unit/telephony/test_assistant_request: the assistant-request body
 * (the call, the number without its secrets, the customer) and the parse of
 * each reply kind, the spec's messageResponse wrapper, and the replies that
 * must fail (no known field, a SIP or malformed destination, non-JSON). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "telephony/assistant_request.h"

static hk_ar_reply parse(const char *s, cJSON **keep) {
    hk_ar_reply r;
    hk_ar_parse(s, strlen(s), &r, keep);
    return r;
}

static void test_body(void **state) {
    (void)state;
    cJSON *num = cJSON_Parse("{\"id\":\"n1\",\"number\":\"+15550101\",\"orgId\":\"t1\","
                             "\"twilioAuthToken\":\"tok\",\"serverUrlSecret\":\"old\","
                             "\"server\":{\"url\":\"http://h/ar\",\"secret\":\"s\"}}");
    assert_string_equal(hk_ar_server_url(num), "http://h/ar");
    hk_ar_request q = {.call_sid = "CA1", .tenant = "t1", .from = "+15551230000", .to = "+15550101",
                       .number = num};
    char *body = hk_ar_body(&q, 1.8e9);
    assert_non_null(body);
    assert_null(strstr(body, "tok"));
    assert_null(strstr(body, "\"old\""));
    assert_null(strstr(body, "\"secret\""));
    cJSON *root = cJSON_Parse(body);
    cJSON *m = cJSON_GetObjectItem(root, "message");
    assert_string_equal(cJSON_GetObjectItem(m, "type")->valuestring, "assistant-request");
    cJSON *call = cJSON_GetObjectItem(m, "call");
    assert_string_equal(cJSON_GetObjectItem(call, "id")->valuestring, "CA1");
    assert_string_equal(cJSON_GetObjectItem(call, "orgId")->valuestring, "t1");
    assert_string_equal(cJSON_GetObjectItem(call, "phoneNumberId")->valuestring, "n1");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "phoneNumber"), "number")->valuestring,
                        "+15550101");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "customer"), "number")->valuestring,
                        "+15551230000");
    cJSON_Delete(root);
    free(body);
    /* the legacy field; a URL that is not http(s) is none */
    cJSON *legacy = cJSON_Parse("{\"serverUrl\":\"https://h/x\"}");
    assert_string_equal(hk_ar_server_url(legacy), "https://h/x");
    cJSON *bad = cJSON_Parse("{\"server\":{\"url\":\"ftp://h/x\"}}");
    assert_null(hk_ar_server_url(bad));
    cJSON *none = cJSON_Parse("{\"number\":\"+1\"}");
    assert_null(hk_ar_server_url(none));
    cJSON_Delete(legacy);
    cJSON_Delete(bad);
    cJSON_Delete(none);
    cJSON_Delete(num);
}

static void test_replies(void **state) {
    (void)state;
    cJSON *k = NULL;
    hk_ar_reply r = parse("{\"assistantId\":\"a1\"}", &k);
    assert_int_equal(r.kind, HK_AR_ASSISTANT_ID);
    assert_string_equal(r.assistant_id, "a1");
    cJSON_Delete(k);
    r = parse("{\"assistant\":{\"name\":\"x\"}}", &k);
    assert_int_equal(r.kind, HK_AR_ASSISTANT);
    assert_string_equal(cJSON_GetObjectItem(r.assistant, "name")->valuestring, "x");
    cJSON_Delete(k);
    r = parse("{\"destination\":{\"type\":\"number\",\"number\":\"+15557654321\",\"message\":\"hi\"}}", &k);
    assert_int_equal(r.kind, HK_AR_DESTINATION);
    assert_string_equal(r.number, "+15557654321");
    assert_string_equal(r.message, "hi");
    cJSON_Delete(k);
    r = parse("{\"error\":\"closed\"}", &k);
    assert_int_equal(r.kind, HK_AR_ERROR);
    assert_string_equal(r.error, "closed");
    cJSON_Delete(k);
    r = parse("{\"messageResponse\":{\"assistantId\":\"a2\"}}", &k);
    assert_int_equal(r.kind, HK_AR_ASSISTANT_ID);
    assert_string_equal(r.assistant_id, "a2");
    cJSON_Delete(k);
}

static void test_bad_replies(void **state) {
    (void)state;
    const char *bad[] = {
        "", "not json", "[]", "{}", "{\"assistantId\":7}",
        "{\"destination\":{\"type\":\"sip\",\"sipUri\":\"sip:x@y\"}}",
        "{\"destination\":{\"type\":\"number\",\"number\":\"5557654321\"}}",
        "{\"destination\":{\"type\":\"number\",\"number\":\"+1<Dial>\"}}",
        "{\"destination\":{\"type\":\"number\"}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *k = NULL;
        hk_ar_reply r = parse(bad[i], &k);
        assert_int_equal(r.kind, HK_AR_FAILED);
        assert_true(r.why[0] != 0);
        cJSON_Delete(k);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body),
        cmocka_unit_test(test_replies),
        cmocka_unit_test(test_bad_replies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
