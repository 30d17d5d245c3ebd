/* net/sse: a Server-Sent Events parser (WHATWG rules) for streamed LLM
 * responses. Fed whatever chunks the network delivers (a boundary may fall
 * anywhere: inside a line, a UTF-8 sequence, or between \r and \n); calls
 * on_event once per dispatched event. Lines end in \n, \r\n or \r; "field:
 * value" takes one optional space after the colon; several data lines join
 * with \n; lines starting with ':' are comments. */
#ifndef HK_SSE_H
#define HK_SSE_H

#include <stddef.h>

#define HK_SSE_MAX_EVENT (4u << 20) /* an event's data larger than this is an error */

typedef struct hk_sse {
    void (*on_event)(void *ud, const char *event, const char *data, size_t len);
    void *ud;
    char *line;        /* the current, incomplete line */
    size_t line_len, line_cap;
    char *data;        /* data lines of the event being built */
    size_t data_len, data_cap;
    char event[64];
    char id[128];
    int after_cr;      /* the last byte was \r: a following \n belongs to it */
    int failed;        /* too large: further input is ignored */
} hk_sse;

void hk_sse_init(hk_sse *p, void (*on_event)(void *, const char *, const char *, size_t), void *ud);
/* Returns 0, or -1 once an event or line exceeds HK_SSE_MAX_EVENT. */
int hk_sse_feed(hk_sse *p, const char *chunk, size_t n);
void hk_sse_free(hk_sse *p);

#endif
