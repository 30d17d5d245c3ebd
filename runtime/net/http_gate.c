/* net/http_gate: the first hands on every accepted socket, before
 * libwebsockets. Over the connection cap: 503 and close (logged at most once
 * a second). Otherwise the request head is peeked at (never read: lws gets
 * the socket with every byte unread) and checked with net/http_head (sizes,
 * header counts, Transfer-Encoding, Content-Length, a 10 s deadline); a bad
 * head is answered once with its status and the socket drained, a good one
 * is adopted by lws. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "net/http_server_int.h"

/* A short text answer written straight to the socket (a fresh socket's send
 * buffer takes it whole; if not, the peer was not reading anyway). */
static void send_status(int fd, int status) {
    char msg[256];
    const char *why = hk_http_head_reason(status);
    int n = snprintf(msg, sizeof msg,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s\n",
                     status, why, strlen(why) + 1, why);
    if (send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) { /* peer gone: nothing to do */ }
}

static void pending_free(hk_pending *p) {
    hk_server *s = p->srv;
    ev_io_stop(s->loop, &p->io);
    ev_timer_stop(s->loop, &p->timer);
    ev_timer_stop(s->loop, &p->rest);
    if (p->prev) p->prev->next = p->next;
    else s->pending = p->next;
    if (p->next) p->next->prev = p->prev;
    s->n_pending--;
    if (p->fd >= 0) close(p->fd);
    free(p);
}

static void pending_refuse(hk_pending *p, int status) {
    hk_log(HK_LOG_DEBUG, NULL, "http_refused", "%d %s", status, hk_http_head_reason(status));
    send_status(p->fd, status);
    shutdown(p->fd, SHUT_WR);
    p->lingering = 1;
    ev_timer_stop(p->srv->loop, &p->rest);
    ev_io_start(p->srv->loop, &p->io);
    ev_timer_stop(p->srv->loop, &p->timer);
    ev_timer_set(&p->timer, HK_LINGER, 0);
    ev_timer_start(p->srv->loop, &p->timer);
}

static void pending_adopt(hk_pending *p) {
    hk_server *s = p->srv;
    int fd = p->fd;
    p->fd = -1;
    pending_free(p);
    /* lws closes fd itself when adoption fails */
    lws_adopt_socket_vhost(s->vh, fd);
}

static void pending_read(struct ev_loop *loop, ev_io *w, int revents) {
    (void)revents;
    hk_pending *p = w->data;
    hk_server *s = p->srv;
    if (p->lingering) {
        ssize_t n = recv(p->fd, s->peek, sizeof s->peek, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            pending_free(p);
        return;
    }
    ssize_t n = recv(p->fd, s->peek, sizeof s->peek, MSG_PEEK);
    if (n == 0) return pending_free(p); /* the peer gave up */
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) pending_free(p);
        return;
    }
    hk_http_head h;
    int rc = hk_http_head_check(s->peek, (size_t)n, HK_MAX_BODY, &h);
    if (rc == 0) return pending_adopt(p);
    if (rc != 1) return pending_refuse(p, rc);
    /* incomplete: rest, longer while nothing new arrives; a peer that has
     * shut its side will never complete it (its bytes hide the EOF from recv) */
    struct pollfd pf = {p->fd, POLLRDHUP, 0};
    if ((size_t)n == p->seen && poll(&pf, 1, 0) > 0 && (pf.revents & (POLLRDHUP | POLLHUP | POLLERR)))
        return pending_free(p);
    p->rest_s = (size_t)n > p->seen ? 0.005 : (p->rest_s * 2 > 0.2 ? 0.2 : p->rest_s * 2);
    p->seen = (size_t)n;
    ev_io_stop(loop, &p->io);
    ev_timer_set(&p->rest, p->rest_s, 0);
    ev_timer_start(loop, &p->rest);
}

static void pending_rested(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)revents;
    hk_pending *p = w->data;
    ev_io_start(loop, &p->io);
}

static void pending_timeout(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)revents;
    hk_pending *p = w->data;
    if (p->lingering) pending_free(p);
    else pending_refuse(p, 408);
}

static void pending_new(hk_server *s, int fd) {
    hk_pending *p = calloc(1, sizeof *p);
    if (!p) {
        close(fd);
        return;
    }
    p->srv = s;
    p->fd = fd;
    ev_io_init(&p->io, pending_read, fd, EV_READ);
    ev_timer_init(&p->timer, pending_timeout, HK_HEAD_TIMEOUT, 0);
    ev_timer_init(&p->rest, pending_rested, 0.005, 0);
    p->io.data = p->timer.data = p->rest.data = p;
    p->next = s->pending;
    if (p->next) p->next->prev = p;
    s->pending = p;
    s->n_pending++;
    ev_io_start(s->loop, &p->io);
    ev_timer_start(s->loop, &p->timer);
}

/* Over the cap: 503 and close, logged at most once a second. */
static void refuse_busy(hk_server *s, int fd) {
    char sink[4096];
    while (recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0) {
    } /* what already arrived, so close sends FIN rather than RST */
    send_status(fd, 503);
    close(fd);
    s->refused++;
    ev_tstamp now = ev_now(s->loop);
    if (now - s->refused_logged >= 1.0) {
        hk_log(HK_LOG_WARN, NULL, "connections_refused",
               "%ld connection(s) refused with 503: %d open, the limit (HARK_MAX_CONNECTIONS)",
               s->refused, hk_srv_conn_count(s));
        s->refused_logged = now;
        s->refused = 0;
    }
}

void hk_srv_on_accept(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop;
    (void)revents;
    hk_server *s = w->data;
    for (int i = 0; i < 64; i++) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                hk_log(HK_LOG_WARN, NULL, "accept_failed", "%s", strerror(errno));
            return; /* EAGAIN: another worker took it, or none left */
        }
        if (hk_srv_conn_count(s) >= s->max_conns) refuse_busy(s, fd);
        else pending_new(s, fd);
    }
}

void hk_srv_gate_free_all(hk_server *s) {
    while (s->pending) pending_free(s->pending);
}
