/* tests/unit/api/test_api_call: Vapi's /call read side over real HTTP with
 * the memory store (the cases: api_call_cases.h; test_api_call_pg.c runs
 * them against PostgreSQL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/log.h"

static void cases_settle(void) {} /* the memory store writes before it returns */

#include "api_call_cases.h"

static void got_doc(void *ud, cJSON *result, const char *err) {
    (void)err;
    *(cJSON **)ud = result;
}

static int setup(void **state) {
    (void)state;
    loop = ev_loop_new(EVFLAG_AUTO);
    app.store = hk_store_memory_new();
    add_mem_key(TA, key_a, "11111111-0000-4000-8000-000000000001");
    add_mem_key(TB, key_b, "11111111-0000-4000-8000-000000000002");
    /* tenant a's number, a phone-number document (memory_docs.c answers at once) */
    cJSON *doc = cJSON_Parse("{\"provider\":\"twilio\",\"number\":\"+15550002222\","
                             "\"twilioAccountSid\":\"AC1\"}");
    cJSON *made = NULL;
    hk_store_doc_create(app.store, HK_DOC_PHONE_NUMBER, TA, doc, got_doc, &made);
    cJSON_Delete(doc);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(made, "id");
    if (!cJSON_IsString(id)) return -1;
    snprintf(number_id, sizeof number_id, "%s", id->valuestring);
    cJSON_Delete(made);
    return cases_start();
}

static int teardown(void **state) {
    (void)state;
    cases_stop();
    ev_loop_destroy(loop);
    return 0;
}

static void test_call_reads(void **state) {
    (void)state;
    call_cases_run();
}

/* a price that is not one is refused at start-up, by name */
static void test_price_check(void **state) {
    (void)state;
    hk_config c = {0};
    char err[2048];
    hk_config_set(&c, HK_CFG_HARK_PRICE_STT_PER_MIN, "cheap");
    hk_config_set(&c, HK_CFG_HARK_PRICE_TTS_PER_1K_CHARS, "-1");
    hk_config_set(&c, HK_CFG_HARK_PRICE_TELEPHONY_PER_MIN, "0.0085");
    assert_int_equal(hk_config_check(&c, "serve", err, sizeof err), -1);
    assert_non_null(strstr(err, "HARK_PRICE_STT_PER_MIN must be a price"));
    assert_non_null(strstr(err, "HARK_PRICE_TTS_PER_1K_CHARS must be a price"));
    assert_null(strstr(err, "HARK_PRICE_TELEPHONY_PER_MIN"));
    hk_config_free(&c);
}

int main(void) {
    hk_log_init(getenv("HARK_LOG_LEVEL"));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_call_reads),
                                       cmocka_unit_test(test_price_check)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
