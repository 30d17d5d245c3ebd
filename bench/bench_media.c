/* bench/bench_media: throughput of the audio core on one core, printed as
 * "x real time" (seconds of audio processed per second of CPU wall time).
 * Numbers, not pass/fail: G.711 mu-law encode+decode at 8 kHz, and streaming
 * resampling in 20 ms frames (8 -> 16 kHz for the recogniser, 22.05 -> 8 kHz
 * for TTS onto the phone line). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "media/g711.h"
#include "media/resample.h"

#define AUDIO_SECONDS 600

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Speech-like test signal: two tones and a little noise, around -15 dBFS. */
static int16_t *make_signal(int rate, size_t n)
{
    int16_t *x = malloc(n * sizeof *x);
    if (!x)
        return NULL;
    unsigned seed = 7;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        double t = (double)i / rate;
        double v = 4000 * sin(2 * M_PI * 220 * t) + 2000 * sin(2 * M_PI * 1250 * t) +
                   (double)((int)(seed >> 20) - 2048);
        x[i] = (int16_t)v;
    }
    return x;
}

static int bench_g711(void)
{
    size_t n = (size_t)AUDIO_SECONDS * 8000;
    int16_t *pcm = make_signal(8000, n);
    int16_t *back = malloc(n * sizeof *back);
    uint8_t *mu = malloc(n);
    if (!pcm || !back || !mu)
        return -1;
    hk_g711_init();
    const int reps = 50; /* a single pass takes only milliseconds */
    double t0 = now();
    for (int r = 0; r < reps; r++) {
        hk_ulaw_encode_buf(pcm, mu, n);
        hk_ulaw_decode_buf(mu, back, n);
    }
    double dt = now() - t0;
    long check = 0;
    for (size_t i = 0; i < n; i += 997)
        check += back[i];
    printf("g711 mu-law encode+decode, 8 kHz: %.0f s of audio in %.3f s = %.0fx real time "
           "(%.0f Msamples/s, check %ld)\n",
           (double)reps * AUDIO_SECONDS, dt, reps * AUDIO_SECONDS / dt, reps * (double)n / dt / 1e6,
           check);
    free(pcm);
    free(back);
    free(mu);
    return 0;
}

static int bench_resample(int in_rate, int out_rate)
{
    size_t n = (size_t)AUDIO_SECONDS * (size_t)in_rate;
    size_t frame = (size_t)in_rate / 50; /* 20 ms; 441 samples at 22.05 kHz */
    int16_t *x = make_signal(in_rate, n);
    hk_resampler *r = hk_resampler_new(in_rate, out_rate);
    if (!x || !r)
        return -1;
    size_t cap = hk_resampler_max_out(r, frame);
    int16_t *y = malloc(cap * sizeof *y);
    if (!y)
        return -1;
    size_t produced = 0;
    double t0 = now();
    for (size_t pos = 0; pos + frame <= n; pos += frame)
        produced += hk_resampler_process(r, x + pos, frame, y, cap);
    double dt = now() - t0;
    printf("resample %d -> %d Hz, 20 ms frames: %d s of audio in %.3f s = %.0fx real time "
           "(%zu samples out)\n",
           in_rate, out_rate, AUDIO_SECONDS, dt, AUDIO_SECONDS / dt, produced);
    hk_resampler_free(r);
    free(x);
    free(y);
    return 0;
}

int main(void)
{
    if (bench_g711() != 0 || bench_resample(8000, 16000) != 0 ||
        bench_resample(22050, 8000) != 0) {
        fprintf(stderr, "bench_media: out of memory\n");
        return 1;
    }
    return 0;
}
