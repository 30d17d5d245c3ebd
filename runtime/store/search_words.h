/* store/search_words: the words of a call's transcript, for GET /call?q=.
 * Transcripts and messages are sealed at rest (crypto.h), so PostgreSQL can
 * hold no readable index of them; it keeps instead a "blind index": every
 * distinct word, lower-cased, as a keyed 63-bit hash (HMAC-SHA256 under a key
 * derived from the data key that sealed the call, with the tenant mixed in),
 * in calls.words (bigint[], GIN; schema/008_call_search.sql). A search hashes
 * its words the same way and asks for calls holding all of them. What it
 * gives away: which calls of a tenant share a word, never the word. Whole
 * words only (no substrings); ASCII letters fold case, other bytes compare
 * as they are. The memory store matches with the same tokenizer.
 * A word: a run of ASCII letters and digits and of bytes >= 0x80 (UTF-8
 * letters), at most HK_SEARCH_WORD_MAX bytes (longer ones are cut there).
 * A transcript line's "user: " / "assistant: " speaker tag is not a word. */
#ifndef HK_STORE_SEARCH_WORDS_H
#define HK_STORE_SEARCH_WORDS_H

#include <stddef.h>
#include <stdint.h>

struct hk_keyring;

#define HK_SEARCH_WORD_MAX 64
#define HK_SEARCH_QUERY_WORDS 8    /* words of one search, at most */
#define HK_SEARCH_CALL_WORDS 4096  /* distinct words kept per call, at most */

/* Calls fn for each word of text (len bytes), lower-cased, NUL-terminated.
 * fn returns nonzero to stop. Returns the number of words seen. */
int hk_search_words(const char *text, size_t len, int (*fn)(void *ud, const char *word), void *ud);

/* The hashes of text's distinct words under key kid of kr (kid 0 or kr
 * NULL: a fixed public key, for stores kept in the clear), for tenant:
 * sorted, unique, at most cap; returns how many. */
int hk_search_hashes(const struct hk_keyring *kr, int kid, const char *tenant, const char *text,
                     int64_t *out, int cap);

/* The same as PostgreSQL's array literal "{1,2,3}" (malloc'ed; NULL when
 * out of memory). */
char *hk_search_array_text(const int64_t *h, int n);

/* 1 when every word of query occurs as a word in one of texts[0..n-1]
 * (the memory store's search). A query without words matches. */
int hk_search_match(const char *query, const char *const *texts, int n);

#endif
