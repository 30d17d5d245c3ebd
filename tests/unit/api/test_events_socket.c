/* tests/unit/api/test_events_socket: api/events on a real hk_server and
 * loop (no Redis: this worker's calls only). Sockets authenticated by a
 * Bearer session JWT get the snapshot, then their tenant's call events and
 * only theirs; a socket opened while a call runs finds it in its snapshot
 * (masked number, current state) and not after it ended; bad credentials
 * and a foreign Origin are refused before the upgrade (no 101); a socket that stops reading is
 * dropped once its queue passes the bound while the emitting side never
 * waits. */
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <ev.h>

#include "agent/call.h"
#include "agent/call_events.h"
#include "api/app.h"
#include "api/events.h"
#include "api/jwt.h"
#include "core/config.h"
#include "net/http_server.h"

#define SECRET "events-socket-secret-0123"
#define T1 "11111111-1111-1111-1111-111111111111"
#define T2 "22222222-2222-2222-2222-222222222222"
#define USER "33333333-3333-3333-3333-333333333333"

static struct ev_loop *loop;
static hk_server *srv;
static hk_config cfg;
static hk_app app;

static int on_accept(void *ud, const hk_http_request *req) { return hk_events_accept(ud, req); }
static void *on_open(void *ud, hk_conn *conn, const char *path, const char *sig) {
    (void)sig;
    return strcmp(path, HK_EVENTS_PATH) == 0 ? hk_events_open(ud, conn) : NULL;
}
static void on_text(void *st, const char *d, size_t n) { hk_events_text(st, d, n); }
static void on_closed(void *st) { hk_events_closed(st); }

static int setup(void **state) {
    (void)state;
    char err[256];
    hk_config_load(&cfg, "/nonexistent.env", err, sizeof err);
    hk_config_set(&cfg, HK_CFG_JWT_SECRET, SECRET);
    loop = ev_loop_new(EVFLAG_AUTO);
    memset(&app, 0, sizeof app);
    app.loop = loop;
    app.cfg = &cfg;
    assert_int_equal(hk_events_init(&app, err, sizeof err), 0);
    hk_server_handlers h = {.ud = &app, .ws_accept = on_accept, .ws_open = on_open, .ws_text = on_text,
                            .ws_closed = on_closed};
    srv = hk_server_new(loop, 0, 0, &h, err, sizeof err);
    assert_non_null(srv);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    hk_server_free(srv);
    hk_events_shutdown();
    ev_loop_destroy(loop);
    hk_config_free(&cfg);
    return 0;
}

static void spin(double secs) {
    for (int i = 0; i < (int)(secs * 100); i++) {
        ev_run(loop, EVRUN_NOWAIT);
        struct timespec d = {0, 10 * 1000 * 1000};
        nanosleep(&d, NULL);
    }
}

/* A client: connect (rcvbuf > 0: that small a receive buffer), upgrade
 * with these headers; the fd, or -1 when the server did not switch. */
static int client(const char *headers, int rcvbuf) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)hk_server_port(srv))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    char req[2048];
    int n = snprintf(req, sizeof req,
                     "GET " HK_EVENTS_PATH " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n%s\r\n",
                     headers);
    assert_int_equal(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
    char buf[1024];
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < 300 && !strstr(buf, "\r\n\r\n"); i++) {
        ev_run(loop, EVRUN_NOWAIT);
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 10) <= 0) continue;
        ssize_t r = recv(fd, buf + len, 1, MSG_DONTWAIT); /* the head only: frames stay queued */
        if (r <= 0) break;
        len += (size_t)r;
        buf[len] = 0;
    }
    if (!strstr(buf, "HTTP/1.1 101")) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Every text frame that arrives within secs, joined by '\n' (caller frees);
 * *closed: the server closed (a close frame or EOF). */
static char *messages(int fd, double secs, int *closed) {
    static uint8_t raw[1 << 20];
    size_t len = 0;
    *closed = 0;
    for (int i = 0; i < (int)(secs * 100); i++) {
        ev_run(loop, EVRUN_NOWAIT);
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 10) <= 0) continue;
        ssize_t r = recv(fd, raw + len, sizeof raw - len, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
            *closed = 1;
            break;
        }
        if (r > 0) len += (size_t)r;
    }
    char *out = calloc(1, len + 64);
    size_t o = 0, p = 0;
    while (p + 2 <= len) {
        int op = raw[p] & 0x0f;
        size_t n = raw[p + 1] & 0x7f, h = 2;
        if (n == 126) {
            if (p + 4 > len) break;
            n = (size_t)raw[p + 2] << 8 | raw[p + 3];
            h = 4;
        } else if (n == 127) {
            if (p + 10 > len) break;
            n = 0;
            for (int k = 0; k < 8; k++) n = n << 8 | raw[p + 2 + k];
            h = 10;
        }
        if (p + h + n > len) break;
        if (op == 8) *closed = 1;
        if (op == 1) {
            memcpy(out + o, raw + p + h, n);
            o += n;
            out[o++] = '\n';
        }
        p += h + n;
    }
    out[o] = 0;
    return out;
}

static const char *bearer(const char *tenant) {
    static char h[2][HK_JWT_MAX_LEN + 32];
    static int k;
    char tok[HK_JWT_MAX_LEN];
    long now = (long)time(NULL);
    assert_true(hk_jwt_sign(SECRET, USER, tenant, now, now + 600, tok, sizeof tok) > 0);
    k ^= 1;
    snprintf(h[k], sizeof h[k], "Authorization: Bearer %s\r\n", tok);
    return h[k];
}

static hk_call *fake_call(const char *id, const char *tenant) {
    hk_call *c = calloc(1, sizeof *c);
    snprintf(c->id, sizeof c->id, "%s", id);
    snprintf(c->tenant_id, sizeof c->tenant_id, "%s", tenant);
    snprintf(c->from, sizeof c->from, "+15551234567");
    c->inbound = 1;
    return c;
}

static void emit(hk_call *c, hk_call_event ev) {
    ev.at = 1; /* not the call's clock: the fake call has none */
    hk_call_emit(c, &ev);
}

static void test_tenants_and_snapshot(void **state) {
    (void)state;
    int closed;
    int a = client(bearer(T1), 0), b = client(bearer(T2), 0);
    assert_true(a >= 0 && b >= 0);
    char *m = messages(a, 0.5, &closed);
    assert_string_equal(m, "{\"type\":\"snapshot\",\"calls\":[]}\n");
    free(m);
    free(messages(b, 0.3, &closed));

    hk_call *c = fake_call("CA1", T1);
    emit(c, (hk_call_event){.type = HK_CE_STARTED, .status = "in-progress"});
    emit(c, (hk_call_event){.type = HK_CE_STATE, .status = "speaking"});
    emit(c, (hk_call_event){.type = HK_CE_TRANSCRIPT, .role = "assistant", .text = "Hi there", .final = 1, .turn = -1});
    m = messages(a, 0.5, &closed);
    assert_non_null(strstr(m, "{\"type\":\"call.started\",\"callId\":\"CA1\""));
    assert_non_null(strstr(m, "\"customerNumber\":\"+1555***4567\""));
    assert_non_null(strstr(m, "{\"type\":\"call.state\",\"callId\":\"CA1\""));
    assert_non_null(strstr(m, "\"text\":\"Hi there\""));
    assert_null(strstr(m, "1234567"));
    free(m);
    m = messages(b, 0.3, &closed);
    assert_string_equal(m, ""); /* the other tenant hears nothing */
    free(m);

    int late = client(bearer(T1), 0); /* opened mid-call: the snapshot has it, speaking */
    m = messages(late, 0.5, &closed);
    assert_non_null(strstr(m, "{\"type\":\"snapshot\",\"calls\":[{\"id\":\"CA1\""));
    assert_non_null(strstr(m, "\"state\":\"speaking\""));
    free(m);
    int late_b = client(bearer(T2), 0);
    m = messages(late_b, 0.5, &closed);
    assert_string_equal(m, "{\"type\":\"snapshot\",\"calls\":[]}\n");
    free(m);

    snprintf(c->end_reason, sizeof c->end_reason, "assistant-ended-call");
    emit(c, (hk_call_event){.type = HK_CE_ENDED, .status = "ended"});
    m = messages(a, 0.5, &closed);
    assert_non_null(strstr(m, "\"type\":\"call.ended\",\"callId\":\"CA1\""));
    assert_non_null(strstr(m, "\"endedReason\":\"assistant-ended-call\""));
    free(m);
    int after = client(bearer(T1), 0);
    m = messages(after, 0.5, &closed);
    assert_string_equal(m, "{\"type\":\"snapshot\",\"calls\":[]}\n");
    free(m);
    free(c);
    int fds[] = {a, b, late, late_b, after};
    for (size_t i = 0; i < 5; i++) close(fds[i]);
    spin(0.3);
    assert_int_equal(hk_events_sockets(), 0);
}

static void test_refused(void **state) {
    (void)state;
    int closed;
    const char *bad[] = {"", "Authorization: Bearer nope\r\n", "Cookie: hark_session=a.b.c\r\n",
                         "Authorization: Bearer a.b.c\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(client(bad[i], 0), -1); /* refused before the upgrade: no 101 */
    char h[HK_JWT_MAX_LEN + 64];
    snprintf(h, sizeof h, "%sOrigin: http://evil.example\r\n", bearer(T1));
    assert_int_equal(client(h, 0), -1);
    long now = (long)time(NULL); /* an expired session JWT as Bearer */
    char tok[HK_JWT_MAX_LEN];
    assert_true(hk_jwt_sign(SECRET, USER, T1, now - 7200, now - 3600, tok, sizeof tok) > 0);
    snprintf(h, sizeof h, "Authorization: Bearer %s\r\n", tok);
    assert_int_equal(client(h, 0), -1);
    int fd;
    snprintf(h, sizeof h, "%sOrigin: http://127.0.0.1\r\n", bearer(T1)); /* its own host: fine */
    fd = client(h, 0);
    assert_true(fd >= 0);
    char *m = messages(fd, 0.5, &closed);
    assert_non_null(strstr(m, "\"type\":\"snapshot\""));
    free(m);
    close(fd);
    spin(0.3);
    assert_int_equal(hk_events_sockets(), 0);
}

static void test_slow_reader_dropped(void **state) {
    (void)state;
    int closed;
    int slow = client(bearer(T1), 2048);
    assert_true(slow >= 0);
    spin(0.2);
    assert_int_equal(hk_events_sockets(), 1);
    hk_call *c = fake_call("CA2", T1);
    char text[1024];
    memset(text, 'w', sizeof text - 1);
    text[sizeof text - 1] = 0;
    emit(c, (hk_call_event){.type = HK_CE_STARTED});
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 8000 && hk_events_sockets() > 0; i++) {
        emit(c, (hk_call_event){.type = HK_CE_TRANSCRIPT, .role = "user", .text = text, .final = 0, .turn = 1});
        if (i % 50 == 0) ev_run(loop, EVRUN_NOWAIT);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    spin(0.5);
    assert_int_equal(hk_events_sockets(), 0); /* dropped, and freed once closed */
    /* the emitting side never waited on the socket (8000 events well under 5 s even under ASan) */
    assert_true((double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9 < 5.0);
    /* the peer is disconnected: after what the kernels still hold, EOF */
    char sink[65536];
    closed = 0;
    int rcv = 1 << 20;
    setsockopt(slow, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    for (int i = 0; i < 200000 && !closed; i++) { /* ~2 KB a read at first: many reads */
        if (i % 16 == 0) ev_run(loop, EVRUN_NOWAIT);
        struct pollfd pf = {slow, POLLIN, 0};
        if (poll(&pf, 1, 10) <= 0) continue;
        ssize_t r = recv(slow, sink, sizeof sink, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) closed = 1;
    }
    assert_true(closed);
    close(slow);
    emit(c, (hk_call_event){.type = HK_CE_ENDED});
    free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tenants_and_snapshot),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_slow_reader_dropped),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
