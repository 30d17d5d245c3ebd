/* agent/transcript: the conversation record of a call (messages with their
 * times, per-turn latency marks) and its JSON form, written with jansson:
 * {"agent", "call_id", "ended_reason", "duration_ms", "messages":[{role, text,
 * start_ms, end_ms}], "turns":[{user_end_ms, stt_final_ms, reply_ready_ms,
 * first_audio_ms}]}. Times are milliseconds since the call started. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/call.h"

int hk_call_add_message(hk_call *c, int role, const char *text, double start, double end) {
    if (c->n_msgs >= HK_MAX_MESSAGES) return -1;
    hk_message *m = &c->msgs[c->n_msgs];
    memset(m, 0, sizeof *m);
    m->role = role;
    m->text = strdup(text);
    m->start = start;
    m->end = end;
    m->confidence = -1;
    m->turn = -1;
    return c->n_msgs++;
}

static json_t *ms_or_null(double s) {
    return s < 0 ? json_null() : json_integer((json_int_t)llround(s * 1000.0));
}

int hk_call_write_transcript(const hk_call *c, const char *path, char *err, size_t errlen) {
    json_t *root = json_object();
    json_object_set_new(root, "agent", json_string(c->agent->name));
    json_object_set_new(root, "agent_version", json_integer(c->agent->version));
    json_object_set_new(root, "call_id", json_string(c->id));
    json_object_set_new(root, "ended_reason", json_string(c->end_reason));
    json_object_set_new(root, "duration_ms", ms_or_null(hk_call_now(c)));
    json_t *msgs = json_array();
    for (int i = 0; i < c->n_msgs; i++) {
        const hk_message *m = &c->msgs[i];
        json_t *o = json_object();
        json_object_set_new(o, "role", json_string(m->role ? "user" : "assistant"));
        json_object_set_new(o, "text", json_string(m->text));
        json_object_set_new(o, "start_ms", ms_or_null(m->start));
        json_object_set_new(o, "end_ms", ms_or_null(m->end));
        if (m->role && m->confidence >= 0)
            json_object_set_new(o, "confidence", json_real(m->confidence));
        json_array_append_new(msgs, o);
    }
    json_object_set_new(root, "messages", msgs);
    json_t *turns = json_array();
    for (int i = 0; i < c->n_turns; i++) {
        const hk_turn *t = &c->turns[i];
        json_t *o = json_object();
        json_object_set_new(o, "user_end_ms", ms_or_null(t->user_end));
        json_object_set_new(o, "stt_final_ms", ms_or_null(t->stt_final));
        json_object_set_new(o, "reply_ready_ms", ms_or_null(t->reply_ready));
        json_object_set_new(o, "first_audio_ms", ms_or_null(t->first_audio));
        json_array_append_new(turns, o);
    }
    json_object_set_new(root, "turns", turns);
    int rc = json_dump_file(root, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (rc != 0) snprintf(err, errlen, "%s: cannot write transcript", path);
    return rc;
}
