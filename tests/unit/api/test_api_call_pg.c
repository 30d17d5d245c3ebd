/* tests/unit/api/test_api_call_pg: Vapi's /call read side over real HTTP
 * with the PostgreSQL store (the cases: api_call_cases.h, which the memory
 * store passes in test_api_call.c), on a private cluster like the store
 * tests (store_pg_helpers.h): the schema migrated, two tenants, an agent and
 * a phone number as rows, API keys as api_keys rows, message content and
 * transcripts sealed with a data key (so every read decrypts), and what only
 * PostgreSQL shows: phoneNumberId through phone_numbers, updated_at moved by
 * the trigger on a lifecycle write, DELETE taking the messages with it, the
 * LLM token columns (schema 009) written by call_end and a row from before
 * them (NULL) read as unknown tokens. A
 * machine without PostgreSQL skips it visibly (exit 77). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../guarded_run.h"
#include "api/call.h"
#include "core/log.h"

static void cases_settle(void);

#include "api_call_cases.h"
#include "api_pg_harness.h"

#define KEY "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static void cases_settle(void) { drain(loop, app.store, 10.); }

static int setup(void **state) {
    (void)state;
    if (pg_migrated() != 0) return -1;
    snprintf(number_id, sizeof number_id, "6c0ffee0-2222-4000-8000-000000000222");
    exec_ok("INSERT INTO tenants (id, name) VALUES ($1::uuid, 'Beta')", 1, (const char *[]){TB});
    exec_ok("INSERT INTO agents (id, tenant_id, name) VALUES ($1::uuid, $2::uuid, 'Bakery')", 2,
            (const char *[]){AGENT, TA});
    exec_ok("INSERT INTO phone_numbers (id, tenant_id, number) VALUES ($1::uuid, $2::uuid, "
            "'+15550002222')", 2, (const char *[]){number_id, TA});
    add_pg_key(TA, key_a);
    add_pg_key(TB, key_b);
    loop = ev_loop_new(EVFLAG_AUTO);
    pool = hk_pool_new(loop, 1);
    app.store = open_pg_store("1:" KEY, "api-call-spool");
    if (!app.store) return -1;
    drain(loop, app.store, 10.);
    return cases_start();
}

static int teardown(void **state) {
    (void)state;
    cases_stop();
    return pg_close();
}

static void test_call_reads(void **state) {
    (void)state;
    /* sealed at rest: the database holds no words of the call */
    assert_int_equal(raw_long(raw, "SELECT count(*) FROM call_messages WHERE position("
                                   "'Bakery'::bytea IN content) > 0", 0, NULL), 0);
    assert_int_equal(raw_long(raw, "SELECT count(*) FROM call_messages WHERE key_id = 1", 0, NULL), 5);
    /* the LLM tokens of call_end in their columns; a call not ended yet: 0 */
    assert_int_equal(raw_long(raw, "SELECT llm_prompt_tokens FROM calls WHERE call_sid = 'CA1'", 0, NULL), 1500);
    assert_int_equal(raw_long(raw, "SELECT llm_completion_tokens FROM calls WHERE call_sid = 'CA1'", 0, NULL), 250);
    assert_int_equal(raw_long(raw, "SELECT llm_prompt_tokens FROM calls WHERE call_sid = 'CA2'", 0, NULL), 0);
    call_cases_run();
    /* DELETE took CA1's messages; CA2 and CA3 remain */
    assert_int_equal(raw_long(raw, "SELECT count(*) FROM call_messages WHERE call_sid = 'CA1'", 0,
                              NULL), 0);
    assert_int_equal(raw_long(raw, "SELECT count(*) FROM calls", 0, NULL), 2);
}

/* a lifecycle write (status) moves updated_at: the trigger, not the writer */
static void test_updated_at(void **state) {
    (void)state;
    long before = raw_long(raw, "SELECT (extract(epoch FROM updated_at) * 1000)::bigint FROM calls "
                                "WHERE call_sid = 'CA2'", 0, NULL);
    usleep(5000);
    assert_int_equal(hk_store_call_status(app.store, TA, "CA2", "in-progress"), 0);
    drain(loop, app.store, 10.);
    long after = raw_long(raw, "SELECT (extract(epoch FROM updated_at) * 1000)::bigint FROM calls "
                               "WHERE call_sid = 'CA2'", 0, NULL);
    assert_true(after > before);
}

/* CA2 read from the store as GET /call/CA2 answers it (the server's loop
 * runs only inside call_cases_run, so the store is read here directly) */
static cJSON *ca2_json(void) {
    read_ctx r = {.loop = loop};
    app.store->v->call_get(app.store, TA, "CA2", read_cb, &r);
    cJSON *rec = await(loop, &r);
    assert_non_null(rec);
    cJSON *c = hk_call_json(rec, TA, &cfg, T0 + 300);
    cJSON_Delete(rec);
    return c;
}

/* a call recorded before schema 009 (NULL tokens) reads as unknown, not 0;
 * once it ends with tokens they are its own */
static void test_tokens_before_009(void **state) {
    (void)state;
    exec_ok("UPDATE calls SET llm_prompt_tokens = NULL, llm_completion_tokens = NULL "
            "WHERE call_sid = 'CA2'", 0, NULL);
    cJSON *c = ca2_json();
    const cJSON *cb = at(c, "costBreakdown");
    assert_true(cJSON_IsNull(at(cb, "llmPromptTokens")));
    assert_true(cJSON_IsNull(at(cb, "llmCompletionTokens")));
    near(n_of(cb, "llm"), 0);
    const cJSON *hark = at(at(c, "metadata"), "hark");
    assert_int_equal(cJSON_GetArraySize(at(at(hark, "usage"), "unrecorded")), 2);
    cJSON_Delete(c);
    hk_store_call_summary e = {.call_sid = "CA2", .tenant_id = TA, .end_time = T0 + 260,
                               .duration_s = 60, .ended_reason = "assistant-ended-call",
                               .cost_total = -1, .llm_prompt_tokens = 3000, .llm_completion_tokens = 500};
    assert_int_equal(hk_store_call_end(app.store, &e), 0);
    drain(loop, app.store, 10.);
    c = ca2_json();
    cb = at(c, "costBreakdown");
    near(n_of(cb, "llmPromptTokens"), 3000);
    near(n_of(cb, "llmCompletionTokens"), 500);
    near(n_of(cb, "llm"), 3 * 1 + 0.5 * 4); /* $1 and $4 per 1000 */
    cJSON_Delete(c);
}

int main(void) {
    hk_log_init(getenv("HARK_LOG_LEVEL"));
    (void)jstr, (void)pg_ctl; /* store_pg_helpers.h's, for other tests */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = pg_private_start();
    if (rc != 0) return rc;
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_call_reads),
                                       cmocka_unit_test(test_updated_at),
                                       cmocka_unit_test(test_tokens_before_009)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
