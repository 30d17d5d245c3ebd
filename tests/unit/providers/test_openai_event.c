/* tests/unit/providers/test_openai_event: providers/openai_event on the events
 * an OpenAI-compatible server streams (shaped like tests/fakes/fake_llm.py's
 * and the protocol notes): text deltas, the role-only first delta, tool call
 * fragments (id and name first, then argument pieces, several indexes, an
 * object for arguments, no index), finish reasons, the usage-only chunk,
 * [DONE], in-stream errors; malformed events (not JSON, not an object,
 * unusable tool call indexes, every truncation of a real event) refused with
 * a "malformed event: " message; data read only up to len. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "providers/openai_event.h"

static hk_openai_event ev;
static char err[256];

/* parses s from an exact-size heap copy, so ASan sees any read past len */
static int parse_n(const char *s, size_t n) {
    char *copy = malloc(n ? n : 1);
    memcpy(copy, s, n);
    hk_openai_event_free(&ev);
    int rc = hk_openai_event_parse(copy, n, &ev, err, sizeof err);
    free(copy);
    return rc;
}

static int parse(const char *s) { return parse_n(s, strlen(s)); }

#define CHUNK(delta, finish)                                                                        \
    "{\"id\":\"chatcmpl-AbC\",\"object\":\"chat.completion.chunk\",\"created\":1733450000,"          \
    "\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_fake\",\"choices\":[{\"index\":0,\"delta\":" \
    delta ",\"logprobs\":null,\"finish_reason\":" finish "}],\"usage\":null}"

static int teardown(void **state) {
    (void)state;
    hk_openai_event_free(&ev);
    return 0;
}

static void test_text_delta(void **state) {
    (void)state;
    assert_int_equal(parse(CHUNK("{\"content\":\"Hel\"}", "null")), HK_OPENAI_EVENT_OK);
    assert_int_equal(ev.kind, HK_OPENAI_EVENT_CHUNK);
    assert_int_equal(ev.has_choice, 1);
    assert_non_null(ev.text);
    assert_int_equal(ev.text_len, 3);
    assert_string_equal(ev.text, "Hel");
    assert_int_equal(ev.n_calls, 0);
    assert_null(ev.finish_reason);
    assert_int_equal(ev.has_usage, 0); /* "usage":null is no usage */
    assert_int_equal(ev.prompt_tokens, -1);

    /* the first delta: a role, empty content, a refusal of null */
    assert_int_equal(parse(CHUNK("{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}", "null")),
                     HK_OPENAI_EVENT_OK);
    assert_int_equal(ev.has_choice, 1);
    assert_null(ev.text);
    assert_int_equal(ev.text_len, 0);

    /* escapes decoded; a \u0000 ends the text where the C string ends */
    assert_int_equal(parse(CHUNK("{\"content\":\"caf\\u00e9 \\\"ok\\\"\\n\"}", "null")), HK_OPENAI_EVENT_OK);
    assert_string_equal(ev.text, "caf\xc3\xa9 \"ok\"\n");
    assert_int_equal(ev.text_len, strlen("caf\xc3\xa9 \"ok\"\n"));
    assert_int_equal(parse(CHUNK("{\"content\":\"ab\\u0000cd\"}", "null")), HK_OPENAI_EVENT_OK);
    assert_int_equal(ev.text_len, strlen(ev.text));

    /* content that is not a string is no text */
    assert_int_equal(parse(CHUNK("{\"content\":42}", "null")), HK_OPENAI_EVENT_OK);
    assert_null(ev.text);
}

static void test_tool_call_fragments(void **state) {
    (void)state;
    /* the first fragment of a call names id and function */
    assert_int_equal(parse(CHUNK("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,"
                                 "\"id\":\"call_Xy12\",\"type\":\"function\",\"function\":{\"name\":"
                                 "\"lookup_order\",\"arguments\":\"\"}}]}",
                                 "null")),
                     HK_OPENAI_EVENT_OK);
    assert_null(ev.text);
    assert_int_equal(ev.n_calls, 1);
    assert_int_equal(ev.calls[0].index, 0);
    assert_string_equal(ev.calls[0].id, "call_Xy12");
    assert_string_equal(ev.calls[0].name, "lookup_order");
    assert_non_null(ev.calls[0].args);
    assert_int_equal(ev.calls[0].args_len, 0);

    /* later fragments carry index and arguments only */
    assert_int_equal(parse(CHUNK("{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"{\\\"city\\\":\"}}]}",
                                 "null")),
                     HK_OPENAI_EVENT_OK);
    assert_int_equal(ev.n_calls, 1);
    assert_int_equal(ev.calls[0].index, 1);
    assert_null(ev.calls[0].id);
    assert_null(ev.calls[0].name);
    assert_string_equal(ev.calls[0].args, "{\"city\":");
    assert_int_equal(ev.calls[0].args_len, 8);

    /* several calls in one event; no index: the position; an object for
     * arguments (some compatible servers) printed as JSON text; empty id and
     * name are no id and name */
    assert_int_equal(parse(CHUNK("{\"tool_calls\":[{\"id\":\"\",\"function\":{\"name\":\"\",\"arguments\":"
                                 "{\"a\":[1,2]}}},{\"id\":\"c2\",\"function\":{\"name\":\"b\"}},"
                                 "{\"index\":7,\"function\":{\"arguments\":5}}]}",
                                 "null")),
                     HK_OPENAI_EVENT_OK);
    assert_int_equal(ev.n_calls, 3);
    assert_int_equal(ev.calls[0].index, 0);
    assert_null(ev.calls[0].id);
    assert_null(ev.calls[0].name);
    assert_string_equal(ev.calls[0].args, "{\"a\":[1,2]}");
    assert_int_equal(ev.calls[0].args_len, strlen("{\"a\":[1,2]}"));
    assert_int_equal(ev.calls[1].index, 1);
    assert_string_equal(ev.calls[1].id, "c2");
    assert_string_equal(ev.calls[1].name, "b");
    assert_null(ev.calls[1].args);
    assert_int_equal(ev.calls[2].index, 7);
    assert_null(ev.calls[2].args); /* a number is no fragment */

    /* the largest index accepted */
    assert_int_equal(parse(CHUNK("{\"tool_calls\":[{\"index\":65535}]}", "null")), HK_OPENAI_EVENT_OK);
    assert_int_equal(ev.calls[0].index, HK_OPENAI_EVENT_INDEX_MAX);
    /* tool_calls that is not an array is ignored */
    assert_int_equal(parse(CHUNK("{\"tool_calls\":{\"index\":0}}", "null")), HK_OPENAI_EVENT_OK);
    assert_int_equal(ev.n_calls, 0);
}

static void test_finish_and_usage(void **state) {
    (void)state;
    assert_int_equal(parse(CHUNK("{}", "\"tool_calls\"")), HK_OPENAI_EVENT_OK);
    assert_int_equal(ev.has_choice, 1);
    assert_string_equal(ev.finish_reason, "tool_calls");
    assert_int_equal(parse(CHUNK("{}", "\"\"")), HK_OPENAI_EVENT_OK);
    assert_null(ev.finish_reason);

    /* the usage-only last chunk */
    assert_int_equal(parse("{\"id\":\"chatcmpl-AbC\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                           "\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":20,"
                           "\"completion_tokens\":14,\"total_tokens\":34}}"),
                     HK_OPENAI_EVENT_OK);
    assert_int_equal(ev.kind, HK_OPENAI_EVENT_CHUNK);
    assert_int_equal(ev.has_choice, 0);
    assert_int_equal(ev.has_usage, 1);
    assert_int_equal(ev.prompt_tokens, 20);
    assert_int_equal(ev.completion_tokens, 14);
    assert_null(ev.text);
    assert_null(ev.finish_reason);

    /* usage on the finishing chunk; counts that are not sane are -1 */
    assert_int_equal(parse("{\"choices\":[{\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}],"
                           "\"usage\":{\"prompt_tokens\":-3,\"completion_tokens\":1e13}}"),
                     HK_OPENAI_EVENT_OK);
    assert_int_equal(ev.has_usage, 1);
    assert_int_equal(ev.prompt_tokens, -1);
    assert_int_equal(ev.completion_tokens, -1);
    assert_string_equal(ev.text, "x");
    assert_string_equal(ev.finish_reason, "stop");

    /* only choice 0 (or one without an index) counts */
    assert_int_equal(parse("{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"other\"}}]}"), HK_OPENAI_EVENT_OK);
    assert_int_equal(ev.has_choice, 0);
    assert_null(ev.text);
    assert_int_equal(parse("{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"other\"}},"
                           "{\"index\":0,\"delta\":{\"content\":\"mine\"}}]}"),
                     HK_OPENAI_EVENT_OK);
    assert_string_equal(ev.text, "mine");
}

static void test_done_and_error(void **state) {
    (void)state;
    assert_int_equal(parse("[DONE]"), HK_OPENAI_EVENT_OK);
    assert_int_equal(ev.kind, HK_OPENAI_EVENT_DONE);
    assert_int_equal(ev.has_choice, 0);
    /* [DONE] read only up to len: "[DONE]x" cut at 6 */
    assert_int_equal(parse_n("[DONE]x", 6), HK_OPENAI_EVENT_OK);
    assert_int_equal(ev.kind, HK_OPENAI_EVENT_DONE);
    assert_int_equal(parse("[DONE] "), HK_OPENAI_EVENT_EMALFORMED);

    assert_int_equal(parse("{\"error\":{\"message\":\"The server is overloaded or not ready yet.\","
                           "\"type\":\"server_error\",\"param\":null,\"code\":null}}"),
                     HK_OPENAI_EVENT_OK);
    assert_int_equal(ev.kind, HK_OPENAI_EVENT_ERROR);
    assert_string_equal(ev.error_type, "server_error");
    assert_string_equal(ev.error_message, "The server is overloaded or not ready yet.");
    assert_int_equal(parse("{\"error\":\"boom\",\"choices\":[{\"delta\":{\"content\":\"x\"}}]}"),
                     HK_OPENAI_EVENT_OK);
    assert_int_equal(ev.kind, HK_OPENAI_EVENT_ERROR);
    assert_null(ev.error_type);
    assert_null(ev.error_message);
    assert_null(ev.text); /* an error event carries nothing else */
}

static void test_malformed(void **state) {
    (void)state;
    assert_int_equal(parse(""), HK_OPENAI_EVENT_EMALFORMED);
    assert_string_equal(err, "malformed event: not a JSON object (0 bytes)");
    /* the fake's malformed fault: an event cut inside a string */
    assert_int_equal(parse("{\"id\":\"chatcmpl-1\",\"choices\":[{\"delta\":{\"content\":\"oops"),
                     HK_OPENAI_EVENT_EMALFORMED);
    /* the reason is logged: it says what is wrong, never what the event says */
    assert_int_equal(strncmp(err, "malformed event: not a JSON object (", 36), 0);
    assert_null(strstr(err, "oops"));
    assert_int_equal(ev.kind, HK_OPENAI_EVENT_CHUNK);
    assert_null(ev.text);
    assert_int_equal(ev.n_calls, 0);
    assert_int_equal(parse("[1,2]"), HK_OPENAI_EVENT_EMALFORMED);
    assert_int_equal(parse("\"text\""), HK_OPENAI_EVENT_EMALFORMED);
    assert_int_equal(parse("null"), HK_OPENAI_EVENT_EMALFORMED);

    /* a long event: its size, none of its bytes */
    char junk[300];
    memset(junk, 'z', sizeof junk - 1);
    junk[sizeof junk - 1] = 0;
    assert_int_equal(parse(junk), HK_OPENAI_EVENT_EMALFORMED);
    assert_string_equal(err, "malformed event: not a JSON object (299 bytes)");
    /* and a small err buffer is filled, terminated, not overrun */
    char small[8];
    memset(small, 'X', sizeof small);
    hk_openai_event_free(&ev);
    assert_int_equal(hk_openai_event_parse("nope", 4, &ev, small, sizeof small), HK_OPENAI_EVENT_EMALFORMED);
    assert_string_equal(small, "malform");

    /* tool call indexes that cannot be used */
    const char *bad[] = {"-1", "1.5", "65536", "1e300", "-0.5"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char e[256];
        snprintf(e, sizeof e, "{\"choices\":[{\"delta\":{\"content\":\"hi\",\"tool_calls\":[{\"index\":0},"
                              "{\"index\":%s,\"function\":{\"arguments\":{\"a\":1}}}]}}]}", bad[i]);
        assert_int_equal(parse(e), HK_OPENAI_EVENT_EMALFORMED);
        assert_string_equal(err, "malformed event: tool call index is not an integer in 0..65535");
        assert_null(ev.text); /* nothing of a refused event is kept */
        assert_int_equal(ev.n_calls, 0);
        assert_null(ev.calls);
    }
}

/* Every prefix of real events is refused with the message or parses (a
 * prefix that is itself a whole object); none reads past its length. */
static void test_every_truncation(void **state) {
    (void)state;
    const char *real[] = {
        CHUNK("{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":"
              "{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\": \\\"Paris\\\"}\"}}]}",
              "\"tool_calls\""),
        "{\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":3}}",
        "{\"error\":{\"message\":\"Overloaded\",\"type\":\"server_error\"}}",
    };
    for (size_t r = 0; r < sizeof real / sizeof *real; r++) {
        size_t n = strlen(real[r]);
        for (size_t k = 0; k < n; k++) {
            int rc = parse_n(real[r], k);
            if (rc != HK_OPENAI_EVENT_OK) {
                assert_int_equal(rc, HK_OPENAI_EVENT_EMALFORMED);
                assert_int_equal(strncmp(err, "malformed event: ", 17), 0);
            }
        }
        assert_int_equal(parse_n(real[r], n), HK_OPENAI_EVENT_OK);
    }
}

static void test_free_is_safe(void **state) {
    (void)state;
    hk_openai_event e;
    memset(&e, 0, sizeof e);
    hk_openai_event_free(&e);
    hk_openai_event_free(&e);
    hk_openai_event_free(NULL);
    const char *s = "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":{\"k\":\"v\"}}}]}}]}";
    assert_int_equal(hk_openai_event_parse(s, strlen(s), &e, NULL, 0), HK_OPENAI_EVENT_OK);
    assert_string_equal(e.calls[0].args, "{\"k\":\"v\"}");
    hk_openai_event_free(&e);
    assert_null(e.calls);
    assert_int_equal(e.n_calls, 0);
    hk_openai_event_free(&e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_text_delta, teardown),
        cmocka_unit_test_teardown(test_tool_call_fragments, teardown),
        cmocka_unit_test_teardown(test_finish_and_usage, teardown),
        cmocka_unit_test_teardown(test_done_and_error, teardown),
        cmocka_unit_test_teardown(test_malformed, teardown),
        cmocka_unit_test_teardown(test_every_truncation, teardown),
        cmocka_unit_test(test_free_is_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
