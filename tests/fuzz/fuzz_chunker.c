/* tests/fuzz/fuzz_chunker: the speak-while-thinking chunker on arbitrary
 * bytes. The first input byte picks the settings and a token-size pattern; the
 * rest is the reply. Fed in those tokens (drained after each) it must give the
 * same chunks as fed at once, and the chunks must be contiguous slices of the
 * text that never end in or consist of whitespace, stay within max_bytes after
 * their leading whitespace, and add up to the text minus trailing whitespace. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/chunker.h"

typedef struct got {
    size_t *off, *len;
    int *kind;
    size_t n;
} got;

static int is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

static void drain(hk_chunker *ch, got *g, const uint8_t *text) {
    hk_chunk c;
    while (hk_chunker_next(ch, &c)) {
        if (c.len == 0 || memcmp(c.text, text + c.offset, c.len) != 0 || c.text[c.len] != '\0') abort();
        g->off[g->n] = c.offset;
        g->len[g->n] = c.len;
        g->kind[g->n] = c.kind;
        g->n++;
    }
}

static void run(const uint8_t *text, size_t n, const hk_chunker_config *cfg, uint8_t pattern, got *g) {
    hk_chunker ch;
    hk_chunker_init(&ch, cfg);
    size_t step = 0;
    for (size_t pos = 0; pos < n;) {
        size_t k = pattern ? 1 + (size_t)((pattern >> (step++ % 4) * 2) & 3) * (pattern & 7) : n;
        if (k > n - pos) k = n - pos;
        if (hk_chunker_feed(&ch, (const char *)text + pos, k) != 0) abort();
        pos += k;
        drain(&ch, g, text);
    }
    hk_chunker_finish(&ch);
    drain(&ch, g, text);
    hk_chunker_free(&ch);
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size) {
    if (size < 1) return 0;
    hk_chunker_config cfg = {.min_clause_words = buf[0] & 3, .max_bytes = (buf[0] & 4) ? 16 : 0};
    const uint8_t *text = buf + 1;
    size_t n = size - 1;
    got a = {0}, b = {0};
    size_t cap = n + 1;
    a.off = malloc(cap * sizeof(size_t)), a.len = malloc(cap * sizeof(size_t)), a.kind = malloc(cap * sizeof(int));
    b.off = malloc(cap * sizeof(size_t)), b.len = malloc(cap * sizeof(size_t)), b.kind = malloc(cap * sizeof(int));
    run(text, n, &cfg, 0, &a);
    run(text, n, &cfg, (uint8_t)(buf[0] | 1), &b);
    if (a.n != b.n) abort();
    size_t pos = 0, max = cfg.max_bytes ? 16 : 200;
    for (size_t i = 0; i < a.n; i++) {
        if (a.off[i] != b.off[i] || a.len[i] != b.len[i] || a.kind[i] != b.kind[i]) abort();
        if (a.off[i] != pos) abort();
        size_t lead = 0;
        while (lead < a.len[i] && is_ws(text[pos + lead])) lead++;
        if (lead == a.len[i] || a.len[i] - lead > max || is_ws(text[pos + a.len[i] - 1])) abort();
        pos += a.len[i];
    }
    size_t end = n;
    while (end > 0 && is_ws(text[end - 1])) end--;
    if (pos != end) abort();
    free(a.off), free(a.len), free(a.kind), free(b.off), free(b.len), free(b.kind);
    return 0;
}
