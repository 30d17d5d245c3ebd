/* api/jwt: session tokens: JWT (RFC 7519) signed HS256 with JWT_SECRET, and
 * nothing else: the header's alg must be exactly "HS256" (none, HS512, RS256
 * ... are refused), the signature is compared in constant time before any
 * claim is believed, and sub, tenant, iat and exp must all be there. Clock
 * skew up to HK_JWT_SKEW_S is forgiven; a token may not claim to live longer
 * than HK_JWT_MAX_LIFE_S. No allocation beyond cJSON's parse of the two
 * small JSON parts (a token is at most HK_JWT_MAX_LEN characters). */
#ifndef HK_JWT_H
#define HK_JWT_H

#include <stddef.h>

#define HK_JWT_SKEW_S 60
#define HK_JWT_MAX_LIFE_S (24 * 3600)
#define HK_JWT_MAX_LEN 2048
#define HK_JWT_MIN_SECRET 16

typedef struct hk_jwt_claims {
    char sub[64];     /* the user id */
    char tenant[64];  /* the tenant id */
    long iat, exp;    /* unix seconds */
} hk_jwt_claims;

/* A token for sub in tenant, issued at iat, expiring at exp, into out
 * (NUL-terminated). Returns its length, or -1 (secret shorter than
 * HK_JWT_MIN_SECRET, ids too long, out too small). */
long hk_jwt_sign(const char *secret, const char *sub, const char *tenant, long iat, long exp,
                 char *out, size_t cap);
/* 0 and *c filled when token is valid at now; -1 otherwise, with *why a
 * short static reason (never the token). */
int hk_jwt_verify(const char *secret, const char *token, size_t len, long now, hk_jwt_claims *c,
                  const char **why);
/* 1 when text looks like a JWT (three base64url parts), not an API key. */
int hk_jwt_looks_like(const char *text, size_t len);

#endif
