/* net/s3: see s3.h. One upload is one s3_put: a pool job reads and hashes the
 * file (worker thread), its done() signs and starts the PUT (loop thread), the
 * http callback reports and frees. Never blocks the loop; never reads files on
 * it. S3's error body is XML; only its <Code> and <Message> are kept. */
#include "net/s3.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/pool.h"
#include "net/form.h"
#include "net/sigv4.h"

typedef struct s3_put {
    hk_job job;
    hk_http_client *http;
    char *region, *access_key, *secret_key, *content_type, *path;
    char *host;      /* Host header, e.g. "bucket.s3.us-east-1.amazonaws.com" or "127.0.0.1:9000" */
    char *uri_path;  /* unencoded path of the object, e.g. "/bucket/recordings/CA1.wav" */
    char *url;
    void (*done)(void *ud, const char *url, const char *err);
    void *ud;
    /* the worker's results */
    char *data;
    size_t len;
    char sha[HK_SIGV4_HEX_SIZE];
    int rc;
    char err[512];
} s3_put;

static void put_free(s3_put *p) {
    if (p->secret_key) OPENSSL_cleanse(p->secret_key, strlen(p->secret_key));
    free(p->region);
    free(p->access_key);
    free(p->secret_key);
    free(p->content_type);
    free(p->path);
    free(p->host);
    free(p->uri_path);
    free(p->url);
    free(p->data);
    free(p);
}

static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dupf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n < 0 ? NULL : malloc((size_t)n + 1);
    if (s) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

static void read_work(hk_job *j) {
    s3_put *p = (s3_put *)j;
    p->rc = -1;
    int fd = open(p->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(p->err, sizeof p->err, "cannot read %s: %s", p->path, strerror(errno));
        if (fd >= 0) close(fd);
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(p->err, sizeof p->err, "cannot read %s: not a regular file", p->path);
        close(fd);
        return;
    }
    size_t cap = (size_t)st.st_size;
    p->data = malloc(cap ? cap : 1);
    if (!p->data) {
        snprintf(p->err, sizeof p->err, "cannot read %s: out of memory (%zu bytes)", p->path, cap);
        close(fd);
        return;
    }
    while (p->len < cap) {
        ssize_t n = read(fd, p->data + p->len, cap - p->len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            snprintf(p->err, sizeof p->err, "cannot read %s: %s", p->path, strerror(errno));
            close(fd);
            return;
        }
        if (n == 0) break; /* shrank while we read: upload what is there */
        p->len += (size_t)n;
    }
    close(fd);
    hk_sigv4_sha256_hex(p->data, p->len, p->sha);
    p->rc = 0;
}

/* "<Code>X</Code>" of an S3 error body into out, "" when absent. */
static void xml_field(const char *body, const char *tag, char *out, size_t cap) {
    char open[32], close_[32];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close_, sizeof close_, "</%s>", tag);
    out[0] = 0;
    const char *s = strstr(body, open);
    if (!s) return;
    s += strlen(open);
    const char *e = strstr(s, close_);
    if (!e) return;
    snprintf(out, cap, "%.*s", (int)(e - s), s);
}

static void on_put_done(void *ud, int status, const char *body, size_t len, const char *err) {
    (void)len;
    s3_put *p = ud;
    if (status >= 200 && status < 300) {
        p->done(p->ud, p->url, NULL);
    } else if (status == 0) {
        char msg[768];
        snprintf(msg, sizeof msg, "S3 PUT %s failed: %s", p->url, err ? err : "no response");
        p->done(p->ud, NULL, msg);
    } else {
        char code[128], text[384], msg[768];
        xml_field(body, "Code", code, sizeof code);
        xml_field(body, "Message", text, sizeof text);
        snprintf(msg, sizeof msg, "S3 answered %d%s%s%s%s for PUT %s", status, code[0] ? " " : "", code,
                 text[0] ? ": " : "", text, p->url);
        p->done(p->ud, NULL, msg);
    }
    put_free(p);
}

static void fail(s3_put *p, const char *msg) {
    p->done(p->ud, NULL, msg);
    put_free(p);
}

static void read_done(hk_job *j) {
    s3_put *p = (s3_put *)j;
    if (p->rc != 0) {
        fail(p, p->err);
        return;
    }
    char date[HK_SIGV4_DATE_SIZE];
    hk_sigv4_amz_date(time(NULL), date);
    hk_sigv4_header sh[] = {{"Content-Type", p->content_type}, {"Host", p->host},
                            {"x-amz-content-sha256", p->sha}, {"x-amz-date", date}};
    hk_sigv4_request rq = {"PUT", p->uri_path, NULL, sh, sizeof sh / sizeof sh[0], p->sha};
    hk_sigv4_key key = {p->access_key, p->secret_key, p->region, "s3"};
    char auth[1024], err[256];
    if (hk_sigv4_sign(&rq, &key, date, auth, sizeof auth, err, sizeof err) < 0) {
        fail(p, err);
        return;
    }
    char *hv[6];
    hv[0] = dupf("Authorization: %s", auth);
    hv[1] = dupf("Content-Type: %s", p->content_type);
    hv[2] = dupf("Host: %s", p->host);
    hv[3] = dupf("x-amz-content-sha256: %s", p->sha);
    hv[4] = dupf("x-amz-date: %s", date);
    hv[5] = NULL;
    hk_http_call *call = NULL;
    if (hv[0] && hv[1] && hv[2] && hv[3] && hv[4]) {
        hk_http_opts o = {.method = "PUT", .url = p->url, .headers = (const char *const *)hv,
                          .body = p->data, .body_len = p->len, .timeout_s = 600,
                          .on_done = on_put_done, .ud = p};
        call = hk_http_fetch(p->http, &o);
    }
    for (int i = 0; i < 5; i++) free(hv[i]);
    if (!call) {
        fail(p, "S3 PUT: cannot start the request");
        return;
    }
    free(p->data); /* the http client keeps its own copy of the body */
    p->data = NULL;
}

int hk_s3_put_file(hk_http_client *http, const hk_s3_config *cfg, const char *key, const char *path,
                   const char *content_type, void (*done)(void *ud, const char *url, const char *err),
                   void *ud, char *err, size_t errlen) {
    const char *missing = !cfg->bucket || !*cfg->bucket          ? "bucket"
                          : !cfg->region || !*cfg->region        ? "region"
                          : !cfg->access_key || !*cfg->access_key ? "access key"
                          : !cfg->secret_key || !*cfg->secret_key ? "secret key"
                          : !key || !*key                        ? "object key"
                          : !path || !*path                      ? "file path"
                                                                 : NULL;
    if (missing) {
        snprintf(err, errlen, "S3 upload: no %s", missing);
        return -1;
    }
    hk_pool *pool = hk_pool_global();
    if (!http || !pool || !done) {
        snprintf(err, errlen, "S3 upload: no http client or thread pool");
        return -1;
    }

    /* endpoint -> scheme, authority, path prefix */
    char defep[256];
    const char *ep = cfg->endpoint && *cfg->endpoint ? cfg->endpoint : NULL;
    if (!ep) {
        snprintf(defep, sizeof defep, "https://s3.%s.amazonaws.com", cfg->region);
        ep = defep;
    }
    const char *scheme = strncmp(ep, "https://", 8) == 0 ? "https" : strncmp(ep, "http://", 7) == 0 ? "http" : NULL;
    if (!scheme) {
        snprintf(err, errlen, "S3 upload: endpoint %s is not an http(s) URL", ep);
        return -1;
    }
    const char *auth = ep + strlen(scheme) + 3;
    size_t alen = strcspn(auth, "/?#");
    if (alen == 0) {
        snprintf(err, errlen, "S3 upload: endpoint %s has no host", ep);
        return -1;
    }
    char *authority = strndup(auth, alen);
    char *prefix = strndup(auth + alen, strcspn(auth + alen, "?#"));
    if (!authority || !prefix) {
        free(authority);
        free(prefix);
        snprintf(err, errlen, "S3 upload: out of memory");
        return -1;
    }
    for (size_t n = strlen(prefix); n && prefix[n - 1] == '/'; n--) prefix[n - 1] = 0;
    while (*key == '/') key++;

    s3_put *p = calloc(1, sizeof *p);
    if (!p) {
        free(authority);
        free(prefix);
        snprintf(err, errlen, "S3 upload: out of memory");
        return -1;
    }
    p->http = http;
    p->done = done;
    p->ud = ud;
    p->region = strdup(cfg->region);
    p->access_key = strdup(cfg->access_key);
    p->secret_key = strdup(cfg->secret_key);
    p->content_type = strdup(content_type && *content_type ? content_type : "application/octet-stream");
    p->path = strdup(path);
    if (cfg->path_style) {
        p->host = strdup(authority);
        p->uri_path = dupf("%s/%s/%s", prefix, cfg->bucket, key);
    } else {
        p->host = dupf("%s.%s", cfg->bucket, authority);
        p->uri_path = dupf("%s/%s", prefix, key);
    }
    free(authority);
    free(prefix);
    if (p->uri_path) {
        size_t cap = strlen(p->uri_path) * 3 + 1;
        char *enc = malloc(cap);
        if (enc) {
            hk_url_encode(p->uri_path, 1, enc, cap);
            p->url = p->host ? dupf("%s://%s%s", scheme, p->host, enc) : NULL;
            free(enc);
        }
    }
    if (!p->region || !p->access_key || !p->secret_key || !p->content_type || !p->path || !p->host ||
        !p->uri_path || !p->url) {
        put_free(p);
        snprintf(err, errlen, "S3 upload: out of memory");
        return -1;
    }
    p->job.work = read_work;
    p->job.done = read_done;
    hk_pool_submit(pool, &p->job);
    return 0;
}
