/* tests/unit/providers/test_anthropic_event: providers/anthropic_event on the
 * events of a Messages stream (shaped like tests/fakes/fake_llm.py's and the
 * protocol notes): message_start usage (with cache tokens), text and tool_use
 * block starts, text and input_json deltas routed by index, block stops,
 * message_delta stop reasons in OpenAI's words, message_stop, ping, unknown
 * kinds, in-stream errors, the data's type winning over the event name;
 * malformed events (not JSON, not an object, unusable block indexes, every
 * truncation of a real event) refused with a "malformed event: " message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "providers/anthropic_event.h"

static hk_anthropic_event ev;
static char err[256];

/* parses s from an exact-size heap copy, so ASan sees any read past len */
static int parse_n(const char *name, const char *s, size_t n) {
    char *copy = malloc(n ? n : 1);
    memcpy(copy, s, n);
    hk_anthropic_event_free(&ev);
    int rc = hk_anthropic_event_parse(name, copy, n, &ev, err, sizeof err);
    free(copy);
    return rc;
}

static int parse(const char *name, const char *s) { return parse_n(name, s, strlen(s)); }

static int teardown(void **state) {
    (void)state;
    hk_anthropic_event_free(&ev);
    return 0;
}

static void test_message_events(void **state) {
    (void)state;
    assert_int_equal(parse("message_start",
                           "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\","
                           "\"role\":\"assistant\",\"model\":\"claude-x\",\"content\":[],\"stop_reason\":null,"
                           "\"stop_sequence\":null,\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}"),
                     HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.kind, HK_ANTHROPIC_EVENT_MESSAGE_START);
    assert_int_equal(ev.has_usage, 1);
    assert_int_equal(ev.prompt_tokens, 25);
    assert_int_equal(ev.completion_tokens, 1);
    assert_null(ev.finish_reason);

    /* the cache reads and writes are billed as prompt */
    assert_int_equal(parse("message_start", "{\"type\":\"message_start\",\"message\":{\"usage\":{"
                                            "\"input_tokens\":5,\"cache_read_input_tokens\":100,"
                                            "\"cache_creation_input_tokens\":7,\"output_tokens\":2}}}"),
                     HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.prompt_tokens, 112);
    /* no input count at all: -1; a bad one counts as none */
    assert_int_equal(parse("message_start", "{\"type\":\"message_start\",\"message\":{\"usage\":{}}}"),
                     HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.has_usage, 1);
    assert_int_equal(ev.prompt_tokens, -1);
    assert_int_equal(ev.completion_tokens, -1);
    assert_int_equal(parse("message_start", "{\"type\":\"message_start\",\"message\":{\"usage\":{"
                                            "\"input_tokens\":-4,\"cache_read_input_tokens\":3}}}"),
                     HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.prompt_tokens, 3);
    /* usage that is not an object is no usage */
    assert_int_equal(parse("message_start", "{\"type\":\"message_start\",\"message\":{\"usage\":7}}"),
                     HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.has_usage, 0);

    assert_int_equal(parse("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\","
                                            "\"stop_sequence\":null},\"usage\":{\"output_tokens\":19}}"),
                     HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.kind, HK_ANTHROPIC_EVENT_MESSAGE_DELTA);
    assert_string_equal(ev.finish_reason, "tool_calls");
    assert_int_equal(ev.has_usage, 1);
    assert_int_equal(ev.prompt_tokens, -1);
    assert_int_equal(ev.completion_tokens, 19);
    assert_int_equal(parse("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"}}"),
                     HK_ANTHROPIC_EVENT_OK);
    assert_string_equal(ev.finish_reason, "stop");
    assert_int_equal(ev.has_usage, 0);
    assert_int_equal(parse("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"pause_turn\"}}"),
                     HK_ANTHROPIC_EVENT_OK);
    assert_string_equal(ev.finish_reason, "pause_turn"); /* a new reason passes as it is */
    assert_int_equal(parse("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":null}}"),
                     HK_ANTHROPIC_EVENT_OK);
    assert_null(ev.finish_reason);

    assert_int_equal(parse("message_stop", "{\"type\":\"message_stop\"}"), HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.kind, HK_ANTHROPIC_EVENT_MESSAGE_STOP);
    assert_int_equal(parse("ping", "{\"type\": \"ping\"}"), HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.kind, HK_ANTHROPIC_EVENT_OTHER);
    assert_int_equal(parse("new_kind", "{\"type\":\"new_kind\",\"index\":\"x\"}"), HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.kind, HK_ANTHROPIC_EVENT_OTHER);

    assert_string_equal(hk_anthropic_finish_reason("max_tokens"), "length");
    assert_string_equal(hk_anthropic_finish_reason("refusal"), "content_filter");
    assert_string_equal(hk_anthropic_finish_reason("stop_sequence"), "stop");
    assert_string_equal(hk_anthropic_finish_reason(NULL), "stop");
}

static void test_block_events(void **state) {
    (void)state;
    assert_int_equal(parse("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,"
                                                  "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"),
                     HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.kind, HK_ANTHROPIC_EVENT_BLOCK_START);
    assert_int_equal(ev.index, 0);
    assert_int_equal(ev.part, HK_ANTHROPIC_PART_TEXT);
    assert_null(ev.text);
    assert_int_equal(parse("content_block_start", "{\"type\":\"content_block_start\",\"index\":2,"
                                                  "\"content_block\":{\"type\":\"text\",\"text\":\"Hi\"}}"),
                     HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.index, 2);
    assert_string_equal(ev.text, "Hi");
    assert_int_equal(ev.text_len, 2);

    assert_int_equal(parse("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
                                                  "\"delta\":{\"type\":\"text_delta\",\"text\":\" the\\u00e9\"}}"),
                     HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.kind, HK_ANTHROPIC_EVENT_BLOCK_DELTA);
    assert_int_equal(ev.part, HK_ANTHROPIC_PART_TEXT);
    assert_string_equal(ev.text, " the\xc3\xa9");
    assert_int_equal(ev.text_len, 6);
    assert_null(ev.partial_json);

    assert_int_equal(parse("content_block_start",
                           "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\","
                           "\"id\":\"toolu_01A09q90qw90lq917835lq9\",\"name\":\"get_weather\",\"input\":{}}}"),
                     HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.kind, HK_ANTHROPIC_EVENT_BLOCK_START);
    assert_int_equal(ev.index, 1);
    assert_int_equal(ev.part, HK_ANTHROPIC_PART_TOOL);
    assert_string_equal(ev.id, "toolu_01A09q90qw90lq917835lq9");
    assert_string_equal(ev.name, "get_weather");
    assert_null(ev.text);
    /* a tool block without id or name: "" */
    assert_int_equal(parse("content_block_start", "{\"type\":\"content_block_start\",\"index\":255,"
                                                  "\"content_block\":{\"type\":\"tool_use\",\"id\":3}}"),
                     HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.index, 255);
    assert_string_equal(ev.id, "");
    assert_string_equal(ev.name, "");

    assert_int_equal(parse("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":"
                                                  "{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": \\\"Pa\"}}"),
                     HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.part, HK_ANTHROPIC_PART_TOOL);
    assert_string_equal(ev.partial_json, "{\"city\": \"Pa");
    assert_int_equal(ev.partial_len, 12);
    assert_null(ev.text);
    /* the empty first fragment is a fragment */
    assert_int_equal(parse("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":"
                                                  "{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}"),
                     HK_ANTHROPIC_EVENT_OK);
    assert_non_null(ev.partial_json);
    assert_int_equal(ev.partial_len, 0);

    /* kinds of blocks and deltas hark does not use */
    assert_int_equal(parse("content_block_start", "{\"type\":\"content_block_start\",\"index\":3,"
                                                  "\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}"),
                     HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.kind, HK_ANTHROPIC_EVENT_BLOCK_START);
    assert_int_equal(ev.part, HK_ANTHROPIC_PART_NONE);
    assert_int_equal(parse("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":3,"
                                                  "\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hm\"}}"),
                     HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.part, HK_ANTHROPIC_PART_NONE);
    assert_null(ev.text);
    assert_int_equal(parse("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":3}"),
                     HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.part, HK_ANTHROPIC_PART_NONE);

    assert_int_equal(parse("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}"),
                     HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.kind, HK_ANTHROPIC_EVENT_BLOCK_STOP);
    assert_int_equal(ev.index, 1);
    assert_int_equal(parse("content_block_future", "{\"type\":\"content_block_future\",\"index\":4}"),
                     HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.kind, HK_ANTHROPIC_EVENT_BLOCK_OTHER);
}

static void test_type_and_error(void **state) {
    (void)state;
    /* the data's type wins over the event name; without one, the name counts */
    assert_int_equal(parse("ping", "{\"type\":\"message_stop\"}"), HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.kind, HK_ANTHROPIC_EVENT_MESSAGE_STOP);
    assert_int_equal(parse("message_stop", "{}"), HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.kind, HK_ANTHROPIC_EVENT_MESSAGE_STOP);
    assert_int_equal(parse(NULL, "{}"), HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.kind, HK_ANTHROPIC_EVENT_OTHER);
    assert_int_equal(parse("", "{\"type\":5}"), HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.kind, HK_ANTHROPIC_EVENT_OTHER);

    assert_int_equal(parse("error", "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                                    "\"message\":\"Overloaded\"}}"),
                     HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.kind, HK_ANTHROPIC_EVENT_ERROR);
    assert_string_equal(ev.error_type, "overloaded_error");
    assert_string_equal(ev.error_message, "Overloaded");
    assert_int_equal(parse("error", "{\"error\":[]}"), HK_ANTHROPIC_EVENT_OK);
    assert_int_equal(ev.kind, HK_ANTHROPIC_EVENT_ERROR);
    assert_null(ev.error_type);
    assert_null(ev.error_message);
}

static void test_malformed(void **state) {
    (void)state;
    /* the fake's malformed fault: a delta cut inside its text */
    assert_int_equal(parse("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
                                                  "\"delta\":{\"type\":\"text_delta\",\"text\":\"oops"),
                     HK_ANTHROPIC_EVENT_EMALFORMED);
    /* the reason is logged: it says what is wrong, never what the event says */
    assert_int_equal(strncmp(err, "malformed event: not a JSON object (", 36), 0);
    assert_null(strstr(err, "oop"));
    assert_int_equal(ev.kind, HK_ANTHROPIC_EVENT_OTHER);
    assert_null(ev.text);
    assert_int_equal(parse("ping", ""), HK_ANTHROPIC_EVENT_EMALFORMED);
    assert_string_equal(err, "malformed event: not a JSON object (0 bytes)");
    assert_int_equal(parse("ping", "[]"), HK_ANTHROPIC_EVENT_EMALFORMED);
    assert_int_equal(parse("ping", "true"), HK_ANTHROPIC_EVENT_EMALFORMED);

    /* block events need an index 0..255 */
    const char *bad[] = {"", ",\"index\":-1", ",\"index\":256", ",\"index\":\"0\"", ",\"index\":1e300",
                         ",\"index\":null"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char e[256];
        snprintf(e, sizeof e, "{\"type\":\"content_block_delta\"%s,\"delta\":{\"type\":\"text_delta\","
                              "\"text\":\"x\"}}", bad[i]);
        assert_int_equal(parse("content_block_delta", e), HK_ANTHROPIC_EVENT_EMALFORMED);
        assert_string_equal(err, "malformed event: content_block_delta without a usable index");
        assert_null(ev.text); /* nothing of a refused event is kept */
        assert_int_equal(ev.kind, HK_ANTHROPIC_EVENT_OTHER);
    }
    /* a hostile, long type: the message is cut to the buffer */
    char e[600];
    char t[400];
    memset(t, 'q', sizeof t - 1);
    t[sizeof t - 1] = 0;
    snprintf(e, sizeof e, "{\"type\":\"content_block_%s\"}", t);
    assert_int_equal(parse("x", e), HK_ANTHROPIC_EVENT_EMALFORMED);
    assert_int_equal(strlen(err), sizeof err - 1);
    assert_int_equal(strncmp(err, "malformed event: content_block_qqq", 34), 0);
}

static void test_every_truncation(void **state) {
    (void)state;
    const char *real[][2] = {
        {"content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":"
                                "\"tool_use\",\"id\":\"toolu_01\",\"name\":\"get_weather\",\"input\":{}}}"},
        {"content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":"
                                "\"input_json_delta\",\"partial_json\":\"{\\\"a\\\":1}\"}}"},
        {"message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
                          "\"usage\":{\"output_tokens\":15}}"},
    };
    for (size_t r = 0; r < sizeof real / sizeof *real; r++) {
        size_t n = strlen(real[r][1]);
        for (size_t k = 0; k < n; k++) {
            int rc = parse_n(real[r][0], real[r][1], k);
            if (rc != HK_ANTHROPIC_EVENT_OK) {
                assert_int_equal(rc, HK_ANTHROPIC_EVENT_EMALFORMED);
                assert_int_equal(strncmp(err, "malformed event: ", 17), 0);
            }
        }
        assert_int_equal(parse_n(real[r][0], real[r][1], n), HK_ANTHROPIC_EVENT_OK);
    }
}

static void test_free_is_safe(void **state) {
    (void)state;
    hk_anthropic_event e;
    memset(&e, 0, sizeof e);
    hk_anthropic_event_free(&e);
    hk_anthropic_event_free(NULL);
    const char *s = "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"a\"}}";
    assert_int_equal(hk_anthropic_event_parse("content_block_delta", s, strlen(s), &e, NULL, 0),
                     HK_ANTHROPIC_EVENT_OK);
    assert_string_equal(e.text, "a");
    hk_anthropic_event_free(&e);
    assert_null(e.text);
    hk_anthropic_event_free(&e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_message_events, teardown),
        cmocka_unit_test_teardown(test_block_events, teardown),
        cmocka_unit_test_teardown(test_type_and_error, teardown),
        cmocka_unit_test_teardown(test_malformed, teardown),
        cmocka_unit_test_teardown(test_every_truncation, teardown),
        cmocka_unit_test(test_free_is_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
