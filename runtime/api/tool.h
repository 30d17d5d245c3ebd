/* api/tool: the handlers of Vapi's /tool resource (routes.c's table names
 * them). See tool.c. */
#ifndef HK_API_TOOL_H
#define HK_API_TOOL_H

#include "api/api.h"

void hk_api_tool_create(hk_api_req *r); /* POST /tool */
void hk_api_tool_list(hk_api_req *r);   /* GET /tool */
void hk_api_tool_get(hk_api_req *r);    /* GET /tool/{id} */
void hk_api_tool_patch(hk_api_req *r);  /* PATCH /tool/{id} */
void hk_api_tool_delete(hk_api_req *r); /* DELETE /tool/{id} */

#endif
