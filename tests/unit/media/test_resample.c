/* tests/unit/media/test_resample: band-limiting, level, alignment and
 * streaming behaviour of media/resample over every supported rate pair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <cmocka.h>

#include "media/resample.h"

static const int rates[] = {8000, 16000, 22050, 24000, 44100, 48000};
#define NRATES 5
#define AMP 10000.0

static int16_t *tone(int rate, double freq, size_t n, double phase)
{
    int16_t *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = (int16_t)lrint(AMP * sin(2 * M_PI * freq * (double)i / rate + phase));
    return x;
}

/* RMS level in dB of the middle 80%, away from filter edge effects. */
static double rms_db(const int16_t *x, size_t n)
{
    double sum = 0;
    size_t from = n / 10, to = n - n / 10, cnt = 0;
    for (size_t i = from; i < to; i++, cnt++)
        sum += (double)x[i] * x[i];
    return 10 * log10(sum / (double)cnt + 1e-9);
}

/* Level change in dB of a 1 s tone through hk_resample_buffer. */
static double gain_db(int in, int out, double freq)
{
    int16_t *x = tone(in, freq, (size_t)in, 0);
    int16_t *y = NULL;
    size_t ny = 0;
    assert_int_equal(hk_resample_buffer(in, out, x, (size_t)in, &y, &ny), 0);
    assert_int_equal(ny, (size_t)out);
    double g = rms_db(y, ny) - rms_db(x, (size_t)in);
    free(x);
    free(y);
    return g;
}

static void test_passband_level(void **state)
{
    (void)state;
    for (int a = 0; a < NRATES; a++) {
        for (int b = 0; b < NRATES; b++) {
            int in = rates[a], out = rates[b];
            double nyq = (in < out ? in : out) / 2.0;
            double g = gain_db(in, out, 0.8 * nyq);
            print_message("  %5d -> %5d: tone %.0f Hz: %+.3f dB\n", in, out, 0.8 * nyq, g);
            if (fabs(g) > 1.0)
                fail_msg("%d -> %d: in-band tone changed by %.2f dB", in, out, g);
        }
    }
}

static void test_stopband_attenuation(void **state)
{
    (void)state;
    for (int a = 0; a < NRATES; a++) {
        for (int b = 0; b < a; b++) {
            int in = rates[a], out = rates[b];
            double new_nyq = out / 2.0, old_nyq = in / 2.0;
            double freqs[3] = {1.05 * new_nyq, (new_nyq + old_nyq) / 2, 0.95 * old_nyq};
            for (int k = 0; k < 3; k++) {
                if (freqs[k] <= new_nyq || freqs[k] >= old_nyq)
                    continue;
                double g = gain_db(in, out, freqs[k]);
                print_message("  %5d -> %5d: tone %.0f Hz: %+.1f dB\n", in, out, freqs[k], g);
                if (g > -40.0)
                    fail_msg("%d -> %d: %.0f Hz only attenuated %.1f dB", in, out, freqs[k], -g);
            }
        }
    }
}

/* Output must be time-aligned: a low tone comes out as the same tone sampled
 * at the new rate, with no delay. A one-sample shift would fail the tolerance. */
static void test_buffer_alignment_and_length(void **state)
{
    (void)state;
    for (int a = 0; a < NRATES; a++) {
        for (int b = 0; b < NRATES; b++) {
            int in = rates[a], out = rates[b];
            size_t n = (size_t)in / 2 + 7;
            int16_t *x = tone(in, 440, n, 0.3);
            int16_t *y = NULL;
            size_t ny = 0;
            assert_int_equal(hk_resample_buffer(in, out, x, n, &y, &ny), 0);
            assert_int_equal(ny, (size_t)llround((double)n * out / in));
            int16_t *want = tone(out, 440, ny, 0.3);
            double worst = 0;
            for (size_t i = ny / 10; i < ny - ny / 10; i++) {
                double e = fabs((double)y[i] - want[i]);
                if (e > worst)
                    worst = e;
            }
            if (worst > 0.02 * AMP)
                fail_msg("%d -> %d: misaligned, max error %.0f", in, out, worst);
            free(x);
            free(y);
            free(want);
        }
    }
}

/* Chunked streaming gives exactly what one call over the whole input gives. */
static void test_streaming_odd_chunks(void **state)
{
    (void)state;
    static const size_t chunks[] = {1, 7, 13, 160, 333, 2, 999, 3};
    for (int a = 0; a < NRATES; a++) {
        for (int b = 0; b < NRATES; b++) {
            int in = rates[a], out = rates[b];
            size_t n = (size_t)in / 4;
            int16_t *x = tone(in, 300, n, 0);
            hk_resampler *whole = hk_resampler_new(in, out);
            hk_resampler *part = hk_resampler_new(in, out);
            assert_non_null(whole);
            assert_non_null(part);
            size_t cap = hk_resampler_max_out(whole, n);
            int16_t *y1 = malloc(cap * sizeof *y1);
            int16_t *y2 = malloc(cap * sizeof *y2);
            size_t n1 = hk_resampler_process(whole, x, n, y1, cap);
            size_t n2 = 0, pos = 0;
            for (int k = 0; pos < n; k++) {
                size_t c = chunks[k % 8];
                if (c > n - pos)
                    c = n - pos;
                /* given ample room, output never exceeds the advertised bound */
                size_t room = hk_resampler_max_out(part, c);
                int16_t tmp[8192];
                assert_true(room < 8192);
                size_t got = hk_resampler_process(part, x + pos, c, tmp, 8192);
                assert_true(got <= room);
                assert_true(n2 + got <= cap);
                for (size_t i = 0; i < got; i++)
                    y2[n2 + i] = tmp[i];
                n2 += got;
                pos += c;
            }
            assert_int_equal(n1, n2);
            for (size_t i = 0; i < n1; i++) {
                if (y1[i] != y2[i])
                    fail_msg("%d -> %d: sample %zu differs (%d vs %d)", in, out, i, y1[i], y2[i]);
            }
            /* streaming output lags the aligned buffer output by the latency */
            int lat = hk_resampler_latency(part);
            int16_t *aligned = NULL;
            size_t na = 0;
            assert_int_equal(hk_resample_buffer(in, out, x, n, &aligned, &na), 0);
            for (size_t i = na / 10; i + lat < n2 && i < na - na / 10; i++)
                assert_true(fabs((double)y2[i + lat] - aligned[i]) < 0.05 * AMP);
            free(aligned);
            free(x);
            free(y1);
            free(y2);
            hk_resampler_free(whole);
            hk_resampler_free(part);
        }
    }
}

static void test_unsupported_rates(void **state)
{
    (void)state;
    assert_null(hk_resampler_new(12345, 8000));
    assert_null(hk_resampler_new(8000, 96001));
    assert_null(hk_resampler_new(8000, 0));
    assert_null(hk_resampler_new(-8000, 16000));
    int16_t x[4] = {0};
    int16_t *y = (int16_t *)x;
    size_t ny = 99;
    assert_int_equal(hk_resample_buffer(8000, 11111, x, 4, &y, &ny), -1);
    assert_null(y);
    assert_int_equal(ny, 0);
    hk_resampler_free(NULL);
}

static void test_same_rate_and_empty(void **state)
{
    (void)state;
    int16_t x[5] = {1, -2, 3, -4, 5};
    int16_t *y = NULL;
    size_t ny = 0;
    assert_int_equal(hk_resample_buffer(16000, 16000, x, 5, &y, &ny), 0);
    assert_int_equal(ny, 5);
    assert_memory_equal(x, y, sizeof x);
    free(y);
    assert_int_equal(hk_resample_buffer(8000, 48000, x, 0, &y, &ny), 0);
    assert_int_equal(ny, 0);
    free(y);
    hk_resampler *r = hk_resampler_new(8000, 8000);
    assert_non_null(r);
    assert_int_equal(hk_resampler_latency(r), 0);
    int16_t out[5];
    assert_int_equal(hk_resampler_process(r, x, 5, out, 5), 5);
    assert_memory_equal(x, out, sizeof x);
    hk_resampler_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passband_level),
        cmocka_unit_test(test_stopband_attenuation),
        cmocka_unit_test(test_buffer_alignment_and_length),
        cmocka_unit_test(test_streaming_odd_chunks),
        cmocka_unit_test(test_unsupported_rates),
        cmocka_unit_test(test_same_rate_and_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
