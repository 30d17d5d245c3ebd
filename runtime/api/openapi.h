/* api/openapi: GET /openapi.json, an OpenAPI 3.1 document of the REST API
 * built from the route table (routes.c's hk_api_routes), so it describes
 * exactly what this build serves: every route with its method, its path
 * parameters, the bearer security scheme (none on public rows), request and
 * response schemas of Vapi's objects (open: additionalProperties true, since
 * unknown fields are kept), and servers from the request's Host. */
#ifndef HK_API_OPENAPI_H
#define HK_API_OPENAPI_H

#include "api/api.h"

struct cJSON;

/* GET /openapi.json (public) */
void hk_api_openapi(hk_api_req *r);

/* The document for table (ended by a row with method NULL). host: the
 * request's Host header ("h:p"; NULL, "" or anything but a host name or
 * address with an optional port: only the relative server "/"). A new
 * object, NULL when out of memory. */
struct cJSON *hk_openapi_document(const hk_api_route *table, const char *host);

#endif
