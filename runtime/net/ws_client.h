/* net/ws_client: outbound WebSocket connections (ws:// and wss://) on the
 * worker's libev loop, through one libwebsockets client context per loop.
 * For streaming providers (Deepgram live STT, ElevenLabs stream-input).
 * Everything is non-blocking: connect() returns at once, the handshake and
 * every frame are callbacks on the loop thread. Sends are queued (copied) and
 * written when the socket is writable, in order. */
#ifndef HK_WS_CLIENT_H
#define HK_WS_CLIENT_H

#include <ev.h>
#include <stddef.h>

typedef struct hk_ws hk_ws;

typedef struct hk_ws_opts {
    const char *url;                 /* ws://host:port/path?query or wss://... */
    const char *const *headers;      /* "Name: value", NULL-terminated; may be NULL */
    double connect_timeout_s;        /* handshake must finish within this (0: 5 s) */
    void *ud;
    /* the handshake finished: sends are written from now on (queued before) */
    void (*on_open)(void *ud);
    /* one whole message (fragments joined); binary=1 for binary frames */
    void (*on_message)(void *ud, const char *data, size_t n, int binary);
    /* Called exactly once unless hk_ws_close was called first: the connection
     * failed or ended. code is the close code received (1000, 1008, 1011...),
     * or 0 when there was none (refused, timeout, dropped); reason says why. */
    void (*on_close)(void *ud, int code, const char *reason);
} hk_ws_opts;

/* Start connecting; NULL (with err) when the URL is bad. */
hk_ws *hk_ws_connect(struct ev_loop *loop, const hk_ws_opts *o, char *err, size_t errlen);
/* Queue one message (copied). 0, or -1 when the connection is gone. */
int hk_ws_send_text(hk_ws *ws, const char *data, size_t n);
int hk_ws_send_binary(hk_ws *ws, const void *data, size_t n);
/* Bytes queued and not yet written. */
size_t hk_ws_queued(const hk_ws *ws);
/* Close (a close frame with 1000 when open) and free: no callbacks after this.
 * Callable from inside any of this connection's callbacks (the memory is
 * released later, when libwebsockets is done with it). Not after on_close:
 * the handle is gone by then. Queued messages are written before the close. */
void hk_ws_close(hk_ws *ws);
/* Free the loop's client context (created by the first hk_ws_connect on that
 * loop), e.g. at worker exit or at the end of a test, before ev_loop_destroy.
 * Connections still open are dropped (their on_close fires with code 0).
 * Safe when the loop never had one. A later hk_ws_connect creates a new one. */
void hk_ws_shutdown(struct ev_loop *loop);

#endif
