/* tests/fuzz/fuzz_http_request: libFuzzer target for hark's HTTP/WebSocket
 * request path as a stranger reaches it: a real net/http_server (lws on a
 * libev loop, port 0) in this process, each input written raw over a loopback
 * socket, the write side shut, and the loop run until the server closes the
 * connection. Every input also goes through net/http_head's check directly,
 * which must agree with itself on a prefix (a head complete in a prefix is
 * complete, with the same length, in the whole). Crashes, sanitizer reports
 * and a server that stops answering are the findings. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/http_head.h"
#include "net/http_server.h"

static struct ev_loop *loop;
static hk_server *srv;

static void on_http(void *ud, const hk_http_request *req, hk_http_response *resp) {
    (void)ud;
    char buf[96];
    int n = snprintf(buf, sizeof buf, "%s %zu %zu %zu %zu\n", req->method, strlen(req->path),
                     strlen(req->query), strlen(req->twilio_signature), req->body_len);
    resp->status = 200;
    resp->body = strdup(buf);
    resp->len = (size_t)n;
}

static void *on_open(void *ud, hk_conn *conn, const char *path, const char *sig) {
    (void)ud;
    (void)sig;
    return strncmp(path, "/voice/", 7) == 0 ? conn : NULL;
}

/* a message starting with '{' stands for a valid start: the peer is trusted
 * and answered, so the post-trust paths (bigger messages, the send queue) run */
static void on_text(void *st, const char *d, size_t n) {
    hk_conn *c = st;
    if (n && d[0] == '{') {
        hk_conn_trust(c);
        hk_conn_send_text(c, d, n > 512 ? 512 : n);
    }
}

static void on_closed(void *st) { (void)st; }

static void setup(void) {
    char err[256];
    loop = ev_loop_new(EVFLAG_AUTO);
    hk_server_handlers h = {.http = on_http, .ws_open = on_open, .ws_text = on_text,
                            .ws_closed = on_closed, .ws_trust_timeout_s = 1};
    srv = hk_server_new(loop, 0, 0, &h, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "fuzz_http_request: %s\n", err);
        abort();
    }
}

static void check_head(const uint8_t *data, size_t size) {
    hk_http_head h, hp;
    int rc = hk_http_head_check((const char *)data, size, 256 * 1024, &h);
    if (rc == 0 && (h.head_len < 4 || h.head_len > size || h.head_len > HK_HTTP_HEAD_MAX)) abort();
    if (rc == 0) {
        /* the head alone is the same complete head */
        int rp = hk_http_head_check((const char *)data, h.head_len, 256 * 1024, &hp);
        if (rp != 0 || hp.head_len != h.head_len) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!srv) setup();
    check_head(data, size);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)hk_server_port(srv))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) abort();
    size_t sent = 0;
    int shut = 0;
    char sink[65536];
    /* write, shut, and drain until the server closes: bounded at ~3 s (the
     * server's own deadlines are shorter) */
    for (int i = 0; i < 3000; i++) {
        ev_run(loop, EVRUN_NOWAIT);
        if (sent < size) {
            ssize_t w = send(fd, data + sent, size - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0) sent += (size_t)w;
            else if (w < 0 && errno != EAGAIN && errno != ENOTCONN) sent = size; /* closed on us */
        }
        if (sent == size && !shut) {
            shutdown(fd, SHUT_WR);
            shut = 1;
        }
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 1) <= 0) continue;
        ssize_t n = recv(fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) break;
    }
    close(fd);
    /* let the server finish its side before the next input */
    for (int i = 0; i < 200 && hk_server_connections(srv) > 0; i++) {
        ev_run(loop, EVRUN_NOWAIT);
        struct pollfd none;
        poll(&none, 0, 1);
    }
    return 0;
}
