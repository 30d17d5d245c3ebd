/* telephony/stream_token: the short-lived token hark puts in the TwiML
 * <Parameter> of a call's media stream, so the WebSocket can prove it belongs
 * to the call the webhook answered (even when a proxy rewrites the URL and
 * X-Twilio-Signature cannot be checked). Token = base64url(payload) "."
 * base64url(HMAC-SHA256(secret, payload)), payload = "call_sid|agent_id|expiry"
 * (expiry in Unix seconds). Verification checks the MAC in constant time
 * before reading the payload. Never allocates. */
#ifndef HK_STREAM_TOKEN_H
#define HK_STREAM_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define HK_STREAM_TOKEN_MAX 336  /* buffer size that holds any token make accepts */
#define HK_STREAM_TOKEN_FIELD_MAX 96 /* longest call sid or agent id, bytes */

enum {
    HK_STREAM_TOKEN_OK = 0,
    HK_STREAM_TOKEN_MALFORMED = -1,     /* not a token, or fields out of range */
    HK_STREAM_TOKEN_BAD_SIGNATURE = -2, /* MAC mismatch: forged, other secret, altered */
    HK_STREAM_TOKEN_WRONG_CALL = -3,    /* genuine, but for another call */
    HK_STREAM_TOKEN_EXPIRED = -4,       /* genuine, but now >= expiry */
};

/* Writes the token into out. call_sid and agent_id: 1..HK_STREAM_TOKEN_FIELD_MAX
 * bytes, no '|'; secret non-empty. Returns the token length or -1. */
int hk_stream_token_make(const char *secret, const char *call_sid, const char *agent_id,
                         int64_t expiry, char *out, size_t cap);

/* One of the HK_STREAM_TOKEN_* codes. On OK, and on WRONG_CALL/EXPIRED too,
 * the agent id is copied to agent_id (when not NULL, cap >= 1). */
int hk_stream_token_verify(const char *secret, const char *token, const char *call_sid,
                           int64_t now, char *agent_id, size_t agent_cap);

/* "ok", "malformed", "bad signature", "wrong call", "expired". */
const char *hk_stream_token_strerror(int code);

#endif
