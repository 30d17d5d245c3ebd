/* telephony/twilio_webhook: see twilio_webhook.h. An incoming call's agent
 * may come from the store (an API number's assistant): then the answer is
 * deferred (hk_http_defer) until the registry has it. Every callback is verified
 * against X-Twilio-Signature computed over the public URL from config (never
 * the Host header a proxy may rewrite); a bad or missing signature gets 403
 * and changes nothing. */
#include "telephony/twilio_webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cjson/cJSON.h>

#include "agent/call.h"
#include "store/org_server.h"
#include "cluster/call_limits.h"
#include "cluster/rate_limit.h"
#include "core/log.h"
#include "core/metrics.h"
#include "net/base64.h"
#include "net/form.h"
#include "net/http_resp.h"
#include "telephony/assistant_request.h"
#include "telephony/signature.h"
#include "telephony/stream_token.h"
#include "telephony/twiml.h"

#define MAX_PARAMS 128
#define TRANSFER_TTL_S 3600

/* base64url(HMAC-SHA256(secret, "transfer|sid|number|exp")) into out (>= 44). */
static int transfer_sig(const char *secret, const char *sid, const char *number, long long exp,
                        char *out, size_t cap) {
    char msg[256];
    uint8_t md[32];
    unsigned int mdlen = 0;
    int n = snprintf(msg, sizeof msg, "transfer|%s|%s|%lld", sid, number, exp);
    if (n < 0 || (size_t)n >= sizeof msg ||
        !HMAC(EVP_sha256(), secret, (int)strlen(secret), (const uint8_t *)msg, (size_t)n, md, &mdlen) ||
        mdlen != 32)
        return -1;
    long e = hk_base64url_encode(md, sizeof md, out, cap);
    return e < 0 ? -1 : 0;
}

int hk_twilio_transfer_url(const hk_app *app, const char *call_sid, const char *number, char *out,
                           size_t cap) {
    char sig[64], enc[128];
    long long exp = (long long)time(NULL) + TRANSFER_TTL_S;
    if (!call_sid || !number || !*number || transfer_sig(app->stream_secret, call_sid, number, exp, sig,
                                                         sizeof sig) < 0 ||
        hk_base64url_encode((const uint8_t *)number, strlen(number), enc, sizeof enc) < 0)
        return -1;
    int n = snprintf(out, cap, "%s/connect-status?transfer=%s&exp=%lld&sig=%s", app->webhook_url, enc,
                     exp, sig);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* The number a signed connect-status URL dials, or NULL (none, or not ours). */
static const char *signed_transfer(hk_app *app, const char *query, const char *sid, char *number,
                                   size_t cap) {
    hk_form_param p[8];
    char buf[512], err[64], want[64];
    hk_form q;
    hk_form_init(&q, p, 8, buf, sizeof buf);
    if (!query[0] || !sid || strlen(query) >= 400 ||
        hk_form_parse(&q, query, strlen(query), err, sizeof err) <= 0)
        return NULL;
    const char *b64 = hk_form_get(&q, "transfer"), *exp = hk_form_get(&q, "exp"),
               *sig = hk_form_get(&q, "sig");
    char num[64];
    long nl = b64 ? hk_base64url_decode(b64, strlen(b64), (uint8_t *)num, sizeof num - 1) : -1;
    if (nl <= 0 || !exp || !sig) return NULL;
    num[nl] = 0;
    char *end;
    long long e = strtoll(exp, &end, 10);
    if (*end || transfer_sig(app->stream_secret, sid, num, e, want, sizeof want) < 0 ||
        strlen(sig) != strlen(want) || CRYPTO_memcmp(sig, want, strlen(want)) != 0) {
        hk_log(HK_LOG_WARN, sid, "transfer_rejected", "connect-status transfer with a bad signature");
        return NULL;
    }
    if (e <= (long long)time(NULL)) {
        hk_log(HK_LOG_WARN, sid, "transfer_rejected", "connect-status transfer expired");
        return NULL;
    }
    snprintf(number, cap, "%s", num);
    return number;
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

/* An incoming call's answer, possibly deferred (the agent comes from the
 * store): everything it needs is copied out of the request. */
typedef struct in_call {
    hk_app *app;
    hk_http_pending *pending; /* NULL: answer into resp, now */
    hk_http_response *resp;
    const hk_http_request *req; /* valid only while the handler runs (not deferred yet) */
    hk_agent *agent;            /* waiting for a concurrency slot */
    char tenant[40], sid[64], to[40], from[40], dir[32];
    long long version_ms;
    int slot_checked;
    int rate_checked;
} in_call;

static void in_reply(in_call *c, int status, const char *ctype, const char *body) {
    if (c->pending) hk_http_pending_respond(c->pending, status, ctype, body, strlen(body));
    else hk_resp_text(c->resp, status, ctype, body);
}

static void not_in_service(in_call *c) {
    char to_m[32], body[1024];
    hk_log(HK_LOG_WARN, c->sid, "unknown_number", "no agent answers %s",
           hk_log_mask_number(c->to, to_m, sizeof to_m));
    hk_twiml_say_hangup(body, sizeof body, "Sorry, the number you have called is not in service.",
                        NULL);
    in_reply(c, 200, "text/xml", body);
}

/* Answer with a's stream and free c. tenant: the API assistant's tenant
 * (NULL: a file agent, the default tenant's); version_ms: its version. The
 * stream token names the agent so that any worker finds the same version:
 * a file agent's id, or "api:<tenant>:<id>:<version_ms>". */
static void in_answer(in_call *c, hk_agent *a, const char *tenant, long long version_ms);

/* The record of a call that no assistant answered: ended at once, with
 * endedReason. agent_id: the API assistant it was for, or NULL. */
static void in_record_ended(in_call *c, const char *agent_id, const char *ended_reason) {
    hk_store *st = c->app->store;
    if (!st) return;
    const char *tenant = c->tenant[0] ? c->tenant : HK_DEFAULT_TENANT;
    hk_store_call r = {.call_sid = c->sid, .tenant_id = tenant, .agent_id = agent_id,
                       .from = c->from, .to = c->to,
                       .inbound = !c->dir[0] || strcmp(c->dir, "inbound") == 0, .status = "ended"};
    hk_store_call_create(st, &r);
    hk_store_call_summary e = {.call_sid = c->sid, .tenant_id = tenant,
                               .ended_reason = ended_reason, .cost_total = -1};
    hk_store_call_end(st, &e);
}

/* A refused call: the polite busy TwiML, a log line and a call record that
 * says why (ended at once, with endedReason). Frees c and drops a. */
static void in_busy(in_call *c, hk_agent *a, const char *why, const char *ended_reason) {
    char body[1024];
    hk_metric_inc(HK_M_CALLS_BUSY);
    hk_log(HK_LOG_WARN, c->sid, "call_busy", "agent %s refused: %s reached", a->id, why);
    in_record_ended(c, c->tenant[0] ? a->id : NULL, ended_reason);
    hk_twiml_say_hangup(body, sizeof body, "Sorry, all our lines are busy right now. "
                        "Please call again in a few minutes.", NULL);
    in_reply(c, 200, "text/xml", body);
    hk_agent_unref(a);
    free(c);
}

/* The slot's answer (cluster/call_limits): busy gets a short message and a hang-up */
static void in_slot(void *ud, int granted, const char *why) {
    in_call *c = ud;
    hk_agent *a = c->agent;
    c->agent = NULL;
    c->slot_checked = 1;
    if (granted) {
        in_answer(c, a, c->tenant[0] ? c->tenant : NULL, c->version_ms);
        return;
    }
    in_busy(c, a, why, strstr(why, "tenant") ? "call.start.error-hark-tenant-max-calls"
                                             : "call.start.error-hark-max-concurrent-calls");
}

/* Calls per minute of the agent (cluster/rate_limit): over it, busy */
static void in_rated(void *ud, int allowed, int retry_after_s) {
    (void)retry_after_s;
    in_call *c = ud;
    hk_agent *a = c->agent;
    c->agent = NULL;
    c->rate_checked = 1;
    if (allowed) {
        in_answer(c, a, c->tenant[0] ? c->tenant : NULL, c->version_ms);
        return;
    }
    in_busy(c, a, "agent calls_per_minute", "call.start.error-hark-calls-per-minute");
}

/* Defers c and keeps a while a limit is asked (the answer comes on the loop). */
static void in_hold(in_call *c, hk_agent *a, const char *tenant, long long version_ms) {
    if (!c->pending && c->req) c->pending = hk_http_defer(c->req);
    c->req = NULL;
    c->agent = a;
    c->version_ms = version_ms;
    snprintf(c->tenant, sizeof c->tenant, "%s", tenant ? tenant : "");
}

static void in_answer(in_call *c, hk_agent *a, const char *tenant, long long version_ms) {
    hk_app *app = c->app;
    if (!a) {
        not_in_service(c);
        free(c);
        return;
    }
    long cpm = a->calls_per_minute >= 0
                   ? a->calls_per_minute
                   : hk_config_long(app->cfg, HK_CFG_HARK_AGENT_CALLS_PER_MINUTE, 0);
    if (!c->rate_checked && cpm > 0) {
        c->rate_checked = 1;
        in_hold(c, a, tenant, version_ms);
        char id[256];
        snprintf(id, sizeof id, "%s:%s", tenant ? tenant : HK_DEFAULT_TENANT, a->id);
        hk_rate_limit_take("calls-per-minute", id, cpm, 60000, in_rated, c);
        return;
    }
    if (!c->slot_checked && hk_call_limits_apply(a->max_concurrent_calls)) {
        c->slot_checked = 1;
        in_hold(c, a, tenant, version_ms);
        hk_call_limits_acquire(c->sid, tenant ? tenant : HK_DEFAULT_TENANT, a->id,
                               a->max_concurrent_calls, in_slot, c);
        return;
    }
    char ref[HK_STREAM_TOKEN_FIELD_MAX + 1], token[HK_STREAM_TOKEN_MAX], url[512], action[640];
    char body[4096];
    if (tenant) snprintf(ref, sizeof ref, "api:%s:%s:%lld", tenant, a->id, version_ms);
    else snprintf(ref, sizeof ref, "%s", a->id);
    hk_stream_token_make(app->stream_secret, c->sid, ref, (int64_t)time(NULL) + app->stream_token_ttl_s,
                         token, sizeof token);
    snprintf(url, sizeof url, "%s/voice/stream/%s", app->stream_base, c->sid);
    snprintf(action, sizeof action, "%s/connect-status", app->webhook_url);
    hk_twiml_param params[] = {{"agent", a->id}, {"token", token}, {"from", c->from},
                               {"to", c->to}, {"direction", c->dir[0] ? c->dir : "inbound"}};
    hk_twiml_stream s = {.say = a->consent_message, .action = action, .url = url,
                         .params = params, .n_params = 5};
    if (hk_twiml_connect_stream(body, sizeof body, &s) < 0) {
        in_reply(c, 500, "text/plain", "cannot build TwiML\n");
    } else {
        char from_m[32], to_m[32];
        app->last_stream_offer = ev_now(app->loop); /* a draining worker waits for its stream */
        hk_log(HK_LOG_INFO, c->sid, "call_incoming", "from %s to %s: agent %s version %d%s",
               c->from[0] ? hk_log_mask_number(c->from, from_m, sizeof from_m) : "?",
               hk_log_mask_number(c->to, to_m, sizeof to_m), a->id, a->version,
               tenant ? " (API assistant)" : "");
        /* the call record exists from the first webhook (the stream may never come) */
        if (app->store) {
            hk_store_call r = {.call_sid = c->sid, .tenant_id = tenant ? tenant : HK_DEFAULT_TENANT,
                               .agent_id = tenant ? a->id : NULL, .from = c->from, .to = c->to,
                               .inbound = !c->dir[0] || strcmp(c->dir, "inbound") == 0,
                               .status = "ringing"};
            hk_store_call_create(app->store, &r);
        }
        in_reply(c, 200, "text/xml", body);
    }
    hk_agent_unref(a);
    free(c);
}

/* the file agent answering the To number, if any */
static void in_answer_file(in_call *c) {
    in_answer(c, hk_agent_dir_get(c->app->agents, c->to), NULL, 0);
}

typedef struct in_api {
    in_call *c;
    char tenant[37];
} in_api;

static void in_api_agent(void *ud, hk_agent *a, long long version_ms, const char *err) {
    in_api *q = ud;
    if (err) hk_log(HK_LOG_ERROR, q->c->sid, "assistant_unavailable", "%s", err);
    in_answer(q->c, a, q->tenant, version_ms);
    free(q);
}

static void in_load_api(in_call *c, const char *tenant, const char *id) {
    in_api *q = calloc(1, sizeof *q);
    if (!q) abort();
    q->c = c;
    snprintf(q->tenant, sizeof q->tenant, "%s", tenant);
    hk_agent_dir_get_api(c->app->agents, c->app->store, tenant, id, 0, in_api_agent, q);
}

/* ---- assistant-request (telephony/assistant_request.c): a number with a
 * server URL and no assistant asks its server who answers ---- */

/* No assistant answers: a polite line, a hang-up and the record saying why. */
static void in_ar_goodbye(in_call *c, const char *reason, const char *say) {
    char body[2048];
    hk_log(HK_LOG_WARN, c->sid, "call_unanswered", "%s", reason);
    in_record_ended(c, NULL, reason);
    if (hk_twiml_say_hangup(body, sizeof body, say, NULL) < 0)
        hk_twiml_say_hangup(body, sizeof body, "Sorry, we cannot take your call right now.", NULL);
    in_reply(c, 200, "text/xml", body);
    free(c);
}

/* Late or failed: the agent file for the To number, if any, else goodbye. */
static void in_ar_fallback(in_call *c, const char *reason) {
    hk_agent *f = hk_agent_dir_get(c->app->agents, c->to);
    if (f) {
        hk_log(HK_LOG_INFO, c->sid, "assistant_request_fallback", "%s: agent file %s answers",
               reason, f->id);
        c->tenant[0] = 0;
        in_answer(c, f, NULL, 0);
        return;
    }
    in_ar_goodbye(c, reason, "Sorry, we cannot take your call right now. Please try again later.");
}

static void in_ar_agent(void *ud, hk_agent *a, long long version_ms, const char *err) {
    in_api *q = ud;
    if (err) hk_log(HK_LOG_ERROR, q->c->sid, "assistant_unavailable", "%s", err);
    if (a) in_answer(q->c, a, q->tenant, version_ms);
    else in_ar_goodbye(q->c, err ? "assistant-request-failed" : "assistant-not-found",
                       "Sorry, we cannot take your call right now. Please try again later.");
    free(q);
}

/* The tenant's assistant id (another tenant's is not found). */
static void in_ar_load(in_call *c, const char *id) {
    in_api *q = calloc(1, sizeof *q);
    if (!q) abort();
    q->c = c;
    snprintf(q->tenant, sizeof q->tenant, "%.36s", c->tenant);
    hk_agent_dir_get_api(c->app->agents, c->app->store, q->tenant, id, 0, in_ar_agent, q);
}

static void in_ar_stored(void *ud, cJSON *doc, const char *err) {
    in_call *c = ud;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "id");
    if (err || !cJSON_IsString(id)) in_ar_fallback(c, "assistant-request-failed");
    else in_ar_load(c, id->valuestring);
    cJSON_Delete(doc);
}

/* A transient assistant, as POST /call keeps one: checked by loading it,
 * stored as the tenant's assistant marked metadata.hark.transient (so any
 * worker's stream finds it by id), then answered like any other. */
static void in_ar_transient(in_call *c, const cJSON *as) {
    char *text = cJSON_PrintUnformatted(as), err[512];
    hk_agent *a = text ? hk_agent_load_json(c->app->vm, "check", text, 1, err, sizeof err) : NULL;
    free(text);
    if (!a) {
        hk_log(HK_LOG_WARN, c->sid, "assistant_request_invalid", "the transient assistant: %s", err);
        in_ar_fallback(c, "assistant-request-failed");
        return;
    }
    hk_agent_unref(a);
    cJSON *doc = cJSON_Duplicate(as, 1);
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
    if (!cJSON_IsObject(meta)) {
        cJSON_DeleteItemFromObjectCaseSensitive(doc, "metadata");
        meta = cJSON_AddObjectToObject(doc, "metadata");
    }
    cJSON *hark = cJSON_GetObjectItemCaseSensitive(meta, "hark");
    if (!cJSON_IsObject(hark)) {
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "hark");
        hark = cJSON_AddObjectToObject(meta, "hark");
    }
    cJSON_DeleteItemFromObjectCaseSensitive(hark, "transient");
    cJSON_AddTrueToObject(hark, "transient");
    hk_store_doc_create(c->app->store, HK_DOC_ASSISTANT, c->tenant, doc, in_ar_stored, c);
    cJSON_Delete(doc);
}

static void in_ar_done(void *ud, const hk_ar_reply *r) {
    in_call *c = ud;
    char body[4096], num_m[32];
    switch (r->kind) {
    case HK_AR_ASSISTANT_ID:
        in_ar_load(c, r->assistant_id);
        break;
    case HK_AR_ASSISTANT:
        in_ar_transient(c, r->assistant);
        break;
    case HK_AR_DESTINATION: /* forwarded, no AI */
        if (hk_twiml_say_dial(body, sizeof body, r->message, r->number) < 0) {
            in_ar_fallback(c, "assistant-request-failed");
            break;
        }
        hk_log(HK_LOG_INFO, c->sid, "call_forwarded", "assistant-request: dialling %s",
               hk_log_mask_number(r->number, num_m, sizeof num_m));
        in_record_ended(c, NULL, "assistant-forwarded-call");
        in_reply(c, 200, "text/xml", body);
        free(c);
        break;
    case HK_AR_ERROR:
        in_ar_goodbye(c, "assistant-request-returned-error", r->error);
        break;
    default:
        in_ar_fallback(c, "assistant-request-failed");
    }
}

static void in_ar_send(in_call *c, const cJSON *num) {
    hk_ar_request q = {.call_sid = c->sid, .tenant = c->tenant, .from = c->from, .to = c->to,
                       .number = num};
    hk_assistant_request(c->app->loop, &q, in_ar_done, c);
}

typedef struct in_org {
    in_call *c;
    cJSON *num;
} in_org;

/* A number with neither assistant nor server: its org's server is asked
 * (store/org_server.h), as if the number named it; no org server: the files'. */
static void in_org_server(void *ud, const hk_org_server *srv) {
    in_org *o = ud;
    if (srv) {
        cJSON_DeleteItemFromObjectCaseSensitive(o->num, "serverUrl");
        cJSON_DeleteItemFromObjectCaseSensitive(o->num, "serverUrlSecret");
        cJSON_DeleteItemFromObjectCaseSensitive(o->num, "server");
        cJSON_AddItemToObject(o->num, "server", cJSON_Duplicate(srv->json, 1));
        in_ar_send(o->c, o->num);
    } else {
        o->c->tenant[0] = 0;
        in_answer_file(o->c);
    }
    cJSON_Delete(o->num);
    free(o);
}

/* The store's answer for the To number: its tenant's assistant; a number
 * with a server URL and no assistant asks the server (assistant-request),
 * one without a server its org's server; a number the API does not know
 * (or one without any of these) is the files' */
static void in_number(void *ud, cJSON *num, const char *err) {
    in_call *c = ud;
    const cJSON *org = cJSON_GetObjectItemCaseSensitive(num, "orgId");
    const cJSON *aid = cJSON_GetObjectItemCaseSensitive(num, "assistantId");
    if (err) hk_log(HK_LOG_ERROR, c->sid, "number_lookup_failed", "%s (trying agent files)", err);
    if (!err && cJSON_IsString(org) && !cJSON_IsString(aid) &&
        strlen(org->valuestring) < sizeof c->tenant) {
        snprintf(c->tenant, sizeof c->tenant, "%s", org->valuestring);
        if (hk_ar_server_url(num)) {
            in_ar_send(c, num);
            cJSON_Delete(num);
        } else {
            in_org *o = malloc(sizeof *o);
            if (!o) abort();
            *o = (in_org){c, num};
            hk_org_server_get(c->app->store, c->tenant, in_org_server, o);
        }
        return;
    }
    if (!err && cJSON_IsString(org) && cJSON_IsString(aid)) {
        hk_agent *f = strcmp(org->valuestring, HK_DEFAULT_TENANT) == 0
                          ? hk_agent_dir_get(c->app->agents, aid->valuestring)
                          : NULL;
        if (f) in_answer(c, f, NULL, 0);
        else in_load_api(c, org->valuestring, aid->valuestring);
    } else {
        in_answer_file(c);
    }
    cJSON_Delete(num);
}

/* The agent of an outbound call is named in the webhook URL hark gave
 * Twilio (?agent=ID, and &tenant=T for an API assistant; the URL is signed
 * by Twilio like the body); an inbound call's agent answers the To number:
 * an API number (through the store) first, then the agent files. */
static void incoming_call(hk_app *app, const hk_http_request *req, hk_form *f,
                          hk_http_response *resp) {
    const char *sid = hk_form_get(f, "CallSid");
    const char *to = hk_form_get(f, "To");
    const char *from = hk_form_get(f, "From");
    const char *dir = hk_form_get(f, "Direction");
    char body[1024];
    if (!sid || !to || strlen(sid) >= 64 || strlen(to) >= 40 || (from && strlen(from) >= 40)) {
        hk_resp_text(resp, 400, "text/plain", "CallSid and To are required\n");
        return;
    }
    if (app->refusing) {
        hk_twiml_say_hangup(body, sizeof body, "Sorry, we cannot take your call right now. "
                            "Please call again in a minute.", NULL);
        xml(resp, body);
        return;
    }
    in_call *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->app = app;
    c->resp = resp;
    c->req = req;
    snprintf(c->sid, sizeof c->sid, "%s", sid);
    snprintf(c->to, sizeof c->to, "%s", to);
    snprintf(c->from, sizeof c->from, "%s", from ? from : "");
    snprintf(c->dir, sizeof c->dir, "%s", dir ? dir : "");
    hk_form_param p[8];
    char buf[512], err[64], agent[100] = "", tenant[40] = "";
    hk_form q;
    hk_form_init(&q, p, 8, buf, sizeof buf);
    if (req->query[0] && strlen(req->query) < 300 &&
        hk_form_parse(&q, req->query, strlen(req->query), err, sizeof err) > 0) {
        const char *a = hk_form_get(&q, "agent"), *t = hk_form_get(&q, "tenant");
        if (a) snprintf(agent, sizeof agent, "%s", a);
        if (t) snprintf(tenant, sizeof tenant, "%s", t);
    }
    if (agent[0]) {
        hk_agent *a = hk_agent_dir_get(app->agents, agent);
        if (a || !tenant[0] || !app->store || !(c->pending = hk_http_defer(req))) {
            in_answer(c, a, NULL, 0);
            return;
        }
        in_load_api(c, tenant, agent);
        return;
    }
    if (!app->store || !(c->pending = hk_http_defer(req))) {
        in_answer_file(c);
        return;
    }
    hk_store_number_find(app->store, c->to, in_number, c);
}
static void connect_status(hk_app *app, const char *query, hk_form *f, hk_http_response *resp) {
    const char *sid = hk_form_get(f, "CallSid");
    char number[64], body[1024];
    const char *dial = signed_transfer(app, query, sid, number, sizeof number);
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
    if (sid && status && (!strcmp(status, "completed") || !strcmp(status, "busy") ||
                          !strcmp(status, "failed") || !strcmp(status, "no-answer") ||
                          !strcmp(status, "canceled")))
        hk_call_limits_release(sid); /* the call is over: its slot (the stream may not end it) */
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
        if (!*rest || !strcmp(rest, "/")) incoming_call(app, req, &f, resp);
        else if (!strcmp(rest, "/connect-status")) connect_status(app, req->query, &f, resp);
        else status_callback(app, &f, resp);
    }
    free(buf);
    return 1;
}
