/* net/http_client: outbound HTTP(S) on the worker's loop, libcurl multi driven
 * by libev (sockets as ev_io, curl's timer as an ev_timer). For provider
 * streams (SSE) and REST calls (Twilio, webhooks, S3). Responses arrive as
 * callbacks on the loop thread; nothing here blocks. Host names are resolved
 * by curl's threaded resolver, off the loop. */
#ifndef HK_HTTP_CLIENT_H
#define HK_HTTP_CLIENT_H

#include <ev.h>
#include <stddef.h>

typedef struct hk_http_client hk_http_client;
typedef struct hk_http_call hk_http_call;

typedef struct hk_http_opts {
    const char *method;              /* default GET, or POST when body is set */
    const char *url;
    const char *const *headers;      /* "Name: value", NULL-terminated; may be NULL */
    const char *body;
    size_t body_len;
    const char *userpwd;             /* HTTP Basic "user:password", or NULL */
    double timeout_s;                /* whole request; 0: none */
    double connect_timeout_s;        /* 0: 10 s */
    /* Streaming: called with each chunk of the response body as it arrives.
     * When NULL the body is gathered and handed to on_done. */
    void (*on_data)(void *ud, const char *data, size_t n);
    /* Always called exactly once unless cancelled: status 0 with err set when
     * no HTTP response came (refused, timeout, DNS). */
    void (*on_done)(void *ud, int status, const char *body, size_t len, const char *err);
    void *ud;
} hk_http_opts;

hk_http_client *hk_http_client_new(struct ev_loop *loop);
/* The loop's shared client, created on first use: every call on a worker
 * uses it for provider streams and agent requests, so connections to a
 * provider stay open and are reused from call to call (no TCP and TLS
 * handshake in the first turn of each call). hk_http_client_free ignores
 * it; hk_http_client_shutdown(loop) frees it (and cancels what is in flight)
 * when the worker exits, before the loop is destroyed. */
hk_http_client *hk_http_client_shared(struct ev_loop *loop);
void hk_http_client_shutdown(struct ev_loop *loop);
/* Cancels every request in flight (no callbacks). */
void hk_http_client_free(hk_http_client *c);
/* Start a request; NULL when it cannot start (then on_done is not called). */
hk_http_call *hk_http_fetch(hk_http_client *c, const hk_http_opts *o);
/* Stop a request: no callbacks after this returns. */
void hk_http_cancel(hk_http_call *call);
int hk_http_client_active(const hk_http_client *c);

#endif
