/* providers/registry: provider names -> vtables. Adding a provider is one line
 * in a table here. Names are matched case-insensitively; aliases are the names
 * users bring from other platforms' configs. */
#include <stddef.h>
#include <stdio.h>
#include <strings.h>

#include "providers/provider.h"
#include "providers/llm_anthropic.h"
#include "providers/llm_openai.h"
#include "providers/stt_deepgram.h"
#include "providers/stt_sphinx.h"
#include "providers/tts_elevenlabs.h"
#include "providers/tts_espeak.h"

typedef struct {
    const char *name;
    const void *vt;
} entry;

static const entry k_stt[] = {
    {"sphinx", &hk_stt_sphinx},
    {"pocketsphinx", &hk_stt_sphinx},
    {"deepgram", &hk_stt_deepgram},
};

static const entry k_tts[] = {
    {"espeak", &hk_tts_espeak},
    {"espeak-ng", &hk_tts_espeak},
    {"elevenlabs", &hk_tts_elevenlabs},
    {"11labs", &hk_tts_elevenlabs},
};

/* The "script" model: turn logic written in Lua, no LLM vtable. */
static const char *const k_script[] = {"script", "lua"};

static const void *find(const entry *t, size_t n, const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(t[i].name, name) == 0) return t[i].vt;
    return NULL;
}

const hk_stt_vtable *hk_stt_find(const char *name) {
    return find(k_stt, sizeof k_stt / sizeof *k_stt, name);
}

const hk_tts_vtable *hk_tts_find(const char *name) {
    return find(k_tts, sizeof k_tts / sizeof *k_tts, name);
}

/* OpenAI-compatible servers take one client; settings.c knows their URLs. */
static const entry k_llm[] = {
    {"openai", &hk_llm_openai},
    {"groq", &hk_llm_openai},
    {"openrouter", &hk_llm_openai},
    {"together-ai", &hk_llm_openai},
    {"deepinfra", &hk_llm_openai},
    {"ollama", &hk_llm_openai},
    {"custom-llm", &hk_llm_openai},
    {"anthropic", &hk_llm_anthropic},
};

const hk_llm_vtable *hk_llm_find(const char *name) {
    return find(k_llm, sizeof k_llm / sizeof *k_llm, name);
}

static void list(char *out, size_t cap, const entry *t, size_t n, int with_script) {
    size_t len = 0;
    out[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (!t[i].vt) continue;
        int w = snprintf(out + len, cap - len, "%s%s", len ? ", " : "", t[i].name);
        if (w < 0 || (size_t)w >= cap - len) return;
        len += (size_t)w;
    }
    if (with_script) snprintf(out + len, cap - len, "%sscript", len ? ", " : "");
}

const char *hk_provider_names(int kind) {
    static char buf[3][512];
    if (kind == 0) list(buf[0], sizeof buf[0], k_stt, sizeof k_stt / sizeof *k_stt, 0);
    else if (kind == 1) list(buf[1], sizeof buf[1], k_tts, sizeof k_tts / sizeof *k_tts, 0);
    else list(buf[2], sizeof buf[2], k_llm, sizeof k_llm / sizeof *k_llm, 1);
    return buf[kind < 0 || kind > 2 ? 2 : kind];
}

int hk_llm_is_script(const char *name) {
    if (!name) return 0;
    for (size_t i = 0; i < sizeof k_script / sizeof *k_script; i++)
        if (strcasecmp(k_script[i], name) == 0) return 1;
    return 0;
}
