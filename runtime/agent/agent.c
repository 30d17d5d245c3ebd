/* agent/agent: loading and validating one agent file version. See agent.h.
 * Runs on the loop thread; a file read is small and local (agents/ on disk). */
#include "agent/agent.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "providers/provider.h"

static const char *hook_names[] = {"on_start", "on_user_turn", "on_transcript", "on_dtmf",
                                   "on_interrupt", "on_tool", "on_end", NULL};

/* Fields an agent table may set; anything else is reported (likely a typo). */
static const char *known_fields[] = {
    "name", "description", "phone_number", "first_message", "fallback_message", "end_message",
    "system_prompt", "voice", "transcriber", "model", "tools", "barge_in", "language",
    "max_duration", "silence_timeout", "end_call_phrases", "consent_message", "metadata",
    "server_url", "server", "first_message_mode", "reprompt_message",
    "max_concurrent_calls", "hang_timeout", "calls_per_minute", NULL};

static char *read_file(const char *path, size_t *len, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %m", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n < 0 || n > 4 * 1024 * 1024) {
        snprintf(err, errlen, "%s: not a plausible agent file (size %ld)", path, n);
        fclose(f);
        return NULL;
    }
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
        snprintf(err, errlen, "%s: read error", path);
    }
    fclose(f);
    if (buf) buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

/* string field of the table at idx; error when present with the wrong type */
int hk_agent_field_str(lua_State *L, int idx, const char *field, const char *what, char **out,
                       char *err, size_t errlen) {
    hk_vm_rawgetfield(L, idx, field);
    int rc = 0;
    if (lua_type(L, -1) == LUA_TSTRING) {
        *out = strdup(lua_tostring(L, -1));
    } else if (!lua_isnil(L, -1)) {
        snprintf(err, errlen, "%s%s must be a string, not %s", what, field, luaL_typename(L, -1));
        rc = -1;
    }
    lua_pop(L, 1);
    return rc;
}

int hk_agent_field_num(lua_State *L, int idx, const char *field, double *out, char *err,
                   size_t errlen) {
    hk_vm_rawgetfield(L, idx, field);
    int rc = 0;
    if (lua_type(L, -1) == LUA_TNUMBER) {
        *out = lua_tonumber(L, -1);
    } else if (!lua_isnil(L, -1)) {
        snprintf(err, errlen, "%s must be a number, not %s", field, luaL_typename(L, -1));
        rc = -1;
    }
    lua_pop(L, 1);
    return rc;
}

static void add_phrase(hk_agent *a, const char *s) {
    if (a->n_phrases >= HK_AGENT_MAX_PHRASES || !*s) return;
    /* Vapi/Deepgram keywords carry a boost ("book:2"): keep the word */
    char *p = strdup(s);
    char *colon = strrchr(p, ':');
    if (colon && colon != p) *colon = 0;
    a->phrases[a->n_phrases++] = p;
}

static int get_phrase_list(lua_State *L, int idx, const char *field, hk_agent *a, char *err,
                           size_t errlen) {
    hk_vm_rawgetfield(L, idx, field);
    int rc = 0;
    if (lua_istable(L, -1)) {
        for (int i = 1;; i++) {
            lua_rawgeti(L, -1, i);
            if (lua_isnil(L, -1)) {
                lua_pop(L, 1);
                break;
            }
            if (lua_type(L, -1) != LUA_TSTRING) {
                snprintf(err, errlen, "transcriber.%s[%d] must be a string", field, i);
                rc = -1;
            } else {
                add_phrase(a, lua_tostring(L, -1));
            }
            lua_pop(L, 1);
        }
    } else if (!lua_isnil(L, -1)) {
        snprintf(err, errlen, "transcriber.%s must be a list of strings", field);
        rc = -1;
    }
    lua_pop(L, 1);
    return rc;
}

static const char *first_message_modes[] = {"assistant-speaks-first", "assistant-waits-for-user",
                                            "assistant-speaks-first-with-model-generated-message",
                                            NULL};

/* A BCP 47 tag as providers take it: "en", "en-US", "es-419", "zh-Hans-CN". */
static int plausible_language(const char *s) {
    size_t n = strlen(s), part = 0;
    if (n < 2 || n > 35) return 0;
    for (size_t i = 0; i <= n; i++) {
        if (s[i] == '-' || s[i] == 0) {
            if (part == 0 || part > 8) return 0;
            part = 0;
        } else if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                   (s[i] >= '0' && s[i] <= '9' && i > 1)) {
            part++;
        } else {
            return 0;
        }
    }
    return 1;
}

/* server_url = "https://..." or server = {url=, secret=, headers={}, timeout_seconds=}:
 * where api/webhooks sends the call's status-update and end-of-call-report. */
static int check_server_url(const hk_agent *a, char *err, size_t errlen) {
    if (a->server_url && strncmp(a->server_url, "http://", 7) != 0 &&
        strncmp(a->server_url, "https://", 8) != 0) {
        snprintf(err, errlen, "server url must start with http:// or https://");
        return -1;
    }
    return 0;
}

static const struct {
    const char *name;
    unsigned bit;
} server_message_types[] = {
    {"status-update", HK_SM_STATUS_UPDATE},
    {"end-of-call-report", HK_SM_END_OF_CALL_REPORT},
    {"transcript", HK_SM_TRANSCRIPT},
    {"transcript[transcriptType=\"final\"]", HK_SM_TRANSCRIPT_FINAL},
    {"conversation-update", HK_SM_CONVERSATION_UPDATE},
    {"speech-update", HK_SM_SPEECH_UPDATE},
    {"hang", HK_SM_HANG},
    {"user-interrupted", HK_SM_USER_INTERRUPTED},
    {"tool-calls", HK_SM_TOOL_CALLS},
    {"assistant-request", HK_SM_ASSISTANT_REQUEST},
};

unsigned hk_agent_server_message_bit(const char *type) {
    for (size_t i = 0; type && i < sizeof server_message_types / sizeof server_message_types[0]; i++)
        if (strcmp(type, server_message_types[i].name) == 0) return server_message_types[i].bit;
    return 0;
}

/* server.messages = {"status-update", ...}: Vapi's serverMessages. Types hark
 * does not send (model-output, ...) are accepted and ignored, as Vapi lists
 * many; anything not a string is an error. */
static int read_server_messages(hk_agent *a, lua_State *L, int s, char *err, size_t errlen) {
    hk_vm_rawgetfield(L, s, "messages");
    int rc = 0;
    if (lua_istable(L, -1)) {
        a->server_messages = 0;
        for (int i = 1;; i++) {
            lua_rawgeti(L, -1, i);
            if (lua_isnil(L, -1)) {
                lua_pop(L, 1);
                break;
            }
            if (lua_type(L, -1) != LUA_TSTRING) {
                snprintf(err, errlen, "server.messages must be a list of message type names");
                rc = -1;
                lua_pop(L, 1);
                break;
            }
            a->server_messages |= hk_agent_server_message_bit(lua_tostring(L, -1));
            lua_pop(L, 1);
        }
    } else if (!lua_isnil(L, -1)) {
        snprintf(err, errlen, "server.messages must be a list of message type names");
        rc = -1;
    }
    lua_pop(L, 1);
    return rc;
}

static int read_server(hk_agent *a, lua_State *L, int t, char *err, size_t errlen) {
    a->server_timeout_s = 20;
    a->server_messages = HK_SM_DEFAULT;
    if (hk_agent_field_str(L, t, "server_url", "", &a->server_url, err, errlen)) return -1;
    hk_vm_rawgetfield(L, t, "server");
    int s = lua_gettop(L), rc = 0;
    if (lua_isnil(L, s)) {
        lua_pop(L, 1);
        return check_server_url(a, err, errlen);
    }
    if (!lua_istable(L, s)) {
        snprintf(err, errlen, "server must be a table {url=..., secret=...}, not %s", luaL_typename(L, s));
        lua_pop(L, 1);
        return -1;
    }
    char *url = NULL;
    if (hk_agent_field_str(L, s, "url", "server.", &url, err, errlen) ||
        hk_agent_field_str(L, s, "secret", "server.", &a->server_secret, err, errlen) ||
        hk_agent_field_num(L, s, "timeout_seconds", &a->server_timeout_s, err, errlen) ||
        read_server_messages(a, L, s, err, errlen)) {
        free(url);
        lua_pop(L, 1);
        return -1;
    }
    if (url) {
        free(a->server_url);
        a->server_url = url;
    }
    if (a->server_timeout_s <= 0 || a->server_timeout_s > 300) {
        snprintf(err, errlen, "server.timeout_seconds must be between 0 and 300");
        rc = -1;
    }
    hk_vm_rawgetfield(L, s, "headers");
    if (lua_istable(L, -1)) {
        int h = lua_gettop(L);
        for (lua_pushnil(L); !rc && lua_next(L, h); lua_pop(L, 1)) {
            if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING ||
                strpbrk(lua_tostring(L, -2), ":\r\n") || strpbrk(lua_tostring(L, -1), "\r\n") ||
                a->n_server_headers >= sizeof a->server_headers / sizeof a->server_headers[0]) {
                snprintf(err, errlen, "server.headers must map names to strings (at most 8)");
                rc = -1;
                lua_pop(L, 1);
                break;
            }
            size_t n = lua_objlen(L, -2) + lua_objlen(L, -1) + 3;
            char *line = malloc(n);
            if (!line) abort();
            snprintf(line, n, "%s: %s", lua_tostring(L, -2), lua_tostring(L, -1));
            a->server_headers[a->n_server_headers++] = line;
        }
    } else if (!lua_isnil(L, -1)) {
        snprintf(err, errlen, "server.headers must be a table");
        rc = -1;
    }
    lua_settop(L, s - 1);
    return rc ? rc : check_server_url(a, err, errlen);
}

/* Vapi's assistant fields beyond the basics: language, first_message_mode,
 * metadata (kept in the table; call.metadata reads it), server_url / server. */
static int read_vapi_fields(hk_agent *a, lua_State *L, int t, char *err, size_t errlen) {
    char *mode = NULL;
    if (hk_agent_field_str(L, t, "language", "", &a->language, err, errlen) ||
        hk_agent_field_str(L, t, "first_message_mode", "", &mode, err, errlen))
        return -1;
    if (a->language && !plausible_language(a->language)) {
        snprintf(err, errlen, "language must be a language tag such as \"en-US\" or \"es\"");
        free(mode);
        return -1;
    }
    a->first_message_mode = HK_FIRST_SPEAKS;
    if (mode) {
        int found = -1;
        for (int i = 0; first_message_modes[i]; i++)
            if (strcmp(mode, first_message_modes[i]) == 0) found = i;
        free(mode);
        if (found < 0) {
            snprintf(err, errlen, "first_message_mode must be \"%s\", \"%s\" or \"%s\"",
                     first_message_modes[0], first_message_modes[1], first_message_modes[2]);
            return -1;
        }
        a->first_message_mode = found;
    }
    lua_pushstring(L, "metadata");
    lua_rawget(L, t);
    int meta = lua_type(L, -1);
    lua_pop(L, 1);
    if (meta != LUA_TNIL && meta != LUA_TTABLE) {
        snprintf(err, errlen, "metadata must be a table, not %s", lua_typename(L, meta));
        return -1;
    }
    return read_server(a, L, t, err, errlen);
}

/* Settings from the returned table (at the top of the stack). */

/* calls_per_minute: new calls per minute of this agent (cluster/rate_limit via
 * the incoming-call webhook); -1 when absent (HARK_AGENT_CALLS_PER_MINUTE
 * applies), 0: no limit. */
static int read_calls_per_minute(hk_agent *a, lua_State *L, int t, char *err, size_t errlen) {
    double cpm = -1;
    if (hk_agent_field_num(L, t, "calls_per_minute", &cpm, err, errlen)) return -1;
    if (cpm != -1 && (cpm < 0 || cpm > 1000000 || cpm != (double)(long)cpm)) {
        snprintf(err, errlen, "calls_per_minute must be a whole number 0 (no limit) to 1000000");
        return -1;
    }
    a->calls_per_minute = (int)cpm;
    return 0;
}
static int read_settings(hk_agent *a, lua_State *L, char *err, size_t errlen) {
    int t = lua_gettop(L);
    for (lua_pushnil(L); lua_next(L, t); lua_pop(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            snprintf(err, errlen, "the agent table must have string keys only");
            lua_pop(L, 2);
            return -1;
        }
        const char *k = lua_tostring(L, -2);
        int known = 0;
        for (int i = 0; known_fields[i]; i++) known |= strcmp(k, known_fields[i]) == 0;
        for (int i = 0; hook_names[i]; i++) {
            if (strcmp(k, hook_names[i]) == 0) {
                known = 1;
                if (lua_type(L, -1) != LUA_TFUNCTION) {
                    snprintf(err, errlen, "%s must be a function, not %s", k, luaL_typename(L, -1));
                    lua_pop(L, 2);
                    return -1;
                }
            }
        }
        if (!known) {
            snprintf(err, errlen, "unknown field '%s' in the agent table", k);
            lua_pop(L, 2);
            return -1;
        }
    }
    double max_calls = 0;
    a->hang_timeout_s = 5;
    if (hk_agent_field_str(L, t, "name", "", &a->name, err, errlen) ||
        hk_agent_field_str(L, t, "first_message", "", &a->first_message, err, errlen) ||
        hk_agent_field_str(L, t, "fallback_message", "", &a->fallback_message, err, errlen) ||
        hk_agent_field_str(L, t, "end_message", "", &a->end_message, err, errlen) ||
        hk_agent_field_str(L, t, "consent_message", "", &a->consent_message, err, errlen) ||
        hk_agent_field_str(L, t, "phone_number", "", &a->phone_number, err, errlen) ||
        hk_agent_field_str(L, t, "system_prompt", "", &a->system_prompt, err, errlen) ||
        hk_agent_field_num(L, t, "max_duration", &a->max_duration_s, err, errlen) ||
        hk_agent_field_num(L, t, "silence_timeout", &a->silence_timeout_s, err, errlen) ||
        hk_agent_field_num(L, t, "hang_timeout", &a->hang_timeout_s, err, errlen) ||
        hk_agent_field_num(L, t, "max_concurrent_calls", &max_calls, err, errlen) ||
        hk_agent_field_str(L, t, "reprompt_message", "", &a->reprompt_message, err, errlen) ||
        read_vapi_fields(a, L, t, err, errlen))
        return -1;
    if (max_calls < 0 || max_calls > 1000000) {
        snprintf(err, errlen, "max_concurrent_calls must be 0 (no cap) to 1000000");
        return -1;
    }
    a->max_concurrent_calls = (int)max_calls;
    if (read_calls_per_minute(a, L, t, err, errlen)) return -1;
    if (a->max_duration_s < 0 || a->silence_timeout_s < 0 || a->hang_timeout_s < 0) {
        snprintf(err, errlen, "max_duration, silence_timeout and hang_timeout must be >= 0 seconds");
        return -1;
    }
    hk_vm_rawgetfield(L, t, "end_call_phrases");
    if (lua_istable(L, -1)) {
        for (int i = 1; a->n_end_phrases < 16; i++) {
            lua_rawgeti(L, -1, i);
            int is_str = lua_type(L, -1) == LUA_TSTRING, done = lua_isnil(L, -1);
            if (is_str) a->end_phrases[a->n_end_phrases++] = strdup(lua_tostring(L, -1));
            lua_pop(L, 1);
            if (done) break;
            if (!is_str) {
                snprintf(err, errlen, "end_call_phrases[%d] must be a string", i);
                lua_pop(L, 1);
                return -1;
            }
        }
    } else if (!lua_isnil(L, -1)) {
        snprintf(err, errlen, "end_call_phrases must be a list of strings");
        lua_pop(L, 1);
        return -1;
    }
    lua_pop(L, 1);

    hk_vm_rawgetfield(L, t, "transcriber");
    if (lua_istable(L, -1)) {
        int s = lua_gettop(L);
        if (get_phrase_list(L, s, "keywords", a, err, errlen) ||
            get_phrase_list(L, s, "phrases", a, err, errlen)) {
            lua_pop(L, 1);
            return -1;
        }
    }
    lua_pop(L, 1);
    if (hk_agent_read_providers(L, t, a, err, errlen) != 0) return -1;
    if (a->first_message_mode == HK_FIRST_MODEL_GENERATED && !hk_agent_uses_llm(a)) {
        snprintf(err, errlen, "first_message_mode \"%s\" needs an LLM model (model.provider)",
                 first_message_modes[HK_FIRST_MODEL_GENERATED]);
        return -1;
    }
    /* the greeting is a request with the system prompt alone, which
     * Anthropic's API refuses (its first message must be the user's) */
    if (a->first_message_mode == HK_FIRST_MODEL_GENERATED &&
        (hk_llm_find(a->llm_provider) == hk_llm_find("anthropic") ||
         (a->llm_fallback && hk_llm_find(a->llm_fallback) == hk_llm_find("anthropic")))) {
        snprintf(err, errlen, "first_message_mode \"%s\" needs an OpenAI-compatible model (and "
                 "model.fallback): Anthropic's API needs a caller message first",
                 first_message_modes[HK_FIRST_MODEL_GENERATED]);
        return -1;
    }

    a->barge_in = 1;
    a->barge_in_min_ms = 200;
    a->barge_in_resume_ms = 150;
    hk_vm_rawgetfield(L, t, "barge_in");
    if (lua_isboolean(L, -1)) {
        a->barge_in = lua_toboolean(L, -1);
    } else if (lua_istable(L, -1)) {
        int s = lua_gettop(L);
        double en = 1, min_ms = a->barge_in_min_ms, res_ms = a->barge_in_resume_ms;
        hk_vm_rawgetfield(L, s, "enabled");
        if (lua_isboolean(L, -1)) en = lua_toboolean(L, -1);
        lua_pop(L, 1);
        if (hk_agent_field_num(L, s, "min_speech_ms", &min_ms, err, errlen) ||
            hk_agent_field_num(L, s, "resume_after_ms", &res_ms, err, errlen)) {
            lua_pop(L, 1);
            return -1;
        }
        if (min_ms < 0 || min_ms > 10000 || res_ms < 20 || res_ms > 5000) {
            snprintf(err, errlen, "barge_in: min_speech_ms must be 0..10000 and resume_after_ms 20..5000");
            lua_pop(L, 1);
            return -1;
        }
        a->barge_in = (int)en;
        a->barge_in_min_ms = (int)min_ms;
        a->barge_in_resume_ms = (int)res_ms;
    } else if (!lua_isnil(L, -1)) {
        snprintf(err, errlen, "barge_in must be a boolean or a table");
        lua_pop(L, 1);
        return -1;
    }
    lua_pop(L, 1);

    if (!a->fallback_message)
        a->fallback_message = strdup("Sorry, something went wrong on my side. Could you say that again?");
    return 0;
}

int hk_agent_run_file(hk_vm *vm, const char *path, char *err, size_t errlen) {
    size_t len = 0;
    char msg[1024];
    char *src = read_file(path, &len, err, errlen);
    if (!src) return -1;
    lua_State *L = vm->L;
    int top = lua_gettop(L);
    char chunkname[600];
    snprintf(chunkname, sizeof chunkname, "@%s", path);
    /* "t": text only, bytecode is refused */
    if (luaL_loadbufferx(L, src, len, chunkname, "t") != 0) {
        snprintf(err, errlen, "%s", lua_tostring(L, -1));
        free(src);
        lua_settop(L, top);
        return -1;
    }
    free(src);
    if (hk_vm_new_env(vm, path, err, errlen) != 0) {
        lua_settop(L, top);
        return -1;
    }
    lua_setfenv(L, -2);
    if (hk_vm_pcall(vm, 0, 1, msg, sizeof msg) != 0) {
        snprintf(err, errlen, "%s", msg);
        lua_settop(L, top);
        return -1;
    }
    if (!lua_istable(L, -1)) {
        snprintf(err, errlen, "%s: the file must return the agent table (it returned %s)", path,
                 luaL_typename(L, -1));
        lua_settop(L, top);
        return -1;
    }
    return 0;
}

hk_agent *hk_agent_load(hk_vm *vm, const char *path, int version, char *err, size_t errlen) {
    char msg[1024];
    lua_State *L = vm->L;
    int top = lua_gettop(L);
    if (hk_agent_run_file(vm, path, err, errlen) != 0) return NULL;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char id[256];
    snprintf(id, sizeof id, "%s", base);
    char *dot = strrchr(id, '.');
    if (dot) *dot = 0;
    hk_agent *a = hk_agent_from_table(vm, path, id, version, msg, sizeof msg);
    if (!a) snprintf(err, errlen, "%s: %s", path, msg);
    lua_settop(L, top);
    return a;
}

hk_agent *hk_agent_from_table(hk_vm *vm, const char *path, const char *id, int version, char *err,
                              size_t errlen) {
    lua_State *L = vm->L;
    int top = lua_gettop(L);
    hk_agent *a = calloc(1, sizeof *a);
    if (!a) abort();
    a->vm = vm;
    a->path = strdup(path);
    a->version = version;
    a->refs = 1;
    a->id = strdup(id);
    if (read_settings(a, L, err, errlen) != 0) {
        lua_settop(L, top - 1);
        a->table_ref = LUA_NOREF;
        hk_agent_unref(a);
        return NULL;
    }
    if (!a->name) a->name = strdup(a->id);
    a->table_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_settop(L, top - 1);
    return a;
}

void hk_agent_ref(hk_agent *a) { a->refs++; }

void hk_agent_unref(hk_agent *a) {
    if (!a || --a->refs > 0) return;
    if (a->table_ref != LUA_NOREF && a->table_ref != 0)
        luaL_unref(a->vm->L, LUA_REGISTRYINDEX, a->table_ref);
    char **strs[] = {&a->path, &a->name, &a->id, &a->first_message, &a->fallback_message,
                     &a->end_message, &a->consent_message, &a->phone_number, &a->system_prompt, &a->stt_provider,
                     &a->stt_language, &a->tts_provider, &a->tts_voice, &a->llm_provider,
                     &a->llm_model, &a->reprompt_message, &a->stt_model,
                     &a->stt_fallback, &a->tts_model, &a->tts_fallback, &a->tts_fallback_voice,
                     &a->llm_base_url, &a->llm_fallback, &a->llm_fallback_model,
                     &a->llm_fallback_base_url, &a->language, &a->espeak_voice,
                     &a->server_url, &a->server_secret};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) free(*strs[i]);
    for (size_t i = 0; i < a->n_phrases; i++) free(a->phrases[i]);
    for (size_t i = 0; i < a->n_end_phrases; i++) free(a->end_phrases[i]);
    for (size_t i = 0; i < a->n_server_headers; i++) free(a->server_headers[i]);
    free(a);
}

void hk_agent_push_table(hk_agent *a, lua_State *L) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, a->table_ref);
}

int hk_agent_push_hook(hk_agent *a, const char *name) {
    lua_State *L = a->vm->L;
    hk_agent_push_table(a, L);
    hk_vm_rawgetfield(L, -1, name);
    lua_remove(L, -2);
    if (lua_isfunction(L, -1)) return 1;
    lua_pop(L, 1);
    return 0;
}
