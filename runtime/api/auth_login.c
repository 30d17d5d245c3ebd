/* api/auth_login: POST /auth/login and GET /auth/me. See auth_login.h.
 * Login: the user row from the store, the password checked on the pool
 * (a dummy hash when the email is unknown: same answer, about the same
 * time), then a session JWT of HK_AUTH_SESSION_TTL_S. Never logs the
 * email, the password or the token. */
#include "api/auth_login.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/app.h"
#include "api/auth.h"
#include "api/jwt.h"
#include "api/password.h"
#include "core/pool.h"
#include "store/store.h"

#define BAD_LOGIN "Invalid email or password"

typedef struct login {
    hk_api_req *r;
    char *password;
    char user_id[37], tenant_id[37];
} login;

static void login_free(login *l) {
    if (l->password) {
        memset(l->password, 0, strlen(l->password));
        free(l->password);
    }
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
    hk_api_reply_json(r, 200, o);
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
    if (!r->app->store || !r->app->store->v->user_find) {
        cJSON_Delete(b);
        user_found(l, NULL, NULL);
        return;
    }
    r->app->store->v->user_find(r->app->store, email, user_found, l);
    cJSON_Delete(b);
}

void hk_api_auth_me(hk_api_req *r) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "tenantId", r->tenant_id);
    if (r->key_id[0]) cJSON_AddStringToObject(o, "keyId", r->key_id);
    if (r->user_id[0]) cJSON_AddStringToObject(o, "userId", r->user_id);
    cJSON_AddStringToObject(o, "credential", r->key_id[0] ? "apiKey" : "session");
    hk_api_reply_json(r, 200, o);
}
