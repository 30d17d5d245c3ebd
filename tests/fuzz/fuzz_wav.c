/* tests/fuzz/fuzz_wav: libFuzzer target for the WAV reader. Any input must
 * either parse into consistent output or fail with a "wav: ..." message;
 * ASan catches any read outside the input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/wav.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hk_wav w;
    char err[256];
    if (hk_wav_read_mem(data, size, &w, err, sizeof err) == 0) {
        if (w.channels <= 0 || w.rate <= 0 || w.frames * (size_t)w.channels > size)
            abort();
        int16_t *mono = hk_wav_to_mono(&w);
        if (!mono)
            abort();
        free(mono);
        hk_wav_free(&w);
    } else if (strncmp(err, "wav: ", 5) != 0) {
        abort();
    }
    return 0;
}
