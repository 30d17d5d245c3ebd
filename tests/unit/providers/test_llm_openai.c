/* tests/unit/providers/test_llm_openai: the OpenAI-compatible streaming client
 * against tests/fakes/fake_llm.py over loopback: tokens streamed in order
 * (the first before the end), two tool calls assembled from fragments, a tool
 * round trip the strict fake accepts (complete() again from inside done),
 * every fault reported by exactly one done(0), nothing after cancel or close,
 * 401 on a wrong or missing key, refused connections. */
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
#include "providers/llm_openai.h"

#define KEY "sk-test-123"
#define SCRIPT_FILE "/tmp/hark-test-llm-openai-script.json"

static struct ev_loop *loop;
static const hk_llm_vtable *vt = &hk_llm_openai;

static const char *k_script =
    "{\"rules\":["
    "{\"when\":\"user\",\"contains\":\"ORDER\",\"text\":\"Let me check.\",\"tool_calls\":["
    "{\"name\":\"lookup_order\",\"arguments\":{\"order_number\":\"1001\"}},"
    "{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris, FR\",\"days\":[1,2]}}]},"
    "{\"when\":\"user\",\"contains\":\"weather only\",\"tool_calls\":["
    "{\"name\":\"get_weather\",\"arguments\":{}}]},"
    "{\"when\":\"tool\",\"text\":\"Status: {{last}}\"}]}";

static const char *k_tools =
    "[{\"type\":\"function\",\"function\":{\"name\":\"lookup_order\",\"description\":\"Find an order\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{\"order_number\":{\"type\":\"string\"}}}}},"
    "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}]";

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
    hk_llm_config cfg = {.provider = "openai", .model = "gpt-test", .api_key = key, .base_url = base,
                         .temperature = -1, .first_token_timeout_s = timeouts, .idle_timeout_s = timeouts};
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

static void test_streams_tokens_in_order(void **state) {
    (void)state;
    fake_llm f;
    const char *args[] = {"--key", KEY, "--ttft-ms", "100", "--tokens-per-s", "25", NULL};
    fake_llm_start(&f, args);
    char base[128];
    snprintf(base, sizeof base, "%s/v1/", f.base); /* a trailing slash must not matter */
    hk_llm_config cfg = {.model = "gpt-test", .api_key = KEY, .base_url = base, .temperature = 0.25,
                         .max_tokens = 200};
    rec r = {.loop = loop, .vt = vt};
    hk_llm_sink sink = rec_sink(&r);
    char err[128];
    r.llm = vt->open(loop, &cfg, &sink, err, sizeof err);
    assert_non_null(r.llm);
    const char *req = "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                      "{\"role\":\"user\",\"content\":\"hello there, how are you doing today\"}]}";
    double t0 = wall_now();
    assert_int_equal(rec_start(&r, req), 0);
    assert_int_equal(rec_start(&r, req), -1); /* one at a time */
    run_until(loop, &r.n_done, 1, 20);
    assert_int_equal(r.n_done, 1);
    assert_int_equal(r.ok, 1);
    assert_string_equal(r.reason, "stop");
    assert_string_equal(r.text, "I heard: hello there, how are you doing today");
    assert_true(r.n_tokens >= 8);
    /* streamed: the first token long before the end (~12 tokens at 25/s) */
    assert_true(r.t_first_token - t0 < r.t_done - t0 - 0.2);
    assert_int_equal(r.n_calls, 0);
    /* the usage chunk: the fake counts 20 prompt tokens and one completion
     * token per streamed piece ("I"," hear","d:"," hell",... = 14) */
    assert_int_equal(r.n_usage, 1);
    assert_int_equal(r.use_prompt, 20);
    assert_int_equal(r.use_completion, 14);
    assert_int_equal(r.use_completion, r.n_tokens);

    cJSON *l = fake_llm_log(&f, 0);
    assert_non_null(l);
    assert_string_equal(path(l, "path", NULL)->valuestring, "/v1/chat/completions");
    assert_int_equal(path(l, "status", NULL)->valueint, 200);
    assert_string_equal(path(l, "headers", "authorization")->valuestring, "Bearer " KEY);
    assert_string_equal(path(l, "body", "model")->valuestring, "gpt-test");
    assert_true(cJSON_IsTrue(path(l, "body", "stream")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(path(l, "body", "stream_options"), "include_usage")));
    assert_true(path(l, "body", "temperature")->valuedouble == 0.25);
    assert_int_equal(path(l, "body", "max_tokens")->valueint, 200);
    assert_null(path(l, "body", "tool_choice"));
    assert_int_equal(cJSON_GetArraySize(path(l, "body", "messages")), 2);
    /* the fake really streamed over time */
    assert_true(path(l, "last_event", NULL)->valuedouble - path(l, "first_event", NULL)->valuedouble > 0.2);
    cJSON_Delete(l);
    vt->close(r.llm);
    fake_llm_stop(&f);
}

/* ---- tool calls and the round trip ------------------------------------ */

static rec g_first;
static char g_req2[16384];
static int g_rc2 = -2;

static void assert_args(const char *got, const char *want) {
    cJSON *a = cJSON_Parse(got), *b = cJSON_Parse(want);
    assert_non_null(a);
    assert_true(cJSON_Compare(a, b, 1));
    cJSON_Delete(a);
    cJSON_Delete(b);
}

/* From inside the first done: send the tool results and ask again. */
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
    /* the first completion: text, then two calls assembled from fragments */
    assert_int_equal(g_first.ok, 1);
    assert_string_equal(g_first.reason, "tool_calls");
    assert_string_equal(g_first.text, "Let me check.");
    assert_int_equal(g_first.n_calls, 2);
    assert_string_equal(g_first.calls[0].name, "lookup_order");
    assert_args(g_first.calls[0].args, "{\"order_number\":\"1001\"}");
    assert_string_equal(g_first.calls[1].name, "get_weather");
    assert_args(g_first.calls[1].args, "{\"city\":\"Paris, FR\",\"days\":[1,2]}");
    assert_true(strncmp(g_first.calls[0].id, "call_", 5) == 0);
    assert_string_not_equal(g_first.calls[0].id, g_first.calls[1].id);
    /* the second, started from inside done */
    assert_int_equal(g_rc2, 0);
    assert_int_equal(r.n_done, 2);
    assert_int_equal(r.ok, 1);
    assert_string_equal(r.reason, "stop");
    assert_string_equal(r.text, "Status: sunny");
    assert_int_equal(r.after_done, 0);

    cJSON *l0 = fake_llm_log(&f, 0), *l1 = fake_llm_log(&f, 1);
    assert_non_null(l0);
    assert_non_null(l1);
    assert_string_equal(path(l0, "body", "tool_choice")->valuestring, "auto");
    assert_int_equal(cJSON_GetArraySize(path(l0, "body", "tools")), 2);
    /* both turns on one kept-alive connection */
    assert_int_equal(path(l0, "client_port", NULL)->valueint, path(l1, "client_port", NULL)->valueint);
    /* the strict fake accepted the round trip: assistant tool_calls + tool messages */
    assert_int_equal(path(l1, "status", NULL)->valueint, 200);
    cJSON *msgs = path(l1, "body", "messages");
    assert_int_equal(cJSON_GetArraySize(msgs), 5);
    cJSON *asst = cJSON_GetArrayItem(msgs, 2);
    cJSON *calls = cJSON_GetObjectItem(asst, "tool_calls");
    assert_int_equal(cJSON_GetArraySize(calls), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(calls, 1), "id")->valuestring, g_first.calls[1].id);
    cJSON *tool = cJSON_GetArrayItem(msgs, 3);
    assert_string_equal(cJSON_GetObjectItem(tool, "role")->valuestring, "tool");
    assert_string_equal(cJSON_GetObjectItem(tool, "tool_call_id")->valuestring, g_first.calls[0].id);
    cJSON_Delete(l0);
    cJSON_Delete(l1);
    vt->close(r.llm);
    fake_llm_stop(&f);
}

/* A tool call with no arguments comes as "{}"; a tool message that answers
 * nothing is refused by the fake, and the 400's message is reported. */
static void test_empty_arguments_and_400(void **state) {
    (void)state;
    fake_llm f;
    const char *args[] = {"--script", SCRIPT_FILE, "--ttft-ms", "20", NULL};
    fake_llm_start(&f, args);
    rec r = {0};
    open_llm(&r, f.base, "", 0);
    char req[4096];
    snprintf(req, sizeof req, "{\"messages\":[{\"role\":\"user\",\"content\":\"weather only\"}],\"tools\":%s}",
             k_tools);
    assert_int_equal(rec_start(&r, req), 0);
    run_until(loop, &r.n_done, 1, 20);
    assert_int_equal(r.ok, 1);
    assert_string_equal(r.reason, "tool_calls");
    assert_int_equal(r.n_calls, 1);
    assert_args(r.calls[0].args, "{}");
    cJSON *l = fake_llm_log(&f, 0);
    assert_null(path(l, "headers", "authorization")); /* no key: no header */
    cJSON_Delete(l);

    r.n_done = 0;
    const char *bad = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
                      "{\"role\":\"tool\",\"tool_call_id\":\"call_x\",\"content\":\"r\"}]}";
    assert_int_equal(rec_start(&r, bad), 0);
    run_until(loop, &r.n_done, 1, 20);
    assert_int_equal(r.ok, 0);
    assert_non_null(strstr(r.reason, "http 400: Invalid parameter: messages with role 'tool'"));
    assert_int_equal(rec_start(&r, "not json"), -1);
    run_for(loop, 0.1);
    assert_int_equal(r.n_done, 1);
    vt->close(r.llm);
    fake_llm_stop(&f);
}

/* ---- failures ---------------------------------------------------------- */

static void test_faults(void **state) {
    (void)state;
    static const struct {
        const char *kind, *reason;
    } k[] = {
        {"stall", "timeout: no first token after 1.5 s"},
        {"slow", "timeout: no first token"},
        {"hang", "timeout: no data for 1.5 s"},
        {"drop", "stream dropped"},
        {"429", "http 429: Rate limit reached"},
        {"500", "http 500: The server had an error"},
        {"malformed", "malformed event: "},
        {"overloaded", "server_error: The server is overloaded"},
    };
    for (size_t i = 0; i < sizeof k / sizeof *k; i++)
        fake_llm_check_fault(loop, vt, open_llm, k[i].kind, k[i].reason);
}

static void test_wrong_key(void **state) {
    (void)state;
    fake_llm f;
    const char *args[] = {"--key", KEY, NULL};
    fake_llm_start(&f, args);
    const char *req = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    rec r = {0};
    open_llm(&r, f.base, "sk-wrong-key", 0);
    assert_int_equal(rec_start(&r, req), 0);
    run_until(loop, &r.n_done, 1, 10);
    assert_int_equal(r.ok, 0);
    assert_true(strncmp(r.reason, "http 401: Incorrect API key provided", 36) == 0);
    vt->close(r.llm);
    rec n = {0};
    open_llm(&n, f.base, "", 0);
    assert_int_equal(rec_start(&n, req), 0);
    run_until(loop, &n.n_done, 1, 10);
    assert_string_equal(n.reason, "http 401: You didn't provide an API key.");
    vt->close(n.llm);
    fake_llm_stop(&f);
}

static void test_refused(void **state) {
    (void)state;
    rec r = {0};
    open_llm(&r, "http://127.0.0.1:1/v1", "k", 0);
    assert_int_equal(rec_start(&r, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), 0);
    run_until(loop, &r.n_done, 1, 10);
    assert_int_equal(r.n_done, 1);
    assert_int_equal(r.ok, 0);
    assert_true(strncmp(r.reason, "request failed: ", 16) == 0);
    vt->close(r.llm);
}

/* ---- cancel and close from anywhere ------------------------------------ */

static void test_cancel_and_close(void **state) {
    (void)state;
    fake_llm f;
    const char *args[] = {"--ttft-ms", "20", "--tokens-per-s", "30", NULL};
    fake_llm_start(&f, args);
    const char *req = "{\"messages\":[{\"role\":\"user\",\"content\":\"one two three four five six seven\"}]}";
    rec r = {0};
    open_llm(&r, f.base, "", 0);
    r.cancel_at_token = 2; /* cancel from inside a token callback */
    assert_int_equal(rec_start(&r, req), 0);
    run_until(loop, &r.n_tokens, 2, 10);
    run_for(loop, 1.0);
    assert_int_equal(r.n_tokens, 2);
    assert_int_equal(r.n_done, 0);
    /* OpenAI reports usage in the last chunk: a cancelled stream has none,
     * and none is guessed */
    assert_int_equal(r.n_usage, 0);
    /* cancel from outside, mid-stream */
    r.cancel_at_token = 0;
    r.n_tokens = 0;
    assert_int_equal(rec_start(&r, req), 0);
    run_until(loop, &r.n_tokens, 1, 10);
    rec_cancel(&r);
    int seen = r.n_tokens;
    run_for(loop, 0.8);
    assert_int_equal(r.n_tokens, seen);
    assert_int_equal(r.n_done, 0);
    /* the provider still works */
    r.text[0] = 0;
    assert_int_equal(rec_start(&r, req), 0);
    run_until(loop, &r.n_done, 1, 10);
    assert_int_equal(r.ok, 1);
    assert_string_equal(r.text, "I heard: one two three four five six seven");
    assert_int_equal(r.use_prompt, 20); /* only the completion that finished */
    assert_int_equal(r.use_completion, 12);
    vt->close(r.llm);

    rec c = {0};
    open_llm(&c, f.base, "", 0);
    c.close_at_token = 1; /* close from inside a token callback */
    assert_int_equal(rec_start(&c, req), 0);
    run_until(loop, &c.n_tokens, 1, 10);
    run_for(loop, 0.5);
    assert_int_equal(c.n_tokens, 1);
    assert_int_equal(c.n_done, 0);

    rec d = {0};
    open_llm(&d, f.base, "", 0);
    d.close_in_done = 1; /* close from inside done */
    assert_int_equal(rec_start(&d, req), 0);
    run_until(loop, &d.n_done, 1, 10);
    run_for(loop, 0.3);
    assert_int_equal(d.n_done, 1);
    assert_int_equal(d.ok, 1);
    fake_llm_stop(&f);
}

/* Two calls on one worker: each opens its own client object, yet the second
 * request goes over the first one's connection (the loop's shared client). */
static void test_connection_reused_across_calls(void **state) {
    (void)state;
    fake_llm f;
    const char *args[] = {"--key", KEY, "--ttft-ms", "10", "--tokens-per-s", "500", NULL};
    fake_llm_start(&f, args);
    const char *req = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    rec a = {0}, b = {0};
    open_llm(&a, f.base, KEY, 5);
    assert_int_equal(rec_start(&a, req), 0);
    run_until(loop, &a.n_done, 1, 20);
    assert_int_equal(a.ok, 1);
    vt->close(a.llm); /* the first call ends */
    open_llm(&b, f.base, KEY, 5);
    assert_int_equal(rec_start(&b, req), 0);
    run_until(loop, &b.n_done, 1, 20);
    assert_int_equal(b.ok, 1);
    vt->close(b.llm);
    cJSON *l0 = fake_llm_log(&f, 0), *l1 = fake_llm_log(&f, 1);
    assert_non_null(l0);
    assert_non_null(l1);
    assert_int_equal(path(l0, "client_port", NULL)->valueint, path(l1, "client_port", NULL)->valueint);
    cJSON_Delete(l0);
    cJSON_Delete(l1);
    fake_llm_stop(&f);
}

static void test_request_body(void **state) {
    (void)state;
    char err[128];
    hk_llm_config cfg = {.model = "m1", .temperature = -1};
    char *b = hk_openai_request("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[]}", &cfg,
                                err, sizeof err);
    assert_non_null(b);
    cJSON *j = cJSON_Parse(b);
    assert_null(cJSON_GetObjectItem(j, "tools")); /* the API refuses [] */
    assert_null(cJSON_GetObjectItem(j, "tool_choice"));
    assert_null(cJSON_GetObjectItem(j, "temperature"));
    assert_null(cJSON_GetObjectItem(j, "max_tokens"));
    assert_string_equal(cJSON_GetObjectItem(j, "model")->valuestring, "m1");
    cJSON_Delete(j);
    free(b);
    /* the token limit: max_completion_tokens for OpenAI's o-series and gpt-5 */
    hk_llm_config o3 = {.model = "o3-mini", .temperature = -1, .max_tokens = 50};
    b = hk_openai_request("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", &o3, err, sizeof err);
    j = cJSON_Parse(b);
    assert_int_equal(cJSON_GetObjectItem(j, "max_completion_tokens")->valueint, 50);
    assert_null(cJSON_GetObjectItem(j, "max_tokens"));
    cJSON_Delete(j);
    free(b);
    assert_null(hk_openai_request("{\"messages\":3}", &cfg, err, sizeof err));
    assert_null(hk_openai_request("[", &cfg, err, sizeof err));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connection_reused_across_calls),
        cmocka_unit_test(test_request_body),
        cmocka_unit_test(test_streams_tokens_in_order),
        cmocka_unit_test(test_tool_calls_round_trip),
        cmocka_unit_test(test_empty_arguments_and_400),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_cancel_and_close),
        cmocka_unit_test(test_faults),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
