/* media/wav: RIFF/WAVE read and write. Reads PCM 8/16/24/32-bit, IEEE float 32,
 * mu-law and A-law, any channel count; returns 16-bit interleaved samples.
 * Malformed headers are rejected with a message saying what is wrong. */
#ifndef HK_WAV_H
#define HK_WAV_H

#include <stddef.h>
#include <stdint.h>

typedef struct hk_wav {
    int rate;
    int channels;
    size_t frames;    /* samples per channel */
    int16_t *samples; /* interleaved, frames * channels, malloc'ed */
} hk_wav;

int hk_wav_read_mem(const uint8_t *buf, size_t len, hk_wav *out, char *err, size_t errlen);
int hk_wav_read_file(const char *path, hk_wav *out, char *err, size_t errlen);
int hk_wav_write_file(const char *path, const int16_t *interleaved, size_t frames, int rate,
                      int channels, char *err, size_t errlen);
/* The 44-byte header of a 16-bit PCM file holding data_bytes of samples.
 * data_bytes 0xFFFFFFFF marks a file still being written (readers take the
 * data to the end of the file). */
void hk_wav_header16(uint8_t h[44], int rate, int channels, uint32_t data_bytes);
void hk_wav_free(hk_wav *w);

/* Mono mix-down of any hk_wav to 16-bit at its own rate (malloc'ed). */
int16_t *hk_wav_to_mono(const hk_wav *w);

#endif
