/* telephony/twilio_rest: Twilio's REST API over net/http_client (never
 * blocking): place an outbound call that runs like an inbound one (its
 * webhook names the agent), and change a live call (hang up, new TwiML).
 * Base URL from TWILIO_API_BASE_URL so a stand-in can take Twilio's place. */
#ifndef HK_TWILIO_REST_H
#define HK_TWILIO_REST_H

#include "core/config.h"
#include "net/http_client.h"

/* Called once: sid of the new call (or NULL), HTTP status, error text. */
typedef void (*hk_twilio_rest_cb)(void *ud, const char *sid, int status, const char *err);

/* POST Calls.json: To, From (TWILIO_PHONE_NUMBER when from is NULL), Url =
 * the incoming-call webhook with ?agent=ID, StatusCallback, the four
 * StatusCallbackEvents. -1 when it cannot start (err says why). */
int hk_twilio_place_call(hk_http_client *http, const hk_config *cfg, const char *webhook_url,
                         const char *agent_id, const char *to, const char *from,
                         hk_twilio_rest_cb cb, void *ud, char *err, size_t errlen);
/* The same for an API assistant (POST /call): the webhook URL names the
 * tenant too (?agent=ID&tenant=T; Twilio signs the URL with the body), so
 * the answering worker loads that tenant's assistant. tenant NULL: as above. */
int hk_twilio_place_call_tenant(hk_http_client *http, const hk_config *cfg,
                                const char *webhook_url, const char *agent_id,
                                const char *tenant, const char *to, const char *from,
                                hk_twilio_rest_cb cb, void *ud, char *err, size_t errlen);
/* POST Calls/{sid}.json with Status=completed (twiml NULL) or Twiml=twiml. */
int hk_twilio_update_call(hk_http_client *http, const hk_config *cfg, const char *call_sid,
                          const char *twiml, hk_twilio_rest_cb cb, void *ud, char *err,
                          size_t errlen);

/* Any request under the account (path like "IncomingPhoneNumbers.json" or
 * "AvailablePhoneNumbers/US/Local.json?AreaCode=510"): GET when form is NULL,
 * else POST of the form-encoded body. cb gets the HTTP status, the parsed
 * JSON answer (taken by cb; NULL when none) and err (set when no answer
 * came or Twilio answered non-2xx: "Twilio answered 400: <its message>").
 * -1 when it cannot start (err says why; cb is not called). */
struct cJSON;
typedef void (*hk_twilio_json_cb)(void *ud, int status, struct cJSON *json, const char *err);
int hk_twilio_rest_json(hk_http_client *http, const hk_config *cfg, const char *path,
                        const char *form, hk_twilio_json_cb cb, void *ud, char *err, size_t errlen);

/* How the answers are read (exposed for tests; no network). A Calls answer
 * (create, update): sid (sidcap >= 64) gets the call's sid when Twilio
 * answered 2xx with one of 1..63 ASCII letters and digits (it goes into URL
 * paths and the store), else ""; msg (msgcap > 0) the error, "" when none:
 * err as given (no answer), "Twilio answered <status>: <its message, at
 * most 300 bytes>" (non-2xx), or "Twilio's answer has no valid call sid".
 * Texts from outside are cut at a character boundary, their bytes that are
 * not UTF-8 and control characters become '?'. Both are terminated. */
void hk_twilio_call_answer(int status, const char *body, size_t len, const char *err, char *sid,
                           size_t sidcap, char *msg, size_t msgcap);
/* hk_twilio_rest_json's: the parsed answer (NULL when none or not JSON;
 * the caller owns it) and msg as above, or "Twilio's answer is not a JSON
 * object" for a 2xx one that is not. */
struct cJSON *hk_twilio_json_answer(int status, const char *body, size_t len, const char *err,
                                    char *msg, size_t msgcap);

#endif
