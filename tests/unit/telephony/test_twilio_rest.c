/* tests/unit/telephony/test_twilio_rest: how Twilio's REST answers are read
 * (hk_twilio_call_answer, hk_twilio_json_answer): a created call's sid, an
 * error answer's message with the status, no answer, a 2xx answer without
 * a usable sid (missing, too long, or with characters that would change a
 * URL path), messages cut at a character boundary with bytes that are not
 * UTF-8 and control characters replaced, and a 2xx answer that is not a
 * JSON object. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "telephony/twilio_rest.h"

static void call(int status, const char *body, const char *err, char sid[64], char msg[400]) {
    hk_twilio_call_answer(status, body, body ? strlen(body) : 0, err, sid, 64, msg, 400);
}

static void test_call_answer(void **state) {
    (void)state;
    char sid[64], msg[400];
    call(201, "{\"sid\":\"CA0123456789abcdef0123456789abcdef\",\"status\":\"queued\"}", NULL, sid, msg);
    assert_string_equal(sid, "CA0123456789abcdef0123456789abcdef");
    assert_string_equal(msg, "");
    call(400, "{\"code\":21211,\"message\":\"The 'To' number +1555 is not a valid phone number.\","
              "\"status\":400}", NULL, sid, msg);
    assert_string_equal(sid, "");
    assert_string_equal(msg, "Twilio answered 400: The 'To' number +1555 is not a valid phone number.");
    call(503, "<html>busy</html>", NULL, sid, msg);
    assert_string_equal(msg, "Twilio answered 503: (no message)");
    call(0, NULL, "Connection refused", sid, msg);
    assert_string_equal(sid, "");
    assert_string_equal(msg, "Connection refused");
    /* 2xx without a sid that can go into Calls/<sid>.json */
    const char *bad[] = {"{}", "{\"sid\":\"\"}", "{\"sid\":7}", "{\"sid\":\"../Recordings\"}",
                         "{\"sid\":\"CA1?x=1\"}",
                         "{\"sid\":\"CA0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\"}", /* 64 */
                         "not json"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        call(200, bad[i], NULL, sid, msg);
        assert_string_equal(sid, "");
        assert_string_equal(msg, "Twilio's answer has no valid call sid");
    }
    /* a message from outside: control characters and bytes that are not
     * UTF-8 become '?', a long one is cut at a character boundary */
    call(400, "{\"message\":\"a\\nb\xff" "c\xc3\xa9\"}", NULL, sid, msg);
    assert_string_equal(msg, "Twilio answered 400: a?b?c\xc3\xa9");
    char body[1200] = "{\"message\":\"x";
    for (int i = 0; i < 200; i++) strcat(body, "\xc3\xa9"); /* 1 + 400 bytes */
    strcat(body, "\"}");
    call(400, body, NULL, sid, msg);
    assert_int_equal(strlen(msg), strlen("Twilio answered 400: ") + 299); /* x + 149 characters */
    assert_string_equal(msg + strlen(msg) - 2, "\xc3\xa9");
}

static void test_json_answer(void **state) {
    (void)state;
    char msg[400];
    const char *ok = "{\"incoming_phone_numbers\":[]}";
    cJSON *j = hk_twilio_json_answer(200, ok, strlen(ok), NULL, msg, sizeof msg);
    assert_non_null(j);
    assert_string_equal(msg, "");
    cJSON_Delete(j);
    const char *e = "{\"code\":20003,\"message\":\"Authenticate\",\"status\":401}";
    j = hk_twilio_json_answer(401, e, strlen(e), NULL, msg, sizeof msg);
    assert_non_null(j);
    assert_string_equal(msg, "Twilio answered 401: Authenticate");
    cJSON_Delete(j);
    j = hk_twilio_json_answer(200, "[1]", 3, NULL, msg, sizeof msg);
    assert_string_equal(msg, "Twilio's answer is not a JSON object");
    cJSON_Delete(j);
    j = hk_twilio_json_answer(0, NULL, 0, "timed out", msg, sizeof msg);
    assert_null(j);
    assert_string_equal(msg, "timed out");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call_answer),
        cmocka_unit_test(test_json_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
