/* agent/tool_ids: an API assistant's model.toolIds resolved to the /tool
 * documents of its tenant (store kind HK_DOC_TOOL), read one after another
 * through the store's async reads: never blocks the loop (the memory store
 * may answer before hk_tool_ids_resolve returns). The answer is a JSON
 * object id -> tool document, for hk_agent_load_json_tools; ids that name
 * no tool of the tenant are listed apart, so the API can refuse them (400)
 * and a call can skip them with a warning. */
#ifndef HK_AGENT_TOOL_IDS_H
#define HK_AGENT_TOOL_IDS_H

struct cJSON;
struct hk_store;

/* tools_json: malloc'd JSON object id -> document (the callback owns it),
 * NULL when err; missing: the ids not found (an array of strings, borrowed
 * for the callback), in toolIds order; err: a store failure. */
typedef void (*hk_tool_ids_cb)(void *ud, char *tools_json, const struct cJSON *missing,
                               const char *err);

/* Does the assistant name tool ids (model.toolIds, a non-empty list)? */
int hk_tool_ids_present(const struct cJSON *assistant);
/* Reads every id of assistant's model.toolIds for tenant; the assistant is
 * copied (the caller may free it at once). Always answers through cb. */
void hk_tool_ids_resolve(struct hk_store *store, const char *tenant, const struct cJSON *assistant,
                         hk_tool_ids_cb cb, void *ud);

#endif
