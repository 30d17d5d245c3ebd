/* tests/unit/net/test_http_head: net/http_head's verdicts at each limit's
 * boundary (one byte under passes, one over is refused with its status), on
 * incomplete heads, and on what lws would drop without an answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/http_head.h"

#define MAXB 1000

static int check(const char *s) {
    hk_http_head h;
    return hk_http_head_check(s, strlen(s), MAXB, &h);
}

/* "GET /aaa... HTTP/1.1\r\n\r\n" whose request line is exactly line_len bytes */
static char *line_of(size_t line_len) {
    char *s = malloc(line_len + 8);
    size_t path = line_len - strlen("GET  HTTP/1.1");
    memcpy(s, "GET /", 5);
    memset(s + 5, 'a', path - 1);
    strcpy(s + 4 + path, " HTTP/1.1\r\n\r\n");
    return s;
}

static void test_request_line_limit(void **state) {
    (void)state;
    char *ok = line_of(HK_HTTP_LINE_MAX), *over = line_of(HK_HTTP_LINE_MAX + 1);
    assert_int_equal(check(ok), 0);
    assert_int_equal(check(over), 414);
    over[HK_HTTP_LINE_MAX + 1] = 0; /* no CRLF yet, already too long */
    assert_int_equal(check(over), 414);
    free(ok);
    free(over);
}

static void test_header_limits(void **state) {
    (void)state;
    char buf[HK_HTTP_HEAD_MAX * 2];
    int n = sprintf(buf, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < HK_HTTP_HEADERS_MAX; i++) n += sprintf(buf + n, "X-%d: v\r\n", i);
    strcpy(buf + n, "\r\n");
    assert_int_equal(check(buf), 0);
    n += sprintf(buf + n, "X-last: v\r\n");
    strcpy(buf + n, "\r\n");
    assert_int_equal(check(buf), 431);
    n = sprintf(buf, "GET / HTTP/1.1\r\nX-Big: ");
    memset(buf + n, 'b', HK_HTTP_HEAD_MAX);
    strcpy(buf + n + HK_HTTP_HEAD_MAX, "\r\n\r\n");
    assert_int_equal(check(buf), 431);
}

static void test_bodies(void **state) {
    (void)state;
    hk_http_head h;
    const char *ok = "POST /x HTTP/1.1\r\nContent-Length: 1000\r\n\r\n";
    assert_int_equal(hk_http_head_check(ok, strlen(ok), MAXB, &h), 0);
    assert_int_equal(h.content_length, 1000);
    assert_int_equal(h.head_len, strlen(ok));
    assert_int_equal(check("POST /x HTTP/1.1\r\nContent-Length: 1001\r\n\r\n"), 413);
    assert_int_equal(check("POST /x HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n"), 413);
    assert_int_equal(check("POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n"), 400);
    assert_int_equal(check("POST /x HTTP/1.1\r\nContent-Length: 1x\r\n\r\n"), 400);
    assert_int_equal(check("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), 411);
    assert_int_equal(check("POST /x HTTP/1.1\r\ntransfer-encoding: identity\r\n\r\n"), 411);
}

static void test_incomplete_and_malformed(void **state) {
    (void)state;
    assert_int_equal(check(""), 1);
    assert_int_equal(check("GET / HT"), 1);
    assert_int_equal(check("GET / HTTP/1.1\r\nHost: x\r\n"), 1);
    assert_int_equal(check("GET / HTTP/1.1\n\n"), 400);            /* bare LF */
    assert_int_equal(check("GET / HTTP/2.0\r\n\r\n"), 400);
    assert_int_equal(check("get / HTTP/1.1\r\n\r\n"), 400);
    assert_int_equal(check("GET x HTTP/1.1\r\n\r\n"), 400);         /* not origin-form */
    assert_int_equal(check("GET /a b HTTP/1.1\r\n\r\n"), 400);
    assert_int_equal(check("GET /%00 HTTP/1.1\r\n\r\n"), 400);
    assert_int_equal(check("GET /%zz HTTP/1.1\r\n\r\n"), 400);
    assert_int_equal(check("GET / HTTP/1.1\r\nBad Name: v\r\n\r\n"), 400);
    assert_int_equal(check("GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n"), 400);
    assert_int_equal(check("GET / HTTP/1.1\r\nX: a\001b\r\n\r\n"), 400);
    char args[512];
    int n = sprintf(args, "GET /?");
    for (int i = 0; i < HK_HTTP_QUERY_ARGS_MAX; i++) n += sprintf(args + n, "a=%d&", i);
    sprintf(args + n, " HTTP/1.1\r\n\r\n");
    assert_int_equal(check(args), 414);
}

static void test_upgrade_needs_handshake(void **state) {
    (void)state;
    assert_int_equal(check("GET /s HTTP/1.1\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
                           "Sec-WebSocket-Key: k\r\nSec-WebSocket-Version: 13\r\n\r\n"), 0);
    assert_int_equal(check("GET /s HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"), 400);
    assert_int_equal(check("GET /s HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: k\r\nSec-WebSocket-Version: 8\r\n\r\n"), 400);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_line_limit), cmocka_unit_test(test_header_limits),
        cmocka_unit_test(test_bodies),             cmocka_unit_test(test_incomplete_and_malformed),
        cmocka_unit_test(test_upgrade_needs_handshake),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
