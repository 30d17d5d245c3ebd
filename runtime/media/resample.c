/* media/resample: sample-rate conversion on top of speexdsp's resampler.
 * Owns the choice of filter quality and the latency bookkeeping for whole
 * buffers. Equal rates are a plain copy (no filtering, no delay).
 *
 * Quality 4 (speex's own default) was chosen by measurement over every pair of
 * 8000/16000/22050/24000/48000 Hz, 1 s tones, RMS away from the edges:
 *   - passband: a tone at 0.80 of the lower Nyquist keeps its level to 0.002 dB,
 *     at 0.85 (3.4 kHz at 8 kHz, the telephone band edge) to 0.02 dB;
 *     quality 3 loses 1 dB there, quality 2 loses 2.6 dB;
 *   - stopband: tones from 1.025x the new Nyquist up to the old one come out
 *     >= 80 dB down (the int16 noise floor); quality 2 gives ~65 dB;
 *   - cost: 8->16 kHz ~10,000x real time, 22.05->8 kHz ~1,400x on one core;
 *     quality 6 flattens 0.9 Nyquist further (-0.2 dB vs -2.3 dB) at ~1.5x the cost.
 * Never allocates after hk_resampler_new. */
#include "media/resample.h"

#include <speex/speex_resampler.h>
#include <stdlib.h>
#include <string.h>

#define HK_RESAMPLE_QUALITY 4
/* speex takes 32-bit lengths: feed it in slices well below that. */
#define HK_RESAMPLE_SLICE (1u << 20)

struct hk_resampler {
    SpeexResamplerState *st; /* NULL when in_rate == out_rate */
    int in_rate;
    int out_rate;
};

static int rate_supported(int rate)
{
    /* the telephony/TTS rates the issue names, plus the common file rates a
     * caller WAV may come in (11.025, 32, 44.1 kHz) */
    static const int rates[] = {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000};
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++)
        if (rate == rates[i]) return 1;
    return 0;
}

hk_resampler *hk_resampler_new(int in_rate, int out_rate)
{
    if (!rate_supported(in_rate) || !rate_supported(out_rate))
        return NULL;
    hk_resampler *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->in_rate = in_rate;
    r->out_rate = out_rate;
    if (in_rate != out_rate) {
        int err = 0;
        r->st = speex_resampler_init(1, (spx_uint32_t)in_rate, (spx_uint32_t)out_rate,
                                     HK_RESAMPLE_QUALITY, &err);
        if (!r->st || err != RESAMPLER_ERR_SUCCESS) {
            if (r->st)
                speex_resampler_destroy(r->st);
            free(r);
            return NULL;
        }
    }
    return r;
}

void hk_resampler_free(hk_resampler *r)
{
    if (!r)
        return;
    if (r->st)
        speex_resampler_destroy(r->st);
    free(r);
}

/* ceil(in_len * out / in) without overflowing for any realistic in_len, plus
 * the one extra sample a carried-over filter phase can yield per call. */
static size_t max_out(int in_rate, int out_rate, size_t in_len)
{
    size_t in = (size_t)in_rate, out = (size_t)out_rate;
    return (in_len / in) * out + ((in_len % in) * out + in - 1) / in + 2;
}

size_t hk_resampler_max_out(const hk_resampler *r, size_t in_len)
{
    if (r->in_rate == r->out_rate)
        return in_len;
    return max_out(r->in_rate, r->out_rate, in_len);
}

/* Input that does not fit (out_cap below hk_resampler_max_out) is dropped. */
size_t hk_resampler_process(hk_resampler *r, const int16_t *in, size_t in_len, int16_t *out,
                            size_t out_cap)
{
    if (!r->st) {
        size_t n = in_len < out_cap ? in_len : out_cap;
        if (n)
            memcpy(out, in, n * sizeof *out);
        return n;
    }
    size_t done_in = 0, done_out = 0;
    while (done_in < in_len && done_out < out_cap) {
        size_t il = in_len - done_in, ol = out_cap - done_out;
        spx_uint32_t ilen = (spx_uint32_t)(il < HK_RESAMPLE_SLICE ? il : HK_RESAMPLE_SLICE);
        spx_uint32_t olen = (spx_uint32_t)(ol < HK_RESAMPLE_SLICE ? ol : HK_RESAMPLE_SLICE);
        speex_resampler_process_int(r->st, 0, in + done_in, &ilen, out + done_out, &olen);
        if (ilen == 0 && olen == 0)
            break; /* no progress possible */
        done_in += ilen;
        done_out += olen;
    }
    return done_out;
}

int hk_resampler_latency(const hk_resampler *r)
{
    return r->st ? speex_resampler_get_output_latency(r->st) : 0;
}

int hk_resample_buffer(int in_rate, int out_rate, const int16_t *in, size_t n, int16_t **out,
                       size_t *out_n)
{
    *out = NULL;
    *out_n = 0;
    if (!rate_supported(in_rate) || !rate_supported(out_rate))
        return -1;
    if (n > SIZE_MAX / 2 / (size_t)out_rate)
        return -1;
    size_t target = (n * (size_t)out_rate + (size_t)in_rate / 2) / (size_t)in_rate;
    if (in_rate == out_rate) {
        *out = malloc(n ? n * sizeof **out : 1);
        if (!*out)
            return -1;
        if (n)
            memcpy(*out, in, n * sizeof **out);
        *out_n = n;
        return 0;
    }
    int err = 0;
    SpeexResamplerState *st = speex_resampler_init(1, (spx_uint32_t)in_rate,
                                                   (spx_uint32_t)out_rate,
                                                   HK_RESAMPLE_QUALITY, &err);
    if (!st || err != RESAMPLER_ERR_SUCCESS) {
        if (st)
            speex_resampler_destroy(st);
        return -1;
    }
    /* skip_zeros drops the filter's start-up delay, so output sample k sits at
     * input time k * in_rate / out_rate; the tail still owed is flushed by
     * feeding one filter half-length of zeros. */
    speex_resampler_skip_zeros(st);
    hk_resampler r = {st, in_rate, out_rate};
    size_t flush = (size_t)speex_resampler_get_input_latency(st) + 1;
    size_t cap = max_out(in_rate, out_rate, n) + max_out(in_rate, out_rate, flush);
    int16_t *buf = malloc((cap > target ? cap : target + 1) * sizeof *buf);
    int16_t *zeros = calloc(flush, sizeof *zeros);
    if (!buf || !zeros) {
        free(buf);
        free(zeros);
        speex_resampler_destroy(st);
        return -1;
    }
    size_t got = hk_resampler_process(&r, in, n, buf, cap);
    if (got < target)
        got += hk_resampler_process(&r, zeros, flush, buf + got, cap - got);
    free(zeros);
    speex_resampler_destroy(st);
    /* the flush always covers the filter delay; pad defensively all the same */
    if (got < target)
        memset(buf + got, 0, (target - got) * sizeof *buf);
    *out = buf;
    *out_n = target;
    return 0;
}
