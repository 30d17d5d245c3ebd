/* api/twilio_numbers: numbers to buy and buying one, over Twilio's REST API
 * (telephony/twilio_rest with TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN from
 * the configuration; TWILIO_API_BASE_URL lets a stand-in take Twilio's place).
 *
 * GET /api/v1/twilio/available-numbers?country=US&areaCode=&contains=&limit=
 * asks AvailablePhoneNumbers/{country}/Local.json and answers
 * {"numbers":[{phoneNumber, friendlyName, locality, region, postalCode,
 * isoCountry, capabilities{voice,sms,mms}}]}.
 *
 * POST /api/v1/twilio/numbers {phoneNumber, assistantId?, name?} checks the
 * body and the assistant first (nothing is bought for a request hark would
 * refuse), buys the number with IncomingPhoneNumbers.json with VoiceUrl and
 * StatusCallback set to hark's webhook, then registers it as POST
 * /phone-number does (api/phone_number) and answers 201 with that document
 * (metadata.hark.twilioSid: Twilio's PN sid). No auth token is stored or
 * echoed. Twilio's refusals are a 400 with its message, never a 5xx that a
 * client would retry into a second purchase. Numbers appear in logs masked. */
#include "api/twilio_numbers.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_dir.h"
#include "agent/call.h"
#include "api/app.h"
#include "api/phone_number.h"
#include "core/log.h"
#include "net/form.h"
#include "store/store.h"
#include "telephony/twilio_rest.h"

static void reply_invalid(hk_api_req *r, const char *why) { hk_api_reply_error(r, 400, why); }

static int all_of(const char *s, const char *extra, int alnum) {
    for (; *s; s++)
        if (!(alnum ? isalnum((unsigned char)*s) : isdigit((unsigned char)*s)) && !strchr(extra, *s))
            return 0;
    return 1;
}

/* ---- GET available-numbers ---- */

static void add_str(cJSON *o, const char *k, const cJSON *src, const char *sk) {
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(src, sk));
    if (v) cJSON_AddStringToObject(o, k, v);
    else cJSON_AddNullToObject(o, k);
}

static void listed(void *ud, int status, cJSON *j, const char *err) {
    hk_api_req *r = ud;
    if (err) {
        char why[512];
        hk_log(HK_LOG_WARN, NULL, "twilio_available_failed", "%s", err);
        snprintf(why, sizeof why, "Twilio could not list numbers: %s", err);
        cJSON_Delete(j);
        hk_api_reply_error(r, status ? 400 : 502, why);
        return;
    }
    cJSON *out = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(out, "numbers");
    const cJSON *n;
    cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(j, "available_phone_numbers")) {
        if (!cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(n, "phone_number"))) continue;
        cJSON *o = cJSON_CreateObject();
        add_str(o, "phoneNumber", n, "phone_number");
        add_str(o, "friendlyName", n, "friendly_name");
        add_str(o, "locality", n, "locality");
        add_str(o, "region", n, "region");
        add_str(o, "postalCode", n, "postal_code");
        add_str(o, "isoCountry", n, "iso_country");
        const cJSON *cap = cJSON_GetObjectItemCaseSensitive(n, "capabilities");
        cJSON *c = cJSON_AddObjectToObject(o, "capabilities");
        const char *kinds[] = {"voice", "sms", "mms"};
        for (int i = 0; i < 3; i++)
            cJSON_AddBoolToObject(c, kinds[i], cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cap, kinds[i])));
        cJSON_AddItemToArray(arr, o);
    }
    cJSON_Delete(j);
    hk_api_reply_json(r, 200, out);
}

void hk_api_twilio_available(hk_api_req *r) {
    char country[8] = "US", area[8] = "", contains[24] = "", limit[8] = "";
    if (hk_api_query(r, "country", country, sizeof country) < 0 || strlen(country) != 2 ||
        !isupper((unsigned char)country[0]) || !isupper((unsigned char)country[1]))
        return reply_invalid(r, "country must be an ISO country code of two capital letters (US)");
    if (hk_api_query(r, "areaCode", area, sizeof area) < 0 || strlen(area) > 5 || !all_of(area, "", 0))
        return reply_invalid(r, "areaCode must be 1 to 5 digits");
    if (hk_api_query(r, "contains", contains, sizeof contains) < 0 || strlen(contains) > 16 ||
        !all_of(contains, "*", 1))
        return reply_invalid(r, "contains must be up to 16 digits, letters or *");
    long page = 20;
    if (hk_api_query(r, "limit", limit, sizeof limit) != 0) {
        char *end = NULL;
        page = strtol(limit, &end, 10);
        if (!limit[0] || *end || page < 1 || page > 50)
            return reply_invalid(r, "limit must be a number from 1 to 50");
    }
    char q[256], path[320], ps[8];
    size_t len = 0;
    snprintf(ps, sizeof ps, "%ld", page);
    int bad = 0;
    if (area[0]) bad |= hk_form_append(q, sizeof q, &len, "AreaCode", area);
    if (contains[0]) bad |= hk_form_append(q, sizeof q, &len, "Contains", contains);
    bad |= hk_form_append(q, sizeof q, &len, "VoiceEnabled", "true");
    bad |= hk_form_append(q, sizeof q, &len, "PageSize", ps);
    if (bad) return reply_invalid(r, "search too long");
    snprintf(path, sizeof path, "AvailablePhoneNumbers/%s/Local.json?%s", country, q);
    char err[256];
    if (hk_twilio_rest_json(r->app->http, r->app->cfg, path, NULL, listed, r, err, sizeof err) != 0)
        hk_api_reply_error(r, 503, err);
}

/* ---- POST numbers ---- */

typedef struct buy {
    hk_api_req *r;
    char number[20];
    char assistant[64];
    char *name;
} buy;

static void buy_free(buy *b) {
    free(b->name);
    free(b);
}

static void bought(void *ud, int status, cJSON *j, const char *err) {
    buy *b = ud;
    hk_api_req *r = b->r;
    char masked[32];
    hk_log_mask_number(b->number, masked, sizeof masked);
    const char *num = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "phone_number"));
    const char *sid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "sid"));
    if (err || !num || !hk_phone_number_e164(num)) {
        char why[512];
        snprintf(why, sizeof why, "Twilio did not sell the number: %s",
                 err ? err : "no phone_number in its answer");
        hk_log(HK_LOG_WARN, NULL, "twilio_buy_refused", "%s: %s", masked, err ? err : "bad answer");
        cJSON_Delete(j);
        buy_free(b);
        hk_api_reply_error(r, err && !status ? 502 : 400, why);
        return;
    }
    hk_log(HK_LOG_INFO, NULL, "twilio_number_bought", "%s (%s) for tenant %s", masked,
           sid ? sid : "?", r->tenant_id);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "provider", "twilio");
    cJSON_AddStringToObject(doc, "number", num);
    cJSON_AddStringToObject(doc, "twilioAccountSid", hk_config_str(r->app->cfg, HK_CFG_TWILIO_ACCOUNT_SID));
    if (b->name) cJSON_AddStringToObject(doc, "name", b->name);
    if (b->assistant[0]) cJSON_AddStringToObject(doc, "assistantId", b->assistant);
    cJSON *hark = cJSON_AddObjectToObject(cJSON_AddObjectToObject(doc, "metadata"), "hark");
    if (sid) cJSON_AddStringToObject(hark, "twilioSid", sid);
    cJSON_Delete(j);
    buy_free(b);
    hk_api_phone_number_register(r, doc);
}

static void purchase(buy *b) {
    hk_api_req *r = b->r;
    char form[2048], status_url[700], err[256];
    size_t len = 0;
    snprintf(status_url, sizeof status_url, "%s/status", r->app->webhook_url);
    if (hk_form_append(form, sizeof form, &len, "PhoneNumber", b->number) ||
        hk_form_append(form, sizeof form, &len, "VoiceUrl", r->app->webhook_url) ||
        hk_form_append(form, sizeof form, &len, "VoiceMethod", "POST") ||
        hk_form_append(form, sizeof form, &len, "StatusCallback", status_url) ||
        hk_form_append(form, sizeof form, &len, "StatusCallbackMethod", "POST") ||
        (b->name && hk_form_append(form, sizeof form, &len, "FriendlyName", b->name))) {
        buy_free(b);
        return reply_invalid(r, "request too long");
    }
    if (hk_twilio_rest_json(r->app->http, r->app->cfg, "IncomingPhoneNumbers.json", form, bought, b,
                            err, sizeof err) != 0) {
        buy_free(b);
        hk_api_reply_error(r, 503, err);
    }
}

static void assistant_read(void *ud, cJSON *a, const char *err) {
    buy *b = ud;
    hk_api_req *r = b->r;
    int found = a != NULL;
    cJSON_Delete(a);
    if (err || !found) {
        buy_free(b);
        if (err) hk_api_reply_error(r, 503, "the store is unavailable; try again");
        else reply_invalid(r, "assistantId: no assistant with this id");
        return;
    }
    purchase(b);
}

void hk_api_twilio_buy(hk_api_req *r) {
    cJSON *body = hk_api_body_object(r);
    if (!body) return;
    const cJSON *num = cJSON_GetObjectItemCaseSensitive(body, "phoneNumber");
    const cJSON *aid = cJSON_GetObjectItemCaseSensitive(body, "assistantId");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "name");
    const char *why = NULL;
    if (!cJSON_IsString(num) || !hk_phone_number_e164(num->valuestring))
        why = "phoneNumber must be an E.164 number (+ and digits), one of the available numbers";
    else if (aid && !cJSON_IsNull(aid) && (!cJSON_IsString(aid) || !aid->valuestring[0] ||
                                           strlen(aid->valuestring) >= 64))
        why = "assistantId must be an assistant's id";
    else if (name && !cJSON_IsNull(name) && (!cJSON_IsString(name) || strlen(name->valuestring) > 40))
        why = "name must be a string of at most 40 characters";
    if (why) {
        cJSON_Delete(body);
        return reply_invalid(r, why);
    }
    buy *b = calloc(1, sizeof *b);
    if (!b) abort();
    b->r = r;
    snprintf(b->number, sizeof b->number, "%s", num->valuestring);
    if (cJSON_IsString(aid)) snprintf(b->assistant, sizeof b->assistant, "%s", aid->valuestring);
    if (cJSON_IsString(name) && !(b->name = strdup(name->valuestring))) abort();
    cJSON_Delete(body);
    if (!r->app->store) {
        buy_free(b);
        return hk_api_reply_error(r, 503, "no store: numbers cannot be registered");
    }
    if (!b->assistant[0]) return purchase(b);
    /* a file agent serves the tenant that owns files */
    if (!strcmp(r->tenant_id, HK_DEFAULT_TENANT) && r->app->agents) {
        hk_agent *a = hk_agent_dir_get(r->app->agents, b->assistant);
        if (a) {
            hk_agent_unref(a);
            return purchase(b);
        }
    }
    hk_store_doc_get(r->app->store, HK_DOC_ASSISTANT, r->tenant_id, b->assistant, assistant_read, b);
}
