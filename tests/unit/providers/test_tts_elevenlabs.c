/* tests/unit/providers/test_tts_elevenlabs: the ElevenLabs provider against
 * tests/fakes/fake_elevenlabs over real sockets, on one libev loop: streamed
 * pushes give audio before the text ends (and the fake saw the text in
 * pieces), the audio is non-silent mu-law of plausible length, word marks are
 * in order inside the text; speak(); two requests complete in order; the HTTP
 * fallback when the WebSocket is refused; HTTP 429/500, a dropped stream and a
 * stalled one and a wrong key each end in one done(0); a garbled first frame
 * and a warm socket the service closed are survived; cancel and close from
 * inside a callback (WebSocket and HTTP paths) stop every callback of the
 * request, and after a cancel the next request works. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../fake_proc.h"
#include "../guarded_run.h"
#include "media/g711.h"
#include "net/http_client.h"
#include "net/ws_client.h"
#include "providers/tts_elevenlabs.h"

#define KEY "test-key-123"
#define MAXREQ 4

typedef struct rec {
    size_t audio_n;
    uint8_t audio[8000 * 60];
    double first_audio_t;
    hk_word_mark marks[256];
    size_t n_marks;
    int done, ok;
    char err[256];
} rec;

static struct {
    struct ev_loop *loop;
    hk_tts *tts;
    pid_t pid;
    int port;
    char log_path[64];
    rec r[MAXREQ];
    char order[256]; /* "a1 w1 d1 a2 ..." compressed: one letter+id per change */
    size_t order_n;
    int cancel_on_audio; /* req id whose first audio cancels everything */
    int after_cancel;    /* callbacks for cancelled requests after the cancel */
    int cancelled;
    int close_on_audio;  /* close the provider from inside the first audio callback */
    int after_close;     /* callbacks after that */
    int closed;
} T;

static void note(char kind, uint64_t id)
{
    /* record the sequence of (kind, id) changes to check ordering */
    if (T.order_n >= 2 && T.order[T.order_n - 2] == kind && T.order[T.order_n - 1] == (char)('0' + id))
        return;
    if (T.order_n + 2 < sizeof T.order) {
        T.order[T.order_n++] = kind;
        T.order[T.order_n++] = (char)('0' + id);
        T.order[T.order_n] = 0;
    }
}

static void on_audio(void *ud, uint64_t id, const uint8_t *ulaw, size_t n)
{
    (void)ud;
    assert_true(id < MAXREQ);
    if (T.cancelled && id == (uint64_t)T.cancel_on_audio) T.after_cancel++;
    if (T.closed) T.after_close++;
    rec *r = &T.r[id];
    if (!r->audio_n) r->first_audio_t = wall_now();
    size_t k = n < sizeof r->audio - r->audio_n ? n : sizeof r->audio - r->audio_n;
    memcpy(r->audio + r->audio_n, ulaw, k);
    r->audio_n += k;
    note('a', id);
    if (T.cancel_on_audio && id == (uint64_t)T.cancel_on_audio && !T.cancelled) {
        T.cancelled = 1;
        hk_tts_elevenlabs.cancel(T.tts); /* re-entrant, from inside the sink */
    }
    if (T.close_on_audio && !T.closed) {
        T.closed = 1;
        hk_tts_elevenlabs.close(T.tts);
        T.tts = NULL;
    }
}

static void on_words(void *ud, uint64_t id, const hk_word_mark *m, size_t n)
{
    (void)ud;
    assert_true(id < MAXREQ);
    if (T.cancelled && id == (uint64_t)T.cancel_on_audio) T.after_cancel++;
    if (T.closed) T.after_close++;
    rec *r = &T.r[id];
    for (size_t i = 0; i < n && r->n_marks < 256; i++) r->marks[r->n_marks++] = m[i];
    note('w', id);
}

static void on_done(void *ud, uint64_t id, int ok, const char *err)
{
    (void)ud;
    assert_true(id < MAXREQ);
    if (T.cancelled && id == (uint64_t)T.cancel_on_audio) T.after_cancel++;
    if (T.closed) T.after_close++;
    rec *r = &T.r[id];
    r->done++;
    r->ok = ok;
    snprintf(r->err, sizeof r->err, "%s", err ? err : "");
    note('d', id);
}

static void start_fake(const char *extra)
{
    snprintf(T.log_path, sizeof T.log_path, "/tmp/fake_el_%d.log", (int)getpid());
    unlink(T.log_path);
    const char *argv[32];
    int a = 0;
    argv[a++] = HARK_BUILD_DIR "/fake_elevenlabs";
    argv[a++] = "--port";
    argv[a++] = "0";
    argv[a++] = "--key";
    argv[a++] = KEY;
    argv[a++] = "--log";
    argv[a++] = T.log_path;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", extra ? extra : "");
    for (char *tok = strtok(buf, " "); tok && a < 30; tok = strtok(NULL, " ")) argv[a++] = tok;
    argv[a] = NULL;
    T.port = fake_proc_start(argv, &T.pid);
}

static void stop_fake(void)
{
    fake_proc_stop(&T.pid);
}

static const hk_tts_sink k_sink = {NULL, on_audio, on_words, on_done};

static void open_tts(double first_audio_timeout)
{
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", T.port);
    hk_tts_config cfg = {.provider = "elevenlabs", .voice_id = "voice1", .api_key = KEY,
                         .base_url = base, .stability = -1, .similarity_boost = -1,
                         .connect_timeout_s = 3, .first_audio_timeout_s = first_audio_timeout};
    char err[256] = "";
    T.tts = hk_tts_elevenlabs.open(T.loop, &cfg, &k_sink, err, sizeof err);
    assert_non_null(T.tts);
}

static int setup(void **state)
{
    (void)state;
    memset(&T, 0, sizeof T);
    hk_g711_init();
    T.loop = ev_loop_new(0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (T.tts) hk_tts_elevenlabs.close(T.tts);
    T.tts = NULL;
    hk_ws_shutdown(T.loop);
    hk_http_client_shutdown(T.loop);
    ev_loop_destroy(T.loop);
    stop_fake();
    unlink(T.log_path);
    return 0;
}

/* ---- running the loop until something happened -------------------------- */

typedef int (*cond_fn)(void);
static cond_fn g_cond;

static void on_poll(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)w;
    (void)revents;
    if (g_cond && g_cond()) ev_break(loop, EVBREAK_ALL);
}

/* Run the loop until cond() holds (checked every 10 ms); fail after limit s. */
static void run_until(cond_fn cond, double limit)
{
    g_cond = cond;
    ev_timer poll;
    ev_timer_init(&poll, on_poll, 0.01, 0.01);
    ev_timer_start(T.loop, &poll);
    double t0 = wall_now();
    while (!cond() && wall_now() - t0 < limit) ev_run(T.loop, EVRUN_ONCE);
    ev_timer_stop(T.loop, &poll);
    g_cond = NULL;
    assert_true(cond());
}

static void run_for(double s)
{
    double t0 = wall_now();
    ev_timer poll;
    ev_timer_init(&poll, on_poll, 0.01, 0.01);
    ev_timer_start(T.loop, &poll);
    while (wall_now() - t0 < s) ev_run(T.loop, EVRUN_ONCE);
    ev_timer_stop(T.loop, &poll);
}

static int done1(void) { return T.r[1].done > 0; }
static int done2(void) { return T.r[2].done > 0; }
static int done12(void) { return T.r[1].done > 0 && T.r[2].done > 0; }

/* ---- checks ----------------------------------------------------------------- */

/* Speech, not silence: a good share of samples well away from zero. */
static void assert_speech(const rec *r, double min_s, double max_s)
{
    assert_true(r->audio_n >= (size_t)(min_s * 8000));
    assert_true(r->audio_n <= (size_t)(max_s * 8000));
    size_t loud = 0;
    for (size_t i = 0; i < r->audio_n; i++) {
        int v = hk_ulaw_decode(r->audio[i]);
        if (v > 1000 || v < -1000) loud++;
    }
    assert_true(loud > r->audio_n / 10);
}

static void assert_marks(const rec *r, const char *text, size_t min_words)
{
    assert_true(r->n_marks >= min_words);
    size_t tl = strlen(text);
    for (size_t i = 0; i < r->n_marks; i++) {
        const hk_word_mark *m = &r->marks[i];
        assert_true(m->text_len > 0);
        assert_true(m->text_pos + m->text_len <= tl);
        assert_true(text[m->text_pos] != ' ');
        assert_true(m->text_pos == 0 || text[m->text_pos - 1] == ' ');
        assert_true(m->audio_ms <= r->audio_n / 8 + 200);
        if (i) {
            assert_true(m->text_pos > r->marks[i - 1].text_pos);
            assert_true(m->audio_ms >= r->marks[i - 1].audio_ms);
        }
    }
}

/* Wall ms of the first log event named ev (of conn when conn > 0), or -1;
 * count gets how many there were. */
static double log_event(const char *ev, int *count)
{
    FILE *f = fopen(T.log_path, "r");
    double first = -1;
    int n = 0;
    char line[8192], pat[64];
    snprintf(pat, sizeof pat, "\"event\":\"%s\"", ev);
    while (f && fgets(line, sizeof line, f)) {
        if (!strstr(line, pat)) continue;
        if (first < 0) first = strtod(strstr(line, "\"ts\":") + 5, NULL);
        n++;
    }
    if (f) fclose(f);
    if (count) *count = n;
    return first;
}

static double wall_ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int warm_socket_open(void) { return log_event("ws_open", NULL) > 0; }

/* ---- tests -------------------------------------------------------------------- */

static void test_streamed_pushes(void **state)
{
    (void)state;
    start_fake("--first-audio-ms 100");
    open_tts(0);
    /* the pieces' timing is the point: start once the warm socket is up, so a
     * handshake slowed by a loaded machine cannot bunch them together */
    run_until(warm_socket_open, 20);
    assert_true(warm_socket_open());
    const char *p1 = "Hello there, this is the first clause of my answer.";
    const char *p2 = " Here comes the second part,";
    const char *p3 = " and this is the end of it.";
    char whole[256];
    snprintf(whole, sizeof whole, "%s%s%s", p1, p2, p3);
    assert_int_equal(hk_tts_elevenlabs.push(T.tts, 1, p1, 1, 0), 0);
    run_for(0.8);
    assert_int_equal(hk_tts_elevenlabs.push(T.tts, 1, p2, 1, 0), 0);
    run_for(0.8);
    double last_push = wall_now(), last_push_wall = wall_ms_now();
    assert_int_equal(hk_tts_elevenlabs.push(T.tts, 1, p3, 0, 1), 0);
    run_until(done1, 20);
    rec *r = &T.r[1];
    assert_int_equal(r->done, 1);
    assert_true(r->ok);
    assert_true(r->first_audio_t > 0 && r->first_audio_t < last_push); /* audio before the end */
    assert_speech(r, 2.0, 15.0);
    assert_marks(r, whole, 12);
    /* the fake saw the text in pieces, the first long before the end */
    int n_text = 0;
    double first_text = log_event("text", &n_text);
    double eos = log_event("eos", NULL);
    assert_true(n_text >= 3);
    assert_true(first_text > 0 && eos > 0 && first_text < eos - 1000);
    assert_true(eos >= last_push_wall - 50);
    double first_audio = log_event("first_audio", NULL);
    assert_true(first_audio > 0 && first_audio < eos);
    /* the second part's words are placed after the first's in audio time */
    const char *sec = strstr(whole, "second");
    int found = 0;
    for (size_t i = 0; i < r->n_marks; i++)
        if (r->marks[i].text_pos == (uint32_t)(sec - whole)) {
            found = 1;
            assert_true(r->marks[i].audio_ms > 1500);
        }
    assert_true(found);
}

static void test_speak(void **state)
{
    (void)state;
    start_fake(NULL);
    open_tts(0);
    const char *text = "Good morning. How can I help you today?";
    assert_int_equal(hk_tts_elevenlabs.speak(T.tts, 1, text), 0);
    run_until(done1, 20);
    assert_int_equal(T.r[1].done, 1);
    assert_true(T.r[1].ok);
    assert_speech(&T.r[1], 1.0, 10.0);
    assert_marks(&T.r[1], text, 6);
    /* a finished request takes no more text */
    assert_int_equal(hk_tts_elevenlabs.push(T.tts, 1, "more", 0, 1), -1);
    int n = 0;
    log_event("http_request", &n);
    assert_int_equal(n, 0); /* the WebSocket path, no fallback */
}

static void test_two_requests_in_order(void **state)
{
    (void)state;
    start_fake("--first-audio-ms 300");
    open_tts(0);
    /* request 2 is complete before request 1's text ends */
    assert_int_equal(hk_tts_elevenlabs.push(T.tts, 1, "This first reply is fairly long, so it takes a while.", 1, 0), 0);
    assert_int_equal(hk_tts_elevenlabs.speak(T.tts, 2, "Second reply."), 0);
    run_for(0.5);
    assert_int_equal(hk_tts_elevenlabs.push(T.tts, 1, "Still the first one.", 0, 1), 0);
    run_until(done12, 20);
    assert_int_equal(T.r[1].done, 1);
    assert_int_equal(T.r[2].done, 1);
    assert_true(T.r[1].ok && T.r[2].ok);
    assert_speech(&T.r[1], 1.5, 15);
    assert_speech(&T.r[2], 0.4, 8);
    /* every callback of 1 before any of 2, 1's done last of its own */
    const char *d1 = strstr(T.order, "d1");
    assert_non_null(d1);
    assert_null(strchr(d1 + 2, '1'));
    for (const char *p = T.order; p < d1; p += 2) assert_int_equal(p[1], '1');
    assert_non_null(strstr(d1, "a2"));
    /* both were synthesised on their own connection at once */
    int eos = 0;
    log_event("eos", &eos);
    assert_int_equal(eos, 2);
}

static void test_refused_ws_falls_back_to_http(void **state)
{
    (void)state;
    start_fake("--fault refuse-ws");
    open_tts(0);
    const char *text = "The socket is refused, so this comes over HTTP.";
    assert_int_equal(hk_tts_elevenlabs.push(T.tts, 1, "The socket is refused,", 1, 0), 0);
    assert_int_equal(hk_tts_elevenlabs.push(T.tts, 1, " so this comes over HTTP.", 0, 1), 0);
    run_until(done1, 20);
    assert_int_equal(T.r[1].done, 1);
    assert_true(T.r[1].ok);
    assert_speech(&T.r[1], 1.0, 12);
    (void)text;
    int refused = 0, http = 0;
    log_event("ws_refused", &refused);
    log_event("http_request", &http);
    assert_true(refused >= 1);
    assert_int_equal(http, 1);
    /* the whole text went in one body, the pieces joined */
    FILE *f = fopen(T.log_path, "r");
    char line[8192];
    int saw = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, "http_request") && strstr(line, "The socket is refused, so this comes over HTTP."))
            saw = 1;
    fclose(f);
    assert_true(saw);
}

static void http_error_case(const char *fault, const char *status)
{
    start_fake(fault);
    open_tts(0);
    assert_int_equal(hk_tts_elevenlabs.speak(T.tts, 1, "This will not work."), 0);
    run_until(done1, 20);
    run_for(0.3); /* nothing more arrives */
    assert_int_equal(T.r[1].done, 1);
    assert_false(T.r[1].ok);
    assert_int_equal(T.r[1].audio_n, 0);
    assert_non_null(strstr(T.r[1].err, "elevenlabs: http "));
    assert_non_null(strstr(T.r[1].err, status));
}

static void test_http_429(void **state)
{
    (void)state;
    http_error_case("--fault refuse-ws,429", "429");
    assert_non_null(strstr(T.r[1].err, "Too many concurrent requests"));
}

static void test_http_500(void **state)
{
    (void)state;
    http_error_case("--fault refuse-ws,500", "500");
}

/* a wrong key: the handshake is refused and the HTTP endpoint says why */
static void test_wrong_key(void **state)
{
    (void)state;
    http_error_case("--key another-key", "401");
    assert_non_null(strstr(T.r[1].err, "Invalid API key"));
}

static void test_drop_after_first_audio(void **state)
{
    (void)state;
    start_fake("--fault drop --fault-count 1");
    open_tts(0);
    assert_int_equal(hk_tts_elevenlabs.speak(T.tts, 1,
        "This is a long enough sentence that its audio comes in several chunks over the socket."), 0);
    run_until(done1, 20);
    run_for(0.3);
    assert_int_equal(T.r[1].done, 1);
    assert_false(T.r[1].ok);
    assert_true(T.r[1].audio_n > 0);
    assert_non_null(strstr(T.r[1].err, "elevenlabs:"));
    /* the next request works (the fault hit only the first connection) */
    assert_int_equal(hk_tts_elevenlabs.speak(T.tts, 2, "And now it works again."), 0);
    run_until(done2, 20);
    assert_true(T.r[2].ok);
    assert_speech(&T.r[2], 0.5, 10);
}

static void test_stall_times_out(void **state)
{
    (void)state;
    start_fake("--fault stall");
    open_tts(1.0);
    /* Blocking work since the loop last ran (a slow fake start under ASan did
     * this by accident): libev's ev_now is now stale, and a timeout armed
     * from it would fire this much early. It must count from speak(). */
    usleep(400000);
    double t0 = wall_now();
    assert_int_equal(hk_tts_elevenlabs.speak(T.tts, 1, "Nobody will answer this."), 0);
    run_until(done1, 20);
    double took = wall_now() - t0;
    run_for(0.3);
    assert_int_equal(T.r[1].done, 1);
    assert_false(T.r[1].ok);
    assert_non_null(strstr(T.r[1].err, "elevenlabs: timeout"));
    assert_true(took >= 0.9 && took < 8);
}

static void test_malformed_retries(void **state)
{
    (void)state;
    start_fake("--fault malformed --fault-count 1");
    open_tts(0);
    assert_int_equal(hk_tts_elevenlabs.speak(T.tts, 1, "A garbled first frame is survived."), 0);
    run_until(done1, 20);
    assert_int_equal(T.r[1].done, 1);
    assert_true(T.r[1].ok);
    assert_speech(&T.r[1], 0.8, 10);
}

static void cancel_mid_stream(const char *fake_args)
{
    start_fake(fake_args);
    open_tts(0);
    T.cancel_on_audio = 1;
    assert_int_equal(hk_tts_elevenlabs.push(T.tts, 1,
        "This answer is going to be interrupted by the caller very soon, before it ends.", 1, 0), 0);
    assert_int_equal(hk_tts_elevenlabs.push(T.tts, 1, " And it goes on and on.", 1, 1), 0);
    double t0 = wall_now();
    while (!T.cancelled && wall_now() - t0 < 20) ev_run(T.loop, EVRUN_ONCE);
    assert_true(T.cancelled);
    run_for(1.0);
    assert_int_equal(T.after_cancel, 0);
    assert_int_equal(T.r[1].done, 0);
    /* pushing to the cancelled request is refused; a new one works */
    assert_int_equal(hk_tts_elevenlabs.push(T.tts, 1, "more", 0, 1), -1);
    assert_int_equal(hk_tts_elevenlabs.speak(T.tts, 2, "Sure, what would you like instead?"), 0);
    run_until(done2, 20);
    assert_true(T.r[2].ok);
    assert_speech(&T.r[2], 0.8, 10);
    assert_int_equal(T.r[1].done, 0);
}

static void test_cancel_mid_stream(void **state)
{
    (void)state;
    cancel_mid_stream("--first-audio-ms 50");
}

/* the same on the HTTP fallback: cancel from inside libcurl's data callback */
static void test_cancel_during_http(void **state)
{
    (void)state;
    cancel_mid_stream("--first-audio-ms 50 --fault refuse-ws");
}

static void close_in_callback(const char *fake_args)
{
    start_fake(fake_args);
    open_tts(0);
    T.close_on_audio = 1;
    assert_int_equal(hk_tts_elevenlabs.push(T.tts, 1, "The provider is closed while this plays.", 1, 0), 0);
    assert_int_equal(hk_tts_elevenlabs.speak(T.tts, 2, "And this one never comes."), 0);
    assert_int_equal(hk_tts_elevenlabs.push(T.tts, 1, " Really.", 1, 1), 0);
    double t0 = wall_now();
    while (!T.closed && wall_now() - t0 < 20) ev_run(T.loop, EVRUN_ONCE);
    assert_true(T.closed);
    run_for(1.0);
    assert_int_equal(T.after_close, 0);
    assert_int_equal(T.r[1].done + T.r[2].done, 0);
}

static void test_close_in_callback(void **state)
{
    (void)state;
    close_in_callback("--first-audio-ms 50");
}

static void test_close_in_http_callback(void **state)
{
    (void)state;
    close_in_callback("--first-audio-ms 50 --fault refuse-ws");
}

static void test_warm_socket_dies(void **state)
{
    (void)state;
    start_fake("--inactivity-s 1");
    open_tts(0);
    run_for(2.5); /* the warm socket is closed by the service meanwhile */
    assert_int_equal(hk_tts_elevenlabs.speak(T.tts, 1, "Still here after a pause."), 0);
    run_until(done1, 20);
    assert_true(T.r[1].ok);
    assert_speech(&T.r[1], 0.5, 10);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_streamed_pushes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_speak, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_requests_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_ws_falls_back_to_http, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_429, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_500, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drop_after_first_audio, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stall_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_retries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_mid_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_during_http, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_in_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_in_http_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warm_socket_dies, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
