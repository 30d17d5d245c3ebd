/* api/session_cookie: see session_cookie.h. The cookie carries the same JWT
 * the login answers with, so api/auth checks it like a Bearer session; this
 * file only finds it, guards it against cross-site requests and writes the
 * Set-Cookie lines. */
#include "api/session_cookie.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/app.h"
#include "core/log.h"

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
    if (req->authorization && req->authorization[0]) return; /* Bearer wins */
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
    if (len > HK_JWT_MAX_LEN || !secret || hk_jwt_verify(secret, tok, len, now, &c, &why) != 0) {
        hk_log(HK_LOG_DEBUG, NULL, "session_cookie_refused", "%s", why ? why : "too long or no secret");
        out->status = 401;
        out->message = HK_SESSION_EXPIRED;
        return;
    }
    snprintf(out->buf, sizeof out->buf, "Bearer %.*s", (int)len, tok);
    out->authorization = out->buf;
}

void hk_api_auth_logout(hk_api_req *r) {
    hk_api_reply_take(r, 204, "application/json; charset=utf-8", NULL, 0,
                      hk_session_cookie_clear_header(hk_session_secure(r->app)));
}
