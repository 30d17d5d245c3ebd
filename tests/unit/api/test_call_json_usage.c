/* tests/unit/api/test_call_json_usage: api/call_json's LLM usage and price,
 * straight from a store record (no server): tokens from the record priced per
 * 1,000 prompt and completion tokens into costBreakdown.llm, costs[] (type
 * model), cost and the total; a record without the token columns (a call
 * stored before schema 009) as null tokens, llm 0 and listed under
 * metadata.hark.usage.unrecorded; values that are not counts taken as
 * unknown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "api/call.h"
#include "core/config.h"

#define TENANT "00000000-0000-4000-8000-000000000001"

static const cJSON *at(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    assert_non_null(v);
    return v;
}

static void near(double got, double want) {
    if (fabs(got - want) > 1e-9) fail_msg("got %.9f, want %.9f", got, want);
}

static double n_of(const cJSON *o, const char *k) {
    const cJSON *v = at(o, k);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

/* an ended 60 s call with no messages; tokens: the JSON text of the two
 * token fields to add ("" for none) */
static cJSON *record(const char *tokens) {
    char buf[512];
    snprintf(buf, sizeof buf,
             "{\"id\":\"6c1a2b3c-0000-4000-8000-000000000001\",\"call_sid\":\"CA9\","
             "\"from_number\":\"+15550001111\",\"to_number\":\"+15550002222\",\"inbound\":true,"
             "\"status\":\"ended\",\"start_time\":1764950000,\"end_time\":1764950060,"
             "\"duration_s\":60,\"messages\":[]%s}",
             tokens);
    cJSON *r = cJSON_Parse(buf);
    assert_non_null(r);
    return r;
}

static double model_cost(const cJSON *c) {
    const cJSON *k;
    cJSON_ArrayForEach(k, at(c, "costs")) {
        const cJSON *t = at(k, "type");
        if (cJSON_IsString(t) && !strcmp(t->valuestring, "model")) return n_of(k, "cost");
    }
    fail_msg("no model cost");
    return -1;
}

static void prices(hk_config *cfg) {
    hk_config_set(cfg, HK_CFG_HARK_PRICE_TELEPHONY_PER_MIN, "0.5");
    hk_config_set(cfg, HK_CFG_HARK_PRICE_LLM_PER_1K_PROMPT, "0.15");
    hk_config_set(cfg, HK_CFG_HARK_PRICE_LLM_PER_1K_COMPLETION, "0.6");
}

static void test_tokens_priced(void **state) {
    (void)state;
    hk_config cfg = {0};
    prices(&cfg);
    cJSON *r = record(",\"llm_prompt_tokens\":2000,\"llm_completion_tokens\":500");
    cJSON *c = hk_call_json(r, TENANT, &cfg, 1764950100);
    assert_non_null(c);
    const cJSON *cb = at(c, "costBreakdown");
    near(n_of(cb, "llmPromptTokens"), 2000);
    near(n_of(cb, "llmCompletionTokens"), 500);
    near(n_of(cb, "llm"), 0.6); /* 2 x 0.15 + 0.5 x 0.6 */
    near(model_cost(c), 0.6);
    near(n_of(cb, "transport"), 0.5);
    near(n_of(cb, "total"), 1.1);
    near(n_of(c, "cost"), 1.1);
    const cJSON *use = at(at(at(c, "metadata"), "hark"), "usage");
    near(n_of(use, "llmPromptTokens"), 2000);
    near(n_of(use, "llmCompletionTokens"), 500);
    assert_int_equal(cJSON_GetArraySize(at(use, "unrecorded")), 0);
    cJSON_Delete(c);

    /* without prices the tokens are still shown, and cost nothing */
    c = hk_call_json(r, TENANT, NULL, 1764950100);
    near(n_of(at(c, "costBreakdown"), "llmPromptTokens"), 2000);
    near(n_of(at(c, "costBreakdown"), "llm"), 0);
    cJSON_Delete(c);
    cJSON_Delete(r);
    hk_config_free(&cfg);
}

/* a call stored before the token columns: null, not 0, and said so */
static void test_tokens_unrecorded(void **state) {
    (void)state;
    hk_config cfg = {0};
    prices(&cfg);
    const char *cases[] = {"", ",\"llm_prompt_tokens\":null,\"llm_completion_tokens\":null",
                           ",\"llm_prompt_tokens\":\"12\",\"llm_completion_tokens\":3"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cJSON *r = record(cases[i]);
        cJSON *c = hk_call_json(r, TENANT, &cfg, 1764950100);
        const cJSON *cb = at(c, "costBreakdown");
        assert_true(cJSON_IsNull(at(cb, "llmPromptTokens")));
        assert_true(cJSON_IsNull(at(cb, "llmCompletionTokens")));
        near(n_of(cb, "llm"), 0);
        near(model_cost(c), 0);
        near(n_of(c, "cost"), 0.5);
        const cJSON *un = at(at(at(at(c, "metadata"), "hark"), "usage"), "unrecorded");
        assert_int_equal(cJSON_GetArraySize(un), 2);
        assert_string_equal(cJSON_GetArrayItem(un, 0)->valuestring, "llmPromptTokens");
        assert_string_equal(cJSON_GetArrayItem(un, 1)->valuestring, "llmCompletionTokens");
        cJSON_Delete(c);
        cJSON_Delete(r);
    }
    hk_config_free(&cfg);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_tokens_priced),
                                       cmocka_unit_test(test_tokens_unrecorded)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
