/* api/call: Vapi's /call resource, the read side (GET list and by id, PATCH
 * {name}, DELETE) and the seed's GET /api/v1/voice-agents/calls; POST /call
 * (placing an outbound call through Twilio) is call_create.c. */
#ifndef HK_API_CALL_H
#define HK_API_CALL_H

#include "api/api.h"

struct cJSON;
struct hk_config;

void hk_api_call_list(hk_api_req *r);
void hk_api_call_get(hk_api_req *r);
void hk_api_call_patch(hk_api_req *r);
void hk_api_call_delete(hk_api_req *r);
/* POST /call (call_create.c): place an outbound call, 201 with the call */
void hk_api_call_create(hk_api_req *r);
/* The checks of POST /call's body that need no store: NULL when it may go
 * on, else the 400's message naming the field (a static string). */
const char *hk_call_create_check(const struct cJSON *body);
/* GET /api/v1/voice-agents/calls?tenantId= -> {calls, activeCalls} */
void hk_api_voice_agent_calls(hk_api_req *r);

/* api/call_json.c: a store call record (store.h, hk_store_call_query) as
 * Vapi's call object, priced with cfg's HARK_PRICE_* settings (NULL: all 0).
 * org: the tenant. now: unix seconds (a live call's cost runs to now).
 * Returns a new object; record is not changed. */
struct cJSON *hk_call_json(const struct cJSON *record, const char *org,
                           const struct hk_config *cfg, double now);

#endif
