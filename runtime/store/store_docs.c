/* store/store_docs: what the memory and PostgreSQL stores share about API
 * resources (store.h: hk_store_doc_*): the fields the store owns and how they
 * are spelled (UUIDs, ISO-8601 UTC times with milliseconds), and the shape of
 * the object served. Everything else in a resource is the client's, kept
 * verbatim. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "store/store.h"

static const char *owned_keys[] = {"id", "orgId", "createdAt", "updatedAt", NULL};

int hk_store_is_uuid(const char *s) {
    if (!s || strlen(s) != 36) return 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return 0;
        } else if (!isxdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

double hk_store_now_s(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

int64_t hk_store_now_ms(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void hk_store_time_iso(double t, char out[32]) {
    double ms_total = floor(t * 1000.0 + 1e-6);
    time_t secs = (time_t)floor(ms_total / 1000.0);
    int ms = (int)(ms_total - (double)secs * 1000.0);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char buf[96]; /* room for any int the compiler imagines; real times take 24 */
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
    snprintf(out, 32, "%.31s", buf);
}

/* n digits at *p into *v */
static int digits(const char **p, int n, int *v) {
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) return -1;
        *v = *v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return 0;
}

int hk_store_time_parse(const char *iso, double *t) {
    if (!iso) return -1;
    const char *p = iso;
    int y, mo, d, h = 0, mi = 0, s = 0;
    double frac = 0;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
        return -1;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi)) return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &s)) return -1;
            if (*p == '.') {
                p++;
                double scale = 0.1;
                if (!isdigit((unsigned char)*p)) return -1;
                for (; isdigit((unsigned char)*p); p++, scale /= 10) frac += (*p - '0') * scale;
            }
        }
    }
    int offset_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
        if (digits(&p, 2, &oh)) return -1;
        if (*p == ':') p++;
        if (*p && digits(&p, 2, &om)) return -1;
        if (oh > 23 || om > 59) return -1;
        offset_s = sign * (oh * 3600 + om * 60);
    }
    if (*p) return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                    .tm_min = mi, .tm_sec = s};
    time_t secs = timegm(&tm);
    *t = (double)secs - offset_s + frac;
    return 0;
}

int hk_store_doc_merge(cJSON *into, const cJSON *patch) {
    const cJSON *it;
    cJSON_ArrayForEach(it, patch) {
        cJSON *copy = cJSON_Duplicate(it, 1);
        if (!copy) return -1;
        /* cJSON's replace frees the item's key before copying the one it is
         * given: it->string belongs to patch, so that is safe here */
        if (cJSON_GetObjectItemCaseSensitive(into, it->string))
            cJSON_ReplaceItemInObjectCaseSensitive(into, it->string, copy);
        else
            cJSON_AddItemToObject(into, it->string, copy);
    }
    return 0;
}

cJSON *hk_store_doc_body(const cJSON *body) {
    if (!cJSON_IsObject(body)) return NULL;
    cJSON *copy = cJSON_Duplicate(body, 1);
    if (!copy) return NULL;
    /* every copy of each: JSON may repeat a key, cJSON deletes the first only */
    for (int i = 0; owned_keys[i]; i++)
        while (cJSON_GetObjectItemCaseSensitive(copy, owned_keys[i]))
            cJSON_DeleteItemFromObjectCaseSensitive(copy, owned_keys[i]);
    return copy;
}

cJSON *hk_store_doc_stamp(const char *id, const char *org, const char *created_iso,
                          const char *updated_iso, const cJSON *body) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "orgId", org);
    cJSON_AddStringToObject(o, "createdAt", created_iso);
    cJSON_AddStringToObject(o, "updatedAt", updated_iso);
    const cJSON *it;
    cJSON_ArrayForEach(it, body) {
        int owned = 0;
        for (int i = 0; owned_keys[i]; i++) owned |= it->string && !strcmp(it->string, owned_keys[i]);
        if (!owned && it->string) cJSON_AddItemToObject(o, it->string, cJSON_Duplicate(it, 1));
    }
    return o;
}
