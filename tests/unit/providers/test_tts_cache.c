/* tests/unit/providers/test_tts_cache: the worker's cache of synthesised fixed
 * phrases. The LRU stays within its byte bound and evicts the least recently
 * used entry first; a hit gives back the very audio and word marks stored; a
 * different voice, setting or text is a miss; only a fill that ended ok is
 * stored (a cancelled or failed synthesis never is). A held clip (a call
 * playing it by reference) stays valid after eviction and after the cache is
 * freed, until its last release (ASan catches a use after free). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "providers/tts_cache.h"

/* n bytes of audio whose content says which phrase it is */
static uint8_t *audio(size_t n, uint8_t seed) {
    uint8_t *a = malloc(n);
    for (size_t i = 0; i < n; i++) a[i] = (uint8_t)(seed + i * 7);
    return a;
}

static hk_word_mark *marks(size_t n) {
    hk_word_mark *m = malloc(n * sizeof *m);
    for (size_t i = 0; i < n; i++) m[i] = (hk_word_mark){(uint32_t)(i * 6), 5, (uint32_t)(i * 310)};
    return m;
}

static char *voice(const char *provider, const char *voice_id, int rate, double stability) {
    hk_tts_config cfg = {.voice_id = voice_id, .rate_wpm = rate, .pitch = -1,
                         .stability = stability, .similarity_boost = -1};
    return hk_tts_cache_voice_key(provider, &cfg);
}

static void test_hit_returns_same_audio_and_marks(void **state) {
    (void)state;
    hk_tts_cache *c = hk_tts_cache_new(1 << 20);
    char *v = voice("espeak", "en-us", 0, -1);
    uint8_t *a = audio(8000, 3);
    uint8_t want[8000];
    memcpy(want, a, sizeof want);
    hk_word_mark *m = marks(4), want_m[4];
    memcpy(want_m, m, sizeof want_m);
    assert_int_equal(hk_tts_cache_put(c, v, "Hello, thanks for calling.", a, 8000, m, 4), 1);
    hk_tts_clip clip;
    assert_int_equal(hk_tts_cache_get(c, v, "Hello, thanks for calling.", &clip), 1);
    assert_int_equal(clip.n, 8000);
    assert_memory_equal(clip.ulaw, want, sizeof want);
    assert_int_equal(clip.n_marks, 4);
    assert_memory_equal(clip.marks, want_m, sizeof want_m);
    /* a second put of the same phrase (two calls raced) keeps the first */
    assert_int_equal(hk_tts_cache_put(c, v, "Hello, thanks for calling.", audio(10, 9), 10, NULL, 0), 0);
    assert_int_equal(hk_tts_cache_get(c, v, "Hello, thanks for calling.", &clip), 1);
    assert_int_equal(clip.n, 8000);
    hk_tts_cache_stats st;
    hk_tts_cache_stats_get(c, &st);
    assert_int_equal(st.hits, 2);
    assert_int_equal(st.entries, 1);
    assert_true(st.bytes >= 8000 + 4 * sizeof(hk_word_mark));
    free(v);
    hk_tts_cache_free(c);
}

static void test_other_voice_settings_or_text_miss(void **state) {
    (void)state;
    hk_tts_cache *c = hk_tts_cache_new(1 << 20);
    char *v = voice("espeak", "en-us", 0, -1);
    assert_int_equal(hk_tts_cache_put(c, v, "Hello.", audio(800, 1), 800, NULL, 0), 1);
    char *others[] = {voice("espeak", "en-gb", 0, -1), voice("espeak", "en-us", 200, -1),
                      voice("elevenlabs", "en-us", 0, -1), voice("espeak", "en-us", 0, 0.5)};
    hk_tts_clip clip;
    for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
        assert_non_null(others[i]);
        assert_string_not_equal(others[i], v);
        assert_int_equal(hk_tts_cache_get(c, others[i], "Hello.", &clip), 0);
        free(others[i]);
    }
    assert_int_equal(hk_tts_cache_get(c, v, "Hello", &clip), 0);   /* the exact text only */
    assert_int_equal(hk_tts_cache_get(c, v, "hello.", &clip), 0);
    assert_int_equal(hk_tts_cache_get(c, v, "Hello. ", &clip), 0);
    assert_int_equal(hk_tts_cache_get(c, v, "Hello.", &clip), 1);
    /* the boundary between voice and text is part of the key */
    assert_int_equal(hk_tts_cache_put(c, "ab", "c", audio(10, 1), 10, NULL, 0), 1);
    assert_int_equal(hk_tts_cache_get(c, "a", "bc", &clip), 0);
    hk_tts_cache_stats st;
    hk_tts_cache_stats_get(c, &st);
    assert_int_equal(st.misses, 8);
    free(v);
    hk_tts_cache_free(c);
}

static void test_bounded_by_bytes_lru_order(void **state) {
    (void)state;
    /* room for three 10 kB phrases, not four */
    hk_tts_cache *c = hk_tts_cache_new(35000);
    const char *v = "espeak|en-us";
    hk_tts_clip clip;
    assert_int_equal(hk_tts_cache_put(c, v, "one", audio(10000, 1), 10000, marks(2), 2), 1);
    assert_int_equal(hk_tts_cache_put(c, v, "two", audio(10000, 2), 10000, NULL, 0), 1);
    assert_int_equal(hk_tts_cache_put(c, v, "three", audio(10000, 3), 10000, NULL, 0), 1);
    /* "one" used again: "two" is now the least recently used */
    assert_int_equal(hk_tts_cache_get(c, v, "one", &clip), 1);
    assert_int_equal(hk_tts_cache_put(c, v, "four", audio(10000, 4), 10000, NULL, 0), 1);
    hk_tts_cache_stats st;
    hk_tts_cache_stats_get(c, &st);
    assert_true(st.bytes <= 35000);
    assert_int_equal(st.entries, 3);
    assert_int_equal(st.evictions, 1);
    assert_int_equal(hk_tts_cache_get(c, v, "two", &clip), 0);
    assert_int_equal(hk_tts_cache_get(c, v, "one", &clip), 1);
    assert_int_equal(clip.ulaw[0], 1);
    assert_int_equal(hk_tts_cache_get(c, v, "three", &clip), 1);
    assert_int_equal(hk_tts_cache_get(c, v, "four", &clip), 1);
    /* now "one" is oldest: a 20 kB phrase pushes out "one" and "three" */
    assert_int_equal(hk_tts_cache_put(c, v, "five", audio(20000, 5), 20000, NULL, 0), 1);
    hk_tts_cache_stats_get(c, &st);
    assert_true(st.bytes <= 35000);
    assert_int_equal(hk_tts_cache_get(c, v, "one", &clip), 0);
    assert_int_equal(hk_tts_cache_get(c, v, "three", &clip), 0);
    assert_int_equal(hk_tts_cache_get(c, v, "four", &clip), 1);
    assert_int_equal(hk_tts_cache_get(c, v, "five", &clip), 1);
    assert_int_equal(clip.ulaw[0], 5);
    /* a phrase larger than the whole cache is not stored and evicts nothing */
    assert_int_equal(hk_tts_cache_put(c, v, "huge", audio(40000, 6), 40000, NULL, 0), 0);
    assert_int_equal(hk_tts_cache_get(c, v, "four", &clip), 1);
    /* many small phrases: the table grows, the bound holds, the newest stay */
    char text[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(text, sizeof text, "phrase %d", i);
        hk_tts_cache_put(c, v, text, audio(100, (uint8_t)i), 100, NULL, 0);
        hk_tts_cache_stats_get(c, &st);
        assert_true(st.bytes <= 35000);
    }
    assert_int_equal(hk_tts_cache_get(c, v, "phrase 999", &clip), 1);
    assert_int_equal(clip.ulaw[0], (uint8_t)999);
    assert_int_equal(hk_tts_cache_get(c, v, "phrase 0", &clip), 0);
    hk_tts_cache_free(c);
}

static void test_fill_only_complete_syntheses(void **state) {
    (void)state;
    hk_tts_cache *c = hk_tts_cache_new(1 << 20);
    const char *v = "espeak|en-us";
    hk_tts_fill f = {0};
    hk_tts_clip clip;
    uint8_t a[4000];
    for (size_t i = 0; i < sizeof a; i++) a[i] = (uint8_t)i;
    hk_word_mark m[2] = {{0, 5, 0}, {6, 6, 250}};

    /* cancelled (barge-in, the call ended) mid-synthesis: nothing stored */
    hk_tts_fill_begin(&f, 7, v, "Good morning.", 1 << 20);
    hk_tts_fill_audio(&f, 7, a, 2000);
    hk_tts_fill_drop(&f);
    assert_int_equal(hk_tts_fill_end(&f, c, 7, 1), 0); /* its done() arriving anyway */
    assert_int_equal(hk_tts_cache_get(c, v, "Good morning.", &clip), 0);

    /* failed synthesis (done ok=0): nothing stored */
    hk_tts_fill_begin(&f, 8, v, "Good morning.", 1 << 20);
    hk_tts_fill_audio(&f, 8, a, 2000);
    assert_int_equal(hk_tts_fill_end(&f, c, 8, 0), 0);
    assert_int_equal(hk_tts_cache_get(c, v, "Good morning.", &clip), 0);

    /* longer than the limit: played, never stored */
    hk_tts_fill_begin(&f, 9, v, "Good morning.", 3000);
    hk_tts_fill_audio(&f, 9, a, 2000);
    hk_tts_fill_audio(&f, 9, a, 2000);
    assert_int_equal(hk_tts_fill_end(&f, c, 9, 1), 0);
    assert_int_equal(hk_tts_cache_get(c, v, "Good morning.", &clip), 0);

    /* complete: audio in pieces, marks in two calls, other requests' callbacks ignored */
    hk_tts_fill_begin(&f, 10, v, "Good morning.", 1 << 20);
    hk_tts_fill_audio(&f, 10, a, 1500);
    hk_tts_fill_audio(&f, 11, a + 100, 700); /* a streamed reply after it */
    hk_tts_fill_words(&f, 10, m, 1);
    hk_tts_fill_audio(&f, 10, a + 1500, 2500);
    hk_tts_fill_words(&f, 10, m + 1, 1);
    assert_int_equal(hk_tts_fill_end(&f, c, 11, 1), 0); /* not its request */
    assert_int_equal(hk_tts_cache_get(c, v, "Good morning.", &clip), 0);
    assert_int_equal(hk_tts_fill_end(&f, c, 10, 1), 1);
    assert_int_equal(f.req, 0);
    assert_int_equal(hk_tts_cache_get(c, v, "Good morning.", &clip), 1);
    assert_int_equal(clip.n, sizeof a);
    assert_memory_equal(clip.ulaw, a, sizeof a);
    assert_int_equal(clip.n_marks, 2);
    assert_memory_equal(clip.marks, m, sizeof m);
    hk_tts_cache_free(c);
}

static void test_held_clip_outlives_eviction(void **state) {
    (void)state;
    hk_tts_cache *c = hk_tts_cache_new(25000); /* room for two 10 kB phrases */
    const char *v = "espeak|en-us";
    hk_tts_clip clip;
    assert_int_equal(hk_tts_cache_put(c, v, "one", audio(10000, 1), 10000, marks(3), 3), 1);
    assert_int_equal(hk_tts_cache_get(c, v, "one", &clip), 1);
    void *h1 = hk_tts_clip_hold(&clip), *h2 = hk_tts_clip_hold(&clip); /* two calls */
    assert_non_null(h1);
    const uint8_t *held = clip.ulaw;
    /* two newer phrases push "one" out of the index, not out of memory */
    assert_int_equal(hk_tts_cache_put(c, v, "two", audio(10000, 2), 10000, NULL, 0), 1);
    assert_int_equal(hk_tts_cache_put(c, v, "three", audio(10000, 3), 10000, NULL, 0), 1);
    hk_tts_cache_stats st;
    hk_tts_cache_stats_get(c, &st);
    assert_int_equal(st.evictions, 1);
    assert_int_equal(st.held_evicted, 1);
    assert_true(st.bytes <= 25000); /* a held evicted entry no longer counts */
    assert_int_equal(hk_tts_cache_get(c, v, "one", &clip), 0);
    uint8_t *want = audio(10000, 1);
    assert_memory_equal(held, want, 10000);
    hk_tts_clip_release(h1);
    assert_memory_equal(held, want, 10000); /* the second holder still plays it */
    /* put back: a new entry, independent of the old one still held */
    assert_int_equal(hk_tts_cache_put(c, v, "one", audio(10000, 9), 10000, NULL, 0), 1);
    assert_int_equal(hk_tts_cache_get(c, v, "one", &clip), 1);
    assert_int_equal(clip.ulaw[0], 9);
    assert_memory_equal(held, want, 10000);
    hk_tts_clip_release(h2); /* last holder: freed now (ASan: no leak, no reuse) */
    /* held across the cache's free (a worker reconfigured mid-call) */
    assert_int_equal(hk_tts_cache_get(c, v, "three", &clip), 1);
    void *h3 = hk_tts_clip_hold(&clip);
    held = clip.ulaw;
    hk_tts_cache_free(c);
    assert_int_equal(held[0], 3);
    hk_tts_clip_release(h3);
    /* an entry held and released while cached stays cached */
    c = hk_tts_cache_new(25000);
    assert_int_equal(hk_tts_cache_put(c, v, "four", audio(100, 4), 100, NULL, 0), 1);
    assert_int_equal(hk_tts_cache_get(c, v, "four", &clip), 1);
    hk_tts_clip_release(hk_tts_clip_hold(&clip));
    assert_int_equal(hk_tts_cache_get(c, v, "four", &clip), 1);
    assert_int_equal(clip.ulaw[0], 4);
    hk_tts_clip_release(NULL);
    hk_tts_cache_free(c);
    free(want);
}

static void test_worker_cache_configured(void **state) {
    (void)state;
    hk_tts_cache_worker_configure(0);
    assert_null(hk_tts_cache_worker());
    hk_tts_cache_worker_configure(1 << 20);
    hk_tts_cache *c = hk_tts_cache_worker();
    assert_non_null(c);
    assert_ptr_equal(hk_tts_cache_worker(), c);
    hk_tts_cache_stats st;
    hk_tts_cache_stats_get(c, &st);
    assert_int_equal(st.max_bytes, 1 << 20);
    hk_tts_cache_worker_configure(0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_returns_same_audio_and_marks),
        cmocka_unit_test(test_other_voice_settings_or_text_miss),
        cmocka_unit_test(test_bounded_by_bytes_lru_order),
        cmocka_unit_test(test_fill_only_complete_syntheses),
        cmocka_unit_test(test_held_clip_outlives_eviction),
        cmocka_unit_test(test_worker_cache_configured),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
