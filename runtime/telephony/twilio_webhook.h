/* telephony/twilio_webhook: Twilio's HTTP callbacks. The incoming-call webhook
 * (signature check, agent by the To number, TwiML that connects a media
 * stream carrying the agent id and a signed stream token), the <Connect
 * action> callback when a stream ends (hang up, or dial a transfer number the
 * agent asked for) and call status callbacks. A transfer travels in the
 * connect-status URL itself, signed with the stream secret, so any worker or
 * node that Twilio's request reaches can carry it out (no table). */
#ifndef HK_TWILIO_WEBHOOK_H
#define HK_TWILIO_WEBHOOK_H

#include "agent/agent_dir.h"
#include "core/app.h"
#include "net/http_client.h"
#include "store/store.h"
#include "net/http_server.h"

#define HK_TWILIO_WEBHOOK_PATH "/api/v1/voice-agents/twilio/webhook"

/* Handles req when its path is one of the webhook paths (returns 1). */
int hk_twilio_webhook(hk_app *app, const hk_http_request *req, hk_http_response *resp);
/* The connect-status URL that dials number for call_sid:
 * ...?transfer=base64url(NUMBER)&exp=UNIX&sig=base64url(HMAC-SHA256(stream
 * secret, "transfer|CallSid|NUMBER|exp")), valid for an hour (base64url: lws
 * decodes %-escapes in queries, which would break Twilio's signature over the
 * URL). Length, or -1. */
int hk_twilio_transfer_url(const hk_app *app, const char *call_sid, const char *number, char *out,
                           size_t cap);

#endif
