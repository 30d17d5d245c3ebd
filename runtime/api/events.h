/* api/events: the dashboard's live events socket, WebSocket GET
 * /api/v1/events. A socket is authenticated at open (cookie session or
 * Bearer, api/session_cookie + api/auth; an Origin header must name the
 * Host) and then only hears its own tenant: first
 * {"type":"snapshot","calls":[...]}, then one JSON message per call event
 * (call.started {call}, call.state {state}, call.transcript {role, final,
 * text, turn}, call.speech {role, status, turn}, call.interrupted {turn},
 * call.tool_call {toolCallId, name, arguments}, call.tool_result
 * {toolCallId, name, result}, call.hang {turn}, call.ended {endedReason};
 * each with callId and at, epoch ms; README "Dashboard") and
 * {"type":"ping","at"} every HK_EVENTS_PING_S. Events come from the call event bus
 * (agent/call_events) of this worker and, with REDIS_URL, from every other
 * worker and node through Redis pub/sub (api/events_redis); without Redis a
 * socket sees the calls of the worker it landed on only. Each socket's send
 * queue is bounded: a browser that cannot keep up is dropped, never slows a
 * call. Runs on the loop; never blocks. */
#ifndef HK_EVENTS_H
#define HK_EVENTS_H

#include <stddef.h>

#include "core/app.h" /* hk_app: the serving worker */
#include "net/http_server.h"

#include "agent/call.h" /* hk_call */

#define HK_EVENTS_PATH "/api/v1/events"
#define HK_EVENTS_PING_S 25.0
#define HK_EVENTS_MAX_QUEUED (192 * 1024) /* bytes queued on one socket before it is dropped */

/* Subscribes this worker to the call event bus (and Redis when REDIS_URL is
 * set). 0, or -1 with err. */
int hk_events_init(hk_app *app, char *err, size_t errlen);
void hk_events_shutdown(void);

/* WebSocket hooks (api/routes). accept, before the upgrade is granted: 0
 * when the Origin is foreign or the credential is missing, malformed, or a
 * cookie/JWT session that is expired, revoked or forged (an API key's
 * store check waits for open). open returns the socket's state or NULL. */
int hk_events_accept(hk_app *app, const hk_http_request *req);
void *hk_events_open(hk_app *app, hk_conn *conn);
/* 1 when state is an events socket (routes tells it from a media stream). */
int hk_events_owns(const void *state);
void hk_events_text(void *state, const char *data, size_t len);
void hk_events_closed(void *state);

/* Sockets open on this worker (tests, metrics). */
int hk_events_sockets(void);

/* Pure helpers (tests). */
/* "+15551234567" -> "+1555***4567"; short numbers keep less. */
void hk_events_mask_number(const char *number, char *out, size_t cap);
/* The client message for an event (malloc'ed JSON text), or NULL when the
 * event is not sent (call.conversation). call_obj: the call's snapshot
 * object text, used by call.started. */
char *hk_events_message(const hk_call *c, const void *ev, double at_ms, const char *call_obj);

/* From api/events_redis: a message published by another worker for tenant. */
void hk_events_deliver(const char *tenant, const char *msg, size_t len);

#endif
