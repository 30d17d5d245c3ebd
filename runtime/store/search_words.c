/* store/search_words: words of transcripts and their keyed hashes (the
 * blind index of GET /call?q=). See search_words.h. Pure functions: no
 * I/O, no allocation beyond what the caller is handed back. */
#include "store/search_words.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/crypto.h"

static int word_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* a transcript line's speaker tag (call_store.c writes "user: ..." lines) */
static size_t speaker_tag(const char *p, size_t left) {
    static const char *tags[] = {"user: ", "assistant: "};
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(tags[i]);
        if (left >= n && memcmp(p, tags[i], n) == 0) return n;
    }
    return 0;
}

int hk_search_words(const char *text, size_t len, int (*fn)(void *ud, const char *word), void *ud) {
    char w[HK_SEARCH_WORD_MAX + 1];
    int count = 0;
    size_t i = 0;
    if (!text) return 0;
    while (i < len) {
        if (i == 0 || text[i - 1] == '\n') i += speaker_tag(text + i, len - i);
        if (i >= len) break;
        if (!word_byte((unsigned char)text[i])) {
            i++;
            continue;
        }
        size_t n = 0;
        for (; i < len && word_byte((unsigned char)text[i]); i++)
            if (n < HK_SEARCH_WORD_MAX) {
                char c = text[i];
                w[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
            }
        w[n] = 0;
        count++;
        if (fn && fn(ud, w)) break;
    }
    return count;
}

/* HMAC-SHA256(search key, "tenant|word") with the key's inner and outer
 * states computed once per call of hk_search_hashes, not once per word (a
 * transcript's thousands of words are hashed on the loop: ~1 us each instead
 * of ~7 with the one-shot HMAC()) */
typedef struct hash_ctx {
    EVP_MD_CTX *inner, *outer, *tmp; /* inner has the tenant and '|' too */
    int64_t *out;
    int n, cap;
} hash_ctx;

static void hash_init(hash_ctx *h, const uint8_t key[32], const char *tenant) {
    uint8_t ipad[64], opad[64];
    memset(ipad, 0x36, sizeof ipad);
    memset(opad, 0x5c, sizeof opad);
    for (int i = 0; i < 32; i++) ipad[i] ^= key[i], opad[i] ^= key[i];
    h->inner = EVP_MD_CTX_new();
    h->outer = EVP_MD_CTX_new();
    h->tmp = EVP_MD_CTX_new();
    const char *t = tenant ? tenant : "";
    if (!h->inner || !h->outer || !h->tmp || !EVP_DigestInit_ex(h->inner, EVP_sha256(), NULL) ||
        !EVP_DigestUpdate(h->inner, ipad, sizeof ipad) || !EVP_DigestUpdate(h->inner, t, strlen(t)) ||
        !EVP_DigestUpdate(h->inner, "|", 1) || !EVP_DigestInit_ex(h->outer, EVP_sha256(), NULL) ||
        !EVP_DigestUpdate(h->outer, opad, sizeof opad))
        abort();
    OPENSSL_cleanse(ipad, sizeof ipad);
    OPENSSL_cleanse(opad, sizeof opad);
}

static void hash_done(hash_ctx *h) {
    EVP_MD_CTX_free(h->inner); /* frees (and cleanses) the digest states */
    EVP_MD_CTX_free(h->outer);
    EVP_MD_CTX_free(h->tmp);
}

static int64_t word_hash(const hash_ctx *h, const char *word) {
    uint8_t md[32];
    unsigned int mdlen = 0;
    if (!EVP_MD_CTX_copy_ex(h->tmp, h->inner) || !EVP_DigestUpdate(h->tmp, word, strlen(word)) ||
        !EVP_DigestFinal_ex(h->tmp, md, &mdlen) || !EVP_MD_CTX_copy_ex(h->tmp, h->outer) ||
        !EVP_DigestUpdate(h->tmp, md, mdlen) || !EVP_DigestFinal_ex(h->tmp, md, &mdlen))
        abort();
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | md[i];
    return (int64_t)(v >> 1); /* 63 bits: positive as PostgreSQL's bigint */
}

static int add_hash(void *ud, const char *word) {
    hash_ctx *h = ud;
    int64_t v = word_hash(h, word);
    /* sorted insert, unique */
    int lo = 0, hi = h->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (h->out[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    if (lo < h->n && h->out[lo] == v) return 0;
    if (h->n >= h->cap) return 1;
    memmove(h->out + lo + 1, h->out + lo, (size_t)(h->n - lo) * sizeof *h->out);
    h->out[lo] = v;
    h->n++;
    return 0;
}

/* the search key of data key kid: HMAC(data key, label), so the words'
 * hashes never use the sealing key itself */
static void search_key(const hk_keyring *kr, int kid, uint8_t out[32]) {
    static const char label[] = "hark call search words v1";
    const uint8_t *dk = NULL;
    for (int i = 0; kr && kid && i < kr->n; i++)
        if (kr->ids[i] == kid) dk = kr->keys[i];
    static const uint8_t public_key[32] = {0}; /* stored in the clear anyway */
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), dk ? dk : public_key, 32, (const uint8_t *)label, sizeof label - 1, out,
              &len))
        abort();
}

int hk_search_hashes(const hk_keyring *kr, int kid, const char *tenant, const char *text,
                     int64_t *out, int cap) {
    hash_ctx h = {.out = out, .cap = cap};
    uint8_t key[32];
    search_key(kr, kid, key);
    hash_init(&h, key, tenant);
    OPENSSL_cleanse(key, sizeof key);
    if (text) hk_search_words(text, strlen(text), add_hash, &h);
    hash_done(&h);
    return h.n;
}

char *hk_search_array_text(const int64_t *h, int n) {
    size_t cap = 3 + (size_t)n * 21, len = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
    s[len++] = '{';
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s%lld", i ? "," : "", (long long)h[i]);
    snprintf(s + len, cap - len, "}");
    return s;
}

typedef struct match_ctx {
    const char *want;
    int found;
} match_ctx;

static int is_want(void *ud, const char *word) {
    match_ctx *m = ud;
    if (strcmp(word, m->want) == 0) m->found = 1;
    return m->found;
}

typedef struct query_ctx {
    const char *const *texts;
    int n, all;
} query_ctx;

static int check_word(void *ud, const char *word) {
    query_ctx *q = ud;
    match_ctx m = {word, 0};
    for (int i = 0; i < q->n && !m.found; i++)
        if (q->texts[i]) hk_search_words(q->texts[i], strlen(q->texts[i]), is_want, &m);
    if (!m.found) q->all = 0;
    return !q->all;
}

int hk_search_match(const char *query, const char *const *texts, int n) {
    query_ctx q = {texts, n, 1};
    if (query) hk_search_words(query, strlen(query), check_word, &q);
    return q.all;
}
