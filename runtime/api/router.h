/* api/router: matching a method and path against the route table (patterns
 * with {name} segments). Knows nothing of auth or replies; no allocation. */
#ifndef HK_ROUTER_H
#define HK_ROUTER_H

#include <stddef.h>

#include "api/api.h"

typedef struct hk_route_match {
    const hk_api_route *route;
    int nparams;
    size_t off[HK_API_MAX_PARAMS], len[HK_API_MAX_PARAMS]; /* each {name} in path */
} hk_route_match;

/* 200 with m filled; 404 when no pattern matches the path; 405 when one
 * does, for other methods only. One trailing '/' is ignored. */
int hk_router_match(const hk_api_route *table, const char *method, const char *path,
                    hk_route_match *m);

#endif
