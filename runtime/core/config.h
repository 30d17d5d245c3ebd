/* core/config: hark's settings, from the environment and a `.env` file in the
 * working directory (the environment wins). One table names every setting
 * with its default, the commands that need it and a description, so
 * `hark serve --help` lists them all and a missing value is reported once,
 * by name, at start-up instead of as a failure mid-call. Read once at start;
 * never re-read while calls run. */
#ifndef HK_CONFIG_H
#define HK_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

typedef enum {
    HK_CFG_TWILIO_ACCOUNT_SID,
    HK_CFG_TWILIO_AUTH_TOKEN,
    HK_CFG_TWILIO_PHONE_NUMBER,
    HK_CFG_TWILIO_WEBHOOK_URL,
    HK_CFG_TWILIO_API_BASE_URL,
    HK_CFG_DATABASE_URL,
    HK_CFG_REDIS_URL,
    HK_CFG_JWT_SECRET,
    HK_CFG_AWS_REGION,
    HK_CFG_AWS_S3_BUCKET,
    HK_CFG_AWS_ACCESS_KEY_ID,
    HK_CFG_AWS_SECRET_ACCESS_KEY,
    HK_CFG_AWS_S3_ENDPOINT,
    HK_CFG_DEEPGRAM_API_KEY,
    HK_CFG_DEEPGRAM_BASE_URL,
    HK_CFG_HARK_DEEPGRAM_CHUNK_MS,  /* providers/stt_deepgram.c, via providers/settings.c */
    HK_CFG_OPENAI_API_KEY,
    HK_CFG_OPENAI_BASE_URL,
    HK_CFG_ANTHROPIC_API_KEY,
    HK_CFG_ANTHROPIC_BASE_URL,
    HK_CFG_ELEVENLABS_API_KEY,
    HK_CFG_ELEVENLABS_BASE_URL,
    HK_CFG_GROQ_API_KEY,
    HK_CFG_OPENROUTER_API_KEY,
    HK_CFG_TOGETHER_API_KEY,
    HK_CFG_DEEPINFRA_API_KEY,
    HK_CFG_HARK_PORT,
    HK_CFG_HARK_AGENTS_DIR,
    HK_CFG_HARK_RECORDINGS_DIR,
    HK_CFG_HARK_ENV,
    HK_CFG_HARK_DATA_KEY,
    HK_CFG_HARK_STREAM_SECRET,
    HK_CFG_HARK_STORE,
    HK_CFG_HARK_SPOOL_PATH,
    HK_CFG_HARK_WORKERS,
    HK_CFG_HARK_DRAIN_SECONDS,
    HK_CFG_HARK_DRAIN_ACCEPT_SECONDS, /* cli/cmd_serve.c: calls still taken after SIGTERM */
    HK_CFG_HARK_LOG_LEVEL,
    HK_CFG_HARK_LUA_DIR,
    HK_CFG_HARK_WEB_DIR,            /* api/web_static.c */
    HK_CFG_HARK_MAX_CONNECTIONS,
    HK_CFG_HARK_CALL_MEMORY_MB,
    HK_CFG_HARK_TTS_CACHE_MB,
    HK_CFG_HARK_PRICE_TELEPHONY_PER_MIN, /* USD; GET /call's costBreakdown (api/call_json.c);
                                            the five prices stay together: config.c checks them as a range */
    HK_CFG_HARK_PRICE_STT_PER_MIN,
    HK_CFG_HARK_PRICE_LLM_PER_1K_PROMPT,
    HK_CFG_HARK_PRICE_LLM_PER_1K_COMPLETION,
    HK_CFG_HARK_PRICE_TTS_PER_1K_CHARS,
    HK_CFG_HARK_TENANT_MAX_CALLS,   /* cluster/call_limits.c */
    HK_CFG_HARK_CALL_LEASE_SECONDS,
    HK_CFG_HARK_API_RATE_PER_SECOND, /* cluster/rate_limit.c users: api.c, auth_login.c, twilio_webhook.c */
    HK_CFG_HARK_LOGIN_PER_EMAIL_PER_MINUTE,
    HK_CFG_HARK_LOGIN_PER_IP_PER_MINUTE,
    HK_CFG_HARK_AGENT_CALLS_PER_MINUTE,
    HK_CFG_COUNT
} hk_config_key;

typedef struct hk_config_var {
    const char *name;
    const char *def;          /* default, NULL when none */
    const char *required_for; /* space-separated: "serve" (always), "serve:production"
                                 (only when HARK_ENV=production); NULL: optional */
    const char *description;
} hk_config_var;

/* The table, in hk_config_key order. */
extern const hk_config_var hk_config_vars[HK_CFG_COUNT];

/* HK_CFG_FROM_SET: set by hark itself (hk_config_set), e.g. the stream secret
 * and per-worker spool path hark serve's supervisor hands its forked workers. */
enum { HK_CFG_UNSET = 0, HK_CFG_FROM_DEFAULT, HK_CFG_FROM_DOTENV, HK_CFG_FROM_ENV, HK_CFG_FROM_SET };

typedef struct hk_config {
    char *value[HK_CFG_COUNT];         /* malloc'ed, NULL when unset with no default */
    unsigned char source[HK_CFG_COUNT];
} hk_config;

/* Loads from the environment, then dotenv_path (NULL: ".env"; a missing file
 * is fine) for names the environment lacks, then the defaults. Returns 0, or
 * -1 with err naming the file and line of a syntax error (or no memory);
 * cfg is usable (and must be freed) either way. */
int hk_config_load(hk_config *cfg, const char *dotenv_path, char *err, size_t errcap);
void hk_config_free(hk_config *cfg);
/* Sets one value in-process (source HK_CFG_FROM_SET; NULL unsets). The
 * environment is never written: workers forked after this inherit cfg. 0 or
 * -1 (no memory). */
int hk_config_set(hk_config *cfg, hk_config_key k, const char *value);
/* Deep copy (dst must be freed). 0 or -1 (no memory; dst is then empty). */
int hk_config_copy(hk_config *dst, const hk_config *src);

/* Value (or default), NULL when unset. hk_config_get takes a name; unknown
 * names give NULL. */
const char *hk_config_str(const hk_config *cfg, hk_config_key k);
const char *hk_config_get(const hk_config *cfg, const char *name);
/* Integer value, or fallback when unset or not a decimal integer. */
long hk_config_long(const hk_config *cfg, hk_config_key k, long fallback);
/* "environment", ".env", "default", "set by hark" or "unset". */
const char *hk_config_source(const hk_config *cfg, hk_config_key k);
bool hk_config_production(const hk_config *cfg);

/* Checks cfg for command ("serve", ...): every required value present
 * (non-empty), HARK_ENV one of development|production, HARK_PORT 1..65535, URLs
 * with a scheme. Returns 0, or -1 with one message in err naming every
 * problem ("config: missing TWILIO_AUTH_TOKEN, HARK_STREAM_SECRET (needed by
 * hark serve); HARK_PORT must be a port number 1-65535"). */
int hk_config_check(const hk_config *cfg, const char *command, char *err, size_t errcap);

/* One block per setting: name, default, when required, description. */
void hk_config_print_help(FILE *out);

/* Parses one .env line into key/value buffers. Returns 1 (a setting), 0 (blank
 * or comment) or -1 (syntax error, message in err). Exposed for the tests. */
int hk_config_parse_line(const char *line, char *key, size_t keycap, char *value,
                         size_t valcap, char *err, size_t errcap);

#endif
