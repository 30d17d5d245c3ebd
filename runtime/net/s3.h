/* net/s3: upload a file to S3 or any S3-compatible store (MinIO, R2, s3rver)
 * with a SigV4-signed PUT over the worker's http client. The file is read and
 * hashed on the thread pool (hk_pool_global()), never on the loop; the PUT is
 * signed when it starts, so a long queue cannot age the signature. */
#ifndef HK_S3_H
#define HK_S3_H

#include <stddef.h>

#include "net/http_client.h"

typedef struct hk_s3_config {
    const char *region;      /* "us-east-1" */
    const char *bucket;
    const char *access_key;
    const char *secret_key;
    const char *endpoint;    /* "http://127.0.0.1:9000"; NULL: https://s3.<region>.amazonaws.com */
    int path_style;          /* 1: <endpoint>/<bucket>/<key> (custom endpoints); 0: <bucket>.<host>/<key> */
} hk_s3_config;

/* Starts uploading the file at path as key (e.g. "recordings/CA1.wav"). Every
 * string is copied. Returns 0, and done(ud, url, NULL) or done(ud, NULL, err)
 * is called exactly once later on the loop thread (err carries S3's code and
 * message, e.g. "S3 answered 403 SignatureDoesNotMatch: ..."); or -1 with err
 * set when it cannot start (missing setting, no thread pool), and done is
 * never called. content_type NULL: application/octet-stream. If the http
 * client is freed while the PUT is in flight, done is not called. */
int hk_s3_put_file(hk_http_client *http, const hk_s3_config *cfg, const char *key, const char *path,
                   const char *content_type, void (*done)(void *ud, const char *url, const char *err),
                   void *ud, char *err, size_t errlen);

#endif
