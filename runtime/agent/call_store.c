/* agent/call_store: the call's record in the store (PostgreSQL or memory),
 * written while the call goes on: the call row when it starts, each message
 * once it is final (a user turn when transcribed; an assistant line once it
 * has played, or been cut by barge-in to the words heard; a tool exchange of
 * the LLM turn as it happens) with the latency
 * marks of the turn it answers, and the summary when it ends. The store
 * never blocks: it queues, and spools to disk when the database is away. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/call.h"

static double wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double ms(double s) { return s < 0 ? -1 : round(s * 1000.0); }

void hk_call_store_begin(hk_call *c) {
    if (!c->store) return;
    hk_store_call r = {.call_sid = c->id, .tenant_id = c->tenant_id, .agent_id = NULL,
                       .from = c->from, .to = c->to, .inbound = c->inbound,
                       .status = "in-progress", .start_time = wall_now()};
    hk_store_call_create(c->store, &r); /* a no-op when the webhook made the row */
    hk_store_call_status(c->store, c->tenant_id, c->id, "in-progress");
}

/* Tool calls are an assistant message with tool_calls_json, a result a "tool"
 * message with tool_results_json ([{toolCallId, name, result}]): what Vapi's
 * tool_calls / tool_call_result items are built from. */
static const char *store_role(int role) {
    return role == HK_ROLE_USER ? "user" : role == HK_ROLE_TOOL_RESULT ? "tool" : "assistant";
}

static void store_one(hk_call *c, int i) {
    hk_message *m = &c->msgs[i];
    double t0_wall = wall_now() - hk_call_now(c); /* wall time of call time 0 */
    hk_store_message sm = {.call_sid = c->id, .tenant_id = c->tenant_id, .seq = i,
                           .role = store_role(m->role), .content = m->text,
                           .ts = t0_wall + (m->start >= 0 ? m->start : hk_call_now(c)),
                           .confidence = m->role ? m->confidence : -1, .user_end_ms = -1,
                           .stt_final_ms = -1, .llm_first_token_ms = -1,
                           .tts_first_audio_ms = -1, .first_frame_ms = -1};
    if (m->role == HK_ROLE_TOOL_CALLS) sm.tool_calls_json = m->tool_json;
    if (m->role == HK_ROLE_TOOL_RESULT) sm.tool_results_json = m->tool_json;
    if (m->turn >= 0 && m->turn < c->n_turns && m->role <= HK_ROLE_USER) {
        const hk_turn *t = &c->turns[m->turn];
        sm.user_end_ms = ms(t->user_end);
        sm.stt_final_ms = ms(t->stt_final);
        if (!m->role) { /* the reply closes the turn: all its marks */
            sm.llm_first_token_ms = ms(t->llm_first_token >= 0 ? t->llm_first_token : t->reply_ready);
            sm.tts_first_audio_ms = ms(m->tts_first_audio);
            sm.first_frame_ms = ms(t->first_audio);
        }
    }
    hk_store_message_add(c->store, &sm);
    m->stored = 1;
}

/* A message is final when it is a user turn, or an assistant line that has
 * finished playing (end set). At the end of the call every message is. */
void hk_call_store_flush(hk_call *c, int final) {
    if (!c->store) return;
    int all_before = 1;
    for (int i = c->first_unstored; i < c->n_msgs; i++) {
        hk_message *m = &c->msgs[i];
        if (m->stored) continue;
        if (m->dropped) m->stored = 1; /* nothing the caller heard: no record */
        else if (m->role || m->end >= 0 || final) store_one(c, i);
        else all_before = 0;
        if (all_before) c->first_unstored = i + 1;
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void hk_call_store_end(hk_call *c) {
    if (!c->store) return;
    hk_call_store_flush(c, 1);
    /* the whole conversation as text, and the turn latencies */
    size_t cap = 256, len = 0;
    for (int i = 0; i < c->n_msgs; i++) cap += strlen(c->msgs[i].text) + 16;
    char *transcript = malloc(cap);
    transcript[0] = 0;
    for (int i = 0; i < c->n_msgs; i++)
        if (!c->msgs[i].dropped && c->msgs[i].role <= HK_ROLE_USER) /* what was said */
            len += (size_t)snprintf(transcript + len, cap - len, "%s: %s\n",
                                c->msgs[i].role ? "user" : "assistant", c->msgs[i].text);
    double *lat = malloc(((size_t)c->n_turns + 1) * sizeof *lat);
    int n = 0;
    for (int i = 0; lat && i < c->n_turns; i++)
        if (c->turns[i].first_audio >= 0 && c->turns[i].user_end >= 0)
            lat[n++] = (c->turns[i].first_audio - c->turns[i].user_end) * 1000.0;
    if (n) qsort(lat, (size_t)n, sizeof lat[0], cmp_double);
    char latency[160];
    if (n)
        snprintf(latency, sizeof latency, "{\"turns\":%d,\"p50_ms\":%.0f,\"p95_ms\":%.0f,\"max_ms\":%.0f}",
                 n, lat[(n - 1) / 2], lat[(int)((n - 1) * 0.95)], lat[n - 1]);
    else
        snprintf(latency, sizeof latency, "{\"turns\":0}");
    free(lat);
    hk_store_call_summary e = {.call_sid = c->id, .tenant_id = c->tenant_id, .end_time = wall_now(),
                               .duration_s = hk_call_now(c), .ended_reason = c->end_reason,
                               .transcript = transcript,
                               .recording_url = c->recording_url[0] ? c->recording_url : NULL,
                               .latency_json = latency, .cost_total = -1,
                               .llm_prompt_tokens = c->llm_prompt_tokens,
                               .llm_completion_tokens = c->llm_completion_tokens};
    hk_store_call_end(c->store, &e);
    free(transcript);
}
