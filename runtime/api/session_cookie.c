/* api/session_cookie: see session_cookie.h. The cookie carries the same JWT
 * the login answers with, so api/auth checks it like a Bearer session; this
 * file only finds it, guards it against cross-site requests and writes the
 * Set-Cookie lines. */
#include "api/session_cookie.h"

#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/app.h"
#include "api/auth.h"
#include "api/events_redis.h"
#include "core/log.h"

/* Revoked session tokens (logout): the first 16 bytes of their SHA-256,
 * until their expiry; direct-mapped and fixed in size (a flood of logouts
 * overwrites old entries, never grows memory). Other workers and nodes
 * learn them through Redis (api/events_redis); one started later, or
 * without Redis another worker, does not know them: the token then lives
 * to its exp (an hour at most). */
#define REVOKED_SLOTS 4096
typedef struct revoked_entry {
    uint8_t h[16];
    long exp;
} revoked_entry;
static revoked_entry revoked[REVOKED_SLOTS];

static void token_hash(const char *t, size_t n, uint8_t h[16]) {
    uint8_t full[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)t, n, full);
    memcpy(h, full, 16);
}

static revoked_entry *revoked_slot(const uint8_t h[16]) {
    uint32_t v;
    memcpy(&v, h, sizeof v);
    return &revoked[v % REVOKED_SLOTS];
}

static void revoke_hash(const uint8_t h[16], long exp) {
    revoked_entry *e = revoked_slot(h);
    memcpy(e->h, h, 16);
    e->exp = exp;
}

int hk_session_revoked(const char *token, size_t len, long now) {
    uint8_t h[16];
    token_hash(token, len, h);
    const revoked_entry *e = revoked_slot(h);
    return e->exp >= now && memcmp(e->h, h, 16) == 0;
}

int hk_session_revoke_hex(const char *hex, long exp) {
    uint8_t h[16];
    if (!hex || strlen(hex) != 32 || strspn(hex, "0123456789abcdef") != 32) return -1;
    for (int i = 0; i < 16; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) return -1;
        h[i] = (uint8_t)v;
    }
    revoke_hash(h, exp);
    return 0;
}

/* Revokes token (a valid JWT only: garbage costs nothing) here and, through
 * Redis, everywhere. */
static void revoke_token(const char *token, size_t len, const char *secret, long now) {
    hk_jwt_claims c;
    const char *why;
    if (!len || len > HK_JWT_MAX_LEN || !secret || hk_jwt_verify(secret, token, len, now, &c, &why) != 0)
        return;
    uint8_t h[16];
    token_hash(token, len, h);
    revoke_hash(h, c.exp);
    char hex[33];
    for (int i = 0; i < 16; i++) snprintf(hex + 2 * i, 3, "%02x", h[i]);
    hk_events_redis_revoke(hex, c.exp);
}

const char *hk_session_cookie_find(const char *h, const char *name, size_t *len) {
    if (!h || !name) return NULL;
    size_t nl = strlen(name);
    const char *p = h;
    while (*p) {
        while (*p == ' ' || *p == ';' || *p == '\t' || *p == ',') p++;
        const char *end = p;
        while (*end && *end != ';') end++;
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (eq && (size_t)(eq - p) == nl && memcmp(p, name, nl) == 0) {
            const char *v = eq + 1;
            size_t vl = (size_t)(end - v);
            while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) vl--;
            if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') v++, vl -= 2;
            *len = vl;
            return v;
        }
        p = end;
    }
    return NULL;
}

char *hk_session_cookie_header(const char *token, long max_age, int secure) {
    size_t cap = strlen(token) + 160;
    char *h = malloc(cap);
    if (h)
        snprintf(h, cap, "Set-Cookie: " HK_SESSION_COOKIE "=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%ld%s\r\n",
                 token, max_age, secure ? "; Secure" : "");
    return h;
}

char *hk_session_cookie_clear_header(int secure) {
    char h[160];
    snprintf(h, sizeof h, "Set-Cookie: " HK_SESSION_COOKIE "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0%s\r\n",
             secure ? "; Secure" : "");
    return strdup(h);
}

int hk_session_secure(const hk_app *app) { return strncmp(app->public_base, "https://", 8) == 0; }

void hk_session_auth_from(const hk_http_request *req, const char *secret, long now,
                          hk_session_auth *out) {
    memset(out, 0, sizeof *out);
    out->authorization = req->authorization;
    if (req->authorization && req->authorization[0]) { /* Bearer wins */
        /* the token as api/auth reads it ("Bearer  <jwt> " included) */
        size_t n = 0;
        const char *t = hk_auth_bearer(req->authorization, &n);
        if (t && hk_jwt_looks_like(t, n) && hk_session_revoked(t, n, now)) {
            out->status = 401;
            out->message = HK_SESSION_EXPIRED;
        }
        return;
    }
    size_t len = 0;
    const char *tok = hk_session_cookie_find(req->cookie, HK_SESSION_COOKIE, &len);
    if (!tok || !len) return; /* no credential at all: api/auth answers 401 */
    out->from_cookie = 1;
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0 &&
        (!req->csrf || strcmp(req->csrf, "1") != 0)) {
        out->status = 403;
        out->message = "a cookie session needs the header X-Hark-CSRF: 1 on this method";
        return;
    }
    hk_jwt_claims c;
    const char *why = NULL;
    if (len > HK_JWT_MAX_LEN || !secret || hk_jwt_verify(secret, tok, len, now, &c, &why) != 0 ||
        hk_session_revoked(tok, len, now)) {
        hk_log(HK_LOG_DEBUG, NULL, "session_cookie_refused", "%s", why ? why : "too long or no secret");
        out->status = 401;
        out->message = HK_SESSION_EXPIRED;
        return;
    }
    snprintf(out->buf, sizeof out->buf, "Bearer %.*s", (int)len, tok);
    out->authorization = out->buf;
}

int hk_session_logout(hk_app *app, const hk_http_request *req, hk_http_response *resp) {
    if (strcmp(req->path, "/auth/logout") != 0 || strcmp(req->method, "POST") != 0) return 0;
    const char *secret = hk_config_str(app->cfg, HK_CFG_JWT_SECRET);
    long now = (long)time(NULL);
    size_t len = 0;
    const char *tok = hk_session_cookie_find(req->cookie, HK_SESSION_COOKIE, &len);
    if (tok) revoke_token(tok, len, secret, now);
    const char *bt = hk_auth_bearer(req->authorization, &len);
    if (bt) revoke_token(bt, len, secret, now);
    resp->status = 204;
    snprintf(resp->content_type, sizeof resp->content_type, "application/json; charset=utf-8");
    resp->headers = hk_session_cookie_clear_header(hk_session_secure(app));
    return 1;
}

void hk_api_auth_logout(hk_api_req *r) {
    hk_api_reply_take(r, 204, "application/json; charset=utf-8", NULL, 0,
                      hk_session_cookie_clear_header(hk_session_secure(r->app)));
}
