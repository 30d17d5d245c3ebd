/* tests/unit/net/test_sse: the SSE parser on OpenAI- and Anthropic-shaped
 * streams, every line-ending style, and every possible chunking of a stream
 * (each split point, and byte by byte) giving the same events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/sse.h"

typedef struct got {
    char log[8192];
    size_t len;
    int n;
} got;

static void on_event(void *ud, const char *event, const char *data, size_t len) {
    got *g = ud;
    g->len += (size_t)snprintf(g->log + g->len, sizeof g->log - g->len, "[%s|%.*s]", event,
                               (int)len, data);
    g->n++;
}

static void parse_whole(const char *s, got *g) {
    hk_sse p;
    hk_sse_init(&p, on_event, g);
    assert_int_equal(hk_sse_feed(&p, s, strlen(s)), 0);
    hk_sse_free(&p);
}

static const char *openai =
    ": keep-alive comment\n\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n"
    "data:{\"choices\":[{\"delta\":{\"content\":\"lo \\u00e9\"}}]}\n\n"
    "data: [DONE]\n\n";

static const char *anthropic =
    "event: message_start\r\ndata: {\"type\":\"message_start\"}\r\n\r\n"
    "event: ping\rdata: {\"type\": \"ping\"}\r\r"
    "event: content_block_delta\ndata: {\"a\":1}\ndata: {\"b\":2}\n\n"
    "event: message_stop\ndata: {}\n\n";

static void test_openai(void **state) {
    (void)state;
    got g = {0};
    parse_whole(openai, &g);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.log,
                        "[message|{\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}]"
                        "[message|{\"choices\":[{\"delta\":{\"content\":\"lo \\u00e9\"}}]}]"
                        "[message|[DONE]]");
}

static void test_anthropic_line_endings(void **state) {
    (void)state;
    got g = {0};
    parse_whole(anthropic, &g);
    assert_int_equal(g.n, 4);
    assert_string_equal(g.log,
                        "[message_start|{\"type\":\"message_start\"}]"
                        "[ping|{\"type\": \"ping\"}]"
                        "[content_block_delta|{\"a\":1}\n{\"b\":2}]"
                        "[message_stop|{}]");
}

static void test_every_split(void **state) {
    (void)state;
    const char *streams[] = {openai, anthropic};
    for (int s = 0; s < 2; s++) {
        got whole = {0};
        parse_whole(streams[s], &whole);
        size_t n = strlen(streams[s]);
        for (size_t cut = 0; cut <= n; cut++) {
            got g = {0};
            hk_sse p;
            hk_sse_init(&p, on_event, &g);
            hk_sse_feed(&p, streams[s], cut);
            hk_sse_feed(&p, streams[s] + cut, n - cut);
            hk_sse_free(&p);
            assert_string_equal(g.log, whole.log);
        }
        got b = {0};
        hk_sse p;
        hk_sse_init(&p, on_event, &b);
        for (size_t i = 0; i < n; i++) hk_sse_feed(&p, streams[s] + i, 1);
        hk_sse_free(&p);
        assert_string_equal(b.log, whole.log);
    }
}

static void test_fields(void **state) {
    (void)state;
    got g = {0};
    /* no space after colon, two spaces keep one, field without colon, unknown
     * fields, id, retry, an event with no data is not dispatched */
    parse_whole("data:x\n\ndata:  y\n\ndata\n\nevent: e\n\nfoo: bar\nretry: 10\nid: 7\ndata: z\n\n", &g);
    assert_string_equal(g.log, "[message|x][message| y][message|][message|z]");
    /* an unterminated last event is not dispatched */
    got h = {0};
    parse_whole("data: a\n\ndata: b", &h);
    assert_string_equal(h.log, "[message|a]");
}

static void test_too_large(void **state) {
    (void)state;
    got g = {0};
    hk_sse p;
    hk_sse_init(&p, on_event, &g);
    size_t n = 1 << 20;
    char *big = malloc(n);
    memset(big, 'x', n);
    assert_int_equal(hk_sse_feed(&p, "data: ", 6), 0);
    int rc = 0;
    for (int i = 0; i < 6 && rc == 0; i++) rc = hk_sse_feed(&p, big, n);
    assert_int_equal(rc, -1);
    assert_int_equal(hk_sse_feed(&p, "\n\n", 2), -1); /* stays failed */
    assert_int_equal(g.n, 0);
    free(big);
    hk_sse_free(&p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openai),
        cmocka_unit_test(test_anthropic_line_endings),
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_too_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
