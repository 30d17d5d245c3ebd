/* net/base64: see base64.h. Owns the two RFC 4648 alphabets and nothing else;
 * table-driven, one pass, no allocation (audio hot path). */
#include "net/base64.h"

#include <limits.h>

static const char STD[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* 0..63 for alphabet characters, 255 for anything else (generated from the
 * alphabets above; test_base64 checks every byte against them). */
static const uint8_t dec_std[256] = {
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,  62, 255, 255, 255,  63,
     52,  53,  54,  55,  56,  57,  58,  59,  60,  61, 255, 255, 255, 255, 255, 255,
    255,   0,   1,   2,   3,   4,   5,   6,   7,   8,   9,  10,  11,  12,  13,  14,
     15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25, 255, 255, 255, 255, 255,
    255,  26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40,
     41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};
static const uint8_t dec_url[256] = {
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,  62, 255, 255,
     52,  53,  54,  55,  56,  57,  58,  59,  60,  61, 255, 255, 255, 255, 255, 255,
    255,   0,   1,   2,   3,   4,   5,   6,   7,   8,   9,  10,  11,  12,  13,  14,
     15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25, 255, 255, 255, 255,  63,
    255,  26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40,
     41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};

size_t hk_base64_encoded_len(size_t n) { return (n + 2) / 3 * 4; }

size_t hk_base64_decoded_max(size_t n) { return (n + 3) / 4 * 3; }

size_t hk_base64url_encoded_len(size_t n) { return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0); }

static long encode(const char *abc, int pad, const uint8_t *in, size_t n, char *out, size_t cap)
{
    size_t len = pad ? hk_base64_encoded_len(n) : hk_base64url_encoded_len(n);
    if (n > (size_t)LONG_MAX / 2 || cap < len + 1)
        return -1;
    char *o = out;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        o[0] = abc[v >> 18];
        o[1] = abc[(v >> 12) & 63];
        o[2] = abc[(v >> 6) & 63];
        o[3] = abc[v & 63];
        o += 4;
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        *o++ = abc[v >> 18];
        *o++ = abc[(v >> 12) & 63];
        if (pad) {
            *o++ = '=';
            *o++ = '=';
        }
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        *o++ = abc[v >> 18];
        *o++ = abc[(v >> 12) & 63];
        *o++ = abc[(v >> 6) & 63];
        if (pad)
            *o++ = '=';
    }
    *o = '\0';
    return (long)len;
}

/* Decodes groups of 4; the final group may be 2 or 3 characters (tail). */
static long decode(const uint8_t *tab, const char *in, size_t n, uint8_t *out, size_t cap)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t full = n / 4 * 4, tail = n % 4;
    if (tail == 1 || n > (size_t)LONG_MAX)
        return -1;
    size_t len = full / 4 * 3 + (tail ? tail - 1 : 0);
    if (len > cap)
        return -1;
    uint8_t *o = out;
    for (size_t i = 0; i < full; i += 4) {
        uint32_t a = tab[s[i]], b = tab[s[i + 1]], c = tab[s[i + 2]], d = tab[s[i + 3]];
        if ((a | b | c | d) & 0x80)
            return -1;
        uint32_t v = a << 18 | b << 12 | c << 6 | d;
        o[0] = (uint8_t)(v >> 16);
        o[1] = (uint8_t)(v >> 8);
        o[2] = (uint8_t)v;
        o += 3;
    }
    if (tail) {
        uint32_t a = tab[s[full]], b = tab[s[full + 1]], c = tail == 3 ? tab[s[full + 2]] : 0;
        if ((a | b | c) & 0x80)
            return -1;
        /* Bits below the last whole byte must be zero (canonical form). */
        if (tail == 2 ? (b & 0x0F) : (c & 0x03))
            return -1;
        uint32_t v = a << 18 | b << 12 | c << 6;
        *o++ = (uint8_t)(v >> 16);
        if (tail == 3)
            *o++ = (uint8_t)(v >> 8);
    }
    return (long)len;
}

long hk_base64_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
    return encode(STD, 1, in, n, out, cap);
}

long hk_base64url_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
    return encode(URL, 0, in, n, out, cap);
}

long hk_base64_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
    if (n % 4)
        return -1;
    /* Padding: strip up to two '=' at the very end, then decode the rest as an
     * unpadded tail; a '=' anywhere else fails the alphabet lookup. */
    size_t m = n;
    if (m && in[m - 1] == '=') {
        m--;
        if (in[m - 1] == '=')
            m--;
    }
    if (m % 4 == 1)
        return -1;
    return decode(dec_std, in, m, out, cap);
}

long hk_base64url_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
    return decode(dec_url, in, n, out, cap);
}
