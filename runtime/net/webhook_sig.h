/* net/webhook_sig: hark's own signature of an outgoing webhook body (Vapi
 * server messages from api/webhooks, assistant-request from telephony/):
 *   X-Hark-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 * A receiver recomputes v1 over the raw body with its secret, compares in
 * constant time and rejects an old t (replays). */
#ifndef HK_NET_WEBHOOK_SIG_H
#define HK_NET_WEBHOOK_SIG_H

#include <stddef.h>

#define HK_WEBHOOK_SIG_HEADER "X-Hark-Signature"

/* "t=<unix>,v1=<hex>" into out (cap >= 100); -1 on failure. */
int hk_webhook_signature(const char *secret, long long unix_s, const char *body, size_t len,
                         char *out, size_t cap);

#endif
