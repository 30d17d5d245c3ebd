/* tests/unit/providers/test_stt_deepgram: providers/stt_deepgram against
 * tests/fakes/fake_deepgram over loopback, fed real speech (espeak-ng, 8 kHz
 * mu-law, 20 ms frames on a timer at 4x real time, silence between lines).
 * The test's sink behaves like the session: on endpoint it calls
 * end_utterance at once (re-entrant). Covers: two utterances -> two finals in
 * order with the script's text, interims first, endpoint and speech_started
 * events, the query and keywords sent; Finalize before speech_final (and an
 * utterance with no words -> "" after the timeout); KeepAlive in a long
 * silence; a connection dropped mid-utterance -> reconnect, the audio re-sent,
 * every line's full text; refusals beyond the retries -> exactly one error;
 * a wrong key -> at most one retry, one error. Audio goes out in chunk_ms
 * messages (the fake logs each one's size): full chunks but for the flushes
 * before Finalize, at the endpointing silence (the speech_final is not held
 * back by a partial chunk) and after pushes stop (before any KeepAlive). */
#include <cjson/cJSON.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../fake_proc.h"
#include "../guarded_run.h"
#include "media/g711.h"
#include "media/resample.h"
#include "media/vad.h"
#include "net/ws_client.h"
#include "providers/stt_deepgram.h"
#include "providers/tts_espeak.h"

#define LINE1 "I would like to book a table for two people tonight."
#define LINE2 "My name is John Smith."
#define FRAME 160

/* ---- the fake --------------------------------------------------------- */

typedef struct fake {
    pid_t pid;
    int port;
    char url[64], log[256], script[256];
} fake;

static fake running; /* a copy, stopped by the per-test teardown when a test fails */

static void fake_start(fake *f, const char *const *extra) {
    static int seq;
    snprintf(f->log, sizeof f->log, "/tmp/hark-fake-dg-%d-%d.log", (int)getpid(), seq);
    snprintf(f->script, sizeof f->script, "/tmp/hark-fake-dg-%d-%d.txt", (int)getpid(), seq++);
    FILE *sf = fopen(f->script, "w");
    assert_non_null(sf);
    fprintf(sf, "%s\n%s\n", LINE1, LINE2);
    fclose(sf);
    const char *argv[32];
    int n = 0;
    argv[n++] = HARK_BUILD_DIR "/fake_deepgram";
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--key";
    argv[n++] = "sekret";
    argv[n++] = "--script";
    argv[n++] = f->script;
    argv[n++] = "--log";
    argv[n++] = f->log;
    for (; extra && *extra && n < 31; extra++) argv[n++] = *extra;
    argv[n] = NULL;
    f->port = fake_proc_start(argv, &f->pid);
    snprintf(f->url, sizeof f->url, "ws://127.0.0.1:%d", f->port);
    running = *f;
}

static void fake_stop(fake *f) {
    fake_proc_stop(&f->pid);
    if (!getenv("HARK_KEEP_FAKE_LOGS")) {
        unlink(f->log);
        unlink(f->script);
    }
    running.pid = 0;
}

static int test_teardown(void **state) {
    (void)state;
    if (running.pid > 0) fake_stop(&running);
    return 0;
}

/* Count the log lines whose event is ev and, when key is set, whose key has
 * the string value val (or, with val NULL, sum the number at key). */
static double log_count(const fake *f, const char *ev, const char *key, const char *val, int conn) {
    FILE *fp = fopen(f->log, "r");
    if (!fp) return 0;
    char line[16384];
    double n = 0;
    while (fgets(line, sizeof line, fp)) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *e = cJSON_GetObjectItem(j, "event");
        const cJSON *c = cJSON_GetObjectItem(j, "conn");
        if (cJSON_IsString(e) && !strcmp(e->valuestring, ev) && (!conn || (c && c->valueint == conn))) {
            if (!key) n++;
            else if (!val) n += cJSON_GetNumberValue(cJSON_GetObjectItem(j, key));
            else {
                const cJSON *v = cJSON_GetObjectItem(j, key);
                if (cJSON_IsString(v) && strstr(v->valuestring, val)) n++;
            }
        }
        cJSON_Delete(j);
    }
    fclose(fp);
    return n;
}

/* The binary messages of one connection, in order, and where the marks
 * (controls the fake got, speech_finals it sent) fell in the stream. */
typedef struct wire {
    int n, sizes[4096];
    long total;
    int n_marks;
    char mark[64][16];
    long mark_at[64];  /* audio bytes received before the mark */
    int mark_last[64]; /* the size of the last message before it */
} wire;

static void add_mark(wire *w, const char *what) {
    if (w->n_marks >= 64) return;
    snprintf(w->mark[w->n_marks], sizeof w->mark[0], "%s", what);
    w->mark_at[w->n_marks] = w->total;
    w->mark_last[w->n_marks++] = w->n ? w->sizes[w->n - 1] : 0;
}

static void read_wire(const fake *f, int conn, wire *w) {
    memset(w, 0, sizeof *w);
    FILE *fp = fopen(f->log, "r");
    assert_non_null(fp);
    char line[16384];
    while (fgets(line, sizeof line, fp)) {
        cJSON *j = cJSON_Parse(line);
        const char *ev = cJSON_GetStringValue(cJSON_GetObjectItem(j, "event"));
        const cJSON *c = cJSON_GetObjectItem(j, "conn");
        if (ev && c && c->valueint == conn) {
            if (!strcmp(ev, "audio") && w->n < 4096) {
                int b = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "bytes"));
                w->sizes[w->n++] = b;
                w->total += b;
            } else if (!strcmp(ev, "control")) {
                add_mark(w, cJSON_GetStringValue(cJSON_GetObjectItem(j, "type")));
            } else if (!strcmp(ev, "sent") && cJSON_IsTrue(cJSON_GetObjectItem(j, "speech_final"))) {
                add_mark(w, "speech_final");
            }
        }
        cJSON_Delete(j);
    }
    fclose(fp);
}

/* ---- audio ------------------------------------------------------------ */

static uint8_t *audio;
static size_t audio_n;

static void add_silence(double s) {
    size_t n = (size_t)(s * 8000);
    audio = realloc(audio, audio_n + n);
    memset(audio + audio_n, HK_ULAW_SILENCE, n);
    audio_n += n;
}

static void add_speech(const char *text) {
    int16_t *pcm, *pcm8;
    size_t n, n8;
    int rate;
    assert_int_equal(hk_espeak_synth_pcm(text, "en-us", 0, &pcm, &n, &rate), 0);
    assert_int_equal(hk_resample_buffer(rate, 8000, pcm, n, &pcm8, &n8), 0);
    audio = realloc(audio, audio_n + n8);
    hk_ulaw_encode_buf(pcm8, audio + audio_n, n8);
    audio_n += n8;
    free(pcm);
    free(pcm8);
}

/* ---- the provider and its sink --------------------------------------- */

static struct ev_loop *loop;

typedef struct rec {
    hk_stt *stt;
    int finals, interims, interims_before_first_final, endpoints, started, errors;
    uint64_t final_id[8];
    char final_text[8][256];
    double final_conf[8], final_at[8];
    char error[256];
    uint64_t next_utt;
    int auto_end; /* behave like the session: end_utterance on endpoint */
    int chunk_ms, endpointing_ms; /* the provider's settings (0: defaults) */
    int close_on_error; /* close the provider from inside sink.error */
    /* feeding */
    size_t fed, feed_to;
    ev_timer feeder;
    double last_push;
} rec;

static void s_transcript(void *ud, uint64_t id, const char *text, int is_final, double conf) {
    rec *r = ud;
    if (!is_final) {
        r->interims++;
        if (!r->finals) r->interims_before_first_final++;
        return;
    }
    if (r->finals < 8) {
        r->final_id[r->finals] = id;
        snprintf(r->final_text[r->finals], sizeof r->final_text[0], "%s", text);
        r->final_conf[r->finals] = conf;
        r->final_at[r->finals] = wall_now();
    }
    r->finals++;
}
static void s_started(void *ud) { ((rec *)ud)->started++; }
static void s_error(void *ud, const char *msg) {
    rec *r = ud;
    r->errors++;
    snprintf(r->error, sizeof r->error, "%s", msg);
    if (r->close_on_error) {
        hk_stt_deepgram.close(r->stt); /* re-entrant: freed when the provider unwinds */
        r->stt = NULL;
    }
}
static void s_endpoint(void *ud) {
    rec *r = ud;
    r->endpoints++;
    if (r->auto_end) hk_stt_deepgram.end_utterance(r->stt, ++r->next_utt);
}

static void on_feed(struct ev_loop *l, ev_timer *w, int revents) {
    (void)l;
    (void)revents;
    rec *r = w->data;
    if (r->fed >= r->feed_to) {
        ev_timer_stop(loop, w);
        return;
    }
    size_t n = r->feed_to - r->fed < FRAME ? r->feed_to - r->fed : FRAME;
    hk_stt_deepgram.push(r->stt, audio + r->fed, NULL, n);
    r->fed += n;
    r->last_push = wall_now();
}

/* Push audio[fed .. to) in 20 ms frames, one every 5 ms (4x real time). */
static void feed(rec *r, size_t to) {
    r->feed_to = to;
    ev_timer_init(&r->feeder, on_feed, 0.005, 0.005);
    r->feeder.data = r;
    ev_timer_start(loop, &r->feeder);
}

static hk_stt *open_stt(rec *r, const fake *f, const char *key) {
    static const char *phrases[] = {"table", "book a table", "Smith:3"};
    hk_stt_config cfg = {0};
    cfg.provider = "deepgram";
    cfg.language = "en";
    cfg.phrases = phrases;
    cfg.n_phrases = 3;
    cfg.api_key = key;
    cfg.base_url = f->url;
    cfg.chunk_ms = r->chunk_ms;
    cfg.endpointing_ms = r->endpointing_ms;
    hk_stt_sink sink = {r, s_transcript, s_started, s_error, s_endpoint};
    char err[256] = "";
    r->stt = hk_stt_deepgram.open(loop, &cfg, &sink, err, sizeof err);
    assert_non_null(r->stt);
    return r->stt;
}

typedef int (*cond_fn)(const rec *r);
static const rec *w_r;
static cond_fn w_cond;
static void on_check(struct ev_loop *l, ev_timer *w, int revents) {
    (void)w;
    (void)revents;
    if (w_cond && w_cond(w_r)) ev_break(l, EVBREAK_ALL);
}
static void on_limit(struct ev_loop *l, ev_timer *w, int revents) {
    (void)w;
    (void)revents;
    ev_break(l, EVBREAK_ALL);
}
static int run_until(const rec *r, cond_fn cond, double limit) {
    w_r = r;
    w_cond = cond;
    ev_timer chk, lim;
    ev_timer_init(&chk, on_check, 0.01, 0.01);
    ev_timer_init(&lim, on_limit, limit, 0.);
    ev_timer_start(loop, &chk);
    ev_timer_start(loop, &lim);
    ev_run(loop, 0);
    ev_timer_stop(loop, &chk);
    ev_timer_stop(loop, &lim);
    return !cond || cond(r);
}
static void run_for(double s) { run_until(NULL, NULL, s); }

static int two_finals(const rec *r) { return r->finals >= 2; }
static int one_final(const rec *r) { return r->finals >= 1; }
static int fed_all(const rec *r) { return r->fed >= r->feed_to; }
static int has_interim(const rec *r) { return r->interims > 0; }
static int has_error(const rec *r) { return r->errors > 0; }

/* Close the provider and let the fake see the end of the stream. */
static void close_stt(rec *r) {
    ev_timer_stop(loop, &r->feeder);
    hk_stt_deepgram.close(r->stt);
    r->stt = NULL;
    run_for(0.3);
}

static int setup(void **state) {
    (void)state;
    hk_g711_init();
    loop = ev_loop_new(0);
    add_silence(0.4);
    add_speech(LINE1);
    add_silence(1.6);
    add_speech(LINE2);
    add_silence(1.6);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    hk_ws_shutdown(loop);
    ev_loop_destroy(loop);
    free(audio);
    return 0;
}

static void test_two_utterances(void **state) {
    (void)state;
    fake f;
    fake_start(&f, NULL);
    rec r = {0};
    r.auto_end = 1;
    open_stt(&r, &f, "sekret");
    feed(&r, audio_n);
    assert_true(run_until(&r, two_finals, 30));
    assert_int_equal(r.finals, 2);
    assert_int_equal(r.final_id[0], 1);
    assert_string_equal(r.final_text[0], LINE1);
    assert_int_equal(r.final_id[1], 2);
    assert_string_equal(r.final_text[1], LINE2);
    assert_true(r.final_conf[0] > 0 && r.final_conf[0] <= 1);
    assert_true(r.interims_before_first_final > 0);
    assert_int_equal(r.endpoints, 2);
    assert_true(r.started >= 2);
    assert_int_equal(r.errors, 0);
    assert_true(run_until(&r, fed_all, 20));
    close_stt(&r);
    /* what went over the wire */
    assert_int_equal(log_count(&f, "connect", NULL, NULL, 0), 1);
    assert_int_equal(log_count(&f, "connect", "query", "encoding=mulaw", 0), 1);
    assert_int_equal(log_count(&f, "connect", "query", "model=nova-2", 0), 1);
    assert_int_equal(log_count(&f, "connect", "query", "interim_results=true", 0), 1);
    assert_int_equal(log_count(&f, "connect", "query", "endpointing=300", 0), 1);
    assert_int_equal(log_count(&f, "connect", "query", "utterance_end_ms=1000", 0), 1);
    assert_int_equal(log_count(&f, "connect", "query", "keywords=table", 0), 1);
    assert_int_equal(log_count(&f, "connect", "query", "keywords=Smith:3", 0), 1);
    assert_int_equal(log_count(&f, "connect", "query", "book", 0), 0); /* not a single word */
    assert_int_equal(log_count(&f, "control", "type", "CloseStream", 0), 1);
    assert_int_equal(log_count(&f, "close", "audio_bytes", NULL, 1), (double)audio_n);
    fake_stop(&f);
}

static void test_finalize_and_keepalive(void **state) {
    (void)state;
    /* the speech_final comes 6 s late: only Finalize can end the turn early;
     * the first handshake is refused, so the first audio waits for a retry */
    const char *extra[] = {"--final-delay-ms", "6000", "--refuse", "1", NULL};
    fake f;
    fake_start(&f, extra);
    rec r = {0};
    open_stt(&r, &f, "sekret");
    /* the first line and 0.8 s of the silence after it */
    size_t upto = 0;
    {
        /* find the end of line 1: the first 0.8 s run of silence after speech */
        size_t run = 0, i;
        int speech = 0;
        for (i = 0; i < audio_n; i++) {
            if (audio[i] != HK_ULAW_SILENCE && audio[i] != 0x7f) speech = 1, run = 0;
            else if (speech && ++run == 6400) break;
        }
        upto = i;
    }
    feed(&r, upto);
    assert_true(run_until(&r, fed_all, 20));
    assert_true(run_until(&r, has_interim, 10));
    run_for(0.3);
    assert_int_equal(r.finals, 0);
    assert_int_equal(r.endpoints, 0);
    double t0 = wall_now();
    hk_stt_deepgram.end_utterance(r.stt, 1);
    assert_true(run_until(&r, one_final, 10));
    assert_true(wall_now() - t0 < 4.0); /* Finalize's answer, not the 6 s speech_final */
    assert_int_equal(r.final_id[0], 1);
    assert_string_equal(r.final_text[0], LINE1);
    assert_true(log_count(&f, "control", "type", "Finalize", 0) >= 1);
    /* an utterance with no words: "" after the finalize timeout */
    hk_stt_deepgram.end_utterance(r.stt, 2);
    t0 = wall_now();
    assert_true(run_until(&r, two_finals, 10));
    assert_true(wall_now() - t0 >= 1.0);
    assert_int_equal(r.final_id[1], 2);
    assert_string_equal(r.final_text[1], "");
    /* no audio for more than 3 s: KeepAlive */
    double quiet = wall_now() - r.last_push;
    if (quiet < 4.5) run_for(4.5 - quiet);
    assert_true(log_count(&f, "control", "type", "KeepAlive", 0) >= 1);
    assert_int_equal(r.finals, 2); /* the late speech_final added nothing */
    assert_int_equal(r.errors, 0);
    assert_int_equal(log_count(&f, "refused", "reason", "fault", 0), 1);
    close_stt(&r);
    fake_stop(&f);
}

static void test_reconnect_mid_utterance(void **state) {
    (void)state;
    const char *extra[] = {"--drop-after-ms", "1500", NULL};
    fake f;
    fake_start(&f, extra);
    rec r = {0};
    r.auto_end = 1;
    open_stt(&r, &f, "sekret");
    feed(&r, audio_n);
    assert_true(run_until(&r, two_finals, 40));
    assert_int_equal(r.finals, 2);
    assert_string_equal(r.final_text[0], LINE1);
    assert_string_equal(r.final_text[1], LINE2);
    assert_int_equal(r.final_id[0], 1);
    assert_int_equal(r.final_id[1], 2);
    assert_int_equal(r.errors, 0);
    run_until(&r, fed_all, 20);
    close_stt(&r);
    assert_int_equal(log_count(&f, "drop", NULL, NULL, 0), 1);
    assert_int_equal(log_count(&f, "connect", NULL, NULL, 0), 2);
    double a1 = log_count(&f, "close", "audio_bytes", NULL, 1);
    double a2 = log_count(&f, "close", "audio_bytes", NULL, 2);
    assert_true(a1 >= 1.5 * 8000);
    /* nothing was final before the drop: the second connection got it all again */
    assert_int_equal(a2, (double)audio_n);
    assert_true(a1 + a2 > (double)audio_n);
    fake_stop(&f);
}

static void test_refused_beyond_retries(void **state) {
    (void)state;
    const char *extra[] = {"--refuse", "100", NULL};
    fake f;
    fake_start(&f, extra);
    rec r = {0};
    r.close_on_error = 1;
    open_stt(&r, &f, "sekret");
    feed(&r, 8000);
    assert_true(run_until(&r, has_error, 20));
    ev_timer_stop(loop, &r.feeder); /* closed inside the error callback */
    run_for(2.0);
    assert_int_equal(r.errors, 1);
    assert_non_null(strstr(r.error, "deepgram: "));
    assert_non_null(strstr(r.error, "503"));
    assert_int_equal(log_count(&f, "refused", NULL, NULL, 0), 5); /* 1 + 4 retries */
    fake_stop(&f);
}

static void test_wrong_key(void **state) {
    (void)state;
    fake f;
    fake_start(&f, NULL);
    rec r = {0};
    open_stt(&r, &f, "wrong-key");
    assert_true(run_until(&r, has_error, 20));
    run_for(1.5);
    assert_int_equal(r.errors, 1);
    assert_non_null(strstr(r.error, "401"));
    assert_true(log_count(&f, "refused", "reason", "credentials", 0) <= 2);
    close_stt(&r);
    fake_stop(&f);
}

/* The fake itself: an unknown control closes with 1008; CloseStream gets
 * Metadata, then a 1000 close. */
typedef struct wsrec { int closes, code, metadata; } wsrec;
static void w_msg(void *ud, const char *d, size_t n, int binary) {
    (void)n;
    (void)binary;
    if (strstr(d, "\"Metadata\"")) ((wsrec *)ud)->metadata++;
}
static void w_close(void *ud, int code, const char *reason) {
    (void)reason;
    ((wsrec *)ud)->closes++;
    ((wsrec *)ud)->code = code;
}
static int w_closed(const rec *r) { return ((const wsrec *)(const void *)r)->closes > 0; }

static void test_fake_controls(void **state) {
    (void)state;
    fake f;
    fake_start(&f, NULL);
    const char *hdrs[] = {"Authorization: Token sekret", NULL};
    char url[256];
    snprintf(url, sizeof url, "%s/v1/listen?encoding=mulaw&sample_rate=8000", f.url);
    for (int i = 0; i < 2; i++) {
        wsrec w = {0};
        hk_ws_opts o = {url, hdrs, 5, &w, NULL, w_msg, w_close};
        char err[256];
        hk_ws *ws = hk_ws_connect(loop, &o, err, sizeof err);
        assert_non_null(ws);
        const char *msg = i == 0 ? "{\"type\":\"Bogus\"}" : "{\"type\":\"CloseStream\"}";
        hk_ws_send_text(ws, "{\"type\":\"KeepAlive\"}", 21);
        hk_ws_send_text(ws, msg, strlen(msg));
        assert_true(run_until((const rec *)(const void *)&w, w_closed, 10));
        assert_int_equal(w.code, i == 0 ? 1008 : 1000);
        assert_int_equal(w.metadata, i == 0 ? 0 : 1);
    }
    fake_stop(&f);
}

/* End (in bytes) of the last voiced 20 ms frame of audio[0 .. pos). */
static long last_voice_end(long pos) {
    long end = 0;
    for (long off = 0; off + FRAME <= pos; off += FRAME) {
        int16_t pcm[FRAME];
        hk_ulaw_decode_buf(audio + off, pcm, FRAME);
        if (hk_frame_dbfs(pcm, FRAME) > -40.0) end = off + FRAME;
    }
    return end;
}

/* End (in bytes) of line 1: its last voiced frame before 1 s of silence. */
static long line1_end(void) {
    long end = 0;
    int quiet = 0;
    for (long off = 0; off + FRAME <= (long)audio_n; off += FRAME) {
        int16_t pcm[FRAME];
        hk_ulaw_decode_buf(audio + off, pcm, FRAME);
        if (hk_frame_dbfs(pcm, FRAME) > -40.0) end = off + FRAME, quiet = 0;
        else if (end && ++quiet == 50) break;
    }
    return end;
}

static wire w1;

static void test_chunks(void **state) {
    (void)state;
    fake f;
    fake_start(&f, NULL);
    rec r = {0};
    r.auto_end = 1;
    r.chunk_ms = 250; /* 2000 bytes a message */
    open_stt(&r, &f, "sekret");
    feed(&r, audio_n);
    assert_true(run_until(&r, two_finals, 30));
    assert_string_equal(r.final_text[0], LINE1);
    assert_string_equal(r.final_text[1], LINE2);
    assert_true(run_until(&r, fed_all, 20));
    close_stt(&r);
    read_wire(&f, 1, &w1);
    /* every byte, in messages of at most a chunk, nearly all full: the pushes
     * were 20 ms frames, and those must not go out one by one */
    assert_int_equal(w1.total, (long)audio_n);
    int full = 0, short_ = 0;
    for (int i = 0; i < w1.n; i++) {
        assert_true(w1.sizes[i] > 0 && w1.sizes[i] <= 2000);
        if (w1.sizes[i] == 2000) full++;
        else short_++;
    }
    /* the short ones: up to 3 around each utterance's endpoint, the rest
     * before CloseStream */
    assert_true(short_ <= 2 * 3 + 1);
    assert_true(full >= (long)audio_n / 2000 - short_);
    /* each speech_final came when the fake had 300 ms of silence (+ a frame
     * either side), not up to a chunk later */
    int finals = 0;
    for (int i = 0; i < w1.n_marks; i++) {
        if (strcmp(w1.mark[i], "speech_final")) continue;
        finals++;
        long quiet = w1.mark_at[i] - last_voice_end(w1.mark_at[i]);
        assert_true(quiet >= 300 * 8);
        assert_true(quiet <= 320 * 8 + FRAME);
    }
    assert_int_equal(finals, 2);
    assert_string_equal(w1.mark[w1.n_marks - 1], "CloseStream");
    fake_stop(&f);
}

static int fake_has_bytes_n;
static const fake *fake_has_f;
static int fake_has_bytes(const rec *r) {
    (void)r;
    return log_count(fake_has_f, "audio", "bytes", NULL, 1) >= fake_has_bytes_n;
}

static void test_finalize_flushes_chunk(void **state) {
    (void)state;
    /* no speech_final for 6 s: Finalize ends the turn, and it must come after
     * every pushed byte; a long endpointing keeps the silence flush away */
    const char *extra[] = {"--final-delay-ms", "6000", NULL};
    fake f;
    fake_start(&f, extra);
    rec r = {0};
    r.chunk_ms = 200; /* 1600 bytes */
    r.endpointing_ms = 2000;
    open_stt(&r, &f, "sekret");
    /* line 1 and ~0.8 s of silence, cut 480 bytes into a chunk */
    long upto = line1_end() + 6400;
    upto = upto / 1600 * 1600 + 480;
    feed(&r, (size_t)upto);
    assert_true(run_until(&r, fed_all, 20));
    double t0 = wall_now();
    hk_stt_deepgram.end_utterance(r.stt, 1); /* at once: 480 bytes wait */
    assert_true(run_until(&r, one_final, 10));
    assert_true(wall_now() - t0 < 4.0);
    assert_string_equal(r.final_text[0], LINE1);
    read_wire(&f, 1, &w1);
    assert_int_equal(w1.n_marks, 1);
    assert_string_equal(w1.mark[0], "Finalize");
    assert_int_equal(w1.mark_at[0], upto); /* all of it before Finalize */
    assert_int_equal(w1.mark_last[0], 480);
    for (int i = 0; i < w1.n - 1; i++) assert_int_equal(w1.sizes[i], 1600);
    /* 60 ms more, then nothing: a partial chunk goes once pushes stop,
     * before any KeepAlive (waiting audio is not idleness) */
    hk_stt_deepgram.push(r.stt, audio + upto, NULL, 480);
    r.last_push = wall_now();
    fake_has_f = &f;
    fake_has_bytes_n = (int)upto + 480;
    assert_true(run_until(&r, fake_has_bytes, 5));
    assert_true(wall_now() - r.last_push >= 0.1); /* not at once (0.2 s; the loop's clock lags a little) */
    assert_int_equal(log_count(&f, "control", "type", "KeepAlive", 0), 0);
    run_for(4.6);
    read_wire(&f, 1, &w1);
    assert_int_equal(w1.total, upto + 480);
    assert_true(w1.n_marks >= 2);
    assert_string_equal(w1.mark[1], "KeepAlive");
    assert_int_equal(w1.mark_at[1], upto + 480);
    assert_int_equal(r.errors, 0);
    close_stt(&r);
    fake_stop(&f);
}

static void test_open_errors(void **state) {
    (void)state;
    hk_stt_config cfg = {0};
    hk_stt_sink sink = {0};
    char err[256] = "";
    cfg.api_key = NULL;
    assert_null(hk_stt_deepgram.open(loop, &cfg, &sink, err, sizeof err));
    assert_true(err[0]);
    cfg.api_key = "k";
    cfg.base_url = "ftp://not-a-websocket";
    err[0] = 0;
    assert_null(hk_stt_deepgram.open(loop, &cfg, &sink, err, sizeof err));
    assert_true(err[0]);
    /* a chunk outside 20-250 ms */
    cfg.base_url = "ws://127.0.0.1:1";
    cfg.chunk_ms = 251;
    err[0] = 0;
    assert_null(hk_stt_deepgram.open(loop, &cfg, &sink, err, sizeof err));
    assert_non_null(strstr(err, "20-250"));
    cfg.chunk_ms = 10;
    assert_null(hk_stt_deepgram.open(loop, &cfg, &sink, err, sizeof err));
    cfg.chunk_ms = 0;
    /* an http(s):// base is the same host over ws(s):// */
    cfg.base_url = "http://127.0.0.1:1";
    hk_stt *s = hk_stt_deepgram.open(loop, &cfg, &sink, err, sizeof err);
    assert_non_null(s);
    hk_stt_deepgram.close(s);
    for (int i = 0; i < 10; i++) ev_run(loop, EVRUN_NOWAIT); /* the socket is freed on the loop */
    assert_int_equal(hk_stt_deepgram.continuous, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_two_utterances, test_teardown),
        cmocka_unit_test_teardown(test_finalize_and_keepalive, test_teardown),
        cmocka_unit_test_teardown(test_reconnect_mid_utterance, test_teardown),
        cmocka_unit_test_teardown(test_refused_beyond_retries, test_teardown),
        cmocka_unit_test_teardown(test_wrong_key, test_teardown),
        cmocka_unit_test_teardown(test_fake_controls, test_teardown),
        cmocka_unit_test_teardown(test_chunks, test_teardown),
        cmocka_unit_test_teardown(test_finalize_flushes_chunk, test_teardown),
        cmocka_unit_test(test_open_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
