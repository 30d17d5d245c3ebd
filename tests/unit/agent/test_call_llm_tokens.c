/* tests/unit/agent/test_call_llm_tokens: a call adds up the LLM tokens the
 * provider reported over all its requests and its record keeps them. A real
 * text-only call of a file agent (OpenAI-compatible model: the fake
 * tests/fakes/fake_llm.py, which reports 20 prompt tokens per request and one
 * completion token per streamed piece) with the memory store: two user turns,
 * two requests, their sum on the call and in the stored call at its end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "agent/call.h"
#include "cli/cli.h"
#include "core/log.h"
#include "providers/settings.h"
#include "store/store.h"
#include "../fake_proc.h"

static struct {
    hk_worker w;
    hk_config cfg;
    pid_t llm_pid;
    char dir[64];
    int ended;
} T;

static void on_ended(void *ud, const char *reason) {
    (void)ud;
    (void)reason;
    T.ended = 1;
}

static void got(void *ud, cJSON *result, const char *err) {
    (void)err;
    *(cJSON **)ud = result;
}

/* one user turn, run until the reply is done */
static void turn(hk_call *c, const char *text) {
    hk_session_user_text(c, text);
    double end = hk_clock_now(T.w.clock) + 30;
    ev_run(T.w.loop, EVRUN_NOWAIT);
    for (int i = 0; i < 1000000 && !hk_call_idle(c) && hk_clock_now(T.w.clock) < end; i++)
        ev_run(T.w.loop, EVRUN_ONCE);
    assert_true(hk_call_idle(c));
}

static void test_tokens_over_two_turns(void **state) {
    (void)state;
    const char *argv[] = {"python3", HARK_SOURCE_DIR "/tests/fakes/fake_llm.py", "--port", "0", "--key",
                          "sk-test", NULL};
    int port = fake_proc_start(argv, &T.llm_pid);
    char url[64], path[128], err[1024];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", port);
    hk_config_set(&T.cfg, HK_CFG_OPENAI_API_KEY, "sk-test");
    hk_config_set(&T.cfg, HK_CFG_OPENAI_BASE_URL, url);
    hk_provider_settings_load(&T.cfg);

    snprintf(path, sizeof path, "%s/talk.lua", T.dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("return { name = 'talk', model = { provider = 'openai', model = 'gpt-4o-mini' } }\n", f);
    fclose(f);
    hk_agent *a = hk_agent_load(T.w.vm, path, 1, err, sizeof err);
    if (!a) fail_msg("agent: %s", err);

    hk_store *store = hk_store_memory_new();
    assert_non_null(store);
    hk_call_opts o = {.loop = T.w.loop, .clock = T.w.clock, .id = "CAtokens", .text_only = 1,
                      .store = store, .inbound = 1, .from = "+15550001111", .to = "+15550002222"};
    hk_vad_config_default(&o.vad);
    hk_call_io io = {.ud = &T, .ended = on_ended};
    hk_call *c = hk_call_new(a, &o, &io, err, sizeof err);
    hk_agent_unref(a);
    if (!c) fail_msg("call: %s", err);
    hk_call_start(c);
    assert_int_equal(c->llm_prompt_tokens, 0);

    /* "I heard: hello there" streams as "I"," hear","d:"," hell","o"," ther","e" */
    turn(c, "hello there");
    assert_int_equal(c->llm_prompt_tokens, 20);
    assert_int_equal(c->llm_completion_tokens, 7);
    /* "I heard: one two three": "I"," hear","d:"," one"," two"," thre","e" */
    turn(c, "one two three");
    assert_int_equal(c->llm_prompt_tokens, 40);
    assert_int_equal(c->llm_completion_tokens, 14);

    hk_call_end(c, "customer-ended-call");
    for (int i = 0; i < 200 && !T.ended; i++) ev_run(T.w.loop, EVRUN_NOWAIT);
    hk_call_free(c);

    cJSON *rec = NULL;
    store->v->call_get(store, HK_DEFAULT_TENANT, "CAtokens", got, &rec);
    assert_non_null(rec);
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(rec, "llm_prompt_tokens");
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(rec, "llm_completion_tokens");
    assert_true(cJSON_IsNumber(p) && cJSON_IsNumber(q));
    assert_int_equal((int)p->valuedouble, 40);
    assert_int_equal((int)q->valuedouble, 14);
    cJSON_Delete(rec);
    hk_store_free(store);
}

static int setup(void **state) {
    (void)state;
    hk_log_set_level(HK_LOG_ERROR);
    snprintf(T.dir, sizeof T.dir, "/tmp/hark-tokens-XXXXXX");
    assert_non_null(mkdtemp(T.dir));
    char err[256];
    hk_config_load(&T.cfg, "/nonexistent/.env", err, sizeof err);
    assert_int_equal(hk_worker_init(&T.w, &T.cfg, 1, 1, err, sizeof err), 0);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    fake_proc_stop(&T.llm_pid);
    hk_worker_free(&T.w);
    hk_config_free(&T.cfg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", T.dir);
    if (system(cmd) != 0) return 0;
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_tokens_over_two_turns)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
