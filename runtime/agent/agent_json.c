/* agent/agent_json: API assistants (Vapi's JSON) and agents, both directions.
 * In: lua/hark/assistant.lua turns the JSON into the agent table a Lua file
 * returns, then hk_agent_from_table runs the checks every file agent passes,
 * so an assistant hark cannot run is refused at POST time with the reason,
 * in the assistant's field names. Out: a file agent as an assistant, for
 * GET /assistant, marked read-only (metadata.hark.source = "file").
 * An assistant naming metadata.hark.script runs that file of the agents
 * directory (vm->agents_dir) in a sandbox of its own, never the one of the
 * file agent of the same name, and assistant.lua's with_script merges its
 * hooks and tools into the assistant's table before the checks.
 * Runs on the loop thread, under the VM's CPU budget. */
#include <cjson/cJSON.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"

/* agent-table names in the shared checks' messages -> the assistant's */
static const char *renames[][2] = {
    {"first_message_mode", "firstMessageMode"},
    {"first_message", "firstMessage"},
    {"end_call_phrases", "endCallPhrases"},
    {"end_message", "endCallMessage"},
    {"max_duration", "maxDurationSeconds"},
    {"silence_timeout", "silenceTimeoutSeconds"},
    {"max_tokens", "maxTokens"},
    {"voice_id", "voiceId"},
    {"utterance_end_ms", "utteranceEndMs"},
    {NULL, NULL},
};

static void rename_fields(const char *in, char *out, size_t cap) {
    size_t o = 0;
    while (*in && o + 1 < cap) {
        int done = 0;
        for (int i = 0; renames[i][0] && !done; i++) {
            size_t n = strlen(renames[i][0]);
            if (strncmp(in, renames[i][0], n) == 0) {
                size_t m = strlen(renames[i][1]);
                if (o + m + 1 >= cap) break;
                memcpy(out + o, renames[i][1], m);
                o += m;
                in += n;
                done = 1;
            }
        }
        if (!done) out[o++] = *in++;
    }
    out[o] = 0;
}

/* Stack: agent table, script name. Runs the script (agents_dir/name, in a
 * fresh sandbox) and leaves the merged table in their place. */
static int with_script(hk_vm *vm, char *err, size_t errlen) {
    lua_State *L = vm->L;
    char path[1024], msg[1024];
    if (!vm->agents_dir[0]) {
        snprintf(err, errlen, "metadata.hark.script cannot be run here: no agents directory");
        return -1;
    }
    /* assistant.lua allows a plain "name.lua" only: no path, no "..", no "/" */
    snprintf(path, sizeof path, "%s/%s", vm->agents_dir, lua_tostring(L, -1));
    lua_pop(L, 1);
    if (hk_agent_run_file(vm, path, msg, sizeof msg) != 0) {
        msg[strcspn(msg, "\n")] = 0;
        /* name the file as the assistant does, not where the server keeps it */
        size_t dl = strlen(vm->agents_dir);
        const char *m = strncmp(msg, vm->agents_dir, dl) == 0 && msg[dl] == '/' ? msg + dl + 1 : msg;
        snprintf(err, errlen, "metadata.hark.script %s", m);
        return -1;
    }
    int s = lua_gettop(L);
    lua_getglobal(L, "require");
    lua_pushstring(L, "hark.assistant");
    if (hk_vm_pcall(vm, 1, 1, msg, sizeof msg) != 0) {
        snprintf(err, errlen, "hark.assistant: %s", msg);
        return -1;
    }
    lua_getfield(L, -1, "with_script");
    lua_remove(L, -2);
    lua_pushvalue(L, s - 1); /* the assistant's table */
    lua_pushvalue(L, s);     /* the script's */
    if (hk_vm_pcall(vm, 2, 1, msg, sizeof msg) != 0) {
        msg[strcspn(msg, "\n")] = 0;
        snprintf(err, errlen, "%s", msg);
        return -1;
    }
    lua_replace(L, s - 1);
    lua_settop(L, s - 1);
    return 0;
}

hk_agent *hk_agent_load_json(hk_vm *vm, const char *id, const char *json_text, int version,
                             char *err, size_t errlen) {
    return hk_agent_load_json_tools(vm, id, json_text, NULL, version, err, errlen);
}

hk_agent *hk_agent_load_json_tools(hk_vm *vm, const char *id, const char *json_text,
                                   const char *tools_json, int version, char *err, size_t errlen) {
    lua_State *L = vm->L;
    int top = lua_gettop(L);
    char msg[1024], path[128];
    snprintf(path, sizeof path, "assistant:%s", id);
    lua_getglobal(L, "require");
    lua_pushstring(L, "hark.assistant");
    if (hk_vm_pcall(vm, 1, 1, msg, sizeof msg) != 0) {
        snprintf(err, errlen, "hark.assistant: %s", msg);
        lua_settop(L, top);
        return NULL;
    }
    lua_getfield(L, -1, "decode");
    lua_remove(L, -2);
    lua_pushstring(L, json_text ? json_text : "");
    if (tools_json) lua_pushstring(L, tools_json);
    else lua_pushnil(L);
    if (hk_vm_pcall(vm, 2, 2, msg, sizeof msg) != 0) {
        msg[strcspn(msg, "\n")] = 0; /* the reason, not the traceback */
        snprintf(err, errlen, "%s", msg);
        lua_settop(L, top);
        return NULL;
    }
    char script[160] = "";
    if (lua_type(L, -1) == LUA_TSTRING) {
        snprintf(script, sizeof script, "%s", lua_tostring(L, -1));
        lua_pushvalue(L, -2); /* stack: json, name, json */
        lua_insert(L, -2);    /* json, json, name */
        if (with_script(vm, err, errlen) != 0) {
            lua_settop(L, top);
            return NULL;
        }
        /* json, merged */
    } else {
        lua_pop(L, 1);
    }
    hk_agent *a = hk_agent_from_table(vm, path, id, version, msg, sizeof msg);
    if (!a) {
        char named[1024];
        rename_fields(msg, named, sizeof named);
        /* the checks refused the merged table: when the assistant alone
         * passes them, the script is at fault, and the message says so */
        hk_agent *plain = script[0] ? hk_agent_from_table(vm, path, id, version, msg, sizeof msg) : NULL;
        if (plain) {
            snprintf(err, errlen, "metadata.hark.script %s: %s", script, named);
            hk_agent_unref(plain);
        } else {
            snprintf(err, errlen, "%s", named);
        }
    }
    lua_settop(L, top);
    return a;
}

static void add_str(cJSON *o, const char *k, const char *v) {
    if (v) cJSON_AddStringToObject(o, k, v);
}

static const char *first_modes[] = {"assistant-speaks-first", "assistant-waits-for-user",
                                    "assistant-speaks-first-with-model-generated-message"};

cJSON *hk_agent_to_assistant_json(const hk_agent *a) {
    cJSON *o = cJSON_CreateObject();
    add_str(o, "id", a->id);
    add_str(o, "name", a->name);
    add_str(o, "firstMessage", a->first_message);
    if (a->first_message_mode >= 0 && a->first_message_mode <= HK_FIRST_MODEL_GENERATED)
        add_str(o, "firstMessageMode", first_modes[a->first_message_mode]);
    cJSON *model = cJSON_AddObjectToObject(o, "model");
    add_str(model, "provider", a->llm_provider);
    add_str(model, "model", a->llm_model);
    add_str(model, "url", a->llm_base_url);
    if (a->llm_temperature >= 0) cJSON_AddNumberToObject(model, "temperature", a->llm_temperature);
    if (a->llm_max_tokens > 0) cJSON_AddNumberToObject(model, "maxTokens", a->llm_max_tokens);
    if (a->system_prompt) {
        cJSON *msgs = cJSON_AddArrayToObject(model, "messages");
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "role", "system");
        cJSON_AddStringToObject(m, "content", a->system_prompt);
        cJSON_AddItemToArray(msgs, m);
    }
    cJSON *voice = cJSON_AddObjectToObject(o, "voice");
    add_str(voice, "provider", a->tts_provider);
    add_str(voice, "voiceId", a->tts_voice);
    add_str(voice, "model", a->tts_model);
    cJSON *tr = cJSON_AddObjectToObject(o, "transcriber");
    add_str(tr, "provider", a->stt_provider);
    add_str(tr, "model", a->stt_model);
    add_str(tr, "language", a->stt_language);
    if (a->n_phrases) {
        cJSON *kw = cJSON_AddArrayToObject(tr, "keywords");
        for (size_t i = 0; i < a->n_phrases; i++) cJSON_AddItemToArray(kw, cJSON_CreateString(a->phrases[i]));
    }
    if (a->n_end_phrases) {
        cJSON *ph = cJSON_AddArrayToObject(o, "endCallPhrases");
        for (size_t i = 0; i < a->n_end_phrases; i++)
            cJSON_AddItemToArray(ph, cJSON_CreateString(a->end_phrases[i]));
    }
    add_str(o, "endCallMessage", a->end_message);
    if (a->max_duration_s > 0) cJSON_AddNumberToObject(o, "maxDurationSeconds", a->max_duration_s);
    cJSON *meta = cJSON_AddObjectToObject(o, "metadata");
    cJSON *hark = cJSON_AddObjectToObject(meta, "hark");
    cJSON_AddStringToObject(hark, "source", "file");
    cJSON_AddBoolToObject(hark, "readOnly", 1);
    add_str(hark, "file", a->path);
    cJSON_AddNumberToObject(hark, "version", a->version);
    return o;
}
