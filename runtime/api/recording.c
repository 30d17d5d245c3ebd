/* api/recording: see recording.h. The store read gives the record (tenant
 * checked there), a pool job opens and reads the asked bytes, the answer
 * goes out from the loop. */
#include "api/recording.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api_json.h"
#include "api/app.h"
#include "core/log.h"
#include "core/pool.h"
#include "store/store.h"

int hk_recording_range(const char *range, long long size, long long *first, long long *last) {
    if (!range || !*range) return 0;
    if (strncmp(range, "bytes=", 6) != 0 || strchr(range, ',')) return -2;
    const char *p = range + 6;
    char *end;
    long long a = -1, b = -1;
    if (*p == '-') { /* the last N bytes */
        errno = 0;
        long long n = strtoll(p + 1, &end, 10);
        if (end == p + 1 || *end || errno || n < 0) return -2;
        if (n == 0 || size == 0) return -1;
        a = n >= size ? 0 : size - n;
        b = size - 1;
    } else {
        errno = 0;
        a = strtoll(p, &end, 10);
        if (end == p || *end != '-' || errno || a < 0) return -2;
        p = end + 1;
        if (*p) {
            b = strtoll(p, &end, 10);
            if (end == p || *end || errno || b < a) return -2;
        }
        if (a >= size) return -1;
        if (b < 0) b = a + HK_RECORDING_MAX_PART - 1; /* open end: one part */
        if (b >= size) b = size - 1;
    }
    *first = a;
    *last = b;
    return 1;
}

int hk_recording_public_url(const hk_config *cfg, const char *call_id, const char *rec_url, char *out,
                            size_t cap) {
    const char *hook = cfg ? hk_config_str(cfg, HK_CFG_TWILIO_WEBHOOK_URL) : NULL;
    snprintf(out, cap, "%s", rec_url ? rec_url : "");
    if (!rec_url || strncmp(rec_url, "file://", 7) != 0 || !call_id || !*call_id || !hook) return 0;
    const char *host = strstr(hook, "://");
    if (!host) return 0;
    size_t base = strcspn(host + 3, "/?#") + (size_t)(host + 3 - hook);
    if (snprintf(out, cap, "%.*s/call/%s/recording", (int)base, hook, call_id) >= (int)cap) {
        snprintf(out, cap, "%s", rec_url);
        return 0;
    }
    return 1;
}

typedef struct rec_read {
    hk_job job;
    hk_api_req *r;
    char path[600];
    char *range;      /* the Range header (copy) */
    /* result */
    int status;
    char *body;
    size_t len;
    char headers[256];
    const char *why;
} rec_read;

static void read_work(hk_job *job) {
    rec_read *q = (rec_read *)job;
    int fd = open(q->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) close(fd);
        q->status = 404;
        q->why = "This call has no recording";
        return;
    }
    long long size = st.st_size, a = 0, b = size - 1;
    int rr = hk_recording_range(q->range, size, &a, &b);
    if (rr == -1) {
        close(fd);
        q->status = 416;
        q->why = "The range is outside the recording";
        snprintf(q->headers, sizeof q->headers, "Content-Range: bytes */%lld\r\nAccept-Ranges: bytes\r\n", size);
        return;
    }
    if (rr != 1 && size > HK_RECORDING_MAX_WHOLE) {
        close(fd);
        q->status = 413;
        q->why = "The recording is too big for one answer: ask for it by Range";
        return;
    }
    size_t n = size ? (size_t)(b - a + 1) : 0;
    q->body = malloc(n ? n : 1);
    size_t got = 0;
    while (q->body && got < n) {
        ssize_t k = pread(fd, q->body + got, n - got, (off_t)(a + (long long)got));
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        got += (size_t)k;
    }
    close(fd);
    if (!q->body || got != n) {
        free(q->body);
        q->body = NULL;
        q->status = 500;
        q->why = "The recording cannot be read";
        return;
    }
    q->len = n;
    if (rr == 1) {
        q->status = 206;
        snprintf(q->headers, sizeof q->headers,
                 "Content-Range: bytes %lld-%lld/%lld\r\nAccept-Ranges: bytes\r\nCache-Control: private, no-cache\r\n",
                 a, b, size);
    } else {
        q->status = 200;
        snprintf(q->headers, sizeof q->headers, "Accept-Ranges: bytes\r\nCache-Control: private, no-cache\r\n");
    }
}

static void read_done(hk_job *job) {
    rec_read *q = (rec_read *)job;
    hk_api_req *r = q->r;
    if (q->status >= 400) {
        size_t len = 0;
        char *body = hk_api_error_body(q->status, q->why, &len);
        hk_api_reply_take(r, q->status, "application/json; charset=utf-8", body, len,
                          q->headers[0] ? strdup(q->headers) : NULL);
    } else {
        hk_api_reply_take(r, q->status, "audio/wav", q->body, q->len, strdup(q->headers));
        q->body = NULL;
    }
    free(q->body);
    free(q->range);
    free(q);
}

typedef struct rec_ctx {
    hk_api_req *r;
    char *range;
} rec_ctx;

static void found(void *ud, cJSON *res, const char *err) {
    rec_ctx *x = ud;
    hk_api_req *r = x->r;
    char *range = x->range;
    free(x);
    const cJSON *one = cJSON_IsArray(res) ? cJSON_GetArrayItem(res, 0) : res;
    const char *url = one ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(one, "recording_url")) : NULL;
    const char *dir = hk_config_str(r->app->cfg, HK_CFG_HARK_RECORDINGS_DIR);
    if (err) {
        cJSON_Delete(res);
        free(range);
        hk_api_reply_error(r, 503, "the store is unavailable; try again");
        return;
    }
    /* only a file inside HARK_RECORDINGS_DIR, named by the record */
    size_t dl = dir ? strlen(dir) : 0;
    if (!url || strncmp(url, "file://", 7) != 0 || !dl || strncmp(url + 7, dir, dl) != 0 ||
        url[7 + dl] != '/' || strstr(url, "..") || strlen(url + 7) >= 600) {
        cJSON_Delete(res);
        free(range);
        hk_api_reply_error(r, 404, "This call has no recording");
        return;
    }
    rec_read *q = calloc(1, sizeof *q);
    hk_pool *pool = hk_pool_global();
    if (!q || !pool) {
        free(q);
        cJSON_Delete(res);
        free(range);
        hk_api_reply_error(r, 503, "cannot read the recording now");
        return;
    }
    snprintf(q->path, sizeof q->path, "%s", url + 7);
    cJSON_Delete(res);
    q->r = r;
    q->range = range;
    q->job.work = read_work;
    q->job.done = read_done;
    hk_pool_submit(pool, &q->job);
}

void hk_api_call_recording(hk_api_req *r) {
    hk_store *s = r->app->store;
    if (!s || !s->v->call_records) {
        hk_api_reply_error(r, 501, "this store does not keep calls");
        return;
    }
    rec_ctx *x = calloc(1, sizeof *x);
    if (!x || !(x->range = strdup(r->range))) {
        free(x);
        hk_api_reply_error(r, 503, "out of memory");
        return;
    }
    x->r = r;
    hk_store_call_query q = {.t = {.limit = 1}, .id = r->params[0]};
    s->v->call_records(s, r->tenant_id, &q, found, x);
}
