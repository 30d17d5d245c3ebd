/* agent/session_events: the typed call events (call_events.h) the speech
 * pipeline emits, and the little state they need: the call's state
 * (listening / thinking / speaking, emitted on change only), the assistant's
 * speech-update pair (started with its first frame, stopped when nothing is
 * left to say), transcripts (the caller's interim and final words, the
 * assistant's line as the caller heard it), barge-in, the conversation after
 * each completed message, and "hang": no answer has started the agent's
 * hang_timeout after the caller's final words. session.c calls in at the
 * moments these happen; nothing here allocates or blocks (an event lives on
 * the stack for its subscribers' callbacks). */
#include "agent/call.h"
#include "agent/call_events.h"

static const char *const state_names[] = {"", "listening", "thinking", "speaking"};

void hk_session_ev_state(hk_call *c, int state) {
    if (c->ev_state == state || state < HK_CALL_STATE_LISTENING || state > HK_CALL_STATE_SPEAKING)
        return;
    c->ev_state = state;
    hk_call_emit_status(c, HK_CE_STATE, state_names[state], c->current_turn);
}

static void speech(hk_call *c, const char *role, const char *status, int turn) {
    hk_call_event ev = {.type = HK_CE_SPEECH, .role = role, .status = status, .turn = turn};
    hk_call_emit(c, &ev);
}

void hk_session_ev_user_speech(hk_call *c, int started) {
    speech(c, "user", started ? "started" : "stopped", c->n_turns);
}

static void on_hang(hk_timer *t, void *ud) {
    (void)t;
    hk_call *c = ud;
    if (c->ended) return;
    hk_call_event ev = {.type = HK_CE_HANG, .turn = c->hang_turn};
    hk_call_emit(c, &ev);
}

void hk_session_ev_user_final(hk_call *c, int m) {
    const hk_message *msg = &c->msgs[m];
    hk_call_emit_text(c, HK_CE_TRANSCRIPT, "user", msg->text, 1, msg->turn);
    hk_call_emit_status(c, HK_CE_CONVERSATION, NULL, msg->turn);
    hk_session_ev_state(c, HK_CALL_STATE_THINKING);
    /* the answer is owed from now: a later final restarts the wait */
    if (c->agent->hang_timeout_s > 0 && !c->ended) {
        c->hang_turn = msg->turn;
        hk_timer_stop(c->clock, &c->hang_timer);
        hk_timer_start(c->clock, &c->hang_timer, c->agent->hang_timeout_s, on_hang, c);
    }
}

void hk_session_ev_heard(hk_call *c, int m) {
    const hk_message *msg = &c->msgs[m];
    if (msg->role != HK_ROLE_ASSISTANT || msg->dropped || !msg->text[0]) return;
    hk_call_emit_text(c, HK_CE_TRANSCRIPT, "assistant", msg->text, 1, msg->turn);
    hk_call_emit_status(c, HK_CE_CONVERSATION, NULL, msg->turn);
}

void hk_session_ev_interrupted(hk_call *c, int turn) {
    hk_timer_stop(c->clock, &c->hang_timer);
    hk_call_event ev = {.type = HK_CE_INTERRUPTED, .turn = turn};
    hk_call_emit(c, &ev);
}

void hk_session_ev_tick(hk_call *c, int sent) {
    if (sent && !c->ev_speaking) {
        c->ev_speaking = 1;
        hk_timer_stop(c->clock, &c->hang_timer); /* the answer has begun */
        speech(c, "assistant", "started", c->ev_turn);
        hk_session_ev_state(c, HK_CALL_STATE_SPEAKING);
    } else if (c->ev_speaking && !hk_session_speaking(c)) {
        c->ev_speaking = 0;
        speech(c, "assistant", "stopped", c->ev_turn);
    }
    /* nothing said, saying or about to be said: the call waits for the caller */
    if (!c->ev_speaking && c->ev_state != HK_CALL_STATE_LISTENING && !c->ended && !c->co &&
        c->n_pending == 0 && c->utt_open == 0 && !hk_session_speaking(c))
        hk_session_ev_state(c, HK_CALL_STATE_LISTENING);
}

void hk_session_ev_close(hk_call *c) { hk_timer_stop(c->clock, &c->hang_timer); }
