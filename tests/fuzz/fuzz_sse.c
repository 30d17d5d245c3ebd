/* tests/fuzz/fuzz_sse: the SSE parser on arbitrary bytes, fed in two chunks
 * split at a point taken from the input. */
#include <stddef.h>
#include <stdint.h>

#include "net/sse.h"

static void on_event(void *ud, const char *event, const char *data, size_t len) {
    (void)ud;
    volatile size_t sink = len + (event[0] ? 1 : 0) + (len ? (size_t)data[len - 1] : 0);
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n) {
    if (n < 1) return 0;
    size_t cut = buf[0] % n;
    hk_sse p;
    hk_sse_init(&p, on_event, NULL);
    hk_sse_feed(&p, (const char *)buf + 1, cut);
    hk_sse_feed(&p, (const char *)buf + 1 + cut, n - 1 - cut);
    hk_sse_free(&p);
    return 0;
}
