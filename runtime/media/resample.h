/* media/resample: sample-rate conversion between 8000, 16000, 22050, 24000 and
 * 48000 Hz (any pair; the common file rates 11025, 12000, 32000 and 44100 too), band-limited so a tone above the new Nyquist is
 * attenuated >= 40 dB and an in-band tone keeps its level within 1 dB. Streaming:
 * filter state is kept between calls. No allocation after _new. */
#ifndef HK_RESAMPLE_H
#define HK_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct hk_resampler hk_resampler;

/* NULL when a rate is not supported. */
hk_resampler *hk_resampler_new(int in_rate, int out_rate);
void hk_resampler_free(hk_resampler *r);
/* Upper bound of output samples for in_len input samples (use to size out). */
size_t hk_resampler_max_out(const hk_resampler *r, size_t in_len);
/* Consumes all in_len samples; returns samples written to out (<= out_cap). */
size_t hk_resampler_process(hk_resampler *r, const int16_t *in, size_t in_len, int16_t *out,
                            size_t out_cap);
/* Filter delay in output samples (the offset to drop/flush for whole buffers). */
int hk_resampler_latency(const hk_resampler *r);

/* Whole-buffer convenience: converts n samples, compensating the filter delay
 * so output length is round(n * out_rate / in_rate) and aligned in time.
 * *out is malloc'ed (caller frees). Returns 0, or -1 on bad rates / no memory. */
int hk_resample_buffer(int in_rate, int out_rate, const int16_t *in, size_t n, int16_t **out,
                       size_t *out_n);

#endif
