/* tests/fuzz/fuzz_base64: libFuzzer target for net/base64. Any input either
 * fails to decode or is the canonical encoding of what it decodes to
 * (re-encoding gives the input back), in both alphabets; encoding any bytes
 * decodes back to them. ASan catches writes past the exact-size buffers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/base64.h"

static void check_decode(const char *in, size_t n, int url)
{
    size_t cap = hk_base64_decoded_max(n);
    uint8_t *out = malloc(cap ? cap : 1);
    long r = url ? hk_base64url_decode(in, n, out, cap) : hk_base64_decode(in, n, out, cap);
    if (r >= 0) {
        if ((size_t)r > cap)
            abort();
        size_t elen = url ? hk_base64url_encoded_len((size_t)r) : hk_base64_encoded_len((size_t)r);
        char *back = malloc(elen + 1);
        long e = url ? hk_base64url_encode(out, (size_t)r, back, elen + 1)
                     : hk_base64_encode(out, (size_t)r, back, elen + 1);
        if (e < 0 || (size_t)e != n || memcmp(back, in, n) != 0)
            abort();
        free(back);
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_decode((const char *)data, size, 0);
    check_decode((const char *)data, size, 1);
    for (int url = 0; url <= 1; url++) {
        size_t elen = url ? hk_base64url_encoded_len(size) : hk_base64_encoded_len(size);
        char *enc = malloc(elen + 1);
        long e = url ? hk_base64url_encode(data, size, enc, elen + 1) : hk_base64_encode(data, size, enc, elen + 1);
        if (e < 0 || (size_t)e != elen || enc[elen] != '\0')
            abort();
        uint8_t *dec = malloc(size ? size : 1);
        long d = url ? hk_base64url_decode(enc, elen, dec, size) : hk_base64_decode(enc, elen, dec, size);
        if (d < 0 || (size_t)d != size || memcmp(dec, data, size) != 0)
            abort();
        free(dec);
        free(enc);
    }
    return 0;
}
