/* tests/unit/media/test_recorder: samples land at round(t * rate) on their own
 * channel, the recording covers the furthest write with silence in the gaps,
 * it grows past its first 30 s, and the stereo WAV reads back sample for sample.
 * The file recorder (chunks written on a real pool) gives the same WAV as the
 * in-memory one (also with frames out of order, late inside the window,
 * overwritten, with gaps, and ending mid-chunk), zeroes every gap in chunk
 * memory it reuses, keeps its memory flat over a 10-minute call, and reports
 * an unwritable directory without crashing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <ev.h>
#include <sys/stat.h>

#include "core/pool.h"
#include "media/recorder.h"
#include "media/wav.h"

#define RATE 8000

static void fill(int16_t *pcm, size_t n, int16_t first)
{
    for (size_t i = 0; i < n; i++) pcm[i] = (int16_t)(first + (int16_t)i);
}

static void assert_silent(const int16_t *ch, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) assert_int_equal(ch[i], 0);
}

/* Creates the file named by the mkstemp template path; the caller unlinks it. */
static void make_temp(char *path)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

static void test_empty(void **state)
{
    (void)state;
    hk_recorder *r = hk_recorder_new(RATE);
    assert_non_null(r);
    assert_int_equal(hk_recorder_frames(r), 0);
    assert_int_equal(hk_recorder_frames(NULL), 0);
    /* a call hung up before any audio still leaves a well-formed (empty) file */
    char path[] = "/tmp/hark_test_recorder_XXXXXX";
    make_temp(path);
    char err[256] = "";
    assert_int_equal(hk_recorder_write_wav(r, path, err, sizeof err), 0);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    assert_int_equal(ftell(fp), 44);
    fclose(fp);
    unlink(path);
    hk_recorder_free(r);
    hk_recorder_free(NULL);
}

static void test_samples_land_at_rounded_time(void **state)
{
    (void)state;
    hk_recorder *r = hk_recorder_new(RATE);
    int16_t pcm[100];
    fill(pcm, 100, 1);
    hk_recorder_put(r, HK_REC_CALLER, 0.5, pcm, 100); /* 0.5 * 8000 = 4000 */
    assert_int_equal(hk_recorder_frames(r), 4100);
    const int16_t *caller = hk_recorder_channel(r, HK_REC_CALLER);
    assert_silent(caller, 0, 4000);
    for (int i = 0; i < 100; i++) assert_int_equal(caller[4000 + i], i + 1);

    /* times between samples round to the nearest one */
    int16_t one = 777;
    hk_recorder_put(r, HK_REC_CALLER, 10.4 / RATE, &one, 1);
    hk_recorder_put(r, HK_REC_CALLER, 20.6 / RATE, &one, 1);
    caller = hk_recorder_channel(r, HK_REC_CALLER);
    assert_int_equal(caller[10], 777);
    assert_int_equal(caller[11], 0);
    assert_int_equal(caller[20], 0);
    assert_int_equal(caller[21], 777);
    hk_recorder_free(r);
}

static void test_channels_are_independent_and_aligned(void **state)
{
    (void)state;
    hk_recorder *r = hk_recorder_new(RATE);
    int16_t a[160], b[160];
    fill(a, 160, 100);
    fill(b, 160, -300);
    /* both sides speak at the same call time: same frame index */
    hk_recorder_put(r, HK_REC_CALLER, 1.0, a, 160);
    hk_recorder_put(r, HK_REC_AGENT, 1.0, b, 160);
    const int16_t *caller = hk_recorder_channel(r, HK_REC_CALLER);
    const int16_t *agent = hk_recorder_channel(r, HK_REC_AGENT);
    for (int i = 0; i < 160; i++) {
        assert_int_equal(caller[8000 + i], 100 + i);
        assert_int_equal(agent[8000 + i], -300 + i);
    }
    /* rewriting one side leaves the other alone */
    int16_t z[40] = {0};
    hk_recorder_put(r, HK_REC_AGENT, 1.0, z, 40);
    caller = hk_recorder_channel(r, HK_REC_CALLER);
    agent = hk_recorder_channel(r, HK_REC_AGENT);
    for (int i = 0; i < 160; i++) assert_int_equal(caller[8000 + i], 100 + i);
    assert_silent(agent, 8000, 8040);
    assert_int_equal(agent[8040], -300 + 40);
    hk_recorder_free(r);
}

static void test_length_covers_furthest_write_and_gaps_are_silent(void **state)
{
    (void)state;
    hk_recorder *r = hk_recorder_new(RATE);
    int16_t pcm[80];
    fill(pcm, 80, 1);
    hk_recorder_put(r, HK_REC_AGENT, 2.0, pcm, 80);
    assert_int_equal(hk_recorder_frames(r), 16080);
    hk_recorder_put(r, HK_REC_CALLER, 1.0, pcm, 80); /* earlier: length stays */
    assert_int_equal(hk_recorder_frames(r), 16080);
    hk_recorder_put(r, HK_REC_CALLER, 2.005, pcm, 80); /* 16040..16120 */
    assert_int_equal(hk_recorder_frames(r), 16120);

    const int16_t *caller = hk_recorder_channel(r, HK_REC_CALLER);
    const int16_t *agent = hk_recorder_channel(r, HK_REC_AGENT);
    assert_silent(caller, 0, 8000);
    assert_silent(caller, 8080, 16040);
    assert_silent(agent, 0, 16000);
    assert_silent(agent, 16080, 16120); /* the caller spoke longer: agent is silent there */
    hk_recorder_free(r);
}

static void test_grows_past_thirty_seconds(void **state)
{
    (void)state;
    hk_recorder *r = hk_recorder_new(RATE);
    size_t n = RATE; /* one second, straddling the first 30 s */
    int16_t *pcm = malloc(n * sizeof *pcm);
    assert_non_null(pcm);
    fill(pcm, n, -4000);
    hk_recorder_put(r, HK_REC_CALLER, 29.5, pcm, n);
    assert_int_equal(hk_recorder_frames(r), 30 * RATE + RATE / 2);
    hk_recorder_put(r, HK_REC_AGENT, 75.0, pcm, n); /* past a doubling too */
    assert_int_equal(hk_recorder_frames(r), 76 * RATE);

    const int16_t *caller = hk_recorder_channel(r, HK_REC_CALLER);
    const int16_t *agent = hk_recorder_channel(r, HK_REC_AGENT);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(caller[29 * RATE + RATE / 2 + i], pcm[i]);
        assert_int_equal(agent[75 * RATE + i], pcm[i]);
    }
    assert_silent(caller, 30 * RATE + RATE / 2, 76 * RATE);
    assert_silent(agent, 0, 75 * RATE);
    free(pcm);
    hk_recorder_free(r);
}

static void test_bad_writes_are_ignored(void **state)
{
    (void)state;
    hk_recorder *r = hk_recorder_new(RATE);
    int16_t pcm[4] = {1, 2, 3, 4};
    hk_recorder_put(r, 2, 0.0, pcm, 4);
    hk_recorder_put(r, -1, 0.0, pcm, 4);
    hk_recorder_put(r, HK_REC_CALLER, -0.5, pcm, 4);
    hk_recorder_put(r, HK_REC_CALLER, NAN, pcm, 4);
    hk_recorder_put(r, HK_REC_CALLER, INFINITY, pcm, 4);
    hk_recorder_put(NULL, HK_REC_CALLER, 0.0, pcm, 4);
    assert_int_equal(hk_recorder_frames(r), 0);
    /* an empty chunk (a TTS stream that produced nothing) is not an error */
    hk_recorder_put(r, HK_REC_AGENT, 0.0, NULL, 0);
    assert_int_equal(hk_recorder_frames(r), 0);
    hk_recorder_free(r);
}

static void test_write_wav_round_trip(void **state)
{
    (void)state;
    hk_recorder *r = hk_recorder_new(RATE);
    int16_t a[800], b[400];
    fill(a, 800, -32000);
    fill(b, 400, 32000 - 400);
    hk_recorder_put(r, HK_REC_CALLER, 0.1, a, 800);
    hk_recorder_put(r, HK_REC_AGENT, 0.25, b, 400);
    size_t frames = hk_recorder_frames(r);
    assert_int_equal(frames, 2400);

    char path[] = "/tmp/hark_test_recorder_XXXXXX";
    make_temp(path);
    char err[256] = "";
    assert_int_equal(hk_recorder_write_wav(r, path, err, sizeof err), 0);

    hk_wav w = {0};
    int rc = hk_wav_read_file(path, &w, err, sizeof err);
    unlink(path);
    assert_int_equal(rc, 0);
    assert_int_equal(w.rate, RATE);
    assert_int_equal(w.channels, 2);
    assert_int_equal(w.frames, frames);
    const int16_t *caller = hk_recorder_channel(r, HK_REC_CALLER);
    const int16_t *agent = hk_recorder_channel(r, HK_REC_AGENT);
    for (size_t i = 0; i < frames; i++) {
        assert_int_equal(w.samples[2 * i], caller[i]);
        assert_int_equal(w.samples[2 * i + 1], agent[i]);
    }
    assert_int_equal(w.samples[2 * 800], -32000);
    assert_int_equal(w.samples[2 * 2000 + 1], 32000 - 400);
    hk_wav_free(&w);
    hk_recorder_free(r);
}

/* ---- file mode ---- */

typedef struct closed {
    int called, rc;
    char err[300];
    size_t frames, dropped;
} closed;

static void on_closed(void *ud, const hk_recorder_result *res)
{
    closed *c = ud;
    c->called++;
    c->rc = res->rc;
    c->frames = res->frames;
    c->dropped = res->dropped;
    snprintf(c->err, sizeof c->err, "%s", res->err ? res->err : "");
}

static void close_and_wait(struct ev_loop *loop, hk_recorder *r, closed *c)
{
    hk_recorder_close(r, on_closed, c);
    while (!c->called) ev_run(loop, EVRUN_ONCE);
}

/* A call-like script: caller frames every 20 ms, the agent speaking in bursts
 * at the same call times, one frame a little late, a silent stretch. */
static void feed_script(hk_recorder *r, int seconds, struct ev_loop *loop, hk_pool *pool)
{
    int16_t a[160], b[160];
    for (int k = 0; k < seconds * 50; k++) {
        double t = k * 0.02;
        fill(a, 160, (int16_t)(k * 7));
        fill(b, 160, (int16_t)(-k * 5));
        if (k % 250 < 200) hk_recorder_put(r, HK_REC_CALLER, t, a, 160);
        if (k % 100 > 40) hk_recorder_put(r, HK_REC_AGENT, t + 0.0001, b, 160);
        if (k % 37 == 0 && k > 5) hk_recorder_put(r, HK_REC_AGENT, t - 0.1, a, 80); /* late */
        /* in real time the pool has 0.5 s per chunk: let it finish them */
        while (loop && k % 10 == 0 && hk_pool_in_flight(pool) > 0) ev_run(loop, EVRUN_ONCE);
    }
}

static void test_file_matches_memory(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    hk_pool *pool = hk_pool_new(loop, 2);
    char dir[] = "/tmp/hark_test_recdir_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], part[300], mpath[256];
    snprintf(path, sizeof path, "%s/CA1.wav", dir);
    snprintf(part, sizeof part, "%s.part", path);
    snprintf(mpath, sizeof mpath, "%s/mem.wav", dir);

    hk_recorder *m = hk_recorder_new(RATE);
    hk_recorder *f = hk_recorder_new_file(RATE, path, pool);
    assert_non_null(f);
    feed_script(m, 7, NULL, NULL);
    feed_script(f, 7, loop, pool);
    assert_int_equal(hk_recorder_frames(f), hk_recorder_frames(m));
    assert_null(hk_recorder_channel(f, HK_REC_CALLER));
    char err[256] = "";
    assert_int_equal(hk_recorder_write_wav(m, mpath, err, sizeof err), 0);

    closed c = {0};
    close_and_wait(loop, f, &c);
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.dropped, 0);
    assert_int_equal(c.frames, hk_recorder_frames(m));
    assert_int_equal(access(part, F_OK), -1); /* renamed */

    /* byte for byte: header sizes and every sample */
    FILE *a = fopen(path, "rb"), *b = fopen(mpath, "rb");
    assert_non_null(a);
    assert_non_null(b);
    int ca, cb;
    long n = 0;
    do {
        ca = fgetc(a);
        cb = fgetc(b);
        if (ca != cb) fail_msg("file and memory WAVs differ at byte %ld", n);
        n++;
    } while (ca != EOF);
    fclose(a);
    fclose(b);
    assert_int_equal(n - 1, 44 + (long)hk_recorder_frames(m) * 4);

    hk_wav w = {0};
    assert_int_equal(hk_wav_read_file(path, &w, err, sizeof err), 0);
    assert_int_equal(w.channels, 2);
    assert_int_equal(w.frames, hk_recorder_frames(m));
    const int16_t *caller = hk_recorder_channel(m, HK_REC_CALLER);
    const int16_t *agent = hk_recorder_channel(m, HK_REC_AGENT);
    for (size_t i = 0; i < w.frames; i++) {
        assert_int_equal(w.samples[2 * i], caller[i]);
        assert_int_equal(w.samples[2 * i + 1], agent[i]);
    }
    hk_wav_free(&w);
    hk_recorder_free(m);
    unlink(path);
    unlink(mpath);
    rmdir(dir);
    hk_pool_free(pool);
    ev_loop_destroy(loop);
}

/* The file recorder's WAV at path holds exactly what the in-memory recorder m
 * holds: header sizes and every sample of both channels. */
static void assert_file_is_memory(const char *path, const hk_recorder *m)
{
    hk_wav w = {0};
    char err[256] = "";
    assert_int_equal(hk_wav_read_file(path, &w, err, sizeof err), 0);
    assert_int_equal(w.rate, RATE);
    assert_int_equal(w.channels, 2);
    assert_int_equal(w.frames, hk_recorder_frames(m));
    const int16_t *caller = hk_recorder_channel(m, HK_REC_CALLER);
    const int16_t *agent = hk_recorder_channel(m, HK_REC_AGENT);
    for (size_t i = 0; i < w.frames; i++) {
        if (w.samples[2 * i] != caller[i] || w.samples[2 * i + 1] != agent[i])
            fail_msg("frame %zu: file %d/%d, memory %d/%d", i, w.samples[2 * i],
                     w.samples[2 * i + 1], caller[i], agent[i]);
    }
    hk_wav_free(&w);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 44 + (long)hk_recorder_frames(m) * 4);
}

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* Writes as a busy worker might deliver them, to both recorders alike: the
 * caller every 20 ms with dropouts, the agent in bursts of odd lengths that
 * cross chunk edges, some frames out of order (a later one first) or late by
 * up to 0.375 s (inside the window), overwrites of what a channel already
 * holds, channels silent for whole chunks after their memory was reused. */
static void feed_random_step(hk_recorder *m, hk_recorder *f, uint32_t *seed, double t, int k)
{
    int16_t pcm[600 + 11]; /* read from pcm + 11 up to 600 long */
    uint32_t s = *seed;
    {
        hk_recorder *both[2] = {m, f};
        fill(pcm, 611, (int16_t)(lcg(&s) % 20000 - 10000) | 1);
        uint32_t dice = lcg(&s) % 100;
        size_t len = 1 + lcg(&s) % 600;
        double late = (double)(lcg(&s) % 3000) / RATE; /* < 0.375 s */
        for (int i = 0; i < 2; i++) {
            if (dice >= 10 && (k / 60) % 4 != 3) /* caller: dropouts, 1.2 s pauses */
                hk_recorder_put(both[i], HK_REC_CALLER, t, pcm, 160);
            if (dice < 30) { /* out of order: the next frame first, then this one */
                hk_recorder_put(both[i], HK_REC_AGENT, t + 0.02, pcm + 7, 160);
                hk_recorder_put(both[i], HK_REC_AGENT, t, pcm + 3, 160);
            } else if (dice < 45 && t > late) {
                hk_recorder_put(both[i], HK_REC_AGENT, t - late, pcm, len);
            } else if (dice < 60 && (k / 100) % 3 != 2) { /* odd lengths, skipping some */
                hk_recorder_put(both[i], HK_REC_AGENT, t + 0.003, pcm + 11, len);
            }
        }
    }
    *seed = s;
}

static void feed_random(hk_recorder *m, hk_recorder *f, uint32_t seed, double seconds,
                        struct ev_loop *loop, hk_pool *pool)
{
    int k = 0;
    for (double t = 0; t < seconds; t += 0.02, k++) {
        feed_random_step(m, f, &seed, t, k);
        while (k % 10 == 0 && hk_pool_in_flight(pool) > 0) ev_run(loop, EVRUN_ONCE);
    }
}

static void test_file_matches_memory_out_of_order_and_gaps(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    hk_pool *pool = hk_pool_new(loop, 2);
    char dir[] = "/tmp/hark_test_recdir_XXXXXX";
    assert_non_null(mkdtemp(dir));
    for (uint32_t seed = 1; seed <= 6; seed++) {
        char path[256];
        snprintf(path, sizeof path, "%s/CA%u.wav", dir, seed);
        hk_recorder *m = hk_recorder_new(RATE);
        hk_recorder *f = hk_recorder_new_file(RATE, path, pool);
        assert_non_null(f);
        /* ends anywhere in a chunk, on either channel */
        feed_random(m, f, seed, 9.0 + seed * 0.137, loop, pool);
        assert_int_equal(hk_recorder_frames(f), hk_recorder_frames(m));
        assert_int_equal(hk_recorder_dropped(f), 0);
        closed c = {0};
        close_and_wait(loop, f, &c);
        assert_int_equal(c.rc, 0);
        assert_int_equal(c.dropped, 0);
        assert_file_is_memory(path, m);
        hk_recorder_free(m);
        unlink(path);
    }
    assert_int_equal(rmdir(dir), 0);
    hk_pool_free(pool);
    ev_loop_destroy(loop);
}

/* Many recordings at once, as in a worker: their chunks are written together
 * (one pool job carries many), some on a second pool, calls ending (or
 * dropped unsaved) while the others go on. Each file still equals its
 * in-memory twin. */
static void test_file_many_recordings_at_once(void **state)
{
    (void)state;
    enum { N = 24 };
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    hk_pool *pools[2] = {hk_pool_new(loop, 2), hk_pool_new(loop, 1)};
    char dir[] = "/tmp/hark_test_recdir_XXXXXX";
    assert_non_null(mkdtemp(dir));
    hk_recorder *m[N], *f[N];
    uint32_t seed[N];
    closed c[N];
    char path[N][256];
    memset(c, 0, sizeof c);
    for (int i = 0; i < N; i++) {
        snprintf(path[i], sizeof path[i], "%s/CA%d.wav", dir, i);
        m[i] = hk_recorder_new(RATE);
        f[i] = hk_recorder_new_file(RATE, path[i], pools[i % 5 == 4]);
        assert_non_null(f[i]);
        seed[i] = 100 + (uint32_t)i;
    }
    /* call i lasts 2 + 0.23 i seconds; every seventh is dropped unsaved */
    for (int k = 0; k < 400; k++) {
        double t = k * 0.02;
        for (int i = 0; i < N; i++) {
            if (!f[i]) continue;
            if (t >= 2 + 0.23 * i) {
                if (i % 7 == 6) {
                    hk_recorder_free(f[i]);
                    c[i].called = -1;
                } else {
                    hk_recorder_close(f[i], on_closed, &c[i]);
                }
                f[i] = NULL;
                continue;
            }
            feed_random_step(m[i], f[i], &seed[i], t, k);
        }
        ev_run(loop, EVRUN_NOWAIT);
        for (int p = 0; p < 2; p++)
            while (k % 10 == 0 && hk_pool_in_flight(pools[p]) > 0) ev_run(loop, EVRUN_ONCE);
    }
    for (int i = 0; i < N; i++)
        if (f[i]) hk_recorder_close(f[i], on_closed, &c[i]);
    for (int p = 0; p < 2; p++)
        while (hk_pool_in_flight(pools[p]) > 0) ev_run(loop, EVRUN_ONCE);
    for (int i = 0; i < N; i++) {
        if (c[i].called == -1) {
            assert_int_equal(access(path[i], F_OK), -1);
        } else {
            assert_int_equal(c[i].called, 1);
            assert_int_equal(c[i].rc, 0);
            assert_int_equal(c[i].dropped, 0);
            assert_int_equal(c[i].frames, hk_recorder_frames(m[i]));
            assert_file_is_memory(path[i], m[i]);
            unlink(path[i]);
        }
        hk_recorder_free(m[i]);
    }
    assert_int_equal(rmdir(dir), 0);
    hk_pool_free(pools[0]);
    hk_pool_free(pools[1]);
    ev_loop_destroy(loop);
}

/* A worker frees its pool right after its last calls end: recordings closed
 * just before (their jobs still waiting) are finished by hk_pool_free, done
 * called, files complete. */
static void test_file_close_then_pool_free_finishes(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    hk_pool *pool = hk_pool_new(loop, 2);
    char dir[] = "/tmp/hark_test_recdir_XXXXXX";
    assert_non_null(mkdtemp(dir));
    enum { N = 5 };
    hk_recorder *f[N];
    closed c[N];
    char path[N][256];
    memset(c, 0, sizeof c);
    int16_t a[160];
    fill(a, 160, 9);
    for (int i = 0; i < N; i++) {
        snprintf(path[i], sizeof path[i], "%s/CA%d.wav", dir, i);
        f[i] = hk_recorder_new_file(RATE, path[i], pool);
    }
    for (int k = 0; k < 100; k++) /* 2 s, the pool never let finish */
        for (int i = 0; i < N; i++) hk_recorder_put(f[i], HK_REC_CALLER, k * 0.02, a, 160);
    for (int i = 0; i < N; i++) hk_recorder_close(f[i], on_closed, &c[i]);
    hk_pool_free(pool);
    for (int i = 0; i < N; i++) {
        assert_int_equal(c[i].called, 1);
        assert_int_equal(c[i].rc, 0);
        struct stat st;
        assert_int_equal(stat(path[i], &st), 0);
        assert_int_equal(st.st_size, 44 + 2L * RATE * 4);
        unlink(path[i]);
    }
    assert_int_equal(rmdir(dir), 0);
    ev_loop_destroy(loop);
}

/* Chunk memory is reused without being cleared: every gap in a reused chunk
 * must still read as silence, and a call that ends mid-chunk ends there, the
 * side that stopped first silent to the end. Checked against expected
 * samples, not against the in-memory recorder. */
static void test_file_gaps_in_reused_chunks_are_silent(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    hk_pool *pool = hk_pool_new(loop, 1);
    char dir[] = "/tmp/hark_test_recdir_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/CA5.wav", dir);
    hk_recorder *f = hk_recorder_new_file(RATE, path, pool);
    int16_t loud[160];
    for (int i = 0; i < 160; i++) loud[i] = 12345;
    /* 3 s of both sides loud: every chunk the recorder owns has held noise */
    for (int k = 0; k < 150; k++) {
        hk_recorder_put(f, HK_REC_CALLER, k * 0.02, loud, 160);
        hk_recorder_put(f, HK_REC_AGENT, k * 0.02, loud, 160);
        while (hk_pool_in_flight(pool) > 0) ev_run(loop, EVRUN_ONCE);
    }
    int16_t a[160];
    fill(a, 160, 1);
    /* caller: 3.0-3.1 s, nothing until 3.3 s, then to 4.37 s; the agent
     * silent from 3.0 s but for one frame at 4.2 s, then a late one at 4.0 s */
    for (int k = 150; k < 155; k++) hk_recorder_put(f, HK_REC_CALLER, k * 0.02, a, 160);
    for (int k = 165; k < 218; k++) {
        hk_recorder_put(f, HK_REC_CALLER, k * 0.02, a, 160);
        while (hk_pool_in_flight(pool) > 0) ev_run(loop, EVRUN_ONCE);
    }
    hk_recorder_put(f, HK_REC_CALLER, 4.36, a, 80); /* 34880..34960 */
    hk_recorder_put(f, HK_REC_AGENT, 4.2, a, 160);
    hk_recorder_put(f, HK_REC_AGENT, 4.0, a, 40);
    assert_int_equal(hk_recorder_frames(f), 34960);
    closed c = {0};
    close_and_wait(loop, f, &c);
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.frames, 34960);

    hk_wav w = {0};
    char err[256] = "";
    assert_int_equal(hk_wav_read_file(path, &w, err, sizeof err), 0);
    assert_int_equal(w.frames, 34960);
    for (size_t i = 0; i < w.frames; i++) {
        int16_t caller = 0, agent = 0;
        if (i < 24000) caller = agent = 12345;
        else if (i < 24800 || (i >= 26400 && i < 34960)) caller = (int16_t)(1 + (i - 24000) % 160);
        if (i >= 32000 && i < 32040) agent = (int16_t)(1 + (i - 32000));
        if (i >= 33600 && i < 33760) agent = (int16_t)(1 + (i - 33600));
        if (i >= 34880) caller = (int16_t)(1 + (i - 34880));
        if (w.samples[2 * i] != caller || w.samples[2 * i + 1] != agent)
            fail_msg("frame %zu: %d/%d, expected %d/%d", i, w.samples[2 * i], w.samples[2 * i + 1],
                     caller, agent);
    }
    hk_wav_free(&w);
    unlink(path);
    assert_int_equal(rmdir(dir), 0);
    hk_pool_free(pool);
    ev_loop_destroy(loop);
}

static void test_file_memory_is_flat(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    hk_pool *pool = hk_pool_new(loop, 1);
    char dir[] = "/tmp/hark_test_recdir_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/CA2.wav", dir);
    hk_recorder *f = hk_recorder_new_file(RATE, path, pool);
    hk_recorder *m = hk_recorder_new(RATE);
    int16_t a[160];
    fill(a, 160, 3);
    size_t at_1min = 0, peak = 0;
    for (int k = 0; k < 600 * 50; k++) { /* 10 minutes, both sides talking */
        hk_recorder_put(f, HK_REC_CALLER, k * 0.02, a, 160);
        hk_recorder_put(f, HK_REC_AGENT, k * 0.02, a, 160);
        hk_recorder_put(m, HK_REC_CALLER, k * 0.02, a, 160);
        /* real time gives the pool half a second per chunk */
        while (k % 25 == 0 && hk_pool_in_flight(pool) > 0) ev_run(loop, EVRUN_ONCE);
        size_t mem = hk_recorder_mem_bytes(f);
        if (mem > peak) peak = mem;
        if (k == 60 * 50) at_1min = mem;
    }
    size_t at_10min = hk_recorder_mem_bytes(f);
    assert_true(at_1min > 0);
    assert_int_equal(at_10min, at_1min);
    assert_int_equal(peak, at_1min);
    assert_true(at_10min < 100 * 1024);
    /* the in-memory recorder holds the whole call: more than 9 MB by now */
    assert_true(hk_recorder_mem_bytes(m) > 600 * RATE * 2 * 2);
    hk_recorder_free(m);

    closed c = {0};
    close_and_wait(loop, f, &c);
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.dropped, 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 44 + 600L * RATE * 4);
    unlink(path);
    rmdir(dir);
    hk_pool_free(pool);
    ev_loop_destroy(loop);
}

static void test_file_unwritable_dir_is_reported(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    hk_pool *pool = hk_pool_new(loop, 1);
    hk_recorder *f = hk_recorder_new_file(RATE, "/nonexistent/hark/CA3.wav", pool);
    assert_non_null(f);
    feed_script(f, 10, loop, pool); /* the call goes on */
    closed c = {0};
    close_and_wait(loop, f, &c);
    assert_int_equal(c.called, 1);
    assert_int_not_equal(c.rc, 0);
    assert_non_null(strstr(c.err, "/nonexistent/hark/CA3.wav.part"));
    assert_int_equal(access("/nonexistent/hark/CA3.wav", F_OK), -1);
    hk_pool_free(pool);
    ev_loop_destroy(loop);
}

static void test_file_abandoned_leaves_nothing(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    hk_pool *pool = hk_pool_new(loop, 1);
    char dir[] = "/tmp/hark_test_recdir_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], part[300];
    snprintf(path, sizeof path, "%s/CA4.wav", dir);
    snprintf(part, sizeof part, "%s.part", path);
    hk_recorder *f = hk_recorder_new_file(RATE, path, pool);
    feed_script(f, 3, loop, pool);
    hk_recorder_free(f); /* a call freed without saving */
    while (hk_pool_in_flight(pool) > 0) ev_run(loop, EVRUN_ONCE);
    assert_int_equal(access(part, F_OK), -1);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(rmdir(dir), 0);
    hk_pool_free(pool);
    ev_loop_destroy(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_samples_land_at_rounded_time),
        cmocka_unit_test(test_channels_are_independent_and_aligned),
        cmocka_unit_test(test_length_covers_furthest_write_and_gaps_are_silent),
        cmocka_unit_test(test_grows_past_thirty_seconds),
        cmocka_unit_test(test_bad_writes_are_ignored),
        cmocka_unit_test(test_write_wav_round_trip),
        cmocka_unit_test(test_file_matches_memory),
        cmocka_unit_test(test_file_matches_memory_out_of_order_and_gaps),
        cmocka_unit_test(test_file_gaps_in_reused_chunks_are_silent),
        cmocka_unit_test(test_file_many_recordings_at_once),
        cmocka_unit_test(test_file_close_then_pool_free_finishes),
        cmocka_unit_test(test_file_memory_is_flat),
        cmocka_unit_test(test_file_unwritable_dir_is_reported),
        cmocka_unit_test(test_file_abandoned_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
