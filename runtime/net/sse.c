/* net/sse: incremental Server-Sent Events parsing. See sse.h. Buffers grow
 * geometrically and are kept between events, so a steady stream of tokens
 * does not allocate per event. */
#include "net/sse.h"

#include <stdlib.h>
#include <string.h>

void hk_sse_init(hk_sse *p, void (*on_event)(void *, const char *, const char *, size_t), void *ud) {
    memset(p, 0, sizeof *p);
    p->on_event = on_event;
    p->ud = ud;
}

void hk_sse_free(hk_sse *p) {
    free(p->line);
    free(p->data);
    p->line = p->data = NULL;
}

static int reserve(char **buf, size_t *cap, size_t need) {
    if (need <= *cap) return 0;
    if (need > HK_SSE_MAX_EVENT) return -1;
    size_t c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    char *b = realloc(*buf, c);
    if (!b) return -1;
    *buf = b;
    *cap = c;
    return 0;
}

static void dispatch(hk_sse *p) {
    if (p->data_len == 0) { /* no data lines: nothing to dispatch */
        p->event[0] = 0;
        return;
    }
    p->data_len--; /* the last data line's \n */
    p->data[p->data_len] = 0;
    p->on_event(p->ud, p->event[0] ? p->event : "message", p->data, p->data_len);
    p->data_len = 0;
    p->event[0] = 0;
}

static int process_line(hk_sse *p) {
    const char *l = p->line ? p->line : "";
    size_t n = p->line_len;
    if (n == 0) {
        dispatch(p);
        return 0;
    }
    if (l[0] == ':') return 0; /* comment */
    const char *colon = memchr(l, ':', n);
    size_t flen = colon ? (size_t)(colon - l) : n;
    const char *val = colon ? colon + 1 : l + n;
    size_t vlen = colon ? n - flen - 1 : 0;
    if (vlen && *val == ' ') {
        val++;
        vlen--;
    }
    if (flen == 4 && memcmp(l, "data", 4) == 0) {
        if (reserve(&p->data, &p->data_cap, p->data_len + vlen + 2) != 0) return -1;
        memcpy(p->data + p->data_len, val, vlen);
        p->data_len += vlen;
        p->data[p->data_len++] = '\n';
    } else if (flen == 5 && memcmp(l, "event", 5) == 0) {
        size_t k = vlen < sizeof p->event - 1 ? vlen : sizeof p->event - 1;
        memcpy(p->event, val, k);
        p->event[k] = 0;
    } else if (flen == 2 && memcmp(l, "id", 2) == 0 && !memchr(val, 0, vlen)) {
        size_t k = vlen < sizeof p->id - 1 ? vlen : sizeof p->id - 1;
        memcpy(p->id, val, k);
        p->id[k] = 0;
    } /* "retry" and unknown fields are ignored */
    return 0;
}

int hk_sse_feed(hk_sse *p, const char *chunk, size_t n) {
    if (p->failed) return -1;
    for (size_t i = 0; i < n; i++) {
        char ch = chunk[i];
        if (p->after_cr) {
            p->after_cr = 0;
            if (ch == '\n') continue; /* the \n of a \r\n split across chunks */
        }
        if (ch == '\r' || ch == '\n') {
            p->after_cr = ch == '\r';
            if (process_line(p) != 0) {
                p->failed = 1;
                return -1;
            }
            p->line_len = 0;
            continue;
        }
        /* copy the run of ordinary bytes up to the next line end in one go */
        size_t j = i;
        while (j < n && chunk[j] != '\r' && chunk[j] != '\n') j++;
        if (reserve(&p->line, &p->line_cap, p->line_len + (j - i) + 1) != 0) {
            p->failed = 1;
            return -1;
        }
        memcpy(p->line + p->line_len, chunk + i, j - i);
        p->line_len += j - i;
        i = j - 1;
    }
    return 0;
}
