/* api/tool: the handlers of Vapi's /tool resource (routes.c's table names
 * them) and the check every write passes (also for the fuzz target). See tool.c. */
#ifndef HK_API_TOOL_H
#define HK_API_TOOL_H

#include "api/api.h"

void hk_api_tool_create(hk_api_req *r); /* POST /tool */
void hk_api_tool_list(hk_api_req *r);   /* GET /tool */
void hk_api_tool_get(hk_api_req *r);    /* GET /tool/{id} */
void hk_api_tool_patch(hk_api_req *r);  /* PATCH /tool/{id} */
void hk_api_tool_delete(hk_api_req *r); /* DELETE /tool/{id} */

struct cJSON;
/* A tool document as it would be stored (after a PATCH: the merged whole):
 * NULL when hark accepts it, else what is wrong, naming the field (a static
 * string or why, which must hold at least 96 bytes). */
const char *hk_tool_check(const struct cJSON *doc, char *why, size_t whylen);

#endif
