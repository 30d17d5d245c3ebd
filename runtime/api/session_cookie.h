/* api/session_cookie: the dashboard's session cookie. POST /auth/login's
 * JWT is also set as cookie hark_session (HttpOnly, SameSite=Strict, Path=/,
 * Max-Age = the token's life, Secure when hark's public URL is https), and
 * every API route accepts it as the credential when no Authorization header
 * is sent (a Bearer header always wins). CSRF: a cookie-authenticated
 * request other than GET/HEAD must carry X-Hark-CSRF: 1; a browser cannot
 * send a custom header cross-site without a CORS preflight, which hark never
 * grants. POST /auth/logout clears the cookie. Never logs a token. */
#ifndef HK_SESSION_COOKIE_H
#define HK_SESSION_COOKIE_H

#include <stddef.h>

#include "api/api.h"
#include "api/jwt.h"

#define HK_SESSION_COOKIE "hark_session"
#define HK_SESSION_EXPIRED "session expired"

/* The value of cookie name in a Cookie header (its length in *len), or NULL. */
const char *hk_session_cookie_find(const char *cookie_header, const char *name, size_t *len);

/* "Set-Cookie: ...\r\n" for a token living max_age seconds (malloc'ed). */
char *hk_session_cookie_header(const char *token, long max_age, int secure);
/* The header that clears the cookie (malloc'ed). */
char *hk_session_cookie_clear_header(int secure);

typedef struct hk_session_auth {
    int status;                /* 0: go on; 401 or 403: refuse with message */
    const char *message;
    const char *authorization; /* the credential for api/auth: req's header or buf */
    int from_cookie;
    char buf[HK_JWT_MAX_LEN + 8]; /* "Bearer <cookie JWT>" */
} hk_session_auth;

/* Which credential req carries: its Authorization header when present,
 * else the session cookie (checked with secret at now: expired or invalid
 * -> 401 "session expired"; a method other than GET/HEAD without
 * X-Hark-CSRF: 1 -> 403). */
void hk_session_auth_from(const hk_http_request *req, const char *secret, long now,
                          hk_session_auth *out);

/* 1 when hark's public base URL is https (cookies get Secure). */
int hk_session_secure(const hk_app *app);

/* POST /auth/logout, answered before the API's chain (api/routes): 204,
 * the cookie cleared, and the session's token (cookie or Bearer JWT)
 * revoked on this worker and, through Redis, on every other. 0 when req is
 * not a logout. */
int hk_session_logout(hk_app *app, const hk_http_request *req, hk_http_response *resp);
/* The route table's row for it (reached only if the above is bypassed). */
void hk_api_auth_logout(hk_api_req *r);
/* 1 when this token was revoked (and has not expired by now). */
int hk_session_revoked(const char *token, size_t len, long now);
/* A revocation from another worker: 32 hex digits of the token's hash. */
int hk_session_revoke_hex(const char *hex, long exp);

#endif
