/* agent/chunker: where to cut a streamed reply for text-to-speech. See
 * chunker.h for the contract. Owns one growable buffer per chunker; never does
 * I/O, never allocates per token beyond growing that buffer, never splits a
 * UTF-8 sequence at a natural boundary.
 *
 * How it stays independent of the token split: next() walks the text once with
 * a cursor (scan). At each byte it decides "cut here", "not a boundary" or
 * "need more text" (a '.' whose next byte has not arrived may be "3." of
 * "3.14"); "need more" stops the walk without moving, so the same bytes always
 * give the same decisions. Every lookahead is capped at max_bytes past the
 * chunk's first word, which bounds the work per byte (O(n) overall). */
#include "agent/chunker.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_MIN_WORDS 3
#define DEFAULT_MAX_BYTES 200
#define SMALLEST_MAX_BYTES 16
#define NO_POS ((size_t)-1)

/* The third byte of the marks that are E2 80 xx in UTF-8. */
#define U_EN_DASH 0x93
#define U_EM_DASH 0x94
#define U_RSQUO 0x99   /* ’ */
#define U_LDQUO 0x9C   /* “ */
#define U_RDQUO 0x9D   /* ” */
#define U_ELLIPSIS 0xA6

enum { D_NEXT, D_MORE, D_CUT };

typedef struct decision {
    int what;
    size_t next; /* D_NEXT: where the walk goes on */
    size_t end;  /* D_CUT: the chunk ends before this byte */
    hk_chunk_kind kind;
} decision;

static int is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

static unsigned char at(const hk_chunker *ch, size_t i) { return (unsigned char)ch->buf[i]; }

/* The third byte of an E2 80 xx sequence at i; 0: not one; -1: cut short by
 * the end of what has been fed. */
static int e2_at(const hk_chunker *ch, size_t i) {
    if (at(ch, i) != 0xE2) return 0;
    if (i + 1 >= ch->len) return -1;
    if (at(ch, i + 1) != 0x80) return 0;
    if (i + 2 >= ch->len) return -1;
    return at(ch, i + 2);
}

/* Byte length of a sentence mark (. ! ? …) at i; 0: none; -1: incomplete. */
static int sentence_mark_len(const hk_chunker *ch, size_t i) {
    unsigned char c = at(ch, i);
    if (c == '.' || c == '!' || c == '?') return 1;
    int m = e2_at(ch, i);
    return m < 0 ? -1 : m == U_ELLIPSIS ? 3 : 0;
}

/* Byte length of a closing quote or bracket at i; 0: none; -1: incomplete. */
static int closer_len(const hk_chunker *ch, size_t i) {
    unsigned char c = at(ch, i);
    if (c == '"' || c == '\'' || c == ')' || c == ']' || c == '}') return 1;
    if (c == 0xC2) { /* » */
        if (i + 1 >= ch->len) return -1;
        return at(ch, i + 1) == 0xBB ? 2 : 0;
    }
    int m = e2_at(ch, i);
    return m < 0 ? -1 : (m == U_RDQUO || m == U_RSQUO) ? 3 : 0;
}

/* Is the '.' at i the end of an abbreviation ("Dr.", "etc.") or of initials
 * ("J.", "U.S.", "e.g.", "p.m.")? The word is what precedes the '.' back to
 * whitespace, without opening quotes or brackets. */
static int is_abbreviation(const hk_chunker *ch, size_t i) {
    static const char *const words[] = {"mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "etc", "prof"};
    size_t w = i;
    while (w > ch->cstart && !is_space(at(ch, w - 1))) w--;
    for (;;) {
        unsigned char c = at(ch, w);
        if (w < i && (c == '(' || c == '[' || c == '{' || c == '"' || c == '\'')) w++;
        else if (w + 3 <= i && e2_at(ch, w) == U_LDQUO) w += 3;
        else break;
    }
    size_t n = i - w;
    if (n == 0) return 0;
    /* single letters joined by dots: J / U.S / e.g / a.m */
    int initials = n % 2 == 1;
    for (size_t k = 0; initials && k < n; k++)
        initials = k % 2 == 0 ? is_alpha(at(ch, w + k)) : at(ch, w + k) == '.';
    if (initials) return 1;
    if (n > 4) return 0;
    char low[5];
    for (size_t k = 0; k < n; k++) {
        unsigned char c = at(ch, w + k);
        if (!is_alpha(c)) return 0;
        low[k] = (char)(c | 0x20);
    }
    low[n] = '\0';
    for (size_t k = 0; k < sizeof words / sizeof *words; k++)
        if (strcmp(low, words[k]) == 0) return 1;
    return 0;
}

/* "2." alone at the start of a chunk numbers a list item: not a sentence. */
static int is_list_number(const hk_chunker *ch, size_t i) {
    if (i == ch->cstart || i - ch->cstart > 3) return 0;
    for (size_t k = ch->cstart; k < i; k++)
        if (!is_digit(at(ch, k))) return 0;
    return 1;
}

static int clause_ok(const hk_chunker *ch) {
    return ch->depth == 0 && !ch->in_quote && ch->words >= ch->min_words;
}

static decision next_at(size_t next) { return (decision){.what = D_NEXT, .next = next}; }
static decision cut_at(size_t end, hk_chunk_kind kind) {
    return (decision){.what = D_CUT, .next = end, .end = end, .kind = kind};
}
/* The text ran out during a lookahead: wait, unless there is no more to come
 * (then the end of the text ends the chunk, and the walk moves on). */
static decision ran_out(const hk_chunker *ch, size_t next) {
    return ch->finished ? next_at(next) : (decision){.what = D_MORE};
}

/* A run of sentence marks starting at i, then closing quotes, then whitespace. */
static decision sentence_end(const hk_chunker *ch, size_t i, size_t lim) {
    size_t j = i;
    while (j < lim && j < ch->len) {
        int k = sentence_mark_len(ch, j);
        if (k < 0) return ran_out(ch, j == i ? i + 1 : j);
        if (k == 0) break;
        j += (size_t)k;
    }
    size_t run_end = j;
    while (j < lim && j < ch->len) {
        int k = closer_len(ch, j);
        if (k < 0) return ran_out(ch, run_end);
        if (k == 0) break;
        j += (size_t)k;
    }
    if (j >= lim) return next_at(run_end); /* too long to be a chunk: a forced cut comes */
    if (j == ch->len) return ran_out(ch, run_end);
    if (!is_space(at(ch, j))) return next_at(run_end); /* 3.5, acme.com, ?x */
    if (run_end == i + 1 && at(ch, i) == '.' && (is_abbreviation(ch, i) || is_list_number(ch, i)))
        return next_at(i + 1);
    return cut_at(j, HK_CHUNK_SENTENCE);
}

/* What the byte at i means; lim caps the lookahead (see the file comment). */
static decision decide(const hk_chunker *ch, size_t i, size_t lim) {
    unsigned char c = at(ch, i);
    if (c == '\n') { /* a line break ends the chunk; the whitespace leads the next */
        size_t end = i;
        while (end > ch->cstart && is_space(at(ch, end - 1))) end--;
        return cut_at(end, HK_CHUNK_SENTENCE);
    }
    if (c == '.' || c == '!' || c == '?') return sentence_end(ch, i, lim);
    if (c == ',' || c == ';' || c == ':') {
        if (i + 1 == ch->len) return ran_out(ch, i + 1);
        /* "1,000", "10:30", "http://" have no space after the mark */
        if (is_space(at(ch, i + 1)) && clause_ok(ch)) return cut_at(i + 1, HK_CHUNK_CLAUSE);
        return next_at(i + 1);
    }
    if (c == '-') { /* " - " or " -- " between words; "-5", "well-known", "- item" are not */
        size_t j = i;
        while (j < lim && j < ch->len && at(ch, j) == '-') j++;
        if (j >= lim) return next_at(j);
        if (j == ch->len) return ran_out(ch, j);
        if (i > ch->cstart && is_space(at(ch, i - 1)) && is_space(at(ch, j)) && j - i <= 2 &&
            clause_ok(ch))
            return cut_at(j, HK_CHUNK_CLAUSE);
        return next_at(j);
    }
    if (c == 0xE2) {
        int m = e2_at(ch, i);
        if (m < 0) return ran_out(ch, i + 1);
        if (m == U_ELLIPSIS) return sentence_end(ch, i, lim);
        if (m == U_EM_DASH || m == U_EN_DASH) {
            if (i + 3 == ch->len) return ran_out(ch, i + 3);
            /* "9–5", "1990—2000": a range, not a pause */
            if (i > ch->cstart && is_digit(at(ch, i - 1)) && is_digit(at(ch, i + 3))) return next_at(i + 3);
            return clause_ok(ch) ? cut_at(i + 3, HK_CHUNK_CLAUSE) : next_at(i + 3);
        }
        /* another complete E2 80 xx character (quotes): over it at once */
        return next_at(m >= 0x80 && m <= 0xBF ? i + 3 : i + 1);
    }
    return next_at(i + 1);
}

/* Move the walk over [from, to): words, brackets and quotes of the chunk. */
static void advance(hk_chunker *ch, size_t from, size_t to) {
    for (size_t k = from; k < to; k++) {
        unsigned char c = at(ch, k);
        int sp = is_space(c);
        if (!sp && ch->prev_space) ch->words++;
        ch->prev_space = sp;
        if (c == '(' || c == '[' || c == '{') ch->depth++;
        else if ((c == ')' || c == ']' || c == '}') && ch->depth > 0) ch->depth--;
        else if (c == '"') ch->in_quote = !ch->in_quote;
        else if (c == 0xE2 && k + 2 < to && at(ch, k + 1) == 0x80) { /* within the decided bytes */
            if (at(ch, k + 2) == U_LDQUO) ch->in_quote = 1;
            else if (at(ch, k + 2) == U_RDQUO) ch->in_quote = 0;
        }
    }
    ch->scan = to;
}

static void chunk_state_reset(hk_chunker *ch, size_t at_pos) {
    ch->start = ch->scan = at_pos;
    ch->cstart = NO_POS;
    ch->words = 0;
    ch->depth = 0;
    ch->in_quote = 0;
    ch->prev_space = 1;
}

/* next() ended its chunk with a NUL in the buffer: put the byte back. */
static void restore_nul(hk_chunker *ch) {
    if (!ch->nul_set) return;
    ch->buf[ch->nul_at] = ch->nul_saved;
    ch->nul_set = 0;
}

/* Does [cstart, end) end a sentence (marks, then maybe closing quotes)? */
static int ends_sentence(const hk_chunker *ch, size_t end) {
    size_t p = end;
    for (;;) {
        if (p > ch->cstart && strchr("\"')]}", at(ch, p - 1)) && at(ch, p - 1)) p--;
        else if (p >= ch->cstart + 2 && at(ch, p - 2) == 0xC2 && at(ch, p - 1) == 0xBB) p -= 2;
        else if (p >= ch->cstart + 3 && e2_at(ch, p - 3) > 0 &&
                 (at(ch, p - 1) == U_RDQUO || at(ch, p - 1) == U_RSQUO)) p -= 3;
        else break;
    }
    if (p > ch->cstart && strchr(".!?", at(ch, p - 1)) && at(ch, p - 1)) return 1;
    return p >= ch->cstart + 3 && e2_at(ch, p - 3) == U_ELLIPSIS;
}

static int emit(hk_chunker *ch, hk_chunk *out, size_t end, hk_chunk_kind kind) {
    out->text = ch->buf + ch->start;
    out->len = end - ch->start;
    out->offset = ch->base + ch->start;
    out->kind = kind;
    /* finished: last when only whitespace follows */
    size_t p = end;
    while (ch->finished && p < ch->len && is_space(at(ch, p))) p++;
    out->last = ch->finished && p == ch->len;
    ch->nul_at = end;
    ch->nul_saved = ch->buf[end];
    ch->buf[end] = '\0';
    ch->nul_set = 1;
    chunk_state_reset(ch, end);
    return 1;
}

/* No boundary within max_bytes of the first word: cut at the last whitespace
 * in reach, or (one huge word) at max_bytes, backed off to a UTF-8 lead byte. */
static int emit_forced(hk_chunker *ch, hk_chunk *out) {
    size_t lim = ch->cstart + ch->max_bytes; /* < len: the walk went past it */
    size_t p = lim;
    while (p > ch->cstart && !is_space(at(ch, p))) p--;
    if (p > ch->cstart) {
        while (is_space(at(ch, p - 1))) p--; /* stops at cstart, which is not a space */
    } else {
        p = lim;
        while (p > ch->cstart && (at(ch, p) & 0xC0) == 0x80) p--;
        if (p == ch->cstart) p = lim; /* not UTF-8 at all: cut anyway */
    }
    return emit(ch, out, p, HK_CHUNK_FORCED);
}

int hk_chunker_next(hk_chunker *ch, hk_chunk *out) {
    restore_nul(ch);
    for (;;) {
        if (ch->cstart == NO_POS) { /* leading whitespace belongs to the chunk but starts nothing */
            while (ch->scan < ch->len && is_space(at(ch, ch->scan))) ch->scan++;
            if (ch->scan == ch->len) {
                if (ch->finished) ch->start = ch->len; /* trailing whitespace: never a chunk */
                return 0;
            }
            ch->cstart = ch->scan;
        }
        if (ch->scan > ch->cstart + ch->max_bytes) return emit_forced(ch, out);
        if (ch->scan >= ch->len) {
            if (!ch->finished) return 0;
            size_t end = ch->len;
            while (is_space(at(ch, end - 1))) end--; /* stops at cstart */
            return emit(ch, out, end, ends_sentence(ch, end) ? HK_CHUNK_SENTENCE : HK_CHUNK_END);
        }
        decision d = decide(ch, ch->scan, ch->cstart + ch->max_bytes + 1);
        if (d.what == D_MORE) return 0;
        if (d.what == D_CUT && d.end <= ch->cstart + ch->max_bytes) return emit(ch, out, d.end, d.kind);
        advance(ch, ch->scan, d.next);
    }
}

int hk_chunker_feed(hk_chunker *ch, const char *text, size_t len) {
    restore_nul(ch);
    if (ch->finished || ch->failed) return -1;
    if (len == 0) return 0;
    /* drop what was handed out when that costs at most as much as it frees */
    if (ch->start > 0 && (ch->start >= ch->len / 2 || ch->len + len + 1 > ch->cap)) {
        size_t keep = ch->len - ch->start;
        memmove(ch->buf, ch->buf + ch->start, keep);
        ch->base += ch->start;
        ch->scan -= ch->start;
        if (ch->cstart != NO_POS) ch->cstart -= ch->start;
        ch->len = keep;
        ch->start = 0;
    }
    if (ch->len + len + 1 > ch->cap) {
        size_t cap = ch->cap ? ch->cap : 256;
        while (cap < ch->len + len + 1) cap *= 2;
        char *b = realloc(ch->buf, cap);
        if (!b) {
            ch->failed = 1;
            return -1;
        }
        ch->buf = b;
        ch->cap = cap;
    }
    memcpy(ch->buf + ch->len, text, len);
    ch->len += len;
    ch->buf[ch->len] = '\0';
    return 0;
}

void hk_chunker_finish(hk_chunker *ch) {
    restore_nul(ch);
    ch->finished = 1;
}

void hk_chunker_reset(hk_chunker *ch) {
    restore_nul(ch);
    ch->len = 0;
    ch->base = 0;
    ch->finished = 0;
    ch->failed = 0;
    if (ch->buf) ch->buf[0] = '\0';
    chunk_state_reset(ch, 0);
}

void hk_chunker_init(hk_chunker *ch, const hk_chunker_config *cfg) {
    memset(ch, 0, sizeof *ch);
    ch->min_words = cfg && cfg->min_clause_words ? cfg->min_clause_words : DEFAULT_MIN_WORDS;
    ch->max_bytes = cfg && cfg->max_bytes ? cfg->max_bytes : DEFAULT_MAX_BYTES;
    if (ch->max_bytes < SMALLEST_MAX_BYTES) ch->max_bytes = SMALLEST_MAX_BYTES;
    chunk_state_reset(ch, 0);
}

void hk_chunker_free(hk_chunker *ch) {
    if (!ch) return;
    free(ch->buf);
    ch->buf = NULL;
    ch->len = ch->cap = 0;
    ch->nul_set = 0;
}

const char *hk_chunk_kind_name(hk_chunk_kind kind) {
    switch (kind) {
    case HK_CHUNK_SENTENCE: return "sentence";
    case HK_CHUNK_CLAUSE: return "clause";
    case HK_CHUNK_FORCED: return "forced";
    case HK_CHUNK_END: return "end";
    }
    return "?";
}
