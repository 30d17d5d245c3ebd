/* core/json_fields: see json_fields.h. Owns the type and range checks shared
 * by the message parsers; knows no message format. */
#include "core/json_fields.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int hk_json_fail(hk_json_err *e, const char *fmt, ...)
{
    if (e->buf && e->cap) {
        int n = snprintf(e->buf, e->cap, "%s: ", e->prefix ? e->prefix : "json");
        if (n >= 0 && (size_t)n < e->cap) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(e->buf + n, e->cap - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return -1;
}

cJSON *hk_json_parse_object(const char *text, size_t len, hk_json_err *e)
{
    if (!text) {
        hk_json_fail(e, "no input");
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        hk_json_fail(e, "invalid JSON near byte %zu",
                     end && end >= text && end <= text + len ? (size_t)(end - text) : (size_t)0);
        return NULL;
    }
    /* cJSON stops at the end of the first value: anything after it but
     * whitespace means this was not one JSON object */
    size_t pos = end && end >= text && end <= text + len ? (size_t)(end - text) : len;
    while (pos < len && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r'))
        pos++;
    if (pos < len || !cJSON_IsObject(root)) {
        hk_json_fail(e, pos < len ? "trailing bytes after the JSON object" : "not a JSON object");
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

const cJSON *hk_json_get(const cJSON *obj, const char *key)
{
    const cJSON *it = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    return it && !cJSON_IsNull(it) ? it : NULL;
}

int hk_json_bool(hk_json_err *e, const cJSON *obj, const char *key, int *out)
{
    const cJSON *it = hk_json_get(obj, key);
    if (!it)
        return 0;
    if (!cJSON_IsBool(it))
        return hk_json_fail(e, "\"%s\" is not true or false", key);
    *out = cJSON_IsTrue(it) ? 1 : 0;
    return 0;
}

int hk_json_number(hk_json_err *e, const cJSON *obj, const char *key, double min, double max, double *out)
{
    const cJSON *it = hk_json_get(obj, key);
    if (!it)
        return 0;
    if (!cJSON_IsNumber(it))
        return hk_json_fail(e, "\"%s\" is not a number", key);
    double d = it->valuedouble;
    if (!isfinite(d) || d < min || d > max)
        return hk_json_fail(e, "\"%s\" is outside %g..%g", key, min, max);
    *out = d;
    return 0;
}

size_t hk_json_copy_cut(char *dst, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n >= cap) {
        n = cap - 1;
        /* s[n] is the first byte left out: if it continues a character,
         * that character's first bytes (at most 3) go too; bytes that are
         * not UTF-8 are cut where they are */
        size_t k = n;
        while (k > 0 && n - k < 3 && ((unsigned char)s[k] & 0xC0) == 0x80)
            k--;
        if (((unsigned char)s[k] & 0xC0) != 0x80)
            n = k;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
    return n;
}

int hk_json_string_cut(hk_json_err *e, const cJSON *obj, const char *key, char *dst, size_t cap, size_t *len,
                       int *cut)
{
    const cJSON *it = hk_json_get(obj, key);
    if (!it)
        return 0;
    if (!cJSON_IsString(it) || !it->valuestring)
        return hk_json_fail(e, "\"%s\" is not a string", key);
    size_t n = hk_json_copy_cut(dst, cap, it->valuestring);
    if (len)
        *len = n;
    if (cut)
        *cut = it->valuestring[n] != '\0';
    return 0;
}

static const cJSON *typed(hk_json_err *e, const cJSON *obj, const char *key, int *rc, int want_object)
{
    const cJSON *it = hk_json_get(obj, key);
    *rc = 0;
    if (!it)
        return NULL;
    if (want_object ? !cJSON_IsObject(it) : !cJSON_IsArray(it)) {
        *rc = hk_json_fail(e, "\"%s\" is not an %s", key, want_object ? "object" : "array");
        return NULL;
    }
    return it;
}

const cJSON *hk_json_object(hk_json_err *e, const cJSON *obj, const char *key, int *rc)
{
    return typed(e, obj, key, rc, 1);
}

const cJSON *hk_json_array(hk_json_err *e, const cJSON *obj, const char *key, int *rc)
{
    return typed(e, obj, key, rc, 0);
}
