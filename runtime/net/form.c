/* net/form: see form.h. Owns percent-decoding of form bodies and query
 * strings; never allocates, never writes past the caller's buffers. */
#include "net/form.h"

#include <stdio.h>
#include <string.h>

void hk_form_init(hk_form *f, hk_form_param *params, int cap, char *buf, size_t buf_cap)
{
    f->params = params;
    f->cap = cap;
    f->n = 0;
    f->buf = buf;
    f->buf_cap = buf_cap;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..n) to buf+*used, NUL-terminated. Returns 0, -1 (bad escape or
 * escaped NUL), -2 (buffer full). */
static int decode_piece(const char *s, size_t n, char *buf, size_t cap, size_t *used)
{
    size_t o = *used;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (n - i < 3)
                return -1;
            int h = hexval((unsigned char)s[i + 1]), l = hexval((unsigned char)s[i + 2]);
            if (h < 0 || l < 0 || (h | l) == 0)
                return -1;
            c = (unsigned char)(h << 4 | l);
            i += 2;
        } else if (c == '\0') {
            return -1;
        }
        if (o >= cap)
            return -2;
        buf[o++] = (char)c;
    }
    if (o >= cap)
        return -2;
    buf[o++] = '\0';
    *used = o;
    return 0;
}

static int fail(hk_form *f, char *err, size_t errcap, const char *msg, size_t at)
{
    f->n = 0;
    if (err && errcap)
        snprintf(err, errcap, "form: %s at byte %zu", msg, at);
    return -1;
}

int hk_form_parse(hk_form *f, const char *text, size_t len, char *err, size_t errcap)
{
    size_t used = 0, pos = 0;
    f->n = 0;
    while (pos < len) {
        const char *amp = memchr(text + pos, '&', len - pos);
        size_t end = amp ? (size_t)(amp - text) : len;
        if (end > pos) {
            const char *eq = memchr(text + pos, '=', end - pos);
            size_t name_end = eq ? (size_t)(eq - text) : end;
            if (f->n >= f->cap)
                return fail(f, err, errcap, "too many parameters", pos);
            size_t name_at = used;
            int rc = decode_piece(text + pos, name_end - pos, f->buf, f->buf_cap, &used);
            if (rc == 0) {
                size_t value_at = used;
                size_t vs = eq ? name_end + 1 : end;
                rc = decode_piece(text + vs, end - vs, f->buf, f->buf_cap, &used);
                if (rc == 0) {
                    f->params[f->n].name = f->buf + name_at;
                    f->params[f->n].value = f->buf + value_at;
                    f->n++;
                }
            }
            if (rc == -1)
                return fail(f, err, errcap, "invalid percent-escape", pos);
            if (rc == -2)
                return fail(f, err, errcap, "decode buffer too small", pos);
        }
        pos = end + 1;
    }
    return f->n;
}

const char *hk_form_get_nth(const hk_form *f, const char *name, int idx)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->params[i].name, name) == 0 && idx-- == 0)
            return f->params[i].value;
    return NULL;
}

const char *hk_form_get(const hk_form *f, const char *name)
{
    return hk_form_get_nth(f, name, 0);
}

long hk_url_encode(const char *s, int keep_slash, char *out, size_t cap) {
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                    *p == '-' || *p == '.' || *p == '_' || *p == '~' || (keep_slash && *p == '/');
        size_t need = plain ? 1 : 3;
        if (o + need + 1 > cap) {
            if (cap) out[o] = 0;
            return -1;
        }
        if (plain) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    if (cap) out[o] = 0;
    return (long)o;
}

static int put_encoded(char *out, size_t cap, size_t *len, const char *s) {
    long n = hk_url_encode(s, 0, out + *len, cap - *len);
    if (n < 0) return -1;
    *len += (size_t)n;
    return 0;
}

int hk_form_append(char *out, size_t cap, size_t *len, const char *name, const char *value) {
    size_t start = *len;
    if (*len) {
        if (*len + 2 > cap) return -1;
        out[(*len)++] = '&';
    }
    if (put_encoded(out, cap, len, name) != 0 || *len + 2 > cap) goto fail;
    out[(*len)++] = '=';
    if (put_encoded(out, cap, len, value ? value : "") != 0) goto fail;
    out[*len] = 0;
    return 0;
fail:
    *len = start;
    if (cap) out[start < cap ? start : cap - 1] = 0;
    return -1;
}
