/* agent/call_events: subscriber table and emission of a call's typed
 * events (see call_events.h). A handful of subscribers per worker, called
 * in order on the loop. */
#include "agent/call_events.h"

#include <stddef.h>

static struct {
    hk_call_event_cb cb;
    void *ud;
} subs[HK_CALL_EVENT_SUBSCRIBERS];

static const char *const names[HK_CE_COUNT] = {
    "call.started",     "call.ended",      "call.state",       "call.transcript",
    "call.speech",      "call.interrupted", "call.tool_call",  "call.tool_result",
    "call.hang",        "call.conversation",
};

int hk_call_events_subscribe(hk_call_event_cb cb, void *ud) {
    for (int i = 0; i < HK_CALL_EVENT_SUBSCRIBERS; i++) {
        if (!subs[i].cb) {
            subs[i].cb = cb;
            subs[i].ud = ud;
            return i;
        }
    }
    return -1;
}

void hk_call_events_unsubscribe(int handle) {
    if (handle < 0 || handle >= HK_CALL_EVENT_SUBSCRIBERS) return;
    subs[handle].cb = NULL;
    subs[handle].ud = NULL;
}

void hk_call_emit(hk_call *c, hk_call_event *ev) {
    if (ev->at == 0) ev->at = hk_call_now(c);
    for (int i = 0; i < HK_CALL_EVENT_SUBSCRIBERS; i++)
        if (subs[i].cb) subs[i].cb(subs[i].ud, c, ev);
}

void hk_call_emit_status(hk_call *c, hk_call_event_type type, const char *status, int turn) {
    hk_call_event ev = {.type = type, .status = status, .turn = turn};
    hk_call_emit(c, &ev);
}

void hk_call_emit_text(hk_call *c, hk_call_event_type type, const char *role, const char *text,
                       int final, int turn) {
    hk_call_event ev = {.type = type, .role = role, .text = text, .final = final, .turn = turn};
    hk_call_emit(c, &ev);
}

const char *hk_call_event_name(hk_call_event_type type) {
    return (unsigned)type < HK_CE_COUNT ? names[type] : "call.unknown";
}
