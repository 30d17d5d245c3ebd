/* api/apikeys_routes: the dashboard's /api/v1/api-keys (see
 * apikeys_routes.c). */
#ifndef HK_API_APIKEYS_ROUTES_H
#define HK_API_APIKEYS_ROUTES_H

#include "api/api.h"

void hk_api_keys_list(hk_api_req *r);
void hk_api_keys_create(hk_api_req *r);
void hk_api_keys_revoke(hk_api_req *r);

#endif
