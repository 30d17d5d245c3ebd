/* net/http_server_int: what http_server.c (lws callbacks, answers,
 * WebSockets) and http_gate.c (request heads checked before lws sees them,
 * the connection cap) share: limits, the server, a connection, a deferred
 * answer. Not for other files: they see net/http_server.h only. */
#ifndef HK_NET_HTTP_SERVER_INT_H
#define HK_NET_HTTP_SERVER_INT_H

#include <ev.h>
#include <libwebsockets.h>
#include <stddef.h>

#include "media/ring.h"
#include "net/http_head.h"
#include "net/http_server.h"

#define HK_MAX_BODY (256 * 1024)
#define HK_WS_RX_PREAUTH (8 * 1024) /* a Twilio start message is ~1 KB */
#define HK_WS_RX_MAX (64 * 1024)
#define HK_WS_RX_CHUNK 4096         /* lws hands frames over in pieces of this */
#define HK_WS_TX_RING (256 * 1024)  /* > 2 s of paced media messages */
#define HK_WS_DIRECT_MAX 2048       /* messages up to this are written at once when nothing waits */
#define HK_DEFAULT_MAX_CONNS 4096
#define HK_HEAD_TIMEOUT 10.0        /* the whole request head, from accept */
#define HK_REQUEST_TIMEOUT 30.0     /* body and answer, after the head */
#define HK_WS_TRUST_TIMEOUT 5.0
#define HK_LINGER 2.0               /* after a refusal, read and drop until EOF */

/* A connection whose request head hark is still checking (lws has not seen
 * it). hark only peeks: the socket goes to lws untouched, with every byte
 * still unread (lws 4.1 given bytes already read, through its adoption
 * buffer, reports a POST body complete in a busy loop). A peek consumes
 * nothing, so a level-triggered watcher would fire again at once: after an
 * incomplete head the watcher rests a few ms (longer while nothing new comes). */
typedef struct hk_pending {
    hk_server *srv;
    int fd;
    int lingering; /* refused: draining what the peer still sends, then close */
    ev_io io;
    ev_timer timer; /* the head deadline, then the linger */
    ev_timer rest;
    double rest_s;
    size_t seen;    /* bytes of head seen so far */
    struct hk_pending *prev, *next;
} hk_pending;

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
    int max_conns;
    double request_timeout;
    double trust_timeout;
    int n_pending;       /* heads being read */
    int n_lws;           /* connections lws holds (WSI_CREATE .. WSI_DESTROY) */
    hk_pending *pending;
    char peek[HK_HTTP_HEAD_MAX]; /* one per server: heads are checked one at a time */
    ev_tstamp refused_logged;
    long refused;        /* since the last warning */
};

struct hk_conn {
    struct lws *wsi;
    hk_server *srv;
    int is_ws;
    char method[8];
    /* the request's strings, each its own allocation of the size lws reports */
    char *path, *query, *ctype, *host, *sig, *auth;
    char peer[64];       /* the client's address (limits per IP) */
    char *cookie, *origin, *inm, *range, *csrf;
    int head_only;       /* HEAD: the answer's head, no body */
    char *body;
    size_t body_len;
    hk_http_response resp;
    size_t resp_sent;
    int answered;
    int in_handler;      /* inside h.http: a deferred answer is written by respond() */
    int headers_due;     /* answered late: the head goes out on the next writeable */
    hk_http_pending *pending; /* deferred and not answered yet */
    ev_timer deadline;   /* HTTP: answer by; WebSocket: trusted by */
    int deadline_on;
    /* websocket */
    void *state;
    int trusted;
    char *rx;            /* grows to the message size, capped by trust */
    size_t rx_len, rx_cap;
    hk_ring tx;          /* [u32 length][bytes] records; allocated at the first send */
    int tx_ready;
    int tx_failed;       /* a direct write failed: the connection closes */
    int closing;
};

/* A deferred answer: one reference for the connection (dropped when it
 * closes or is answered), one for the handler (dropped by respond). */
struct hk_http_pending {
    hk_conn *conn;
    int refs;
};

static inline int hk_srv_conn_count(const hk_server *s) { return s->n_pending + s->n_lws; }

/* http_gate.c: the listener's accept watcher (each socket's head is checked
 * before lws adopts it, or it is refused over the cap), and freeing the
 * heads still being read when the server stops. */
void hk_srv_on_accept(struct ev_loop *loop, ev_io *w, int revents);
void hk_srv_gate_free_all(hk_server *s);

#endif
