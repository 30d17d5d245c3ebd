/* net/http_head: the check every HTTP request head passes before
 * libwebsockets sees a byte of it. hark reads the head itself (net/http_server)
 * and asks this pure function whether it is complete and acceptable, so the
 * limits are hark's (and answered with a status), never lws's (which drops
 * the connection or calls back without per-connection data). Never
 * allocates; input is untrusted bytes. */
#ifndef HK_HTTP_HEAD_H
#define HK_HTTP_HEAD_H

#include <stddef.h>

#define HK_HTTP_LINE_MAX 4096   /* request line (method, path+query, version) */
#define HK_HTTP_HEAD_MAX 8192   /* request line + headers + blank line */
#define HK_HTTP_HEADERS_MAX 48  /* header lines */
#define HK_HTTP_QUERY_ARGS_MAX 32 /* '&'-separated query arguments */

typedef struct hk_http_head {
    size_t head_len;       /* bytes of the head, blank line included */
    long long content_length; /* -1 when absent */
    int upgrade;           /* has an Upgrade header */
    int conn_upgrade;      /* Connection names "upgrade" */
    int ws_key, ws_v13;    /* Sec-WebSocket-Key present, Sec-WebSocket-Version: 13 */
} hk_http_head;

/* Result of hk_http_head_check: 0 = head complete and acceptable (h filled),
 * 1 = incomplete so far (read more), or the HTTP status to refuse it with:
 * 400 malformed (an Upgrade without what a WebSocket handshake needs too), 411 a Transfer-Encoding (chunked bodies are not taken),
 * 413 Content-Length over max_body, 414 request line too long (or too many
 * query arguments), 431 head too long or too many headers. */
int hk_http_head_check(const char *buf, size_t len, long long max_body, hk_http_head *h);

/* The reason phrase of the statuses above ("Bad Request", ...). */
const char *hk_http_head_reason(int status);

#endif
