/* core/strbuf: see strbuf.h. */
#include "core/strbuf.h"

#include <stdlib.h>
#include <string.h>

void hk_strbuf_add(hk_strbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

void hk_strbuf_str(hk_strbuf *b, const char *s) { hk_strbuf_add(b, s, strlen(s)); }

void hk_strbuf_free(hk_strbuf *b) {
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}
