/* net/sigv4: AWS Signature Version 4, the pure part: canonical request,
 * string to sign, signing key chain and the Authorization header value, from
 * a description of the request. No I/O, no clock (the caller passes
 * x-amz-date), so AWS's published vectors pin it down (tests/unit/net/
 * test_sigv4.c). Paths are encoded S3's way: each segment URI-encoded once,
 * '/' kept, no dot-segment normalisation (other services double-encode; hark
 * only talks to S3). */
#ifndef HK_SIGV4_H
#define HK_SIGV4_H

#include <stddef.h>
#include <time.h>

#define HK_SIGV4_DATE_SIZE 17   /* "20150830T123600Z" + NUL */
#define HK_SIGV4_HEX_SIZE 65    /* 64 hex digits + NUL */

typedef struct hk_sigv4_header {
    const char *name;   /* any case; lower-cased for signing */
    const char *value;  /* trimmed, inner runs of spaces collapsed for signing */
} hk_sigv4_header;

typedef struct hk_sigv4_request {
    const char *method;
    const char *path;            /* unencoded, e.g. "/bucket/recordings/CA1.wav"; NULL or "": "/" */
    const char *query;           /* as on the URL without '?' (percent-encoded), or NULL */
    const hk_sigv4_header *headers; /* every header to sign, host and x-amz-date included */
    size_t nheaders;
    const char *payload_sha256;  /* lowercase hex, or "UNSIGNED-PAYLOAD" */
} hk_sigv4_request;

typedef struct hk_sigv4_key {
    const char *access_key;
    const char *secret_key;
    const char *region;
    const char *service;         /* "s3" */
} hk_sigv4_key;

/* The Authorization header value ("AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
 * Signature=...") for rq signed at amz_date ("YYYYMMDDTHHMMSSZ"). Returns its
 * length, or -1 with err set (bad date, out of memory, does not fit in cap). */
int hk_sigv4_sign(const hk_sigv4_request *rq, const hk_sigv4_key *key, const char *amz_date,
                  char *out, size_t cap, char *err, size_t errlen);

/* The canonical request hk_sigv4_sign hashes, malloc'ed (NULL: out of memory or a
 * malformed query). For tests and for debugging a SignatureDoesNotMatch. */
char *hk_sigv4_canonical_request(const hk_sigv4_request *rq);

/* Lowercase hex SHA-256 of n bytes. */
void hk_sigv4_sha256_hex(const void *data, size_t n, char out[HK_SIGV4_HEX_SIZE]);
/* t as x-amz-date (UTC). */
void hk_sigv4_amz_date(time_t t, char out[HK_SIGV4_DATE_SIZE]);

#endif
