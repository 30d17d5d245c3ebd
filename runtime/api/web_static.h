/* api/web_static: the dashboard's static files (web/), served by hark serve
 * at / for GET and HEAD. The directory is read once when the worker starts
 * (every regular file under it, symlinks only when they stay inside it) and
 * served from memory: a request names an entry of that table or nothing, so
 * no request path ever reaches the file system. Every answer carries the
 * strict headers (CSP, nosniff, no referrer); html and app files are
 * revalidated (ETag, If-None-Match -> 304), web/vendor/ is cached for a
 * year. Any other path is a JSON 404 (the app routes in the fragment, and
 * an API client must never get a page for a route hark lacks). Never blocks
 * the loop after start-up. */
#ifndef HK_WEB_STATIC_H
#define HK_WEB_STATIC_H

#include <stddef.h>

#include "net/http_server.h"

#define HK_WEB_CSP                                                                                 \
    "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; "      \
    "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "                  \
    "frame-ancestors 'none'; form-action 'self'"

#define HK_WEB_MAX_FILES 4096
#define HK_WEB_MAX_BYTES (64u * 1024 * 1024)

typedef struct hk_web hk_web;

/* Reads dir; NULL with err set when it cannot be read (missing, too big). */
hk_web *hk_web_load(const char *dir, char *err, size_t errlen);
void hk_web_free(hk_web *w);
size_t hk_web_count(const hk_web *w);

/* This worker's table (hark serve): set once at start, NULL when none. */
void hk_web_set_global(hk_web *w);
hk_web *hk_web_global(void);

/* 1 when req was answered from w (resp filled: a file, 304, or 404 for a
 * refused or unknown path with a dot), 0 when it is not the web's (not
 * GET/HEAD, or under /api/). */
int hk_web_serve(const hk_web *w, const hk_http_request *req, hk_http_response *resp);

/* Pure helpers, for the tests. */
int hk_web_path_ok(const char *path);          /* 0 when path may name a file */
const char *hk_web_content_type(const char *name);
/* 1 when the If-None-Match header value matches etag (a list, or "*"). */
int hk_web_etag_match(const char *if_none_match, const char *etag);

#endif
