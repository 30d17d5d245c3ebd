/* net/ws_client: outbound WebSocket connections on a libev loop. See
 * ws_client.h. Owns one libwebsockets client context per loop (separate from
 * any server context on the same loop), the connect timeout, the send queue
 * and message reassembly. Never blocks the loop: host names are resolved on a
 * short-lived thread (lws 4.1 as packaged resolves with a blocking call) and
 * lws is given the numeric address, with the name kept for Host/SNI/cert.
 * Traps (build-notes): lws timers on libev fire late unless a 50 ms sul ticks,
 * so the connect timeout is our own ev_timer; the libev plugin logs at NOTICE.
 * Lifetime: an hk_ws is freed only when lws is done with its wsi (or, before
 * lws knew it, when the resolver thread reported), so hk_ws_close is safe from
 * inside any of our callbacks: it only marks the connection and asks lws to
 * close it from its own service. */
#include "net/ws_client.h"

#include <arpa/inet.h>
#include <libwebsockets.h>
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HK_WS_MAX_MSG (16u * 1024 * 1024) /* a bigger message from the peer is a fault */
#define HK_WS_MAX_CTX 16                   /* loops (worker threads) per process */
#define HK_WS_DIRECT_MAX 4096              /* messages up to this go out at once when nothing waits */
#define HK_WS_CA_FILE "/etc/ssl/certs/ca-certificates.crt"

typedef struct ws_msg {
    struct ws_msg *next;
    size_t len;
    int binary;
    unsigned char data[]; /* LWS_PRE headroom, then the payload */
} ws_msg;

typedef struct ws_ctx {
    struct ev_loop *loop;
    struct lws_context *ctx;
    lws_sorted_usec_list_t tick;
    void *loops[1];
    int stopping;
} ws_ctx;

struct hk_ws {
    struct ev_loop *loop;
    ws_ctx *wc;
    struct lws *wsi;
    hk_ws_opts o;
    char **headers;
    size_t n_headers;
    char host[256], path[2048], ip[INET6_ADDRSTRLEN];
    int port, tls;
    ev_timer timeout;
    ev_async dns_done;
    int resolving;   /* the resolver thread still owns a pointer to us */
    int dns_failed;
    int open;        /* handshake done */
    int closed;      /* user called hk_ws_close or on_close was delivered: no more callbacks */
    int lws_gone;    /* lws released the wsi (or never had one) */
    int write_failed; /* a direct write failed: on_close comes from the writeable callback */
    int in_connect, destroyed; /* inside lws_client_connect_via_info */
    ws_msg *q_head, *q_tail;
    size_t queued;
    unsigned char *rx;
    size_t rx_len, rx_cap;
    int rx_binary, rx_started;
    int close_code;
    char close_reason[128];
};

/* Process-wide: one client context per loop. Only touched from loop threads
 * at connect/shutdown time, hence the mutex. */
static ws_ctx *g_ctx[HK_WS_MAX_CTX];
static pthread_mutex_t g_ctx_mu = PTHREAD_MUTEX_INITIALIZER;

static void tick_cb(lws_sorted_usec_list_t *sul) {
    ws_ctx *c = lws_container_of(sul, ws_ctx, tick);
    if (!c->stopping) lws_sul_schedule(c->ctx, 0, &c->tick, tick_cb, 50 * LWS_US_PER_MS);
}

static void ws_free(hk_ws *ws) {
    ev_timer_stop(ws->loop, &ws->timeout);
    ev_async_stop(ws->loop, &ws->dns_done);
    while (ws->q_head) {
        ws_msg *m = ws->q_head;
        ws->q_head = m->next;
        free(m);
    }
    for (size_t i = 0; i < ws->n_headers; i++) free(ws->headers[i]);
    free(ws->headers);
    free(ws->rx);
    free(ws);
}

/* Deliver on_close once (unless the user closed first). */
static void report_close(hk_ws *ws, int code, const char *reason) {
    if (ws->closed) return;
    ws->closed = 1;
    ev_timer_stop(ws->loop, &ws->timeout);
    if (ws->o.on_close) ws->o.on_close(ws->o.ud, code, reason ? reason : "");
}

/* Ask lws to drop the wsi from its own service (never re-enters us now). */
static void kill_async(hk_ws *ws) {
    if (ws->wsi && !ws->lws_gone) lws_set_timeout(ws->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static int write_one(struct lws *wsi, hk_ws *ws) {
    if (ws->write_failed) {
        report_close(ws, 0, "write failed");
        return -1;
    }
    ws_msg *m = ws->q_head;
    if (m) {
        ws->q_head = m->next;
        if (!ws->q_head) ws->q_tail = NULL;
        ws->queued -= m->len;
        int n = lws_write(wsi, m->data + LWS_PRE, m->len, m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
        int short_write = n < (int)m->len;
        free(m);
        if (short_write) {
            report_close(ws, 0, "write failed");
            return -1;
        }
    }
    if (ws->q_head) {
        lws_callback_on_writable(wsi);
    } else if (ws->closed) {
        /* closed by the user: what was queued went out, now the close frame */
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    return 0;
}

static int on_receive(hk_ws *ws, struct lws *wsi, const void *in, size_t len) {
    if (!ws->rx_started) {
        ws->rx_started = 1;
        ws->rx_binary = lws_frame_is_binary(wsi);
        ws->rx_len = 0;
    }
    if (ws->rx_len + len > HK_WS_MAX_MSG) {
        report_close(ws, 0, "message too big");
        return -1;
    }
    if (ws->rx_len + len + 1 > ws->rx_cap) {
        size_t cap = ws->rx_cap ? ws->rx_cap : 4096;
        while (cap < ws->rx_len + len + 1) cap *= 2;
        unsigned char *nb = realloc(ws->rx, cap);
        if (!nb) {
            report_close(ws, 0, "out of memory");
            return -1;
        }
        ws->rx = nb;
        ws->rx_cap = cap;
    }
    memcpy(ws->rx + ws->rx_len, in, len);
    ws->rx_len += len;
    if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
        ws->rx_started = 0;
        ws->rx[ws->rx_len] = 0; /* text messages can be read as C strings */
        if (!ws->closed && ws->o.on_message)
            ws->o.on_message(ws->o.ud, (const char *)ws->rx, ws->rx_len, ws->rx_binary);
        if (ws->closed) lws_callback_on_writable(wsi); /* closed from inside on_message */
    }
    return 0;
}

static int append_headers(hk_ws *ws, struct lws *wsi, unsigned char **p, unsigned char *end) {
    for (size_t i = 0; i < ws->n_headers; i++) {
        /* stored as "name:\0value" so lws gets the name with its colon */
        const char *name = ws->headers[i];
        const char *value = name + strlen(name) + 1;
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)value,
                                        (int)strlen(value), p, end))
            return -1;
    }
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len) {
    hk_ws *ws = user;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        if (!ws) return 0;
        return append_headers(ws, wsi, (unsigned char **)in, *(unsigned char **)in + len);
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (!ws) return -1;
        ws->wsi = wsi;
        ws->open = 1;
        ev_timer_stop(ws->loop, &ws->timeout);
        if (ws->closed) {
            lws_callback_on_writable(wsi); /* closed while connecting: send the close */
            return 0;
        }
        if (ws->o.on_open) ws->o.on_open(ws->o.ud);
        if (ws->q_head || ws->closed) lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (!ws) return -1;
        return on_receive(ws, wsi, in, len);
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (!ws) return -1;
        return write_one(wsi, ws);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (ws && len >= 2) {
            const unsigned char *b = in;
            ws->close_code = (b[0] << 8) | b[1];
            size_t rl = len - 2 < sizeof ws->close_reason - 1 ? len - 2 : sizeof ws->close_reason - 1;
            memcpy(ws->close_reason, b + 2, rl);
            ws->close_reason[rl] = 0;
        } else if (ws) {
            ws->close_code = 1005; /* a close frame without a status */
        }
        return 0; /* lws echoes the close */
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
        if (!ws) return 0;
        char why[200];
        int status = lws_http_client_http_response(wsi);
        if (status && status != 101)
            snprintf(why, sizeof why, "handshake refused: http %d", status);
        else
            snprintf(why, sizeof why, "connect failed: %s", in ? (const char *)in : "unknown");
        report_close(ws, 0, why);
        return 0;
    }
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (!ws) return 0;
        report_close(ws, ws->close_code, ws->close_code ? ws->close_reason : "connection dropped");
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        /* every client wsi ends here, whatever the path: the one place we free */
        if (!ws) return 0;
        ws->wsi = NULL;
        ws->lws_gone = 1;
        report_close(ws, ws->close_code, ws->close_code ? ws->close_reason : "connection dropped");
        if (ws->in_connect) ws->destroyed = 1; /* freed when connect_via_info returns */
        else ws_free(ws);
        return 0;
    default:
        break;
    }
    return 0;
}

static struct lws_protocols protocols[] = {
    {"hk-ws-client", callback, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static ws_ctx *ctx_for(struct ev_loop *loop, char *err, size_t errlen) {
    pthread_mutex_lock(&g_ctx_mu);
    ws_ctx *found = NULL;
    int slot = -1;
    for (int i = 0; i < HK_WS_MAX_CTX; i++) {
        if (g_ctx[i] && g_ctx[i]->loop == loop) found = g_ctx[i];
        else if (!g_ctx[i] && slot < 0) slot = i;
    }
    if (found || slot < 0) {
        pthread_mutex_unlock(&g_ctx_mu);
        if (!found) snprintf(err, errlen, "too many loops with WebSocket clients");
        return found;
    }
    ws_ctx *c = calloc(1, sizeof *c);
    c->loop = loop;
    c->loops[0] = loop;
    lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_LIBEV | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.foreign_loops = c->loops;
    if (access(HK_WS_CA_FILE, R_OK) == 0) info.client_ssl_ca_filepath = HK_WS_CA_FILE;
    info.timeout_secs = 30;
    info.user = c;
    c->ctx = lws_create_context(&info);
    if (!c->ctx) {
        free(c);
        pthread_mutex_unlock(&g_ctx_mu);
        snprintf(err, errlen, "cannot start the WebSocket client (libwebsockets)");
        return NULL;
    }
    lws_sul_schedule(c->ctx, 0, &c->tick, tick_cb, 50 * LWS_US_PER_MS);
    g_ctx[slot] = c;
    pthread_mutex_unlock(&g_ctx_mu);
    return c;
}

void hk_ws_shutdown(struct ev_loop *loop) {
    pthread_mutex_lock(&g_ctx_mu);
    ws_ctx *c = NULL;
    for (int i = 0; i < HK_WS_MAX_CTX; i++)
        if (g_ctx[i] && g_ctx[i]->loop == loop) {
            c = g_ctx[i];
            g_ctx[i] = NULL;
        }
    pthread_mutex_unlock(&g_ctx_mu);
    if (!c) return;
    c->stopping = 1;
    lws_sul_cancel(&c->tick);
    lws_context_destroy(c->ctx); /* closes what is left: their on_close fire (code 0) */
    free(c);
}

/* ws[s]://host[:port][/path?query]; [v6] hosts allowed. */
static int parse_url(hk_ws *ws, const char *url, char *err, size_t errlen) {
    const char *p;
    if (strncmp(url, "ws://", 5) == 0) {
        p = url + 5;
        ws->tls = 0;
        ws->port = 80;
    } else if (strncmp(url, "wss://", 6) == 0) {
        p = url + 6;
        ws->tls = 1;
        ws->port = 443;
    } else {
        snprintf(err, errlen, "bad WebSocket URL (ws:// or wss://): %s", url);
        return -1;
    }
    const char *hs = p, *he;
    if (*p == '[') {
        hs = p + 1;
        he = strchr(hs, ']');
        if (!he) goto bad;
        p = he + 1;
    } else {
        he = p + strcspn(p, ":/?");
        p = he;
    }
    if (he == hs || (size_t)(he - hs) >= sizeof ws->host) goto bad;
    memcpy(ws->host, hs, (size_t)(he - hs));
    ws->host[he - hs] = 0;
    if (*p == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port <= 0 || port > 65535) goto bad;
        ws->port = (int)port;
        p = end;
    }
    if (*p && *p != '/' && *p != '?') goto bad;
    if (strlen(p) + 2 > sizeof ws->path) goto bad;
    snprintf(ws->path, sizeof ws->path, "%s%s", *p == '/' ? "" : "/", p);
    return 0;
bad:
    snprintf(err, errlen, "bad WebSocket URL: %s", url);
    return -1;
}

static int copy_headers(hk_ws *ws, const char *const *h, char *err, size_t errlen) {
    size_t n = 0;
    while (h && h[n]) n++;
    ws->headers = calloc(n ? n : 1, sizeof *ws->headers);
    for (size_t i = 0; i < n; i++) {
        const char *colon = strchr(h[i], ':');
        if (!colon || colon == h[i]) {
            snprintf(err, errlen, "bad header (\"Name: value\"): %s", h[i]);
            return -1;
        }
        size_t nl = (size_t)(colon - h[i]);
        const char *v = colon + 1;
        while (*v == ' ') v++;
        char *s = malloc(nl + 2 + strlen(v) + 1);
        memcpy(s, h[i], nl + 1); /* with the colon */
        s[nl + 1] = 0;
        strcpy(s + nl + 2, v);
        ws->headers[ws->n_headers++] = s;
    }
    return 0;
}

static void start_lws(hk_ws *ws) {
    char err[160];
    ws->wc = ctx_for(ws->loop, err, sizeof err);
    if (!ws->wc) {
        ws->lws_gone = 1;
        report_close(ws, 0, err);
        ws_free(ws);
        return;
    }
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = ws->wc->ctx;
    ci.address = ws->ip[0] ? ws->ip : ws->host;
    ci.port = ws->port;
    ci.path = ws->path;
    ci.host = ws->host;
    ci.origin = ws->host;
    ci.ssl_connection = ws->tls ? LCCSCF_USE_SSL : 0;
    ci.alpn = "http/1.1";
    ci.local_protocol_name = protocols[0].name;
    ci.userdata = ws;
    ci.pwsi = &ws->wsi;
    /* lws may call us (even destroy the wsi) before this returns */
    ws->in_connect = 1;
    struct lws *wsi = lws_client_connect_via_info(&ci);
    ws->in_connect = 0;
    if (ws->destroyed || !wsi) {
        ws->wsi = NULL;
        ws->lws_gone = 1;
        report_close(ws, 0, "connect failed");
        ws_free(ws);
    }
}

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)revents;
    hk_ws *ws = w->data;
    report_close(ws, 0, "connect timeout");
    kill_async(ws); /* lws frees it later; ws stays until then */
}

/* Resolver thread: a blocking lookup kept off the loop. */
static void *resolve_thread(void *arg) {
    hk_ws *ws = arg;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = AF_UNSPEC;
    if (getaddrinfo(ws->host, NULL, &hints, &res) == 0 && res) {
        const void *a = res->ai_family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr
                                                   : (const void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr;
        if (!inet_ntop(res->ai_family, a, ws->ip, sizeof ws->ip)) ws->dns_failed = 1;
    } else {
        ws->dns_failed = 1;
    }
    if (res) freeaddrinfo(res);
    ev_async_send(ws->loop, &ws->dns_done);
    return NULL;
}

static void on_dns(struct ev_loop *loop, ev_async *w, int revents) {
    (void)revents;
    hk_ws *ws = w->data;
    ev_async_stop(loop, &ws->dns_done);
    ws->resolving = 0;
    if (ws->closed) { /* closed (or timed out) meanwhile */
        ws->lws_gone = 1;
        ws_free(ws);
        return;
    }
    if (ws->dns_failed) {
        char why[320];
        snprintf(why, sizeof why, "cannot resolve %s", ws->host);
        ws->lws_gone = 1;
        report_close(ws, 0, why);
        ws_free(ws);
        return;
    }
    start_lws(ws);
}

hk_ws *hk_ws_connect(struct ev_loop *loop, const hk_ws_opts *o, char *err, size_t errlen) {
    if (!o || !o->url) {
        snprintf(err, errlen, "no WebSocket URL");
        return NULL;
    }
    hk_ws *ws = calloc(1, sizeof *ws);
    ws->loop = loop;
    ws->o = *o;
    ws->o.url = NULL; /* not kept: the caller's string */
    ws->o.headers = NULL;
    ev_init(&ws->timeout, on_timeout);
    ws->timeout.data = ws;
    ev_async_init(&ws->dns_done, on_dns);
    ws->dns_done.data = ws;
    if (parse_url(ws, o->url, err, errlen) != 0 || copy_headers(ws, o->headers, err, errlen) != 0) {
        ws_free(ws);
        return NULL;
    }
    ev_now_update(loop); /* counted from now, not from the start of this loop iteration */
    ev_timer_set(&ws->timeout, o->connect_timeout_s > 0 ? o->connect_timeout_s : 5.0, 0.);
    ev_timer_start(loop, &ws->timeout);
    unsigned char buf[16];
    if (inet_pton(AF_INET, ws->host, buf) == 1 || inet_pton(AF_INET6, ws->host, buf) == 1) {
        memcpy(ws->ip, ws->host, strlen(ws->host) + 1); /* numeric: fits */
        /* callbacks must not run before the caller has the handle: start on
         * the next loop iteration, through the same async path */
        ev_async_start(loop, &ws->dns_done);
        ws->resolving = 1;
        ev_async_send(loop, &ws->dns_done);
        return ws;
    }
    ev_async_start(loop, &ws->dns_done);
    ws->resolving = 1;
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &attr, resolve_thread, ws) != 0) {
        ws->dns_failed = 1;
        ev_async_send(loop, &ws->dns_done);
    }
    pthread_attr_destroy(&attr);
    return ws;
}

static int enqueue(hk_ws *ws, const void *data, size_t n, int binary) {
    if (!ws || ws->closed || ws->write_failed || (ws->lws_gone && !ws->resolving)) return -1;
    /* Open, nothing queued, nothing held back by lws: write now instead of
     * queueing a copy and asking for POLLOUT (a malloc and two epoll_ctl per
     * message, for audio 50 times a second per call). lws keeps a short
     * write and finishes it on POLLOUT; later messages queue behind it. */
    if (ws->open && ws->wsi && !ws->lws_gone && !ws->q_head && n <= HK_WS_DIRECT_MAX &&
        !lws_partial_buffered(ws->wsi)) {
        unsigned char buf[LWS_PRE + HK_WS_DIRECT_MAX];
        if (n) memcpy(buf + LWS_PRE, data, n);
        if (lws_write(ws->wsi, buf + LWS_PRE, n, binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) <
            (int)n) {
            ws->write_failed = 1; /* reported from the writeable callback, not from here */
            lws_callback_on_writable(ws->wsi);
            return -1;
        }
        return 0;
    }
    ws_msg *m = malloc(sizeof *m + LWS_PRE + n);
    if (!m) return -1;
    m->next = NULL;
    m->len = n;
    m->binary = binary;
    if (n) memcpy(m->data + LWS_PRE, data, n);
    if (ws->q_tail) ws->q_tail->next = m;
    else ws->q_head = m;
    ws->q_tail = m;
    ws->queued += n;
    if (ws->open && ws->wsi) lws_callback_on_writable(ws->wsi);
    return 0;
}

int hk_ws_send_text(hk_ws *ws, const char *data, size_t n) { return enqueue(ws, data, n, 0); }
int hk_ws_send_binary(hk_ws *ws, const void *data, size_t n) { return enqueue(ws, data, n, 1); }
size_t hk_ws_queued(const hk_ws *ws) { return ws ? ws->queued : 0; }

void hk_ws_close(hk_ws *ws) {
    if (!ws || ws->closed) {
        /* already closed by the user (double close is a caller bug we tolerate);
         * after on_close the handle is gone and must not be passed here */
        return;
    }
    ws->closed = 1;
    ev_timer_stop(ws->loop, &ws->timeout);
    if (ws->resolving) return;              /* on_dns frees it */
    if (ws->open && ws->wsi) {
        /* the queue drains, then a 1000 close frame; a stuck peer is cut by lws */
        lws_set_timeout(ws->wsi, PENDING_TIMEOUT_USER_OK, 5);
        lws_callback_on_writable(ws->wsi);
    } else {
        kill_async(ws);
    }
}
