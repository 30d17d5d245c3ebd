/* net/sigv4: see sigv4.h. Builds the canonical request in one growing buffer;
 * headers are copied, lower-cased, trimmed and sorted by name (a name given
 * twice is signed once with its values joined by ',', in the order given). */
#include "net/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "net/form.h"



/* AWS-encoded s appended to b. */
static void sb_encoded(hk_strbuf *b, const char *s, int keep_slash) {
    size_t n = strlen(s) * 3 + 1;
    char stackbuf[512];
    char *tmp = n <= sizeof stackbuf ? stackbuf : malloc(n);
    if (!tmp) {
        b->oom = 1;
        return;
    }
    hk_url_encode(s, keep_slash, tmp, n);
    hk_strbuf_str(b, tmp);
    if (tmp != stackbuf) free(tmp);
}


static void to_hex(const unsigned char *md, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[2 * n] = 0;
}

void hk_sigv4_sha256_hex(const void *data, size_t n, char out[HK_SIGV4_HEX_SIZE]) {
    unsigned char md[32];
    unsigned int len = 0;
    EVP_Digest(data ? data : "", n, md, &len, EVP_sha256(), NULL);
    to_hex(md, 32, out);
}

void hk_sigv4_amz_date(time_t t, char out[HK_SIGV4_DATE_SIZE]) {
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, HK_SIGV4_DATE_SIZE, "%Y%m%dT%H%M%SZ", &tm);
}

typedef struct hdr {
    char *name;   /* lower-case */
    char *value;  /* trimmed, spaces collapsed */
    size_t order;
} hdr;

static int hdr_cmp(const void *a, const void *b) {
    const hdr *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c) return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static char *lower_dup(const char *s) {
    char *d = strdup(s);
    for (char *p = d; p && *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    return d;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static char *trim_dup(const char *s) {
    char *d = malloc(strlen(s) + 1);
    if (!d) return NULL;
    size_t o = 0;
    while (is_space(*s)) s++;
    for (; *s; s++) {
        if (is_space(*s)) {
            if (o && d[o - 1] != ' ') d[o++] = ' ';
        } else {
            d[o++] = *s;
        }
    }
    while (o && d[o - 1] == ' ') o--;
    d[o] = 0;
    return d;
}

typedef struct qparam {
    char *name;   /* encoded */
    char *value;  /* encoded */
} qparam;

static int qparam_cmp(const void *a, const void *b) {
    const qparam *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

static char *encoded_dup(const char *s) {
    size_t n = strlen(s) * 3 + 1;
    char *d = malloc(n);
    if (d) hk_url_encode(s, 0, d, n);
    return d;
}

/* Canonical query string: each name and value decoded then AWS-encoded, sorted
 * by name then value. -1 on a malformed query or no memory. */
static int canonical_query(hk_strbuf *b, const char *query) {
    if (!query || !*query) return 0;
    size_t len = strlen(query);
    int cap = 1;
    for (const char *p = query; *p; p++) cap += *p == '&';
    hk_form_param *params = calloc((size_t)cap, sizeof *params);
    char *buf = malloc(len + 2 * (size_t)cap + 1);
    qparam *q = calloc((size_t)cap, sizeof *q);
    hk_form f;
    char err[128];
    int n = -1;
    if (params && buf && q) {
        hk_form_init(&f, params, cap, buf, len + 2 * (size_t)cap + 1);
        n = hk_form_parse(&f, query, len, err, sizeof err);
    }
    int rc = n < 0 ? -1 : 0;
    for (int i = 0; i < n; i++) {
        q[i].name = encoded_dup(params[i].name);
        q[i].value = encoded_dup(params[i].value);
        if (!q[i].name || !q[i].value) rc = -1;
    }
    if (rc == 0) {
        qsort(q, (size_t)n, sizeof *q, qparam_cmp);
        for (int i = 0; i < n; i++) {
            if (i) hk_strbuf_str(b, "&");
            hk_strbuf_str(b, q[i].name);
            hk_strbuf_str(b, "=");
            hk_strbuf_str(b, q[i].value);
        }
    }
    for (int i = 0; i < n; i++) {
        free(q[i].name);
        free(q[i].value);
    }
    free(q);
    free(buf);
    free(params);
    return rc;
}

/* Canonical request into b and the signed-headers list into sh. */
static int canonical(const hk_sigv4_request *rq, hk_strbuf *b, hk_strbuf *sh) {
    hk_strbuf_str(b, rq->method ? rq->method : "GET");
    hk_strbuf_str(b, "\n");
    if (!rq->path || !*rq->path) hk_strbuf_str(b, "/");
    else {
        if (rq->path[0] != '/') hk_strbuf_str(b, "/");
        sb_encoded(b, rq->path, 1);
    }
    hk_strbuf_str(b, "\n");
    if (canonical_query(b, rq->query) != 0) return -1;
    hk_strbuf_str(b, "\n");

    hdr *h = calloc(rq->nheaders ? rq->nheaders : 1, sizeof *h);
    if (!h) return -1;
    int rc = 0;
    for (size_t i = 0; i < rq->nheaders; i++) {
        h[i].name = lower_dup(rq->headers[i].name);
        h[i].value = trim_dup(rq->headers[i].value ? rq->headers[i].value : "");
        h[i].order = i;
        if (!h[i].name || !h[i].value) rc = -1;
    }
    if (rc == 0) {
        qsort(h, rq->nheaders, sizeof *h, hdr_cmp);
        for (size_t i = 0; i < rq->nheaders; i++) {
            int same = i > 0 && strcmp(h[i].name, h[i - 1].name) == 0;
            if (same) {
                hk_strbuf_str(b, ",");
            } else {
                if (i) {
                    hk_strbuf_str(b, "\n");
                    hk_strbuf_str(sh, ";");
                }
                hk_strbuf_str(b, h[i].name);
                hk_strbuf_str(b, ":");
                hk_strbuf_str(sh, h[i].name);
            }
            hk_strbuf_str(b, h[i].value);
        }
        if (rq->nheaders) hk_strbuf_str(b, "\n");
        hk_strbuf_str(b, "\n");
        hk_strbuf_add(sh, "", 0);
        hk_strbuf_str(b, sh->s ? sh->s : "");
        hk_strbuf_str(b, "\n");
        hk_strbuf_str(b, rq->payload_sha256 ? rq->payload_sha256 : "UNSIGNED-PAYLOAD");
    }
    for (size_t i = 0; i < rq->nheaders; i++) {
        free(h[i].name);
        free(h[i].value);
    }
    free(h);
    return rc == 0 && !b->oom && !sh->oom ? 0 : -1;
}

char *hk_sigv4_canonical_request(const hk_sigv4_request *rq) {
    hk_strbuf b = {0}, sh = {0};
    int rc = canonical(rq, &b, &sh);
    free(sh.s);
    if (rc != 0) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

static void hmac(const void *key, size_t keylen, const char *msg, unsigned char out[32]) {
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, strlen(msg), out, &len);
}

static int valid_date(const char *d) {
    if (!d || strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z') return 0;
    for (int i = 0; i < 15; i++)
        if (i != 8 && (d[i] < '0' || d[i] > '9')) return 0;
    return 1;
}

int hk_sigv4_sign(const hk_sigv4_request *rq, const hk_sigv4_key *key, const char *amz_date,
                  char *out, size_t cap, char *err, size_t errlen) {
    if (!valid_date(amz_date)) {
        snprintf(err, errlen, "sigv4: x-amz-date must look like 20150830T123600Z");
        return -1;
    }
    if (!key->access_key || !key->secret_key || !key->region || !key->service) {
        snprintf(err, errlen, "sigv4: access key, secret key, region and service are all needed");
        return -1;
    }
    hk_strbuf creq = {0}, sh = {0};
    if (canonical(rq, &creq, &sh) != 0) {
        snprintf(err, errlen, "sigv4: malformed query string or out of memory");
        free(creq.s);
        free(sh.s);
        return -1;
    }
    char date[9];
    memcpy(date, amz_date, 8);
    date[8] = 0;
    char creq_hash[HK_SIGV4_HEX_SIZE];
    hk_sigv4_sha256_hex(creq.s, creq.len, creq_hash);
    free(creq.s);

    hk_strbuf sts = {0};
    hk_strbuf_str(&sts, "AWS4-HMAC-SHA256\n");
    hk_strbuf_str(&sts, amz_date);
    hk_strbuf_str(&sts, "\n");
    hk_strbuf_str(&sts, date);
    hk_strbuf_str(&sts, "/");
    hk_strbuf_str(&sts, key->region);
    hk_strbuf_str(&sts, "/");
    hk_strbuf_str(&sts, key->service);
    hk_strbuf_str(&sts, "/aws4_request\n");
    hk_strbuf_str(&sts, creq_hash);

    /* kSecret = "AWS4" + secret; kDate; kRegion; kService; kSigning */
    size_t slen = strlen(key->secret_key);
    char *k0 = malloc(slen + 5);
    unsigned char k[32], k2[32], sig[32];
    int rc = -1;
    if (k0 && !sts.oom) {
        memcpy(k0, "AWS4", 4);
        memcpy(k0 + 4, key->secret_key, slen + 1);
        hmac(k0, slen + 4, date, k);
        hmac(k, 32, key->region, k2);
        hmac(k2, 32, key->service, k);
        hmac(k, 32, "aws4_request", k2);
        hmac(k2, 32, sts.s, sig);
        char sighex[HK_SIGV4_HEX_SIZE];
        to_hex(sig, 32, sighex);
        int n = snprintf(out, cap,
                         "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
                         key->access_key, date, key->region, key->service, sh.s ? sh.s : "", sighex);
        if (n >= 0 && (size_t)n < cap) rc = n;
        else snprintf(err, errlen, "sigv4: Authorization header longer than %zu bytes", cap);
        OPENSSL_cleanse(k, sizeof k);
        OPENSSL_cleanse(k2, sizeof k2);
        OPENSSL_cleanse(k0, slen + 4);
    } else {
        snprintf(err, errlen, "sigv4: out of memory");
    }
    free(k0);
    free(sts.s);
    free(sh.s);
    return rc;
}
