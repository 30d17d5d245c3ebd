/* api/assistant: Vapi's /assistant resource. API assistants are documents in
 * the store (hk_store_doc_*, kind HK_DOC_ASSISTANT), checked on every write
 * by mapping them onto an agent (agent_json.c): an assistant hark cannot run
 * is a 400 naming the field, never a stored surprise. File agents (agents/,
 * owned by the default tenant) are listed too, read-only and marked
 * (metadata.hark.source "file"); their id is the file's stem. Every store
 * read carries the request's tenant: another tenant's id is a 404. The
 * request flow (store, 404/503, PATCH's merge) is api/doc_resource's. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/assistant.h"

#include "agent/agent.h"
#include "agent/agent_dir.h"
#include "agent/call.h"
#include "agent/tool_ids.h"
#include "api/api.h"
#include "api/app.h"
#include "api/doc_resource.h"
#include "store/store.h"

/* Can hark run it (with its model.toolIds documents, tools_json)? 0, or -1
 * after answering 400. */
static int check_runs(hk_api_req *r, const cJSON *doc, const char *tools_json) {
    char *text = cJSON_PrintUnformatted(doc);
    char err[1024];
    hk_agent *a = text ? hk_agent_load_json_tools(r->app->vm, "check", text, tools_json, 1, err,
                                                  sizeof err)
                       : NULL;
    free(text);
    if (!a) {
        hk_api_reply_invalid(r, err);
        return -1;
    }
    hk_agent_unref(a);
    return 0;
}

/* the file agent with this id, for the tenant that owns file agents */
static const hk_agent *file_agent(hk_api_req *r, const char *id) {
    if (strcmp(r->tenant_id, HK_DEFAULT_TENANT) != 0) return NULL;
    for (int i = 0;; i++) {
        const hk_agent *a = hk_agent_dir_at(r->app->agents, i);
        if (!a || !strcmp(a->id, id)) return a;
    }
}

static cJSON *file_json(hk_api_req *r, const hk_agent *a) {
    cJSON *o = hk_agent_to_assistant_json(a);
    cJSON_AddStringToObject(o, "orgId", r->tenant_id);
    return o;
}

/* A write checked first: doc is the assistant as it will be (the body, or
 * the stored one with the patch merged), write what goes to the store.
 * With model.toolIds, the tenant's /tool documents are read first: an id
 * that names none is a 400 naming it. Takes both. */
typedef struct checked {
    hk_api_req *r;
    const hk_doc_resource *res;
    cJSON *doc, *write;
    int create;
} checked;

static void write_checked(checked *k, const char *tools_json) {
    hk_api_req *r = k->r;
    if (check_runs(r, k->doc, tools_json) == 0) {
        hk_doc_resource_write(r, k->res, k->write, k->create);
        k->write = NULL;
    }
    cJSON_Delete(k->doc);
    cJSON_Delete(k->write);
    free(k);
}

static void tools_read(void *ud, char *tools_json, const cJSON *missing, const char *err) {
    checked *k = ud;
    if (err) {
        hk_doc_resource_unavailable(k->r);
    } else if (cJSON_GetArraySize(missing) > 0) {
        const char *id = cJSON_GetArrayItem(missing, 0)->valuestring;
        const cJSON *ids =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(k->doc, "model"), "toolIds");
        int at = 0;
        const cJSON *x;
        cJSON_ArrayForEach(x, ids) {
            if (cJSON_IsString(x) && !strcmp(x->valuestring, id)) break;
            at++;
        }
        char why[300];
        snprintf(why, sizeof why, "model.toolIds[%d] names no tool of this organisation (%.64s)", at, id);
        hk_api_reply_invalid(k->r, why);
    } else {
        write_checked(k, tools_json);
        k = NULL;
    }
    free(tools_json);
    if (k) {
        cJSON_Delete(k->doc);
        cJSON_Delete(k->write);
        free(k);
    }
}

/* the check of every write (hk_doc_resource.check) */
static void check_then_write(hk_api_req *r, const hk_doc_resource *res, cJSON *doc, cJSON *write,
                             int create) {
    checked *k = malloc(sizeof *k);
    if (!k) abort();
    *k = (checked){r, res, doc, write, create};
    if (hk_tool_ids_present(doc))
        hk_tool_ids_resolve(r->app->store, r->tenant_id, doc, tools_read, k);
    else
        write_checked(k, NULL);
}

/* file agents after the stored ones, when no time bound asks for dates they
 * do not have; the bound on the count holds for both */
static void listed(hk_api_req *r, cJSON *result) {
    char limit[16];
    int max = hk_api_query(r, "limit", limit, sizeof limit) == 1 ? atoi(limit) : 100;
    if (max <= 0 || max > 1000) max = max <= 0 ? 100 : 1000;
    int bounded = strstr(r->query, "createdAt") || strstr(r->query, "updatedAt");
    int files = !bounded && strcmp(r->tenant_id, HK_DEFAULT_TENANT) == 0;
    for (int i = 0; files && cJSON_GetArraySize(result) < max; i++) {
        const hk_agent *a = hk_agent_dir_at(r->app->agents, i);
        if (!a) break;
        cJSON_AddItemToArray(result, file_json(r, a));
    }
}

static const hk_doc_resource assistants = {
    .kind = HK_DOC_ASSISTANT,
    .no_store = "no store: assistants need the database (HARK_STORE)",
    .not_found = "Couldn't find the assistant (no assistant with this id)",
    .check = check_then_write,
    .listed = listed,
};

void hk_api_assistant_create(hk_api_req *r) { hk_doc_resource_create(r, &assistants); }

void hk_api_assistant_list(hk_api_req *r) { hk_doc_resource_list(r, &assistants); }

void hk_api_assistant_get(hk_api_req *r) {
    const hk_agent *a = file_agent(r, r->params[0]);
    if (a) {
        hk_api_reply_json(r, 200, file_json(r, a));
        return;
    }
    hk_doc_resource_get(r, &assistants);
}

static int refuse_file_agent(hk_api_req *r) {
    const hk_agent *a = file_agent(r, r->params[0]);
    if (!a) return 0;
    char why[700];
    snprintf(why, sizeof why, "assistant %s is read-only: it is the agent file %s; edit or remove "
             "the file instead", a->id, a->path);
    hk_api_reply_invalid(r, why);
    return 1;
}

void hk_api_assistant_delete(hk_api_req *r) {
    if (!refuse_file_agent(r)) hk_doc_resource_delete(r, &assistants);
}

/* PATCH: the merged result must still run */
void hk_api_assistant_patch(hk_api_req *r) {
    if (!refuse_file_agent(r)) hk_doc_resource_patch(r, &assistants);
}
