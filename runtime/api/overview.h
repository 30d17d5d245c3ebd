/* api/overview: the dashboard's GET /api/v1/overview?from=&to= (see
 * overview.c). */
#ifndef HK_API_OVERVIEW_H
#define HK_API_OVERVIEW_H

#include "api/api.h"

void hk_api_overview(hk_api_req *r);

#endif
