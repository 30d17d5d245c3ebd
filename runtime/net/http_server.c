/* net/http_server: libwebsockets (libev foreign loop) serving HTTP and
 * WebSocket on one port. See http_server.h. Traps handled here (build-notes):
 * lws timers on libev are not re-armed for earlier deadlines, so a 50 ms
 * self-rescheduling sul keeps them honest; custom headers are looked up
 * lower-case with the colon; the libev plugin logs at NOTICE, so only
 * errors and warnings are enabled. */
#include "net/http_server.h"

#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "media/ring.h"

#define HK_MAX_BODY (256 * 1024)
#define HK_WS_RX_MAX (64 * 1024)
#define HK_WS_TX_RING (256 * 1024) /* > 2 s of paced media messages */

struct hk_server {
    struct lws_context *ctx;
    struct lws_vhost *vh;
    struct ev_loop *loop;
    int listen_fd;       /* ours: SO_REUSEPORT needs to be set before bind */
    int port;
    ev_io accept_io;
    hk_server_handlers h;
    lws_sorted_usec_list_t tick;
    void *loops[1];
    int stopping;
};

struct hk_conn {
    struct lws *wsi;
    hk_server *srv;
    int is_ws;
    char method[8];
    char path[512];
    char query[512];
    char ctype[128];
    char host[256];
    char sig[128];
    char auth[512];
    char *body;
    size_t body_len;
    int too_big;
    hk_http_response resp;
    size_t resp_sent;
    /* websocket */
    void *state;
    char *rx;
    size_t rx_len;
    hk_ring tx; /* [u32 length][bytes] records */
    int closing;
};

static void tick_cb(lws_sorted_usec_list_t *sul) {
    hk_server *s = lws_container_of(sul, hk_server, tick);
    if (!s->stopping) lws_sul_schedule(s->ctx, 0, &s->tick, tick_cb, 50 * LWS_US_PER_MS);
}

static void copy_hdr(struct lws *wsi, char *dst, int len, enum lws_token_indexes t) {
    dst[0] = 0;
    if (lws_hdr_total_length(wsi, t) > 0 && lws_hdr_copy(wsi, dst, len, t) < 0) dst[0] = 0;
}

static void copy_custom(struct lws *wsi, char *dst, int len, const char *name) {
    dst[0] = 0;
    if (lws_hdr_custom_copy(wsi, dst, len, name, (int)strlen(name)) < 0) dst[0] = 0;
}

static void read_request(struct lws *wsi, hk_conn *c, const char *uri) {
    snprintf(c->path, sizeof c->path, "%s", uri ? uri : "/");
    c->query[0] = 0;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS) > 0) {
        /* lws hands query args as fragments joined with '&' */
        char frag[512];
        int n = 0;
        for (int i = 0; lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i) > 0; i++)
            n += snprintf(c->query + n, sizeof c->query - (size_t)n, "%s%s", i ? "&" : "", frag);
    }
    char *q = strchr(c->path, '?');
    if (q) *q = 0;
    copy_hdr(wsi, c->ctype, sizeof c->ctype, WSI_TOKEN_HTTP_CONTENT_TYPE);
    copy_hdr(wsi, c->host, sizeof c->host, WSI_TOKEN_HOST);
    copy_hdr(wsi, c->auth, sizeof c->auth, WSI_TOKEN_HTTP_AUTHORIZATION);
    copy_custom(wsi, c->sig, sizeof c->sig, "x-twilio-signature:");
    if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0) snprintf(c->method, sizeof c->method, "POST");
    else if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0) snprintf(c->method, sizeof c->method, "GET");
    else if (lws_hdr_total_length(wsi, WSI_TOKEN_PUT_URI) > 0) snprintf(c->method, sizeof c->method, "PUT");
    else if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI) > 0) snprintf(c->method, sizeof c->method, "DELETE");
    else if (lws_hdr_total_length(wsi, WSI_TOKEN_PATCH_URI) > 0) snprintf(c->method, sizeof c->method, "PATCH");
    else snprintf(c->method, sizeof c->method, "OTHER");
}

static void set_text(hk_http_response *r, int status, const char *text) {
    r->status = status;
    snprintf(r->content_type, sizeof r->content_type, "text/plain");
    r->body = strdup(text);
    r->len = strlen(text);
}

/* Call the handler and start the response; the body goes out on writeable. */
static int respond(struct lws *wsi, hk_conn *c) {
    hk_server *s = c->srv;
    memset(&c->resp, 0, sizeof c->resp);
    if (c->too_big) {
        set_text(&c->resp, 413, "request body too large\n");
    } else {
        hk_http_request req = {c->method, c->path, c->query, c->ctype, c->host, c->sig, c->auth,
                               c->body ? c->body : "", c->body_len};
        s->h.http(s->h.ud, &req, &c->resp);
        if (!c->resp.status) set_text(&c->resp, 500, "no response\n");
    }
    if (!c->resp.content_type[0]) snprintf(c->resp.content_type, sizeof c->resp.content_type, "text/plain");
    uint8_t buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
    if (lws_add_http_common_headers(wsi, (unsigned int)c->resp.status, c->resp.content_type,
                                    (lws_filepos_t)c->resp.len, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return 1;
    c->resp_sent = 0;
    lws_callback_on_writable(wsi);
    return 0;
}

static int write_body(struct lws *wsi, hk_conn *c) {
    size_t left = c->resp.len - c->resp_sent;
    size_t chunk = left > 16384 ? 16384 : left;
    uint8_t *buf = malloc(LWS_PRE + chunk + 1);
    if (!buf) return -1;
    memcpy(buf + LWS_PRE, c->resp.body ? c->resp.body + c->resp_sent : "", chunk);
    int final = chunk == left;
    int n = lws_write(wsi, buf + LWS_PRE, chunk, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
    free(buf);
    if (n < (int)chunk) return -1;
    c->resp_sent += chunk;
    if (!final) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    free(c->resp.body);
    c->resp.body = NULL;
    free(c->body);
    c->body = NULL;
    c->body_len = 0;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int ws_writeable(struct lws *wsi, hk_conn *c) {
    if (hk_ring_used(&c->tx) >= 4) {
        uint32_t len;
        hk_ring_read(&c->tx, &len, 4);
        uint8_t stackbuf[LWS_PRE + 2048];
        uint8_t *buf = len <= 2048 ? stackbuf : malloc(LWS_PRE + len);
        if (!buf) return -1;
        hk_ring_read(&c->tx, buf + LWS_PRE, len);
        int n = lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT);
        if (buf != stackbuf) free(buf);
        if (n < (int)len) return -1;
    }
    if (hk_ring_used(&c->tx) >= 4) lws_callback_on_writable(wsi);
    else if (c->closing) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len) {
    hk_conn *c = user;
    hk_server *s = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        c->srv = s;
        c->wsi = wsi;
        read_request(wsi, c, in);
        if (strcmp(c->method, "POST") == 0 || strcmp(c->method, "PUT") == 0 ||
            strcmp(c->method, "PATCH") == 0)
            return 0; /* wait for the body */
        return respond(wsi, c);
    case LWS_CALLBACK_HTTP_BODY:
        if (c->too_big || c->body_len + len > HK_MAX_BODY) {
            c->too_big = 1;
            return 0;
        }
        {
            char *nb = realloc(c->body, c->body_len + len + 1);
            if (!nb) return -1;
            c->body = nb;
            memcpy(c->body + c->body_len, in, len);
            c->body_len += len;
            c->body[c->body_len] = 0;
        }
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return respond(wsi, c);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return write_body(wsi, c);
    case LWS_CALLBACK_CLOSED_HTTP:
        free(c->body);
        free(c->resp.body);
        c->body = c->resp.body = NULL;
        return 0;
    case LWS_CALLBACK_ESTABLISHED: {
        c->srv = s;
        c->wsi = wsi;
        c->is_ws = 1;
        char uri[512];
        copy_hdr(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);
        read_request(wsi, c, uri);
        c->rx = malloc(HK_WS_RX_MAX);
        if (!c->rx || hk_ring_init(&c->tx, HK_WS_TX_RING) != 0) return -1;
        c->state = s->h.ws_open ? s->h.ws_open(s->h.ud, c, c->path, c->sig) : NULL;
        return c->state ? 0 : -1;
    }
    case LWS_CALLBACK_RECEIVE:
        if (!c->state) return -1;
        if (c->rx_len + len > HK_WS_RX_MAX) {
            hk_log(HK_LOG_WARN, NULL, "ws_message_too_big", "%s: closing", c->path);
            return -1;
        }
        memcpy(c->rx + c->rx_len, in, len);
        c->rx_len += len;
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            size_t n = c->rx_len;
            c->rx_len = 0;
            if (!lws_frame_is_binary(wsi)) s->h.ws_text(c->state, c->rx, n);
        }
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return ws_writeable(wsi, c);
    case LWS_CALLBACK_CLOSED:
        if (c->state && s->h.ws_closed) s->h.ws_closed(c->state);
        c->state = NULL;
        free(c->rx);
        c->rx = NULL;
        hk_ring_free(&c->tx);
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static struct lws_protocols protocols[] = {
    {"hark", callback, sizeof(hk_conn), HK_WS_RX_MAX, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* The listening socket is hark's own (lws 4.1 cannot share a port between
 * processes): accepted connections are handed to lws with adopt. */
static void on_accept(struct ev_loop *loop, ev_io *w, int revents) {
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
        if (!lws_adopt_socket_vhost(s->vh, fd)) close(fd);
    }
}

static int open_listener(int port, int share, int *bound_port, char *err, size_t errlen) {
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int v6 = fd >= 0;
    if (!v6) fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (share) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    int rc;
    if (v6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero); /* v4 too */
        struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port),
                                 .sin6_addr = in6addr_any};
        rc = bind(fd, (struct sockaddr *)&a, sizeof a);
    } else {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_ANY)};
        rc = bind(fd, (struct sockaddr *)&a, sizeof a);
    }
    if (rc != 0 || listen(fd, 1024) != 0) {
        snprintf(err, errlen, "cannot listen on port %d: %s", port, strerror(errno));
        close(fd);
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *bound_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

hk_server *hk_server_new(struct ev_loop *loop, int port, int flags, const hk_server_handlers *h,
                         char *err, size_t errlen) {
    hk_server *s = calloc(1, sizeof *s);
    s->h = *h;
    s->loop = loop;
    s->loops[0] = loop;
    s->listen_fd = open_listener(port, flags & HK_SERVER_SHARE_PORT, &s->port, err, errlen);
    if (s->listen_fd < 0) {
        free(s);
        return NULL;
    }
    lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN_SERVER; /* a server vhost fed by adopt */
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_LIBEV;
    info.foreign_loops = s->loops;
    info.user = s;
    info.timeout_secs = 30;
    s->ctx = lws_create_context(&info);
    if (!s->ctx) {
        snprintf(err, errlen, "cannot start the HTTP server (libwebsockets)");
        close(s->listen_fd);
        free(s);
        return NULL;
    }
    s->vh = lws_get_vhost_by_name(s->ctx, "default");
    lws_sul_schedule(s->ctx, 0, &s->tick, tick_cb, 50 * LWS_US_PER_MS);
    ev_io_init(&s->accept_io, on_accept, s->listen_fd, EV_READ);
    s->accept_io.data = s;
    ev_io_start(loop, &s->accept_io);
    return s;
}

int hk_server_port(const hk_server *s) { return s->port; }

void hk_server_free(hk_server *s) {
    if (!s) return;
    s->stopping = 1;
    ev_io_stop(s->loop, &s->accept_io);
    close(s->listen_fd);
    lws_sul_cancel(&s->tick);
    lws_context_destroy(s->ctx);
    free(s);
}

int hk_conn_send_text(hk_conn *c, const char *data, size_t len) {
    if (!c->is_ws || c->closing || hk_ring_space(&c->tx) < len + 4) return -1;
    uint32_t n = (uint32_t)len;
    hk_ring_write(&c->tx, &n, 4);
    hk_ring_write(&c->tx, data, len);
    lws_callback_on_writable(c->wsi);
    return 0;
}

void hk_conn_close(hk_conn *c) {
    c->closing = 1;
    lws_callback_on_writable(c->wsi);
}

size_t hk_conn_queued(const hk_conn *c) { return c->is_ws ? hk_ring_used(&c->tx) : 0; }
