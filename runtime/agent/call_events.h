/* agent/call_events: the typed events a call emits while it runs, fanned
 * out to the subscribers of this worker (api/webhooks turns them into Vapi
 * server messages; api/events pushes them to dashboard sockets and to Redis
 * for other nodes). Events are emitted on the loop; a subscriber must not
 * block and must copy what it keeps (the strings live only during the call
 * of its callback). Content (transcripts, tool arguments) travels in
 * events; subscribers log only lengths and ids below debug. */
#ifndef HK_AGENT_CALL_EVENTS_H
#define HK_AGENT_CALL_EVENTS_H

#include "agent/call.h"

typedef enum {
    HK_CE_STARTED = 0,  /* the call is in progress (status "in-progress") */
    HK_CE_ENDED,        /* the call ended: c->end_reason holds why (status "ended") */
    HK_CE_STATE,        /* status: "listening" | "thinking" | "speaking" */
    HK_CE_TRANSCRIPT,   /* role "user"|"assistant", final 0|1, text, turn */
    HK_CE_SPEECH,       /* role "user"|"assistant", status "started"|"stopped", turn */
    HK_CE_INTERRUPTED,  /* the caller barged in: turn */
    HK_CE_TOOL_CALL,    /* id, name, args (JSON text), turn */
    HK_CE_TOOL_RESULT,  /* id, name, text (the result), turn */
    HK_CE_HANG,         /* the assistant is late to answer a turn: turn */
    HK_CE_CONVERSATION, /* c->msgs changed (a turn or tool exchange completed) */
    HK_CE_COUNT
} hk_call_event_type;

typedef struct {
    hk_call_event_type type;
    const char *status; /* STARTED "in-progress", ENDED "ended", STATE, SPEECH */
    const char *role;   /* TRANSCRIPT, SPEECH */
    const char *text;   /* TRANSCRIPT, TOOL_RESULT */
    const char *id;     /* TOOL_CALL, TOOL_RESULT: the tool call id */
    const char *name;   /* TOOL_CALL, TOOL_RESULT */
    const char *args;   /* TOOL_CALL */
    int final;          /* TRANSCRIPT */
    int turn;           /* -1 when none */
    double at;          /* call time (hk_call_now) of the event */
} hk_call_event;

typedef void (*hk_call_event_cb)(void *ud, hk_call *c, const hk_call_event *ev);

#define HK_CALL_EVENT_SUBSCRIBERS 8

/* Adds a subscriber; returns its handle (>= 0) or -1 when all slots are taken. */
int hk_call_events_subscribe(hk_call_event_cb cb, void *ud);
void hk_call_events_unsubscribe(int handle);
/* Delivers ev (its at is filled in when 0) to every subscriber, in order. */
void hk_call_emit(hk_call *c, hk_call_event *ev);
/* Shorthands for the common shapes. */
void hk_call_emit_status(hk_call *c, hk_call_event_type type, const char *status, int turn);
void hk_call_emit_text(hk_call *c, hk_call_event_type type, const char *role, const char *text,
                       int final, int turn);
/* The event type's wire name ("call.started", "call.transcript", ...). */
const char *hk_call_event_name(hk_call_event_type type);

#endif
