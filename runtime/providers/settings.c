/* providers/settings: provider name -> key and base URL. See settings.h. */
#include "providers/settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *name;
    const char *key_var;     /* configuration name of its key */
    const char *url_var;     /* configuration name of its base URL override */
    const char *default_url; /* the public service */
} row;

static const row k_rows[] = {
    {"openai", "OPENAI_API_KEY", "OPENAI_BASE_URL", "https://api.openai.com/v1"},
    {"groq", "GROQ_API_KEY", NULL, "https://api.groq.com/openai/v1"},
    {"openrouter", "OPENROUTER_API_KEY", NULL, "https://openrouter.ai/api/v1"},
    {"together-ai", "TOGETHER_API_KEY", NULL, "https://api.together.xyz/v1"},
    {"deepinfra", "DEEPINFRA_API_KEY", NULL, "https://api.deepinfra.com/v1/openai"},
    {"ollama", NULL, NULL, "http://127.0.0.1:11434/v1"},
    {"custom-llm", "OPENAI_API_KEY", NULL, NULL},
    {"anthropic", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "https://api.anthropic.com"},
    {"deepgram", "DEEPGRAM_API_KEY", "DEEPGRAM_BASE_URL", "wss://api.deepgram.com"},
    {"elevenlabs", "ELEVENLABS_API_KEY", "ELEVENLABS_BASE_URL", "https://api.elevenlabs.io"},
    {"11labs", "ELEVENLABS_API_KEY", "ELEVENLABS_BASE_URL", "https://api.elevenlabs.io"},
};
#define N_ROWS (sizeof k_rows / sizeof k_rows[0])

static char *g_key[N_ROWS], *g_url[N_ROWS];
static int g_loaded;
static int g_dg_chunk_ms = 100; /* HARK_DEEPGRAM_CHUNK_MS (stt_deepgram refuses what is out of range) */

/* Every key_var and url_var is a name in the configuration table. */
static const char *value(const hk_config *cfg, const char *var) {
    if (!var) return NULL;
    const char *v = hk_config_get(cfg, var);
    return v && *v ? v : NULL;
}

static void set(char **slot, const char *v) {
    free(*slot);
    *slot = v ? strdup(v) : NULL;
}

void hk_provider_settings_load(const hk_config *cfg) {
    hk_config own;
    if (!cfg) { /* a syntax error in .env leaves own usable; the commands report it */
        char err[256];
        hk_config_load(&own, NULL, err, sizeof err);
    }
    for (size_t i = 0; i < N_ROWS; i++) {
        set(&g_key[i], value(cfg ? cfg : &own, k_rows[i].key_var));
        set(&g_url[i], value(cfg ? cfg : &own, k_rows[i].url_var));
    }
    long ms = hk_config_long(cfg ? cfg : &own, HK_CFG_HARK_DEEPGRAM_CHUNK_MS, 100);
    g_dg_chunk_ms = ms > 0 && ms < 100000 ? (int)ms : 100;
    if (!cfg) hk_config_free(&own);
    g_loaded = 1;
}

static int find(const char *name) {
    if (!name) return -1;
    if (!g_loaded) hk_provider_settings_load(NULL);
    for (size_t i = 0; i < N_ROWS; i++)
        if (strcasecmp(k_rows[i].name, name) == 0) return (int)i;
    return -1;
}

const char *hk_provider_api_key(const char *provider) {
    int i = find(provider);
    return i < 0 ? NULL : g_key[i];
}

const char *hk_provider_base_url(const char *provider) {
    int i = find(provider);
    if (i < 0) return NULL;
    return g_url[i] ? g_url[i] : k_rows[i].default_url;
}

int hk_provider_key_missing(const char *provider, const char *base_url, char *err, size_t errlen) {
    if (!base_url) base_url = hk_provider_base_url(provider);
    if (!hk_provider_needs_key(provider, base_url) || hk_provider_api_key(provider)) return 0;
    int i = find(provider);
    if (err) snprintf(err, errlen, "%s needs an API key (set %s)", provider, k_rows[i].key_var);
    return 1;
}

int hk_provider_needs_key(const char *provider, const char *base_url) {
    int i = find(provider);
    if (i < 0 || !k_rows[i].key_var || !k_rows[i].default_url) return 0;
    return !base_url || strcmp(base_url, k_rows[i].default_url) == 0;
}

int hk_provider_deepgram_chunk_ms(void) {
    if (!g_loaded) hk_provider_settings_load(NULL);
    return g_dg_chunk_ms;
}
