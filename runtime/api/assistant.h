/* api/assistant: the handlers of Vapi's /assistant resource (routes.c's
 * table names them). See assistant.c. */
#ifndef HK_API_ASSISTANT_H
#define HK_API_ASSISTANT_H

#include "api/api.h"

void hk_api_assistant_create(hk_api_req *r); /* POST /assistant */
void hk_api_assistant_list(hk_api_req *r);   /* GET /assistant */
void hk_api_assistant_get(hk_api_req *r);    /* GET /assistant/{id} */
void hk_api_assistant_patch(hk_api_req *r);  /* PATCH /assistant/{id} */
void hk_api_assistant_delete(hk_api_req *r); /* DELETE /assistant/{id} */

#endif
