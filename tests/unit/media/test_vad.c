/* tests/unit/media/test_vad: the energy VAD on 8 kHz 20 ms frames: silence,
 * tone and noise bursts (start after start_ms, end after hangover), short gaps,
 * noise-floor tracking, configurable thresholds, and real espeak-ng speech
 * passed through mu-law as on a phone line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <espeak-ng/speak_lib.h>

#include "media/g711.h"
#include "media/resample.h"
#include "media/vad.h"

#define RATE 8000
#define FRAME 160 /* 20 ms */

/* Synthetic line: an optional tone plus optional white noise, levels in dBFS
 * (RMS); below -99 means absent. */
typedef struct line {
    hk_vad vad;
    long frame_no; /* frames processed so far */
    long starts, ends;
    long last_start, last_end; /* frame numbers of the last events */
    double max_noise_in_speech;
    uint32_t seed;
    double phase;
} line;

static void line_init(line *l, const hk_vad_config *cfg)
{
    memset(l, 0, sizeof *l);
    hk_vad_init(&l->vad, cfg, RATE);
    l->last_start = l->last_end = -1;
    l->max_noise_in_speech = -1000;
    l->seed = 1;
}

static double uniform(line *l)
{
    l->seed = l->seed * 1664525u + 1013904223u;
    return (double)(l->seed >> 8) / (double)(1u << 24) * 2.0 - 1.0;
}

/* Feeds ms of signal; returns the events seen as a bit set (1 << event). */
static int feed(line *l, double tone_db, double noise_db, int ms)
{
    int seen = 0;
    double tone_amp = tone_db > -99 ? 32768.0 * sqrt(2.0) * pow(10, tone_db / 20) : 0;
    double noise_amp = noise_db > -99 ? 32768.0 * sqrt(3.0) * pow(10, noise_db / 20) : 0;
    for (int f = 0; f < ms / 20; f++) {
        int16_t x[FRAME];
        for (int i = 0; i < FRAME; i++) {
            double v = tone_amp * sin(l->phase) + noise_amp * uniform(l);
            l->phase += 2 * M_PI * 440.0 / RATE;
            x[i] = (int16_t)lrint(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
        }
        hk_vad_event e = hk_vad_process(&l->vad, x, FRAME);
        seen |= 1 << e;
        if (e == HK_VAD_SPEECH_START) {
            l->starts++;
            l->last_start = l->frame_no;
        } else if (e == HK_VAD_SPEECH_END) {
            l->ends++;
            l->last_end = l->frame_no;
        }
        if (l->vad.in_speech && l->vad.noise_db > l->max_noise_in_speech)
            l->max_noise_in_speech = l->vad.noise_db;
        l->frame_no++;
    }
    return seen;
}

static void test_frame_dbfs(void **state)
{
    (void)state;
    int16_t x[FRAME];
    memset(x, 0, sizeof x);
    assert_true(hk_frame_dbfs(x, FRAME) == -100.0);
    assert_true(hk_frame_dbfs(x, 0) == -100.0);
    for (int i = 0; i < FRAME; i++)
        x[i] = (int16_t)lrint(32767 * sin(2 * M_PI * 1000 * i / RATE));
    assert_true(fabs(hk_frame_dbfs(x, FRAME) - (-3.01)) < 0.05);
    for (int i = 0; i < FRAME; i++)
        x[i] = (int16_t)(i & 1 ? 3277 : -3277);
    assert_true(fabs(hk_frame_dbfs(x, FRAME) - (-20.0)) < 0.05);
}

static void test_silence_stays_silent(void **state)
{
    (void)state;
    line l;
    line_init(&l, NULL);
    assert_int_equal(feed(&l, -200, -200, 5000), 1 << HK_VAD_SILENCE);
    assert_int_equal(feed(&l, -200, -60, 5000), 1 << HK_VAD_SILENCE);
    assert_true(fabs(l.vad.noise_db - (-60)) < 2.0); /* floor found the line noise */
    assert_int_equal(feed(&l, -45, -60, 2000), 1 << HK_VAD_SILENCE); /* below start_db */
}

static void test_tone_burst_timing(void **state)
{
    (void)state;
    line l;
    line_init(&l, NULL);
    feed(&l, -200, -70, 1000); /* frames 0..49 */
    feed(&l, -20, -70, 1000);  /* frames 50..99 */
    /* start_ms 60 = three loud frames: confirmed on the third */
    assert_int_equal(l.starts, 1);
    assert_int_equal(l.last_start, 52);
    assert_int_equal(l.ends, 0);
    feed(&l, -200, -70, 2000); /* frames 100.. */
    /* hangover 500 ms = 25 quiet frames: ends on the 25th */
    assert_int_equal(l.ends, 1);
    assert_int_equal(l.last_end, 124);
    assert_int_equal(l.starts, 1);
}

static void test_noise_burst(void **state)
{
    (void)state;
    line l;
    line_init(&l, NULL);
    feed(&l, -200, -65, 2000);
    feed(&l, -200, -15, 700); /* a burst of loud noise (a cough, a door) */
    feed(&l, -200, -65, 1000);
    assert_int_equal(l.starts, 1);
    assert_int_equal(l.last_start, 100 + 2);
    assert_int_equal(l.ends, 1);
    assert_int_equal(l.last_end, 135 + 24);
}

static void test_blip_shorter_than_start_ms(void **state)
{
    (void)state;
    line l;
    line_init(&l, NULL);
    feed(&l, -200, -70, 500);
    for (int i = 0; i < 10; i++) {
        feed(&l, -10, -70, 40); /* 40 ms clicks, 200 ms apart */
        feed(&l, -200, -70, 200);
    }
    assert_int_equal(l.starts, 0);
}

static void test_short_gaps_do_not_end(void **state)
{
    (void)state;
    line l;
    line_init(&l, NULL);
    feed(&l, -200, -70, 500);
    static const int gaps[] = {100, 280, 200, 480, 60, 300};
    for (size_t i = 0; i < sizeof gaps / sizeof gaps[0]; i++) {
        feed(&l, -25, -70, 300);
        feed(&l, -200, -70, gaps[i]);
    }
    feed(&l, -25, -70, 300);
    assert_int_equal(l.starts, 1);
    assert_int_equal(l.ends, 0);
    feed(&l, -200, -70, 520);
    assert_int_equal(l.ends, 1);
}

static void test_noise_floor_adapts(void **state)
{
    (void)state;
    line l;
    line_init(&l, NULL);
    feed(&l, -200, -60, 2000);
    /* noise rising slowly to -25 dBFS (above start_db) is tracked, not speech */
    for (int db = -60; db <= -25; db++)
        feed(&l, -200, db, 240);
    feed(&l, -200, -25, 3000);
    assert_int_equal(l.starts, 0);
    assert_true(fabs(l.vad.noise_db - (-25)) < 2.0);
    /* 6 dB above that noise is not enough SNR */
    feed(&l, -19, -25, 1000);
    assert_int_equal(l.starts, 0);
    /* 20 dB above it is */
    double floor_before = l.vad.noise_db;
    feed(&l, -5, -25, 5000);
    assert_int_equal(l.starts, 1);
    /* long speech must not raise the floor */
    assert_true(l.max_noise_in_speech <= floor_before + 1e-9);
    feed(&l, -200, -25, 1000);
    assert_int_equal(l.ends, 1);
    /* the noise stops: the floor falls fast */
    feed(&l, -200, -70, 1000);
    assert_true(l.vad.noise_db < -65);
}

static void test_thresholds_configurable(void **state)
{
    (void)state;
    hk_vad_config cfg;
    hk_vad_config_default(&cfg);
    assert_true(cfg.start_db == -40 && cfg.stop_db == -45 && cfg.snr_db == 10);
    assert_int_equal(cfg.start_ms, 60);
    assert_int_equal(cfg.hangover_ms, 500);
    line l;
    cfg.start_db = -20;
    cfg.stop_db = -25;
    line_init(&l, &cfg);
    feed(&l, -30, -70, 2000);
    assert_int_equal(l.starts, 0); /* default -40 would have started */
    hk_vad_config_default(&cfg);
    cfg.start_ms = 200;
    cfg.hangover_ms = 100;
    line_init(&l, &cfg);
    feed(&l, -200, -70, 400);
    feed(&l, -20, -70, 1000);
    assert_int_equal(l.last_start, 20 + 9);
    feed(&l, -200, -70, 400);
    assert_int_equal(l.last_end, 70 + 4);
    /* hysteresis: once started, a level between stop_db and start_db holds */
    line_init(&l, NULL);
    feed(&l, -200, -70, 400);
    feed(&l, -20, -70, 200);
    feed(&l, -42, -70, 2000);
    assert_int_equal(l.starts, 1);
    assert_int_equal(l.ends, 0);
    feed(&l, -48, -70, 600);
    assert_int_equal(l.ends, 1);
    hk_vad_reset(&l.vad);
    assert_int_equal(l.vad.in_speech, 0);
}

/* espeak-ng speech, 22.05 kHz -> 8 kHz -> mu-law -> 16-bit, in 20 ms frames. */
static int16_t *tts;
static size_t tts_n, tts_cap;

static int tts_cb(short *wav, int n, espeak_EVENT *ev)
{
    (void)ev;
    if (!wav || n <= 0)
        return 0;
    if (tts_n + (size_t)n > tts_cap) {
        tts_cap = (tts_n + (size_t)n) * 2;
        tts = realloc(tts, tts_cap * sizeof *tts);
        assert_non_null(tts);
    }
    memcpy(tts + tts_n, wav, (size_t)n * sizeof *tts);
    tts_n += (size_t)n;
    return 0;
}

static void test_espeak_phone_speech(void **state)
{
    (void)state;
    int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL, 0);
    if (rate <= 0 || espeak_SetVoiceByName("en") != EE_OK)
        skip();
    espeak_SetSynthCallback(tts_cb);
    espeak_SetParameter(espeakWORDGAP, 20, 0); /* +200 ms between words */
    const char *text = "I would like to book a table for Monday at nine please";
    espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0, espeakCHARS_AUTO, NULL, NULL);
    espeak_Synchronize();
    espeak_Terminate();
    assert_true(tts_n > (size_t)rate);
    int16_t *pcm = NULL;
    size_t n = 0;
    assert_int_equal(hk_resample_buffer(rate, RATE, tts, tts_n, &pcm, &n), 0);
    free(tts);
    uint8_t *mu = malloc(n);
    hk_ulaw_encode_buf(pcm, mu, n);
    hk_ulaw_decode_buf(mu, pcm, n);
    free(mu);

    hk_vad v;
    hk_vad_init(&v, NULL, RATE);
    int starts = 0, ends = 0, quiet_run = 0, longest_gap = 0;
    int16_t silence[FRAME] = {0};
    for (int f = 0; f < 25; f++) /* 0.5 s of line silence first */
        hk_vad_process(&v, silence, FRAME);
    for (size_t i = 0; i + FRAME <= n; i += FRAME) {
        hk_vad_event e = hk_vad_process(&v, pcm + i, FRAME);
        starts += e == HK_VAD_SPEECH_START;
        ends += e == HK_VAD_SPEECH_END;
        quiet_run = v.last_db < -45 ? quiet_run + 20 : 0;
        if (quiet_run > longest_gap && v.in_speech)
            longest_gap = quiet_run;
    }
    free(pcm);
    print_message("  longest quiet run inside the utterance: %d ms\n", longest_gap);
    assert_true(longest_gap >= 200 && longest_gap < 300); /* short gaps, as meant */
    assert_int_equal(starts, 1);
    assert_int_equal(ends, 0);
    for (int f = 0; f < 30 && !ends; f++)
        ends += hk_vad_process(&v, silence, FRAME) == HK_VAD_SPEECH_END;
    assert_int_equal(ends, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_dbfs),
        cmocka_unit_test(test_silence_stays_silent),
        cmocka_unit_test(test_tone_burst_timing),
        cmocka_unit_test(test_noise_burst),
        cmocka_unit_test(test_blip_shorter_than_start_ms),
        cmocka_unit_test(test_short_gaps_do_not_end),
        cmocka_unit_test(test_noise_floor_adapts),
        cmocka_unit_test(test_thresholds_configurable),
        cmocka_unit_test(test_espeak_phone_speech),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
