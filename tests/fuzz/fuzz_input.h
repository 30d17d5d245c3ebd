/* tests/fuzz/fuzz_input.h: a fuzz input read from the front, a byte at a
 * time (0 once it is used up), for targets that build structured inputs
 * from the fuzzer's bytes (fuzz_spool, fuzz_webhooks_queue). */
#ifndef HK_FUZZ_INPUT_H
#define HK_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

typedef struct in {
    const uint8_t *p;
    size_t n;
} in;

static inline unsigned byte(in *s)
{
    if (!s->n)
        return 0;
    s->n--;
    return *s->p++;
}

#endif
