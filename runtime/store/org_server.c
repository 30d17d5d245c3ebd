/* store/org_server: see org_server.h. One entry per tenant asked about, with
 * the requests waiting for its store read; a store answer finds its entry by
 * tenant again (it may have been forgotten or cleared meanwhile), and an
 * answer read before a PATCH forgot the entry answers its waiters but is not
 * kept. Runs on the loop; never waits. */
#include "store/org_server.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>


typedef struct waiter {
    hk_org_server_cb cb;
    void *ud;
    struct waiter *next;
} waiter;

typedef struct entry {
    char tenant[37];
    hk_org_server *srv;  /* NULL: none */
    double fetched;      /* monotonic seconds; 0: not known */
    unsigned gen;        /* bumped by forget: an older read is not kept */
    int loading;
    waiter *waiters;
    struct entry *next;
} entry;

static entry *entries;

typedef struct fetch {
    char tenant[37];
    unsigned gen;
} fetch;

static double mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void hk_org_server_free(hk_org_server *s) {
    if (!s) return;
    free(s->url);
    free(s->secret);
    for (size_t i = 0; i < s->n_headers; i++) free(s->headers[i]);
    cJSON_Delete(s->json);
    free(s);
}

static char *dup_or_die(const char *s) {
    char *d = strdup(s);
    if (!d) abort();
    return d;
}

hk_org_server *hk_org_server_parse(const cJSON *server) {
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(server, "url");
    if (!cJSON_IsObject(server) || !cJSON_IsString(url) || !url->valuestring[0]) return NULL;
    hk_org_server *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->url = dup_or_die(url->valuestring);
    const cJSON *secret = cJSON_GetObjectItemCaseSensitive(server, "secret");
    if (cJSON_IsString(secret) && secret->valuestring[0]) s->secret = dup_or_die(secret->valuestring);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(server, "timeoutSeconds");
    s->timeout_s = cJSON_IsNumber(t) && t->valuedouble >= 1 && t->valuedouble <= 300 ? t->valuedouble : 20;
    const cJSON *h;
    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(server, "headers")) {
        if (s->n_headers >= sizeof s->headers / sizeof s->headers[0]) break;
        if (!cJSON_IsString(h) || !h->string || strpbrk(h->string, "\r\n:") ||
            strpbrk(h->valuestring, "\r\n"))
            continue; /* PATCH /org refused these; a hand-edited row gets no header injection */
        size_t n = strlen(h->string) + strlen(h->valuestring) + 3;
        char *line = malloc(n);
        if (!line) abort();
        snprintf(line, n, "%s: %s", h->string, h->valuestring);
        s->headers[s->n_headers++] = line;
    }
    s->json = cJSON_Duplicate(server, 1);
    if (!s->json) abort();
    return s;
}

static entry *find(const char *tenant) {
    for (entry *e = entries; e; e = e->next)
        if (!strcasecmp(e->tenant, tenant)) return e;
    return NULL;
}

static void answer(waiter *w, const hk_org_server *srv) {
    while (w) {
        waiter *next = w->next;
        w->cb(w->ud, srv);
        free(w);
        w = next;
    }
}

static void fetched(void *ud, cJSON *org, const char *err) {
    fetch *f = ud;
    entry *e = find(f->tenant);
    hk_org_server *srv = err ? NULL : hk_org_server_parse(cJSON_GetObjectItemCaseSensitive(org, "server"));
    cJSON_Delete(org);
    if (!e) { /* cleared meanwhile: its waiters were answered then */
        hk_org_server_free(srv);
        free(f);
        return;
    }
    waiter *w = e->waiters;
    e->waiters = NULL;
    e->loading = 0;
    if (!err && f->gen == e->gen) {
        hk_org_server_free(e->srv);
        e->srv = srv;
        e->fetched = mono();
        answer(w, e->srv);
    } else { /* a store error, or a PATCH came first: answered, not kept */
        answer(w, srv);
        hk_org_server_free(srv);
    }
    free(f);
}

void hk_org_server_get(hk_store *s, const char *tenant, hk_org_server_cb cb, void *ud) {
    if (!s || !s->v->org_get || !hk_store_is_uuid(tenant)) {
        cb(ud, NULL);
        return;
    }
    entry *e = find(tenant);
    if (e && e->fetched > 0 && mono() - e->fetched < HK_ORG_SERVER_TTL_S) {
        cb(ud, e->srv);
        return;
    }
    if (!e) {
        e = calloc(1, sizeof *e);
        if (!e) abort();
        memcpy(e->tenant, tenant, 36);
        e->next = entries;
        entries = e;
    }
    waiter *w = malloc(sizeof *w);
    if (!w) abort();
    *w = (waiter){cb, ud, NULL};
    waiter **tail = &e->waiters; /* answered in the order asked: a call's messages keep theirs */
    while (*tail) tail = &(*tail)->next;
    *tail = w;
    if (e->loading) return;
    e->loading = 1;
    fetch *f = malloc(sizeof *f);
    if (!f) abort();
    memcpy(f->tenant, e->tenant, sizeof f->tenant);
    f->gen = e->gen;
    s->v->org_get(s, tenant, fetched, f); /* the memory store answers in here */
}

void hk_org_server_forget(const char *tenant) {
    entry *e = tenant ? find(tenant) : NULL;
    if (!e) return;
    e->gen++;
    e->fetched = 0; /* a read in flight still answers its waiters, and is not kept */
}

void hk_org_server_clear(void) {
    while (entries) {
        entry *e = entries;
        entries = e->next;
        answer(e->waiters, NULL);
        hk_org_server_free(e->srv);
        free(e);
    }
}
