/* tests/unit/net/test_http_server: net/http_server started on port 0 on a
 * libev loop, talked to with raw sockets while the loop runs in steps. Covers
 * what a stranger can send before any authentication: a long query (was a heap
 * overflow), a request line past lws's header space (was a NULL dereference),
 * huge and many headers, chunked and oversized bodies (exactly one answer,
 * then close), pipelining, an upgraded socket that is never trusted (closed),
 * a pre-trust message over 8 KB, the connection cap (503) and the open
 * connection count returning to zero; deferred answers (later, at once, never:
 * 504 at the deadline, and after the client left: a harmless release). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "net/http_server.h"

static struct ev_loop *loop;
static hk_server *srv;
static int ws_texts, ws_closed, ws_trust_next;
static size_t ws_last_len;
static double req_timeout;       /* request_timeout_s of the next start() */
static hk_http_pending *deferred; /* the handle of the last /defer request */

static void on_http(void *ud, const hk_http_request *req, hk_http_response *resp) {
    (void)ud;
    if (strncmp(req->path, "/defer", 6) == 0) {
        deferred = hk_http_defer(req);
        assert_non_null(deferred);
        assert_null(hk_http_defer(req)); /* once */
        if (strcmp(req->path, "/defer-now") == 0) {
            hk_http_pending_respond(deferred, 201, "application/json", "{\"now\":1}", 9);
            deferred = NULL;
        }
        return;
    }
    char buf[128];
    int n = snprintf(buf, sizeof buf, "%s %s q=%zu body=%zu\n", req->method, req->path,
                     strlen(req->query), req->body_len);
    resp->status = 200;
    resp->body = strdup(buf);
    resp->len = (size_t)n;
}

static void *on_open(void *ud, hk_conn *conn, const char *path, const char *sig) {
    (void)ud;
    (void)path;
    (void)sig;
    if (ws_trust_next) hk_conn_trust(conn);
    return conn;
}

static void on_text(void *st, const char *d, size_t n) {
    (void)st;
    (void)d;
    ws_texts++;
    ws_last_len = n;
}

static void on_closed(void *st) {
    (void)st;
    ws_closed++;
}

static void start(int max_conns) {
    char err[256];
    loop = ev_loop_new(EVFLAG_AUTO);
    hk_server_handlers h = {.ud = NULL, .http = on_http, .ws_open = on_open, .ws_text = on_text,
                            .ws_closed = on_closed, .max_connections = max_conns,
                            .ws_trust_timeout_s = 0.3, .request_timeout_s = req_timeout};
    srv = hk_server_new(loop, 0, 0, &h, err, sizeof err);
    assert_non_null(srv);
    ws_texts = ws_closed = ws_trust_next = 0;
}

static void stop(void) {
    hk_server_free(srv);
    ev_loop_destroy(loop);
}

static int dial(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)hk_server_port(srv))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void send_all(int fd, const void *d, size_t n) {
    const char *p = d;
    while (n) {
        struct pollfd pf = {fd, POLLOUT, 0};
        ev_run(loop, EVRUN_NOWAIT);
        if (poll(&pf, 1, 10) <= 0) continue;
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (w <= 0) return; /* the server closed: what it answered is still readable */
        p += w;
        n -= (size_t)w;
    }
}

/* Run the loop and read until the server closes or secs pass. Returns the
 * bytes read (NUL-terminated, caller frees); *closed says whether EOF came. */
static char *read_until_close(int fd, double secs, int *closed) {
    size_t cap = 65536, len = 0;
    char *out = malloc(cap);
    *closed = 0;
    for (int i = 0; i < (int)(secs * 100); i++) {
        ev_run(loop, EVRUN_NOWAIT);
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 10) <= 0) continue;
        ssize_t n = recv(fd, out + len, cap - len - 1, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) {
            *closed = 1;
            break;
        }
        if (n > 0) len += (size_t)n;
        if (len + 1 >= cap) break;
    }
    out[len] = 0;
    return out;
}

static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++) n++;
    return n;
}

/* One request, the whole answer (the server closes after it). */
static char *exchange(const void *req, size_t n) {
    int fd = dial(), closed;
    send_all(fd, req, n);
    char *out = read_until_close(fd, 3, &closed);
    assert_true(closed);
    close(fd);
    return out;
}

static char *exchange_str(const char *req) { return exchange(req, strlen(req)); }

static void test_long_query(void **state) {
    (void)state;
    start(0);
    char req[4200];
    int n = snprintf(req, sizeof req, "GET /x?");
    for (int i = 0; i < 3900; i++) req[n++] = i % 200 == 199 ? '&' : 'a'; /* 20 arguments */
    n += snprintf(req + n, sizeof req - (size_t)n, " HTTP/1.1\r\nHost: x\r\n\r\n");
    char *out = exchange(req, (size_t)n);
    assert_non_null(strstr(out, "HTTP/1.1 200"));
    assert_non_null(strstr(out, "GET /x q=3900"));
    free(out);
    assert_int_equal(hk_server_connections(srv), 0);
    stop();
}

static void test_request_line_too_long(void **state) {
    (void)state;
    start(0);
    size_t n = 7700;
    char *req = malloc(n + 64);
    memcpy(req, "GET /", 5);
    memset(req + 5, 'a', n);
    size_t len = 5 + n;
    len += (size_t)sprintf(req + len, " HTTP/1.1\r\nHost: x\r\n\r\n");
    char *out = exchange(req, len);
    assert_non_null(strstr(out, "HTTP/1.1 414"));
    assert_int_equal(count(out, "HTTP/1.1 "), 1);
    free(out);
    free(req);
    /* still serving */
    out = exchange_str("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_non_null(strstr(out, "HTTP/1.1 200"));
    free(out);
    stop();
}

static void test_headers_too_big(void **state) {
    (void)state;
    start(0);
    char *req = malloc(20000);
    int n = sprintf(req, "GET / HTTP/1.1\r\nX-Big: ");
    memset(req + n, 'b', 9000);
    n += 9000;
    n += sprintf(req + n, "\r\n\r\n");
    char *out = exchange(req, (size_t)n);
    assert_non_null(strstr(out, "HTTP/1.1 431"));
    free(out);
    n = sprintf(req, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < 100; i++) n += sprintf(req + n, "X-H%d: v\r\n", i);
    n += sprintf(req + n, "\r\n");
    out = exchange(req, (size_t)n);
    assert_non_null(strstr(out, "HTTP/1.1 431"));
    free(out);
    free(req);
    stop();
}

static void test_chunked_body_answered(void **state) {
    (void)state;
    start(0);
    char *out = exchange_str("POST /hook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "5\r\nhello\r\n0\r\n\r\n");
    assert_non_null(strstr(out, "HTTP/1.1 411"));
    assert_int_equal(count(out, "HTTP/1.1 "), 1);
    free(out);
    stop();
}

/* A POST with neither Content-Length nor Transfer-Encoding has no body
 * (RFC 9112 6.3): answered at once, not after the request deadline (408). */
static void test_post_without_length(void **state) {
    (void)state;
    req_timeout = 30;
    start(0);
    char *out = exchange_str("POST /auth/logout HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_non_null(strstr(out, "HTTP/1.1 200"));
    assert_non_null(strstr(out, "POST /auth/logout q=0 body=0"));
    free(out);
    req_timeout = 0;
    stop();
}

/* 10 MB announced: refused on the head, before the body is read, once. */
static void test_oversized_body_once(void **state) {
    (void)state;
    start(0);
    int fd = dial(), closed;
    const char *head = "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n";
    send_all(fd, head, strlen(head));
    char *body = calloc(1, 200000);
    send_all(fd, body, 200000);
    const char *next = "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\na=b";
    send_all(fd, next, strlen(next));
    char *out = read_until_close(fd, 4, &closed);
    assert_true(closed);
    assert_non_null(strstr(out, "HTTP/1.1 413"));
    assert_non_null(strstr(out, "Connection: close"));
    assert_int_equal(count(out, "HTTP/1.1 "), 1);
    free(out);
    free(body);
    close(fd);
    stop();
}

/* Pipelined requests: one answer, then the connection closes. */
static void test_pipelined_one_answer(void **state) {
    (void)state;
    start(0);
    char *out = exchange_str("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\na=b"
                             "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nc=d");
    assert_non_null(strstr(out, "POST /a q=0 body=3"));
    assert_int_equal(count(out, "HTTP/1.1 "), 1);
    assert_non_null(strstr(out, "connection: close"));
    free(out);
    stop();
}

static int upgrade(const char *path) {
    int fd = dial(), closed;
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                     path);
    send_all(fd, req, (size_t)n);
    char buf[512];
    size_t len = 0;
    for (int i = 0; i < 300 && !strstr(buf, "\r\n\r\n"); i++) {
        ev_run(loop, EVRUN_NOWAIT);
        struct pollfd pf = {fd, POLLIN, 0};
        buf[len] = 0;
        if (poll(&pf, 1, 10) <= 0) continue;
        ssize_t r = recv(fd, buf + len, sizeof buf - len - 1, MSG_DONTWAIT);
        if (r > 0) len += (size_t)r;
        buf[len] = 0;
    }
    (void)closed;
    assert_non_null(strstr(buf, "HTTP/1.1 101"));
    return fd;
}

/* A masked text frame of n bytes of 'x'. */
static void send_frame(int fd, size_t n) {
    uint8_t *f = malloc(n + 14);
    size_t h = 0;
    f[h++] = 0x81;
    if (n < 126) f[h++] = (uint8_t)(0x80 | n);
    else {
        f[h++] = 0x80 | 126;
        f[h++] = (uint8_t)(n >> 8);
        f[h++] = (uint8_t)n;
    }
    memset(f + h, 0, 4); /* zero mask: payload as is */
    h += 4;
    memset(f + h, 'x', n);
    send_all(fd, f, h + n);
    free(f);
}

static void test_untrusted_ws_closed(void **state) {
    (void)state;
    start(0);
    int fd = upgrade("/voice/stream/CA1"), closed;
    assert_int_equal(hk_server_connections(srv), 1);
    char *out = read_until_close(fd, 3, &closed);
    assert_true(closed); /* the trust deadline (0.3 s here) closed it */
    assert_int_equal(ws_closed, 1);
    free(out);
    close(fd);
    for (int i = 0; i < 20; i++) ev_run(loop, EVRUN_NOWAIT);
    assert_int_equal(hk_server_connections(srv), 0);
    stop();
}

static void test_ws_message_limits(void **state) {
    (void)state;
    start(0);
    /* before trust: a 1 KB message passes, a 9 KB one closes the socket */
    int fd = upgrade("/voice/stream/CA2"), closed;
    send_frame(fd, 1000);
    send_frame(fd, 9000);
    char *out = read_until_close(fd, 2, &closed);
    assert_true(closed);
    assert_int_equal(ws_texts, 1);
    free(out);
    close(fd);
    /* trusted: 20 KB is fine */
    ws_trust_next = 1;
    fd = upgrade("/voice/stream/CA3");
    send_frame(fd, 20000);
    for (int i = 0; i < 100 && ws_texts < 2; i++) {
        ev_run(loop, EVRUN_NOWAIT);
        usleep(5000);
    }
    assert_int_equal(ws_texts, 2);
    assert_int_equal(ws_last_len, 20000);
    close(fd);
    stop();
}

static void test_connection_cap(void **state) {
    (void)state;
    start(3);
    int fds[3];
    for (int i = 0; i < 3; i++) {
        fds[i] = dial();
        send_all(fds[i], "GET / HT", 8); /* a head still coming */
    }
    for (int i = 0; i < 20; i++) ev_run(loop, EVRUN_NOWAIT);
    assert_int_equal(hk_server_connections(srv), 3);
    char *out = exchange_str("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_non_null(strstr(out, "HTTP/1.1 503"));
    free(out);
    for (int i = 0; i < 3; i++) close(fds[i]);
    for (int i = 0; i < 50 && hk_server_connections(srv); i++) {
        ev_run(loop, EVRUN_NOWAIT);
        usleep(5000);
    }
    assert_int_equal(hk_server_connections(srv), 0);
    out = exchange_str("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_non_null(strstr(out, "HTTP/1.1 200"));
    free(out);
    stop();
}

#define DEFER_REQ "GET /defer HTTP/1.1\r\nHost: x\r\n\r\n"

/* Answered later from outside any lws callback, as a store callback would. */
static void test_deferred_later(void **state) {
    (void)state;
    start(0);
    deferred = NULL;
    int fd = dial(), closed;
    send_all(fd, DEFER_REQ, strlen(DEFER_REQ));
    char *out = read_until_close(fd, 0.3, &closed);
    assert_false(closed);
    assert_int_equal(strlen(out), 0); /* nothing yet */
    free(out);
    assert_non_null(deferred);
    assert_true(hk_http_pending_alive(deferred));
    hk_http_pending_respond(deferred, 202, "application/json", "{\"late\":true}", 13);
    deferred = NULL;
    out = read_until_close(fd, 3, &closed);
    assert_true(closed);
    assert_non_null(strstr(out, "HTTP/1.1 202"));
    assert_non_null(strstr(out, "application/json"));
    assert_non_null(strstr(out, "\r\n\r\n{\"late\":true}"));
    free(out);
    close(fd);
    /* answered before the handler returned */
    out = exchange_str("GET /defer-now HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_non_null(strstr(out, "HTTP/1.1 201"));
    assert_non_null(strstr(out, "{\"now\":1}"));
    free(out);
    stop();
}

static void test_deferred_deadline_and_gone(void **state) {
    (void)state;
    req_timeout = 0.4;
    start(0);
    req_timeout = 0;
    /* never answered: 504 at the deadline, then the late answer is dropped */
    deferred = NULL;
    char *out = exchange_str("GET /defer HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_non_null(strstr(out, "HTTP/1.1 504"));
    assert_non_null(strstr(out, "\"statusCode\":504"));
    free(out);
    assert_non_null(deferred);
    assert_false(hk_http_pending_alive(deferred));
    hk_http_pending_respond(deferred, 200, "text/plain", "late", 4);
    /* the client leaves first: the handle goes stale (lws notices a silent
     * peer's EOF only when it reads: at the latest at the deadline), and
     * answering it only frees */
    deferred = NULL;
    int fd = dial(), closed;
    send_all(fd, DEFER_REQ, strlen(DEFER_REQ));
    for (int i = 0; i < 50 && !deferred; i++) {
        ev_run(loop, EVRUN_NOWAIT);
        usleep(2000);
    }
    assert_non_null(deferred);
    close(fd);
    for (int i = 0; i < 1000 && hk_http_pending_alive(deferred); i++) {
        ev_run(loop, EVRUN_NOWAIT);
        usleep(2000);
    }
    assert_false(hk_http_pending_alive(deferred));
    hk_http_pending_respond(deferred, 200, "text/plain", "late", 4);
    deferred = NULL;
    for (int i = 0; i < 50 && hk_server_connections(srv); i++) {
        ev_run(loop, EVRUN_NOWAIT);
        usleep(5000);
    }
    assert_int_equal(hk_server_connections(srv), 0);
    (void)closed;
    stop();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_query),          cmocka_unit_test(test_request_line_too_long),
        cmocka_unit_test(test_headers_too_big),     cmocka_unit_test(test_chunked_body_answered),
        cmocka_unit_test(test_oversized_body_once), cmocka_unit_test(test_pipelined_one_answer),
        cmocka_unit_test(test_untrusted_ws_closed), cmocka_unit_test(test_ws_message_limits),
        cmocka_unit_test(test_connection_cap),      cmocka_unit_test(test_deferred_later),
        cmocka_unit_test(test_post_without_length),
        cmocka_unit_test(test_deferred_deadline_and_gone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
