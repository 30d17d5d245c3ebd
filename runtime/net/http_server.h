/* net/http_server: hark's one listening port, libwebsockets on the worker's
 * libev loop. Serves plain HTTP requests (whole body gathered first, answered
 * by one handler call, one request per connection) and WebSocket connections
 * (text messages in, a per-connection queue out). Knows nothing of Twilio or
 * calls: routes are the handlers given to hk_server_new. Never blocks the loop.
 * Owns the limits a stranger meets first: every request head is read and
 * checked by hark (net/http_head) within a deadline before lws sees it, open
 * connections are capped (503 beyond), and an upgraded socket costs a few KB
 * until its handler trusts it (hk_conn_trust), which must happen within a few
 * seconds.
 * A handler may answer later (a database read): it calls hk_http_defer(req),
 * leaves resp untouched and answers through the handle; every deferred
 * request still has its deadline (504 when it passes). */
#ifndef HK_HTTP_SERVER_H
#define HK_HTTP_SERVER_H

#include <ev.h>
#include <stddef.h>

typedef struct hk_server hk_server;
typedef struct hk_conn hk_conn;
typedef struct hk_http_pending hk_http_pending;

typedef struct hk_http_request {
    const char *method;            /* "GET", "POST", ... */
    const char *path;              /* without the query string */
    const char *query;             /* after '?', "" when none */
    const char *content_type;
    const char *host;
    const char *twilio_signature;  /* X-Twilio-Signature, "" when absent */
    const char *authorization;
    const char *body;
    size_t body_len;
    hk_conn *conn;                 /* for hk_http_defer; valid only during the handler call */
    const char *peer;              /* the client's IP address as text ("" when unknown) */
    /* headers the dashboard needs ("" when absent) */
    const char *cookie;
    const char *origin;
    const char *if_none_match;
    const char *range;
    const char *csrf;              /* X-Hark-CSRF */
} hk_http_request;

typedef struct hk_http_response {
    int status;
    char content_type[64];
    char *body;                    /* malloc'ed by the handler; the server frees it */
    size_t len;
    int retry_after;               /* > 0: a Retry-After header of that many seconds (429, 503) */
    /* extra header lines "Name: value\r\n..." (malloc'ed, freed by the
     * server; NULL: none); a HEAD request gets the head only */
    char *headers;
} hk_http_response;

typedef struct hk_server_handlers {
    void *ud;
    void (*http)(void *ud, const hk_http_request *req, hk_http_response *resp);
    /* A WebSocket connection to path was opened: return its state, or NULL
     * to close it at once. */
    void *(*ws_open)(void *ud, hk_conn *conn, const char *path, const char *twilio_signature);
    void (*ws_text)(void *conn_state, const char *data, size_t len);
    /* The connection is gone; conn must not be used after this. */
    void (*ws_closed)(void *conn_state);
    /* Before a WebSocket upgrade is granted (NULL: all are): 0 refuses it
     * (the connection is closed, no 101); req's strings live during the call. */
    int (*ws_accept)(void *ud, const hk_http_request *req);
    /* Open connections at most (0: 4096); one more is answered 503 and closed. */
    int max_connections;
    /* Seconds an upgraded socket may stay without hk_conn_trust (0: 5). */
    double ws_trust_timeout_s;
    /* Seconds from the request head to the answer (0: 30); a deferred
     * request still unanswered then gets 504. */
    double request_timeout_s;
} hk_server_handlers;

/* flags for hk_server_new */
#define HK_SERVER_SHARE_PORT 1 /* other processes may listen on it too (SO_REUSEPORT) */

/* port 0 picks a free port (see hk_server_port). */
hk_server *hk_server_new(struct ev_loop *loop, int port, int flags, const hk_server_handlers *h,
                         char *err, size_t errlen);
void hk_server_free(hk_server *s);
int hk_server_port(const hk_server *s);
/* Queue a text message (copied). -1 when the connection's queue is full or
 * it is closing: the caller decides (audio is paced, so this means a stuck peer). */
int hk_conn_send_text(hk_conn *c, const char *data, size_t len);
/* Close after what is queued has been sent. */
void hk_conn_close(hk_conn *c);
/* Close now, dropping what is queued (a peer that stopped reading). */
void hk_conn_abort(hk_conn *c);
size_t hk_conn_queued(const hk_conn *c);
/* The upgrade request of a WebSocket connection (path, query, host,
 * authorization, cookie, origin; body and conn unset); its strings live as
 * long as the connection. */
void hk_conn_request(const hk_conn *c, hk_http_request *out);
/* The peer proved who it is (e.g. a valid stream token): its messages may be
 * up to 64 KB (8 KB before) and the trust deadline is cancelled. */
void hk_conn_trust(hk_conn *c);
/* Answer req later: call from the http handler (which then leaves resp
 * alone), keep the handle, and answer exactly once with
 * hk_http_pending_respond. A client that hangs up while it waits is
 * noticed at the latest at the deadline. req's strings die with the connection: copy what
 * is needed after the handler returns. NULL when req is not deferrable (out
 * of memory, or already deferred). */
hk_http_pending *hk_http_defer(const hk_http_request *req);
/* Answer a deferred request (body copied) and release the handle. When the
 * client is gone or the deadline answered 504 already, only the release
 * happens. May be called before the handler returns. */
void hk_http_pending_respond(hk_http_pending *p, int status, const char *content_type,
                             const char *body, size_t len);
/* Same, taking ownership of a malloc'ed body. */
void hk_http_pending_respond_take(hk_http_pending *p, int status, const char *content_type,
                                  char *body, size_t len);
/* The deferred answer will carry Retry-After: seconds (call before responding). */
void hk_http_pending_retry_after(hk_http_pending *p, int seconds);
/* Same, with extra header lines (taken, see hk_http_response.headers). */
void hk_http_pending_respond_headers(hk_http_pending *p, int status, const char *content_type,
                                     char *body, size_t len, char *headers);
/* 1 while the client still waits for the answer. */
int hk_http_pending_alive(const hk_http_pending *p);

/* Open connections: reading a head, HTTP, WebSocket (for tests and metrics). */
int hk_server_connections(const hk_server *s);

#endif
