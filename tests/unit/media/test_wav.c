/* tests/unit/media/test_wav: WAV read/write. Files are built byte by byte
 * here so every malformed case is explicit; each must fail with a message that
 * names the problem, leave the output empty, and never read out of bounds
 * (run under ASan). */
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

#include "media/wav.h"

/* A growable byte buffer for assembling test files. */
typedef struct wbuf {
    uint8_t b[4096];
    size_t n;
} wbuf;

static void put(wbuf *w, const void *p, size_t n)
{
    assert_true(w->n + n <= sizeof w->b);
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void u16(wbuf *w, unsigned v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(w, b, 2);
}

static void u32(wbuf *w, uint32_t v)
{
    u16(w, v & 0xFFFF);
    u16(w, v >> 16);
}

static void riff(wbuf *w)
{
    w->n = 0;
    put(w, "RIFF", 4);
    u32(w, 0); /* the reader ignores the RIFF size */
    put(w, "WAVE", 4);
}

static void fmt_chunk(wbuf *w, unsigned tag, unsigned ch, uint32_t rate, unsigned bits,
                      unsigned align)
{
    put(w, "fmt ", 4);
    u32(w, 16);
    u16(w, tag);
    u16(w, ch);
    u32(w, rate);
    u32(w, rate * align);
    u16(w, align);
    u16(w, bits);
}

static void fmt_simple(wbuf *w, unsigned tag, unsigned ch, uint32_t rate, unsigned bits)
{
    fmt_chunk(w, tag, ch, rate, bits, ch * bits / 8);
}

static void data_chunk(wbuf *w, const void *p, uint32_t n)
{
    put(w, "data", 4);
    u32(w, n);
    put(w, p, n);
    if (n & 1)
        put(w, "", 1);
}

static void read_ok(const wbuf *w, hk_wav *out)
{
    char err[160] = "";
    int rc = hk_wav_read_mem(w->b, w->n, out, err, sizeof err);
    if (rc != 0)
        fail_msg("unexpected error: %s", err);
}

/* Asserts failure with a message containing `want`. */
static void read_fails(const wbuf *w, const char *want)
{
    char err[160] = "";
    hk_wav out;
    assert_int_equal(hk_wav_read_mem(w->b, w->n, &out, err, sizeof err), -1);
    if (!strstr(err, want))
        fail_msg("error \"%s\" does not mention \"%s\"", err, want);
    assert_null(out.samples);
    assert_int_equal(out.frames, 0);
}

static void test_roundtrip_file(void **state)
{
    (void)state;
    char path[] = "/tmp/hark_test_wav_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    int16_t st[2000];
    for (int i = 0; i < 1000; i++) {
        st[2 * i] = (int16_t)(i * 31 - 16000);
        st[2 * i + 1] = (int16_t)(-i * 17);
    }
    char err[160] = "";
    assert_int_equal(hk_wav_write_file(path, st, 1000, 16000, 2, err, sizeof err), 0);
    hk_wav w;
    assert_int_equal(hk_wav_read_file(path, &w, err, sizeof err), 0);
    assert_int_equal(w.rate, 16000);
    assert_int_equal(w.channels, 2);
    assert_int_equal(w.frames, 1000);
    assert_memory_equal(w.samples, st, sizeof st);
    int16_t *mono = hk_wav_to_mono(&w);
    assert_non_null(mono);
    for (int i = 0; i < 1000; i++) {
        long sum = (long)st[2 * i] + st[2 * i + 1];
        assert_true(labs(2L * mono[i] - sum) <= 1);
    }
    free(mono);
    hk_wav_free(&w);
    assert_null(w.samples);
    /* mono, and an empty file */
    assert_int_equal(hk_wav_write_file(path, st, 7, 8000, 1, err, sizeof err), 0);
    assert_int_equal(hk_wav_read_file(path, &w, err, sizeof err), 0);
    assert_int_equal(w.frames, 7);
    assert_memory_equal(w.samples, st, 7 * sizeof st[0]);
    hk_wav_free(&w);
    assert_int_equal(hk_wav_write_file(path, st, 0, 8000, 1, err, sizeof err), 0);
    assert_int_equal(hk_wav_read_file(path, &w, err, sizeof err), 0);
    assert_int_equal(w.frames, 0);
    hk_wav_free(&w);
    unlink(path);
    assert_int_equal(hk_wav_read_file(path, &w, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open"));
    assert_int_equal(hk_wav_write_file(path, st, 1, 0, 1, err, sizeof err), -1);
    assert_int_equal(hk_wav_write_file(path, st, 1, 8000, 0, err, sizeof err), -1);
    assert_int_equal(hk_wav_write_file("/nonexistent-dir/x.wav", st, 1, 8000, 1, err, sizeof err),
                     -1);
}

static void test_pcm8_24_32(void **state)
{
    (void)state;
    wbuf w;
    hk_wav out;
    const uint8_t p8[] = {0, 128, 255};
    riff(&w);
    fmt_simple(&w, 1, 1, 8000, 8);
    data_chunk(&w, p8, 3); /* odd size: pad byte follows */
    read_ok(&w, &out);
    assert_int_equal(out.frames, 3);
    assert_int_equal(out.samples[0], -32768);
    assert_int_equal(out.samples[1], 0);
    assert_int_equal(out.samples[2], 32512);
    hk_wav_free(&out);

    const uint8_t p24[] = {0x00, 0x34, 0x12, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x80};
    riff(&w);
    fmt_simple(&w, 1, 1, 48000, 24);
    data_chunk(&w, p24, sizeof p24);
    read_ok(&w, &out);
    assert_int_equal(out.frames, 3);
    assert_int_equal(out.samples[0], 0x1234);
    assert_int_equal(out.samples[1], -1);
    assert_int_equal(out.samples[2], -32768);
    hk_wav_free(&out);

    const uint8_t p32[] = {0, 0, 0x34, 0x12, 0xFF, 0xFF, 0xFF, 0x7F};
    riff(&w);
    fmt_simple(&w, 1, 1, 48000, 32);
    data_chunk(&w, p32, sizeof p32);
    read_ok(&w, &out);
    assert_int_equal(out.samples[0], 0x1234);
    assert_int_equal(out.samples[1], 32767);
    hk_wav_free(&out);
}

static void test_float(void **state)
{
    (void)state;
    float f[] = {0.5f, -1.0f, 1.5f, NAN, -0.25f};
    uint8_t raw[sizeof f];
    for (size_t i = 0; i < 5; i++) {
        uint32_t u;
        memcpy(&u, &f[i], 4);
        for (int k = 0; k < 4; k++)
            raw[4 * i + (size_t)k] = (uint8_t)(u >> (8 * k));
    }
    wbuf w;
    hk_wav out;
    riff(&w);
    fmt_simple(&w, 3, 1, 22050, 32);
    data_chunk(&w, raw, sizeof raw);
    read_ok(&w, &out);
    assert_int_equal(out.rate, 22050);
    assert_int_equal(out.frames, 5);
    assert_int_equal(out.samples[0], 16384);
    assert_int_equal(out.samples[1], -32768);
    assert_int_equal(out.samples[2], 32767); /* clipped */
    assert_int_equal(out.samples[3], 0);     /* NaN */
    assert_int_equal(out.samples[4], -8192);
    hk_wav_free(&out);
}

static void test_ulaw_alaw(void **state)
{
    (void)state;
    const uint8_t codes[] = {0xFF, 0x00, 0x80, 0x7F};
    wbuf w;
    hk_wav out;
    riff(&w);
    fmt_simple(&w, 7, 1, 8000, 8);
    data_chunk(&w, codes, 4);
    read_ok(&w, &out);
    assert_int_equal(out.samples[0], 0);
    assert_int_equal(out.samples[1], -32124);
    assert_int_equal(out.samples[2], 32124);
    assert_int_equal(out.samples[3], 0);
    hk_wav_free(&out);
    const uint8_t a[] = {0xD5, 0x55};
    riff(&w);
    fmt_simple(&w, 6, 1, 8000, 8);
    data_chunk(&w, a, 2);
    read_ok(&w, &out);
    assert_int_equal(out.samples[0], 8);
    assert_int_equal(out.samples[1], -8);
    hk_wav_free(&out);
}

static void fmt_extensible(wbuf *w, unsigned sub, unsigned ch, unsigned bits, unsigned valid,
                           int bad_guid)
{
    static const uint8_t tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                     0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
    put(w, "fmt ", 4);
    u32(w, 40);
    u16(w, 0xFFFE);
    u16(w, ch);
    u32(w, 16000);
    u32(w, 16000 * ch * bits / 8);
    u16(w, ch * bits / 8);
    u16(w, bits);
    u16(w, 22);
    u16(w, valid);
    u32(w, 3); /* channel mask */
    u16(w, sub);
    put(w, tail, bad_guid ? 13 : 14);
    if (bad_guid)
        put(w, "\x72", 1);
}

static void test_extensible_and_stereo(void **state)
{
    (void)state;
    const int16_t s[] = {100, -100, 200, -200};
    wbuf w;
    hk_wav out;
    riff(&w);
    fmt_extensible(&w, 1, 2, 16, 16, 0);
    data_chunk(&w, s, sizeof s);
    read_ok(&w, &out);
    assert_int_equal(out.channels, 2);
    assert_int_equal(out.frames, 2);
    assert_int_equal(out.samples[3], -200);
    int16_t *m = hk_wav_to_mono(&out);
    assert_int_equal(m[0], 0);
    free(m);
    hk_wav_free(&out);
    riff(&w);
    fmt_extensible(&w, 1, 2, 16, 16, 1);
    data_chunk(&w, s, sizeof s);
    read_fails(&w, "unknown sub-format GUID");
    riff(&w);
    fmt_extensible(&w, 1, 2, 16, 20, 0);
    data_chunk(&w, s, sizeof s);
    read_fails(&w, "valid bits exceed");
    riff(&w);
    fmt_extensible(&w, 2, 2, 16, 16, 0);
    data_chunk(&w, s, sizeof s);
    read_fails(&w, "unsupported format tag 0x0002");
}

static void test_chunk_order_and_padding(void **state)
{
    (void)state;
    const int16_t s[] = {1, 2, 3};
    wbuf w;
    hk_wav out;
    riff(&w);
    put(&w, "LIST", 4); /* odd size, padded */
    u32(&w, 3);
    put(&w, "abc\0", 4);
    data_chunk(&w, s, sizeof s);
    put(&w, "junk", 4);
    u32(&w, 0);
    fmt_simple(&w, 1, 1, 8000, 16);
    read_ok(&w, &out);
    assert_int_equal(out.frames, 3);
    assert_memory_equal(out.samples, s, sizeof s);
    hk_wav_free(&out);
}

static void test_streamed_and_truncated_data(void **state)
{
    (void)state;
    int16_t s[100];
    for (int i = 0; i < 100; i++)
        s[i] = (int16_t)i;
    wbuf w;
    hk_wav out;
    riff(&w);
    fmt_simple(&w, 1, 1, 8000, 16);
    put(&w, "data", 4);
    u32(&w, 0xFFFFFFFF); /* streamed: size unknown when the header was written */
    put(&w, s, sizeof s);
    read_ok(&w, &out);
    assert_int_equal(out.frames, 100);
    hk_wav_free(&out);
    w.n -= 1; /* declared 0xFFFFFFFF, 199 bytes present: 99 whole frames */
    read_ok(&w, &out);
    assert_int_equal(out.frames, 99);
    assert_int_equal(out.samples[98], 98);
    hk_wav_free(&out);
    w.n -= 198; /* one byte present: no whole frame */
    read_fails(&w, "data chunk truncated (declared 4294967295 bytes, 1 present)");
}

static void test_malformed(void **state)
{
    (void)state;
    const int16_t s[] = {1, 2};
    wbuf w;
    w.n = 0;
    read_fails(&w, "too short");
    put(&w, "RIFF\0\0\0\0WAV", 11);
    read_fails(&w, "too short");
    w.n = 0;
    put(&w, "RIFX\0\0\0\0WAVE", 12);
    read_fails(&w, "RIFX");
    w.n = 0;
    put(&w, "JUNK\0\0\0\0WAVE", 12);
    read_fails(&w, "not a RIFF file");
    w.n = 0;
    put(&w, "RIFF\0\0\0\0AVI ", 12);
    read_fails(&w, "not WAVE");
    riff(&w);
    read_fails(&w, "missing fmt chunk");
    riff(&w);
    data_chunk(&w, s, sizeof s);
    read_fails(&w, "missing fmt chunk");
    riff(&w);
    fmt_simple(&w, 1, 1, 8000, 16);
    read_fails(&w, "missing data chunk");
    riff(&w);
    put(&w, "fmt ", 4);
    u32(&w, 14);
    put(&w, "\1\0\1\0\x40\x1f\0\0\x80\x3e\0\0\2\0", 14);
    data_chunk(&w, s, sizeof s);
    read_fails(&w, "fmt chunk too short (14 bytes, need 16)");
    riff(&w);
    put(&w, "fmt ", 4);
    u32(&w, 16);
    put(&w, "\1\0\1\0\x40\x1f", 6);
    read_fails(&w, "fmt chunk truncated (declared 16 bytes, 6 present)");

    static const struct {
        unsigned tag, ch;
        uint32_t rate;
        unsigned bits, align;
        const char *msg;
    } bad[] = {
        {1, 0, 8000, 16, 2, "zero channels"},
        {1, 1, 0, 16, 2, "zero sample rate"},
        {1, 1, 8000, 16, 4, "block align 4 does not match 1 channel(s) of 16 bits (expected 2)"},
        {1, 2, 8000, 16, 0, "block align 0"},
        {1, 1, 8000, 12, 2, "unsupported PCM sample size (12 bits)"},
        {1, 1, 8000, 0, 0, "unsupported PCM sample size (0 bits)"},
        {3, 1, 8000, 16, 2, "unsupported float sample size"},
        {7, 1, 8000, 16, 2, "mu-law samples must be 8 bits"},
        {6, 1, 8000, 4, 1, "A-law samples must be 8 bits"},
        {2, 1, 8000, 4, 256, "unsupported format tag 0x0002"},
        {1, 65535, 8000, 16, 2, "too many channels (65535"},
        {1, 1, 0xFFFFFFFF, 16, 2, "sample rate 4294967295 Hz out of range"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        riff(&w);
        fmt_chunk(&w, bad[i].tag, bad[i].ch, bad[i].rate, bad[i].bits, bad[i].align);
        data_chunk(&w, s, sizeof s);
        read_fails(&w, bad[i].msg);
    }
    /* a chunk running past the end before data was seen */
    riff(&w);
    fmt_simple(&w, 1, 1, 8000, 16);
    put(&w, "LIST", 4);
    u32(&w, 1000);
    put(&w, "xx", 2);
    read_fails(&w, "'LIST' chunk truncated (declared 1000 bytes, 2 present) before the data chunk");
    /* fmt would come after a truncated data chunk */
    riff(&w);
    put(&w, "data", 4);
    u32(&w, 1000);
    fmt_simple(&w, 1, 1, 8000, 16);
    read_fails(&w, "missing fmt chunk (the data chunk before it is truncated");
    /* extensible too short */
    riff(&w);
    fmt_chunk(&w, 0xFFFE, 1, 8000, 16, 2);
    data_chunk(&w, s, sizeof s);
    read_fails(&w, "WAVE_FORMAT_EXTENSIBLE fmt chunk too short");
}

static void test_error_buffer_edges(void **state)
{
    (void)state;
    wbuf w;
    hk_wav out;
    riff(&w);
    char tiny[8];
    memset(tiny, 'x', sizeof tiny);
    assert_int_equal(hk_wav_read_mem(w.b, w.n, &out, tiny, sizeof tiny), -1);
    assert_int_equal(tiny[7], '\0');
    assert_int_equal(hk_wav_read_mem(w.b, w.n, &out, NULL, 0), -1);
    assert_int_equal(hk_wav_read_mem(NULL, 0, &out, NULL, 0), -1);
}

/* Every prefix and many random corruptions of a valid file: no crash, and
 * success always yields consistent output. ASan checks the bounds. */
static void test_prefixes_and_mutations(void **state)
{
    (void)state;
    int16_t s[64];
    for (int i = 0; i < 64; i++)
        s[i] = (int16_t)(i * 1000);
    wbuf base;
    riff(&base);
    put(&base, "LIST", 4);
    u32(&base, 5);
    put(&base, "hello\0", 6);
    fmt_extensible(&base, 1, 2, 16, 16, 0);
    data_chunk(&base, s, sizeof s);
    char err[160];
    hk_wav out;
    for (size_t n = 0; n <= base.n; n++) {
        uint8_t *copy = malloc(n ? n : 1); /* exact size so ASan sees overreads */
        memcpy(copy, base.b, n);
        if (hk_wav_read_mem(copy, n, &out, err, sizeof err) == 0) {
            assert_true(out.frames * 4 <= n);
            hk_wav_free(&out);
        } else {
            assert_true(strncmp(err, "wav: ", 5) == 0);
        }
        free(copy);
    }
    uint32_t seed = 12345;
    for (int iter = 0; iter < 20000; iter++) {
        uint8_t *copy = malloc(base.n);
        memcpy(copy, base.b, base.n);
        int flips = 1 + iter % 4;
        for (int k = 0; k < flips; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % base.n;
            seed = seed * 1103515245u + 12345u;
            copy[at] = (uint8_t)(seed >> 16);
        }
        size_t n = base.n - (size_t)(iter % 7);
        if (hk_wav_read_mem(copy, n, &out, err, sizeof err) == 0) {
            assert_true(out.channels > 0 && out.rate > 0);
            assert_true(out.frames * (size_t)out.channels <= n);
            hk_wav_free(&out);
        } else {
            assert_true(strncmp(err, "wav: ", 5) == 0);
        }
        free(copy);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_file),
        cmocka_unit_test(test_pcm8_24_32),
        cmocka_unit_test(test_float),
        cmocka_unit_test(test_ulaw_alaw),
        cmocka_unit_test(test_extensible_and_stereo),
        cmocka_unit_test(test_chunk_order_and_padding),
        cmocka_unit_test(test_streamed_and_truncated_data),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_error_buffer_edges),
        cmocka_unit_test(test_prefixes_and_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
