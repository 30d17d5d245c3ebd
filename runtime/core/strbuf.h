/* core/strbuf: a growing NUL-terminated string for building text (grammars,
 * canonical requests). Doubles its capacity; an allocation failure sticks in
 * oom and later appends do nothing, so callers check once at the end. */
#ifndef HK_STRBUF_H
#define HK_STRBUF_H

#include <stddef.h>

typedef struct hk_strbuf {
    char *s;   /* NULL until the first append */
    size_t len, cap;
    int oom;
} hk_strbuf;

void hk_strbuf_add(hk_strbuf *b, const char *s, size_t n);
void hk_strbuf_str(hk_strbuf *b, const char *s);
void hk_strbuf_free(hk_strbuf *b);

#endif
