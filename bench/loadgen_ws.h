/* bench/loadgen_ws: the WebSocket client of bench/loadgen, lean enough that
 * one core of callers can load hark's core (net/ws_client, through
 * libwebsockets, read /dev/urandom for every frame's mask and saturated the
 * load core at ~1,500 callers). ws:// only (a loopback bench), numeric hosts
 * or localhost, on the caller's libev loop, never blocking: a non-blocking
 * connect, the HTTP/1.1 upgrade checked (101 and Sec-WebSocket-Accept),
 * client frames masked (RFC 6455 5.3) and written with one send(), the rest
 * kept and finished on EV_WRITE; server frames parsed from a fixed per-
 * connection read buffer (a frame larger than it fails the connection),
 * fragments joined, pings answered, the close handshake both ways.
 * Not for the runtime: hark's own clients use net/ws_client. */
#ifndef LG_WS_H
#define LG_WS_H

#include <ev.h>
#include <stddef.h>

/* The read buffer, hence the largest frame accepted from the server. */
#define LG_WS_RBUF 16384
/* The largest message joined from fragments. */
#define LG_WS_MSG_MAX (1u << 20)

typedef struct lg_ws lg_ws;

typedef struct lg_ws_opts {
    const char *url;          /* ws://host:port/path?query (wss:// refused) */
    double connect_timeout_s; /* connect + upgrade within this (0: 10 s) */
    void *ud;
    void (*on_open)(void *ud);
    /* one whole message (fragments joined); data is valid during the call */
    void (*on_message)(void *ud, const char *data, size_t n, int binary);
    /* Exactly once unless lg_ws_close came first; the handle is freed after
     * it returns. code: the server's close code, 0 when none came. error: 1
     * when this end failed the connection (refused or timed-out connect, a
     * bad upgrade answer, a protocol violation, a frame over LG_WS_RBUF), 0
     * when the server closed or dropped it. */
    void (*on_close)(void *ud, int code, const char *reason, int error);
} lg_ws_opts;

/* Starts connecting; NULL (with err) on a bad or wss:// URL or a connect
 * that fails at once. */
lg_ws *lg_ws_connect(struct ev_loop *loop, const lg_ws_opts *o, char *err, size_t errlen);
/* The upgrade over an already connected socket fd (the handle owns it from
 * now on): what lg_ws_connect does once connected; tests drive it over a
 * socketpair. host is the Host header's value. */
lg_ws *lg_ws_adopt(struct ev_loop *loop, int fd, const char *host, const char *path,
                   const lg_ws_opts *o);
/* Sends one text message. 0, or -1 when the connection is not open. */
int lg_ws_send_text(lg_ws *ws, const char *data, size_t n);
/* Bytes the socket has not taken yet. */
size_t lg_ws_queued(const lg_ws *ws);
/* Closes (a 1000 close frame when open, then waits up to 2 s for the
 * server's) with no callbacks after this; callable from inside callbacks. */
void lg_ws_close(lg_ws *ws);
/* Frees every connection of every loop still open or closing (open ones get
 * on_close with code 0), e.g. before exit. */
void lg_ws_shutdown(void);

#endif
