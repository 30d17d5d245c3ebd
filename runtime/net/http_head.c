/* net/http_head: see http_head.h. Strict on purpose: a request hark cannot
 * vouch for is refused here with a status rather than handed to lws. */
#include "net/http_head.h"

#include <string.h>

static int lower_eq(const char *a, size_t n, const char *lit) {
    if (strlen(lit) != n) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != lit[i]) return 0;
    }
    return 1;
}

static int is_tchar(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_hex(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* "METHOD /target HTTP/1.x" without the CRLF. */
static int check_request_line(const char *p, size_t n) {
    size_t i = 0;
    while (i < n && p[i] >= 'A' && p[i] <= 'Z' && i < 16) i++;
    if (i == 0 || i >= n || p[i] != ' ') return 400;
    i++;
    if (i >= n || p[i] != '/') return 400;
    size_t args = 0;
    int in_query = 0;
    for (; i < n && p[i] != ' '; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c <= 0x20 || c >= 0x7f) return 400;
        if (c == '?') in_query = 1;
        if (c == '&' && in_query && ++args >= HK_HTTP_QUERY_ARGS_MAX) return 414;
        if (c == '%') {
            /* lws decodes escapes: a broken one or a NUL is refused here */
            if (i + 2 >= n || !is_hex((unsigned char)p[i + 1]) || !is_hex((unsigned char)p[i + 2]) ||
                (p[i + 1] == '0' && p[i + 2] == '0'))
                return 400;
        }
    }
    if (n - i != 9 || (memcmp(p + i, " HTTP/1.1", 9) != 0 && memcmp(p + i, " HTTP/1.0", 9) != 0))
        return 400;
    return 0;
}

/* One header line without its CRLF; updates h. */
static int check_header(const char *p, size_t n, long long max_body, hk_http_head *h) {
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)p[i])) i++;
    if (i == 0 || i >= n || p[i] != ':') return 400;
    size_t name_len = i++;
    for (size_t k = i; k < n; k++) {
        unsigned char c = (unsigned char)p[k];
        if ((c < 0x20 && c != '\t') || c == 0x7f) return 400;
    }
    while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
    size_t end = n;
    while (end > i && (p[end - 1] == ' ' || p[end - 1] == '\t')) end--;
    if (lower_eq(p, name_len, "transfer-encoding")) return 411;
    if (lower_eq(p, name_len, "upgrade")) h->upgrade = 1;
    if (lower_eq(p, name_len, "sec-websocket-key") && end > i) h->ws_key = 1;
    if (lower_eq(p, name_len, "sec-websocket-version") && end - i == 2 && !memcmp(p + i, "13", 2))
        h->ws_v13 = 1;
    if (lower_eq(p, name_len, "connection")) {
        for (size_t k = i; k + 7 <= end; k++)
            if (lower_eq(p + k, 7, "upgrade")) h->conn_upgrade = 1;
    }
    if (lower_eq(p, name_len, "content-length")) {
        if (h->content_length >= 0 || end == i) return 400;
        if (end - i > 18) return 413;
        long long v = 0;
        for (size_t k = i; k < end; k++) {
            if (p[k] < '0' || p[k] > '9') return 400;
            v = v * 10 + (p[k] - '0');
        }
        if (v > max_body) return 413;
        h->content_length = v;
    }
    return 0;
}

int hk_http_head_check(const char *buf, size_t len, long long max_body, hk_http_head *h) {
    memset(h, 0, sizeof *h);
    h->content_length = -1;
    size_t scan = len < HK_HTTP_LINE_MAX + 2 ? len : HK_HTTP_LINE_MAX + 2;
    const char *nl = memchr(buf, '\n', scan);
    if (!nl) return len > HK_HTTP_LINE_MAX ? 414 : 1;
    size_t line = (size_t)(nl - buf);
    if (line == 0 || buf[line - 1] != '\r') return 400;
    if (line - 1 > HK_HTTP_LINE_MAX) return 414;
    int rc = check_request_line(buf, line - 1);
    if (rc) return rc;
    size_t pos = line + 1;
    int headers = 0;
    for (;;) {
        size_t avail = len - pos;
        if (avail > HK_HTTP_HEAD_MAX - pos) avail = HK_HTTP_HEAD_MAX - pos;
        nl = memchr(buf + pos, '\n', avail);
        if (!nl) return len >= HK_HTTP_HEAD_MAX ? 431 : 1;
        size_t n = (size_t)(nl - (buf + pos));
        if (n == 0 || buf[pos + n - 1] != '\r') return 400;
        if (n == 1) break; /* the blank line */
        if (buf[pos] == ' ' || buf[pos] == '\t') return 400; /* obsolete folding */
        if (++headers > HK_HTTP_HEADERS_MAX) return 431;
        rc = check_header(buf + pos, n - 1, max_body, h);
        if (rc) return rc;
        pos += n + 1;
    }
    h->head_len = pos + 2;
    /* lws drops a broken handshake without an answer: refuse it here */
    if (h->upgrade && (!h->conn_upgrade || !h->ws_key || !h->ws_v13)) return 400;
    return 0;
}

const char *hk_http_head_reason(int status) {
    switch (status) {
    case 400: return "Bad Request";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}
