/* api/api: what a REST handler of hark's Vapi-compatible API sees and how it
 * answers. The chain (routes.c -> router -> auth -> handler) builds one
 * hk_api_req per request, already authenticated: tenant_id is set, and every
 * store read a handler makes must be scoped by it (another tenant's object
 * answers 404, never 403).
 *
 * A handler answers exactly once, now or later (from a store callback, on the
 * loop), with hk_api_reply_json or hk_api_reply_error; the reply frees r, so
 * nothing of r may be touched after it. The request's strings are copies that
 * live until the reply, whatever the client does meanwhile; a client gone
 * before the reply only makes the reply a no-op. A handler never blocks the
 * loop (CPU-heavy work goes to core/pool). */
#ifndef HK_API_H
#define HK_API_H

#include <stddef.h>

#include "core/app.h" /* hk_app: the serving worker */
#include "net/http_server.h"

struct cJSON;

#define HK_API_MAX_PARAMS 4

typedef struct hk_api_req {
    hk_app *app;
    const char *method;     /* "GET", "POST", "PATCH", "DELETE", "PUT" */
    const char *path;       /* decoded, without the query string */
    const char *query;      /* after '?', "" when none: see hk_api_query */
    const char *host;       /* the Host header, "" when none (GET /openapi.json's servers) */
    const char *body;       /* NUL-terminated; "" when none */
    size_t body_len;
    char tenant_id[37];     /* the authenticated tenant (uuid text) */
    char key_id[37];        /* the API key used; "" for a session JWT */
    char user_id[37];       /* the session's user; "" for an API key */
    char peer[64];          /* the client's address (limits per client) */
    const char *params[HK_API_MAX_PARAMS]; /* {name} values of the pattern, in order */
    int nparams;
    hk_http_pending *pending; /* the deferred HTTP answer (api.c's business) */
    char range[128];        /* the Range header ("" when none or longer: the whole answer) */
} hk_api_req;

typedef void (*hk_api_handler)(hk_api_req *r);

/* One row of the route table (routes.c): method, a pattern whose segments
 * are literals or {name} (one non-empty segment each, at most
 * HK_API_MAX_PARAMS), the handler, flags. */
#define HK_API_PUBLIC 1 /* no credential needed (POST /auth/login) */

typedef struct hk_api_route {
    const char *method;
    const char *pattern;
    hk_api_handler handler;
    int flags;
} hk_api_route;

/* The table, ended by a row with method NULL (routes.c). */
extern const hk_api_route hk_api_routes[];

/* Answer with body (taken, freed here; NULL: no body) as application/json,
 * and free r. */
void hk_api_reply_json(hk_api_req *r, int status, struct cJSON *body);
/* Same, with extra header lines (taken; see hk_http_response.headers). */
void hk_api_reply_json_headers(hk_api_req *r, int status, struct cJSON *body, char *headers);
/* Any body (taken) of content_type, with header lines (taken, NULL: none); frees r. */
void hk_api_reply_take(hk_api_req *r, int status, const char *content_type, char *body, size_t len,
                       char *headers);
/* Answer with Vapi's error shape {"message","error","statusCode"} and free r.
 * message: for the client; never echo secrets in it. */
void hk_api_reply_error(hk_api_req *r, int status, const char *message);
/* Vapi's validation error {"message":[why],"error":"Bad Request",
 * "statusCode":400}, and free r. */
void hk_api_reply_invalid(hk_api_req *r, const char *why);
/* Vapi's list filters from the query string into f: createdAt and updatedAt
 * Gt|Lt|Ge|Le (ISO-8601 date-times) and limit (0..1000). 0, or -1 having
 * answered 400 naming the bad parameter. */
struct hk_store_doc_filter;
int hk_api_list_filter(hk_api_req *r, struct hk_store_doc_filter *f);
/* Same, with a Retry-After header of retry_after_s seconds (429, 503). */
void hk_api_reply_error_retry(hk_api_req *r, int status, int retry_after_s, const char *message);
/* The body as a JSON object, or NULL after replying 400 (then r is gone:
 * return at once). The caller owns the result. */
struct cJSON *hk_api_body_object(hk_api_req *r);
/* The first value of query parameter name, percent-decoded, copied into out;
 * 1 found, 0 absent, -1 malformed query or too long for out. */
int hk_api_query(const hk_api_req *r, const char *name, char *out, size_t outlen);

/* routes.c hands every request it does not serve itself here: route, auth,
 * handler. Always answers (now, or deferred through the HTTP server). */
void hk_api_dispatch(hk_app *app, const hk_http_request *req, hk_http_response *resp);

#endif
