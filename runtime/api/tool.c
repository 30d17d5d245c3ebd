/* api/tool: Vapi's /tool resource. Tools are documents in the store
 * (hk_store_doc_*, kind HK_DOC_TOOL), kept as given, unknown fields
 * included; every store read carries the request's tenant, so another
 * tenant's id is a 404. Every write is checked: "type" is a string; a
 * "function" tool has function{name (^[a-zA-Z0-9_-]{1,64}$, what the LLM
 * APIs accept), description (string), parameters (a JSON-schema object)}
 * and, when given, server{url (http or https)}; endCall and transferCall
 * (destinations a list) are checked for their shape; any other Vapi type
 * (apiRequest, dtmf, query, mcp, ...) is stored as given. Assistants name
 * stored tools in model.toolIds (agent/tool_ids.c reads them; function tools
 * run on their server through lua/hark/tool_server.lua). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/tool.h"

#include "api/app.h"
#include "store/store.h"

#define NOT_FOUND "Couldn't find the tool (no tool with this id)"


static int name_ok(const char *s) {
    size_t n = strlen(s);
    if (n < 1 || n > 64) return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-'))
            return 0;
    }
    return 1;
}

const char *hk_tool_check(const cJSON *doc, char *why, size_t whylen) {
    if (!cJSON_IsObject(doc)) return "a tool is a JSON object";
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(doc, "type");
    if (!cJSON_IsString(type) || !type->valuestring[0]) return "type must be a string (e.g. \"function\")";
    const cJSON *server = cJSON_GetObjectItemCaseSensitive(doc, "server");
    if (server) {
        const cJSON *url = cJSON_GetObjectItemCaseSensitive(server, "url");
        if (!cJSON_IsObject(server) || !cJSON_IsString(url) ||
            (strncmp(url->valuestring, "http://", 7) != 0 && strncmp(url->valuestring, "https://", 8) != 0))
            return "server.url must be an http or https URL";
    }
    if (strcmp(type->valuestring, "function") == 0) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(doc, "function");
        if (!cJSON_IsObject(fn)) return "function must be an object with a name";
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(fn, "name");
        if (!cJSON_IsString(name) || !name_ok(name->valuestring))
            return "function.name must match /^[a-zA-Z0-9_-]{1,64}$/";
        const cJSON *desc = cJSON_GetObjectItemCaseSensitive(fn, "description");
        if (desc && !cJSON_IsString(desc)) return "function.description must be a string";
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(fn, "parameters");
        if (params) {
            const cJSON *pt = cJSON_GetObjectItemCaseSensitive(params, "type");
            if (!cJSON_IsObject(params) || !cJSON_IsString(pt) || strcmp(pt->valuestring, "object") != 0)
                return "function.parameters must be a JSON schema of type \"object\"";
        }
    } else if (strcmp(type->valuestring, "transferCall") == 0) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(doc, "destinations");
        if (d && !cJSON_IsArray(d)) return "destinations must be an array";
        const cJSON *it;
        int i = 0;
        cJSON_ArrayForEach(it, d) {
            if (!cJSON_IsObject(it)) {
                snprintf(why, whylen, "destinations[%d] must be an object", i);
                return why;
            }
            i++;
        }
    }
    return NULL;
}

/* 0, or -1 after answering 400 */
static int checked(hk_api_req *r, const cJSON *doc) {
    char why[96];
    const char *bad = hk_tool_check(doc, why, sizeof why);
    if (!bad) return 0;
    hk_api_reply_invalid(r, bad);
    return -1;
}

static int have_store(hk_api_req *r) {
    if (r->app->store) return 1;
    hk_api_reply_error(r, 503, "no store: tools need the database (HARK_STORE)");
    return 0;
}

/* store answers: the object (status), 404 when none, 503 on a store error */
static void answer(hk_api_req *r, int status, cJSON *result, const char *err) {
    if (err) {
        cJSON_Delete(result);
        hk_api_reply_error(r, 503, "the store is unavailable; try again");
    } else if (!result) {
        hk_api_reply_error(r, 404, NOT_FOUND);
    } else {
        hk_api_reply_json(r, status, result);
    }
}

static void created(void *ud, cJSON *result, const char *err) { answer(ud, 201, result, err); }
static void done(void *ud, cJSON *result, const char *err) { answer(ud, 200, result, err); }

static void listed(void *ud, cJSON *result, const char *err) {
    hk_api_req *r = ud;
    if (err || !result) {
        cJSON_Delete(result);
        hk_api_reply_error(r, 503, "the store is unavailable; try again");
        return;
    }
    hk_api_reply_json(r, 200, result);
}

void hk_api_tool_create(hk_api_req *r) {
    cJSON *body = hk_api_body_object(r);
    if (!body) return;
    if (have_store(r) && checked(r, body) == 0)
        hk_store_doc_create(r->app->store, HK_DOC_TOOL, r->tenant_id, body, created, r);
    cJSON_Delete(body);
}

void hk_api_tool_list(hk_api_req *r) {
    if (!have_store(r)) return;
    hk_store_doc_filter f = {0};
    if (hk_api_list_filter(r, &f) != 0) return;
    hk_store_doc_list(r->app->store, HK_DOC_TOOL, r->tenant_id, &f, listed, r);
}

void hk_api_tool_get(hk_api_req *r) {
    if (!have_store(r)) return;
    hk_store_doc_get(r->app->store, HK_DOC_TOOL, r->tenant_id, r->params[0], done, r);
}

void hk_api_tool_delete(hk_api_req *r) {
    if (!have_store(r)) return;
    hk_store_doc_delete(r->app->store, HK_DOC_TOOL, r->tenant_id, r->params[0], done, r);
}

/* PATCH: read the stored tool, check the merged result, then write the patch
 * (the store merges it again, atomically). */
typedef struct patch_ctx {
    hk_api_req *r;
    cJSON *patch;
} patch_ctx;

static void patch_read(void *ud, cJSON *cur, const char *err) {
    patch_ctx *p = ud;
    hk_api_req *r = p->r;
    if (err || !cur) {
        cJSON_Delete(p->patch);
        free(p);
        answer(r, 200, cur, err);
        return;
    }
    hk_store_doc_merge(cur, p->patch);
    if (checked(r, cur) == 0)
        hk_store_doc_patch(r->app->store, HK_DOC_TOOL, r->tenant_id, r->params[0], p->patch, done, r);
    cJSON_Delete(cur);
    cJSON_Delete(p->patch);
    free(p);
}

void hk_api_tool_patch(hk_api_req *r) {
    cJSON *patch = hk_api_body_object(r);
    if (!patch) return;
    if (!have_store(r)) {
        cJSON_Delete(patch);
        return;
    }
    patch_ctx *p = malloc(sizeof *p);
    if (!p) abort();
    p->r = r;
    p->patch = patch;
    hk_store_doc_get(r->app->store, HK_DOC_TOOL, r->tenant_id, r->params[0], patch_read, p);
}
