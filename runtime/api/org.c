/* api/org: Vapi's /org, one org per tenant: the caller's own (GET /org;
 * PATCH /org or /org/{its id}; another id is a 404, as every foreign id).
 * The server is checked by the very code that checks an assistant's
 * (lua/hark/assistant.lua through hk_agent_load_json, then agent.c's
 * read_server), by loading a minimal assistant that carries it; answers
 * never carry its secret. A PATCH forgets this worker's cached copy
 * (store/org_server.c). */
#include "api/org.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/agent.h"
#include "api/app.h"
#include "store/org_server.h"
#include "store/store.h"

#define ORG_NAME_MAX 80

cJSON *hk_org_public(const cJSON *org) {
    cJSON *o = cJSON_Duplicate(org, 1);
    if (!o) abort();
    cJSON *server = cJSON_GetObjectItemCaseSensitive(o, "server");
    while (cJSON_GetObjectItemCaseSensitive(server, "secret"))
        cJSON_DeleteItemFromObjectCaseSensitive(server, "secret");
    return o;
}

/* Checked as an assistant's server: a minimal assistant carrying it must
 * load. legacy: it came as serverUrl/serverUrlSecret, and goes in so (the
 * refusal names those fields). */
static int check_server(hk_vm *vm, const cJSON *server, int legacy, char *why, size_t whylen) {
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(server, "url");
    if (!cJSON_IsString(url) || !url->valuestring[0])
        return snprintf(why, whylen, "server.url is required (or server: null to clear it)"), -1;
    cJSON *as = cJSON_CreateObject();
    cJSON *model = cJSON_AddObjectToObject(as, "model");
    cJSON_AddStringToObject(model, "provider", "openai");
    cJSON_AddStringToObject(model, "model", "org-server-check");
    if (legacy) {
        const cJSON *secret = cJSON_GetObjectItemCaseSensitive(server, "secret");
        cJSON_AddStringToObject(as, "serverUrl", url->valuestring);
        if (secret) cJSON_AddItemToObject(as, "serverUrlSecret", cJSON_Duplicate(secret, 1));
    } else {
        cJSON_AddItemToObject(as, "server", cJSON_Duplicate(server, 1));
    }
    char *text = cJSON_PrintUnformatted(as);
    cJSON_Delete(as);
    if (!text) abort();
    char err[512];
    hk_agent *a = hk_agent_load_json(vm, "org", text, 1, err, sizeof err);
    free(text);
    if (!a) return snprintf(why, whylen, "%s", err), -1;
    hk_agent_unref(a);
    return 0;
}

cJSON *hk_org_patch_of(hk_vm *vm, const cJSON *body, char *why, size_t whylen) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "name");
    const cJSON *server = cJSON_GetObjectItemCaseSensitive(body, "server");
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(body, "serverUrl");
    const cJSON *secret = cJSON_GetObjectItemCaseSensitive(body, "serverUrlSecret");
    if (name && !cJSON_IsString(name) && !cJSON_IsNull(name))
        return snprintf(why, whylen, "name must be a string"), NULL;
    if (cJSON_IsString(name) && strlen(name->valuestring) > ORG_NAME_MAX)
        return snprintf(why, whylen, "name must be at most %d characters", ORG_NAME_MAX), NULL;
    if (server && !cJSON_IsObject(server) && !cJSON_IsNull(server))
        return snprintf(why, whylen, "server must be an object (or null to clear it)"), NULL;
    if (url && !cJSON_IsString(url) && !cJSON_IsNull(url))
        return snprintf(why, whylen, "serverUrl must be a string (or null to clear it)"), NULL;
    if (secret && !cJSON_IsString(secret) && !cJSON_IsNull(secret))
        return snprintf(why, whylen, "serverUrlSecret must be a string"), NULL;
    if (server && url)
        return snprintf(why, whylen, "give server or the legacy serverUrl, not both"), NULL;
    if (secret && !url)
        return snprintf(why, whylen, "serverUrlSecret needs serverUrl (or use server.secret)"), NULL;
    cJSON *patch = cJSON_CreateObject();
    if (!patch) abort();
    if (name) cJSON_AddStringToObject(patch, "name", cJSON_IsString(name) ? name->valuestring : "");
    cJSON *next = NULL; /* the server to store; stays NULL to clear it */
    if (cJSON_IsObject(server)) {
        next = cJSON_Duplicate(server, 1);
    } else if (cJSON_IsString(url) && url->valuestring[0]) {
        next = cJSON_CreateObject();
        cJSON_AddStringToObject(next, "url", url->valuestring);
        if (cJSON_IsString(secret)) cJSON_AddStringToObject(next, "secret", secret->valuestring);
    }
    if (next && check_server(vm, next, !cJSON_IsObject(server), why, whylen) != 0) {
        cJSON_Delete(next);
        cJSON_Delete(patch);
        return NULL;
    }
    if (server || url) cJSON_AddItemToObject(patch, "server", next ? next : cJSON_CreateNull());
    return patch;
}

static int have_store(hk_api_req *r) {
    hk_store *s = r->app->store;
    if (s && s->v->org_get && s->v->org_patch) return 1;
    hk_api_reply_error(r, 503, "no store: the org's settings need the database (HARK_STORE)");
    return 0;
}

static void org_done(void *ud, cJSON *org, const char *err) {
    hk_api_req *r = ud;
    if (err) hk_api_reply_error(r, 503, "the store is unavailable; try again");
    else if (!org) hk_api_reply_error(r, 404, "Couldn't find the org");
    else hk_api_reply_json(r, 200, hk_org_public(org));
    cJSON_Delete(org);
}

void hk_api_org_get(hk_api_req *r) {
    if (!have_store(r)) return;
    r->app->store->v->org_get(r->app->store, r->tenant_id, org_done, r);
}

typedef struct patch_op {
    hk_api_req *r;
    char tenant[37];
} patch_op;

static void patched(void *ud, cJSON *org, const char *err) {
    patch_op *op = ud;
    /* this worker's copy goes whatever the answer: a write that failed
     * late may still have landed */
    hk_org_server_forget(op->tenant);
    org_done(op->r, org, err);
    free(op);
}

void hk_api_org_patch(hk_api_req *r) {
    if (r->params[0] && strcasecmp(r->params[0], r->tenant_id) != 0) {
        hk_api_reply_error(r, 404, "Couldn't find the org");
        return;
    }
    cJSON *body = hk_api_body_object(r);
    if (!body) return;
    char why[600];
    cJSON *patch = hk_org_patch_of(r->app->vm, body, why, sizeof why);
    cJSON_Delete(body);
    if (!patch) {
        hk_api_reply_invalid(r, why);
        return;
    }
    if (have_store(r)) {
        patch_op *op = malloc(sizeof *op);
        if (!op) abort();
        op->r = r;
        snprintf(op->tenant, sizeof op->tenant, "%.36s", r->tenant_id);
        r->app->store->v->org_patch(r->app->store, r->tenant_id, patch, patched, op);
    }
    cJSON_Delete(patch);
}
