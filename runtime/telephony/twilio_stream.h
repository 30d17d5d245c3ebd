/* telephony/twilio_stream: a Twilio Media Streams WebSocket as a call
 * transport. start verifies the signed stream token (once per CallSid: a
 * second stream for the same call is refused), trusts the socket (until then
 * the server keeps it small and closes it after 5 s) and creates the call on
 * the agent version current at that moment; media frames feed the call's
 * pipeline; the agent's paced audio goes back as media messages with a mark
 * after each reply; barge-in sends clear; dtmf reaches on_dtmf; stop or a
 * closed socket ends the call, and an agent hang-up or transfer closes the
 * stream (Twilio then asks the <Connect action> URL what to do next). */
#ifndef HK_TWILIO_STREAM_H
#define HK_TWILIO_STREAM_H

#include "agent/agent_dir.h"
#include "core/app.h"
#include "net/http_client.h"
#include "store/store.h"
#include "net/http_server.h"

#define HK_TWILIO_STREAM_PREFIX "/voice/stream/"

/* Per-connection state for a WebSocket opened on path, or NULL if the path
 * is not a stream path or the upgrade's X-Twilio-Signature is wrong. */
void *hk_twilio_stream_open(hk_app *app, hk_conn *conn, const char *path, const char *signature);
void hk_twilio_stream_text(void *state, const char *data, size_t len);
void hk_twilio_stream_closed(void *state);

#endif
