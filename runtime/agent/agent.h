/* agent/agent: one loaded version of an agent file. Loading compiles the file
 * as text (never bytecode) in a fresh sandbox, runs it under the CPU budget,
 * checks the table it returns and copies the settings C needs. A version is
 * reference-counted: live calls keep the version they started with. */
#ifndef HK_AGENT_H
#define HK_AGENT_H

#include <stddef.h>

#include "agent/vm.h"

#define HK_AGENT_MAX_PHRASES 256

/* first_message_mode (Vapi's values) */
enum {
    HK_FIRST_SPEAKS = 0,      /* "assistant-speaks-first": first_message, then on_start */
    HK_FIRST_WAITS,           /* "assistant-waits-for-user": silent until the caller speaks */
    HK_FIRST_MODEL_GENERATED, /* "assistant-speaks-first-with-model-generated-message" */
};

typedef struct hk_agent {
    hk_vm *vm;
    char *path;          /* as given */
    char *name;          /* table.name, else the file's stem */
    char *id;            /* the file's stem: agents/front_desk.lua -> front_desk */
    int version;         /* 1, 2, ... per path within this process */
    int refs;
    int table_ref;       /* the returned table, in the registry */
    char *first_message;
    char *fallback_message;
    char *end_message;
    char *consent_message; /* spoken by the carrier before the agent picks up */
    char *phone_number;
    char *system_prompt;
    int first_message_mode;  /* HK_FIRST_* */
    char *language;          /* top-level `language` (BCP 47), or NULL */
    char *espeak_voice;      /* espeak voice for language, when no voice id says one */
    /* providers (agent_providers.c): Vapi-style transcriber/voice/model tables */
    char *stt_provider, *stt_language, *stt_model;
    int stt_endpointing_ms, stt_utterance_end_ms;
    char *stt_fallback;         /* transcriber.fallback.provider, or NULL */
    char *tts_provider, *tts_voice, *tts_model;
    int tts_rate_wpm;
    double tts_stability, tts_similarity; /* <0: provider default */
    char *tts_fallback, *tts_fallback_voice; /* voice.fallback, or NULL */
    char *llm_provider, *llm_model, *llm_base_url;
    double llm_temperature;     /* <0: provider default */
    int llm_max_tokens;         /* 0: provider default */
    double llm_timeout_s;       /* first token deadline (0: provider default) */
    char *llm_fallback, *llm_fallback_model, *llm_fallback_base_url; /* model.fallback */
    char *phrases[HK_AGENT_MAX_PHRASES]; /* transcriber keywords + phrases */
    size_t n_phrases;
    double max_duration_s;
    char *end_phrases[16];   /* the call ends after the agent says one of these */
    size_t n_end_phrases;
    char *reprompt_message;  /* said after silence_timeout of caller silence */
    double silence_timeout_s;
    double hang_timeout_s;   /* a "hang" event when no answer has started this long after
                              * the caller's final words (default 5, 0: never) */
    int max_concurrent_calls; /* 0: no cap (cluster/call_limits) */
    int calls_per_minute;    /* new calls a minute; -1: HARK_AGENT_CALLS_PER_MINUTE, 0: none */
    int barge_in;            /* caller speech interrupts the agent (default on) */
    int barge_in_min_ms;     /* speech needed to interrupt (default 200) */
    int barge_in_resume_ms;  /* quiet after which a short sound resumes playback (150) */
    /* Vapi server messages (api/webhooks): server_url or server = {url,
     * secret, headers, timeout_seconds}; NULL url: none are sent */
    char *server_url, *server_secret;
    char *server_headers[8]; /* "Name: value", sent verbatim */
    size_t n_server_headers;
    double server_timeout_s; /* default 20 */
    unsigned server_messages; /* HK_SM_* bits: server.messages / serverMessages */
} hk_agent;

/* Vapi server message types hark sends (server.messages, Vapi's serverMessages).
 * Default: all but transcript. "transcript[transcriptType=\"final\"]" is
 * transcript limited to final transcripts. */
enum {
    HK_SM_STATUS_UPDATE = 1u << 0,
    HK_SM_END_OF_CALL_REPORT = 1u << 1,
    HK_SM_TRANSCRIPT = 1u << 2,
    HK_SM_TRANSCRIPT_FINAL = 1u << 3, /* finals only (with HK_SM_TRANSCRIPT clear) */
    HK_SM_CONVERSATION_UPDATE = 1u << 4,
    HK_SM_SPEECH_UPDATE = 1u << 5,
    HK_SM_HANG = 1u << 6,
    HK_SM_USER_INTERRUPTED = 1u << 7,
    HK_SM_TOOL_CALLS = 1u << 8,
    HK_SM_ASSISTANT_REQUEST = 1u << 9,
};
#define HK_SM_DEFAULT                                                                              \
    (HK_SM_STATUS_UPDATE | HK_SM_END_OF_CALL_REPORT | HK_SM_CONVERSATION_UPDATE |                  \
     HK_SM_SPEECH_UPDATE | HK_SM_HANG | HK_SM_USER_INTERRUPTED | HK_SM_TOOL_CALLS |                \
     HK_SM_ASSISTANT_REQUEST)
/* The bit of a Vapi server message type name (0: not one hark sends). */
unsigned hk_agent_server_message_bit(const char *type);

/* Fields of the agent table for agent_*.c: a string/number field of the
 * table at idx (NULL/unchanged when absent; an error when of the wrong type). */
int hk_agent_field_str(lua_State *L, int idx, const char *field, const char *what, char **out,
                       char *err, size_t errlen);
int hk_agent_field_num(lua_State *L, int idx, const char *field, double *out, char *err,
                       size_t errlen);
/* agent_providers.c: read transcriber/voice/model of the table at t, check
 * the providers exist, apply defaults. */
int hk_agent_read_providers(lua_State *L, int t, hk_agent *a, char *err, size_t errlen);
/* Is the LLM a network model (so the default turn streams it)? */
int hk_agent_uses_llm(const hk_agent *a);

/* Run the agent file path in a fresh sandbox of its own (hk_vm_new_env) and
 * push the table it returns; -1 with err (naming the file and line) and
 * nothing pushed when it cannot be read, fails or returns no table. */
int hk_agent_run_file(hk_vm *vm, const char *path, char *err, size_t errlen);
/* Load path. On failure returns NULL with a message naming the file and line. */
hk_agent *hk_agent_load(hk_vm *vm, const char *path, int version, char *err, size_t errlen);
/* The checks and settings of hk_agent_load, for an agent table already made
 * (on top of vm->L, popped): agent_json.c builds one from an API assistant.
 * path names the source in messages; err has no prefix. */
hk_agent *hk_agent_from_table(hk_vm *vm, const char *path, const char *id, int version, char *err,
                              size_t errlen);
/* agent_json.c: an API assistant (Vapi's JSON) as an agent, through
 * lua/hark/assistant.lua; errors name the assistant's field
 * ("model.messages[2].role ..."). id: the assistant's id. */
hk_agent *hk_agent_load_json(hk_vm *vm, const char *id, const char *json_text, int version,
                             char *err, size_t errlen);
/* The same, with the assistant's model.toolIds resolved (agent/tool_ids.c):
 * tools_json is a JSON object id -> /tool document; ids it lacks are
 * skipped. tools_json NULL: an assistant with toolIds is refused. */
hk_agent *hk_agent_load_json_tools(hk_vm *vm, const char *id, const char *json_text,
                                   const char *tools_json, int version, char *err, size_t errlen);
struct cJSON;
/* agent_json.c: the other direction, for GET /assistant: a file agent as a
 * Vapi assistant, marked read-only (metadata.hark.source "file"). */
struct cJSON *hk_agent_to_assistant_json(const hk_agent *a);
void hk_agent_ref(hk_agent *a);
void hk_agent_unref(hk_agent *a); /* frees at zero */
/* Push table[name] on the VM's main state if it is a function (returns 1),
 * else push nothing (0). */
int hk_agent_push_hook(hk_agent *a, const char *name);
/* Push the agent table on L (the main state or one of its coroutines). */
void hk_agent_push_table(hk_agent *a, lua_State *L);

#endif
