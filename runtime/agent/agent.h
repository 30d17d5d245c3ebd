/* agent/agent: one loaded version of an agent file. Loading compiles the file
 * as text (never bytecode) in a fresh sandbox, runs it under the CPU budget,
 * checks the table it returns and copies the settings C needs. A version is
 * reference-counted: live calls keep the version they started with. */
#ifndef HK_AGENT_H
#define HK_AGENT_H

#include <stddef.h>

#include "agent/vm.h"

#define HK_AGENT_MAX_PHRASES 256

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
    char *stt_provider, *stt_language;
    char *tts_provider, *tts_voice;
    int tts_rate_wpm;
    char *llm_provider, *llm_model;
    char *phrases[HK_AGENT_MAX_PHRASES]; /* transcriber keywords + phrases */
    size_t n_phrases;
    double max_duration_s;
    char *end_phrases[16];   /* the call ends after the agent says one of these */
    size_t n_end_phrases;
    char *reprompt_message;  /* said after silence_timeout of caller silence */
    double silence_timeout_s;
    char *warning;       /* set when the agent names a provider this build lacks */
    int barge_in;            /* caller speech interrupts the agent (default on) */
    int barge_in_min_ms;     /* speech needed to interrupt (default 200) */
    int barge_in_resume_ms;  /* quiet after which a short sound resumes playback (150) */
} hk_agent;

/* Load path. On failure returns NULL with a message naming the file and line. */
hk_agent *hk_agent_load(hk_vm *vm, const char *path, int version, char *err, size_t errlen);
void hk_agent_ref(hk_agent *a);
void hk_agent_unref(hk_agent *a); /* frees at zero */
/* Push table[name] on the VM's main state if it is a function (returns 1),
 * else push nothing (0). */
int hk_agent_push_hook(hk_agent *a, const char *name);
/* Push the agent table on L (the main state or one of its coroutines). */
void hk_agent_push_table(hk_agent *a, lua_State *L);

#endif
