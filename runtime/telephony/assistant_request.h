/* telephony/assistant_request: Vapi's assistant-request for an incoming call
 * on a registered number that names no assistant: POSTed to the number's
 * server URL (server.url, or the legacy serverUrl) with the number's secret
 * (X-Vapi-Secret and hark's X-Hark-Signature, net/webhook_sig.h) and
 * headers, X-Hark-Delivery-Id <CallSid>:assistant-request. The receiver has
 * 7.5 s (or the number's server.timeoutSeconds, if shorter) to answer with
 * {assistantId}, {assistant:{...}} (a transient assistant),
 * {destination:{type:"number", number, message?}} or {error:"..."}; anything
 * else (late, refused, non-2xx, unparseable, a destination that is not a
 * phone number) is a failure. A number without a server has its org's
 * asked (twilio_webhook.c puts it in the number's place). Never blocks:
 * one request on the loop's shared HTTP client; the answer's body is read
 * up to 256 KB. */
#ifndef HK_TELEPHONY_ASSISTANT_REQUEST_H
#define HK_TELEPHONY_ASSISTANT_REQUEST_H

#include <cjson/cJSON.h>
#include <ev.h>
#include <stddef.h>

#define HK_AR_TIMEOUT_S 7.5
#define HK_AR_MAX_REPLY (256 * 1024)

typedef enum {
    HK_AR_FAILED = 0,
    HK_AR_ASSISTANT_ID, /* assistant_id */
    HK_AR_ASSISTANT,    /* assistant: the transient assistant's JSON */
    HK_AR_DESTINATION,  /* number (E.164), message (may be NULL) */
    HK_AR_ERROR,        /* error: spoken to the caller */
} hk_ar_kind;

typedef struct hk_ar_reply {
    hk_ar_kind kind;
    const char *assistant_id;
    cJSON *assistant;
    const char *number, *message;
    const char *error;
    char why[160]; /* FAILED: for the log (no content) */
} hk_ar_reply;

/* The reply is valid during the callback only. */
typedef void (*hk_ar_cb)(void *ud, const hk_ar_reply *r);

typedef struct hk_ar_request {
    const char *call_sid, *tenant, *from, *to;
    const cJSON *number; /* the phone-number document */
} hk_ar_request;

/* The number's server URL, or NULL when it has none. */
const char *hk_ar_server_url(const cJSON *number);
/* Sends the request; cb is called exactly once, later (never inside this
 * call). -1 when the number has no server URL (cb is not called). */
int hk_assistant_request(struct ev_loop *loop, const hk_ar_request *q, hk_ar_cb cb, void *ud);
/* The request body (malloc'd JSON) and the parse of a 2xx reply body:
 * *keep holds what out points into (free with cJSON_Delete). For tests. */
char *hk_ar_body(const hk_ar_request *q, double now_wall);
void hk_ar_parse(const char *body, size_t len, hk_ar_reply *out, cJSON **keep);

#endif
