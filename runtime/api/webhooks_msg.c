/* api/webhooks_msg: the bodies of Vapi server messages built from a call
 * (see vapi-api.md §5): the envelope {message:{type, timestamp, call,
 * assistant, customer, ...}} and each type's fields: status-update,
 * end-of-call-report, transcript, conversation-update (messages and
 * messagesOpenAIFormatted), speech-update, hang, user-interrupted. Pure
 * mapping: no I/O, no loop. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/agent.h"
#include "api/webhooks.h"
#include "api/call_cost.h"
#include "api/recording.h"
#include "core/config.h"

static void iso_time(double t, char *out, size_t n) {
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    char b[32];
    strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, n, "%s.%03dZ", b, (int)((t - (double)s) * 1000.0) % 1000);
}

/* {message:{type, timestamp, call:{...}, assistant, customer}}; returns message */
static cJSON *envelope(cJSON *root, const hk_call *c, const char *type, const char *call_status,
                       double now_wall) {
    double start_wall = now_wall - hk_call_now((hk_call *)c);
    char started[40];
    iso_time(start_wall, started, sizeof started);
    cJSON *m = cJSON_AddObjectToObject(root, "message");
    cJSON_AddStringToObject(m, "type", type);
    cJSON_AddNumberToObject(m, "timestamp", round(now_wall * 1000.0));
    cJSON *call = cJSON_AddObjectToObject(m, "call");
    cJSON_AddStringToObject(call, "id", c->id);
    if (c->tenant_id[0]) cJSON_AddStringToObject(call, "orgId", c->tenant_id);
    cJSON_AddStringToObject(call, "type", c->inbound ? "inboundPhoneCall" : "outboundPhoneCall");
    cJSON_AddStringToObject(call, "status", call_status);
    if (c->agent->id) cJSON_AddStringToObject(call, "assistantId", c->agent->id);
    cJSON_AddStringToObject(call, "startedAt", started);
    cJSON *cu = cJSON_AddObjectToObject(call, "customer");
    cJSON_AddStringToObject(cu, "number", c->inbound ? c->from : c->to);
    cJSON *as = cJSON_AddObjectToObject(m, "assistant");
    if (c->agent->id) cJSON_AddStringToObject(as, "id", c->agent->id);
    if (c->agent->name) cJSON_AddStringToObject(as, "name", c->agent->name);
    cJSON *cust = cJSON_AddObjectToObject(m, "customer");
    cJSON_AddStringToObject(cust, "number", c->inbound ? c->from : c->to);
    return m;
}

static char *print(cJSON *root) {
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return s;
}

static const hk_config *msg_cfg;

void hk_webhooks_set_config(const hk_config *cfg) { msg_cfg = cfg; }

char *hk_webhooks_build(const hk_call *c, const char *what, double now_wall) {
    int report = strcmp(what, "report") == 0;
    double dur = hk_call_now((hk_call *)c);
    double start_wall = now_wall - dur;
    char started[40], ended[40];
    iso_time(start_wall, started, sizeof started);
    iso_time(now_wall, ended, sizeof ended);
    cJSON *root = cJSON_CreateObject();
    cJSON *m = envelope(root, c, report ? "end-of-call-report" : "status-update",
                        report || !strcmp(what, "ended") ? "ended" : "in-progress", now_wall);
    if (!report) cJSON_AddStringToObject(m, "status", what);
    cJSON *call = cJSON_GetObjectItemCaseSensitive(m, "call");
    if (!report && strcmp(what, "ended") != 0) return print(root);
    cJSON_AddStringToObject(call, "endedAt", ended);
    cJSON_AddStringToObject(call, "endedReason", c->end_reason);
    cJSON_AddStringToObject(m, "endedReason", c->end_reason);
    if (!report) return print(root);
    /* the conversation: Vapi's messages (bot / user) and the text transcript */
    size_t cap = 64, len = 0;
    for (int i = 0; i < c->n_msgs; i++) cap += strlen(c->msgs[i].text) + 16;
    char *tr = malloc(cap);
    if (!tr) abort();
    tr[0] = 0;
    cJSON *art = cJSON_AddObjectToObject(m, "artifact");
    cJSON *msgs = cJSON_CreateArray();
    long tts_chars = 0;
    for (int i = 0; i < c->n_msgs; i++) {
        const hk_message *mm = &c->msgs[i];
        if (mm->dropped || mm->role > HK_ROLE_USER) continue; /* what was said */
        if (mm->role == HK_ROLE_ASSISTANT) tts_chars += hk_call_cost_chars(mm->text);
        len += (size_t)snprintf(tr + len, cap - len, "%s: %s\n", mm->role ? "User" : "AI", mm->text);
        double st = mm->start >= 0 ? mm->start : 0;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "role", mm->role ? "user" : "bot");
        cJSON_AddStringToObject(o, "message", mm->text);
        cJSON_AddNumberToObject(o, "time", round((start_wall + st) * 1000.0));
        if (mm->end >= 0) cJSON_AddNumberToObject(o, "endTime", round((start_wall + mm->end) * 1000.0));
        cJSON_AddNumberToObject(o, "secondsFromStart", round(st * 1000.0) / 1000.0);
        cJSON_AddItemToArray(msgs, o);
    }
    cJSON_AddStringToObject(art, "transcript", tr);
    cJSON_AddItemToObject(art, "messages", cJSON_Duplicate(msgs, 1));
    char rec[768]; /* a local file: the URL GET /call/{id}/recording serves it at */
    int rec_local = hk_recording_public_url(msg_cfg, c->id, c->recording_url, rec, sizeof rec);
    if (rec[0]) cJSON_AddStringToObject(art, "recordingUrl", rec);
    if (rec_local) cJSON_AddStringToObject(art, "stereoRecordingUrl", rec); /* caller left, agent right */
    cJSON_AddStringToObject(m, "transcript", tr);
    cJSON_AddItemToObject(m, "messages", msgs);
    if (rec[0]) cJSON_AddStringToObject(m, "recordingUrl", rec);
    free(tr);
    cJSON_AddObjectToObject(m, "analysis");
    cJSON_AddStringToObject(m, "startedAt", started);
    cJSON_AddStringToObject(m, "endedAt", ended);
    cJSON_AddNumberToObject(m, "durationSeconds", round(dur * 1000.0) / 1000.0);
    /* priced like GET /call prices the stored record (api/call_cost) */
    hk_call_usage u = {.seconds = dur, .tts_chars = tts_chars, .tokens_known = 1,
                       .prompt_tokens = (double)c->llm_prompt_tokens,
                       .completion_tokens = (double)c->llm_completion_tokens};
    hk_call_cost_add(m, msg_cfg, &u);
    return print(root);
}

/* The conversation so far in both of Vapi's forms: messages (role
 * system/user/bot/tool_calls/tool_call_result, message, times) and
 * messagesOpenAIFormatted (role system/user/assistant/tool, content,
 * tool_calls, tool_call_id). An assistant line counts once it has ended
 * (as heard, after a barge-in trim); lines cut before any was heard do not. */
static void conversation(cJSON *m, const hk_call *c, double now_wall) {
    double start_wall = now_wall - hk_call_now((hk_call *)c);
    cJSON *msgs = cJSON_AddArrayToObject(m, "messages");
    cJSON *oai = cJSON_AddArrayToObject(m, "messagesOpenAIFormatted");
    if (c->agent->system_prompt) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "role", "system");
        cJSON_AddStringToObject(o, "message", c->agent->system_prompt);
        cJSON_AddNumberToObject(o, "time", round(start_wall * 1000.0));
        cJSON_AddNumberToObject(o, "secondsFromStart", 0);
        cJSON_AddItemToArray(msgs, o);
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "role", "system");
        cJSON_AddStringToObject(o, "content", c->agent->system_prompt);
        cJSON_AddItemToArray(oai, o);
    }
    for (int i = 0; i < c->n_msgs; i++) {
        const hk_message *mm = &c->msgs[i];
        if (mm->dropped) continue;
        if (mm->role == HK_ROLE_ASSISTANT && (mm->end < 0 || !mm->text[0])) continue;
        double st = mm->start >= 0 ? mm->start : 0;
        cJSON *o = cJSON_CreateObject(), *p = cJSON_CreateObject();
        cJSON *calls = mm->tool_json ? cJSON_Parse(mm->tool_json) : NULL;
        switch (mm->role) {
        case HK_ROLE_USER:
        case HK_ROLE_ASSISTANT:
            cJSON_AddStringToObject(o, "role", mm->role == HK_ROLE_USER ? "user" : "bot");
            cJSON_AddStringToObject(o, "message", mm->text);
            cJSON_AddStringToObject(p, "role", mm->role == HK_ROLE_USER ? "user" : "assistant");
            cJSON_AddStringToObject(p, "content", mm->text);
            break;
        case HK_ROLE_TOOL_CALLS:
            cJSON_AddStringToObject(o, "role", "tool_calls");
            cJSON_AddItemToObject(o, "toolCalls", calls ? cJSON_Duplicate(calls, 1) : cJSON_CreateArray());
            cJSON_AddStringToObject(o, "message", mm->text);
            cJSON_AddStringToObject(p, "role", "assistant");
            cJSON_AddStringToObject(p, "content", mm->text);
            cJSON_AddItemToObject(p, "tool_calls", calls ? cJSON_Duplicate(calls, 1) : cJSON_CreateArray());
            break;
        default: { /* a tool's result */
            const cJSON *r0 = cJSON_IsArray(calls) ? cJSON_GetArrayItem(calls, 0) : NULL;
            const cJSON *nm = cJSON_GetObjectItemCaseSensitive(r0, "name");
            cJSON_AddStringToObject(o, "role", "tool_call_result");
            cJSON_AddStringToObject(o, "toolCallId", mm->tool_call_id ? mm->tool_call_id : "");
            if (cJSON_IsString(nm)) cJSON_AddStringToObject(o, "name", nm->valuestring);
            cJSON_AddStringToObject(o, "result", mm->text);
            cJSON_AddStringToObject(p, "role", "tool");
            cJSON_AddStringToObject(p, "tool_call_id", mm->tool_call_id ? mm->tool_call_id : "");
            cJSON_AddStringToObject(p, "content", mm->text);
        }
        }
        cJSON_Delete(calls);
        cJSON_AddNumberToObject(o, "time", round((start_wall + st) * 1000.0));
        if (mm->end >= 0) cJSON_AddNumberToObject(o, "endTime", round((start_wall + mm->end) * 1000.0));
        cJSON_AddNumberToObject(o, "secondsFromStart", round(st * 1000.0) / 1000.0);
        cJSON_AddItemToArray(msgs, o);
        cJSON_AddItemToArray(oai, p);
    }
}

const char *hk_webhooks_event_type(hk_call_event_type t) {
    switch (t) {
    case HK_CE_TRANSCRIPT: return "transcript";
    case HK_CE_CONVERSATION: return "conversation-update";
    case HK_CE_SPEECH: return "speech-update";
    case HK_CE_HANG: return "hang";
    case HK_CE_INTERRUPTED: return "user-interrupted";
    default: return NULL;
    }
}

char *hk_webhooks_build_event(const hk_call *c, const hk_call_event *ev, double now_wall) {
    const char *type = hk_webhooks_event_type(ev->type);
    if (!type) return NULL;
    cJSON *root = cJSON_CreateObject();
    cJSON *m = envelope(root, c, type, c->ended ? "ended" : "in-progress", now_wall);
    int turn = ev->turn >= 0 ? ev->turn : 0;
    switch (ev->type) {
    case HK_CE_TRANSCRIPT:
        cJSON_AddStringToObject(m, "role", ev->role ? ev->role : "user");
        cJSON_AddStringToObject(m, "transcriptType", ev->final ? "final" : "partial");
        cJSON_AddStringToObject(m, "transcript", ev->text ? ev->text : "");
        break;
    case HK_CE_CONVERSATION:
        conversation(m, c, now_wall);
        break;
    case HK_CE_SPEECH:
        cJSON_AddStringToObject(m, "status", ev->status ? ev->status : "started");
        cJSON_AddStringToObject(m, "role", ev->role ? ev->role : "user");
        cJSON_AddNumberToObject(m, "turn", turn);
        break;
    case HK_CE_INTERRUPTED: {
        char id[80];
        snprintf(id, sizeof id, "%s:%d", c->id, turn);
        cJSON_AddStringToObject(m, "turnId", id);
        break;
    }
    default: /* hang: the envelope says it all */
        break;
    }
    return print(root);
}
