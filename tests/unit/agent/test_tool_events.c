/* tests/unit/agent/test_tool_events: the call event bus hears every tool
 * call and result of the default LLM turn (HK_CE_TOOL_CALL when the model's
 * calls are dispatched, HK_CE_TOOL_RESULT as each completes), with the
 * call id, tool name, arguments / result text and turn, in order. A real
 * text-only call of a file agent with a Lua tool, the model being
 * tests/fakes/fake_llm.py asking for two tools in one turn. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/call.h"
#include "agent/call_events.h"
#include "cli/cli.h"
#include "core/log.h"
#include "providers/settings.h"
#include "../fake_proc.h"

#define MAX_SEEN 16

static struct {
    hk_worker w;
    hk_config cfg;
    pid_t llm_pid;
    char dir[64];
    int ended;
    int n;
    struct {
        hk_call_event_type type;
        char id[64], name[64], text[256];
        int turn;
    } seen[MAX_SEEN];
} T;

static void on_event(void *ud, hk_call *c, const hk_call_event *ev) {
    (void)c;
    assert_ptr_equal(ud, &T);
    if (ev->type != HK_CE_TOOL_CALL && ev->type != HK_CE_TOOL_RESULT) return;
    assert_true(T.n < MAX_SEEN);
    T.seen[T.n].type = ev->type;
    snprintf(T.seen[T.n].id, sizeof T.seen[T.n].id, "%s", ev->id ? ev->id : "");
    snprintf(T.seen[T.n].name, sizeof T.seen[T.n].name, "%s", ev->name ? ev->name : "");
    const char *text = ev->type == HK_CE_TOOL_CALL ? ev->args : ev->text;
    snprintf(T.seen[T.n].text, sizeof T.seen[T.n].text, "%s", text ? text : "(null)");
    T.seen[T.n].turn = ev->turn;
    T.n++;
}

static void on_ended(void *ud, const char *reason) {
    (void)ud;
    (void)reason;
    T.ended = 1;
}

static void test_tool_events(void **state) {
    (void)state;
    char path[128], script[128];
    snprintf(script, sizeof script, "%s/llm.json", T.dir);
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fputs("{\"rules\": [{\"when\": \"user\", \"contains\": \"book\", \"text\": \"\", \"tool_calls\": ["
          "{\"name\": \"echo\", \"arguments\": {\"word\": \"first\"}},"
          "{\"name\": \"echo\", \"arguments\": {\"word\": \"second\"}}]},"
          "{\"when\": \"tool\", \"text\": \"Done: {{tool_result}}\"}]}\n",
          f);
    fclose(f);
    const char *argv[] = {"python3", HARK_SOURCE_DIR "/tests/fakes/fake_llm.py", "--port", "0", "--key",
                          "sk-test", "--script", script, NULL};
    int port = fake_proc_start(argv, &T.llm_pid);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", port);
    hk_config_set(&T.cfg, HK_CFG_OPENAI_API_KEY, "sk-test");
    hk_config_set(&T.cfg, HK_CFG_OPENAI_BASE_URL, url);
    hk_provider_settings_load(&T.cfg);

    snprintf(path, sizeof path, "%s/echo.lua", T.dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("return { name = 'echo', model = { provider = 'openai', model = 'gpt-4o-mini' },\n"
          "  tools = { echo = hark.tool { name = 'echo', description = 'Echo a word',\n"
          "    parameters = { type = 'object', properties = { word = { type = 'string' } }, required = { 'word' } },\n"
          "    handler = function(call, args) return 'echo:' .. args.word end } } }\n",
          f);
    fclose(f);
    char err[1024];
    hk_agent *a = hk_agent_load(T.w.vm, path, 1, err, sizeof err);
    if (!a) fail_msg("agent: %s", err);

    int sub = hk_call_events_subscribe(on_event, &T);
    assert_true(sub >= 0);
    hk_call_opts o = {.loop = T.w.loop, .clock = T.w.clock, .id = "CAtools", .text_only = 1};
    hk_vad_config_default(&o.vad);
    hk_call_io io = {.ud = &T, .ended = on_ended};
    hk_call *c = hk_call_new(a, &o, &io, err, sizeof err);
    hk_agent_unref(a);
    if (!c) fail_msg("call: %s", err);
    hk_call_start(c);
    hk_session_user_text(c, "book it please");
    double end = hk_clock_now(T.w.clock) + 30;
    while (T.n < 4 && hk_clock_now(T.w.clock) < end) ev_run(T.w.loop, EVRUN_ONCE);
    /* the answer after the results: the turn is over */
    for (int i = 0; i < 100000 && !hk_call_idle(c) && hk_clock_now(T.w.clock) < end; i++)
        ev_run(T.w.loop, EVRUN_ONCE);
    hk_call_end(c, "customer-ended-call");
    for (int i = 0; i < 200 && !T.ended; i++) ev_run(T.w.loop, EVRUN_NOWAIT);
    hk_call_free(c);
    hk_call_events_unsubscribe(sub);

    assert_int_equal(T.n, 4);
    /* both calls when dispatched, then each result as it completes */
    assert_int_equal(T.seen[0].type, HK_CE_TOOL_CALL);
    assert_int_equal(T.seen[1].type, HK_CE_TOOL_CALL);
    assert_int_equal(T.seen[2].type, HK_CE_TOOL_RESULT);
    assert_int_equal(T.seen[3].type, HK_CE_TOOL_RESULT);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(T.seen[i].name, "echo");
        assert_true(T.seen[i].id[0] != 0);
        assert_true(T.seen[i].turn >= 0);
    }
    assert_string_not_equal(T.seen[0].id, T.seen[1].id);
    assert_string_equal(T.seen[2].id, T.seen[0].id);
    assert_string_equal(T.seen[3].id, T.seen[1].id);
    assert_non_null(strstr(T.seen[0].text, "\"first\""));
    assert_non_null(strstr(T.seen[1].text, "\"second\""));
    assert_string_equal(T.seen[2].text, "echo:first");
    assert_string_equal(T.seen[3].text, "echo:second");
}

static int setup(void **state) {
    (void)state;
    hk_log_set_level(HK_LOG_ERROR);
    snprintf(T.dir, sizeof T.dir, "/tmp/hark-toolev-XXXXXX");
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
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_tool_events)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
