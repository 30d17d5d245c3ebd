/* agent/chunker: cuts an LLM's streamed reply into pieces for text-to-speech
 * ("speak while thinking"), so speech starts after the first clause instead of
 * after the whole answer. Pure text in, text out: no I/O, no clock, one
 * growable buffer per chunker, O(n) over the whole reply.
 *
 * Chunks are contiguous slices of the fed text: chunk k+1 starts where chunk k
 * ended, and the whitespace between two chunks leads the later one (a chunk
 * never ends in whitespace). Concatenating every chunk gives back the fed text
 * exactly, minus whitespace at its very end (a whitespace-only chunk is never
 * emitted). The result never depends on how the text was split into feeds. */
#ifndef HK_CHUNKER_H
#define HK_CHUNKER_H

#include <stddef.h>

typedef enum hk_chunk_kind {
    HK_CHUNK_SENTENCE = 1, /* ended at . ! ? … (or a run of them, closing quotes
                              included) before whitespace, or at a line break */
    HK_CHUNK_CLAUSE,       /* ended at , ; : or a dash (" - ", "—", "–") */
    HK_CHUNK_FORCED,       /* max_bytes reached with no boundary: cut at a space */
    HK_CHUNK_END,          /* the rest of the text at finish(), not a sentence end */
} hk_chunk_kind;

typedef struct hk_chunker_config {
    /* a clause cut needs at least this many words in the chunk (0: 3), so the
     * first audio comes quickly but not one word at a time. Sentence ends and
     * line breaks always cut. */
    size_t min_clause_words;
    /* no chunk's text after its leading whitespace is longer than this
     * (0: 200; at least 16) */
    size_t max_bytes;
} hk_chunker_config;

typedef struct hk_chunk {
    const char *text;   /* NUL-terminated; valid until the next call on the chunker */
    size_t len;
    size_t offset;      /* byte offset of text[0] in the whole fed text */
    hk_chunk_kind kind;
    int last;           /* 1: finish() was called and nothing follows this chunk.
                           A chunk returned before finish() never has it, so a
                           reply can end without a last chunk (its end was
                           already cut): the consumer then ends the request itself. */
} hk_chunk;

/* The state is public so a chunker can live inside another struct; its fields
 * are private to chunker.c. */
typedef struct hk_chunker {
    size_t min_words, max_bytes;
    char *buf;          /* text not yet handed out (from the chunk start on); buf[len] == 0 */
    size_t len, cap;
    size_t base;        /* offset in the whole text of buf[0] */
    size_t start;       /* where the current chunk starts in buf */
    size_t scan;        /* next byte of the chunk to look at */
    size_t cstart;      /* first non-space byte of the chunk; (size_t)-1: none yet */
    size_t words;       /* words in the chunk up to scan */
    int depth;          /* ( [ { nesting up to scan */
    int in_quote;       /* inside "..." or “...” at scan */
    int prev_space;     /* byte before scan was whitespace (or chunk start) */
    size_t nul_at;      /* where next() wrote the NUL that ends its chunk */
    char nul_saved;     /* the byte that NUL replaced */
    int nul_set;
    int finished;
    int failed;         /* out of memory: feed() refuses until reset */
} hk_chunker;

/* cfg NULL: defaults. */
void hk_chunker_init(hk_chunker *ch, const hk_chunker_config *cfg);
void hk_chunker_free(hk_chunker *ch);
/* Forget everything fed (a new reply); keeps the buffer and the settings. */
void hk_chunker_reset(hk_chunker *ch);
/* Append a piece of the reply (any split, also inside a UTF-8 sequence).
 * Returns 0, or -1 after finish() or when out of memory. */
int hk_chunker_feed(hk_chunker *ch, const char *text, size_t len);
/* The next complete chunk: returns 1 and fills *out, or 0 when none is
 * complete yet (more text needed) or everything was handed out. */
int hk_chunker_next(hk_chunker *ch, hk_chunk *out);
/* The reply is complete: what is left becomes available to next(), and a
 * punctuation mark at the end no longer waits for the byte after it. */
void hk_chunker_finish(hk_chunker *ch);

const char *hk_chunk_kind_name(hk_chunk_kind kind);

#endif
