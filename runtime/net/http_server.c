/* net/http_server: libwebsockets (libev foreign loop) serving HTTP and
 * WebSocket on one port: lws callbacks, answers (deferred ones too) and
 * WebSocket queues. See http_server.h; the heads are checked before lws
 * sees them in http_gate.c. Traps handled here (build-notes):
 * lws timers on libev are not re-armed for earlier deadlines, so a 50 ms
 * self-rescheduling sul keeps them honest, and hark's own deadlines are
 * ev_timers; custom headers are looked up lower-case with the colon; the
 * libev plugin logs at NOTICE, so only errors and warnings are enabled.
 * lws calls back without per-connection data (user == NULL) for connections
 * it never bound to the protocol: every reason that can, is guarded. */
#include "net/http_server.h"

#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "net/http_server_int.h"

/* lws 4.1 logs every adoption with a read buffer at ERR: not an error here */
static void lws_log_emit(int level, const char *line) {
    if (strstr(line, "adopt_socket_readbuf: calling service")) return;
    if (strstr(line, "User code denied connection")) return; /* ws_accept refused: hark logged why */
    lwsl_emit_stderr(level, line);
}

static void tick_cb(lws_sorted_usec_list_t *sul) {
    hk_server *s = lws_container_of(sul, hk_server, tick);
    if (!s->stopping) lws_sul_schedule(s->ctx, 0, &s->tick, tick_cb, 50 * LWS_US_PER_MS);
}

/* ---- requests lws has parsed ---- */

/* A copy of header t (all its fragments) in an allocation of its size. */
static char *dup_hdr(struct lws *wsi, enum lws_token_indexes t) {
    int n = lws_hdr_total_length(wsi, t);
    /* room for the separators lws puts between repeated headers */
    size_t cap = (n > 0 ? (size_t)n : 0) + 2 * HK_HTTP_HEADERS_MAX + 1;
    char *d = malloc(cap);
    if (!d) return NULL;
    d[0] = 0;
    if (n > 0 && lws_hdr_copy(wsi, d, (int)cap, t) < 0) d[0] = 0;
    return d;
}

static char *dup_custom(struct lws *wsi, const char *name) {
    int n = lws_hdr_custom_length(wsi, name, (int)strlen(name));
    char *d = malloc(n > 0 ? (size_t)n + 1 : 1);
    if (!d) return NULL;
    d[0] = 0;
    if (n > 0 && lws_hdr_custom_copy(wsi, d, n + 1, name, (int)strlen(name)) < 0) d[0] = 0;
    return d;
}

/* The query string: lws hands it as fragments, rejoined with '&'. */
static char *dup_query(struct lws *wsi) {
    int total = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
    size_t cap = (total > 0 ? (size_t)total : 0) + HK_HTTP_QUERY_ARGS_MAX + 2;
    char *q = malloc(cap);
    if (!q) return NULL;
    size_t n = 0;
    q[0] = 0;
    for (int i = 0; total > 0 && i <= HK_HTTP_QUERY_ARGS_MAX; i++) {
        size_t sep = i ? 1 : 0;
        if (n + sep + 1 >= cap) break;
        int r = lws_hdr_copy_fragment(wsi, q + n + sep, (int)(cap - n - sep), WSI_TOKEN_HTTP_URI_ARGS, i);
        if (r < 0) break; /* no more fragments */
        if (sep) q[n] = '&';
        n += sep + (size_t)r;
    }
    q[n] = 0;
    return q;
}

static void free_request(hk_conn *c) {
    char **f[] = {&c->path,   &c->query,  &c->ctype, &c->host,  &c->sig,
                  &c->auth,   &c->cookie, &c->origin, &c->inm,  &c->range,
                  &c->csrf,   &c->body,   &c->resp.body, &c->resp.headers};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        free(*f[i]);
        *f[i] = NULL;
    }
    c->body_len = 0;
}

/* 0, or -1 when out of memory. uri: the path lws decoded (NULL: from the headers). */
static int read_request(struct lws *wsi, hk_conn *c, const char *uri) {
    c->path = uri ? strdup(uri) : dup_hdr(wsi, WSI_TOKEN_GET_URI);
    c->query = dup_query(wsi);
    c->ctype = dup_hdr(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
    c->host = dup_hdr(wsi, WSI_TOKEN_HOST);
    c->auth = dup_hdr(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    c->sig = dup_custom(wsi, "x-twilio-signature:");
    c->peer[0] = 0;
    lws_get_peer_simple(wsi, c->peer, sizeof c->peer);
    c->cookie = dup_hdr(wsi, WSI_TOKEN_HTTP_COOKIE);
    c->origin = dup_hdr(wsi, WSI_TOKEN_ORIGIN);
    c->inm = dup_hdr(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH);
    c->range = dup_hdr(wsi, WSI_TOKEN_HTTP_RANGE);
    c->csrf = dup_custom(wsi, "x-hark-csrf:");
    if (!c->path || !c->query || !c->ctype || !c->host || !c->auth || !c->sig || !c->cookie ||
        !c->origin || !c->inm || !c->range || !c->csrf)
        return -1;
    char *q = strchr(c->path, '?');
    if (q) *q = 0;
    const char *m = "OTHER";
    if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0) m = "POST";
    else if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0) m = "GET";
    else if (lws_hdr_total_length(wsi, WSI_TOKEN_PUT_URI) > 0) m = "PUT";
    else if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI) > 0) m = "DELETE";
    else if (lws_hdr_total_length(wsi, WSI_TOKEN_PATCH_URI) > 0) m = "PATCH";
    else if (lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0) m = "HEAD";
    snprintf(c->method, sizeof c->method, "%s", m);
    return 0;
}

static void answer(hk_conn *c, int status, const char *content_type, char *body, size_t len,
                   char *headers);

static void deadline_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)revents;
    hk_conn *c = w->data;
    c->deadline_on = 0;
    if (!c->is_ws && c->pending && !c->resp.status) {
        /* a deferred answer that never came: 504, and the handle goes stale */
        hk_log(HK_LOG_WARN, NULL, "http_deferred_timeout", "%s: no answer in time: 504",
               c->path ? c->path : "?");
        static const char late[] = "{\"message\":\"the request took too long\","
                                   "\"error\":\"Gateway Timeout\",\"statusCode\":504}";
        answer(c, 504, "application/json", strdup(late), sizeof late - 1, NULL);
        return;
    }
    hk_log(HK_LOG_DEBUG, NULL, c->is_ws ? "ws_untrusted_timeout" : "http_request_timeout",
           "%s: closing", c->path ? c->path : "?");
    /* closed from lws's side on its next service (the tick runs it) */
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static void deadline_start(hk_conn *c, double after) {
    ev_timer_init(&c->deadline, deadline_cb, after, 0);
    c->deadline.data = c;
    ev_timer_start(c->srv->loop, &c->deadline);
    c->deadline_on = 1;
}

static void deadline_stop(hk_conn *c) {
    if (c->deadline_on) ev_timer_stop(c->srv->loop, &c->deadline);
    c->deadline_on = 0;
}

static void set_text(hk_http_response *r, int status, const char *text) {
    r->status = status;
    snprintf(r->content_type, sizeof r->content_type, "text/plain");
    r->body = strdup(text);
    r->len = r->body ? strlen(text) : 0;
}

static void pending_release(hk_http_pending *p) {
    if (--p->refs == 0) free(p);
}

/* The connection no longer waits on p (answered, or closed). */
static void pending_detach(hk_conn *c) {
    if (!c->pending) return;
    c->pending->conn = NULL;
    pending_release(c->pending);
    c->pending = NULL;
}

hk_http_pending *hk_http_defer(const hk_http_request *req) {
    hk_conn *c = req->conn;
    if (!c || !c->in_handler || c->pending || c->resp.status) return NULL;
    hk_http_pending *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->conn = c;
    p->refs = 2;
    c->pending = p;
    return p;
}

int hk_http_pending_alive(const hk_http_pending *p) { return p && p->conn != NULL; }

void hk_http_pending_retry_after(hk_http_pending *p, int seconds) {
    if (p && p->conn) p->conn->resp.retry_after = seconds;
}

/* Fill c's answer and stop waiting on its handle (whose owner may still
 * hold it). */
static void answer(hk_conn *c, int status, const char *content_type, char *body, size_t len,
                   char *headers) {
    c->resp.status = status;
    c->resp.headers = headers;
    snprintf(c->resp.content_type, sizeof c->resp.content_type, "%s",
             content_type && *content_type ? content_type : "text/plain");
    c->resp.body = body;
    c->resp.len = body ? len : 0;
    pending_detach(c);
    if (!c->in_handler) {
        c->headers_due = 1;
        lws_callback_on_writable(c->wsi);
    }
}

void hk_http_pending_respond_headers(hk_http_pending *p, int status, const char *content_type,
                                     char *body, size_t len, char *headers) {
    if (!p) {
        free(body);
        free(headers);
        return;
    }
    if (p->conn) answer(p->conn, status, content_type, body, len, headers);
    else { /* the client left, or the deadline answered */
        free(body);
        free(headers);
    }
    pending_release(p);
}

void hk_http_pending_respond_take(hk_http_pending *p, int status, const char *content_type,
                                  char *body, size_t len) {
    hk_http_pending_respond_headers(p, status, content_type, body, len, NULL);
}

void hk_http_pending_respond(hk_http_pending *p, int status, const char *content_type,
                             const char *body, size_t len) {
    char *copy = malloc(len + 1);
    if (copy) {
        if (len) memcpy(copy, body, len);
        copy[len] = 0;
    } else {
        status = 500; /* out of memory: an empty 500 rather than nothing */
        len = 0;
    }
    hk_http_pending_respond_take(p, status, content_type, copy, len);
}

/* The handler's extra header lines ("Name: value\r\n"), each added by
 * name; a line without ": " or a name over 62 bytes is dropped. */
static int add_extra_headers(struct lws *wsi, const char *h, uint8_t **p, uint8_t *end) {
    while (h && *h) {
        const char *eol = strstr(h, "\r\n");
        size_t n = eol ? (size_t)(eol - h) : strlen(h);
        const char *colon = memchr(h, ':', n);
        if (colon && colon > h && (size_t)(colon - h) < 63 && colon + 1 < h + n && colon[1] == ' ') {
            char name[64];
            size_t nl = (size_t)(colon - h);
            memcpy(name, h, nl);
            name[nl] = ':';
            name[nl + 1] = 0;
            const char *v = colon + 2;
            if (lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)v,
                                            (int)(h + n - v), p, end))
                return 1;
        }
        h += n;
        if (eol) h += 2;
    }
    return 0;
}

/* The status line and headers of c->resp (Connection: close). */
static int write_head(struct lws *wsi, hk_conn *c) {
    if (!c->resp.content_type[0]) snprintf(c->resp.content_type, sizeof c->resp.content_type, "text/plain");
    uint8_t buf[LWS_PRE + 4096], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
    if (lws_add_http_common_headers(wsi, (unsigned int)c->resp.status, c->resp.content_type,
                                    (lws_filepos_t)c->resp.len, &p, end) ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close", 5,
                                     &p, end))
        return 1;
    if (c->resp.retry_after > 0) {
        char ra[16];
        int n = snprintf(ra, sizeof ra, "%d", c->resp.retry_after);
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)"retry-after:",
                                        (const unsigned char *)ra, n, &p, end))
            return 1;
    }
    if (add_extra_headers(wsi, c->resp.headers, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return 1;
    c->resp_sent = 0;
    lws_callback_on_writable(wsi);
    return 0;
}

/* Call the handler and start the response; the body goes out on writeable.
 * Every answer closes the connection after it (one request per connection:
 * each head passes hark's checks, none is parsed by lws alone). A handler
 * that deferred leaves resp empty: the answer comes through its handle. */
static int respond(struct lws *wsi, hk_conn *c) {
    hk_server *s = c->srv;
    memset(&c->resp, 0, sizeof c->resp);
    c->answered = 1;
    hk_http_request req = {.method = c->method, .path = c->path, .query = c->query,
                           .content_type = c->ctype, .host = c->host, .twilio_signature = c->sig,
                           .authorization = c->auth, .body = c->body ? c->body : "",
                           .body_len = c->body_len, .conn = c,
                           .peer = c->peer,
                           .cookie = c->cookie, .origin = c->origin, .if_none_match = c->inm,
                           .range = c->range, .csrf = c->csrf};
    c->head_only = strcmp(c->method, "HEAD") == 0;
    c->in_handler = 1;
    s->h.http(s->h.ud, &req, &c->resp);
    c->in_handler = 0;
    if (!c->resp.status && c->pending) return 0; /* answered later */
    pending_detach(c); /* answered (or filled resp) although it deferred */
    if (!c->resp.status) set_text(&c->resp, 500, "no response\n");
    return write_head(wsi, c);
}

static int write_body(struct lws *wsi, hk_conn *c) {
    if (!c->resp.status) return 0; /* not answered yet */
    if (c->headers_due) {
        c->headers_due = 0;
        return write_head(wsi, c) ? -1 : 0;
    }
    if (c->head_only) return -1; /* the head went out: done */
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
    return -1; /* answered: close (lws sends what it still holds first) */
}

static int ws_writeable(struct lws *wsi, hk_conn *c) {
    if (c->tx_failed) return -1;
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

static int ws_receive(struct lws *wsi, hk_conn *c, const void *in, size_t len) {
    hk_server *s = c->srv;
    if (!c->state) return -1;
    size_t limit = c->trusted ? HK_WS_RX_MAX : HK_WS_RX_PREAUTH;
    if (c->rx_len + len > limit) {
        hk_log(HK_LOG_WARN, NULL, "ws_message_too_big", "%s: over %zu bytes%s: closing", c->path,
               limit, c->trusted ? "" : " before the stream was authenticated");
        return -1;
    }
    if (c->rx_len + len > c->rx_cap) {
        size_t cap = c->rx_cap ? c->rx_cap : 1024;
        while (cap < c->rx_len + len) cap *= 2;
        char *nb = realloc(c->rx, cap);
        if (!nb) return -1;
        c->rx = nb;
        c->rx_cap = cap;
    }
    /* an empty frame arrives with in == NULL and nothing allocated yet */
    if (len) memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
        size_t n = c->rx_len;
        c->rx_len = 0;
        if (!lws_frame_is_binary(wsi)) s->h.ws_text(c->state, c->rx ? c->rx : "", n);
    }
    return 0;
}

static int ws_established(struct lws *wsi, hk_conn *c, hk_server *s) {
    c->srv = s;
    c->wsi = wsi;
    c->is_ws = 1;
    if (read_request(wsi, c, NULL) != 0) return -1;
    deadline_start(c, s->trust_timeout);
    c->state = s->h.ws_open ? s->h.ws_open(s->h.ud, c, c->path, c->sig) : NULL;
    return c->state ? 0 : -1;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len) {
    hk_conn *c = user;
    hk_server *s = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_WSI_CREATE:
        if (s) s->n_lws++;
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        if (s) s->n_lws--;
        return 0;
    case LWS_CALLBACK_HTTP:
        if (!c) return -1;
        c->srv = s;
        c->wsi = wsi;
        if (read_request(wsi, c, in) != 0) return -1;
        deadline_start(c, s->request_timeout);
        /* a body comes only with Content-Length (Transfer-Encoding is
         * refused before lws sees the head): without it there is none */
        if ((strcmp(c->method, "POST") == 0 || strcmp(c->method, "PUT") == 0 ||
             strcmp(c->method, "PATCH") == 0) &&
            lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
            return 0; /* wait for the body */
        return respond(wsi, c);
    case LWS_CALLBACK_HTTP_BODY:
        if (!c) return -1;
        /* Content-Length was checked against HK_MAX_BODY before lws saw the
         * request: more than that is a peer lying about it */
        if (c->body_len + len > HK_MAX_BODY) {
            hk_log(HK_LOG_WARN, NULL, "http_body_too_big", "%s: closing", c->path);
            return -1;
        }
        {
            char *nb = realloc(c->body, c->body_len + len + 1);
            if (!nb) return -1;
            c->body = nb;
            if (len) memcpy(c->body + c->body_len, in, len); /* Content-Length: 0 hands in NULL */
            c->body_len += len;
            c->body[c->body_len] = 0;
        }
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (!c) return -1;
        /* lws 4.1 can report completion more than once: answer once */
        if (c->answered) return 0;
        return respond(wsi, c);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (!c) return -1;
        return write_body(wsi, c);
    case LWS_CALLBACK_CLOSED_HTTP:
        if (!c) return 0;
        if (!c->is_ws) {
            deadline_stop(c);
            pending_detach(c);
            free_request(c);
        }
        return 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        if (!s || !s->h.ws_accept) return 0;
        {
            hk_conn tmp; /* the head's strings for the decision only */
            memset(&tmp, 0, sizeof tmp);
            int ok = 0;
            if (read_request(wsi, &tmp, NULL) == 0) {
                hk_http_request req;
                hk_conn_request(&tmp, &req);
                ok = s->h.ws_accept(s->h.ud, &req);
            }
            free_request(&tmp);
            return ok ? 0 : -1;
        }
    case LWS_CALLBACK_ESTABLISHED:
        if (!c) return -1;
        return ws_established(wsi, c, s);
    case LWS_CALLBACK_RECEIVE:
        if (!c) return -1;
        return ws_receive(wsi, c, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (!c) return -1;
        return ws_writeable(wsi, c);
    case LWS_CALLBACK_CLOSED:
        if (!c) return 0;
        deadline_stop(c);
        if (c->state && s->h.ws_closed) s->h.ws_closed(c->state);
        c->state = NULL;
        free(c->rx);
        c->rx = NULL;
        hk_ring_free(&c->tx);
        free_request(c);
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static struct lws_protocols protocols[] = {
    {"hark", callback, sizeof(hk_conn), HK_WS_RX_CHUNK, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* The listening socket is hark's own (lws 4.1 cannot share a port between
 * processes): accepted connections have their head read and checked here,
 * then are handed to lws with adopt. */
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
    s->max_conns = h->max_connections > 0 ? h->max_connections : HK_DEFAULT_MAX_CONNS;
    s->trust_timeout = h->ws_trust_timeout_s > 0 ? h->ws_trust_timeout_s : HK_WS_TRUST_TIMEOUT;
    s->request_timeout = h->request_timeout_s > 0 ? h->request_timeout_s : HK_REQUEST_TIMEOUT;
    s->loops[0] = loop;
    s->listen_fd = open_listener(port, flags & HK_SERVER_SHARE_PORT, &s->port, err, errlen);
    if (s->listen_fd < 0) {
        free(s);
        return NULL;
    }
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN_SERVER; /* a server vhost fed by adopt */
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_LIBEV;
    info.foreign_loops = s->loops;
    info.user = s;
    info.timeout_secs = 30;
    /* lws's header space above hark's head limit: every head hark accepted fits */
    info.max_http_header_data = HK_HTTP_HEAD_MAX + 2048;
    s->ctx = lws_create_context(&info);
    if (!s->ctx) {
        snprintf(err, errlen, "cannot start the HTTP server (libwebsockets)");
        close(s->listen_fd);
        free(s);
        return NULL;
    }
    s->vh = lws_get_vhost_by_name(s->ctx, "default");
    lws_sul_schedule(s->ctx, 0, &s->tick, tick_cb, 50 * LWS_US_PER_MS);
    ev_io_init(&s->accept_io, hk_srv_on_accept, s->listen_fd, EV_READ);
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
    hk_srv_gate_free_all(s);
    lws_sul_cancel(&s->tick);
    lws_context_destroy(s->ctx);
    free(s);
}

int hk_conn_send_text(hk_conn *c, const char *data, size_t len) {
    if (!c->is_ws || c->closing || c->tx_failed) return -1;
    /* Nothing queued and nothing held back by lws: write now. Asking for
     * POLLOUT instead costs two epoll_ctl per message (on, then off after
     * the write), at 50 media messages a second per call the main syscall
     * cost of the loop. A short write is kept by lws (lws_write reports it
     * written) and finished on POLLOUT; later messages queue behind it. */
    if ((!c->tx_ready || hk_ring_used(&c->tx) == 0) && len <= HK_WS_DIRECT_MAX &&
        !lws_partial_buffered(c->wsi)) {
        uint8_t buf[LWS_PRE + HK_WS_DIRECT_MAX];
        memcpy(buf + LWS_PRE, data, len);
        if (lws_write(c->wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len) {
            c->tx_failed = 1; /* closed from the writeable callback */
            lws_callback_on_writable(c->wsi);
            return -1;
        }
        return 0;
    }
    if (!c->tx_ready) {
        /* the big queue only for a peer that is sent something (a started call) */
        if (hk_ring_init(&c->tx, HK_WS_TX_RING) != 0) return -1;
        c->tx_ready = 1;
    }
    if (hk_ring_space(&c->tx) < len + 4) return -1;
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

void hk_conn_abort(hk_conn *c) {
    c->closing = 1;
    /* lws would first flush what it holds to a peer that is not reading:
     * the socket is shut at once, and lws closes it on its next service */
    int fd = lws_get_socket_fd(c->wsi);
    if (fd >= 0) shutdown(fd, SHUT_RDWR);
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void hk_conn_request(const hk_conn *c, hk_http_request *out) {
    memset(out, 0, sizeof *out);
    out->method = "GET";
    out->path = c->path ? c->path : "";
    out->query = c->query ? c->query : "";
    out->content_type = "";
    out->host = c->host ? c->host : "";
    out->twilio_signature = c->sig ? c->sig : "";
    out->authorization = c->auth ? c->auth : "";
    out->body = "";
    out->cookie = c->cookie ? c->cookie : "";
    out->origin = c->origin ? c->origin : "";
    out->if_none_match = c->inm ? c->inm : "";
    out->range = c->range ? c->range : "";
    out->csrf = c->csrf ? c->csrf : "";
}

size_t hk_conn_queued(const hk_conn *c) { return c->is_ws ? hk_ring_used(&c->tx) : 0; }

void hk_conn_trust(hk_conn *c) {
    c->trusted = 1;
    deadline_stop(c);
}

int hk_server_connections(const hk_server *s) { return hk_srv_conn_count(s); }
