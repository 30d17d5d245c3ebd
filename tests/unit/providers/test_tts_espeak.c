/* tests/unit/providers/test_tts_espeak: the espeak-ng provider on a real libev
 * loop and thread pool: a sentence becomes 8 kHz mu-law of a plausible length
 * with word marks in order; requests complete in order; cancel and close drop
 * what is pending, also from inside a sink callback; a bad voice fails the
 * request, not the process; the synchronous helper gives 22050 Hz PCM.
 * Streaming push: a request pushed in pieces over time speaks each piece as it
 * comes, with word marks placed in the request's whole text and audio and one
 * done; cancel drops pieces in flight and waiting; interleaved requests still
 * complete in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../guarded_run.h"
#include "core/pool.h"
#include "media/g711.h"
#include "providers/tts_espeak.h"

#define SENTENCE "Your appointment is booked for Tuesday at ten"
#define MAX_REQ 8

typedef struct rec {
    hk_tts *tts;
    size_t audio[MAX_REQ];     /* bytes per request */
    int audio_calls[MAX_REQ];
    int words_calls[MAX_REQ];
    hk_word_mark marks[64];
    size_t n_marks;
    int done_ok[MAX_REQ], done_fail[MAX_REQ];
    char err[256];
    uint64_t done_order[MAX_REQ];
    int n_done;
    int order_ok;              /* words before audio before done */
    int overlap;               /* audio of a request while an earlier one had not finished */
    int close_in_words;        /* close the stream from the words callback */
    int cancel_in_done;        /* cancel from the done callback */
    double energy;             /* mean |pcm| of the audio */
} rec;

static struct ev_loop *g_loop;
static hk_pool *g_pool;
/* Runs the loop until the pool has nothing in flight (or 20 s pass). */
static void run_loop(void) {
    run_guarded(g_loop, 20.);
    assert_int_equal(hk_pool_in_flight(g_pool), 0);
}

static void on_audio(void *ud, uint64_t id, const uint8_t *ulaw, size_t n) {
    rec *r = ud;
    if (id >= MAX_REQ) return;
    if (r->words_calls[id] == 0 || r->done_ok[id] || r->done_fail[id]) r->order_ok = 0;
    for (uint64_t k = 1; k < id; k++)
        if (r->audio_calls[k] && !r->done_ok[k] && !r->done_fail[k]) r->overlap = 1;
    r->audio[id] += n;
    r->audio_calls[id]++;
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += abs(hk_ulaw_decode(ulaw[i]));
    r->energy = n ? sum / (double)n : 0;
}

static void on_words(void *ud, uint64_t id, const hk_word_mark *m, size_t n) {
    rec *r = ud;
    if (id >= MAX_REQ) return;
    /* each piece: its words, then its audio; nothing after done */
    if (r->audio_calls[id] != r->words_calls[id] || r->done_ok[id]) r->order_ok = 0;
    r->words_calls[id]++;
    for (size_t i = 0; i < n && r->n_marks < 64; i++) r->marks[r->n_marks++] = m[i];
    if (r->close_in_words) hk_tts_espeak.close(r->tts);
}

static void on_done(void *ud, uint64_t id, int ok, const char *err) {
    rec *r = ud;
    if (id >= MAX_REQ) return;
    if (ok) r->done_ok[id]++;
    else r->done_fail[id]++;
    if (err) snprintf(r->err, sizeof r->err, "%s", err);
    if (r->n_done < MAX_REQ) r->done_order[r->n_done++] = id;
    if (r->cancel_in_done) hk_tts_espeak.cancel(r->tts);
}

static hk_tts *open_tts(rec *r, const char *voice) {
    memset(r, 0, sizeof *r);
    r->order_ok = 1;
    hk_tts_sink sink = {.ud = r, .audio = on_audio, .words = on_words, .done = on_done};
    hk_tts_config cfg = {.provider = "espeak", .voice_id = voice, .rate_wpm = 0, .pitch = -1};
    char err[128];
    r->tts = hk_tts_espeak.open(g_loop, &cfg, &sink, err, sizeof err);
    assert_non_null(r->tts);
    return r->tts;
}

static int setup(void **state) {
    (void)state;
    g_loop = ev_loop_new(EVFLAG_AUTO);
    g_pool = hk_pool_new(g_loop, 2);
    hk_pool_global_set(g_pool);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    hk_pool_free(g_pool);
    ev_loop_destroy(g_loop);
    return 0;
}

static void test_sentence(void **state) {
    (void)state;
    rec r;
    hk_tts *t = open_tts(&r, NULL);
    assert_int_equal(hk_tts_espeak.speak(t, 1, SENTENCE), 0);
    run_loop();
    assert_int_equal(r.done_ok[1], 1);
    assert_int_equal(r.done_fail[1], 0);
    assert_int_equal(r.audio_calls[1], 1);
    assert_int_equal(r.words_calls[1], 1);
    assert_true(r.order_ok);
    /* 8 kHz mu-law: one byte per sample */
    assert_in_range(r.audio[1], 8000 * 3 / 2, 8000 * 5);
    assert_true(r.energy > 300); /* speech, not silence */
    /* one mark per word, in order, each naming its word of the text */
    static const char *words[] = {"Your", "appointment", "is", "booked", "for", "Tuesday", "at", "ten"};
    assert_int_equal(r.n_marks, 8);
    for (size_t i = 0; i < r.n_marks; i++) {
        const hk_word_mark *m = &r.marks[i];
        assert_int_equal(m->text_len, strlen(words[i]));
        assert_memory_equal(&SENTENCE[m->text_pos], words[i], m->text_len);
        if (i > 0) assert_true(m->audio_ms > r.marks[i - 1].audio_ms);
        assert_true(m->audio_ms < r.audio[1] / 8);
    }
    hk_tts_espeak.close(t);
}

/* Positions are bytes even when the text has multi-byte characters. */
static void test_utf8_marks(void **state) {
    (void)state;
    const char *text = "Café crème, naïve résumé please";
    rec r;
    hk_tts *t = open_tts(&r, "en-us");
    assert_int_equal(hk_tts_espeak.speak(t, 1, text), 0);
    run_loop();
    assert_int_equal(r.done_ok[1], 1);
    assert_true(r.n_marks >= 4);
    const hk_word_mark *last = &r.marks[r.n_marks - 1];
    assert_int_equal(last->text_len, 6);
    assert_memory_equal(text + last->text_pos, "please", 6);
    for (size_t i = 0; i < r.n_marks; i++) {
        assert_true(r.marks[i].text_pos + r.marks[i].text_len <= strlen(text));
        /* never in the middle of a UTF-8 sequence */
        assert_true(((unsigned char)text[r.marks[i].text_pos] & 0xC0) != 0x80);
    }
    hk_tts_espeak.close(t);
}

static void test_requests_in_order(void **state) {
    (void)state;
    rec r;
    hk_tts *t = open_tts(&r, "en-us");
    assert_int_equal(hk_tts_espeak.speak(t, 1, "One."), 0);
    assert_int_equal(hk_tts_espeak.speak(t, 2, "This second request is a good deal longer than the first."), 0);
    assert_int_equal(hk_tts_espeak.speak(t, 3, ""), 0); /* empty: done, no audio */
    assert_int_equal(hk_tts_espeak.speak(t, 4, "Four."), 0);
    run_loop();
    assert_int_equal(r.n_done, 4);
    for (int i = 0; i < 4; i++) assert_int_equal(r.done_order[i], (uint64_t)i + 1);
    assert_int_equal(r.done_ok[3], 1);
    assert_int_equal(r.audio_calls[3], 0);
    assert_true(r.audio[2] > r.audio[1]);
    hk_tts_espeak.close(t);
}

static void test_cancel(void **state) {
    (void)state;
    rec r;
    hk_tts *t = open_tts(&r, "en-us");
    assert_int_equal(hk_tts_espeak.speak(t, 1, SENTENCE), 0);
    assert_int_equal(hk_tts_espeak.speak(t, 2, SENTENCE), 0);
    hk_tts_espeak.cancel(t);
    run_loop();
    assert_int_equal(r.n_done, 0);
    assert_int_equal(r.audio_calls[1] + r.audio_calls[2], 0);
    assert_int_equal(r.words_calls[1] + r.words_calls[2], 0);
    /* a cancelled stream keeps working for new requests */
    assert_int_equal(hk_tts_espeak.speak(t, 3, "Still here."), 0);
    run_loop();
    assert_int_equal(r.done_ok[3], 1);
    assert_true(r.audio[3] > 0);
    /* cancel from inside done() drops the requests behind it */
    r.cancel_in_done = 1;
    assert_int_equal(hk_tts_espeak.speak(t, 4, "Four."), 0);
    assert_int_equal(hk_tts_espeak.speak(t, 5, "Five."), 0);
    run_loop();
    assert_int_equal(r.done_ok[4], 1);
    assert_int_equal(r.done_ok[5] + r.done_fail[5] + r.audio_calls[5], 0);
    hk_tts_espeak.close(t);
}

static void test_close_with_jobs_in_flight(void **state) {
    (void)state;
    rec r;
    hk_tts *t = open_tts(&r, "en-us");
    assert_int_equal(hk_tts_espeak.speak(t, 1, SENTENCE), 0);
    assert_int_equal(hk_tts_espeak.speak(t, 2, SENTENCE), 0);
    hk_tts_espeak.close(t);
    run_loop(); /* the last done() frees the stream (ASan checks) */
    assert_int_equal(r.n_done, 0);
    assert_int_equal(r.audio_calls[1] + r.audio_calls[2], 0);

    /* close from a sink callback: nothing more for this or later requests;
     * speak on the closed stream (still alive: jobs in flight) is refused */
    t = open_tts(&r, "en-us");
    r.close_in_words = 1;
    assert_int_equal(hk_tts_espeak.speak(t, 1, SENTENCE), 0);
    assert_int_equal(hk_tts_espeak.speak(t, 2, SENTENCE), 0);
    assert_int_equal(hk_tts_espeak.speak(t, 3, SENTENCE), 0);
    ev_run(g_loop, EVRUN_ONCE); /* until the first result: words -> close */
    while (r.words_calls[1] == 0) ev_run(g_loop, EVRUN_ONCE);
    assert_int_equal(hk_tts_espeak.speak(t, 4, SENTENCE), -1);
    run_loop();
    assert_int_equal(r.words_calls[1], 1);
    assert_int_equal(r.audio_calls[1] + r.n_done + r.words_calls[2] + r.words_calls[3], 0);
}

static void test_bad_voice(void **state) {
    (void)state;
    rec r;
    hk_tts *t = open_tts(&r, "xx-no-such-voice");
    assert_int_equal(hk_tts_espeak.speak(t, 1, SENTENCE), 0);
    run_loop();
    assert_int_equal(r.done_fail[1], 1);
    assert_int_equal(r.audio_calls[1], 0);
    assert_non_null(strstr(r.err, "xx-no-such-voice"));
    hk_tts_espeak.close(t);
    /* the engine still works for a good voice afterwards */
    t = open_tts(&r, "en-us");
    assert_int_equal(hk_tts_espeak.speak(t, 1, "Fine."), 0);
    run_loop();
    assert_int_equal(r.done_ok[1], 1);
    hk_tts_espeak.close(t);
}

static void test_rate_changes_length(void **state) {
    (void)state;
    rec slow, fast;
    hk_tts_sink s1 = {.ud = &slow, .audio = on_audio, .words = on_words, .done = on_done};
    hk_tts_sink s2 = {.ud = &fast, .audio = on_audio, .words = on_words, .done = on_done};
    memset(&slow, 0, sizeof slow);
    memset(&fast, 0, sizeof fast);
    hk_tts_config c1 = {.voice_id = "en-us", .rate_wpm = 120, .pitch = 30};
    hk_tts_config c2 = {.voice_id = "en-us", .rate_wpm = 300, .pitch = 70};
    char err[128];
    hk_tts *a = hk_tts_espeak.open(g_loop, &c1, &s1, err, sizeof err);
    hk_tts *b = hk_tts_espeak.open(g_loop, &c2, &s2, err, sizeof err);
    assert_non_null(a);
    assert_non_null(b);
    hk_tts_espeak.speak(a, 1, SENTENCE);
    hk_tts_espeak.speak(b, 1, SENTENCE);
    run_loop();
    assert_true(slow.audio[1] > fast.audio[1] * 3 / 2);
    hk_tts_espeak.close(a);
    hk_tts_espeak.close(b);
}

static void test_sync_pcm(void **state) {
    (void)state;
    int16_t *pcm = NULL;
    size_t n = 0;
    int rate = 0;
    assert_int_equal(hk_espeak_synth_pcm(SENTENCE, NULL, 0, &pcm, &n, &rate), 0);
    assert_int_equal(rate, 22050);
    assert_in_range(n, 22050 * 3 / 2, 22050 * 5);
    free(pcm);
    assert_int_equal(hk_espeak_synth_pcm("", "en-us", 175, &pcm, &n, &rate), 0);
    assert_int_equal(n, 0);
    free(pcm);
    assert_int_equal(hk_espeak_synth_pcm("Hello", "xx-no-such-voice", 0, &pcm, &n, &rate), -1);
}

/* The words of the request's whole text, one mark each, in order. */
static void check_marks(const rec *r, size_t from, const char *text, const char *const *words, size_t n,
                        size_t audio_bytes) {
    assert_true(from + n <= r->n_marks);
    for (size_t i = 0; i < n; i++) {
        const hk_word_mark *m = &r->marks[from + i];
        assert_int_equal(m->text_len, strlen(words[i]));
        assert_true(m->text_pos + m->text_len <= strlen(text));
        assert_memory_equal(&text[m->text_pos], words[i], m->text_len);
        if (i > 0) assert_true(m->audio_ms > r->marks[from + i - 1].audio_ms);
        assert_true(m->audio_ms < audio_bytes / 8);
    }
}

static void test_push_pieces(void **state) {
    (void)state;
    static const char *pieces[] = {"Your appointment is booked", " for Tuesday", " at ten"};
    static const char *words[] = {"Your", "appointment", "is", "booked", "for", "Tuesday", "at", "ten"};
    rec r;
    hk_tts *t = open_tts(&r, "en-us");
    assert_int_equal(hk_tts_espeak.push(t, 1, pieces[0], 1, 0), 0);
    run_loop();
    /* piece 1 is heard before the rest of the request exists */
    assert_int_equal(r.audio_calls[1], 1);
    assert_int_equal(r.n_done, 0);
    assert_int_equal(r.n_marks, 4);
    size_t audio1 = r.audio[1];
    assert_true(audio1 > 8000 / 2);
    assert_int_equal(hk_tts_espeak.push(t, 1, pieces[1], 0, 0), 0);
    run_loop();
    assert_int_equal(r.audio_calls[1], 2);
    assert_int_equal(r.n_done, 0);
    assert_int_equal(hk_tts_espeak.push(t, 1, pieces[2], 1, 1), 0);
    assert_int_equal(hk_tts_espeak.push(t, 1, " more", 1, 1), -1); /* ended */
    run_loop();
    assert_int_equal(r.audio_calls[1], 3);
    assert_int_equal(r.done_ok[1], 1);
    assert_int_equal(r.n_done, 1);
    assert_true(r.order_ok);
    /* marks: positions in the whole text, times in the whole audio */
    assert_int_equal(r.n_marks, 8);
    check_marks(&r, 0, SENTENCE, words, 8, r.audio[1]);
    assert_true(r.marks[4].audio_ms >= audio1 / 8); /* "for" comes after piece 1's audio */
    assert_int_equal(r.marks[4].text_pos, strlen(pieces[0]) + 1);

    /* the same text spoken at once has the same marks, roughly the same times */
    rec w;
    hk_tts *t2 = open_tts(&w, "en-us");
    assert_int_equal(hk_tts_espeak.speak(t2, 1, SENTENCE), 0);
    run_loop();
    for (size_t i = 0; i < 8; i++) assert_int_equal(w.marks[i].text_pos, r.marks[i].text_pos);
    assert_in_range(r.audio[1], w.audio[1] / 2, w.audio[1] * 2);
    /* ids only increase: an old id is refused */
    assert_int_equal(hk_tts_espeak.push(t, 1, "again", 1, 1), -1);
    /* an empty last push ends a request (what the chunker's consumer sends) */
    assert_int_equal(hk_tts_espeak.push(t, 2, "Bye", 1, 0), 0);
    assert_int_equal(hk_tts_espeak.push(t, 2, "", 0, 0), 0);
    assert_int_equal(hk_tts_espeak.push(t, 2, "", 1, 1), 0);
    run_loop();
    assert_int_equal(r.done_ok[2], 1);
    assert_int_equal(r.audio_calls[2], 1);
    hk_tts_espeak.close(t);
    hk_tts_espeak.close(t2);
}

static void test_push_cancel(void **state) {
    (void)state;
    rec r;
    hk_tts *t = open_tts(&r, "en-us");
    assert_int_equal(hk_tts_espeak.push(t, 1, "This is the first piece", 1, 0), 0);
    run_loop();
    assert_int_equal(r.audio_calls[1], 1);
    /* pieces in flight (submitted) and a later request's pieces waiting */
    assert_int_equal(hk_tts_espeak.push(t, 1, " and this is the second", 1, 0), 0);
    assert_int_equal(hk_tts_espeak.push(t, 1, " and a third", 1, 0), 0);
    assert_int_equal(hk_tts_espeak.push(t, 2, "Waiting behind one.", 1, 1), 0);
    hk_tts_espeak.cancel(t);
    run_loop();
    assert_int_equal(r.audio_calls[1], 1);
    assert_int_equal(r.audio_calls[2] + r.words_calls[2], 0);
    assert_int_equal(r.n_done, 0);
    assert_int_equal(r.n_marks, 5);
    /* the cancelled request takes no more text; new ones work */
    assert_int_equal(hk_tts_espeak.push(t, 1, " end", 1, 1), -1);
    assert_int_equal(hk_tts_espeak.push(t, 3, "Still ", 1, 0), 0);
    assert_int_equal(hk_tts_espeak.push(t, 3, "here.", 1, 1), 0);
    run_loop();
    assert_int_equal(r.done_ok[3], 1);
    assert_int_equal(r.audio_calls[3], 2);
    /* close with pieces waiting frees them (ASan) */
    assert_int_equal(hk_tts_espeak.push(t, 4, "Open", 1, 0), 0);
    assert_int_equal(hk_tts_espeak.push(t, 5, "Waiting", 1, 0), 0);
    hk_tts_espeak.close(t);
    run_loop();
    assert_int_equal(r.n_done, 1);
}

static void test_push_interleaved(void **state) {
    (void)state;
    static const char *t1 = "One is the first request.";
    static const char *t2 = "Two comes after it.";
    static const char *w1[] = {"One", "is", "the", "first", "request"};
    static const char *w2[] = {"Two", "comes", "after", "it"};
    rec r;
    hk_tts *t = open_tts(&r, "en-us");
    assert_int_equal(hk_tts_espeak.push(t, 1, "One is", 1, 0), 0);
    assert_int_equal(hk_tts_espeak.push(t, 2, "Two comes", 1, 0), 0);
    run_loop();
    /* request 2 waits until request 1 has all its text */
    assert_int_equal(r.audio_calls[1], 1);
    assert_int_equal(r.audio_calls[2], 0);
    assert_int_equal(hk_tts_espeak.push(t, 2, " after it.", 1, 1), 0);
    run_loop();
    assert_int_equal(r.audio_calls[2], 0);
    assert_int_equal(hk_tts_espeak.push(t, 1, " the first", 1, 0), 0);
    assert_int_equal(hk_tts_espeak.push(t, 1, " request.", 1, 1), 0);
    run_loop();
    assert_int_equal(r.n_done, 2);
    assert_int_equal(r.done_order[0], 1);
    assert_int_equal(r.done_order[1], 2);
    assert_int_equal(r.done_ok[1] + r.done_ok[2], 2);
    assert_false(r.overlap);
    assert_true(r.order_ok);
    assert_int_equal(r.audio_calls[1], 3);
    assert_int_equal(r.audio_calls[2], 2);
    assert_int_equal(r.n_marks, 9);
    check_marks(&r, 0, t1, w1, 5, r.audio[1]);
    check_marks(&r, 5, t2, w2, 4, r.audio[2]);
    /* all at once, in any interleaving: still in order */
    assert_int_equal(hk_tts_espeak.push(t, 3, "Three", 1, 0), 0);
    assert_int_equal(hk_tts_espeak.push(t, 4, "Four", 1, 0), 0);
    assert_int_equal(hk_tts_espeak.push(t, 5, "Five", 1, 1), 0);
    assert_int_equal(hk_tts_espeak.push(t, 4, " more", 1, 1), 0);
    assert_int_equal(hk_tts_espeak.push(t, 3, " more", 1, 1), 0);
    run_loop();
    assert_int_equal(r.n_done, 5);
    for (int i = 2; i < 5; i++) assert_int_equal(r.done_order[i], (uint64_t)i + 1);
    assert_false(r.overlap);
    hk_tts_espeak.close(t);
}

/* A failed piece fails the request once; its later pieces say nothing. */
static void test_push_failure(void **state) {
    (void)state;
    rec r;
    hk_tts *t = open_tts(&r, "xx-no-such-voice");
    assert_int_equal(hk_tts_espeak.push(t, 1, "First", 1, 0), 0);
    assert_int_equal(hk_tts_espeak.push(t, 1, " second", 1, 0), 0);
    run_loop();
    assert_int_equal(r.done_fail[1], 1);
    assert_int_equal(hk_tts_espeak.push(t, 1, " third", 1, 1), 0);
    run_loop();
    assert_int_equal(r.done_fail[1], 1);
    assert_int_equal(r.n_done, 1);
    assert_int_equal(r.audio_calls[1], 0);
    hk_tts_espeak.close(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sentence),
        cmocka_unit_test(test_utf8_marks),
        cmocka_unit_test(test_requests_in_order),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_close_with_jobs_in_flight),
        cmocka_unit_test(test_bad_voice),
        cmocka_unit_test(test_rate_changes_length),
        cmocka_unit_test(test_sync_pcm),
        cmocka_unit_test(test_push_pieces),
        cmocka_unit_test(test_push_cancel),
        cmocka_unit_test(test_push_interleaved),
        cmocka_unit_test(test_push_failure),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
