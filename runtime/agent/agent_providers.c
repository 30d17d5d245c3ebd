/* agent/agent_providers: the transcriber, voice and model tables of an agent
 * file (Vapi's names: provider, model, voiceId, language, keywords, ...), each
 * with an optional `fallback = { provider = ..., ... }` used when the first
 * provider fails. Checks every named provider exists in this build, so a typo
 * fails at load time (with the file's name) instead of mid-call. */
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "providers/provider.h"
#include "providers/tts_espeak.h"

static int read_fallback(lua_State *L, int s, const char *what, char **provider, char **extra,
                         const char *extra_field, char **extra2, const char *extra2_field,
                         char *err, size_t errlen) {
    hk_vm_rawgetfield(L, s, "fallback");
    int rc = 0;
    if (lua_istable(L, -1)) {
        int f = lua_gettop(L);
        char prefix[40];
        snprintf(prefix, sizeof prefix, "%sfallback.", what);
        rc = hk_agent_field_str(L, f, "provider", prefix, provider, err, errlen);
        if (!rc && extra) rc = hk_agent_field_str(L, f, extra_field, prefix, extra, err, errlen);
        if (!rc && extra2) rc = hk_agent_field_str(L, f, extra2_field, prefix, extra2, err, errlen);
        if (!rc && !*provider) {
            snprintf(err, errlen, "%sfallback needs a provider", what);
            rc = -1;
        }
    } else if (!lua_isnil(L, -1)) {
        snprintf(err, errlen, "%sfallback must be a table", what);
        rc = -1;
    }
    lua_pop(L, 1);
    return rc;
}

/* first of several accepted spellings (snake_case and Vapi's camelCase) */
static int str2(lua_State *L, int s, const char *a, const char *b, const char *what, char **out,
                char *err, size_t errlen) {
    if (hk_agent_field_str(L, s, a, what, out, err, errlen)) return -1;
    if (!*out && b && hk_agent_field_str(L, s, b, what, out, err, errlen)) return -1;
    return 0;
}

static int num2(lua_State *L, int s, const char *a, const char *b, double *out, char *err,
                size_t errlen) {
    if (hk_agent_field_num(L, s, a, out, err, errlen)) return -1;
    if (b && hk_agent_field_num(L, s, b, out, err, errlen)) return -1;
    return 0;
}

static int read_transcriber(lua_State *L, int s, hk_agent *a, char *err, size_t errlen) {
    double endpointing = 0, utt_end = 0;
    if (str2(L, s, "provider", NULL, "transcriber.", &a->stt_provider, err, errlen) ||
        str2(L, s, "language", NULL, "transcriber.", &a->stt_language, err, errlen) ||
        str2(L, s, "model", NULL, "transcriber.", &a->stt_model, err, errlen) ||
        num2(L, s, "endpointing", "endpointing_ms", &endpointing, err, errlen) ||
        num2(L, s, "utterance_end_ms", "utteranceEndMs", &utt_end, err, errlen) ||
        read_fallback(L, s, "transcriber.", &a->stt_fallback, NULL, NULL, NULL, NULL, err, errlen))
        return -1;
    if (endpointing < 0 || endpointing > 10000 || utt_end < 0 || utt_end > 10000) {
        snprintf(err, errlen, "transcriber: endpointing and utterance_end_ms must be 0..10000 ms");
        return -1;
    }
    a->stt_endpointing_ms = (int)endpointing;
    a->stt_utterance_end_ms = (int)utt_end;
    return 0;
}

static int read_voice(lua_State *L, int s, hk_agent *a, char *err, size_t errlen) {
    double speed = 0;
    if (str2(L, s, "provider", NULL, "voice.", &a->tts_provider, err, errlen) ||
        str2(L, s, "voice_id", "voiceId", "voice.", &a->tts_voice, err, errlen) ||
        str2(L, s, "model", "model_id", "voice.", &a->tts_model, err, errlen) ||
        num2(L, s, "rate_wpm", NULL, &speed, err, errlen) ||
        num2(L, s, "stability", NULL, &a->tts_stability, err, errlen) ||
        num2(L, s, "similarity_boost", "similarityBoost", &a->tts_similarity, err, errlen) ||
        read_fallback(L, s, "voice.", &a->tts_fallback, &a->tts_fallback_voice, "voiceId", NULL,
                      NULL, err, errlen))
        return -1;
    if (a->tts_fallback && !a->tts_fallback_voice &&
        hk_agent_field_str(L, s, "voice_id", "voice.fallback.", &a->tts_fallback_voice, err, errlen))
        return -1;
    a->tts_rate_wpm = (int)speed;
    return 0;
}

static int read_model(lua_State *L, int s, hk_agent *a, char *err, size_t errlen) {
    double max_tokens = 0, timeout = 0;
    if (str2(L, s, "provider", NULL, "model.", &a->llm_provider, err, errlen) ||
        str2(L, s, "model", NULL, "model.", &a->llm_model, err, errlen) ||
        str2(L, s, "base_url", "url", "model.", &a->llm_base_url, err, errlen) ||
        num2(L, s, "temperature", NULL, &a->llm_temperature, err, errlen) ||
        num2(L, s, "max_tokens", "maxTokens", &max_tokens, err, errlen) ||
        num2(L, s, "timeout", NULL, &timeout, err, errlen) ||
        read_fallback(L, s, "model.", &a->llm_fallback, &a->llm_fallback_model, "model",
                      &a->llm_fallback_base_url, "base_url", err, errlen))
        return -1;
    if (max_tokens < 0 || max_tokens > 100000 || timeout < 0 || timeout > 120) {
        snprintf(err, errlen, "model: max_tokens must be 0..100000 and timeout 0..120 s");
        return -1;
    }
    a->llm_max_tokens = (int)max_tokens;
    a->llm_timeout_s = timeout;
    /* Vapi keeps the system prompt in model.messages[{role = "system"}] */
    hk_vm_rawgetfield(L, s, "messages");
    if (lua_istable(L, -1) && !a->system_prompt) {
        lua_rawgeti(L, -1, 1);
        if (lua_istable(L, -1)) {
            hk_vm_rawgetfield(L, -1, "role");
            hk_vm_rawgetfield(L, -2, "content");
            if (lua_isstring(L, -2) && strcmp(lua_tostring(L, -2), "system") == 0 &&
                lua_type(L, -1) == LUA_TSTRING)
                a->system_prompt = strdup(lua_tostring(L, -1));
            lua_pop(L, 2);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return 0;
}

/* table field name of t: nil is fine, a table is read by fn, anything else errs */
static int read_table(lua_State *L, int t, const char *name,
                      int (*fn)(lua_State *, int, hk_agent *, char *, size_t), hk_agent *a,
                      char *err, size_t errlen) {
    hk_vm_rawgetfield(L, t, name);
    int rc = 0;
    if (lua_istable(L, -1)) {
        rc = fn(L, lua_gettop(L), a, err, errlen);
    } else if (!lua_isnil(L, -1)) {
        snprintf(err, errlen, "%s must be a table", name);
        rc = -1;
    }
    lua_pop(L, 1);
    return rc;
}

int hk_agent_uses_llm(const hk_agent *a) {
    return a->llm_provider && !hk_llm_is_script(a->llm_provider);
}

static int is_english(const char *lang) {
    return (lang[0] == 'e' || lang[0] == 'E') && (lang[1] == 'n' || lang[1] == 'N') &&
           (lang[2] == 0 || lang[2] == '-');
}

/* The top-level `language` (and transcriber.language): the transcriber's
 * language (Deepgram's language= parameter; sphinx has only an English model,
 * so another language with sphinx is an error here, not a failed call), and
 * the espeak-ng voice when no voice id names one. */
static int apply_language(hk_agent *a, char *err, size_t errlen) {
    if (!a->stt_language && a->language) a->stt_language = strdup(a->language);
    const char *stt[] = {a->stt_provider, a->stt_fallback};
    for (int i = 0; i < 2 && a->stt_language; i++)
        if (stt[i] && hk_stt_find(stt[i]) == hk_stt_find("sphinx") && !is_english(a->stt_language)) {
            snprintf(err, errlen, "language \"%s\": the offline transcriber (sphinx%s) has only an "
                     "English model; use transcriber.provider = \"deepgram\"",
                     a->stt_language, i ? ", the transcriber.fallback" : "");
            return -1;
        }
    if (!a->language) return 0;
    char voice[40];
    int have = hk_espeak_voice_for_language(a->language, voice, sizeof voice) == 0;
    if (have) a->espeak_voice = strdup(voice);
    int espeak_named = (hk_tts_find(a->tts_provider) == hk_tts_find("espeak") && !a->tts_voice) ||
                       (a->tts_fallback && hk_tts_find(a->tts_fallback) == hk_tts_find("espeak") &&
                        !a->tts_fallback_voice);
    if (!have && espeak_named) {
        snprintf(err, errlen, "language \"%s\": espeak-ng has no voice for it (set voice.voice_id, "
                 "or use a cloud voice)", a->language);
        return -1;
    }
    return 0;
}

int hk_agent_read_providers(lua_State *L, int t, hk_agent *a, char *err, size_t errlen) {
    a->tts_stability = a->tts_similarity = -1;
    a->llm_temperature = -1;
    if (read_table(L, t, "transcriber", read_transcriber, a, err, errlen) ||
        read_table(L, t, "voice", read_voice, a, err, errlen) ||
        read_table(L, t, "model", read_model, a, err, errlen))
        return -1;
    if (!a->stt_provider) a->stt_provider = strdup("sphinx");
    if (!a->tts_provider) a->tts_provider = strdup("espeak");
    if (!a->llm_provider) a->llm_provider = strdup("script");
    const char *stt[] = {a->stt_provider, a->stt_fallback};
    for (int i = 0; i < 2; i++)
        if (stt[i] && !hk_stt_find(stt[i])) {
            snprintf(err, errlen, "transcriber%s.provider '%s' is not available (have: %s)",
                     i ? ".fallback" : "", stt[i], hk_provider_names(0));
            return -1;
        }
    const char *tts[] = {a->tts_provider, a->tts_fallback};
    for (int i = 0; i < 2; i++)
        if (tts[i] && !hk_tts_find(tts[i])) {
            snprintf(err, errlen, "voice%s.provider '%s' is not available (have: %s)",
                     i ? ".fallback" : "", tts[i], hk_provider_names(1));
            return -1;
        }
    const char *llm[] = {a->llm_provider, a->llm_fallback};
    for (int i = 0; i < 2; i++)
        if (llm[i] && !hk_llm_is_script(llm[i]) && !hk_llm_find(llm[i])) {
            snprintf(err, errlen, "model%s.provider '%s' is not available (have: %s)",
                     i ? ".fallback" : "", llm[i], hk_provider_names(2));
            return -1;
        }
    if (a->llm_fallback && hk_llm_is_script(a->llm_fallback)) {
        snprintf(err, errlen, "model.fallback.provider must be an LLM, not '%s'", a->llm_fallback);
        return -1;
    }
    if (apply_language(a, err, errlen) != 0) return -1;
    /* the script model means Lua answers: it needs an on_user_turn */
    if (hk_llm_is_script(a->llm_provider)) {
        hk_vm_rawgetfield(L, t, "on_user_turn");
        int has = lua_isfunction(L, -1);
        lua_pop(L, 1);
        if (!has) {
            snprintf(err, errlen, "model.provider 'script' needs an on_user_turn function");
            return -1;
        }
    }
    return 0;
}
