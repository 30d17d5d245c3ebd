/* agent/tool_ids: model.toolIds -> /tool documents (see tool_ids.h). One
 * read in flight per resolution, at most 32 ids (more is refused by
 * lua/hark/assistant.lua; extra ids here count as missing). */
#include "agent/tool_ids.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"

#define HK_TOOL_IDS_MAX 32

typedef struct resolve {
    hk_store *store;
    char tenant[40];
    cJSON *ids;     /* a copy of model.toolIds */
    int next;
    cJSON *tools;   /* id -> document */
    cJSON *missing; /* ids not found */
    hk_tool_ids_cb cb;
    void *ud;
} resolve;

static const cJSON *tool_ids(const cJSON *assistant) {
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(assistant, "model");
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(model, "toolIds");
    return cJSON_IsArray(ids) ? ids : NULL;
}

int hk_tool_ids_present(const cJSON *assistant) { return cJSON_GetArraySize(tool_ids(assistant)) > 0; }

static void finish(resolve *q, const char *err) {
    char *text = err ? NULL : cJSON_PrintUnformatted(q->tools);
    if (!err && !text) err = "out of memory";
    q->cb(q->ud, text, q->missing, err);
    cJSON_Delete(q->ids);
    cJSON_Delete(q->tools);
    cJSON_Delete(q->missing);
    free(q);
}

static void step(resolve *q);

static void got(void *ud, cJSON *doc, const char *err) {
    resolve *q = ud;
    const cJSON *id = cJSON_GetArrayItem(q->ids, q->next);
    if (err) {
        cJSON_Delete(doc);
        finish(q, err);
        return;
    }
    if (doc && !cJSON_GetObjectItemCaseSensitive(q->tools, id->valuestring))
        cJSON_AddItemToObject(q->tools, id->valuestring, doc);
    else if (doc)
        cJSON_Delete(doc); /* the same id twice: lua/hark/assistant.lua names the duplicate */
    else
        cJSON_AddItemToArray(q->missing, cJSON_CreateString(id->valuestring));
    q->next++;
    step(q);
}

static void step(resolve *q) {
    int n = cJSON_GetArraySize(q->ids);
    while (q->next < n) {
        const cJSON *id = cJSON_GetArrayItem(q->ids, q->next);
        if (cJSON_IsString(id) && q->next < HK_TOOL_IDS_MAX && hk_store_is_uuid(id->valuestring)) {
            hk_store_doc_get(q->store, HK_DOC_TOOL, q->tenant, id->valuestring, got, q);
            return; /* got() goes on */
        }
        if (cJSON_IsString(id)) cJSON_AddItemToArray(q->missing, cJSON_CreateString(id->valuestring));
        q->next++;
    }
    finish(q, NULL);
}

void hk_tool_ids_resolve(hk_store *store, const char *tenant, const cJSON *assistant,
                         hk_tool_ids_cb cb, void *ud) {
    resolve *q = calloc(1, sizeof *q);
    if (!q) abort();
    q->store = store;
    snprintf(q->tenant, sizeof q->tenant, "%s", tenant ? tenant : "");
    const cJSON *ids = tool_ids(assistant);
    q->ids = ids ? cJSON_Duplicate(ids, 1) : cJSON_CreateArray();
    q->tools = cJSON_CreateObject();
    q->missing = cJSON_CreateArray();
    q->cb = cb;
    q->ud = ud;
    if (!q->ids || !q->tools || !q->missing) abort();
    if (!store) {
        finish(q, "no store to read the tools from");
        return;
    }
    step(q);
}
