/* providers/settings: where each cloud provider is and the key hark shows it:
 * API keys and base URLs by provider name (Vapi's names and aliases), from the
 * configuration (environment, .env) with the public defaults. Set at start
 * (and on a reload) by the commands; read when a call opens its providers. */
#ifndef HK_PROVIDER_SETTINGS_H
#define HK_PROVIDER_SETTINGS_H

#include "core/config.h"

/* Copy keys and base URLs from cfg (NULL: load the configuration now:
 * environment, then ./.env). */
void hk_provider_settings_load(const hk_config *cfg);
/* The key for provider (NULL when none is set). */
const char *hk_provider_api_key(const char *provider);
/* The base URL: the configured override, else the provider's public URL
 * (NULL for names without one, e.g. custom-llm, which needs model.url). */
const char *hk_provider_base_url(const char *provider);
/* 1 when calling this provider at this URL needs a key (the public service);
 * servers at overridden or local URLs (Ollama, vLLM, the fakes) may not. */
int hk_provider_needs_key(const char *provider, const char *base_url);
/* 1 when provider at base_url (NULL: its configured one) needs a key and none
 * is set, with err (may be NULL) saying which setting is missing. */
int hk_provider_key_missing(const char *provider, const char *base_url, char *err, size_t errlen);

/* Milliseconds of caller audio per message to Deepgram (HARK_DEEPGRAM_CHUNK_MS). */
int hk_provider_deepgram_chunk_ms(void);

#endif
