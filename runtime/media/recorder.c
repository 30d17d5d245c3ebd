/* media/recorder: time-aligned stereo call recording, kept in memory or
 * streamed to a WAV file through the pool. See recorder.h.
 *
 * File mode threading: the loop thread owns the window, the free chunks and
 * the counters; pool jobs own the fd and the I/O error (they all share the
 * recorder's lane, so they run one at a time, in order). A job reports back
 * only through its own rc, read in its done() on the loop thread. Chunks are
 * written with pwrite at their frame offset, so a gap nobody wrote is a hole
 * that reads as silence.
 *
 * Cost: a worker holds a couple of thousand recorders, so each put finds the
 * chunk cold in the cache. A chunk therefore keeps its two channels apart
 * (mono, contiguous: a put is one memcpy over the fewest cache lines) and is
 * never zeroed as a whole: each channel remembers how far from the chunk's
 * start it is valid (written, or zeroed when a later write skipped a gap);
 * the pool zeroes what lies past that mark and interleaves both channels
 * into little-endian stereo in a buffer on its own stack, just before the
 * pwrite. */
#include "media/recorder.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "core/pool.h"
#include "media/wav.h"

#define REC_MAX_CHUNKS 8 /* window of 2 + up to 6 waiting on the disk */
/* stereo frames the pool interleaves per pwrite (16 KB on its stack): a whole
 * 0.5 s chunk at 8 kHz in one write */
#define REC_IO_FRAMES 4096
#define REC_HEADER 44
/* a RIFF size is 32-bit: stereo 16-bit frames that fit (about 37 h at 8 kHz) */
#define REC_MAX_FRAMES ((0xFFFFFFFFu - 36) / 4)

enum { JOB_OPEN, JOB_DATA, JOB_CLOSE };

/* An ordinary put reads and writes only the recorder's first cache line
 * (and the samples): the recorder and the chunks are allocated on line
 * boundaries. */
#define REC_LINE 64

typedef struct rec_chunk {
    size_t valid[2]; /* per channel: frames from the start written or zeroed
                      * (set when it leaves the window: r->wvalid till then) */
    int16_t *pcm;  /* channel 0 then channel 1, chunk_frames each; NULL for open/close */
    size_t start;  /* first frame of the chunk */
    hk_job job;
    hk_recorder *r;
    struct rec_chunk *next_free;
    int kind;
    int rc;
    size_t frames; /* frames to write (set when submitted) */
} rec_chunk;

static rec_chunk *chunk_of(hk_job *j) {
    return (rec_chunk *)(void *)((char *)j - offsetof(rec_chunk, job));
}

/* a window chunk's valid marks live in the recorder (wvalid) while it is in
 * the window, so a put reads no chunk struct; they fit 16 bits */
#define REC_CHUNK_MAX 65535

struct hk_recorder {
    /* the first cache line: all an ordinary put reads or writes */
    int rate;
    int closing;
    hk_pool *pool;     /* NULL: memory mode */
    size_t len;        /* frames covered by either channel */
    size_t chunk_frames;
    size_t base;       /* first frame of win[0]; win[1] follows it */
    int16_t *wpcm[2];  /* win[i]->pcm */
    uint16_t wvalid[2][2]; /* win[i]'s valid marks per channel (the chunk's own are stale) */
    /* the rest */
    rec_chunk *win[2];
    size_t dropped;
    /* memory mode */
    int16_t *ch[2];
    size_t cap;
    /* file mode */
    char *path, *part;
    rec_chunk *free_list;
    rec_chunk *all[REC_MAX_CHUNKS];
    int n_chunks;
    rec_chunk open_job, close_job;
    int in_flight;     /* jobs submitted whose done() has not run */
    int failed;        /* loop's copy: a job reported an error */
    int abandon;
    hk_recorder_done_cb done;
    void *done_ud;
    /* pool side (lane jobs only) */
    int fd;
    int io_failed;
    char io_err[256];
};

/* zeroed, on a cache line of its own */
static void *alloc_line(size_t n) {
    n = (n + REC_LINE - 1) / REC_LINE * REC_LINE;
    void *p = aligned_alloc(REC_LINE, n);
    if (p) memset(p, 0, n);
    return p;
}

_Static_assert(offsetof(struct hk_recorder, win) <= REC_LINE, "a put's fields fit one cache line");

hk_recorder *hk_recorder_new(int rate) {
    hk_recorder *r = alloc_line(sizeof *r);
    if (r) {
        r->rate = rate;
        r->fd = -1;
    }
    return r;
}

/* ---- pool side ---- */

static int write_all(int fd, const void *buf, size_t n, off_t at) {
    const uint8_t *p = buf;
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, at);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
        at += w;
    }
    return 0;
}

static void io_fail(hk_recorder *r, const char *what) {
    if (!r->io_failed)
        snprintf(r->io_err, sizeof r->io_err, "recording: %s %s: %s", what, r->part, strerror(errno));
    r->io_failed = 1;
}

static void open_file(hk_recorder *r) {
    r->fd = open(r->part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (r->fd < 0) {
        io_fail(r, "cannot create");
        return;
    }
    uint8_t h[REC_HEADER];
    hk_wav_header16(h, r->rate, 2, 0xFFFFFFFFu); /* sizes fixed at close */
    if (write_all(r->fd, h, sizeof h, 0) != 0) io_fail(r, "cannot write");
}

/* n stereo frames of WAV data (little-endian, left then right) from two
 * mono runs */
static void interleave(uint8_t *out, const int16_t *left, const int16_t *right, size_t n) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    size_t i = 0;
#ifdef __SSE2__
    /* 8 frames a step; the compiler leaves the plain loop scalar */
    for (; i + 8 <= n; i += 8) {
        __m128i l = _mm_loadu_si128((const __m128i *)(const void *)(left + i));
        __m128i rt = _mm_loadu_si128((const __m128i *)(const void *)(right + i));
        _mm_storeu_si128((__m128i *)(void *)(out + 4 * i), _mm_unpacklo_epi16(l, rt));
        _mm_storeu_si128((__m128i *)(void *)(out + 4 * i + 16), _mm_unpackhi_epi16(l, rt));
    }
#endif
    for (; i < n; i++) {
        uint32_t v = (uint32_t)(uint16_t)left[i] | (uint32_t)(uint16_t)right[i] << 16;
        memcpy(out + 4 * i, &v, 4);
    }
#else
    for (size_t i = 0; i < n; i++) {
        uint16_t l = (uint16_t)left[i], rt = (uint16_t)right[i];
        out[4 * i] = (uint8_t)l;
        out[4 * i + 1] = (uint8_t)(l >> 8);
        out[4 * i + 2] = (uint8_t)rt;
        out[4 * i + 3] = (uint8_t)(rt >> 8);
    }
#endif
}

static void write_chunk(hk_recorder *r, rec_chunk *c) {
    if (!r->io_failed && r->fd >= 0) {
        int16_t *ch[2] = {c->pcm, c->pcm + r->chunk_frames};
        /* past a channel's mark nothing was written: silence */
        for (int k = 0; k < 2; k++)
            if (c->valid[k] < c->frames)
                memset(ch[k] + c->valid[k], 0, (c->frames - c->valid[k]) * sizeof *ch[k]);
        uint8_t buf[REC_IO_FRAMES * 4];
        for (size_t i = 0; i < c->frames && !r->io_failed; i += REC_IO_FRAMES) {
            size_t n = c->frames - i < REC_IO_FRAMES ? c->frames - i : REC_IO_FRAMES;
            interleave(buf, ch[0] + i, ch[1] + i, n);
            if (write_all(r->fd, buf, n * 4, (off_t)(REC_HEADER + (c->start + i) * 4)) != 0)
                io_fail(r, "cannot write");
        }
    }
    c->valid[0] = c->valid[1] = 0; /* empty again, ready for reuse */
}

/* r->len and r->abandon were set on the loop before this job was submitted */
static void close_file_io(hk_recorder *r) {
    if (r->fd >= 0 && !r->io_failed && !r->abandon) {
        uint8_t h[REC_HEADER];
        hk_wav_header16(h, r->rate, 2, (uint32_t)(r->len * 4));
        if (ftruncate(r->fd, (off_t)(REC_HEADER + r->len * 4)) != 0) io_fail(r, "cannot size");
        else if (write_all(r->fd, h, sizeof h, 0) != 0) io_fail(r, "cannot write");
    }
    if (r->fd >= 0 && close(r->fd) != 0 && !r->abandon) io_fail(r, "cannot close");
    r->fd = -1;
    if (!r->io_failed && !r->abandon && rename(r->part, r->path) != 0) io_fail(r, "cannot rename");
    if (r->io_failed || r->abandon) unlink(r->part);
}

static void job_work(hk_job *j) {
    rec_chunk *c = chunk_of(j);
    hk_recorder *r = c->r;
    if (c->kind == JOB_OPEN) open_file(r);
    else if (c->kind == JOB_DATA) write_chunk(r, c);
    else close_file_io(r);
    c->rc = r->io_failed ? -1 : 0;
}

/* ---- loop side ---- */

static void release(hk_recorder *r) {
    for (int i = 0; i < r->n_chunks; i++) {
        free(r->all[i]->pcm);
        free(r->all[i]);
    }
    free(r->path);
    free(r->part);
    free(r);
}

static void finish(hk_recorder *r) {
    if (r->done) {
        hk_recorder_result res = {.rc = r->close_job.rc, .path = r->path, .frames = r->len,
                                  .dropped = r->dropped};
        /* the close job ran last in the lane: io_err is settled */
        if (res.rc != 0) res.err = r->io_err[0] ? r->io_err : "recording failed";
        r->done(r->done_ud, &res);
    }
    release(r);
}

static void clear(rec_chunk *c) { c->valid[0] = c->valid[1] = 0; }

static void recycle(hk_recorder *r, rec_chunk *c) {
    clear(c);
    c->next_free = r->free_list;
    r->free_list = c;
}

static void job_done(hk_job *j) {
    rec_chunk *c = chunk_of(j);
    hk_recorder *r = c->r;
    r->in_flight--;
    if (c->rc != 0) r->failed = 1;
    if (c->kind == JOB_DATA) recycle(r, c);
    if (r->closing && r->in_flight == 0) finish(r);
}

static void submit(hk_recorder *r, rec_chunk *c, int kind) {
    c->kind = kind;
    c->rc = 0;
    c->r = r;
    c->job.work = job_work;
    c->job.done = job_done;
    c->job.lane = r;
    r->in_flight++;
    /* the pool wakes a worker once per loop turn for all the chunks handed
     * over in it */
    hk_pool_submit(r->pool, &c->job);
}

static rec_chunk *chunk_new(hk_recorder *r) {
    if (r->n_chunks == REC_MAX_CHUNKS) return NULL;
    rec_chunk *c = alloc_line(sizeof *c);
    if (!c) return NULL;
    /* not zeroed: a channel's samples are read only up to its mark */
    c->pcm = malloc(r->chunk_frames * 2 * sizeof *c->pcm);
    if (!c->pcm) {
        free(c);
        return NULL;
    }
    r->all[r->n_chunks++] = c;
    return c;
}

static rec_chunk *chunk_take(hk_recorder *r) {
    rec_chunk *c = r->free_list;
    if (c) r->free_list = c->next_free;
    else c = chunk_new(r);
    return c;
}

static int slot_dirty(const hk_recorder *r, int i) { return r->wvalid[i][0] || r->wvalid[i][1]; }

/* win[i] leaves the window: its valid marks go back into it */
static rec_chunk *slot_take(hk_recorder *r, int i) {
    rec_chunk *c = r->win[i];
    c->valid[0] = r->wvalid[i][0];
    c->valid[1] = r->wvalid[i][1];
    return c;
}

static void slot_set(hk_recorder *r, int i, rec_chunk *c) {
    r->win[i] = c;
    r->wpcm[i] = c->pcm;
    r->wvalid[i][0] = r->wvalid[i][1] = 0;
}

/* Hand win[0] to the disk (or drop it: failed, untouched, or no chunk free
 * to replace it) and slide the window on by one chunk. */
static void slide(hk_recorder *r) {
    int dirty = slot_dirty(r, 0);
    rec_chunk *old = slot_take(r, 0);
    rec_chunk *fresh = dirty && !r->failed ? chunk_take(r) : NULL;
    if (fresh) {
        old->frames = r->chunk_frames;
        submit(r, old, JOB_DATA);
    } else {
        /* written samples lost only when the disk is behind or failed */
        if (dirty && !r->failed) r->dropped += r->chunk_frames;
        clear(old);
        fresh = old; /* reused at once as the window's new end */
    }
    rec_chunk *next = r->win[1];
    uint16_t v0 = r->wvalid[1][0], v1 = r->wvalid[1][1];
    slot_set(r, 0, next);
    r->wvalid[0][0] = v0;
    r->wvalid[0][1] = v1;
    slot_set(r, 1, fresh);
    r->base += r->chunk_frames;
    next->start = r->base;
    fresh->start = r->base + r->chunk_frames;
}

hk_recorder *hk_recorder_new_file(int rate, const char *path, hk_pool *pool) {
    if (!path || !pool || rate <= 0) return NULL;
    hk_recorder *r = hk_recorder_new(rate);
    if (!r) return NULL;
    r->pool = pool;
    r->chunk_frames = (size_t)rate / 2;
    if (r->chunk_frames > REC_CHUNK_MAX) r->chunk_frames = REC_CHUNK_MAX;
    if (r->chunk_frames == 0) r->chunk_frames = 1;
    size_t n = strlen(path);
    r->path = strdup(path);
    r->part = malloc(n + sizeof ".part");
    if (r->part) {
        memcpy(r->part, path, n);
        memcpy(r->part + n, ".part", sizeof ".part");
    }
    rec_chunk *w0 = r->path && r->part ? chunk_new(r) : NULL;
    rec_chunk *w1 = w0 ? chunk_new(r) : NULL;
    if (!w1) {
        release(r);
        return NULL;
    }
    slot_set(r, 0, w0);
    slot_set(r, 1, w1);
    r->win[1]->start = r->chunk_frames;
    submit(r, &r->open_job, JOB_OPEN);
    return r;
}

static void close_file(hk_recorder *r, hk_recorder_done_cb done, void *ud, int abandon) {
    r->closing = 1;
    r->abandon = abandon;
    r->done = done;
    r->done_ud = ud;
    for (int i = 0; i < 2 && !abandon && !r->failed; i++) {
        if (!slot_dirty(r, i) || r->win[i]->start >= r->len) continue;
        rec_chunk *c = slot_take(r, i);
        c->frames = r->len - c->start < r->chunk_frames ? r->len - c->start : r->chunk_frames;
        submit(r, c, JOB_DATA);
    }
    submit(r, &r->close_job, JOB_CLOSE);
}

void hk_recorder_close(hk_recorder *r, hk_recorder_done_cb done, void *ud) {
    if (!r) return;
    if (!r->pool) {
        hk_recorder_result res = {.rc = -1, .err = "recording: an in-memory recorder has no file",
                                  .frames = r->len, .dropped = r->dropped};
        if (done) done(ud, &res);
        hk_recorder_free(r);
        return;
    }
    if (!r->closing) close_file(r, done, ud, 0);
}

void hk_recorder_free(hk_recorder *r) {
    if (!r) return;
    if (r->pool) {
        if (!r->closing) close_file(r, NULL, NULL, 1);
        return;
    }
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

static void put_file(hk_recorder *r, int ch, size_t at, const int16_t *pcm, size_t n) {
    size_t end = at + n;
    if (end > REC_MAX_FRAMES) return;
    /* a jump far ahead with nothing pending: move the window there at once
     * (the window's end first: most puts then touch no chunk but their own) */
    if (end > r->base + 2 * r->chunk_frames && !slot_dirty(r, 0) && !slot_dirty(r, 1)) {
        r->base = (end - 1) / r->chunk_frames * r->chunk_frames;
        if (r->base >= r->chunk_frames) r->base -= r->chunk_frames;
        r->win[0]->start = r->base;
        r->win[1]->start = r->base + r->chunk_frames;
    }
    while (end > r->base + 2 * r->chunk_frames) slide(r);
    size_t i = 0;
    if (at < r->base) { /* already on its way to the disk */
        i = r->base - at < n ? r->base - at : n;
        r->dropped += i;
    }
    while (i < n) {
        size_t f = at + i - r->base;
        size_t w = f / r->chunk_frames;
        size_t off = f % r->chunk_frames;
        size_t k = r->chunk_frames - off < n - i ? r->chunk_frames - off : n - i;
        int16_t *mono = r->wpcm[w] + (size_t)ch * r->chunk_frames;
        size_t valid = r->wvalid[w][ch];
        /* a gap since this channel's last write in the chunk reads as silence */
        if (off > valid) memset(mono + valid, 0, (off - valid) * sizeof *mono);
        memcpy(mono + off, pcm + i, k * sizeof *mono);
        if (off + k > valid) r->wvalid[w][ch] = (uint16_t)(off + k);
        i += k;
    }
}

void hk_recorder_put(hk_recorder *r, int ch, double t, const int16_t *pcm, size_t n) {
    /* !(t >= 0) also rejects NaN: llround(NaN or inf) is not a frame index */
    if (!r || ch < 0 || ch > 1 || !(t >= 0) || isinf(t) || r->closing) return;
    size_t at = (size_t)llround(t * r->rate);
    if (r->pool) {
        if (n) put_file(r, ch, at, pcm, n);
        else if (at > REC_MAX_FRAMES) return;
    } else {
        if (grow(r, at + n) != 0) return;
        if (n) memcpy(r->ch[ch] + at, pcm, n * sizeof *pcm); /* n == 0: channels may be NULL */
    }
    if (at + n > r->len && at + n <= REC_MAX_FRAMES) r->len = at + n;
}

size_t hk_recorder_frames(const hk_recorder *r) { return r ? r->len : 0; }

size_t hk_recorder_dropped(const hk_recorder *r) { return r ? r->dropped : 0; }

size_t hk_recorder_mem_bytes(const hk_recorder *r) {
    if (!r) return 0;
    size_t n = sizeof *r + r->cap * 2 * sizeof(int16_t);
    n += (size_t)r->n_chunks * (sizeof(rec_chunk) + r->chunk_frames * 2 * sizeof(int16_t));
    if (r->path) n += strlen(r->path) * 2 + sizeof ".part" + 1;
    return n;
}

const int16_t *hk_recorder_channel(const hk_recorder *r, int ch) {
    return r->pool ? NULL : r->ch[ch];
}

int hk_recorder_write_wav(const hk_recorder *r, const char *path, char *err, size_t errlen) {
    if (r->pool) {
        snprintf(err, errlen, "recording: a file recorder writes %s itself", r->path);
        return -1;
    }
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
