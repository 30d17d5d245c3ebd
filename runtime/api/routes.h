/* api/routes: what each path on hark's port does. The HTTP server hands every
 * request and WebSocket here; this file dispatches to the owners (health and
 * metrics here, Twilio webhooks and Media Streams in telephony/, the REST
 * API through api/api.h with its table hk_api_routes in routes.c). */
#ifndef HK_ROUTES_H
#define HK_ROUTES_H

#include "core/app.h" /* hk_app: the serving worker */
#include "net/http_resp.h"
#include "net/http_server.h"

void hk_routes_http(void *app, const hk_http_request *req, hk_http_response *resp);
int hk_routes_ws_accept(void *app, const hk_http_request *req);
void *hk_routes_ws_open(void *app, hk_conn *conn, const char *path, const char *signature);
void hk_routes_ws_text(void *conn_state, const char *data, size_t len);
void hk_routes_ws_closed(void *conn_state);

/* Response helpers for handlers: hk_resp_text is in net/http_resp.h. */

#endif
