/* api/auth_login: POST /auth/login and GET /auth/me. See auth_login.h.
 * Login: the user row from the store, the password checked on the pool
 * (a dummy hash when the email is unknown: same answer, about the same
 * time), then a session JWT of HK_AUTH_SESSION_TTL_S. Never logs the
 * email, the password or the token. */
#include "api/auth_login.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/app.h"
#include "api/auth.h"
#include "api/jwt.h"
#include "api/password.h"
#include "api/session_cookie.h"
#include "cluster/rate_limit.h"
#include "core/log.h"
#include "core/pool.h"
#include "store/store.h"

#define BAD_LOGIN "Invalid email or password"

typedef struct login {
    hk_api_req *r;
    char *password;
    char *email;
    char email_id[33]; /* a hash of the lower-cased email: the limiter's id (no email in Redis) */
    char user_id[37], tenant_id[37];
} login;

static void login_free(login *l) {
    if (l->password) {
        memset(l->password, 0, strlen(l->password));
        free(l->password);
    }
    free(l->email);
    free(l);
}

static void checked(void *ud, int ok) {
    login *l = ud;
    hk_api_req *r = l->r;
    if (!ok) {
        login_free(l);
        hk_api_reply_error(r, 401, BAD_LOGIN);
        return;
    }
    long now = (long)time(NULL), exp = now + HK_AUTH_SESSION_TTL_S;
    char token[HK_JWT_MAX_LEN];
    long n = hk_jwt_sign(hk_config_str(r->app->cfg, HK_CFG_JWT_SECRET), l->user_id, l->tenant_id, now,
                         exp, token, sizeof token);
    login_free(l);
    if (n < 0) {
        hk_api_reply_error(r, 500, "cannot sign the session");
        return;
    }
    char iso[32];
    struct tm tm;
    time_t et = (time_t)exp;
    gmtime_r(&et, &tm);
    strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "token", token);
    cJSON_AddStringToObject(o, "expiresAt", iso);
    /* the dashboard's session: the same JWT as an HttpOnly cookie (api/session_cookie) */
    hk_api_reply_json_headers(r, 200, o,
                              hk_session_cookie_header(token, HK_AUTH_SESSION_TTL_S, hk_session_secure(r->app)));
}

static void user_found(void *ud, cJSON *row, const char *err) {
    login *l = ud;
    if (err) {
        cJSON_Delete(row);
        hk_api_req *r = l->r;
        login_free(l);
        hk_api_reply_error(r, 503, "the user store is unavailable");
        return;
    }
    const char *hash = NULL;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(row, "id");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(row, "tenant_id");
    if (cJSON_IsString(id) && cJSON_IsString(t) && strlen(id->valuestring) == 36 &&
        strlen(t->valuestring) == 36) {
        memcpy(l->user_id, id->valuestring, 37);
        memcpy(l->tenant_id, t->valuestring, 37);
        hash = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "password_hash"));
    }
    /* unknown email: hash NULL, verified against the dummy all the same */
    hk_password_verify(hk_pool_global(), hash, l->password, checked, l);
    cJSON_Delete(row);
}

static void login_email_id(login *l) {
    char low[256];
    size_t n = strlen(l->email);
    if (n >= sizeof low) n = sizeof low - 1;
    for (size_t i = 0; i < n; i++) low[i] = (char)tolower((unsigned char)l->email[i]);
    uint8_t d[SHA256_DIGEST_LENGTH];
    SHA256((const uint8_t *)low, n, d);
    for (int i = 0; i < 16; i++) snprintf(l->email_id + 2 * i, 3, "%02x", d[i]);
}

static int login_refused(login *l, int allowed, int retry_after_s, const char *what) {
    if (allowed) return 0;
    hk_api_req *r = l->r;
    hk_log(HK_LOG_WARN, NULL, "login_rate_limited", "too many login attempts %s; retry after %d s",
           what, retry_after_s);
    login_free(l);
    hk_api_reply_error_retry(r, 429, retry_after_s,
                             "Too many login attempts: retry after the Retry-After header's seconds");
    return 1;
}

static void email_rated(void *ud, int allowed, int retry_after_s) {
    login *l = ud;
    if (login_refused(l, allowed, retry_after_s, "for one email")) return;
    hk_api_req *r = l->r;
    if (!r->app->store || !r->app->store->v->user_find) {
        user_found(l, NULL, NULL);
        return;
    }
    r->app->store->v->user_find(r->app->store, l->email, user_found, l);
}

static void ip_rated(void *ud, int allowed, int retry_after_s) {
    login *l = ud;
    if (login_refused(l, allowed, retry_after_s, "from one client address")) return;
    hk_rate_limit_take("login-email", l->email_id,
                       hk_config_long(l->r->app->cfg, HK_CFG_HARK_LOGIN_PER_EMAIL_PER_MINUTE, 10),
                       60000, email_rated, l);
}

void hk_api_auth_login(hk_api_req *r) {
    const char *secret = hk_config_str(r->app->cfg, HK_CFG_JWT_SECRET);
    if (!secret || strlen(secret) < HK_JWT_MIN_SECRET) {
        hk_api_reply_error(r, 503, "sessions are off: set JWT_SECRET (at least 16 characters)");
        return;
    }
    cJSON *b = hk_api_body_object(r);
    if (!b) return;
    const char *email = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "email"));
    const char *pw = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "password"));
    if (!email || !pw || !*email || strlen(email) > 254 || !*pw || strlen(pw) > HK_PASSWORD_MAX) {
        cJSON_Delete(b);
        hk_api_reply_error(r, 400, "email and password (strings) are required");
        return;
    }
    login *l = calloc(1, sizeof *l);
    if (!l || !(l->password = strdup(pw))) {
        free(l);
        cJSON_Delete(b);
        hk_api_reply_error(r, 503, "out of memory");
        return;
    }
    l->r = r;
    if (!(l->email = strdup(email))) {
        login_free(l);
        cJSON_Delete(b);
        hk_api_reply_error(r, 503, "out of memory");
        return;
    }
    cJSON_Delete(b);
    login_email_id(l);
    /* brute force: attempts per client address, then per email, before any hashing */
    hk_rate_limit_take("login-ip", r->peer[0] ? r->peer : "unknown",
                       hk_config_long(r->app->cfg, HK_CFG_HARK_LOGIN_PER_IP_PER_MINUTE, 30), 60000,
                       ip_rated, l);
}

void hk_api_auth_me(hk_api_req *r) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "tenantId", r->tenant_id);
    if (r->key_id[0]) cJSON_AddStringToObject(o, "keyId", r->key_id);
    if (r->user_id[0]) cJSON_AddStringToObject(o, "userId", r->user_id);
    cJSON_AddStringToObject(o, "credential", r->key_id[0] ? "apiKey" : "session");
    hk_api_reply_json(r, 200, o);
}
