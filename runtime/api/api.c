/* api/api: the request chain of the REST API: route (api/router), then
 * authentication (api/auth) unless the route is public, then the handler;
 * the request object each handler gets and the replies that end it. Every
 * API answer goes through the HTTP server's deferred answers, so a handler
 * may reply now or from a store callback alike. */
#include "api/api.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_json.h"
#include "api/app.h"
#include "api/auth.h"
#include "api/router.h"
#include "api/session_cookie.h"
#include "cluster/rate_limit.h"
#include "core/log.h"
#include "net/form.h"
#include "store/store.h"

/* The request and its copied strings, in one allocation. */
typedef struct api_call {
    hk_api_req r;
    const hk_api_route *route;
    char data[];
} api_call;

static void reply_raw(hk_api_req *r, int status, char *body, size_t len) {
    hk_http_pending_respond_take(r->pending, status, "application/json; charset=utf-8", body, len);
    free((api_call *)r); /* r is the first member */
}

void hk_api_reply_take(hk_api_req *r, int status, const char *content_type, char *body, size_t len,
                       char *headers) {
    hk_http_pending_respond_headers(r->pending, status, content_type, body, len, headers);
    free((api_call *)r);
}

void hk_api_reply_json_headers(hk_api_req *r, int status, cJSON *body, char *headers) {
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;
    cJSON_Delete(body);
    if (body && !text) {
        free(headers);
        hk_api_reply_error(r, 500, "out of memory");
        return;
    }
    hk_api_reply_take(r, status, "application/json; charset=utf-8", text, text ? strlen(text) : 0,
                      headers);
}

void hk_api_reply_json(hk_api_req *r, int status, cJSON *body) {
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;
    cJSON_Delete(body);
    if (body && !text) {
        hk_api_reply_error(r, 500, "out of memory");
        return;
    }
    reply_raw(r, status, text, text ? strlen(text) : 0);
}

void hk_api_reply_invalid(hk_api_req *r, const char *why) {
    cJSON *o = cJSON_CreateObject();
    cJSON *m = cJSON_AddArrayToObject(o, "message");
    cJSON_AddItemToArray(m, cJSON_CreateString(why));
    cJSON_AddStringToObject(o, "error", "Bad Request");
    cJSON_AddNumberToObject(o, "statusCode", 400);
    hk_api_reply_json(r, 400, o);
}

int hk_api_list_filter(hk_api_req *r, hk_store_doc_filter *f) {
    static const char *names[8] = {"createdAtGt", "createdAtLt", "createdAtGe", "createdAtLe",
                                   "updatedAtGt", "updatedAtLt", "updatedAtGe", "updatedAtLe"};
    double *dst[8] = {&f->created_gt, &f->created_lt, &f->created_ge, &f->created_le,
                      &f->updated_gt, &f->updated_lt, &f->updated_ge, &f->updated_le};
    char v[64], why[128];
    for (int i = 0; i < 8; i++) {
        int q = hk_api_query(r, names[i], v, sizeof v);
        if (q < 0 || (q == 1 && (hk_store_time_parse(v, dst[i]) != 0 || *dst[i] <= 0))) {
            snprintf(why, sizeof why, "%s must be an ISO-8601 date-time", names[i]);
            hk_api_reply_invalid(r, why);
            return -1;
        }
    }
    int q = hk_api_query(r, "limit", v, sizeof v);
    char *end = v;
    long n = q == 1 ? strtol(v, &end, 10) : 0;
    if (q < 0 || (q == 1 && (*end || end == v || n < 0 || n > 1000))) {
        hk_api_reply_invalid(r, "limit must be a number from 0 to 1000");
        return -1;
    }
    if (q == 1) f->limit = (int)n;
    return 0;
}

void hk_api_reply_error(hk_api_req *r, int status, const char *message) {
    size_t len = 0;
    char *text = hk_api_error_body(status, message, &len);
    reply_raw(r, status, text, len);
}

void hk_api_reply_error_retry(hk_api_req *r, int status, int retry_after_s, const char *message) {
    hk_http_pending_retry_after(r->pending, retry_after_s);
    hk_api_reply_error(r, status, message);
}

cJSON *hk_api_body_object(hk_api_req *r) {
    cJSON *o = r->body_len ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        hk_api_reply_error(r, 400, "the body must be a JSON object");
        return NULL;
    }
    return o;
}

int hk_api_query(const hk_api_req *r, const char *name, char *out, size_t outlen) {
    size_t qlen = strlen(r->query);
    if (!qlen) return 0;
    hk_form_param params[64];
    char *buf = malloc(qlen + 2 * 64 + 1);
    if (!buf) return -1;
    hk_form f;
    char err[128];
    hk_form_init(&f, params, 64, buf, qlen + 2 * 64 + 1);
    int rc = -1;
    if (hk_form_parse(&f, r->query, qlen, err, sizeof err) >= 0) {
        const char *v = hk_form_get(&f, name);
        if (!v) rc = 0;
        else if (strlen(v) < outlen) {
            memcpy(out, v, strlen(v) + 1);
            rc = 1;
        }
    }
    free(buf);
    return rc;
}

static void fill_error(hk_http_response *resp, int status, const char *message) {
    resp->status = status;
    snprintf(resp->content_type, sizeof resp->content_type, "application/json; charset=utf-8");
    resp->body = hk_api_error_body(status, message, &resp->len);
}

static void run_handler(api_call *c) {
    hk_log(HK_LOG_DEBUG, NULL, "api_request", "%s %s", c->r.method, c->route->pattern);
    c->route->handler(&c->r);
}

/* API requests per key (or session user) per second (cluster/rate_limit). */
static void rated(void *ud, int allowed, int retry_after_s) {
    api_call *c = ud;
    if (!allowed) {
        hk_log(HK_LOG_DEBUG, NULL, "api_rate_limited", "%s %s: retry after %d s", c->r.method,
               c->route->pattern, retry_after_s);
        hk_api_reply_error_retry(&c->r, 429, retry_after_s,
                                 "Too many requests for this API key: retry after the Retry-After header's seconds");
        return;
    }
    if (!hk_http_pending_alive(c->r.pending)) {
        hk_api_reply_error(&c->r, 499, "gone");
        return;
    }
    run_handler(c);
}

static void authenticated(void *ud, const hk_auth_principal *who, const char *why) {
    api_call *c = ud;
    if (!who && why == hk_auth_store_unavailable) {
        hk_log(HK_LOG_WARN, NULL, "api_auth_unavailable", "%s %s: the key store did not answer",
               c->r.method, c->route->pattern);
        hk_api_reply_error_retry(&c->r, 503, 1, "Credentials cannot be checked right now: retry shortly");
        return;
    }
    if (!who) {
        hk_log(HK_LOG_DEBUG, NULL, "api_unauthorized", "%s %s: %s", c->r.method, c->route->pattern,
               why ? why : "refused");
        hk_api_reply_error(&c->r, 401, "Invalid credentials: send Authorization: Bearer <API key or session token>");
        return;
    }
    memcpy(c->r.tenant_id, who->tenant_id, sizeof c->r.tenant_id);
    memcpy(c->r.key_id, who->key_id, sizeof c->r.key_id);
    memcpy(c->r.user_id, who->user_id, sizeof c->r.user_id);
    if (!hk_http_pending_alive(c->r.pending)) { /* the client left while we looked */
        hk_api_reply_error(&c->r, 499, "gone");
        return;
    }
    char id[48];
    snprintf(id, sizeof id, "%s%s", who->key_id[0] ? "k:" : "u:", who->key_id[0] ? who->key_id : who->user_id);
    hk_rate_limit_take("api", id, hk_config_long(c->r.app->cfg, HK_CFG_HARK_API_RATE_PER_SECOND, 50),
                       1000, rated, c);
}

/* Copies of req's strings and the route's params after the struct. */
static api_call *call_new(hk_app *app, const hk_http_request *req, const hk_route_match *m) {
    size_t ml = strlen(req->method) + 1, pl = strlen(req->path) + 1, ql = strlen(req->query) + 1;
    size_t hl = strlen(req->host ? req->host : "") + 1;
    size_t params = 0;
    for (int i = 0; i < m->nparams; i++) params += m->len[i] + 1;
    api_call *c = calloc(1, sizeof *c + ml + pl + ql + hl + req->body_len + 1 + params);
    if (!c) return NULL;
    char *d = c->data;
    c->r.app = app;
    c->route = m->route;
    snprintf(c->r.peer, sizeof c->r.peer, "%s", req->peer ? req->peer : "");
    c->r.method = memcpy(d, req->method, ml), d += ml;
    c->r.path = memcpy(d, req->path, pl), d += pl;
    c->r.query = memcpy(d, req->query, ql), d += ql;
    c->r.host = memcpy(d, req->host ? req->host : "", hl), d += hl;
    if (req->body_len) memcpy(d, req->body, req->body_len);
    d[req->body_len] = 0;
    c->r.body = d, d += req->body_len + 1;
    c->r.body_len = req->body_len;
    if (req->range && strlen(req->range) < sizeof c->r.range) memcpy(c->r.range, req->range, strlen(req->range) + 1);
    for (int i = 0; i < m->nparams; i++) {
        memcpy(d, req->path + m->off[i], m->len[i]);
        d[m->len[i]] = 0;
        c->r.params[i] = d;
        d += m->len[i] + 1;
    }
    c->r.nparams = m->nparams;
    return c;
}

void hk_api_dispatch(hk_app *app, const hk_http_request *req, hk_http_response *resp) {
    const char *req_auth = req->authorization;
    hk_route_match m;
    int st = hk_router_match(hk_api_routes, req->method, req->path, &m);
    if (st == 404) return fill_error(resp, 404, "Cannot find this route");
    if (st == 405) return fill_error(resp, 405, "This method is not allowed on this route");
    int public = m.route->flags & HK_API_PUBLIC;
    hk_session_auth sa; /* Bearer header, or the dashboard's cookie (api/session_cookie) */
    if (!public) {
        hk_session_auth_from(req, hk_config_str(app->cfg, HK_CFG_JWT_SECRET), (long)time(NULL), &sa);
        if (sa.status) return fill_error(resp, sa.status, sa.message);
        req_auth = sa.authorization;
    }
    /* a request without a plausible credential costs no allocation */
    if (!public && !hk_auth_shape_ok(req_auth))
        return fill_error(resp, 401, "Invalid credentials: send Authorization: Bearer <API key or session token>");
    api_call *c = call_new(app, req, &m);
    if (!c) return fill_error(resp, 503, "out of memory");
    c->r.pending = hk_http_defer(req);
    if (!c->r.pending) {
        free(c);
        return fill_error(resp, 503, "out of memory");
    }
    if (public) run_handler(c);
    else hk_auth_check(app, req_auth, authenticated, c);
}
