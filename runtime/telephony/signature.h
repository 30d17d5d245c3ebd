/* telephony/signature: X-Twilio-Signature, byte-compatible with the `twilio`
 * npm package (tests/fixtures/twilio_signatures.json proves it). Form POSTs:
 * HMAC-SHA1(auth token, URL + name+value for each parameter, names sorted, a
 * repeated name once per distinct value, values sorted; both sorts in UTF-16
 * order as JavaScript sorts), base64. JSON bodies: the URL carries
 * bodySHA256=<hex sha256 of the body>, the signature covers the URL alone.
 * Verification compares in constant time (CRYPTO_memcmp) and, as Twilio's
 * validators do, tries two URLs: with any port removed, and as given (or,
 * when it has no port, with the scheme's default added: :443 for https and
 * wss, :80 for http and ws; the npm package adds :80 to wss). Unlike the npm
 * package it does not retry a percent-re-encoded form of the URL: hark
 * verifies against the URL it configured, never one seen behind a proxy.
 * Never allocates. */
#ifndef HK_SIGNATURE_H
#define HK_SIGNATURE_H

#include <stdbool.h>
#include <stddef.h>

#include "net/form.h"

#define HK_TWILIO_SIG_SIZE 29          /* 28 base64 characters + NUL */
#define HK_TWILIO_SIG_MAX_PARAMS 256   /* more parameters than this: -1 / invalid */

/* The signature Twilio would send for url + params (n may be 0, params NULL).
 * Returns 0, or -1 (too many parameters, crypto failure). */
int hk_twilio_signature(const char *auth_token, const char *url,
                        const hk_form_param *params, int n, char out[HK_TWILIO_SIG_SIZE]);

/* Form POST (or a WebSocket upgrade: params NULL, n 0). header is the
 * X-Twilio-Signature value; NULL or "" is invalid. */
bool hk_twilio_verify(const char *auth_token, const char *header, const char *url,
                      const hk_form_param *params, int n);

/* JSON (non-form) body: the signature over url must match and url's
 * bodySHA256 query parameter must equal the lowercase hex SHA-256 of body. */
bool hk_twilio_verify_body(const char *auth_token, const char *header, const char *url,
                           const char *body, size_t body_len);

#endif
