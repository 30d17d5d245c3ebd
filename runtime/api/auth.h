/* api/auth: who is calling. An Authorization header (Bearer API key, or
 * Bearer session JWT) becomes a tenant and a key or user id. API keys are
 * checked against the store through a per-worker cache of key hashes that
 * lives a few seconds (HK_AUTH_CACHE_TTL_S: the most a revocation waits);
 * JWTs are checked in place (api/jwt). Never logs a credential. */
#ifndef HK_AUTH_H
#define HK_AUTH_H

#include <stddef.h>

#include "core/app.h" /* hk_app: the serving worker */

#define HK_AUTH_CACHE_TTL_S 3.0
#define HK_AUTH_SESSION_TTL_S 3600 /* a login's JWT lives an hour */

typedef struct hk_auth_principal {
    char tenant_id[37];
    char key_id[37];  /* "" for a session */
    char user_id[37]; /* "" for an API key */
} hk_auth_principal;

/* who: NULL when the credential is missing or bad (why: a short reason for
 * debug logs, never the credential). why == hk_auth_store_unavailable: the
 * key store did not answer (or too many look-ups wait on it): not a bad
 * credential, the API answers 503 with Retry-After. */
extern const char hk_auth_store_unavailable[];
#define HK_AUTH_NEG_TTL_S 2.0  /* an unknown key prefix is answered from memory this long */
#define HK_AUTH_MAX_LOOKUPS 64 /* store look-ups of keys waiting at once per worker */

typedef void (*hk_auth_cb)(void *ud, const hk_auth_principal *who, const char *why);

/* The credential in an Authorization header: after "Bearer " (any case),
 * blanks before and white space after dropped; its length in *len. NULL
 * when there is none or it is longer than HK_JWT_MAX_LEN. Whatever looks at
 * the credential (api/session_cookie's revocation check too) reads it
 * through this, so every reader sees the same token. */
const char *hk_auth_bearer(const char *authorization, size_t *len);
/* Cheap checks before anything is allocated: 0 when authorization has the
 * shape of a credential hark could accept ("Bearer " + a key or a JWT). */
int hk_auth_shape_ok(const char *authorization);
/* Calls cb exactly once, possibly before returning (a JWT, a cached key, a
 * malformed header), else later on the loop after a store read. */
void hk_auth_check(hk_app *app, const char *authorization, hk_auth_cb cb, void *ud);
/* Forget the worker's cached keys (tests; a revocation made in this process). */
void hk_auth_cache_clear(void);

#endif
