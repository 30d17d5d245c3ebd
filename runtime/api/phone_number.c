/* api/phone_number: Vapi's /phone-number resource (and the paged
 * /v2/phone-number) for provider "twilio". Numbers are documents in the
 * store (hk_store_doc_*, kind HK_DOC_PHONE_NUMBER), tenant-scoped like every
 * resource (another tenant's id is a 404). Every write is checked first:
 * number in E.164, twilioAccountSid present, provider "twilio" (a PATCH may
 * repeat it), assistantId (null to detach) naming an assistant of the same
 * tenant, and the number not registered already by anyone, since an
 * incoming call to it must find one tenant (the webhook's
 * hk_store_number_find). Credentials are not stored: twilioAuthToken,
 * twilioApiKey and twilioApiSecret are dropped from every write (hark talks
 * to Twilio with its own TWILIO_AUTH_TOKEN), so no response can carry them.
 * The request flow (store, 404/503, PATCH's merge) is api/doc_resource's. */
#include "api/phone_number.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/agent_dir.h"
#include "agent/call.h"
#include "api/app.h"
#include "api/doc_resource.h"
#include "store/store.h"

static const char *secrets[] = {"twilioAuthToken", "twilioApiKey", "twilioApiSecret"};

int hk_phone_number_e164(const char *n) {
    if (!n || n[0] != '+' || n[1] < '1' || n[1] > '9') return 0;
    size_t len = strlen(n + 1);
    if (len < 2 || len > 15) return 0;
    for (size_t i = 1; i <= len; i++)
        if (!isdigit((unsigned char)n[i])) return 0;
    return 1;
}

static const cJSON *field(const cJSON *o, const char *k) {
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

int hk_phone_number_check(const cJSON *doc, char *why, size_t whylen) {
    if (!cJSON_IsObject(doc)) return snprintf(why, whylen, "a phone number is a JSON object"), -1;
    const cJSON *p = field(doc, "provider");
    if (p && (!cJSON_IsString(p) || strcmp(p->valuestring, "twilio") != 0))
        return snprintf(why, whylen, "provider must be one of the following values: twilio"), -1;
    const cJSON *n = field(doc, "number");
    if (!cJSON_IsString(n) || !hk_phone_number_e164(n->valuestring))
        return snprintf(why, whylen, "number must be a phone number in E.164 format (+14155550123)"),
               -1;
    const cJSON *sid = field(doc, "twilioAccountSid");
    if (!cJSON_IsString(sid) || !sid->valuestring[0] || strlen(sid->valuestring) > 64)
        return snprintf(why, whylen, "twilioAccountSid must be a string"), -1;
    const cJSON *a = field(doc, "assistantId");
    if (a && !cJSON_IsNull(a) && (!cJSON_IsString(a) || !a->valuestring[0] || strlen(a->valuestring) > 96))
        return snprintf(why, whylen, "assistantId must be an assistant's id (or null)"), -1;
    const cJSON *nm = field(doc, "name");
    if (nm && !cJSON_IsNull(nm) && (!cJSON_IsString(nm) || strlen(nm->valuestring) > 40))
        return snprintf(why, whylen, "name must be a string of at most 40 characters"), -1;
    const cJSON *sv = field(doc, "server");
    if (sv && !cJSON_IsNull(sv) && !cJSON_IsObject(sv))
        return snprintf(why, whylen, "server must be an object"), -1;
    return 0;
}

cJSON *hk_phone_number_strip(const cJSON *body) {
    cJSON *c = cJSON_Duplicate(body, 1);
    /* every copy: JSON may repeat a key, and cJSON deletes only the first */
    for (size_t i = 0; c && i < sizeof secrets / sizeof secrets[0]; i++)
        while (cJSON_GetObjectItemCaseSensitive(c, secrets[i]))
            cJSON_DeleteItemFromObjectCaseSensitive(c, secrets[i]);
    return c;
}

/* ---- paging (GET /v2/phone-number) ---- */

static const char *g_sort_by;
static int g_asc;

static const char *sort_key(const cJSON *o) {
    const cJSON *v = field(o, g_sort_by);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static int cmp_docs(const void *x, const void *y) {
    const cJSON *a = *(const cJSON *const *)x, *b = *(const cJSON *const *)y;
    int c = strcmp(sort_key(a), sort_key(b));
    if (c == 0) c = strcmp(field(a, "id")->valuestring, field(b, "id")->valuestring);
    return g_asc ? c : -c;
}

static int contains_ci(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, n)) return 1;
    return n == 0;
}

static int matches(const cJSON *o, const char *search) {
    if (!search || !*search) return 1;
    const cJSON *n = field(o, "number"), *nm = field(o, "name");
    return (cJSON_IsString(n) && contains_ci(n->valuestring, search)) ||
           (cJSON_IsString(nm) && contains_ci(nm->valuestring, search));
}

cJSON *hk_phone_number_paged(const cJSON *all, const char *search, const char *sort_by, int asc,
                             int page, int per_page) {
    int total = cJSON_GetArraySize(all), n = 0;
    const cJSON **v = calloc((size_t)total + 1, sizeof *v);
    if (!v) abort();
    const cJSON *it;
    cJSON_ArrayForEach(it, all) {
        if (cJSON_IsString(field(it, "id")) && matches(it, search)) v[n++] = it;
    }
    g_sort_by = sort_by && *sort_by ? sort_by : "createdAt";
    g_asc = asc;
    qsort(v, (size_t)n, sizeof *v, cmp_docs);
    if (per_page <= 0) per_page = 100;
    if (page <= 0) page = 1;
    cJSON *out = cJSON_CreateObject();
    cJSON *res = cJSON_AddArrayToObject(out, "results");
    long first = (long)(page - 1) * per_page;
    for (long i = first; i < n && i < first + per_page; i++)
        cJSON_AddItemToArray(res, cJSON_Duplicate(v[i], 1));
    cJSON *m = cJSON_AddObjectToObject(out, "metadata");
    cJSON_AddNumberToObject(m, "itemsPerPage", per_page);
    cJSON_AddNumberToObject(m, "totalItems", n);
    cJSON_AddNumberToObject(m, "currentPage", page);
    cJSON_AddNumberToObject(m, "totalPages", (n + per_page - 1) / per_page);
    free(v);
    return out;
}

/* ---- handlers ---- */

static void fill_defaults(cJSON *doc) {
    if (!field(doc, "provider")) cJSON_AddStringToObject(doc, "provider", "twilio");
    if (!field(doc, "status")) cJSON_AddStringToObject(doc, "status", "active");
}

static void start_write(hk_api_req *r, const hk_doc_resource *res, cJSON *doc, cJSON *write,
                        int create);

static const hk_doc_resource numbers = {
    .kind = HK_DOC_PHONE_NUMBER,
    .no_store = "no store: phone numbers need the database (HARK_STORE)",
    .not_found = "Couldn't find the phone number (no phone number with this id)",
    .duplicate = "number is already registered",
    .prepare = hk_phone_number_strip,
    .defaults = fill_defaults,
    .check = start_write,
};

/* A write on its way to the store: checked, then the number's owner, then
 * the assistant, then written. */
typedef struct write_ctx {
    hk_api_req *r;
    cJSON *write;   /* what goes to the store: the body (create) or the patch */
    char number[24];    /* checked for clashes; "" when the write keeps it */
    char assistant[100]; /* checked to exist; "" when the write keeps it */
    int create;
} write_ctx;

static void finish(write_ctx *w, const char *invalid) {
    if (invalid) {
        hk_api_reply_invalid(w->r, invalid);
        cJSON_Delete(w->write);
    } else {
        hk_doc_resource_write(w->r, &numbers, w->write, w->create);
    }
    free(w);
}

/* a store error on the way: 503 */
static void failed(write_ctx *w, cJSON *result) {
    cJSON_Delete(result);
    hk_doc_resource_unavailable(w->r);
    cJSON_Delete(w->write);
    free(w);
}

static void assistant_read(void *ud, cJSON *a, const char *err) {
    write_ctx *w = ud;
    if (err) {
        failed(w, a);
        return;
    }
    finish(w, a ? NULL : "assistantId: no assistant with this id");
    cJSON_Delete(a);
}

static void check_assistant(write_ctx *w) {
    hk_api_req *r = w->r;
    if (!w->assistant[0]) return finish(w, NULL);
    /* a file agent serves the tenant that owns files */
    if (!strcmp(r->tenant_id, HK_DEFAULT_TENANT)) {
        hk_agent *a = r->app->agents ? hk_agent_dir_get(r->app->agents, w->assistant) : NULL;
        if (a) {
            hk_agent_unref(a);
            return finish(w, NULL);
        }
    }
    hk_store_doc_get(r->app->store, HK_DOC_ASSISTANT, r->tenant_id, w->assistant, assistant_read, w);
}

static void owner_read(void *ud, cJSON *found, const char *err) {
    write_ctx *w = ud;
    if (err) {
        failed(w, found);
        return;
    }
    const cJSON *id = found ? field(found, "id") : NULL;
    int clash = found && (w->create || !cJSON_IsString(id) ||
                          strcasecmp(id->valuestring, w->r->params[0]) != 0);
    cJSON_Delete(found);
    if (clash) return finish(w, "number is already registered");
    check_assistant(w);
}

/* the check of every write (hk_doc_resource.check) */
static void start_write(hk_api_req *r, const hk_doc_resource *res, cJSON *doc, cJSON *write,
                        int create) {
    (void)res;
    char why[256];
    int bad = hk_phone_number_check(doc, why, sizeof why);
    cJSON_Delete(doc);
    if (bad != 0) {
        cJSON_Delete(write);
        hk_api_reply_invalid(r, why);
        return;
    }
    write_ctx *w = calloc(1, sizeof *w);
    if (!w) abort();
    w->r = r;
    w->write = write;
    w->create = create;
    const cJSON *n = field(write, "number"), *a = field(write, "assistantId");
    if (cJSON_IsString(n)) snprintf(w->number, sizeof w->number, "%s", n->valuestring);
    if (cJSON_IsString(a)) snprintf(w->assistant, sizeof w->assistant, "%s", a->valuestring);
    if (w->number[0]) hk_store_number_find(r->app->store, w->number, owner_read, w);
    else check_assistant(w);
}

void hk_api_phone_number_create(hk_api_req *r) { hk_doc_resource_create(r, &numbers); }
void hk_api_phone_number_register(hk_api_req *r, cJSON *doc) {
    hk_doc_resource_create_doc(r, &numbers, doc);
}
void hk_api_phone_number_patch(hk_api_req *r) { hk_doc_resource_patch(r, &numbers); }
void hk_api_phone_number_get(hk_api_req *r) { hk_doc_resource_get(r, &numbers); }
void hk_api_phone_number_delete(hk_api_req *r) { hk_doc_resource_delete(r, &numbers); }
void hk_api_phone_number_list(hk_api_req *r) { hk_doc_resource_list(r, &numbers); }

/* /v2: the page is cut from at most 1000 numbers (the store's list bound) */
typedef struct page_ctx {
    hk_api_req *r;
    char search[64], sort_by[16];
    int asc, page, per_page;
} page_ctx;

static void page_read(void *ud, cJSON *all, const char *err) {
    page_ctx *p = ud;
    if (err || !all) {
        cJSON_Delete(all);
        hk_doc_resource_unavailable(p->r);
    } else {
        hk_api_reply_json(p->r, 200, hk_phone_number_paged(all, p->search, p->sort_by, p->asc,
                                                           p->page, p->per_page));
        cJSON_Delete(all);
    }
    free(p);
}

static int query_int(hk_api_req *r, const char *name, int def, int lo, int hi, int *out) {
    char v[32], *end;
    int q = hk_api_query(r, name, v, sizeof v);
    if (q == 0) return *out = def, 0;
    long n = q == 1 ? strtol(v, &end, 10) : 0;
    if (q < 0 || *end || end == v || n < lo || n > hi) return -1;
    *out = (int)n;
    return 0;
}

void hk_api_phone_number_page(hk_api_req *r) {
    if (!hk_doc_resource_have_store(r, &numbers)) return;
    page_ctx *p = calloc(1, sizeof *p);
    if (!p) abort();
    p->r = r;
    char order[16] = "DESC";
    const char *bad = NULL;
    if (query_int(r, "page", 1, 1, 1000000, &p->page) != 0) bad = "page must be a number >= 1";
    else if (query_int(r, "limit", 100, 1, 1000, &p->per_page) != 0)
        bad = "limit must be a number from 1 to 1000";
    else if (hk_api_query(r, "search", p->search, sizeof p->search) < 0) bad = "search is too long";
    else if (hk_api_query(r, "sortOrder", order, sizeof order) < 0 ||
             (strcasecmp(order, "ASC") && strcasecmp(order, "DESC")))
        bad = "sortOrder must be one of the following values: ASC, DESC";
    else if (hk_api_query(r, "sortBy", p->sort_by, sizeof p->sort_by) < 0 ||
             (p->sort_by[0] && strcmp(p->sort_by, "createdAt") && strcmp(p->sort_by, "updatedAt") &&
              strcmp(p->sort_by, "number") && strcmp(p->sort_by, "name")))
        bad = "sortBy must be one of the following values: createdAt, updatedAt, number, name";
    if (bad) {
        free(p);
        hk_api_reply_invalid(r, bad);
        return;
    }
    p->asc = !strcasecmp(order, "ASC");
    hk_store_doc_filter f = {.limit = 1000};
    hk_store_doc_list(r->app->store, HK_DOC_PHONE_NUMBER, r->tenant_id, &f, page_read, p);
}
