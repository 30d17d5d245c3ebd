/* telephony/twilio_rest: see twilio_rest.h. Requests are form-encoded with
 * HTTP Basic auth (AccountSid:AuthToken); answers are JSON ({"sid",
 * "status"} or {"code","message","status"}), read with cJSON by the two
 * answer readers (pure: the fuzz target's way in). */
#include "telephony/twilio_rest.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "net/form.h"

typedef struct rest_req {
    hk_twilio_rest_cb cb;
    void *ud;
} rest_req;

/* Appends s to dst (at most max bytes of it, dst terminated inside cap):
 * whole UTF-8 characters, a byte that starts none or a control character
 * as '?' (the text goes into the API's JSON errors and the logs). */
static void put_text(char *dst, size_t cap, const char *s, size_t max) {
    size_t o = strlen(dst);
    const unsigned char *p = (const unsigned char *)s;
    while (*p && max > 0) {
        unsigned c = *p;
        size_t k = c < 0x80 ? 0 : c < 0xc2 ? 9 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : c <= 0xf4 ? 3 : 9;
        unsigned cp = c & (0x3fu >> (k < 4 ? k : 0));
        for (size_t j = 1; k < 4 && j <= k; j++) {
            if ((p[j] & 0xc0) != 0x80) k = 9;
            else cp = cp << 6 | (p[j] & 0x3fu);
        }
        if (k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) k = 9;
        if (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) k = 9;
        size_t n = k < 4 ? k + 1 : 1;
        if (n > max || o + n >= cap) break;
        if (k > 3 || c < 0x20 || c == 0x7f) dst[o++] = '?';
        else for (size_t j = 0; j < n; j++) dst[o++] = (char)p[j];
        p += n;
        max -= n;
    }
    dst[o] = 0;
}

void hk_twilio_call_answer(int status, const char *body, size_t len, const char *err, char *sid,
                           size_t sidcap, char *msg, size_t msgcap) {
    cJSON *j = len ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "sid");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
    sid[0] = msg[0] = 0;
    if (err) {
        put_text(msg, msgcap, err, msgcap);
    } else if (status < 200 || status > 299) {
        snprintf(msg, msgcap, "Twilio answered %d: ", status);
        put_text(msg, msgcap, cJSON_IsString(m) ? m->valuestring : "(no message)", 300);
    } else if (cJSON_IsString(s) && s->valuestring[0] && strlen(s->valuestring) < sidcap &&
               strlen(s->valuestring) < 64 &&
               strspn(s->valuestring, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") ==
                   strlen(s->valuestring)) {
        snprintf(sid, sidcap, "%s", s->valuestring);
    } else { /* a sid goes into URL paths (Calls/<sid>.json) and the store */
        snprintf(msg, msgcap, "Twilio's answer has no valid call sid");
    }
    cJSON_Delete(j);
}

static void on_done(void *ud, int status, const char *body, size_t len, const char *err) {
    rest_req *r = ud;
    char sid[64], msg[400];
    hk_twilio_call_answer(status, body, len, err, sid, sizeof sid, msg, sizeof msg);
    r->cb(r->ud, sid[0] ? sid : NULL, status, msg[0] ? msg : NULL);
    free(r);
}

static int post(hk_http_client *http, const hk_config *cfg, const char *path, const char *body,
                hk_twilio_rest_cb cb, void *ud, char *err, size_t errlen) {
    const char *base = hk_config_str(cfg, HK_CFG_TWILIO_API_BASE_URL);
    const char *acct = hk_config_str(cfg, HK_CFG_TWILIO_ACCOUNT_SID);
    const char *token = hk_config_str(cfg, HK_CFG_TWILIO_AUTH_TOKEN);
    if (!base || !acct || !token) {
        snprintf(err, errlen, "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are needed for Twilio's REST API");
        return -1;
    }
    char url[768], userpwd[256];
    snprintf(url, sizeof url, "%s/2010-04-01/Accounts/%s/%s", base, acct, path);
    snprintf(userpwd, sizeof userpwd, "%s:%s", acct, token);
    static const char *headers[] = {"Content-Type: application/x-www-form-urlencoded",
                                    "Accept: application/json", NULL};
    rest_req *r = calloc(1, sizeof *r);
    r->cb = cb;
    r->ud = ud;
    hk_http_opts o = {.method = "POST", .url = url, .headers = headers, .body = body,
                      .body_len = strlen(body), .userpwd = userpwd, .timeout_s = 15,
                      .on_done = on_done, .ud = r};
    if (!hk_http_fetch(http, &o)) {
        free(r);
        snprintf(err, errlen, "cannot start a request to %s", url);
        return -1;
    }
    return 0;
}

typedef struct json_req {
    hk_twilio_json_cb cb;
    void *ud;
} json_req;

cJSON *hk_twilio_json_answer(int status, const char *body, size_t len, const char *err, char *msg,
                             size_t msgcap) {
    cJSON *j = len ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
    msg[0] = 0;
    if (err) {
        put_text(msg, msgcap, err, msgcap);
    } else if (status < 200 || status > 299) {
        snprintf(msg, msgcap, "Twilio answered %d: ", status);
        put_text(msg, msgcap, cJSON_IsString(m) ? m->valuestring : "(no message)", 300);
    } else if (!cJSON_IsObject(j)) {
        snprintf(msg, msgcap, "Twilio's answer is not a JSON object");
    }
    return j;
}

static void on_json(void *ud, int status, const char *body, size_t len, const char *err) {
    json_req *r = ud;
    char msg[400];
    cJSON *j = hk_twilio_json_answer(status, body, len, err, msg, sizeof msg);
    r->cb(r->ud, status, j, msg[0] ? msg : NULL);
    free(r);
}

int hk_twilio_rest_json(hk_http_client *http, const hk_config *cfg, const char *path,
                        const char *form, hk_twilio_json_cb cb, void *ud, char *err, size_t errlen) {
    const char *base = hk_config_str(cfg, HK_CFG_TWILIO_API_BASE_URL);
    const char *acct = hk_config_str(cfg, HK_CFG_TWILIO_ACCOUNT_SID);
    const char *token = hk_config_str(cfg, HK_CFG_TWILIO_AUTH_TOKEN);
    if (!base || !acct || !token || !acct[0] || !token[0]) {
        snprintf(err, errlen, "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are needed for Twilio's REST API");
        return -1;
    }
    char url[1024], userpwd[256];
    if (snprintf(url, sizeof url, "%s/2010-04-01/Accounts/%s/%s", base, acct, path) >= (int)sizeof url) {
        snprintf(err, errlen, "request too long");
        return -1;
    }
    snprintf(userpwd, sizeof userpwd, "%s:%s", acct, token);
    static const char *post_headers[] = {"Content-Type: application/x-www-form-urlencoded",
                                         "Accept: application/json", NULL};
    static const char *get_headers[] = {"Accept: application/json", NULL};
    json_req *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->cb = cb;
    r->ud = ud;
    hk_http_opts o = {.method = form ? "POST" : "GET", .url = url,
                      .headers = form ? post_headers : get_headers, .body = form,
                      .body_len = form ? strlen(form) : 0, .userpwd = userpwd, .timeout_s = 15,
                      .on_done = on_json, .ud = r};
    if (!hk_http_fetch(http, &o)) {
        free(r);
        snprintf(err, errlen, "cannot start a request to Twilio");
        return -1;
    }
    return 0;
}

int hk_twilio_place_call(hk_http_client *http, const hk_config *cfg, const char *webhook_url,
                         const char *agent_id, const char *to, const char *from,
                         hk_twilio_rest_cb cb, void *ud, char *err, size_t errlen) {
    return hk_twilio_place_call_tenant(http, cfg, webhook_url, agent_id, NULL, to, from, cb, ud,
                                       err, errlen);
}

int hk_twilio_place_call_tenant(hk_http_client *http, const hk_config *cfg,
                                const char *webhook_url, const char *agent_id,
                                const char *tenant, const char *to, const char *from,
                                hk_twilio_rest_cb cb, void *ud, char *err, size_t errlen) {
    if (!from) from = hk_config_str(cfg, HK_CFG_TWILIO_PHONE_NUMBER);
    if (!from) {
        snprintf(err, errlen, "no caller number: give one or set TWILIO_PHONE_NUMBER");
        return -1;
    }
    char body[2048], url[700], status_url[700];
    size_t len = 0;
    if (tenant) snprintf(url, sizeof url, "%s?agent=%s&tenant=%s", webhook_url, agent_id, tenant);
    else snprintf(url, sizeof url, "%s?agent=%s", webhook_url, agent_id);
    snprintf(status_url, sizeof status_url, "%s/status", webhook_url);
    if (hk_form_append(body, sizeof body, &len, "To", to) ||
        hk_form_append(body, sizeof body, &len, "From", from) ||
        hk_form_append(body, sizeof body, &len, "Url", url) ||
        hk_form_append(body, sizeof body, &len, "StatusCallback", status_url) ||
        hk_form_append(body, sizeof body, &len, "StatusCallbackEvent", "initiated") ||
        hk_form_append(body, sizeof body, &len, "StatusCallbackEvent", "ringing") ||
        hk_form_append(body, sizeof body, &len, "StatusCallbackEvent", "answered") ||
        hk_form_append(body, sizeof body, &len, "StatusCallbackEvent", "completed")) {
        snprintf(err, errlen, "call request too large");
        return -1;
    }
    return post(http, cfg, "Calls.json", body, cb, ud, err, errlen);
}

int hk_twilio_update_call(hk_http_client *http, const hk_config *cfg, const char *call_sid,
                          const char *twiml, hk_twilio_rest_cb cb, void *ud, char *err,
                          size_t errlen) {
    char body[4096], path[128];
    size_t len = 0;
    int rc = twiml ? hk_form_append(body, sizeof body, &len, "Twiml", twiml)
                   : hk_form_append(body, sizeof body, &len, "Status", "completed");
    if (rc != 0) {
        snprintf(err, errlen, "TwiML too large");
        return -1;
    }
    snprintf(path, sizeof path, "Calls/%s.json", call_sid);
    return post(http, cfg, path, body, cb, ud, err, errlen);
}
