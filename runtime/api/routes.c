/* api/routes: path dispatch for hark serve, and the REST API's route table.
 * See routes.h. */
#include "api/routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/apikeys_routes.h"
#include "api/app.h"
#include "api/assistant.h"
#include "api/auth_login.h"
#include "api/call.h"
#include "api/openapi.h"
#include "api/org.h"
#include "api/events.h"
#include "api/recording.h"
#include "api/session_cookie.h"
#include "api/web_static.h"
#include "api/overview.h"
#include "api/phone_number.h"
#include "api/tool.h"
#include "api/twilio_numbers.h"
#include "core/metrics.h"
#include "telephony/twilio_stream.h"
#include "telephony/twilio_webhook.h"

void hk_routes_http(void *app, const hk_http_request *req, hk_http_response *resp) {
    if (hk_twilio_webhook(app, req, resp)) return;
    if (strcmp(req->path, "/healthz") == 0) {
        /* draining (SIGTERM): 503 so a load balancer sends new calls elsewhere */
        if (((const hk_app *)app)->draining)
            hk_resp_text(resp, 503, "application/json", "{\"status\":\"draining\"}\n");
        else
            hk_resp_text(resp, 200, "application/json", "{\"status\":\"ok\"}\n");
        return;
    }
    if (strcmp(req->path, "/metrics") == 0) {
        size_t cap = 16384;
        resp->body = malloc(cap);
        resp->len = hk_metrics_render(resp->body, cap);
        resp->status = 200;
        snprintf(resp->content_type, sizeof resp->content_type, "text/plain; version=0.0.4");
        return;
    }
    if (hk_session_logout(app, req, resp)) return; /* answered at once, no credential needed */
    if (hk_web_serve(hk_web_global(), req, resp)) return; /* the dashboard, below the API's paths */
    hk_api_dispatch(app, req, resp);
}

/* The REST API (api/api.h): every row needs a credential unless HK_API_PUBLIC.
 * Twilio webhooks, /healthz and /metrics above never reach it. */
const hk_api_route hk_api_routes[] = {
    {"POST", "/auth/login", hk_api_auth_login, HK_API_PUBLIC},
    {"GET", "/auth/me", hk_api_auth_me, 0},
    {"POST", "/auth/logout", hk_api_auth_logout, HK_API_PUBLIC},
    {"GET", "/call/{id}/recording", hk_api_call_recording, 0},
    {"POST", "/assistant", hk_api_assistant_create, 0},
    {"GET", "/assistant", hk_api_assistant_list, 0},
    {"GET", "/assistant/{id}", hk_api_assistant_get, 0},
    {"PATCH", "/assistant/{id}", hk_api_assistant_patch, 0},
    {"DELETE", "/assistant/{id}", hk_api_assistant_delete, 0},
    {"POST", "/call", hk_api_call_create, 0},
    {"GET", "/call", hk_api_call_list, 0},
    {"GET", "/call/{id}", hk_api_call_get, 0},
    {"PATCH", "/call/{id}", hk_api_call_patch, 0},
    {"DELETE", "/call/{id}", hk_api_call_delete, 0},
    {"GET", "/api/v1/voice-agents/calls", hk_api_voice_agent_calls, 0},
    {"GET", "/api/v1/overview", hk_api_overview, 0},
    {"GET", "/api/v1/api-keys", hk_api_keys_list, 0},
    {"POST", "/api/v1/api-keys", hk_api_keys_create, 0},
    {"DELETE", "/api/v1/api-keys/{id}", hk_api_keys_revoke, 0},
    {"POST", "/tool", hk_api_tool_create, 0},
    {"GET", "/tool", hk_api_tool_list, 0},
    {"GET", "/tool/{id}", hk_api_tool_get, 0},
    {"PATCH", "/tool/{id}", hk_api_tool_patch, 0},
    {"DELETE", "/tool/{id}", hk_api_tool_delete, 0},
    {"POST", "/phone-number", hk_api_phone_number_create, 0},
    {"GET", "/phone-number", hk_api_phone_number_list, 0},
    {"GET", "/phone-number/{id}", hk_api_phone_number_get, 0},
    {"PATCH", "/phone-number/{id}", hk_api_phone_number_patch, 0},
    {"DELETE", "/phone-number/{id}", hk_api_phone_number_delete, 0},
    {"GET", "/v2/phone-number", hk_api_phone_number_page, 0},
    {"GET", "/org", hk_api_org_get, 0},
    {"PATCH", "/org", hk_api_org_patch, 0},
    {"PATCH", "/org/{id}", hk_api_org_patch, 0},
    {"GET", "/openapi.json", hk_api_openapi, HK_API_PUBLIC},
    {"GET", "/api/v1/twilio/available-numbers", hk_api_twilio_available, 0},
    {"POST", "/api/v1/twilio/numbers", hk_api_twilio_buy, 0},
    {NULL, NULL, NULL, 0},
};

/* WebSockets: Media Streams, and the dashboard's live events (api/events,
 * which knows its own sockets). */
int hk_routes_ws_accept(void *app, const hk_http_request *req) { return hk_events_accept(app, req); }

void *hk_routes_ws_open(void *app, hk_conn *conn, const char *path, const char *signature) {
    if (strcmp(path, HK_EVENTS_PATH) == 0) return hk_events_open(app, conn);
    return hk_twilio_stream_open(app, conn, path, signature);
}

void hk_routes_ws_text(void *conn_state, const char *data, size_t len) {
    if (hk_events_owns(conn_state)) hk_events_text(conn_state, data, len);
    else hk_twilio_stream_text(conn_state, data, len);
}

void hk_routes_ws_closed(void *conn_state) {
    if (hk_events_owns(conn_state)) hk_events_closed(conn_state);
    else hk_twilio_stream_closed(conn_state);
}
