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
 * run on their server through lua/hark/tool_server.lua). The request flow
 * (store, 404/503, PATCH's merge) is api/doc_resource's. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/tool.h"

#include "api/doc_resource.h"
#include "store/store.h"

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

/* the check of every write (hk_doc_resource.check) */
static void check_write(hk_api_req *r, const hk_doc_resource *res, cJSON *doc, cJSON *write,
                        int create) {
    char why[96];
    const char *bad = hk_tool_check(doc, why, sizeof why);
    cJSON_Delete(doc);
    if (bad) {
        cJSON_Delete(write);
        hk_api_reply_invalid(r, bad);
    } else {
        hk_doc_resource_write(r, res, write, create);
    }
}

static const hk_doc_resource tools = {
    .kind = HK_DOC_TOOL,
    .no_store = "no store: tools need the database (HARK_STORE)",
    .not_found = "Couldn't find the tool (no tool with this id)",
    .check = check_write,
};

void hk_api_tool_create(hk_api_req *r) { hk_doc_resource_create(r, &tools); }
void hk_api_tool_list(hk_api_req *r) { hk_doc_resource_list(r, &tools); }
void hk_api_tool_get(hk_api_req *r) { hk_doc_resource_get(r, &tools); }
void hk_api_tool_patch(hk_api_req *r) { hk_doc_resource_patch(r, &tools); }
void hk_api_tool_delete(hk_api_req *r) { hk_doc_resource_delete(r, &tools); }
