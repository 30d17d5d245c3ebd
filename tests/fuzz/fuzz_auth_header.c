/* tests/fuzz/fuzz_auth_header: libFuzzer target for the parsers of the
 * Authorization and Cookie headers (api/auth, api/apikey, api/session_cookie),
 * which read every request's credential before it is known. The first byte
 * picks a mode:
 *   0: the rest is an Authorization header: hk_auth_check (no key store, so
 *      it answers at once) calls back exactly once, and accepts only what
 *      hk_auth_shape_ok accepts and only a session JWT that hk_jwt_verify
 *      accepts (on the credential after "Bearer ", blanks trimmed) with ids
 *      of 36 characters, giving back its tenant and user terminated;
 *   1: "Bearer" in any case, blanks, a JWT signed here for sub and tenant
 *      from the input, trailing white space: accepted exactly when both ids
 *      have 36 characters; once its hash is revoked (logout),
 *      hk_session_auth_from refuses that header (401);
 *   2: the rest is a key: hk_apikey_parse accepts exactly "hk_" and the
 *      canonical base64url of 32 bytes, then prefix is the key's first 12
 *      characters (terminated) and hash its SHA-256;
 *   3: the rest is a Cookie header: a value hk_session_cookie_find returns
 *      lies inside the header, stops before ';', follows "name=" at the start
 *      of a cookie, and a first cookie named so is always found; then
 *      hk_session_auth_from (GET or POST, with or without X-Hark-CSRF, an
 *      Authorization header or not, a signed session cookie appended or not)
 *      gives the verdict its contract states, and a cookie credential is
 *      "Bearer " + exactly the cookie's value, inside its buffer.
 * Strings from the input live in exact-size heap blocks (ASan). */
#include <ctype.h>
#include <openssl/sha.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/apikey.h"
#include "api/app.h"
#include "api/auth.h"
#include "api/jwt.h"
#include "api/session_cookie.h"
#include "core/json_arena.h"

#define SECRET "fuzz-secret-0123456789abcdef"
#define NOW 1800000000L
#define TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

static hk_app app;
static hk_config cfg;
static struct { int calls; int ok; hk_auth_principal who; } got;

static void on_auth(void *ud, const hk_auth_principal *who, const char *why) {
    (void)ud;
    got.calls++;
    got.ok = who != NULL;
    if (who) got.who = *who;
    else if (!why || !why[0]) abort(); /* a refusal says why */
}

/* Checks one Authorization header (NUL-terminated); 1 when accepted. */
static int check_header(const char *h) {
    memset(&got, 0, sizeof got);
    int shape = hk_auth_shape_ok(h);
    hk_auth_check(&app, h, on_auth, NULL);
    if (got.calls != 1 || (got.ok && !shape)) abort();
    if (!got.ok) return 0;
    const char *t = h + 7;
    while (*t == ' ') t++;
    size_t n = strlen(t);
    while (n && isspace((unsigned char)t[n - 1])) n--;
    hk_jwt_claims c;
    const char *why;
    if (strncasecmp(h, "Bearer ", 7) != 0 || hk_jwt_verify(SECRET, t, n, (long)time(NULL), &c, &why) != 0) abort();
    const hk_auth_principal *w = &got.who;
    if (!TERMINATED(w->tenant_id) || !TERMINATED(w->user_id) || w->key_id[0] || strlen(w->tenant_id) != 36 ||
        strcmp(w->tenant_id, c.tenant) != 0 || strcmp(w->user_id, c.sub) != 0)
        abort();
    return 1;
}

static void signed_header(const uint8_t *d, size_t n) {
    if (n < 4) return;
    uint8_t mask = d[0], lead = d[1] % 4, trail = d[2] % 4;
    size_t sl = d[3] % 64;
    d += 4, n -= 4;
    char sub[64], ten[64], tok[HK_JWT_MAX_LEN + 1];
    if (sl > n) sl = n;
    memcpy(sub, d, sl);
    sub[sl] = '\0';
    size_t tl = n - sl < 63 ? n - sl : 63;
    memcpy(ten, d + sl, tl);
    ten[tl] = '\0';
    long now = (long)time(NULL);
    long tn = hk_jwt_sign(SECRET, sub, ten, now - 5, now + HK_AUTH_SESSION_TTL_S, tok, sizeof tok);
    if (tn <= 0) return;
    char *h = malloc(7 + 3 + (size_t)tn + 3 + 1), *p = h;
    for (int i = 0; i < 6; i++) *p++ = (char)(mask >> i & 1 ? toupper("bearer"[i]) : "bearer"[i]);
    *p++ = ' ';
    for (int i = 0; i < lead; i++) *p++ = ' ';
    memcpy(p, tok, (size_t)tn);
    p += tn;
    for (int i = 0; i < trail; i++) *p++ = " \t\r\n"[(mask >> (6 - i % 2)) & 3];
    *p = '\0';
    int accepted = check_header(h);
    if (accepted != (strlen(sub) == 36 && strlen(ten) == 36)) abort();
    if (accepted) { /* logged out: refused however the header spells it */
        uint8_t sum[SHA256_DIGEST_LENGTH];
        char hex[33];
        SHA256((const unsigned char *)tok, (size_t)tn, sum);
        for (int i = 0; i < 16; i++) {
            hex[2 * i] = "0123456789abcdef"[sum[i] >> 4];
            hex[2 * i + 1] = "0123456789abcdef"[sum[i] & 15];
        }
        hex[32] = '\0';
        hk_http_request req;
        memset(&req, 0, sizeof req);
        req.method = "GET";
        req.authorization = h;
        req.cookie = req.csrf = "";
        hk_session_auth sa;
        if (hk_session_revoke_hex(hex, now + HK_AUTH_SESSION_TTL_S) != 0) abort();
        hk_session_auth_from(&req, SECRET, now, &sa);
        if (sa.status != 401) abort();
    }
    free(h);
}

static int b64url_val(char ch) {
    const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *q = ch ? strchr(a, ch) : NULL;
    return q ? (int)(q - a) : -1;
}

static void api_key(const char *t, size_t n) {
    char *prefix = malloc(HK_APIKEY_PREFIX_LEN + 1);
    uint8_t *hash = malloc(32), want[32];
    int rc = hk_apikey_parse(t, n, prefix, hash);
    int shape = n == HK_APIKEY_LEN && memcmp(t, "hk_", 3) == 0;
    for (size_t i = 3; shape && i < n; i++) shape = b64url_val(t[i]) >= 0;
    shape = shape && (b64url_val(t[n - 1]) & 3) == 0; /* 258 bits for 256: the last 2 are zero */
    if ((rc == 0) != shape) abort();
    if (rc == 0) {
        SHA256((const unsigned char *)t, n, want);
        if (prefix[HK_APIKEY_PREFIX_LEN] || strlen(prefix) != HK_APIKEY_PREFIX_LEN ||
            memcmp(prefix, t, HK_APIKEY_PREFIX_LEN) != 0 || memcmp(hash, want, 32) != 0)
            abort();
    }
    free(prefix);
    free(hash);
}

static int sep(char ch) { return ch == ' ' || ch == ';' || ch == '\t' || ch == ','; }

static void find_one(const char *h, const char *name) {
    size_t len = 0, hl = strlen(h), nl = strlen(name);
    const char *v = hk_session_cookie_find(h, name, &len);
    if (v) {
        if (v < h || v > h + hl || len > (size_t)(h + hl - v) || memchr(v, ';', len)) abort();
        const char *eq = v - 1;
        if (*eq == '"' && eq > h && eq[-1] == '=' && v[len] == '"') eq--;
        if (*eq != '=' || (size_t)(eq - h) < nl || memcmp(eq - nl, name, nl) != 0) abort();
        if (eq - nl > h && !sep(eq[-(long)nl - 1])) abort();
    }
    const char *s = h;
    while (sep(*s)) s++;
    if (nl && !strpbrk(name, "=;") && !sep(name[0]) && strncmp(s, name, nl) == 0 && s[nl] == '=' &&
        (!v || v < s + nl + 1 || v > s + nl + 2))
        abort(); /* the first cookie, named so: found, and it is the one */
}

static void cookie(const uint8_t *d, size_t n) {
    if (n < 2) return;
    uint8_t flags = d[0], nl = d[1] % 16;
    d += 2, n -= 2;
    char tok[HK_JWT_MAX_LEN + 1];
    long tn = flags & 16 ? hk_jwt_sign(SECRET, "u", "t", NOW - 5, NOW + 3600, tok, sizeof tok) : 0;
    char *h = malloc(n + 16 + (size_t)(tn > 0 ? tn : 0) + 1);
    memcpy(h, d, n);
    h[n] = '\0';
    if (tn > 0) strcat(strcat(h, "; hark_session="), tok);
    char name[16];
    if (nl > n) nl = (uint8_t)n;
    memcpy(name, d, nl);
    name[nl] = '\0';
    find_one(h, name);
    find_one(h, HK_SESSION_COOKIE);

    hk_http_request req;
    memset(&req, 0, sizeof req);
    req.method = flags & 2 ? "POST" : "GET";
    req.csrf = flags & 4 ? "1" : "";
    req.authorization = flags & 8 ? "Bearer x" : flags & 1 ? NULL : "";
    req.cookie = h;
    hk_session_auth *out = malloc(sizeof *out);
    hk_session_auth_from(&req, SECRET, NOW, out);
    size_t len = 0;
    const char *v = hk_session_cookie_find(h, HK_SESSION_COOKIE, &len);
    hk_jwt_claims c;
    const char *why;
    int want = 0;
    if (flags & 8) want = 0; /* nothing is revoked here: the header passes on */
    else if (!v || !len) want = 0;
    else if ((flags & 6) == 2) want = 403;
    else if (len > HK_JWT_MAX_LEN || hk_jwt_verify(SECRET, v, len, NOW, &c, &why) != 0) want = 401;
    if (out->status != want || (want != 0) != (out->message != NULL)) abort();
    if (out->from_cookie != (!(flags & 8) && v && len)) abort();
    if (want == 0 && out->from_cookie) {
        if (out->authorization != out->buf || !TERMINATED(out->buf) || strncmp(out->buf, "Bearer ", 7) != 0 ||
            strlen(out->buf + 7) != len || memcmp(out->buf + 7, v, len) != 0)
            abort();
    } else if (want == 0 && out->authorization != req.authorization) {
        abort();
    }
    if (tn > 0 && v && len == (size_t)tn && memcmp(v, tok, len) == 0 && (flags & 6) != 2 && out->status) abort();
    free(out);
    free(h);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    hk_json_arena_install(); /* as hark does: cJSON's hooks are process-wide */
    hk_config_set(&cfg, HK_CFG_JWT_SECRET, SECRET);
    app.cfg = &cfg;
    app.loop = ev_default_loop(0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    char *t = malloc(n + 1);
    memcpy(t, d, n);
    t[n] = '\0';
    switch (data[0] % 4) {
    case 0: check_header(t); break;
    case 1: signed_header(d, n); break;
    case 2: {
        char *k = malloc(n ? n : 1); /* not terminated: exactly the n bytes */
        memcpy(k, d, n);
        api_key(k, n);
        free(k);
        break;
    }
    default: cookie(d, n); break;
    }
    free(t);
    return 0;
}
