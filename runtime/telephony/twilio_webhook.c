/* telephony/twilio_webhook: see twilio_webhook.h. Every callback is verified
 * against X-Twilio-Signature computed over the public URL from config (never
 * the Host header a proxy may rewrite); a bad or missing signature gets 403
 * and changes nothing. */
#include "telephony/twilio_webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/call.h"
#include "api/routes.h"
#include "core/log.h"
#include "core/metrics.h"
#include "net/form.h"
#include "telephony/signature.h"
#include "telephony/stream_token.h"
#include "telephony/twiml.h"

#define MAX_PARAMS 128
#define AFTER_MAX 256

/* Transfers requested by live calls, consumed by the connect-status callback
 * (the fallback when the REST update that dials failed; the <Connect action>
 * URL is fixed before the agent decides, so the number cannot travel in it).
 * When full, the oldest request gives way, logged. */
static struct {
    char call_sid[64];
    char number[40];
    time_t at;
} g_after[AFTER_MAX];

void hk_twilio_after_stream(const char *call_sid, const char *number) {
    int slot = -1, oldest = 0;
    for (int i = 0; i < AFTER_MAX && slot < 0; i++)
        if (strcmp(g_after[i].call_sid, call_sid) == 0) slot = i;
    for (int i = 0; i < AFTER_MAX && slot < 0; i++)
        if (!g_after[i].call_sid[0]) slot = i;
    if (slot < 0) {
        for (int i = 1; i < AFTER_MAX; i++)
            if (g_after[i].at < g_after[oldest].at) oldest = i;
        hk_log(HK_LOG_WARN, g_after[oldest].call_sid, "transfer_table_full",
               "%d transfers pending: the oldest is dropped (its connect action will hang up)", AFTER_MAX);
        slot = oldest;
    }
    snprintf(g_after[slot].call_sid, sizeof g_after[slot].call_sid, "%s", call_sid);
    snprintf(g_after[slot].number, sizeof g_after[slot].number, "%s", number ? number : "");
    g_after[slot].at = time(NULL);
}

static const char *take_after(const char *call_sid, char *number, size_t cap) {
    for (int i = 0; i < AFTER_MAX; i++) {
        if (call_sid && strcmp(g_after[i].call_sid, call_sid) == 0) {
            snprintf(number, cap, "%s", g_after[i].number);
            g_after[i].call_sid[0] = 0;
            return number[0] ? number : NULL;
        }
    }
    return NULL;
}

static void xml(hk_http_response *r, const char *body) {
    hk_resp_text(r, 200, "text/xml", body);
}

/* Parse the form and check the signature over url (+ the query, if any). */
static int verified(hk_app *app, const hk_http_request *req, const char *url, hk_form *f,
                    hk_http_response *resp) {
    char err[256];
    if (hk_form_parse(f, req->body, req->body_len, err, sizeof err) < 0) {
        hk_log(HK_LOG_WARN, NULL, "webhook_bad_form", "%s: %s", req->path, err);
        hk_resp_text(resp, 400, "text/plain", "malformed form body\n");
        return 0;
    }
    char full[1024];
    snprintf(full, sizeof full, "%s%s%s", url, req->query[0] ? "?" : "", req->query);
    const char *token = hk_config_str(app->cfg, HK_CFG_TWILIO_AUTH_TOKEN);
    if (!token || !req->twilio_signature[0] ||
        !hk_twilio_verify(token, req->twilio_signature, full, f->params, f->n)) {
        hk_metric_inc(HK_M_WEBHOOKS_REJECTED);
        hk_log(HK_LOG_WARN, hk_form_get(f, "CallSid"), "webhook_rejected",
               "%s: %s X-Twilio-Signature", req->path,
               req->twilio_signature[0] ? "bad" : "missing");
        hk_resp_text(resp, 403, "text/plain", "invalid signature\n");
        return 0;
    }
    hk_metric_inc(HK_M_WEBHOOKS);
    return 1;
}

/* The agent of an outbound call is named in the webhook URL hark gave
 * Twilio (?agent=ID); an inbound call's agent answers the To number. */
static hk_agent *find_agent(hk_app *app, const char *query, const char *to) {
    hk_form_param p[8];
    char buf[512];
    hk_form q;
    char err[64];
    hk_form_init(&q, p, 8, buf, sizeof buf);
    if (query[0] && strlen(query) < 300 && hk_form_parse(&q, query, strlen(query), err, sizeof err) > 0) {
        const char *id = hk_form_get(&q, "agent");
        if (id) return hk_agent_dir_get(app->agents, id);
    }
    return hk_agent_dir_get(app->agents, to);
}

static void incoming_call(hk_app *app, const char *query, hk_form *f, hk_http_response *resp) {
    const char *sid = hk_form_get(f, "CallSid");
    const char *to = hk_form_get(f, "To");
    const char *from = hk_form_get(f, "From");
    char body[4096];
    if (!sid || !to) {
        hk_resp_text(resp, 400, "text/plain", "CallSid and To are required\n");
        return;
    }
    if (app->draining) {
        hk_twiml_say_hangup(body, sizeof body, "Sorry, we cannot take your call right now. "
                            "Please call again in a minute.", NULL);
        xml(resp, body);
        return;
    }
    hk_agent *a = find_agent(app, query, to);
    if (!a) {
        char to_m[32];
        hk_log(HK_LOG_WARN, sid, "unknown_number", "no agent answers %s",
               hk_log_mask_number(to, to_m, sizeof to_m));
        hk_twiml_say_hangup(body, sizeof body,
                            "Sorry, the number you have called is not in service.", NULL);
        xml(resp, body);
        return;
    }
    char token[HK_STREAM_TOKEN_MAX], url[512], action[640];
    hk_stream_token_make(app->stream_secret, sid, a->id, (int64_t)time(NULL) + app->stream_token_ttl_s,
                         token, sizeof token);
    snprintf(url, sizeof url, "%s/voice/stream/%s", app->stream_base, sid);
    snprintf(action, sizeof action, "%s/connect-status", app->webhook_url);
    const char *dir = hk_form_get(f, "Direction");
    hk_twiml_param params[] = {{"agent", a->id}, {"token", token}, {"from", from ? from : ""},
                               {"to", to}, {"direction", dir ? dir : "inbound"}};
    hk_twiml_stream s = {.say = a->consent_message, .action = action, .url = url,
                         .params = params, .n_params = 5};
    if (hk_twiml_connect_stream(body, sizeof body, &s) < 0) {
        hk_resp_text(resp, 500, "text/plain", "cannot build TwiML\n");
    } else {
        char from_m[32], to_m[32];
        hk_log(HK_LOG_INFO, sid, "call_incoming", "from %s to %s: agent %s version %d",
               from ? hk_log_mask_number(from, from_m, sizeof from_m) : "?",
               hk_log_mask_number(to, to_m, sizeof to_m), a->id, a->version);
        /* the call record exists from the first webhook (the stream may never come) */
        if (app->store) {
            hk_store_call r = {.call_sid = sid, .tenant_id = HK_DEFAULT_TENANT,
                               .from = from ? from : "", .to = to,
                               .inbound = !dir || strcmp(dir, "inbound") == 0,
                               .status = "ringing"};
            hk_store_call_create(app->store, &r);
        }
        xml(resp, body);
    }
    hk_agent_unref(a);
}

static void connect_status(hk_form *f, hk_http_response *resp) {
    const char *sid = hk_form_get(f, "CallSid");
    char number[40], body[1024];
    const char *dial = take_after(sid, number, sizeof number);
    if (dial) {
        char dial_m[32];
        hk_log(HK_LOG_INFO, sid, "call_transfer", "dialling %s",
               hk_log_mask_number(dial, dial_m, sizeof dial_m));
        hk_twiml_dial(body, sizeof body, dial, NULL);
    } else {
        hk_twiml_hangup(body, sizeof body);
    }
    xml(resp, body);
}

static void status_callback(hk_app *app, hk_form *f, hk_http_response *resp) {
    const char *sid = hk_form_get(f, "CallSid");
    const char *status = hk_form_get(f, "CallStatus");
    const char *dur = hk_form_get(f, "CallDuration");
    hk_log(HK_LOG_INFO, sid, "call_status", "%s%s%s", status ? status : "?",
           dur ? ", duration " : "", dur ? dur : "");
    /* the carrier's view of the call (busy, no-answer, completed, ...) */
    if (app->store && sid && status)
        hk_store_call_status(app->store, HK_DEFAULT_TENANT, sid, status);
    hk_resp_text(resp, 204, "text/plain", "");
}

int hk_twilio_webhook(hk_app *app, const hk_http_request *req, hk_http_response *resp) {
    size_t n = strlen(HK_TWILIO_WEBHOOK_PATH);
    if (strncmp(req->path, HK_TWILIO_WEBHOOK_PATH, n) != 0) return 0;
    const char *rest = req->path + n;
    if (strcmp(rest, "") && strcmp(rest, "/") && strcmp(rest, "/connect-status") &&
        strcmp(rest, "/status"))
        return 0;
    if (strcmp(req->method, "POST") != 0) {
        hk_resp_text(resp, 405, "text/plain", "POST only\n");
        return 1;
    }
    hk_form_param params[MAX_PARAMS];
    size_t cap = req->body_len + 2 * MAX_PARAMS + 2;
    char *buf = malloc(cap);
    hk_form f;
    hk_form_init(&f, params, MAX_PARAMS, buf, cap);
    char url[768];
    snprintf(url, sizeof url, "%s%s", app->webhook_url, strcmp(rest, "/") ? rest : "");
    if (verified(app, req, url, &f, resp)) {
        if (!*rest || !strcmp(rest, "/")) incoming_call(app, req->query, &f, resp);
        else if (!strcmp(rest, "/connect-status")) connect_status(&f, resp);
        else status_callback(app, &f, resp);
    }
    free(buf);
    return 1;
}
