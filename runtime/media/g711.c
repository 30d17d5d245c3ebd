/* media/g711: ITU-T G.711 mu-law and A-law codecs.
 * Owns the 64 K-entry encode tables and 256-entry decode tables. They are built
 * once (pthread_once) from straight transcriptions of G.191's ulaw_compress,
 * ulaw_expand, alaw_compress and alaw_expand, so table output is bit-exact with
 * the reference. Negative inputs use one's complement (-1 -> 0x7F), as G.191
 * does; the Sun/CCITT linear2ulaw found in many libraries does not.
 * After the tables exist the per-sample calls are a load each and never allocate. */
#include "media/g711.h"

#include <pthread.h>
#include <stdatomic.h>

static uint8_t ulaw_enc[65536]; /* indexed by (uint16_t)x */
static uint8_t alaw_enc[65536];
static int16_t ulaw_dec[256];
static int16_t alaw_dec[256];

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;
static atomic_int tables_ready;

/* G.191 ulaw_compress for one 16-bit sample (2 LSBs are dropped). */
static uint8_t ulaw_compress(int16_t x)
{
    int a = (x < 0 ? (~x) >> 2 : x >> 2) + 33;
    if (a > 0x1FFF)
        a = 0x1FFF;
    int seg = 1;
    for (int i = a >> 6; i != 0; i >>= 1)
        seg++;
    int code = ((8 - seg) << 4) | (15 - ((a >> seg) & 15));
    if (x >= 0)
        code |= 0x80;
    return (uint8_t)code;
}

/* G.191 ulaw_expand. */
static int16_t ulaw_expand(uint8_t code)
{
    int u = (uint8_t)~code;
    int exponent = (u >> 4) & 7;
    int magnitude = (((u & 0x0F) << 3) + 0x84) << exponent;
    int value = magnitude - 0x84;
    return (int16_t)((u & 0x80) ? -value : value);
}

/* G.191 alaw_compress: 12-bit magnitude (4 LSBs dropped), one's complement
 * for negatives, sign bit set for non-negative values, even bits inverted. */
static uint8_t alaw_compress(int16_t x)
{
    int ix = x < 0 ? (~x) >> 4 : x >> 4;
    if (ix > 15) {
        int exponent = 1;
        while (ix > 16 + 15) {
            ix >>= 1;
            exponent++;
        }
        ix -= 16;
        ix += exponent << 4;
    }
    if (x >= 0)
        ix |= 0x80;
    return (uint8_t)(ix ^ 0x55);
}

/* G.191 alaw_expand. */
static int16_t alaw_expand(uint8_t code)
{
    int ix = (code ^ 0x55) & 0x7F;
    int exponent = ix >> 4;
    int mant = ix & 0x0F;
    if (exponent > 0)
        mant += 16;
    mant = (mant << 4) + 8;
    if (exponent > 1)
        mant <<= exponent - 1;
    return (int16_t)(code > 127 ? mant : -mant);
}

static void build_tables(void)
{
    for (int i = 0; i < 65536; i++) {
        int16_t x = (int16_t)(i - 32768);
        ulaw_enc[(uint16_t)x] = ulaw_compress(x);
        alaw_enc[(uint16_t)x] = alaw_compress(x);
    }
    for (int c = 0; c < 256; c++) {
        ulaw_dec[c] = ulaw_expand((uint8_t)c);
        alaw_dec[c] = alaw_expand((uint8_t)c);
    }
    atomic_store_explicit(&tables_ready, 1, memory_order_release);
}

void hk_g711_init(void)
{
    pthread_once(&tables_once, build_tables);
}

/* Callers are meant to run hk_g711_init() at start-up; this keeps a forgotten
 * init from silently producing zeros, at the cost of one predictable branch. */
static inline void ensure_tables(void)
{
    if (!atomic_load_explicit(&tables_ready, memory_order_acquire))
        hk_g711_init();
}

uint8_t hk_ulaw_encode(int16_t x)
{
    ensure_tables();
    return ulaw_enc[(uint16_t)x];
}

int16_t hk_ulaw_decode(uint8_t code)
{
    ensure_tables();
    return ulaw_dec[code];
}

uint8_t hk_alaw_encode(int16_t x)
{
    ensure_tables();
    return alaw_enc[(uint16_t)x];
}

int16_t hk_alaw_decode(uint8_t code)
{
    ensure_tables();
    return alaw_dec[code];
}

void hk_ulaw_encode_buf(const int16_t *in, uint8_t *out, size_t n)
{
    ensure_tables();
    for (size_t i = 0; i < n; i++)
        out[i] = ulaw_enc[(uint16_t)in[i]];
}

void hk_ulaw_decode_buf(const uint8_t *in, int16_t *out, size_t n)
{
    ensure_tables();
    for (size_t i = 0; i < n; i++)
        out[i] = ulaw_dec[in[i]];
}
