/* providers/tts_cache: see tts_cache.h. A chained hash table (FNV-1a over
 * voice key and text, compared exactly, so a hash collision is a miss, never
 * the wrong audio) and a doubly linked recency list; bytes counted as audio +
 * marks + key + entry. Loop thread only; never blocks, never touches a
 * provider. */
#include "providers/tts_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"

typedef struct entry {
    struct entry *chain;      /* next in the bucket */
    struct entry *newer, *older;
    uint64_t hash;
    char *key;                /* voice key, NUL, text, NUL */
    size_t voice_len;
    uint8_t *ulaw;
    size_t n;
    hk_word_mark *marks;
    size_t n_marks;
    size_t bytes;
    unsigned refs;            /* calls playing it (hk_tts_clip_hold) */
    hk_tts_cache *owner;      /* NULL once evicted (or the cache freed) while held */
} entry;

struct hk_tts_cache {
    entry **buckets;
    size_t n_buckets; /* a power of two */
    entry *newest, *oldest;
    hk_tts_cache_stats st;
};

static uint64_t key_hash(const char *voice, const char *text) {
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)voice; *p; p++) h = (h ^ *p) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull; /* a byte no key contains: "ab"+"c" != "a"+"bc" */
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) h = (h ^ *p) * 1099511628211ull;
    return h;
}

hk_tts_cache *hk_tts_cache_new(size_t max_bytes) {
    hk_tts_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->n_buckets = 64;
    c->buckets = calloc(c->n_buckets, sizeof *c->buckets);
    if (!c->buckets) {
        free(c);
        return NULL;
    }
    c->st.max_bytes = max_bytes;
    return c;
}

static void entry_free(entry *e) {
    free(e->key);
    free(e->ulaw);
    free(e->marks);
    free(e);
}

/* Out of the cache: freed now, or by its last holder's release. */
static void entry_drop(hk_tts_cache *c, entry *e) {
    if (e->refs == 0) {
        entry_free(e);
        return;
    }
    e->owner = NULL;
    e->chain = e->newer = e->older = NULL;
    c->st.held_evicted++;
}

void *hk_tts_clip_hold(const hk_tts_clip *clip) {
    entry *e = clip ? clip->entry : NULL;
    if (e) e->refs++;
    return e;
}

void hk_tts_clip_release(void *held) {
    entry *e = held;
    if (!e || e->refs == 0) return;
    if (--e->refs == 0 && !e->owner) entry_free(e);
}

void hk_tts_cache_free(hk_tts_cache *c) {
    if (!c) return;
    for (entry *e = c->newest, *next; e; e = next) {
        next = e->older;
        entry_drop(c, e);
    }
    free(c->buckets);
    free(c);
}

char *hk_tts_cache_voice_key(const char *provider, const hk_tts_config *cfg) {
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "%s|%s|%s|%d|%d|%.4f|%.4f|%s", provider ? provider : "",
                     cfg->voice_id ? cfg->voice_id : "", cfg->model_id ? cfg->model_id : "",
                     cfg->rate_wpm, cfg->pitch, cfg->stability, cfg->similarity_boost,
                     cfg->base_url ? cfg->base_url : "");
    if (n < 0 || (size_t)n >= sizeof buf) return NULL; /* absurd settings: never cached */
    return strdup(buf);
}

static entry *find(const hk_tts_cache *c, uint64_t h, const char *voice, const char *text) {
    for (entry *e = c->buckets[h & (c->n_buckets - 1)]; e; e = e->chain)
        if (e->hash == h && strcmp(e->key, voice) == 0 && strcmp(e->key + e->voice_len + 1, text) == 0)
            return e;
    return NULL;
}

static void list_unlink(hk_tts_cache *c, entry *e) {
    if (e->newer) e->newer->older = e->older;
    else c->newest = e->older;
    if (e->older) e->older->newer = e->newer;
    else c->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void list_push_newest(hk_tts_cache *c, entry *e) {
    e->older = c->newest;
    e->newer = NULL;
    if (c->newest) c->newest->newer = e;
    c->newest = e;
    if (!c->oldest) c->oldest = e;
}

static void remove_entry(hk_tts_cache *c, entry *e) {
    entry **pp = &c->buckets[e->hash & (c->n_buckets - 1)];
    while (*pp != e) pp = &(*pp)->chain;
    *pp = e->chain;
    list_unlink(c, e);
    c->st.bytes -= e->bytes;
    c->st.entries--;
    entry_drop(c, e);
}

int hk_tts_cache_get(hk_tts_cache *c, const char *voice, const char *text, hk_tts_clip *clip) {
    entry *e = c && voice && text ? find(c, key_hash(voice, text), voice, text) : NULL;
    if (!e) {
        if (c) c->st.misses++;
        return 0;
    }
    c->st.hits++;
    list_unlink(c, e);
    list_push_newest(c, e);
    clip->ulaw = e->ulaw;
    clip->n = e->n;
    clip->marks = e->marks;
    clip->n_marks = e->n_marks;
    clip->entry = e;
    return 1;
}

/* Twice the buckets when the table is fuller than one entry per bucket. */
static void maybe_grow(hk_tts_cache *c) {
    if (c->st.entries < c->n_buckets) return;
    size_t nb = c->n_buckets * 2;
    entry **b = calloc(nb, sizeof *b);
    if (!b) return; /* longer chains, still correct */
    for (entry *e = c->newest; e; e = e->older) {
        e->chain = b[e->hash & (nb - 1)];
        b[e->hash & (nb - 1)] = e;
    }
    free(c->buckets);
    c->buckets = b;
    c->n_buckets = nb;
}

int hk_tts_cache_put(hk_tts_cache *c, const char *voice, const char *text, uint8_t *ulaw, size_t n,
                     hk_word_mark *marks, size_t n_marks) {
    size_t vl = voice ? strlen(voice) : 0, tl = text ? strlen(text) : 0;
    size_t bytes = sizeof(entry) + n + n_marks * sizeof *marks + vl + tl + 2;
    uint64_t h = voice && text ? key_hash(voice, text) : 0;
    entry *e = NULL;
    if (!c || !voice || !text || bytes > c->st.max_bytes || find(c, h, voice, text) ||
        !(e = calloc(1, sizeof *e)) || !(e->key = malloc(vl + tl + 2))) {
        free(e);
        free(ulaw);
        free(marks);
        return 0;
    }
    memcpy(e->key, voice, vl + 1);
    memcpy(e->key + vl + 1, text, tl + 1);
    e->voice_len = vl;
    e->hash = h;
    e->ulaw = ulaw;
    e->n = n;
    e->marks = marks;
    e->n_marks = n_marks;
    e->bytes = bytes;
    e->owner = c;
    while (c->oldest && c->st.bytes + bytes > c->st.max_bytes) {
        remove_entry(c, c->oldest);
        c->st.evictions++;
    }
    e->chain = c->buckets[h & (c->n_buckets - 1)];
    c->buckets[h & (c->n_buckets - 1)] = e;
    list_push_newest(c, e);
    c->st.bytes += bytes;
    c->st.entries++;
    c->st.puts++;
    maybe_grow(c);
    return 1;
}

void hk_tts_cache_stats_get(const hk_tts_cache *c, hk_tts_cache_stats *st) {
    if (c) *st = c->st;
    else memset(st, 0, sizeof *st);
}

/* ---- the worker's cache ---- */

static hk_tts_cache *g_cache;
static size_t g_max_bytes = (size_t)64 << 20;

void hk_tts_cache_worker_configure(size_t max_bytes) {
    g_max_bytes = max_bytes;
    hk_tts_cache_free(g_cache); /* rebuilt at the new size on next use */
    g_cache = NULL;
}

hk_tts_cache *hk_tts_cache_worker(void) {
    if (!g_cache && g_max_bytes > 0) g_cache = hk_tts_cache_new(g_max_bytes);
    return g_cache;
}

/* ---- fills ---- */

void hk_tts_fill_drop(hk_tts_fill *f) {
    free(f->key);
    free(f->ulaw);
    free(f->marks);
    memset(f, 0, sizeof *f);
}

void hk_tts_fill_begin(hk_tts_fill *f, uint64_t req, const char *voice, const char *text, size_t limit) {
    hk_tts_fill_drop(f);
    if (!voice || !text || !req) return;
    size_t vl = strlen(voice), tl = strlen(text);
    f->key = malloc(vl + tl + 2);
    if (!f->key) return;
    memcpy(f->key, voice, vl + 1);
    memcpy(f->key + vl + 1, text, tl + 1);
    f->voice_len = vl;
    f->limit = limit;
    f->req = req;
}

void hk_tts_fill_audio(hk_tts_fill *f, uint64_t req, const uint8_t *ulaw, size_t n) {
    if (!f->req || f->req != req || f->failed || !n) return;
    if (f->n + n > f->limit || hk_grow((void **)&f->ulaw, &f->cap, f->n + n, 1) != 0) {
        f->failed = 1; /* too long to be worth keeping: played, not cached */
        free(f->ulaw);
        f->ulaw = NULL;
        f->n = f->cap = 0;
        return;
    }
    memcpy(f->ulaw + f->n, ulaw, n);
    f->n += n;
}

void hk_tts_fill_words(hk_tts_fill *f, uint64_t req, const hk_word_mark *marks, size_t n) {
    if (!f->req || f->req != req || f->failed || !n) return;
    if (hk_grow((void **)&f->marks, &f->cap_marks, f->n_marks + n, sizeof *marks) != 0) {
        f->failed = 1;
        return;
    }
    memcpy(f->marks + f->n_marks, marks, n * sizeof *marks);
    f->n_marks += n;
}

int hk_tts_fill_end(hk_tts_fill *f, hk_tts_cache *cache, uint64_t req, int ok) {
    if (!f->req || f->req != req) return 0;
    int stored = 0;
    if (ok && !f->failed && f->n > 0 && cache) {
        uint8_t *tight = realloc(f->ulaw, f->n); /* the cache counts what it holds */
        if (tight) f->ulaw = tight;
        stored = hk_tts_cache_put(cache, f->key, f->key + f->voice_len + 1, f->ulaw, f->n, f->marks,
                                  f->n_marks);
        f->ulaw = NULL; /* the cache owns them now (or freed them) */
        f->marks = NULL;
    }
    hk_tts_fill_drop(f);
    return stored;
}
