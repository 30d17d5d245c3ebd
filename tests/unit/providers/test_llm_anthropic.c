/* tests/unit/providers/test_llm_anthropic: the Anthropic Messages client. The
 * request translation on its own (system, merged turns, tool_use and
 * tool_result blocks, tools), then against tests/fakes/fake_llm.py over
 * loopback: text deltas streamed in order, two tool_use blocks assembled from
 * input_json_delta pieces, a round trip the strict fake accepts (complete()
 * again from inside done), every fault reported by exactly one done(0),
 * nothing after cancel or close, 401 on a wrong key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../guarded_run.h"
#include "fake_llm_proc.h"
#include "net/http_client.h"
#include "providers/llm_anthropic.h"

#define KEY "sk-ant-test"
#define SCRIPT_FILE "/tmp/hark-test-llm-anthropic-script.json"

static struct ev_loop *loop;
static const hk_llm_vtable *vt = &hk_llm_anthropic;

static const char *k_script =
    "{\"rules\":["
    "{\"when\":\"user\",\"contains\":\"ORDER\",\"text\":\"Let me check.\",\"tool_calls\":["
    "{\"name\":\"lookup_order\",\"arguments\":{\"order_number\":\"1001\"}},"
    "{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris, FR\",\"days\":[1,2]}}]},"
    "{\"when\":\"tool\",\"text\":\"Status: {{last}}\"}]}";

static const char *k_tools =
    "[{\"type\":\"function\",\"function\":{\"name\":\"lookup_order\",\"description\":\"Find an order\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{\"order_number\":{\"type\":\"string\"}}}}},"
    "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}]";

static int setup(void **state) {
    (void)state;
    loop = ev_loop_new(0);
    FILE *f = fopen(SCRIPT_FILE, "w");
    fputs(k_script, f);
    fclose(f);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    hk_http_client_shutdown(loop);
    ev_loop_destroy(loop);
    unlink(SCRIPT_FILE);
    return 0;
}

static hk_llm *open_llm(rec *r, const char *base, const char *key, double timeouts) {
    hk_llm_config cfg = {.provider = "anthropic", .model = "claude-test", .api_key = key,
                         .base_url = base, .temperature = -1, .first_token_timeout_s = timeouts,
                         .idle_timeout_s = timeouts};
    hk_llm_sink sink = rec_sink(r);
    char err[128];
    r->loop = loop;
    r->vt = vt;
    r->llm = vt->open(loop, &cfg, &sink, err, sizeof err);
    assert_non_null(r->llm);
    return r->llm;
}

static cJSON *path(cJSON *j, const char *a, const char *b) {
    cJSON *x = cJSON_GetObjectItemCaseSensitive(j, a);
    return b ? cJSON_GetObjectItemCaseSensitive(x, b) : x;
}

static void assert_json(const cJSON *got, const char *want) {
    cJSON *w = cJSON_Parse(want);
    assert_non_null(w);
    if (!cJSON_Compare(got, w, 1)) {
        char *g = cJSON_PrintUnformatted(got);
        print_error("got  %s\nwant %s\n", g ? g : "(null)", want);
        free(g);
        fail();
    }
    cJSON_Delete(w);
}

/* ---- the translation on its own --------------------------------------- */

static void test_translation(void **state) {
    (void)state;
    const char *neutral =
        "{\"messages\":["
        "{\"role\":\"system\",\"content\":\"You sell things.\"},"
        "{\"role\":\"user\",\"content\":\"hi\"},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"my order?\"}]},"
        "{\"role\":\"assistant\",\"content\":\"Checking.\",\"tool_calls\":["
        "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"lookup_order\","
        "\"arguments\":\"{\\\"order_number\\\":\\\"1001\\\"}\"}},"
        "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"shipped\"},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_2\",\"content\":\"sunny\"},"
        "{\"role\":\"user\",\"content\":\"thanks\"},"
        "{\"role\":\"system\",\"content\":\"Be brief.\"},"
        "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_3\",\"type\":\"function\","
        "\"function\":{\"name\":\"lookup_order\",\"arguments\":\"{}\"}}]},"
        "{\"role\":\"assistant\",\"content\":\"Anything else?\"}],"
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"lookup_order\",\"description\":\"Find\","
        "\"parameters\":{\"type\":\"object\",\"properties\":{\"order_number\":{\"type\":\"string\"}}}}},"
        "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}],\"tool_choice\":\"required\"}";
    hk_llm_config cfg = {.model = "claude-x", .temperature = -1};
    char err[128] = "";
    char *out = hk_anthropic_request(neutral, &cfg, err, sizeof err);
    assert_non_null(out);
    cJSON *j = cJSON_Parse(out);
    assert_json(j,
                "{\"model\":\"claude-x\",\"max_tokens\":1024,"
                "\"system\":\"You sell things.\\n\\nBe brief.\","
                "\"messages\":["
                "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"},"
                "{\"type\":\"text\",\"text\":\"my order?\"}]},"
                "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Checking.\"},"
                "{\"type\":\"tool_use\",\"id\":\"call_1\",\"name\":\"lookup_order\",\"input\":{\"order_number\":\"1001\"}},"
                "{\"type\":\"tool_use\",\"id\":\"call_2\",\"name\":\"get_weather\",\"input\":{}}]},"
                "{\"role\":\"user\",\"content\":["
                "{\"type\":\"tool_result\",\"tool_use_id\":\"call_1\",\"content\":\"shipped\"},"
                "{\"type\":\"tool_result\",\"tool_use_id\":\"call_2\",\"content\":\"sunny\"},"
                "{\"type\":\"text\",\"text\":\"thanks\"}]},"
                "{\"role\":\"assistant\",\"content\":["
                "{\"type\":\"tool_use\",\"id\":\"call_3\",\"name\":\"lookup_order\",\"input\":{}},"
                "{\"type\":\"text\",\"text\":\"Anything else?\"}]}],"
                "\"tools\":[{\"name\":\"lookup_order\",\"description\":\"Find\",\"input_schema\":{\"type\":\"object\","
                "\"properties\":{\"order_number\":{\"type\":\"string\"}}}},"
                "{\"name\":\"get_weather\",\"input_schema\":{\"type\":\"object\",\"properties\":{}}}],"
                "\"tool_choice\":{\"type\":\"any\"},\"stream\":true}");
    cJSON_Delete(j);
    free(out);

    /* max_tokens and temperature from the config (0..1 on Anthropic's scale) */
    hk_llm_config c2 = {.model = "m", .temperature = 1.5, .max_tokens = 300};
    out = hk_anthropic_request("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", &c2, err, sizeof err);
    j = cJSON_Parse(out);
    assert_int_equal(cJSON_GetObjectItem(j, "max_tokens")->valueint, 300);
    assert_true(cJSON_GetObjectItem(j, "temperature")->valuedouble == 1.0);
    assert_null(cJSON_GetObjectItem(j, "system"));
    assert_null(cJSON_GetObjectItem(j, "tools"));
    cJSON_Delete(j);
    free(out);

    assert_null(hk_anthropic_request("{\"messages\":[", &cfg, err, sizeof err));
    assert_null(hk_anthropic_request("{\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}", &cfg, err, sizeof err));
    assert_non_null(strstr(err, "robot"));
    assert_null(hk_anthropic_request("{\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]}", &cfg, err, sizeof err));

    assert_string_equal(hk_anthropic_finish_reason("end_turn"), "stop");
    assert_string_equal(hk_anthropic_finish_reason("stop_sequence"), "stop");
    assert_string_equal(hk_anthropic_finish_reason("tool_use"), "tool_calls");
    assert_string_equal(hk_anthropic_finish_reason("max_tokens"), "length");
}

/* ---- over the wire ----------------------------------------------------- */

static void test_streams_tokens_in_order(void **state) {
    (void)state;
    fake_llm f;
    const char *args[] = {"--key", KEY, "--ttft-ms", "100", "--tokens-per-s", "25", NULL};
    fake_llm_start(&f, args);
    char base[128];
    snprintf(base, sizeof base, "%s/v1/", f.base); /* ".../v1/" is taken too */
    rec r = {0};
    open_llm(&r, base, KEY, 0);
    const char *req = "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                      "{\"role\":\"user\",\"content\":\"hello there, how are you doing today\"}]}";
    double t0 = wall_now();
    assert_int_equal(rec_start(&r, req), 0);
    assert_int_equal(rec_start(&r, req), -1);
    run_until(loop, &r.n_done, 1, 20);
    assert_int_equal(r.n_done, 1);
    assert_int_equal(r.ok, 1);
    assert_string_equal(r.reason, "stop");
    assert_string_equal(r.text, "I heard: hello there, how are you doing today");
    assert_true(r.n_tokens >= 8);
    assert_true(r.t_first_token - t0 < r.t_done - t0 - 0.2);
    /* message_start: 25 input, 1 output; message_delta: the output total, one
     * per streamed piece ("I"," hear","d:",... = 14) */
    assert_int_equal(r.use_prompt, 25);
    assert_int_equal(r.use_completion, 14);
    assert_int_equal(r.use_completion, r.n_tokens);

    cJSON *l = fake_llm_log(&f, 0);
    assert_non_null(l);
    assert_string_equal(path(l, "path", NULL)->valuestring, "/v1/messages");
    assert_int_equal(path(l, "status", NULL)->valueint, 200);
    assert_string_equal(path(l, "headers", "x-api-key")->valuestring, KEY);
    assert_string_equal(path(l, "headers", "anthropic-version")->valuestring, "2023-06-01");
    assert_string_equal(path(l, "body", "system")->valuestring, "Be brief.");
    assert_int_equal(path(l, "body", "max_tokens")->valueint, 1024);
    assert_true(cJSON_IsTrue(path(l, "body", "stream")));
    assert_true(path(l, "last_event", NULL)->valuedouble - path(l, "first_event", NULL)->valuedouble > 0.2);
    cJSON_Delete(l);
    vt->close(r.llm);
    fake_llm_stop(&f);
}

static rec g_first;
static char g_req2[16384];
static int g_rc2 = -2;

/* From inside the first done: the neutral round trip, translated by the client. */
static void send_results(rec *r) {
    if (r->n_done != 1) return;
    g_first = *r;
    snprintf(g_req2, sizeof g_req2,
             "{\"messages\":[{\"role\":\"system\",\"content\":\"You sell things.\"},"
             "{\"role\":\"user\",\"content\":\"Where is my order 1001?\"},"
             "{\"role\":\"assistant\",\"content\":\"%s\",\"tool_calls\":["
             "{\"id\":\"%s\",\"type\":\"function\",\"function\":{\"name\":\"%s\",\"arguments\":%s}},"
             "{\"id\":\"%s\",\"type\":\"function\",\"function\":{\"name\":\"%s\",\"arguments\":%s}}]},"
             "{\"role\":\"tool\",\"tool_call_id\":\"%s\",\"content\":\"shipped\"},"
             "{\"role\":\"tool\",\"tool_call_id\":\"%s\",\"content\":\"sunny\"}],\"tools\":%s}",
             r->text, r->calls[0].id, r->calls[0].name, "\"{\\\"order_number\\\":\\\"1001\\\"}\"",
             r->calls[1].id, r->calls[1].name, "\"{\\\"city\\\":\\\"Paris, FR\\\"}\"", r->calls[0].id,
             r->calls[1].id, k_tools);
    r->text[0] = 0;
    r->n_tokens = 0;
    r->n_calls = 0;
    g_rc2 = rec_start(r, g_req2);
}

static void assert_args(const char *got, const char *want) {
    cJSON *a = cJSON_Parse(got);
    assert_non_null(a);
    assert_json(a, want);
    cJSON_Delete(a);
}

static void test_tool_calls_round_trip(void **state) {
    (void)state;
    fake_llm f;
    const char *args[] = {"--key", KEY, "--script", SCRIPT_FILE, "--ttft-ms", "50", NULL};
    fake_llm_start(&f, args);
    rec r = {0};
    open_llm(&r, f.base, KEY, 0);
    r.on_done = send_results;
    char req[4096];
    snprintf(req, sizeof req,
             "{\"messages\":[{\"role\":\"system\",\"content\":\"You sell things.\"},"
             "{\"role\":\"user\",\"content\":\"Where is my order 1001?\"}],\"tools\":%s}", k_tools);
    assert_int_equal(rec_start(&r, req), 0);
    run_until(loop, &r.n_done, 2, 20);
    assert_int_equal(g_first.ok, 1);
    assert_string_equal(g_first.reason, "tool_calls");
    assert_string_equal(g_first.text, "Let me check.");
    assert_int_equal(g_first.n_calls, 2);
    assert_string_equal(g_first.calls[0].name, "lookup_order");
    assert_args(g_first.calls[0].args, "{\"order_number\":\"1001\"}");
    assert_string_equal(g_first.calls[1].name, "get_weather");
    assert_args(g_first.calls[1].args, "{\"city\":\"Paris, FR\",\"days\":[1,2]}");
    assert_true(strncmp(g_first.calls[0].id, "toolu_", 6) == 0);
    assert_string_not_equal(g_first.calls[0].id, g_first.calls[1].id);
    assert_int_equal(g_rc2, 0);
    assert_int_equal(r.n_done, 2);
    assert_int_equal(r.ok, 1);
    assert_string_equal(r.reason, "stop");
    assert_string_equal(r.text, "Status: shipped\nsunny"); /* the fake joins the results */
    assert_int_equal(r.after_done, 0);

    cJSON *l0 = fake_llm_log(&f, 0), *l1 = fake_llm_log(&f, 1);
    assert_non_null(l0);
    assert_non_null(l1);
    assert_json(path(l0, "body", "tools"),
                "[{\"name\":\"lookup_order\",\"description\":\"Find an order\",\"input_schema\":{\"type\":\"object\","
                "\"properties\":{\"order_number\":{\"type\":\"string\"}}}},"
                "{\"name\":\"get_weather\",\"input_schema\":{\"type\":\"object\",\"properties\":{}}}]");
    assert_int_equal(path(l0, "client_port", NULL)->valueint, path(l1, "client_port", NULL)->valueint);
    /* the strict fake accepted tool_use + tool_result blocks */
    assert_int_equal(path(l1, "status", NULL)->valueint, 200);
    cJSON *msgs = path(l1, "body", "messages");
    assert_int_equal(cJSON_GetArraySize(msgs), 3);
    char want[2048];
    snprintf(want, sizeof want,
             "[{\"type\":\"text\",\"text\":\"Let me check.\"},"
             "{\"type\":\"tool_use\",\"id\":\"%s\",\"name\":\"lookup_order\",\"input\":{\"order_number\":\"1001\"}},"
             "{\"type\":\"tool_use\",\"id\":\"%s\",\"name\":\"get_weather\",\"input\":{\"city\":\"Paris, FR\"}}]",
             g_first.calls[0].id, g_first.calls[1].id);
    assert_json(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 1), "content"), want);
    snprintf(want, sizeof want,
             "{\"role\":\"user\",\"content\":["
             "{\"type\":\"tool_result\",\"tool_use_id\":\"%s\",\"content\":\"shipped\"},"
             "{\"type\":\"tool_result\",\"tool_use_id\":\"%s\",\"content\":\"sunny\"}]}",
             g_first.calls[0].id, g_first.calls[1].id);
    assert_json(cJSON_GetArrayItem(msgs, 2), want);
    cJSON_Delete(l0);
    cJSON_Delete(l1);
    vt->close(r.llm);
    fake_llm_stop(&f);
}

static void test_faults(void **state) {
    (void)state;
    static const struct {
        const char *kind, *reason;
    } k[] = {
        {"stall", "timeout: no first token after 1.5 s"},
        {"slow", "timeout: no first token"},
        {"hang", "timeout: no data for 1.5 s"},
        {"drop", "stream dropped"},
        {"429", "http 429: Number of request tokens"},
        {"500", "http 500: Internal server error"},
        {"malformed", "malformed event: "},
        {"overloaded", "overloaded_error: Overloaded"},
    };
    for (size_t i = 0; i < sizeof k / sizeof *k; i++)
        fake_llm_check_fault(loop, vt, open_llm, k[i].kind, k[i].reason);
}

static void test_wrong_key(void **state) {
    (void)state;
    fake_llm f;
    const char *args[] = {"--key", KEY, NULL};
    fake_llm_start(&f, args);
    rec r = {0};
    open_llm(&r, f.base, "sk-ant-wrong", 0);
    assert_int_equal(rec_start(&r, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), 0);
    run_until(loop, &r.n_done, 1, 10);
    assert_int_equal(r.n_done, 1);
    assert_int_equal(r.ok, 0);
    assert_string_equal(r.reason, "http 401: invalid x-api-key");
    vt->close(r.llm);
    fake_llm_stop(&f);
}

static void test_cancel_and_close(void **state) {
    (void)state;
    fake_llm f;
    const char *args[] = {"--ttft-ms", "20", "--tokens-per-s", "30", NULL};
    fake_llm_start(&f, args);
    const char *req = "{\"messages\":[{\"role\":\"user\",\"content\":\"one two three four five six seven\"}]}";
    rec r = {0};
    open_llm(&r, f.base, "", 0);
    r.cancel_at_token = 2;
    assert_int_equal(rec_start(&r, req), 0);
    run_until(loop, &r.n_tokens, 2, 10);
    run_for(loop, 1.0);
    assert_int_equal(r.n_tokens, 2);
    assert_int_equal(r.n_done, 0);
    /* cancelled (barge-in): what message_start reported still counts */
    assert_int_equal(r.use_prompt, 25);
    assert_int_equal(r.use_completion, 1);
    r.cancel_at_token = 0;
    r.text[0] = 0;
    assert_int_equal(rec_start(&r, req), 0);
    run_until(loop, &r.n_done, 1, 10);
    assert_int_equal(r.ok, 1);
    assert_string_equal(r.text, "I heard: one two three four five six seven");
    assert_int_equal(r.after_done, 0);
    assert_int_equal(r.use_prompt, 50);
    assert_int_equal(r.use_completion, 1 + 12);
    vt->close(r.llm);

    rec c = {0};
    open_llm(&c, f.base, "", 0);
    c.close_at_token = 1;
    assert_int_equal(rec_start(&c, req), 0);
    run_until(loop, &c.n_tokens, 1, 10);
    run_for(loop, 0.5);
    assert_int_equal(c.n_tokens, 1);
    assert_int_equal(c.n_done, 0);

    rec d = {0};
    open_llm(&d, f.base, "", 0);
    d.close_in_done = 1;
    assert_int_equal(rec_start(&d, req), 0);
    run_until(loop, &d.n_done, 1, 10);
    run_for(loop, 0.3);
    assert_int_equal(d.n_done, 1);
    assert_int_equal(d.ok, 1);
    fake_llm_stop(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_translation),
        cmocka_unit_test(test_streams_tokens_in_order),
        cmocka_unit_test(test_tool_calls_round_trip),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_cancel_and_close),
        cmocka_unit_test(test_faults),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
