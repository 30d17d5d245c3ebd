/* api/assistant: Vapi's /assistant resource. API assistants are documents in
 * the store (hk_store_doc_*, kind HK_DOC_ASSISTANT), checked on every write
 * by mapping them onto an agent (agent_json.c): an assistant hark cannot run
 * is a 400 naming the field, never a stored surprise. File agents (agents/,
 * owned by the default tenant) are listed too, read-only and marked
 * (metadata.hark.source "file"); their id is the file's stem. Every store
 * read carries the request's tenant: another tenant's id is a 404. */
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
#include "store/store.h"

#define NOT_FOUND "Couldn't find the assistant (no assistant with this id)"


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

static int have_store(hk_api_req *r) {
    if (r->app->store) return 1;
    hk_api_reply_error(r, 503, "no store: assistants need the database (HARK_STORE)");
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

/* A write checked first: doc is the assistant as it will be (the body, or
 * the stored one with the patch merged), write what goes to the store.
 * With model.toolIds, the tenant's /tool documents are read first: an id
 * that names none is a 400 naming it. Takes both. */
typedef struct checked {
    hk_api_req *r;
    cJSON *doc, *write;
    int patch;
} checked;

static void write_checked(checked *k, const char *tools_json) {
    hk_api_req *r = k->r;
    if (check_runs(r, k->doc, tools_json) == 0) {
        if (k->patch)
            hk_store_doc_patch(r->app->store, HK_DOC_ASSISTANT, r->tenant_id, r->params[0], k->write,
                               done, r);
        else
            hk_store_doc_create(r->app->store, HK_DOC_ASSISTANT, r->tenant_id, k->write, created, r);
    }
    cJSON_Delete(k->doc);
    cJSON_Delete(k->write);
    free(k);
}

static void tools_read(void *ud, char *tools_json, const cJSON *missing, const char *err) {
    checked *k = ud;
    if (err) {
        hk_api_reply_error(k->r, 503, "the store is unavailable; try again");
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

static void check_then_write(hk_api_req *r, cJSON *doc, cJSON *write, int patch) {
    checked *k = malloc(sizeof *k);
    if (!k) abort();
    *k = (checked){r, doc, write, patch};
    if (hk_tool_ids_present(doc))
        hk_tool_ids_resolve(r->app->store, r->tenant_id, doc, tools_read, k);
    else
        write_checked(k, NULL);
}

void hk_api_assistant_create(hk_api_req *r) {
    cJSON *body = hk_api_body_object(r);
    if (!body) return;
    if (!have_store(r)) {
        cJSON_Delete(body);
        return;
    }
    check_then_write(r, cJSON_Duplicate(body, 1), body, 0);
}

static void listed(void *ud, cJSON *result, const char *err) {
    hk_api_req *r = ud;
    if (err || !result) {
        cJSON_Delete(result);
        hk_api_reply_error(r, 503, "the store is unavailable; try again");
        return;
    }
    /* file agents after the stored ones, when no time bound asks for dates
     * they do not have; the bound on the count holds for both */
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
    hk_api_reply_json(r, 200, result);
}

void hk_api_assistant_list(hk_api_req *r) {
    if (!have_store(r)) return;
    hk_store_doc_filter f = {0};
    if (hk_api_list_filter(r, &f) != 0) return;
    hk_store_doc_list(r->app->store, HK_DOC_ASSISTANT, r->tenant_id, &f, listed, r);
}

void hk_api_assistant_get(hk_api_req *r) {
    const hk_agent *a = file_agent(r, r->params[0]);
    if (a) {
        hk_api_reply_json(r, 200, file_json(r, a));
        return;
    }
    if (!have_store(r)) return;
    hk_store_doc_get(r->app->store, HK_DOC_ASSISTANT, r->tenant_id, r->params[0], done, r);
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
    if (refuse_file_agent(r) || !have_store(r)) return;
    hk_store_doc_delete(r->app->store, HK_DOC_ASSISTANT, r->tenant_id, r->params[0], done, r);
}

/* PATCH: read the stored assistant, check that the merged result still runs,
 * then write the patch (the store merges it again, atomically). */
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
    check_then_write(r, cur, p->patch, 1);
    free(p);
}

void hk_api_assistant_patch(hk_api_req *r) {
    if (refuse_file_agent(r)) return;
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
    hk_store_doc_get(r->app->store, HK_DOC_ASSISTANT, r->tenant_id, r->params[0], patch_read, p);
}
