/* agent/transcript: the conversation record of a call (messages with their
 * times, per-turn latency marks) and its JSON form, written with cJSON:
 * {"agent", "call_id", "ended_reason", "duration_ms", "messages":[{role, text,
 * start_ms, end_ms}] (role user|assistant, or tool_calls {tool_calls} and
 * tool_call_result {tool_results} for the LLM turn's tool exchanges), "turns":[{user_end_ms, stt_final_ms, llm_request_ms,
 * llm_first_token_ms, reply_ready_ms (first clause to TTS), tts_first_audio_ms,
 * first_audio_ms (first frame out), llm_end_ms (the model's last stream ended)}]}. Times are milliseconds since the call started. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/call.h"
#include "core/grow.h"
#include "core/log.h"

/* Assistant messages may use the last few slots, so an agent at the cap can
 * still say goodbye. */
#define HK_MSG_RESERVE 8

/* A cap was reached: say so once in the log, say the end message, end. */
static void record_full(hk_call *c, const char *what, int limit, const char *reason) {
    if (c->record_full) return;
    c->record_full = 1;
    hk_log(HK_LOG_WARN, c->id, "call_record_full",
           "the call reached its limit of %d %s; ending it (%s)", limit, what, reason);
    if (c->agent->end_message && !c->hangup_requested) hk_session_say(c, c->agent->end_message);
    hk_call_hangup(c, reason);
}

int hk_call_add_message(hk_call *c, int role, const char *text, double start, double end) {
    int limit = role ? HK_MAX_MESSAGES - HK_MSG_RESERVE : HK_MAX_MESSAGES;
    if (c->n_msgs >= limit) {
        record_full(c, "messages", HK_MAX_MESSAGES, "exceeded-max-messages");
        return -1;
    }
    char *copy = strdup(text);
    if (!copy || hk_grow((void **)&c->msgs, &c->msgs_cap, (size_t)c->n_msgs + 1, sizeof *c->msgs)) {
        free(copy);
        hk_log(HK_LOG_ERROR, c->id, "out_of_memory", "message %d not recorded", c->n_msgs);
        return -1;
    }
    hk_message *m = &c->msgs[c->n_msgs];
    memset(m, 0, sizeof *m);
    m->role = role;
    m->text = copy;
    m->start = start;
    m->end = end;
    m->confidence = -1;
    m->turn = -1;
    m->tts_first_audio = -1;
    return c->n_msgs++;
}

const char *hk_message_role_name(int role) {
    switch (role) {
    case HK_ROLE_USER: return "user";
    case HK_ROLE_TOOL_CALLS: return "tool_calls";
    case HK_ROLE_TOOL_RESULT: return "tool_call_result";
    default: return "assistant";
    }
}

int hk_call_add_turn(hk_call *c) {
    if (c->n_turns >= HK_MAX_TURNS) {
        record_full(c, "turns", HK_MAX_TURNS, "exceeded-max-turns");
        return -1;
    }
    if (hk_grow((void **)&c->turns, &c->turns_cap, (size_t)c->n_turns + 1, sizeof *c->turns)) {
        hk_log(HK_LOG_ERROR, c->id, "out_of_memory", "turn %d not recorded", c->n_turns);
        return -1;
    }
    hk_turn *t = &c->turns[c->n_turns];
    t->user_end = t->stt_final = t->llm_request = t->llm_first_token = -1;
    t->reply_ready = t->tts_first_audio = t->first_audio = t->llm_end = -1;
    return c->n_turns++;
}

/* milliseconds, or null for "did not happen" */
static void add_ms(cJSON *o, const char *name, double s) {
    if (s < 0) cJSON_AddNullToObject(o, name);
    else cJSON_AddNumberToObject(o, name, (double)llround(s * 1000.0));
}

int hk_call_write_transcript(const hk_call *c, const char *path, char *err, size_t errlen) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "agent", c->agent->name);
    cJSON_AddNumberToObject(root, "agent_version", c->agent->version);
    cJSON_AddStringToObject(root, "call_id", c->id);
    cJSON_AddStringToObject(root, "ended_reason", c->end_reason);
    add_ms(root, "duration_ms", hk_call_now(c));
    cJSON *msgs = cJSON_AddArrayToObject(root, "messages");
    for (int i = 0; i < c->n_msgs; i++) {
        const hk_message *m = &c->msgs[i];
        if (m->dropped) continue; /* cancelled before the caller heard any of it */
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "role", hk_message_role_name(m->role));
        cJSON_AddStringToObject(o, "text", m->text);
        if (m->tool_json) { /* the calls, or the result with its call id and tool name */
            cJSON *tj = cJSON_Parse(m->tool_json);
            if (tj) cJSON_AddItemToObject(o, m->role == HK_ROLE_TOOL_CALLS ? "tool_calls" : "tool_results", tj);
        }
        add_ms(o, "start_ms", m->start);
        add_ms(o, "end_ms", m->end);
        if (m->role && m->confidence >= 0) cJSON_AddNumberToObject(o, "confidence", m->confidence);
        if (m->interrupted) cJSON_AddTrueToObject(o, "interrupted");
        cJSON_AddItemToArray(msgs, o);
    }
    cJSON *turns = cJSON_AddArrayToObject(root, "turns");
    for (int i = 0; i < c->n_turns; i++) {
        const hk_turn *t = &c->turns[i];
        cJSON *o = cJSON_CreateObject();
        add_ms(o, "user_end_ms", t->user_end);
        add_ms(o, "stt_final_ms", t->stt_final);
        add_ms(o, "llm_request_ms", t->llm_request);
        add_ms(o, "llm_first_token_ms", t->llm_first_token);
        add_ms(o, "reply_ready_ms", t->reply_ready);
        add_ms(o, "tts_first_audio_ms", t->tts_first_audio);
        add_ms(o, "first_audio_ms", t->first_audio);
        add_ms(o, "llm_end_ms", t->llm_end);
        cJSON_AddItemToArray(turns, o);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    int rc = -1;
    FILE *f = text ? fopen(path, "w") : NULL;
    if (f) {
        rc = fputs(text, f) < 0 || fputc('\n', f) < 0 ? -1 : 0;
        if (fclose(f) != 0) rc = -1;
    }
    free(text);
    if (rc != 0) snprintf(err, errlen, "%s: cannot write transcript", path);
    return rc;
}
