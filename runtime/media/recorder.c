/* media/recorder: time-aligned stereo call recording. See recorder.h. */
#include "media/recorder.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/wav.h"

struct hk_recorder {
    int rate;
    int16_t *ch[2];
    size_t cap;
    size_t len; /* frames covered by either channel */
};

hk_recorder *hk_recorder_new(int rate) {
    hk_recorder *r = calloc(1, sizeof *r);
    if (r) r->rate = rate;
    return r;
}

void hk_recorder_free(hk_recorder *r) {
    if (!r) return;
    free(r->ch[0]);
    free(r->ch[1]);
    free(r);
}

static int grow(hk_recorder *r, size_t need) {
    if (need <= r->cap) return 0;
    size_t cap = r->cap ? r->cap : (size_t)r->rate * 30;
    while (cap < need) {
        if (cap > SIZE_MAX / 2 / sizeof(int16_t)) return -1; /* doubling would wrap */
        cap *= 2;
    }
    for (int i = 0; i < 2; i++) {
        int16_t *p = realloc(r->ch[i], cap * sizeof *p);
        if (!p) return -1;
        memset(p + r->cap, 0, (cap - r->cap) * sizeof *p);
        r->ch[i] = p;
    }
    r->cap = cap;
    return 0;
}

void hk_recorder_put(hk_recorder *r, int ch, double t, const int16_t *pcm, size_t n) {
    /* !(t >= 0) also rejects NaN: llround(NaN or inf) is not a frame index */
    if (!r || ch < 0 || ch > 1 || !(t >= 0) || isinf(t)) return;
    size_t at = (size_t)llround(t * r->rate);
    if (grow(r, at + n) != 0) return;
    if (n) memcpy(r->ch[ch] + at, pcm, n * sizeof *pcm); /* n == 0: channels may be NULL */
    if (at + n > r->len) r->len = at + n;
}

size_t hk_recorder_frames(const hk_recorder *r) { return r ? r->len : 0; }

const int16_t *hk_recorder_channel(const hk_recorder *r, int ch) { return r->ch[ch]; }

int hk_recorder_write_wav(const hk_recorder *r, const char *path, char *err, size_t errlen) {
    size_t n = r->len;
    int16_t *inter = malloc((n ? n : 1) * 2 * sizeof *inter);
    if (!inter) return -1;
    for (size_t i = 0; i < n; i++) {
        inter[2 * i] = r->ch[0][i];
        inter[2 * i + 1] = r->ch[1][i];
    }
    int rc = hk_wav_write_file(path, inter, n, r->rate, 2, err, errlen);
    free(inter);
    return rc;
}
