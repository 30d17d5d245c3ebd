/* agent/call: the call, the one object every part talks to. It holds the
 * agent version the call started with, the transport, the speech pipeline
 * (VAD, STT, TTS, outbound ring and pacer, recorder), the Lua side (the call
 * object agent hooks receive, per-call state, the running hook's coroutine)
 * and the record of the conversation (messages with times, per-turn latency
 * marks). session.c drives the pipeline, call.c runs hooks, call_*.c are the
 * Lua API families, transcript.c writes the record out. */
#ifndef HK_CALL_H
#define HK_CALL_H

#include <ev.h>
#include <lua.h>
#include <stdint.h>

#include "agent/agent.h"
#include "core/clock.h"
#include "media/recorder.h"
#include "media/outq.h"
#include "media/ring.h"
#include "media/vad.h"
#include "providers/provider.h"
#include "providers/tts_cache.h"
#include "store/store.h"

/* The tenant of agents loaded from agents/ files (schema/002_default_tenant.sql). */
#define HK_DEFAULT_TENANT "00000000-0000-0000-0000-000000000001"

#define HK_FRAME_SAMPLES 160 /* 20 ms at 8 kHz */
#define HK_FRAME_MS 20
#define HK_PREROLL_FRAMES 15 /* 300 ms of audio kept before VAD confirms speech */
/* The record grows on demand up to these hard caps (about 2 MB); a call that
 * reaches one is logged and ended gracefully (transcript.c), never silently
 * truncated. */
#define HK_MAX_MESSAGES 16384
#define HK_MAX_TURNS 4096
#define HK_MAX_PENDING 32

typedef struct hk_call hk_call;

typedef struct hk_call_io {
    void *ud;
    /* one 20 ms frame of agent audio, sent now (the pacer keeps real time) */
    void (*send_audio)(void *ud, const uint8_t *ulaw, size_t n);
    /* the call is over (on_end has run); the transport may free it after this */
    void (*ended)(void *ud, const char *reason);
    /* optional: the last frame of a reply was sent; the carrier tells back
     * (hk_session_mark_played) when the caller has heard it */
    void (*mark)(void *ud, const char *name);
    /* optional: barge-in, drop what the carrier has buffered */
    void (*clear)(void *ud);
    /* optional: hand the caller to another number when the call ends; -1 if
     * this transport cannot */
    int (*transfer)(void *ud, const char *number);
} hk_call_io;

typedef struct hk_call_opts {
    struct ev_loop *loop;
    hk_clock *clock;
    const char *id, *from, *to;
    int text_only;   /* no audio: user turns arrive as text, say() completes at once */
    int record;      /* keep both sides for the stereo WAV */
    hk_vad_config vad;
    hk_store *store; /* where the call record goes (NULL: nowhere) */
    const char *tenant_id; /* NULL: HK_DEFAULT_TENANT */
    int inbound;
    const char *recording_url; /* where the recording will be, if known */
} hk_call_opts;

/* hk_message.role. Tool exchanges of the LLM turn are messages too, so later
 * turns' history (call:history) and the store keep them in call order. */
enum { HK_ROLE_ASSISTANT = 0, HK_ROLE_USER = 1,
       HK_ROLE_TOOL_CALLS = 2,   /* the model asked for tools: text is its words (may be "") */
       HK_ROLE_TOOL_RESULT = 3 }; /* one tool's result: text is the result */

typedef struct hk_message {
    int role;        /* HK_ROLE_*: 0 assistant (spoken), 1 user */
    char *text;
    /* tool calls: OpenAI tool_calls array [{id, type, function{name, arguments}}];
     * tool result: [{"toolCallId", "name", "result"}]; NULL otherwise */
    char *tool_json;
    char *tool_call_id; /* tool result: the call it answers */
    double start, end; /* call time (s); <0: not yet */
    uint64_t ring_start, ring_end; /* assistant: its bytes in the outbound ring */
    uint64_t req;      /* assistant: its TTS request id */
    int synthesised;   /* assistant: all its audio is queued */
    int has_audio;     /* assistant: ring_start is valid */
    hk_word_mark *marks; /* assistant: where each word starts in its audio */
    size_t n_marks;
    int interrupted;   /* assistant: cut off by the caller; text is what was heard */
    int stored;        /* handed to the store */
    int dropped;       /* assistant: cancelled before any of it was heard */
    double tts_first_audio; /* assistant: first synthesised audio arrived (<0: not yet) */
    int streaming;     /* assistant: more text may still be pushed (LLM writing) */
    int tts_failed;    /* assistant: its synthesis failed part-way */
    double confidence;
    int turn;        /* index into turns, -1 for none */
} hk_message;

/* Latency marks of one turn, call time in seconds (<0: did not happen). */
typedef struct hk_turn {
    double user_end;     /* caller stopped speaking (VAD, before hangover) */
    double stt_final;    /* final transcript delivered */
    double llm_request;  /* first LLM request sent (LLM turns) */
    double llm_first_token; /* first streamed token (LLM turns) */
    double reply_ready;  /* first reply text handed to TTS (a first clause, or a whole say) */
    double tts_first_audio; /* first synthesised audio of the reply arrived */
    double first_audio;  /* first frame of the reply sent */
    double llm_end;      /* the turn's last LLM stream ended */
} hk_turn;

enum { HK_WAIT_NONE = 0, HK_WAIT_TIMER, HK_WAIT_SPEECH, HK_WAIT_LLM, HK_WAIT_HTTP };
enum { HK_EV_USER_TURN = 1, HK_EV_DTMF, HK_EV_GREETING };

typedef struct hk_pending {
    int kind;
    char *text;
    int turn;
} hk_pending;

struct hk_call {
    /* What every 20 ms frame touches (the pacer tick, the inbound feed, the
     * store flush), packed first: with thousands of calls a worker's calls
     * are cold in the cache at each frame, and every line touched is a miss. */
    int ended;
    int hangup_requested;
    int text_only;
    int in_speech;
    int paused;           /* caller speech while the agent talks: output held */
    int reprompted;       /* silence_timeout: reprompt said, next time ends */
    int frames_since_mark;
    int utt_open;         /* utterances ended but not yet transcribed */
    int tts_pending;      /* requests not done */
    int tts_cloud, stt_cloud;  /* they are network services */
    int net_held;              /* holding virtual time while they work */
    int n_pending;
    int first_unstored;   /* messages before this index are all stored */
    int n_msgs;
    int ev_state;          /* HK_CALL_STATE_* last emitted (0: none yet) */
    int ev_speaking;       /* assistant speech-update "started" sent, "stopped" owed */
    int preroll_n, preroll_head;
    double t0; /* call time at start */
    double pacer_next;    /* clock time of the next frame: no drift */
    double last_frame_at; /* clock time the last frame was sent */
    double last_activity; /* call time the caller or the agent last made sound */
    hk_clock *clock;
    hk_agent *agent;
    hk_recorder *rec;
    hk_store *store;
    hk_message *msgs;     /* grown by hk_call_add_message */
    lua_State *co;        /* running hook coroutine, NULL when none */
    const hk_stt_vtable *sttv;
    hk_stt *stt;
    hk_call_io io;
    hk_outq out;          /* agent mu-law awaiting the pacer (cached phrases by reference) */
    hk_timer pacer;
    hk_vad vad;

    /* the rest */
    char id[64], from[40], to[40];
    struct ev_loop *loop;

    /* pipeline */
    const hk_tts_vtable *ttsv;
    hk_tts *tts;
    double speech_start;
    uint64_t utt_id;
    uint8_t preroll[HK_PREROLL_FRAMES][HK_FRAME_SAMPLES];
    double utt_start[64], utt_end[64]; /* by utt_id % 64 */
    int interrupts;       /* barge-ins so far */
    uint64_t heard_pos;   /* outbound ring position the carrier says has played */
    double heard_at;      /* call time of that report (<= 0: none yet) */
    uint64_t tts_req;     /* last request id */
    int stt_fallen_back, tts_fallen_back; /* switched to the fallback provider */
    int stt_failed, tts_failed;   /* a provider failed: switch on the next loop turn */
    int stt_lost_words;           /* the failed transcriber had the caller's words */
    char fail_why[256];
    hk_timer failover_timer;      /* providers are never closed inside their own callbacks */
    char *tts_name, *stt_name; /* the providers in use */
    char *tts_cache_voice;     /* providers/tts_cache: the voice part of the key (NULL: none) */
    hk_tts_fill tts_fill;      /* a fixed phrase being synthesised for the cache */
    struct hk_call_llm *llm;       /* call_llm.c: LLM clients and the stream in flight */
    long llm_prompt_tokens;        /* call_llm.c: the providers' reported usage over all */
    long llm_completion_tokens;    /* the call's LLM requests (stored at the end) */
    struct hk_call_http *http;     /* call_http.c: call:http requests */

    /* Lua */
    int obj_ref;          /* the call userdata */
    int state_ref;        /* call:set/get table */
    int co_ref;
    const char *co_hook;
    int wait;             /* HK_WAIT_* the coroutine is parked on */
    uint64_t wait_req;
    hk_timer sleep_timer;
    hk_pending pending[HK_MAX_PENDING];
    int current_turn;     /* turn the running hook answers, -1 none */
    unsigned mem_acct;    /* memory account of its hooks (vm.h), 0 none */
    int hook_errors;
    char hook_error[512];  /* the last hook error (message and traceback start) */

    /* record */
    char tenant_id[40];
    char recording_url[600];
    int inbound;
    size_t msgs_cap;
    hk_turn *turns;       /* grown by hk_call_add_turn */
    size_t turns_cap;
    int n_turns;
    int record_full;      /* a cap was reached: the call is ending */

    /* end */
    int started;
    char end_reason[64];
    hk_timer end_timer;
    hk_timer limit_timer;

    /* typed call events (session_events.c) */
    int ev_turn;           /* turn of the assistant audio last started (-1 none) */
    int hang_turn;         /* turn the hang timer watches */
    hk_timer hang_timer;   /* agent hang_timeout after a final transcript */
};

/* call.c: lifecycle and hooks */
hk_call *hk_call_new(hk_agent *agent, const hk_call_opts *opts, const hk_call_io *io, char *err,
                     size_t errlen);
void hk_call_free(hk_call *c);
void hk_call_start(hk_call *c);
/* Run hook name with the call (and an optional string argument) in a new
 * coroutine, or queue it when a hook is running. */
void hk_call_run_hook(hk_call *c, const char *name, const char *arg, int turn);
/* on_transcript(call, {text, final, time, confidence, turn}) for an interim
 * or final transcript: its own coroutine, run to its end at once under the
 * CPU budget, outside the turn queue (it never waits, so it never holds up
 * a turn; a hook that tries to wait fails and is logged, no fallback line). */
void hk_call_transcript_hook(hk_call *c, const char *text, int final, double confidence, int turn);
/* Resume the parked coroutine with nret values pushed on c->co. */
void hk_call_resume(hk_call *c, int nret);
/* Is nothing happening: no hook running or queued, nothing to say or saying. */
int hk_call_idle(const hk_call *c);
/* End now: stop audio, run on_end, tell the transport. */
void hk_call_end(hk_call *c, const char *reason);
/* The call's typed events (started, ended, speech, transcripts, ...) go to
 * the subscribers of agent/call_events.h (api/webhooks, api/events). */
/* The caller barged in: cancel the running hook, run on_interrupt. */
void hk_call_interrupt(hk_call *c);
/* Ask to end once queued speech has played (call:hangup). */
void hk_call_hangup(hk_call *c, const char *reason);
double hk_call_now(const hk_call *c); /* seconds since the call started */
/* Get the hk_call of a call object argument, erroring when it has ended. */
hk_call *hk_call_check(lua_State *L, int idx);
/* Error unless L is the coroutine of c's running hook (waiting calls need it). */
void hk_call_check_can_wait(lua_State *L, hk_call *c, const char *what);

/* session.c: the speech pipeline */
int hk_session_open(hk_call *c, char *err, size_t errlen);
void hk_session_close(hk_call *c);
void hk_session_feed(hk_call *c, const uint8_t *ulaw, size_t n); /* one inbound 20 ms frame */
void hk_session_user_text(hk_call *c, const char *text);       /* text mode turn */
void hk_session_dtmf(hk_call *c, const char *digits);
/* Queue text to speak; returns the message index. The coroutine, if any,
 * can park on HK_WAIT_SPEECH until it is synthesised. */
int hk_session_say(hk_call *c, const char *text);
/* Streamed speech (an LLM reply): begin an assistant message, then push its
 * text clause by clause as it is written; last=1 ends it. Each push goes to
 * TTS at once. Returns the message index (-1 when the call is over). */
int hk_session_say_begin(hk_call *c);
int hk_session_say_push(hk_call *c, int m, const char *text, int last);
/* session_providers.c: open the agent's STT/TTS with keys and settings,
 * and switch to the fallback provider when one fails. */
int hk_session_open_providers(hk_call *c, char *err, size_t errlen);
int hk_session_stt_failover(hk_call *c, const char *why); /* 0: switched */
int hk_session_tts_failover(hk_call *c, const char *why); /* 0: switched */
hk_stt_sink hk_session_stt_sink(hk_call *c);
hk_tts_sink hk_session_tts_sink(hk_call *c);
int hk_session_speaking(const hk_call *c);
/* Virtual time must not run ahead of a cloud STT/TTS working for this call:
 * re-evaluated whenever their work starts or ends. */
void hk_session_net_hold(hk_call *c);
/* The carrier reports a mark sent with io.mark has played. */
void hk_session_mark_played(hk_call *c, const char *name);
/* Barge-in without word timings: where to cut text of which fraction (0..1)
 * was heard. At a word boundary (the partly heard word is dropped), or, for a
 * single word, at a UTF-8 character boundary; never inside a character. */
size_t hk_session_heard_cut(const char *text, double fraction);

/* session_events.c: the typed call events (call_events.h) of the pipeline:
 * state, user and assistant speech, transcripts, barge-in, hang, conversation. */
enum { HK_CALL_STATE_LISTENING = 1, HK_CALL_STATE_THINKING, HK_CALL_STATE_SPEAKING };
void hk_session_ev_state(hk_call *c, int state);
void hk_session_ev_user_speech(hk_call *c, int started);
void hk_session_ev_user_final(hk_call *c, int msg); /* a user turn's words are in */
void hk_session_ev_heard(hk_call *c, int msg);      /* an assistant line ended (as heard) */
void hk_session_ev_interrupted(hk_call *c, int turn);
void hk_session_ev_tick(hk_call *c, int sent);      /* pacer: sent = a frame went out */
void hk_session_ev_close(hk_call *c);

/* call_store.c: the call record in the store, written as the call goes */
void hk_call_store_begin(hk_call *c);
void hk_call_store_flush(hk_call *c, int final); /* final: the call is over */
void hk_call_store_end(hk_call *c);

/* transcript.c */
int hk_call_write_transcript(const hk_call *c, const char *path, char *err, size_t errlen);
/* Append a message / a turn (latency marks unset); the index, or -1 when the
 * record is full (logged once; the call then ends with "exceeded-max-turns" or
 * "exceeded-max-messages" after its end_message) or out of memory. */
int hk_call_add_message(hk_call *c, int role, const char *text, double start, double end);
/* the role's name in the record: "assistant", "user", "tool_calls", "tool_call_result" */
const char *hk_message_role_name(int role);
int hk_call_add_turn(hk_call *c);

/* call_llm.c: call:llm, call:history and the default LLM turn */
void hk_call_llm_abort(hk_call *c);  /* cancel a stream in flight (barge-in, end) */
void hk_call_llm_free(hk_call *c);
/* Push the default on_user_turn (hark.llm.turn) for an LLM agent; 1 if pushed. */
int hk_call_push_llm_turn(hk_call *c, lua_State *L);
/* call_http.c */
void hk_call_http_abort(hk_call *c);
void hk_call_http_free(hk_call *c);

/* Lua API families, each registering its methods on the call metatable */
void hk_call_api_say(lua_State *L, int methods);
void hk_call_api_timer(lua_State *L, int methods);
void hk_call_api_control(lua_State *L, int methods);
void hk_call_api_state(lua_State *L, int methods);
void hk_call_api_log(lua_State *L, int methods);
void hk_call_api_tools(lua_State *L, int methods);
void hk_call_api_llm(lua_State *L, int methods);
void hk_call_api_http(lua_State *L, int methods);

#endif
