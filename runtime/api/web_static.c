/* api/web_static: the dashboard's files, read once and served from memory.
 * See web_static.h. Loading happens at worker start (blocking reads are
 * fine then: no call is served yet); a request is a binary search in the
 * sorted table and one copy of the file into the answer. */
#include "api/web_static.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/api.h"
#include "api/api_json.h"
#include "api/router.h"
#include "core/log.h"

typedef struct web_file {
    char *name;       /* URL path: "/index.html", "/js/app.js" */
    char *data;
    size_t len;
    char etag[24];    /* "\"<16 hex>\"" */
    const char *ctype;
    int vendor;       /* under /vendor/: cached for a year */
} web_file;

struct hk_web {
    web_file *files;
    size_t n, cap;
    size_t bytes;
    char root[PATH_MAX];
};

static hk_web *g_web;

void hk_web_set_global(hk_web *w) { g_web = w; }
hk_web *hk_web_global(void) { return g_web; }
size_t hk_web_count(const hk_web *w) { return w ? w->n : 0; }

static const struct {
    const char *ext, *type;
} types[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"ico", "image/x-icon"},
    {"json", "application/json; charset=utf-8"},
    {"map", "application/json; charset=utf-8"},
    {"woff2", "font/woff2"},
    {"wasm", "application/wasm"},
    {"txt", "text/plain; charset=utf-8"},
    {"wav", "audio/wav"},
};

const char *hk_web_content_type(const char *name) {
    const char *slash = strrchr(name, '/');
    const char *dot = strrchr(slash ? slash : name, '.');
    if (dot && dot[1])
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcasecmp(dot + 1, types[i].ext) == 0) return types[i].type;
    return "application/octet-stream";
}

int hk_web_path_ok(const char *path) {
    size_t n = strlen(path);
    if (!n || path[0] != '/' || n > 1024) return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)path[i];
        if (ch < 0x20 || ch == 0x7f || ch == '\\' || ch == '%') return -1; /* '%': still encoded */
        if (ch == '/' && (path[i + 1] == '/' || path[i + 1] == '.')) return -1; /* "//", "/.x", "/.." */
    }
    return strstr(path, "..") ? -1 : 0;
}

int hk_web_etag_match(const char *inm, const char *etag) {
    if (!inm || !*inm) return 0;
    size_t el = strlen(etag);
    const char *p = inm;
    while (*p) {
        while (*p == ' ' || *p == ',' || *p == '\t') p++;
        if (!*p) break;
        if (*p == '*') return 1;
        if (p[0] == 'W' && p[1] == '/') p += 2; /* weak comparison is fine for GET */
        const char *e = p;
        while (*e && *e != ',') e++;
        size_t l = (size_t)(e - p);
        while (l && (p[l - 1] == ' ' || p[l - 1] == '\t')) l--;
        if (l == el && memcmp(p, etag, el) == 0) return 1;
        p = e;
    }
    return 0;
}

static void etag_of(const char *data, size_t len, char out[24]) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a 64 */
    for (size_t i = 0; i < len; i++) h = (h ^ (uint8_t)data[i]) * 1099511628211ull;
    h ^= (uint64_t)len * 0x9e3779b97f4a7c15ull;
    snprintf(out, 24, "\"%016llx\"", (unsigned long long)h);
}

static int add_file(hk_web *w, const char *fs, const char *name, off_t size, char *err, size_t errlen) {
    if (w->n >= HK_WEB_MAX_FILES) {
        snprintf(err, errlen, "more than %d files", HK_WEB_MAX_FILES);
        return -1;
    }
    if ((size_t)size > HK_WEB_MAX_BYTES - w->bytes) {
        snprintf(err, errlen, "more than %u bytes", HK_WEB_MAX_BYTES);
        return -1;
    }
    FILE *f = fopen(fs, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", fs, strerror(errno));
        return -1;
    }
    char *data = malloc((size_t)size + 1);
    size_t got = data ? fread(data, 1, (size_t)size, f) : 0;
    fclose(f);
    if (!data || got != (size_t)size) {
        free(data);
        snprintf(err, errlen, "%s: short read", fs);
        return -1;
    }
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        web_file *nf = realloc(w->files, cap * sizeof *nf);
        if (!nf) {
            free(data);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        w->files = nf;
        w->cap = cap;
    }
    web_file *e = &w->files[w->n];
    memset(e, 0, sizeof *e);
    e->name = strdup(name);
    if (!e->name) {
        free(data);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    e->data = data;
    e->len = (size_t)size;
    etag_of(data, e->len, e->etag);
    e->ctype = hk_web_content_type(name);
    e->vendor = strncmp(name, "/vendor/", 8) == 0;
    w->bytes += e->len;
    w->n++;
    return 0;
}

/* fs: the directory on disk; url: its URL path ("" for the root). */
static int walk(hk_web *w, const char *fs, const char *url, int depth, char *err, size_t errlen) {
    if (depth > 8) return 0;
    DIR *d = opendir(fs);
    if (!d) {
        snprintf(err, errlen, "%s: %s", fs, strerror(errno));
        return -1;
    }
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue; /* ., .., dotfiles */
        char path[PATH_MAX], name[PATH_MAX], real[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s", fs, de->d_name) >= (int)sizeof path ||
            snprintf(name, sizeof name, "%s/%s", url, de->d_name) >= (int)sizeof name)
            continue;
        struct stat st;
        if (lstat(path, &st) != 0) continue;
        if (S_ISLNK(st.st_mode)) { /* only when it stays inside the root */
            size_t rl = strlen(w->root);
            if (!realpath(path, real) || strncmp(real, w->root, rl) != 0 || real[rl] != '/' ||
                stat(real, &st) != 0) {
                hk_log(HK_LOG_WARN, NULL, "web_symlink_skipped", "%s leads outside %s", name, w->root);
                continue;
            }
        }
        if (hk_web_path_ok(name) != 0) continue; /* a name no request could ask for */
        if (S_ISDIR(st.st_mode)) rc = walk(w, path, name, depth + 1, err, errlen);
        else if (S_ISREG(st.st_mode)) rc = add_file(w, path, name, st.st_size, err, errlen);
    }
    closedir(d);
    return rc;
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const web_file *)a)->name, ((const web_file *)b)->name);
}

hk_web *hk_web_load(const char *dir, char *err, size_t errlen) {
    hk_web *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!realpath(dir, w->root)) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        free(w);
        return NULL;
    }
    if (walk(w, w->root, "", 0, err, errlen) != 0) {
        hk_web_free(w);
        return NULL;
    }
    if (w->n) qsort(w->files, w->n, sizeof *w->files, by_name);
    return w;
}

void hk_web_free(hk_web *w) {
    if (!w) return;
    for (size_t i = 0; i < w->n; i++) {
        free(w->files[i].name);
        free(w->files[i].data);
    }
    free(w->files);
    free(w);
}

static const web_file *find(const hk_web *w, const char *name) {
    if (!w || !w->n) return NULL;
    web_file key = {.name = (char *)name};
    return bsearch(&key, w->files, w->n, sizeof *w->files, by_name);
}

#define STRICT_HEADERS                                                                             \
    "Content-Security-Policy: " HK_WEB_CSP "\r\n"                                                  \
    "X-Content-Type-Options: nosniff\r\n"                                                          \
    "Referrer-Policy: no-referrer\r\n"                                                             \
    "X-Frame-Options: DENY\r\n"

static void not_found(hk_http_response *resp, int status, const char *message) {
    resp->status = status;
    snprintf(resp->content_type, sizeof resp->content_type, "application/json; charset=utf-8");
    resp->body = hk_api_error_body(status, message, &resp->len);
    resp->headers = strdup(STRICT_HEADERS "Cache-Control: no-store\r\n");
}

int hk_web_serve(const hk_web *w, const hk_http_request *req, hk_http_response *resp) {
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) return 0;
    const char *path = req->path;
    if (strncmp(path, "/api/", 5) == 0) return 0;
    hk_route_match m;
    if (hk_router_match(hk_api_routes, "GET", path, &m) != 404) return 0; /* the API's */
    if (hk_web_path_ok(path) != 0) {
        not_found(resp, 404, "Cannot find this file");
        return 1;
    }
    const web_file *f = NULL;
    if (strcmp(path, "/") == 0) f = find(w, "/index.html");
    else f = find(w, path);
    /* No fallback to index.html for unknown paths: the dashboard routes in
     * the fragment (/#/calls/...), and an API client asking for a route hark
     * lacks (GET /squad) must get a JSON 404, not a page with 200. */
    if (!f) {
        not_found(resp, 404,
                  strcmp(path, "/") == 0
                      ? "The dashboard is not installed (no index.html in HARK_WEB_DIR)"
                      : "Cannot GET this path");
        return 1;
    }
    char headers[1024];
    snprintf(headers, sizeof headers, STRICT_HEADERS "Cache-Control: %s\r\nETag: %s\r\n",
             f->vendor ? "public, max-age=31536000, immutable" : "no-cache", f->etag);
    resp->headers = strdup(headers);
    snprintf(resp->content_type, sizeof resp->content_type, "%s", f->ctype);
    if (hk_web_etag_match(req->if_none_match, f->etag)) {
        resp->status = 304;
        return 1;
    }
    resp->status = 200;
    resp->body = malloc(f->len ? f->len : 1);
    if (!resp->body) {
        resp->status = 503;
        return 1;
    }
    memcpy(resp->body, f->data, f->len);
    resp->len = f->len;
    return 1;
}
