/* tests/unit/bench/test_loadgen_ws: bench/loadgen_ws (loadgen's own WebSocket
 * client), the test playing the server over a socketpair (lg_ws_adopt) or a
 * loopback listener (lg_ws_connect). Covers: the upgrade (the key answered
 * with the right Sec-WebSocket-Accept opens, a wrong one or a non-101 fails
 * the connection), several frames in one read (the 101 and two messages in
 * one write), a fragmented message with a ping between its fragments (joined
 * whole, the ping answered with its payload), frames split across reads (a
 * byte at a time, through the extended length), a frame over the read buffer
 * refused (a 1009 close, the caller told it is an error), client frames
 * masked, output kept on EAGAIN and written in order, the close handshake
 * both ways, wss:// refused, a refused connect. */
#include <arpa/inet.h>
#include <fcntl.h>
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

#include "../../../bench/loadgen_ws.c"

/* ---- what the client reported ------------------------------------------- */
static struct {
    int opened, closed, close_code, close_error;
    char close_reason[256];
    int nmsg;
    char *msg[64];
    size_t msg_len[64];
    int close_in_message; /* lg_ws_close from inside on_message */
    lg_ws *ws;
} R;

static void r_reset(void)
{
    for (int i = 0; i < R.nmsg; i++) free(R.msg[i]);
    memset(&R, 0, sizeof R);
}

static void on_open_cb(void *ud)
{
    (void)ud;
    R.opened++;
}

static void on_message_cb(void *ud, const char *data, size_t n, int binary)
{
    (void)ud;
    assert_false(binary);
    assert_true(R.nmsg < 64);
    R.msg[R.nmsg] = malloc(n + 1);
    memcpy(R.msg[R.nmsg], data, n);
    R.msg[R.nmsg][n] = 0;
    R.msg_len[R.nmsg++] = n;
    if (R.close_in_message) lg_ws_close(R.ws);
}

static void on_close_cb(void *ud, int code, const char *reason, int error)
{
    (void)ud;
    R.closed++;
    R.close_code = code;
    R.close_error = error;
    snprintf(R.close_reason, sizeof R.close_reason, "%s", reason ? reason : "");
}

static const lg_ws_opts OPTS = {.connect_timeout_s = 5, .on_open = on_open_cb,
                                .on_message = on_message_cb, .on_close = on_close_cb};

/* ---- the server side --------------------------------------------------------- */
static void pump(struct ev_loop *loop)
{
    for (int i = 0; i < 20; i++) ev_run(loop, EVRUN_NOWAIT);
}

static void srv_write(int fd, const void *p, size_t n)
{
    assert_int_equal(write(fd, p, n), (ssize_t)n);
}

/* Reads from fd (blocking, up to 5 s) until n bytes came. */
static void srv_read_n(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&pf, 1, 5000), 1);
        ssize_t r = read(fd, (char *)buf + got, n - got);
        assert_true(r > 0);
        got += (size_t)r;
    }
}

/* An unmasked server frame into out; returns its length. */
static size_t srv_frame(uint8_t *out, int fin, int op, const void *pl, size_t n)
{
    size_t hl = 2;
    out[0] = (uint8_t)((fin ? 0x80 : 0) | op);
    if (n < 126) out[1] = (uint8_t)n;
    else if (n < 65536) {
        out[1] = 126;
        out[2] = (uint8_t)(n >> 8);
        out[3] = (uint8_t)n;
        hl = 4;
    } else {
        out[1] = 127;
        for (int i = 0; i < 8; i++) out[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
        hl = 10;
    }
    if (n) memcpy(out + hl, pl, n);
    return hl + n;
}

/* Reads one client frame: asserts it is masked and whole; unmasks its payload. */
static size_t srv_read_frame(int fd, int *op, uint8_t *pl, size_t cap, uint32_t *mask_out)
{
    uint8_t h[14];
    srv_read_n(fd, h, 2);
    assert_true(h[0] & 0x80);     /* FIN */
    assert_true(h[1] & 0x80);     /* masked */
    *op = h[0] & 0x0f;
    uint64_t n = h[1] & 0x7f;
    if (n == 126) {
        srv_read_n(fd, h + 2, 2);
        n = (uint64_t)h[2] << 8 | h[3];
    } else if (n == 127) {
        srv_read_n(fd, h + 2, 8);
        n = 0;
        for (int i = 0; i < 8; i++) n = n << 8 | h[2 + i];
    }
    uint8_t m[4];
    srv_read_n(fd, m, 4);
    if (mask_out) memcpy(mask_out, m, 4);
    assert_true(n <= cap);
    srv_read_n(fd, pl, (size_t)n);
    for (size_t i = 0; i < n; i++) pl[i] ^= m[i & 3];
    return (size_t)n;
}

/* Reads the upgrade request; returns the accept value for its key (or a
 * wrong one) in acc, and the request in req. */
static void srv_read_request(int fd, char *req, size_t cap, char *acc, size_t acap)
{
    size_t got = 0;
    req[0] = 0;
    while (!strstr(req, "\r\n\r\n")) {
        assert_true(got + 1 < cap);
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&pf, 1, 5000), 1);
        ssize_t r = read(fd, req + got, cap - 1 - got);
        assert_true(r > 0);
        got += (size_t)r;
        req[got] = 0;
    }
    const char *k = strstr(req, "Sec-WebSocket-Key: ");
    assert_non_null(k);
    k += strlen("Sec-WebSocket-Key: ");
    const char *ke = strstr(k, "\r\n");
    assert_int_equal(ke - k, 24);
    char kg[128];
    snprintf(kg, sizeof kg, "%.*s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", (int)(ke - k), k);
    uint8_t dig[SHA_DIGEST_LENGTH];
    SHA1((const uint8_t *)kg, strlen(kg), dig);
    assert_int_equal(hk_base64_encode(dig, sizeof dig, acc, acap), 28);
    assert_non_null(strstr(req, "Sec-WebSocket-Version: 13\r\n"));
    assert_non_null(strstr(req, "Upgrade: websocket\r\n"));
}

static size_t answer_101(char *out, size_t cap, const char *acc)
{
    return (size_t)snprintf(out, cap,
                            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\nsec-websocket-accept:  %s \r\n\r\n", acc);
}

/* A client over a socketpair, upgraded and open; *srv is the server's end. */
static lg_ws *open_pair(struct ev_loop *loop, int *srv)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
    lg_ws *ws = lg_ws_adopt(loop, sv[0], "127.0.0.1:9", "/voice/stream/x", &OPTS);
    assert_non_null(ws);
    char req[2048], acc[64], ans[256];
    pump(loop);
    srv_read_request(sv[1], req, sizeof req, acc, sizeof acc);
    assert_non_null(strstr(req, "GET /voice/stream/x HTTP/1.1\r\nHost: 127.0.0.1:9\r\n"));
    srv_write(sv[1], ans, answer_101(ans, sizeof ans, acc));
    pump(loop);
    assert_int_equal(R.opened, 1);
    *srv = sv[1];
    return ws;
}

/* ---- the tests ------------------------------------------------------------------- */
static void test_upgrade_then_frames_in_one_read(void **st)
{
    (void)st;
    r_reset();
    struct ev_loop *loop = ev_loop_new(0);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
    lg_ws *ws = lg_ws_adopt(loop, sv[0], "h:1", "/p", &OPTS);
    pump(loop);
    assert_int_equal(lg_ws_send_text(ws, "early", 5), -1); /* not open yet */
    char req[2048], acc[64];
    uint8_t buf[1024];
    srv_read_request(sv[1], req, sizeof req, acc, sizeof acc);
    /* the 101 and two messages in one write: one read delivers all three */
    size_t n = answer_101((char *)buf, sizeof buf, acc);
    n += srv_frame(buf + n, 1, 1, "{\"event\":\"media\"}", 17);
    n += srv_frame(buf + n, 1, 1, "second", 6);
    srv_write(sv[1], buf, n);
    pump(loop);
    assert_int_equal(R.opened, 1);
    assert_int_equal(R.nmsg, 2);
    assert_string_equal(R.msg[0], "{\"event\":\"media\"}");
    assert_string_equal(R.msg[1], "second");
    /* client frames are masked, with masks that vary */
    assert_int_equal(lg_ws_send_text(ws, "hello", 5), 0);
    assert_int_equal(lg_ws_send_text(ws, "hello again", 11), 0);
    int op;
    uint32_t m1, m2;
    size_t l = srv_read_frame(sv[1], &op, buf, sizeof buf, &m1);
    assert_int_equal(op, 1);
    assert_int_equal(l, 5);
    assert_memory_equal(buf, "hello", 5);
    l = srv_read_frame(sv[1], &op, buf, sizeof buf, &m2);
    assert_int_equal(l, 11);
    assert_memory_equal(buf, "hello again", 11);
    assert_true(m1 != m2);
    assert_int_equal(R.closed, 0);
    lg_ws_shutdown(); /* an open connection: on_close with 0 */
    assert_int_equal(R.closed, 1);
    assert_int_equal(R.close_code, 0);
    close(sv[1]);
    ev_loop_destroy(loop);
    r_reset();
}

static void test_fragmented_message_and_ping(void **st)
{
    (void)st;
    r_reset();
    struct ev_loop *loop = ev_loop_new(0);
    int srv;
    open_pair(loop, &srv);
    uint8_t buf[512];
    size_t n = srv_frame(buf, 0, 1, "hel", 3);
    n += srv_frame(buf + n, 1, 9, "p1", 2); /* a ping between fragments */
    srv_write(srv, buf, n);
    pump(loop);
    assert_int_equal(R.nmsg, 0); /* not whole yet */
    int op;
    uint8_t pl[256];
    size_t l = srv_read_frame(srv, &op, pl, sizeof pl, NULL);
    assert_int_equal(op, 0xA); /* pong, with the ping's payload */
    assert_int_equal(l, 2);
    assert_memory_equal(pl, "p1", 2);
    n = srv_frame(buf, 0, 0, "lo ", 3);
    n += srv_frame(buf + n, 1, 0, "world", 5);
    n += srv_frame(buf + n, 1, 1, "next", 4);
    srv_write(srv, buf, n);
    pump(loop);
    assert_int_equal(R.nmsg, 2);
    assert_string_equal(R.msg[0], "hello world");
    assert_string_equal(R.msg[1], "next");
    /* a continuation with no message open is a protocol error */
    n = srv_frame(buf, 1, 0, "x", 1);
    srv_write(srv, buf, n);
    pump(loop);
    assert_int_equal(R.closed, 1);
    assert_int_equal(R.close_error, 1);
    l = srv_read_frame(srv, &op, pl, sizeof pl, NULL);
    assert_int_equal(op, 8);
    assert_true(l >= 2);
    assert_int_equal(pl[0] << 8 | pl[1], 1002);
    close(srv);
    assert_null(all);
    ev_loop_destroy(loop);
    r_reset();
}

static void test_frame_split_across_reads(void **st)
{
    (void)st;
    r_reset();
    struct ev_loop *loop = ev_loop_new(0);
    int srv;
    open_pair(loop, &srv);
    char big[300];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)('a' + i % 26);
    uint8_t buf[1024];
    size_t n = srv_frame(buf, 1, 1, big, sizeof big); /* 126: a 16-bit length */
    n += srv_frame(buf + n, 1, 1, "tail", 4);
    for (size_t i = 0; i < n; i++) { /* one byte a read */
        srv_write(srv, buf + i, 1);
        pump(loop);
        if (i + 1 < n - 6) assert_int_equal(R.nmsg, 0);
    }
    assert_int_equal(R.nmsg, 2);
    assert_int_equal(R.msg_len[0], sizeof big);
    assert_memory_equal(R.msg[0], big, sizeof big);
    assert_string_equal(R.msg[1], "tail");
    /* a frame of exactly the buffer's room is accepted (16-bit length form) */
    size_t room = LG_WS_RBUF - 4;
    uint8_t *f = malloc(room + 4);
    char *pl = malloc(room);
    memset(pl, 'z', room);
    assert_int_equal(srv_frame(f, 1, 1, pl, room), room + 4);
    srv_write(srv, f, 100);
    pump(loop);
    srv_write(srv, f + 100, room + 4 - 100);
    pump(loop);
    assert_int_equal(R.nmsg, 3);
    assert_int_equal(R.msg_len[2], room);
    assert_int_equal(R.closed, 0);
    free(f);
    free(pl);
    lg_ws_close(R.ws = all);
    lg_ws_shutdown();
    assert_int_equal(R.closed, 0); /* closed by us: no callback */
    close(srv);
    ev_loop_destroy(loop);
    r_reset();
}

static void test_oversize_frame_refused(void **st)
{
    (void)st;
    r_reset();
    struct ev_loop *loop = ev_loop_new(0);
    int srv;
    open_pair(loop, &srv);
    uint8_t h[4] = {0x81, 126, (uint8_t)((LG_WS_RBUF + 1) >> 8), (uint8_t)(LG_WS_RBUF + 1)};
    srv_write(srv, h, sizeof h); /* the header alone is enough to refuse it */
    pump(loop);
    assert_int_equal(R.closed, 1);
    assert_int_equal(R.close_error, 1);
    assert_non_null(strstr(R.close_reason, "read buffer"));
    assert_int_equal(R.nmsg, 0);
    int op;
    uint8_t pl[256];
    size_t l = srv_read_frame(srv, &op, pl, sizeof pl, NULL);
    assert_int_equal(op, 8);
    assert_true(l >= 2);
    assert_int_equal(pl[0] << 8 | pl[1], 1009);
    assert_null(all); /* freed */
    close(srv);
    ev_loop_destroy(loop);
    r_reset();
}

static void test_bad_upgrade_answers(void **st)
{
    (void)st;
    const char *answers[] = {"HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n",
                             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
                             "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"};
    for (size_t i = 0; i < 3; i++) {
        r_reset();
        struct ev_loop *loop = ev_loop_new(0);
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
        assert_non_null(lg_ws_adopt(loop, sv[0], "h", "/", &OPTS));
        pump(loop);
        char req[2048], acc[64];
        srv_read_request(sv[1], req, sizeof req, acc, sizeof acc);
        srv_write(sv[1], answers[i], strlen(answers[i]));
        pump(loop);
        assert_int_equal(R.opened, 0);
        assert_int_equal(R.closed, 1);
        assert_int_equal(R.close_error, 1);
        assert_null(all);
        close(sv[1]);
        ev_loop_destroy(loop);
    }
    r_reset();
}

static void test_close_handshake(void **st)
{
    (void)st;
    r_reset();
    struct ev_loop *loop = ev_loop_new(0);
    int srv;
    /* the server closes: its code and reason reach on_close, the code is echoed */
    open_pair(loop, &srv);
    uint8_t buf[256], pl[256];
    uint8_t cp[5] = {0x03, 0xe9, 'b', 'y', 'e'}; /* 1001 "bye" */
    srv_write(srv, buf, srv_frame(buf, 1, 8, cp, sizeof cp));
    pump(loop);
    assert_int_equal(R.closed, 1);
    assert_int_equal(R.close_code, 1001);
    assert_string_equal(R.close_reason, "bye");
    assert_int_equal(R.close_error, 0);
    int op;
    size_t l = srv_read_frame(srv, &op, pl, sizeof pl, NULL);
    assert_int_equal(op, 8);
    assert_int_equal(l, 2);
    assert_int_equal(pl[0] << 8 | pl[1], 1001);
    assert_null(all);
    close(srv);

    /* the client closes from inside on_message: a 1000 close, no callback
     * after, no message after; the server's close ends it */
    r_reset();
    R.ws = open_pair(loop, &srv);
    R.close_in_message = 1;
    size_t n = srv_frame(buf, 1, 1, "one", 3);
    n += srv_frame(buf + n, 1, 1, "two", 3);
    srv_write(srv, buf, n);
    pump(loop);
    assert_int_equal(R.nmsg, 1);
    l = srv_read_frame(srv, &op, pl, sizeof pl, NULL);
    assert_int_equal(op, 8);
    assert_int_equal(pl[0] << 8 | pl[1], 1000);
    assert_non_null(all); /* waiting for the server's close */
    srv_write(srv, buf, srv_frame(buf, 1, 8, cp, 2));
    pump(loop);
    assert_null(all);
    assert_int_equal(R.closed, 0);
    close(srv);

    /* the server drops the connection: on_close with 0, not an error */
    r_reset();
    open_pair(loop, &srv);
    close(srv);
    pump(loop);
    assert_int_equal(R.closed, 1);
    assert_int_equal(R.close_code, 0);
    assert_int_equal(R.close_error, 0);
    assert_null(all);
    ev_loop_destroy(loop);
    r_reset();
}

/* The server does not read: the socket fills, the rest is kept, and every
 * message arrives whole and in order once it does. */
static void test_output_kept_on_eagain(void **st)
{
    (void)st;
    r_reset();
    struct ev_loop *loop = ev_loop_new(0);
    int srv;
    lg_ws *ws = open_pair(loop, &srv);
    enum { MSGS = 200, LEN = 8000 };
    char *m = malloc(LEN);
    for (int i = 0; i < MSGS; i++) {
        memset(m, 'A' + i % 26, LEN);
        snprintf(m, 16, "%06d", i);
        assert_int_equal(lg_ws_send_text(ws, m, LEN), 0);
    }
    assert_true(lg_ws_queued(ws) > 0); /* 1.6 MB does not fit a socketpair's buffer */
    uint8_t *pl = malloc(LEN);
    for (int i = 0; i < MSGS; i++) {
        pump(loop);
        int op;
        assert_int_equal(srv_read_frame(srv, &op, pl, LEN, NULL), LEN);
        char want[16];
        snprintf(want, sizeof want, "%06d", i);
        assert_memory_equal(pl, want, 6);
        assert_int_equal(pl[LEN - 1], 'A' + i % 26);
    }
    pump(loop);
    assert_int_equal(lg_ws_queued(ws), 0);
    free(m);
    free(pl);
    lg_ws_close(ws);
    lg_ws_shutdown();
    close(srv);
    ev_loop_destroy(loop);
    r_reset();
}

/* lg_ws_connect over TCP: the URL's path and query and Host are sent; wss://,
 * a name and a refused port are refused. */
static void test_connect(void **st)
{
    (void)st;
    r_reset();
    struct ev_loop *loop = ev_loop_new(0);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(l, 4), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&a, &al), 0);
    int port = ntohs(a.sin_port);
    char url[128], err[256], req[2048], acc[64], ans[256], want[128];
    lg_ws_opts o = OPTS;
    snprintf(url, sizeof url, "ws://localhost:%d?token=abc", port);
    o.url = url;
    assert_non_null(lg_ws_connect(loop, &o, err, sizeof err));
    pump(loop);
    int s = accept(l, NULL, NULL);
    assert_true(s >= 0);
    pump(loop);
    srv_read_request(s, req, sizeof req, acc, sizeof acc);
    snprintf(want, sizeof want, "GET /?token=abc HTTP/1.1\r\nHost: localhost:%d\r\n", port);
    assert_non_null(strstr(req, want));
    srv_write(s, ans, answer_101(ans, sizeof ans, acc));
    pump(loop);
    assert_int_equal(R.opened, 1);
    lg_ws_shutdown();
    close(s);
    close(l); /* the port is now refused */

    r_reset();
    o.url = "wss://127.0.0.1:1/x";
    assert_null(lg_ws_connect(loop, &o, err, sizeof err));
    assert_non_null(strstr(err, "wss:// is not supported"));
    o.url = "ws://example.com/x";
    assert_null(lg_ws_connect(loop, &o, err, sizeof err));
    assert_non_null(strstr(err, "not a numeric address"));
    o.url = "ws://127.0.0.1:99999/x";
    assert_null(lg_ws_connect(loop, &o, err, sizeof err));
    o.url = url;
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/x", port);
    lg_ws *ws = lg_ws_connect(loop, &o, err, sizeof err);
    if (ws) { /* refused later, on the loop */
        for (int i = 0; i < 100 && !R.closed; i++) {
            pump(loop);
            usleep(10000);
        }
        assert_int_equal(R.closed, 1);
        assert_int_equal(R.close_error, 1);
        assert_non_null(strstr(R.close_reason, "connect"));
    } else {
        assert_non_null(strstr(err, "connect"));
    }
    assert_int_equal(R.opened, 0);
    assert_null(all);
    ev_loop_destroy(loop);
    r_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upgrade_then_frames_in_one_read),
        cmocka_unit_test(test_fragmented_message_and_ping),
        cmocka_unit_test(test_frame_split_across_reads),
        cmocka_unit_test(test_oversize_frame_refused),
        cmocka_unit_test(test_bad_upgrade_answers),
        cmocka_unit_test(test_close_handshake),
        cmocka_unit_test(test_output_kept_on_eagain),
        cmocka_unit_test(test_connect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
