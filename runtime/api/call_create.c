/* api/call_create: Vapi's POST /call, placing an outbound phone call through
 * Twilio's REST API. The body: customer.number (E.164, required),
 * phoneNumberId (one of the tenant's numbers: the caller ID), assistantId
 * (one of the tenant's assistants) or assistant (a transient one), name.
 *
 * Order: validate the body (400 naming the field), read the number and the
 * assistant in the tenant's scope (another tenant's id is a 400 naming the
 * field, as Vapi answers an unknown id in a create body), ask Twilio to place
 * the call (Url = the incoming-call webhook with ?agent=ID&tenant=T, so the
 * answering worker loads this assistant; StatusCallback as for hark dial),
 * then write the call record keyed by Twilio's CallSid (status "queued",
 * outbound). The webhook and the stream write to that same row (calls.call_sid
 * is unique and call_create does nothing on a conflict), so there is one
 * record per call whichever write comes first. The answer is 201 with the
 * call object (call_json.c) read back from the store, phoneCallProviderId
 * being the CallSid.
 *
 * A transient assistant is stored as an assistant document of the tenant,
 * marked metadata.hark.transient = true, so the call loads it by id like any
 * other (any worker, any node); it is checked with hk_agent_load_json first
 * (its model.toolIds read from the tenant's tools: an unknown one is a 400).
 *
 * Errors from Twilio are a 400 naming Twilio's message, never a 5xx: Vapi's
 * SDKs retry a POST /call that answers 5xx, and Twilio may have placed the
 * call already (a timeout), so a retry could ring the customer twice. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/tool_ids.h"
#include "api/api.h"
#include "api/app.h"
#include "api/call.h"
#include "core/log.h"
#include "store/store.h"
#include "telephony/twilio_rest.h"

#define READ_TRIES 60      /* the record read back: every 50 ms, up to 3 s */
#define READ_EVERY_S 0.05

typedef struct call_create {
    hk_api_req *r;
    char number_id[64], assistant_id[64];
    char agent[37];        /* the assistant that runs the call */
    char from[40], to[40];
    char name[64];
    char sid[64];
    cJSON *transient;      /* the transient assistant's body, until stored */
    int tries;
    ev_timer timer;
} call_create;


static void finish_invalid(call_create *c, const char *why) {
    hk_api_req *r = c->r;
    cJSON_Delete(c->transient);
    free(c);
    hk_api_reply_invalid(r, why);
}

static void finish_error(call_create *c, int status, const char *why) {
    hk_api_req *r = c->r;
    cJSON_Delete(c->transient);
    free(c);
    hk_api_reply_error(r, status, why);
}

/* +, then 2 to 15 digits, the first not 0 */
static int is_e164(const char *s) {
    size_t n = strlen(s);
    if (n < 3 || n > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9') return 0;
    for (size_t i = 1; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    return 1;
}

/* ---- the record, read back and answered ---- */

static void read_record(call_create *c);

static void answer_record(call_create *c, const cJSON *one) {
    hk_api_req *r = c->r;
    cJSON *o;
    if (one) {
        o = hk_call_json(one, r->tenant_id, r->app->cfg, ev_now(r->app->loop));
    } else {
        /* the store has not shown the row yet: answer what was written */
        cJSON *rec = cJSON_CreateObject();
        cJSON_AddStringToObject(rec, "call_sid", c->sid);
        cJSON_AddStringToObject(rec, "agent_id", c->agent);
        cJSON_AddStringToObject(rec, "from_number", c->from);
        cJSON_AddStringToObject(rec, "to_number", c->to);
        cJSON_AddFalseToObject(rec, "inbound");
        cJSON_AddStringToObject(rec, "status", "queued");
        cJSON_AddNumberToObject(rec, "start_time", ev_now(r->app->loop));
        if (c->name[0]) cJSON_AddStringToObject(rec, "name", c->name);
        o = hk_call_json(rec, r->tenant_id, r->app->cfg, ev_now(r->app->loop));
        cJSON_Delete(rec);
    }
    cJSON_Delete(c->transient);
    free(c);
    hk_api_reply_json(r, 201, o);
}

static void renamed(void *ud, cJSON *result, const char *err) {
    call_create *c = ud;
    (void)err;
    answer_record(c, cJSON_IsObject(result) ? result : NULL);
    cJSON_Delete(result);
}

static void on_retry(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)revents;
    read_record(w->data);
}

static void got_record(void *ud, cJSON *result, const char *err) {
    call_create *c = ud;
    hk_api_req *r = c->r;
    cJSON *one = !err && cJSON_IsArray(result) ? cJSON_GetArrayItem(result, 0) : NULL;
    if (!one && ++c->tries < READ_TRIES) {
        cJSON_Delete(result);
        ev_timer_init(&c->timer, on_retry, READ_EVERY_S, 0);
        c->timer.data = c;
        ev_timer_start(r->app->loop, &c->timer);
        return;
    }
    if (one && c->name[0] && r->app->store->v->call_rename) {
        cJSON_Delete(result);
        r->app->store->v->call_rename(r->app->store, r->tenant_id, c->sid, c->name, renamed, c);
        return;
    }
    answer_record(c, one);
    cJSON_Delete(result);
}

static void read_record(call_create *c) {
    hk_store_call_query q = {.t = {.limit = 1}, .id = c->sid};
    c->r->app->store->v->call_records(c->r->app->store, c->r->tenant_id, &q, got_record, c);
}

/* ---- Twilio ---- */

static void placed(void *ud, const char *sid, int status, const char *err) {
    call_create *c = ud;
    hk_api_req *r = c->r;
    if (!sid) {
        char why[400];
        snprintf(why, sizeof why, "Twilio did not place the call: %s",
                 err ? err : "no call sid in its answer");
        hk_log(HK_LOG_WARN, NULL, "call_create_refused", "%s (HTTP %d)", why, status);
        finish_error(c, 400, why);
        return;
    }
    snprintf(c->sid, sizeof c->sid, "%s", sid);
    char to_m[32];
    hk_log(HK_LOG_INFO, c->sid, "call_created", "outbound call to %s, assistant %s (POST /call)",
           hk_log_mask_number(c->to, to_m, sizeof to_m), c->agent);
    hk_store_call rec = {.call_sid = c->sid, .tenant_id = r->tenant_id, .agent_id = c->agent,
                         .from = c->from, .to = c->to, .inbound = 0, .status = "queued"};
    hk_store_call_create(r->app->store, &rec);
    read_record(c);
}

static void place(call_create *c) {
    hk_app *app = c->r->app;
    char err[512];
    if (hk_twilio_place_call_tenant(app->http, app->cfg, app->webhook_url, c->agent,
                                    c->r->tenant_id, c->to, c->from, placed, c, err,
                                    sizeof err) != 0) {
        char why[600];
        snprintf(why, sizeof why, "cannot place the call: %s", err);
        finish_error(c, 400, why);
    }
}

/* ---- the assistant ---- */

static void transient_stored(void *ud, cJSON *doc, const char *err) {
    call_create *c = ud;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "id");
    if (err || !cJSON_IsString(id) || strlen(id->valuestring) >= sizeof c->agent) {
        cJSON_Delete(doc);
        finish_error(c, 503, "the store is unavailable; try again");
        return;
    }
    snprintf(c->agent, sizeof c->agent, "%s", id->valuestring);
    cJSON_Delete(doc);
    place(c);
}

static void got_assistant(void *ud, cJSON *doc, const char *err) {
    call_create *c = ud;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "id");
    if (err) {
        cJSON_Delete(doc);
        finish_error(c, 503, "the store is unavailable; try again");
        return;
    }
    if (!cJSON_IsString(id) || strlen(id->valuestring) >= sizeof c->agent) {
        cJSON_Delete(doc);
        finish_invalid(c, "assistantId: Couldn't find the assistant (no assistant with this id)");
        return;
    }
    snprintf(c->agent, sizeof c->agent, "%s", id->valuestring);
    cJSON_Delete(doc);
    place(c);
}

static void check_transient(call_create *c, const char *tools_json);

/* the transient assistant's model.toolIds read: each must name a tool */
static void transient_tools(void *ud, char *tools_json, const cJSON *missing, const char *err) {
    call_create *c = ud;
    char why[200];
    if (err) {
        finish_error(c, 503, "the store is unavailable; try again");
    } else if (cJSON_GetArraySize(missing) > 0) {
        snprintf(why, sizeof why, "assistant.model.toolIds names no tool of this organisation (%.64s)",
                 cJSON_GetArrayItem(missing, 0)->valuestring);
        finish_invalid(c, why);
    } else {
        check_transient(c, tools_json);
    }
    free(tools_json);
}

static void find_assistant(call_create *c) {
    hk_api_req *r = c->r;
    if (!c->transient) {
        hk_store_doc_get(r->app->store, HK_DOC_ASSISTANT, r->tenant_id, c->assistant_id,
                         got_assistant, c);
        return;
    }
    if (hk_tool_ids_present(c->transient))
        hk_tool_ids_resolve(r->app->store, r->tenant_id, c->transient, transient_tools, c);
    else
        check_transient(c, NULL);
}

static void check_transient(call_create *c, const char *tools_json) {
    hk_api_req *r = c->r;
    /* a transient assistant must run before it is stored */
    char *text = cJSON_PrintUnformatted(c->transient);
    char err[1024], why[1100];
    hk_agent *a = text ? hk_agent_load_json_tools(r->app->vm, "check", text, tools_json, 1, err,
                                                  sizeof err)
                       : NULL;
    free(text);
    if (!a) {
        snprintf(why, sizeof why, "assistant: %s", err);
        finish_invalid(c, why);
        return;
    }
    hk_agent_unref(a);
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(c->transient, "metadata");
    if (!cJSON_IsObject(meta)) {
        cJSON_DeleteItemFromObjectCaseSensitive(c->transient, "metadata");
        meta = cJSON_AddObjectToObject(c->transient, "metadata");
    }
    cJSON *hark = cJSON_GetObjectItemCaseSensitive(meta, "hark");
    if (!cJSON_IsObject(hark)) {
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "hark");
        hark = cJSON_AddObjectToObject(meta, "hark");
    }
    cJSON_DeleteItemFromObjectCaseSensitive(hark, "transient");
    cJSON_AddTrueToObject(hark, "transient");
    hk_store_doc_create(r->app->store, HK_DOC_ASSISTANT, r->tenant_id, c->transient,
                        transient_stored, c);
}

/* ---- the number ---- */

static void got_number(void *ud, cJSON *doc, const char *err) {
    call_create *c = ud;
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(doc, "number");
    if (err) {
        cJSON_Delete(doc);
        finish_error(c, 503, "the store is unavailable; try again");
        return;
    }
    if (!doc) {
        finish_invalid(c, "phoneNumberId: Couldn't find the phone number (no number with this id)");
        return;
    }
    if (!cJSON_IsString(n) || !is_e164(n->valuestring)) {
        cJSON_Delete(doc);
        finish_invalid(c, "phoneNumberId: this phone number has no E.164 number to call from");
        return;
    }
    snprintf(c->from, sizeof c->from, "%s", n->valuestring);
    cJSON_Delete(doc);
    find_assistant(c);
}

/* ---- the body ---- */

const char *hk_call_create_check(const cJSON *body) {
    if (!cJSON_IsObject(body)) return "the body must be a JSON object";
    const cJSON *cu = cJSON_GetObjectItemCaseSensitive(body, "customer");
    const cJSON *num = cJSON_GetObjectItemCaseSensitive(cu, "number");
    const cJSON *aid = cJSON_GetObjectItemCaseSensitive(body, "assistantId");
    const cJSON *as = cJSON_GetObjectItemCaseSensitive(body, "assistant");
    const cJSON *pid = cJSON_GetObjectItemCaseSensitive(body, "phoneNumberId");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "name");
    const char *why = NULL;
    if (cJSON_GetObjectItemCaseSensitive(body, "customers"))
        why = "customers (batch calls) is not supported: give one customer";
    else if (!cJSON_IsObject(cu))
        why = "customer must be an object with number (E.164)";
    else if (!cJSON_IsString(num))
        why = "customer.number must be a string in E.164 format (+15551234567)";
    else if (!is_e164(num->valuestring))
        why = "customer.number must be a valid phone number in E.164 format (+15551234567)";
    else if (aid && as)
        why = "give assistantId or assistant, not both";
    else if (!aid && !as)
        why = "assistantId or assistant is required";
    else if (aid && (!cJSON_IsString(aid) || !hk_store_is_uuid(aid->valuestring)))
        why = "assistantId must be a UUID";
    else if (as && !cJSON_IsObject(as))
        why = "assistant must be an object";
    else if (!pid && cJSON_GetObjectItemCaseSensitive(body, "phoneNumber"))
        why = "phoneNumber (a transient number) is not supported: register the number with "
              "POST /phone-number and give phoneNumberId";
    else if (!pid)
        why = "phoneNumberId is required";
    else if (!cJSON_IsString(pid) || !hk_store_is_uuid(pid->valuestring))
        why = "phoneNumberId must be a UUID";
    else if (name && (!cJSON_IsString(name) || strlen(name->valuestring) > 40))
        why = "name must be a string of at most 40 characters";
    return why;
}

/* 0, or -1 after answering 400 */
static int parse_body(hk_api_req *r, cJSON *body, call_create *c) {
    const char *why = hk_call_create_check(body);
    if (why) {
        hk_api_reply_invalid(r, why);
        return -1;
    }
    const cJSON *cu = cJSON_GetObjectItemCaseSensitive(body, "customer");
    const cJSON *num = cJSON_GetObjectItemCaseSensitive(cu, "number");
    const cJSON *aid = cJSON_GetObjectItemCaseSensitive(body, "assistantId");
    const cJSON *as = cJSON_GetObjectItemCaseSensitive(body, "assistant");
    const cJSON *pid = cJSON_GetObjectItemCaseSensitive(body, "phoneNumberId");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "name");
    snprintf(c->to, sizeof c->to, "%s", num->valuestring);
    snprintf(c->number_id, sizeof c->number_id, "%s", pid->valuestring);
    if (aid) snprintf(c->assistant_id, sizeof c->assistant_id, "%s", aid->valuestring);
    else c->transient = hk_store_doc_body(as);
    if (name) snprintf(c->name, sizeof c->name, "%s", name->valuestring);
    return 0;
}

void hk_api_call_create(hk_api_req *r) {
    hk_store *s = r->app->store;
    if (!s) {
        hk_api_reply_error(r, 503, "no store: calls need the database (HARK_STORE)");
        return;
    }
    if (!s->v->call_records || !s->v->doc_get) {
        hk_api_reply_error(r, 501, "this store does not serve /call yet");
        return;
    }
    cJSON *body = hk_api_body_object(r);
    if (!body) return;
    call_create *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->r = r;
    int rc = parse_body(r, body, c);
    cJSON_Delete(body);
    if (rc != 0) {
        cJSON_Delete(c->transient);
        free(c);
        return;
    }
    hk_store_doc_get(s, HK_DOC_PHONE_NUMBER, r->tenant_id, c->number_id, got_number, c);
}
