/* tests/unit/net/test_ws_client: net/ws_client over loopback sockets against
 * a small libwebsockets echo server run by this test on the same libev loop
 * (its own lws context, so the client context must coexist with another) and
 * against hark's own net/http_server. Covers: open, text and binary echo in
 * order (sent before and after open), custom handshake headers, a 1 MB message
 * joined from fragments, the server's close code delivered, a refused port and
 * a listener that never answers (on_close with 0, once), and hk_ws_close from
 * inside on_message (no callback after, the server sees a 1000 close). */
#include <arpa/inet.h>
#include <libwebsockets.h>
#include <netinet/in.h>
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

#include "../guarded_run.h"
#include "net/http_server.h"
#include "net/ws_client.h"

/* ---- the echo server -------------------------------------------------- */

typedef struct srv_msg { struct srv_msg *next; size_t len; int binary; unsigned char data[]; } srv_msg;

typedef struct echo_conn {
    unsigned char *rx;
    size_t rx_len, rx_cap;
    int rx_binary;
    srv_msg *q;
    char hdr[128];
    int close_code; /* >0: close with it on writeable */
} echo_conn;

static struct {
    struct lws_context *ctx;
    struct lws_vhost *vh;
    int listen_fd, port;
    ev_io accept_io;
    lws_sorted_usec_list_t tick;
    void *loops[1];
    int peer_close_code; /* the last close code the server received */
    int closed;          /* connections the server saw end */
} E;

static void echo_tick(lws_sorted_usec_list_t *sul) {
    (void)sul;
    lws_sul_schedule(E.ctx, 0, &E.tick, echo_tick, 50 * LWS_US_PER_MS);
}

static void echo_queue(struct lws *wsi, echo_conn *c, const void *d, size_t n, int binary) {
    srv_msg *m = malloc(sizeof *m + LWS_PRE + n);
    m->next = NULL;
    m->len = n;
    m->binary = binary;
    memcpy(m->data + LWS_PRE, d, n);
    srv_msg **pp = &c->q;
    while (*pp) pp = &(*pp)->next;
    *pp = m;
    lws_callback_on_writable(wsi);
}

static int echo_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    echo_conn *c = user;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        memset(c, 0, sizeof *c);
        if (lws_hdr_custom_copy(wsi, c->hdr, sizeof c->hdr, "x-test:", 7) < 0) c->hdr[0] = 0;
        return 0;
    case LWS_CALLBACK_RECEIVE:
        if (c->rx_len + len + 1 > c->rx_cap) {
            c->rx_cap = (c->rx_len + len + 1) * 2;
            c->rx = realloc(c->rx, c->rx_cap);
        }
        if (c->rx_len == 0) c->rx_binary = lws_frame_is_binary(wsi);
        memcpy(c->rx + c->rx_len, in, len);
        c->rx_len += len;
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            size_t n = c->rx_len;
            c->rx_len = 0;
            c->rx[n] = 0;
            if (!c->rx_binary && strncmp((char *)c->rx, "close:", 6) == 0) {
                c->close_code = atoi((char *)c->rx + 6);
                lws_callback_on_writable(wsi);
            } else if (!c->rx_binary && strcmp((char *)c->rx, "hdr") == 0) {
                echo_queue(wsi, c, c->hdr, strlen(c->hdr), 0);
            } else {
                echo_queue(wsi, c, c->rx, n, c->rx_binary);
            }
        }
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (c->q) {
            srv_msg *m = c->q;
            c->q = m->next;
            int n = lws_write(wsi, m->data + LWS_PRE, m->len, m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
            size_t want = m->len;
            free(m);
            if (n < (int)want) return -1;
            if (c->q) lws_callback_on_writable(wsi);
            return 0;
        }
        if (c->close_code) {
            lws_close_reason(wsi, (enum lws_close_status)c->close_code, (unsigned char *)"bye", 3);
            return -1;
        }
        return 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (len >= 2) E.peer_close_code = (((unsigned char *)in)[0] << 8) | ((unsigned char *)in)[1];
        return 0;
    case LWS_CALLBACK_CLOSED:
        E.closed++;
        free(c->rx);
        while (c->q) {
            srv_msg *m = c->q;
            c->q = m->next;
            free(m);
        }
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static struct lws_protocols echo_protocols[] = {
    {"echo", echo_cb, sizeof(echo_conn), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void echo_accept(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop;
    (void)w;
    (void)revents;
    int fd = accept(E.listen_fd, NULL, NULL);
    if (fd >= 0 && !lws_adopt_socket_vhost(E.vh, fd)) close(fd);
}

/* A listening socket on 127.0.0.1 with a free port. */
static int listen_any(int *port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 16), 0);
    socklen_t sl = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &sl);
    *port = ntohs(a.sin_port);
    return fd;
}

/* ---- hark's server, for coexistence ----------------------------------- */

static void *hs_open(void *ud, hk_conn *conn, const char *path, const char *sig) {
    (void)ud;
    (void)path;
    (void)sig;
    return conn;
}
static void hs_text(void *st, const char *d, size_t n) {
    char buf[256];
    int k = snprintf(buf, sizeof buf, "hark:%.*s", (int)n, d);
    hk_conn_send_text(st, buf, (size_t)k);
}
static void hs_closed(void *st) { (void)st; }
static void hs_http(void *ud, const hk_http_request *req, hk_http_response *resp) {
    (void)ud;
    (void)req;
    resp->status = 404;
}

/* ---- the client side -------------------------------------------------- */

static struct ev_loop *loop;
static hk_server *hsrv;

typedef struct got {
    int opened, closes, close_code;
    char reason[128];
    int n_msgs;
    char *msgs[16];
    size_t lens[16];
    int binary[16];
    hk_ws *ws;
    int close_in_message;
} got;

static void c_open(void *ud) { ((got *)ud)->opened++; }
static void c_message(void *ud, const char *d, size_t n, int binary) {
    got *g = ud;
    if (g->n_msgs < 16) {
        g->msgs[g->n_msgs] = malloc(n + 1);
        memcpy(g->msgs[g->n_msgs], d, n);
        g->msgs[g->n_msgs][n] = 0;
        g->lens[g->n_msgs] = n;
        g->binary[g->n_msgs] = binary;
        g->n_msgs++;
    }
    if (g->close_in_message) {
        hk_ws_close(g->ws);
        hk_ws_close(g->ws); /* twice: tolerated */
    }
}
static void c_close(void *ud, int code, const char *reason) {
    got *g = ud;
    g->closes++;
    g->close_code = code;
    snprintf(g->reason, sizeof g->reason, "%s", reason);
}

static void got_free(got *g) {
    for (int i = 0; i < g->n_msgs; i++) free(g->msgs[i]);
}

typedef int (*cond_fn)(const got *g);
static const got *w_g;
static cond_fn w_cond;
static void on_check(struct ev_loop *l, ev_timer *w, int revents) {
    (void)w;
    (void)revents;
    if (w_cond(w_g)) ev_break(l, EVBREAK_ALL);
}
static void on_limit(struct ev_loop *l, ev_timer *w, int revents) {
    (void)revents;
    *(int *)w->data = 1;
    ev_break(l, EVBREAK_ALL);
}
/* Run the loop until cond holds; 0 if it did not within limit seconds. */
static int run_until(const got *g, cond_fn cond, double limit) {
    w_g = g;
    w_cond = cond;
    if (cond(g)) return 1;
    int fired = 0;
    ev_timer chk, lim;
    ev_timer_init(&chk, on_check, 0.01, 0.01);
    ev_timer_init(&lim, on_limit, limit, 0.);
    lim.data = &fired;
    ev_timer_start(loop, &chk);
    ev_timer_start(loop, &lim);
    ev_run(loop, 0);
    ev_timer_stop(loop, &chk);
    ev_timer_stop(loop, &lim);
    return cond(g);
}
static void run_for(double s) {
    int fired = 0;
    ev_timer lim;
    ev_timer_init(&lim, on_limit, s, 0.);
    lim.data = &fired;
    ev_timer_start(loop, &lim);
    ev_run(loop, 0);
    ev_timer_stop(loop, &lim);
}

static int is_closed(const got *g) { return g->closes > 0; }
static int has3(const got *g) { return g->n_msgs >= 3; }
static int has1(const got *g) { return g->n_msgs >= 1; }
static int server_saw_close(const got *g) { (void)g; return E.closed > 0 && E.peer_close_code; }

static hk_ws *connect_to(got *g, const char *url, const char *const *headers, double timeout) {
    hk_ws_opts o = {url, headers, timeout, g, c_open, c_message, c_close};
    char err[256];
    hk_ws *ws = hk_ws_connect(loop, &o, err, sizeof err);
    assert_non_null(ws);
    g->ws = ws;
    return ws;
}

static int setup(void **state) {
    (void)state;
    lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
    loop = ev_loop_new(0);
    memset(&E, 0, sizeof E);
    E.listen_fd = listen_any(&E.port);
    E.loops[0] = loop;
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
    info.protocols = echo_protocols;
    info.options = LWS_SERVER_OPTION_LIBEV;
    info.foreign_loops = E.loops;
    E.ctx = lws_create_context(&info);
    assert_non_null(E.ctx);
    E.vh = lws_get_vhost_by_name(E.ctx, "default");
    lws_sul_schedule(E.ctx, 0, &E.tick, echo_tick, 50 * LWS_US_PER_MS);
    ev_io_init(&E.accept_io, echo_accept, E.listen_fd, EV_READ);
    ev_io_start(loop, &E.accept_io);
    char err[256];
    hk_server_handlers h = {.http = hs_http, .ws_open = hs_open, .ws_text = hs_text, .ws_closed = hs_closed};
    hsrv = hk_server_new(loop, 0, 0, &h, err, sizeof err);
    assert_non_null(hsrv);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    hk_ws_shutdown(loop);
    hk_server_free(hsrv);
    ev_io_stop(loop, &E.accept_io);
    close(E.listen_fd);
    lws_sul_cancel(&E.tick);
    lws_context_destroy(E.ctx);
    ev_loop_destroy(loop);
    return 0;
}

static void test_echo_text_binary_headers(void **state) {
    (void)state;
    got g = {0};
    char url[128];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/echo?x=1", E.port);
    const char *hdrs[] = {"X-Test: hello-header", NULL};
    hk_ws *ws = connect_to(&g, url, hdrs, 5);
    /* queued before the handshake: written after it, in order */
    assert_int_equal(hk_ws_send_text(ws, "first", 5), 0);
    assert_true(hk_ws_queued(ws) >= 5);
    const unsigned char bin[] = {0, 1, 2, 0xff, 0x7f};
    assert_int_equal(hk_ws_send_binary(ws, bin, sizeof bin), 0);
    assert_int_equal(hk_ws_send_text(ws, "hdr", 3), 0);
    assert_true(run_until(&g, has3, 10));
    assert_int_equal(g.opened, 1);
    assert_string_equal(g.msgs[0], "first");
    assert_int_equal(g.binary[0], 0);
    assert_int_equal(g.lens[1], sizeof bin);
    assert_memory_equal(g.msgs[1], bin, sizeof bin);
    assert_int_equal(g.binary[1], 1);
    assert_string_equal(g.msgs[2], "hello-header");
    assert_int_equal(hk_ws_queued(ws), 0);
    /* the server closes with a code of its own: delivered once */
    assert_int_equal(hk_ws_send_text(ws, "close:4001", 10), 0);
    assert_true(run_until(&g, is_closed, 10));
    assert_int_equal(g.close_code, 4001);
    assert_string_equal(g.reason, "bye");
    run_for(0.2);
    assert_int_equal(g.closes, 1);
    got_free(&g);
}

static void test_big_message(void **state) {
    (void)state;
    got g = {0};
    char url[128];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/", E.port);
    hk_ws *ws = connect_to(&g, url, NULL, 5);
    size_t n = 1024 * 1024;
    unsigned char *big = malloc(n);
    for (size_t i = 0; i < n; i++) big[i] = (unsigned char)(i * 7 + i / 251);
    assert_int_equal(hk_ws_send_binary(ws, big, n), 0);
    assert_true(run_until(&g, has1, 20));
    assert_int_equal(g.lens[0], n);
    assert_int_equal(g.binary[0], 1);
    assert_memory_equal(g.msgs[0], big, n);
    free(big);
    E.closed = 0;
    E.peer_close_code = 0;
    hk_ws_close(ws); /* from outside callbacks: a 1000 close, no on_close */
    assert_true(run_until(&g, server_saw_close, 10));
    assert_int_equal(E.peer_close_code, 1000);
    assert_int_equal(g.closes, 0);
    got_free(&g);
}

static void test_close_inside_on_message(void **state) {
    (void)state;
    got g = {0};
    g.close_in_message = 1;
    E.closed = 0;
    E.peer_close_code = 0;
    char url[128];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/", E.port);
    hk_ws *ws = connect_to(&g, url, NULL, 5);
    hk_ws_send_text(ws, "one", 3);
    hk_ws_send_text(ws, "two", 3);
    assert_true(run_until(&g, server_saw_close, 10));
    assert_int_equal(E.peer_close_code, 1000);
    run_for(0.3);
    assert_int_equal(g.n_msgs, 1); /* nothing after the close */
    assert_string_equal(g.msgs[0], "one");
    assert_int_equal(g.closes, 0);
    got_free(&g);
}

static void test_refused_port(void **state) {
    (void)state;
    int port;
    int fd = listen_any(&port);
    close(fd); /* nothing listens there now */
    got g = {0};
    char url[128];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/x", port);
    hk_ws *ws = connect_to(&g, url, NULL, 5);
    hk_ws_send_text(ws, "lost", 4);
    double t0 = wall_now();
    assert_true(run_until(&g, is_closed, 10));
    assert_true(wall_now() - t0 < 4); /* refused, not the timeout */
    assert_int_equal(g.close_code, 0);
    assert_int_equal(g.opened, 0);
    run_for(0.2);
    assert_int_equal(g.closes, 1);
    got_free(&g);
}

static void test_connect_timeout(void **state) {
    (void)state;
    int port;
    int fd = listen_any(&port); /* listens, never accepts nor answers */
    got g = {0};
    char url[128];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/x", port);
    connect_to(&g, url, NULL, 0.5);
    double t0 = wall_now();
    assert_true(run_until(&g, is_closed, 10));
    assert_true(wall_now() - t0 >= 0.4);
    assert_int_equal(g.close_code, 0);
    assert_string_equal(g.reason, "connect timeout");
    run_for(0.3);
    assert_int_equal(g.closes, 1);
    close(fd);
    got_free(&g);
}

static void test_close_while_connecting(void **state) {
    (void)state;
    int port;
    int fd = listen_any(&port);
    got g = {0};
    char url[128];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/x", port);
    hk_ws *ws = connect_to(&g, url, NULL, 0.3);
    hk_ws_close(ws); /* before the async start */
    ws = connect_to(&g, url, NULL, 0.3);
    run_for(0.05);
    hk_ws_close(ws); /* while lws is connecting */
    run_for(0.6);
    assert_int_equal(g.closes, 0);
    assert_int_equal(g.opened, 0);
    close(fd);
    got_free(&g);
}

static void test_hark_server_coexists(void **state) {
    (void)state;
    got g = {0};
    char url[128];
    snprintf(url, sizeof url, "ws://localhost:%d/stream", hk_server_port(hsrv)); /* via the resolver */
    hk_ws *ws = connect_to(&g, url, NULL, 5);
    hk_ws_send_text(ws, "ping", 4);
    assert_true(run_until(&g, has1, 10));
    assert_string_equal(g.msgs[0], "hark:ping");
    hk_ws_close(ws);
    run_for(0.1);
    assert_int_equal(g.closes, 0);
    got_free(&g);
}

static void test_bad_urls(void **state) {
    (void)state;
    const char *bad[] = {"http://x/", "ws://", "ws://host:99999/", "ws://host:12x/", NULL};
    for (int i = 0; bad[i]; i++) {
        hk_ws_opts o = {bad[i], NULL, 1, NULL, NULL, NULL, NULL};
        char err[256] = "";
        assert_null(hk_ws_connect(loop, &o, err, sizeof err));
        assert_true(err[0] != 0);
    }
    const char *badh[] = {"NoColonHere", NULL};
    hk_ws_opts o = {"ws://127.0.0.1:1/", badh, 1, NULL, NULL, NULL, NULL};
    char err[256] = "";
    assert_null(hk_ws_connect(loop, &o, err, sizeof err));
}

static void test_unresolvable_host(void **state) {
    (void)state;
    got g = {0};
    connect_to(&g, "ws://no-such-host.invalid:80/", NULL, 5);
    assert_true(run_until(&g, is_closed, 15));
    assert_int_equal(g.close_code, 0);
    got_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_text_binary_headers),
        cmocka_unit_test(test_big_message),
        cmocka_unit_test(test_close_inside_on_message),
        cmocka_unit_test(test_refused_port),
        cmocka_unit_test(test_connect_timeout),
        cmocka_unit_test(test_close_while_connecting),
        cmocka_unit_test(test_hark_server_coexists),
        cmocka_unit_test(test_bad_urls),
        cmocka_unit_test(test_unresolvable_host),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
