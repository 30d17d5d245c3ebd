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

/* A tenant's org server (key: the tenant id) or a phone number's (key: the
 * E.164 number; org: the tenant owning it, "" when no API number has it). */
typedef struct entry {
    char key[48];
    char org[37];
    hk_org_server *srv;  /* NULL: none */
    double fetched;      /* monotonic seconds; 0: not known */
    unsigned gen;        /* bumped by forget: an older read is not kept */
    int loading;
    waiter *waiters;
    struct entry *next;
} entry;

#define MAX_ENTRIES 4096 /* tenants and numbers asked about; beyond, idle ones go */

static entry *entries;
static int n_entries;
static int clearing;
static int answering; /* inside an answer: no entry may go (its server is being handed out) */ /* hk_org_server_clear runs: every get answers NULL */

typedef struct fetch {
    char key[48];
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

static entry *find(const char *key) {
    for (entry *e = entries; e; e = e->next)
        if (!strcasecmp(e->key, key)) return e;
    return NULL;
}

static void answer(waiter *w, const hk_org_server *srv) {
    answering++;
    while (w) {
        waiter *next = w->next;
        w->cb(w->ud, srv);
        free(w);
        w = next;
    }
    answering--;
}

/* A phone-number document's server: server{url,...}, or the legacy
 * serverUrl/serverUrlSecret (as the number's assistant-request reads it). */
static hk_org_server *number_server(const cJSON *doc) {
    const cJSON *server = cJSON_GetObjectItemCaseSensitive(doc, "server");
    if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(server, "url"))) return hk_org_server_parse(server);
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(doc, "serverUrl");
    const cJSON *secret = cJSON_GetObjectItemCaseSensitive(doc, "serverUrlSecret");
    if (!cJSON_IsString(url)) return NULL;
    cJSON *legacy = cJSON_CreateObject();
    cJSON_AddStringToObject(legacy, "url", url->valuestring);
    if (cJSON_IsString(secret)) cJSON_AddStringToObject(legacy, "secret", secret->valuestring);
    hk_org_server *srv = hk_org_server_parse(legacy);
    cJSON_Delete(legacy);
    return srv;
}

static void fetched(void *ud, cJSON *doc, const char *err) {
    fetch *f = ud;
    entry *e = find(f->key);
    int number = f->key[0] == '+';
    hk_org_server *srv = NULL;
    const cJSON *org = cJSON_GetObjectItemCaseSensitive(doc, number ? "orgId" : "id");
    if (!err) srv = number ? number_server(doc) : hk_org_server_parse(cJSON_GetObjectItemCaseSensitive(doc, "server"));
    if (!e) { /* cleared meanwhile: its waiters were answered then */
        hk_org_server_free(srv);
        cJSON_Delete(doc);
        free(f);
        return;
    }
    snprintf(e->org, sizeof e->org, "%s", cJSON_IsString(org) ? org->valuestring : "");
    cJSON_Delete(doc);
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

/* Entries nobody waits on go (a read in flight finds its entry gone and
 * drops its answer): the cache stays bounded whatever numbers come. */
static void prune(void) {
    for (entry **pp = &entries; *pp;) {
        entry *e = *pp;
        if (e->waiters || e->loading) {
            pp = &e->next;
            continue;
        }
        *pp = e->next;
        hk_org_server_free(e->srv);
        free(e);
        n_entries--;
    }
}

/* cb with key's entry's server once known (cached and fresh: now) */
static void lookup(hk_store *s, const char *key, hk_org_server_cb cb, void *ud) {
    entry *e = find(key);
    if (e && e->fetched > 0 && mono() - e->fetched < HK_ORG_SERVER_TTL_S) {
        answering++;
        cb(ud, e->srv);
        answering--;
        return;
    }
    if (!e) {
        if (n_entries >= MAX_ENTRIES && !answering) prune();
        e = calloc(1, sizeof *e);
        if (!e) abort();
        n_entries++;
        snprintf(e->key, sizeof e->key, "%s", key);
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
    memcpy(f->key, e->key, sizeof f->key);
    f->gen = e->gen;
    /* the memory store answers in here */
    if (key[0] == '+') s->v->number_find(s, key, fetched, f);
    else s->v->org_get(s, key, fetched, f);
}

void hk_org_server_get(hk_store *s, const char *tenant, hk_org_server_cb cb, void *ud) {
    if (clearing || !s || !s->v->org_get || !hk_store_is_uuid(tenant)) {
        cb(ud, NULL);
        return;
    }
    lookup(s, tenant, cb, ud);
}

/* the number's server, then (none, or another tenant's number) the org's */
typedef struct chain {
    hk_store *s;
    char tenant[37], number[40];
    hk_org_server_cb cb;
    void *ud;
} chain;

static void number_known(void *ud, const hk_org_server *srv) {
    chain *k = ud;
    entry *e = find(k->number);
    if (srv && e && !strcasecmp(e->org, k->tenant)) k->cb(k->ud, srv);
    else hk_org_server_get(k->s, k->tenant, k->cb, k->ud);
    free(k);
}

void hk_call_server_get(hk_store *s, const char *tenant, const char *number, hk_org_server_cb cb,
                        void *ud) {
    if (clearing || !s || !hk_store_is_uuid(tenant)) {
        cb(ud, NULL);
        return;
    }
    if (!number || number[0] != '+' || strlen(number) >= 40 || !s->v->number_find) {
        hk_org_server_get(s, tenant, cb, ud);
        return;
    }
    chain *k = malloc(sizeof *k);
    if (!k) abort();
    k->s = s;
    memcpy(k->tenant, tenant, 37);
    snprintf(k->number, sizeof k->number, "%s", number);
    k->cb = cb;
    k->ud = ud;
    lookup(s, number, number_known, k);
}

/* key's server when this worker knows it now: 1 (*srv NULL: none), else 0 */
static int fresh(const char *key, const hk_org_server **srv, const char **org) {
    entry *e = find(key);
    if (!e || e->fetched <= 0 || mono() - e->fetched >= HK_ORG_SERVER_TTL_S) return 0;
    *srv = e->srv;
    if (org) *org = e->org;
    return 1;
}

int hk_call_server_peek(const char *tenant, const char *number, const hk_org_server **srv) {
    const char *org = NULL;
    *srv = NULL;
    if (!tenant) return 0;
    if (number && number[0] == '+') {
        if (!fresh(number, srv, &org)) return 0;
        if (*srv && !strcasecmp(org, tenant)) return 1;
    }
    return fresh(tenant, srv, NULL);
}

void hk_org_server_forget(const char *key) {
    entry *e = key ? find(key) : NULL;
    if (!e) return;
    e->gen++;
    e->fetched = 0; /* a read in flight still answers its waiters, and is not kept */
}

void hk_org_server_clear(void) {
    clearing = 1;
    while (entries) {
        entry *e = entries;
        entries = e->next;
        answer(e->waiters, NULL);
        hk_org_server_free(e->srv);
        free(e);
    }
    n_entries = 0;
    clearing = 0;
}
