/* tests/unit/net/test_http_client: net/http_client against hark's own
 * net/http_server on loopback, on one libev loop: GET and POST round trips
 * with headers and Basic auth, a streamed body, refused connections and
 * timeouts reported once with an error, and cancellation with no callback. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "net/http_client.h"
#include "net/http_server.h"

static void handler(void *ud, const hk_http_request *req, hk_http_response *resp) {
    (void)ud;
    char buf[4096];
    int n;
    if (strcmp(req->path, "/big") == 0) {
        resp->status = 200;
        resp->len = 200000;
        resp->body = malloc(resp->len);
        for (size_t i = 0; i < resp->len; i++) resp->body[i] = (char)('a' + i % 26);
        snprintf(resp->content_type, sizeof resp->content_type, "text/plain");
        return;
    }
    n = snprintf(buf, sizeof buf, "%s %s?%s auth=[%s] ct=[%s] body=[%.*s]", req->method, req->path,
                 req->query, req->authorization, req->content_type, (int)req->body_len, req->body);
    resp->status = strcmp(req->path, "/missing") == 0 ? 404 : 200;
    snprintf(resp->content_type, sizeof resp->content_type, "text/plain");
    resp->body = strdup(buf);
    resp->len = (size_t)n;
}

typedef struct result {
    int done;
    int status;
    char body[8192];
    size_t len;
    char err[256];
    size_t streamed;
    int chunks;
    struct ev_loop *loop;
} result;

static void on_done(void *ud, int status, const char *body, size_t len, const char *err) {
    result *r = ud;
    r->done++;
    r->status = status;
    r->len = len;
    snprintf(r->body, sizeof r->body, "%.*s", (int)len, body);
    snprintf(r->err, sizeof r->err, "%s", err ? err : "");
    ev_break(r->loop, EVBREAK_ONE);
}

static void on_data(void *ud, const char *data, size_t n) {
    result *r = ud;
    (void)data;
    r->streamed += n;
    r->chunks++;
}

static struct ev_loop *loop;
static hk_server *srv;
static hk_http_client *cl;
static char base[64];

static int setup(void **state) {
    (void)state;
    loop = ev_loop_new(0);
    char err[256];
    hk_server_handlers h = {.http = handler};
    srv = hk_server_new(loop, 0, 0, &h, err, sizeof err);
    assert_non_null(srv);
    snprintf(base, sizeof base, "http://127.0.0.1:%d", hk_server_port(srv));
    cl = hk_http_client_new(loop);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    hk_http_client_free(cl);
    hk_server_free(srv);
    ev_loop_destroy(loop);
    return 0;
}

static void run_until(result *r, int want) {
    for (int i = 0; i < 1000 && r->done < want; i++) ev_run(loop, EVRUN_ONCE);
}

static void test_get_and_post(void **state) {
    (void)state;
    result r = {.loop = loop};
    char url[128];
    snprintf(url, sizeof url, "%s/hello?x=1", base);
    hk_http_opts o = {.url = url, .on_done = on_done, .ud = &r, .timeout_s = 5};
    assert_non_null(hk_http_fetch(cl, &o));
    run_until(&r, 1);
    assert_int_equal(r.done, 1);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "GET /hello?x=1"));

    result p = {.loop = loop};
    snprintf(url, sizeof url, "%s/post", base);
    const char *hdrs[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    hk_http_opts po = {.url = url, .headers = hdrs, .body = "a=1&b=two", .body_len = 9,
                       .userpwd = "AC123:secret", .on_done = on_done, .ud = &p, .timeout_s = 5};
    assert_non_null(hk_http_fetch(cl, &po));
    run_until(&p, 1);
    assert_int_equal(p.status, 200);
    assert_non_null(strstr(p.body, "POST /post"));
    assert_non_null(strstr(p.body, "body=[a=1&b=two]"));
    assert_non_null(strstr(p.body, "auth=[Basic QUMxMjM6c2VjcmV0]"));
    assert_non_null(strstr(p.body, "ct=[application/x-www-form-urlencoded]"));

    result m = {.loop = loop};
    snprintf(url, sizeof url, "%s/missing", base);
    hk_http_opts mo = {.url = url, .on_done = on_done, .ud = &m};
    hk_http_fetch(cl, &mo);
    run_until(&m, 1);
    assert_int_equal(m.status, 404);
    assert_string_equal(m.err, "");
    assert_int_equal(hk_http_client_active(cl), 0);
}

static void test_streamed_body(void **state) {
    (void)state;
    result r = {.loop = loop};
    char url[128];
    snprintf(url, sizeof url, "%s/big", base);
    hk_http_opts o = {.url = url, .on_data = on_data, .on_done = on_done, .ud = &r};
    hk_http_fetch(cl, &o);
    run_until(&r, 1);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.streamed, 200000);
    assert_true(r.chunks >= 2);
    assert_int_equal(r.len, 0); /* streamed, not gathered */
}

static void test_refused_and_timeout(void **state) {
    (void)state;
    /* a port nobody listens on */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    getsockname(fd, (struct sockaddr *)&a, &al);
    close(fd);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", ntohs(a.sin_port));
    result r = {.loop = loop};
    hk_http_opts o = {.url = url, .on_done = on_done, .ud = &r, .timeout_s = 5};
    hk_http_fetch(cl, &o);
    run_until(&r, 1);
    assert_int_equal(r.done, 1);
    assert_int_equal(r.status, 0);
    assert_true(strlen(r.err) > 0);

    /* a server that accepts (backlog) but never answers */
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_port = 0;
    assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
    listen(ls, 4);
    al = sizeof a;
    getsockname(ls, (struct sockaddr *)&a, &al);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", ntohs(a.sin_port));
    result t = {.loop = loop};
    hk_http_opts to = {.url = url, .on_done = on_done, .ud = &t, .timeout_s = 0.3};
    hk_http_fetch(cl, &to);
    run_until(&t, 1);
    assert_int_equal(t.done, 1);
    assert_int_equal(t.status, 0);
    assert_non_null(strstr(t.err, "imeout") ? t.err : strstr(t.err, "timed out"));
    close(ls);
}

static void stop_loop(struct ev_loop *l, ev_timer *w, int revents) {
    (void)w;
    (void)revents;
    ev_break(l, EVBREAK_ALL);
}

static void test_cancel(void **state) {
    (void)state;
    result r = {.loop = loop};
    char url[128];
    snprintf(url, sizeof url, "%s/hello", base);
    hk_http_opts o = {.url = url, .on_done = on_done, .ud = &r};
    hk_http_call *c = hk_http_fetch(cl, &o);
    hk_http_cancel(c);
    /* let the loop run a while: no callback may arrive */
    ev_timer t;
    ev_timer_init(&t, stop_loop, 0.2, 0.);
    ev_timer_start(loop, &t);
    ev_run(loop, 0);
    assert_int_equal(r.done, 0);
    assert_int_equal(hk_http_client_active(cl), 0);
}

/* One shared client per loop: the same object every time, untouched by
 * hk_http_client_free, gone at shutdown (a new one after). */
static void test_shared_client(void **state) {
    (void)state;
    struct ev_loop *l1 = ev_loop_new(0), *l2 = ev_loop_new(0);
    hk_http_client *a = hk_http_client_shared(l1);
    assert_non_null(a);
    assert_ptr_equal(hk_http_client_shared(l1), a);
    assert_ptr_not_equal(hk_http_client_shared(l2), a);
    hk_http_client_free(a); /* ignored: still the loop's */
    assert_ptr_equal(hk_http_client_shared(l1), a);
    assert_int_equal(hk_http_client_active(a), 0);
    hk_http_client_shutdown(l1);
    hk_http_client_shutdown(l2);
    hk_http_client_shutdown(l2); /* twice is fine */
    ev_loop_destroy(l1);
    ev_loop_destroy(l2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_client),
        cmocka_unit_test(test_get_and_post),
        cmocka_unit_test(test_streamed_body),
        cmocka_unit_test(test_refused_and_timeout),
        cmocka_unit_test(test_cancel),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
