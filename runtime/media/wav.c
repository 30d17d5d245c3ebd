/* media/wav: RIFF/WAVE reader (over memory; files are slurped first) and a
 * 16-bit PCM writer. Owns the chunk walk and the sample conversions to int16.
 *
 * The reader is fed untrusted bytes (it is fuzzed): every read is bounded by
 * the buffer, declared sizes are never trusted beyond it, and anything it does
 * not understand is rejected with a message that says what is wrong.
 *
 * Chunk rules: chunks may come in any order; odd-sized chunks are followed by
 * one pad byte; unknown chunks are skipped; the first fmt and the first data
 * chunk win and the walk stops once both are seen (trailing junk is ignored).
 * A data chunk that claims more bytes than the buffer holds necessarily runs to
 * the end of the buffer, i.e. it is the last chunk: that is what streamed WAVs
 * look like (size 0 or 0xFFFFFFFF written before the length was known), so the
 * whole frames present are accepted. It is rejected only when no whole frame
 * is present, or when the fmt chunk was still to come after it. Any other chunk
 * truncated before fmt and data were both seen is an error. A trailing partial
 * frame is dropped. The RIFF size field and the fmt byte rate are ignored:
 * writers get them wrong too often to be worth rejecting a file over. */
#include "media/wav.h"

#include "media/g711.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HK_WAV_MAX_CHANNELS 32
#define HK_WAV_MAX_RATE 768000u
#define HK_WAV_MAX_FILE (0xFFFFFFFFull + 8) /* a RIFF size is 32-bit */

enum { FMT_PCM = 1, FMT_FLOAT = 3, FMT_ALAW = 6, FMT_ULAW = 7, FMT_EXTENSIBLE = 0xFFFE };

typedef struct wav_fmt {
    unsigned tag; /* FMT_PCM, FMT_FLOAT, FMT_ALAW or FMT_ULAW after unwrapping */
    unsigned channels;
    unsigned rate;
    unsigned bits; /* container bits per sample */
    unsigned block_align;
} wav_fmt;

/* KSDATAFORMAT_SUBTYPE_* GUIDs share everything but their first two bytes. */
static const uint8_t guid_tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                      0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen,
                                                      const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static unsigned rd16(const uint8_t *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Chunk ids come from the file: print them safely. */
static void chunk_name(const uint8_t *id, char out[5])
{
    for (int i = 0; i < 4; i++)
        out[i] = (id[i] >= 0x20 && id[i] < 0x7F) ? (char)id[i] : '?';
    out[4] = '\0';
}

static int parse_fmt(const uint8_t *p, size_t size, wav_fmt *f, char *err, size_t errlen)
{
    if (size < 16)
        return fail(err, errlen, "wav: fmt chunk too short (%zu bytes, need 16)", size);
    f->tag = rd16(p);
    f->channels = rd16(p + 2);
    f->rate = rd32(p + 4);
    f->block_align = rd16(p + 12);
    f->bits = rd16(p + 14);
    if (f->tag == FMT_EXTENSIBLE) {
        if (size < 40)
            return fail(err, errlen,
                        "wav: WAVE_FORMAT_EXTENSIBLE fmt chunk too short (%zu bytes, need 40)",
                        size);
        unsigned cb = rd16(p + 16), valid = rd16(p + 18);
        if (cb < 22)
            return fail(err, errlen,
                        "wav: WAVE_FORMAT_EXTENSIBLE extension too short (cbSize %u, need 22)",
                        cb);
        if (memcmp(p + 26, guid_tail, sizeof guid_tail) != 0)
            return fail(err, errlen, "wav: WAVE_FORMAT_EXTENSIBLE with an unknown sub-format GUID");
        if (valid > f->bits)
            return fail(err, errlen, "wav: %u valid bits exceed the %u-bit container", valid,
                        f->bits);
        f->tag = rd16(p + 24);
    }
    if (f->channels == 0)
        return fail(err, errlen, "wav: zero channels");
    if (f->channels > HK_WAV_MAX_CHANNELS)
        return fail(err, errlen, "wav: too many channels (%u, at most %d)", f->channels,
                    HK_WAV_MAX_CHANNELS);
    if (f->rate == 0)
        return fail(err, errlen, "wav: zero sample rate");
    if (f->rate > HK_WAV_MAX_RATE)
        return fail(err, errlen, "wav: sample rate %u Hz out of range (at most %u)", f->rate,
                    HK_WAV_MAX_RATE);
    switch (f->tag) {
    case FMT_PCM:
        if (f->bits != 8 && f->bits != 16 && f->bits != 24 && f->bits != 32)
            return fail(err, errlen, "wav: unsupported PCM sample size (%u bits)", f->bits);
        break;
    case FMT_FLOAT:
        if (f->bits != 32 && f->bits != 64)
            return fail(err, errlen, "wav: unsupported float sample size (%u bits)", f->bits);
        break;
    case FMT_ALAW:
    case FMT_ULAW:
        if (f->bits != 8)
            return fail(err, errlen, "wav: %s samples must be 8 bits, not %u",
                        f->tag == FMT_ALAW ? "A-law" : "mu-law", f->bits);
        break;
    default:
        return fail(err, errlen,
                    "wav: unsupported format tag 0x%04X (PCM, float, mu-law and A-law only)",
                    f->tag);
    }
    unsigned expect = f->channels * (f->bits / 8);
    if (f->block_align != expect)
        return fail(err, errlen,
                    "wav: block align %u does not match %u channel(s) of %u bits (expected %u)",
                    f->block_align, f->channels, f->bits, expect);
    return 0;
}

static int16_t float_to_s16(double v)
{
    if (!(v == v)) /* NaN */
        return 0;
    v *= 32768.0;
    if (v >= 32767.0)
        return 32767;
    if (v <= -32768.0)
        return -32768;
    return (int16_t)lrint(v);
}

static int16_t convert_sample(const wav_fmt *f, const uint8_t *p)
{
    switch (f->tag) {
    case FMT_ULAW:
        return hk_ulaw_decode(p[0]);
    case FMT_ALAW:
        return hk_alaw_decode(p[0]);
    case FMT_FLOAT:
        if (f->bits == 32) {
            uint32_t u = rd32(p);
            float v;
            memcpy(&v, &u, sizeof v);
            return float_to_s16(v);
        } else {
            uint64_t u = (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
            double v;
            memcpy(&v, &u, sizeof v);
            return float_to_s16(v);
        }
    default: /* PCM: keep the top 16 bits; 8-bit PCM is unsigned */
        switch (f->bits) {
        case 8:
            return (int16_t)((p[0] - 128) * 256);
        case 16:
            return (int16_t)rd16(p);
        case 24:
            return (int16_t)rd16(p + 1);
        default:
            return (int16_t)rd16(p + 2);
        }
    }
}

int hk_wav_read_mem(const uint8_t *buf, size_t len, hk_wav *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!buf || len < 12)
        return fail(err, errlen, "wav: too short for a RIFF/WAVE header (%zu bytes)", buf ? len : 0);
    if (memcmp(buf, "RIFX", 4) == 0)
        return fail(err, errlen, "wav: big-endian RIFX files are not supported");
    if (memcmp(buf, "RF64", 4) == 0)
        return fail(err, errlen, "wav: RF64 files are not supported");
    if (memcmp(buf, "RIFF", 4) != 0)
        return fail(err, errlen, "wav: not a RIFF file");
    if (memcmp(buf + 8, "WAVE", 4) != 0)
        return fail(err, errlen, "wav: RIFF file is not WAVE");

    wav_fmt f = {0};
    int have_fmt = 0, have_data = 0;
    size_t data_off = 0, data_len = 0, pos = 12;
    uint32_t data_declared = 0;
    while (!(have_fmt && have_data) && len - pos >= 8) {
        const uint8_t *id = buf + pos;
        uint32_t size = rd32(buf + pos + 4);
        size_t body = pos + 8, avail = len - body;
        int truncated = size > avail;
        if (memcmp(id, "fmt ", 4) == 0 && !have_fmt) {
            if (truncated)
                return fail(err, errlen, "wav: fmt chunk truncated (declared %u bytes, %zu present)",
                            (unsigned)size, avail);
            if (parse_fmt(buf + body, size, &f, err, errlen) != 0)
                return -1;
            have_fmt = 1;
        } else if (memcmp(id, "data", 4) == 0 && !have_data) {
            data_off = body;
            data_len = truncated ? avail : size;
            data_declared = size;
            have_data = 1;
        } else if (truncated) {
            char name[5];
            chunk_name(id, name);
            return fail(err, errlen,
                        "wav: '%s' chunk truncated (declared %u bytes, %zu present) before the %s chunk",
                        name, (unsigned)size, avail, have_fmt ? "data" : "fmt");
        }
        if (truncated)
            break; /* this chunk runs to the end of the buffer */
        pos = body + size + (size & 1);
        if (pos > len)
            pos = len; /* the pad byte of a last odd chunk may be missing */
    }
    int data_truncated = have_data && data_len < data_declared;
    if (!have_fmt && data_truncated)
        return fail(err, errlen,
                    "wav: missing fmt chunk (the data chunk before it is truncated: declared %u "
                    "bytes, %zu present)",
                    (unsigned)data_declared, data_len);
    if (!have_fmt)
        return fail(err, errlen, "wav: missing fmt chunk");
    if (!have_data)
        return fail(err, errlen, "wav: missing data chunk");

    size_t frames = data_len / f.block_align;
    if (data_truncated && frames == 0)
        return fail(err, errlen, "wav: data chunk truncated (declared %u bytes, %zu present)",
                    (unsigned)data_declared, data_len);
    size_t count = frames * f.channels; /* <= data_len <= len: cannot overflow */
    int16_t *s = malloc(count ? count * sizeof *s : 1);
    if (!s)
        return fail(err, errlen, "wav: out of memory for %zu samples", count);
    unsigned width = f.bits / 8;
    const uint8_t *p = buf + data_off;
    for (size_t i = 0; i < count; i++, p += width)
        s[i] = convert_sample(&f, p);
    out->rate = (int)f.rate;
    out->channels = (int)f.channels;
    out->frames = frames;
    out->samples = s;
    return 0;
}

int hk_wav_read_file(const char *path, hk_wav *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return fail(err, errlen, "wav: cannot open %s: %s", path, strerror(errno));
    long size = -1;
    if (fseek(fp, 0, SEEK_END) == 0)
        size = ftell(fp);
    if (size < 0 || fseek(fp, 0, SEEK_SET) != 0) {
        fclose(fp);
        return fail(err, errlen, "wav: cannot determine the size of %s", path);
    }
    if ((unsigned long long)size > HK_WAV_MAX_FILE) {
        fclose(fp);
        return fail(err, errlen, "wav: %s is too large for a RIFF file (%ld bytes)", path, size);
    }
    uint8_t *buf = malloc(size ? (size_t)size : 1);
    if (!buf) {
        fclose(fp);
        return fail(err, errlen, "wav: out of memory reading %s (%ld bytes)", path, size);
    }
    size_t got = fread(buf, 1, (size_t)size, fp);
    int rerr = ferror(fp);
    fclose(fp);
    if (rerr || got != (size_t)size) {
        free(buf);
        return fail(err, errlen, "wav: short read on %s", path);
    }
    int rc = hk_wav_read_mem(buf, got, out, err, errlen);
    free(buf);
    return rc;
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v & 0xFFFF);
    put16(p + 2, v >> 16);
}

void hk_wav_header16(uint8_t h[44], int rate, int channels, uint32_t data_bytes)
{
    uint32_t align = (uint32_t)channels * 2;
    memcpy(h, "RIFF", 4);
    put32(h + 4, data_bytes > 0xFFFFFFFFu - 36 ? 0xFFFFFFFFu : 36 + data_bytes);
    memcpy(h + 8, "WAVEfmt ", 8);
    put32(h + 16, 16);
    put16(h + 20, FMT_PCM);
    put16(h + 22, (unsigned)channels);
    put32(h + 24, (uint32_t)rate);
    put32(h + 28, (uint32_t)rate * align);
    put16(h + 32, (unsigned)align);
    put16(h + 34, 16);
    memcpy(h + 36, "data", 4);
    put32(h + 40, data_bytes);
}

int hk_wav_write_file(const char *path, const int16_t *interleaved, size_t frames, int rate,
                      int channels, char *err, size_t errlen)
{
    if (channels <= 0 || channels > HK_WAV_MAX_CHANNELS)
        return fail(err, errlen, "wav: cannot write %d channels", channels);
    if (rate <= 0 || (unsigned)rate > HK_WAV_MAX_RATE)
        return fail(err, errlen, "wav: cannot write sample rate %d", rate);
    size_t align = (size_t)channels * 2;
    if (frames > (0xFFFFFFFFu - 36) / align)
        return fail(err, errlen, "wav: %zu frames do not fit in a RIFF file", frames);
    uint8_t h[44];
    hk_wav_header16(h, rate, channels, (uint32_t)(frames * align));

    FILE *fp = fopen(path, "wb");
    if (!fp)
        return fail(err, errlen, "wav: cannot create %s: %s", path, strerror(errno));
    int ok = fwrite(h, 1, sizeof h, fp) == sizeof h;
    uint8_t chunk[4096];
    size_t total = frames * (size_t)channels, done = 0;
    while (ok && done < total) {
        size_t n = total - done < sizeof chunk / 2 ? total - done : sizeof chunk / 2;
        for (size_t i = 0; i < n; i++)
            put16(chunk + 2 * i, (uint16_t)interleaved[done + i]);
        ok = fwrite(chunk, 1, 2 * n, fp) == 2 * n;
        done += n;
    }
    if (fclose(fp) != 0)
        ok = 0;
    if (!ok) {
        remove(path);
        return fail(err, errlen, "wav: write to %s failed", path);
    }
    return 0;
}

void hk_wav_free(hk_wav *w)
{
    if (!w)
        return;
    free(w->samples);
    memset(w, 0, sizeof *w);
}

int16_t *hk_wav_to_mono(const hk_wav *w)
{
    if (!w || w->channels <= 0 || (w->frames && !w->samples))
        return NULL;
    int16_t *m = malloc(w->frames ? w->frames * sizeof *m : 1);
    if (!m)
        return NULL;
    long ch = w->channels;
    for (size_t i = 0; i < w->frames; i++) {
        long sum = 0;
        for (long c = 0; c < ch; c++)
            sum += w->samples[i * (size_t)ch + (size_t)c];
        /* round half away from zero so a mix of equal channels is exact */
        m[i] = (int16_t)(sum >= 0 ? (sum + ch / 2) / ch : (sum - ch / 2) / ch);
    }
    return m;
}
