/* telephony/twilio_webhook: Twilio's HTTP callbacks. The incoming-call webhook
 * (signature check, agent by the To number, TwiML that connects a media
 * stream carrying the agent id and a signed stream token), the <Connect
 * action> callback when a stream ends (hang up, or dial a transfer number the
 * agent asked for) and call status callbacks. */
#ifndef HK_TWILIO_WEBHOOK_H
#define HK_TWILIO_WEBHOOK_H

#include "api/app.h"
#include "net/http_server.h"

#define HK_TWILIO_WEBHOOK_PATH "/api/v1/voice-agents/twilio/webhook"

/* Handles req when its path is one of the webhook paths (returns 1). */
int hk_twilio_webhook(hk_app *app, const hk_http_request *req, hk_http_response *resp);
/* What the call does when its stream ends: NULL hangs up, a number dials it. */
void hk_twilio_after_stream(const char *call_sid, const char *dial_number);

#endif
