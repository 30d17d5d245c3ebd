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

#endif
