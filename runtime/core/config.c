/* core/config: see config.h. Owns the settings table, .env syntax and the
 * start-up check; nothing else in hark reads these names from getenv. */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

const hk_config_var hk_config_vars[HK_CFG_COUNT] = {
    [HK_CFG_TWILIO_ACCOUNT_SID] = {"TWILIO_ACCOUNT_SID", NULL, "serve",
                                   "Twilio account SID (AC...), for the REST API (transfer, hang up, outbound calls)"},
    [HK_CFG_TWILIO_AUTH_TOKEN] = {"TWILIO_AUTH_TOKEN", NULL, "serve",
                                  "Twilio auth token: verifies X-Twilio-Signature and authenticates REST calls"},
    [HK_CFG_TWILIO_PHONE_NUMBER] = {"TWILIO_PHONE_NUMBER", NULL, NULL,
                                    "default caller ID (E.164) for outbound calls and transfers"},
    [HK_CFG_TWILIO_WEBHOOK_URL] = {"TWILIO_WEBHOOK_URL", NULL, "serve",
                                   "public base URL Twilio reaches hark at (https://host); signatures and the wss:// stream URL are built from it"},
    [HK_CFG_TWILIO_API_BASE_URL] = {"TWILIO_API_BASE_URL", "https://api.twilio.com", NULL,
                                    "Twilio REST API base URL (point at a fake in tests)"},
    [HK_CFG_DATABASE_URL] = {"DATABASE_URL", NULL, NULL,
                             "PostgreSQL URL (postgres://...); unset: a private embedded server"},
    /* The platform layer's: optional (API keys work without JWT_SECRET; one
     * node works without Redis). */
    [HK_CFG_REDIS_URL] = {"REDIS_URL", NULL, NULL,
                          "Redis URL (redis://host:port/db) for concurrent-call caps and the active-call registry shared by workers and nodes; unset: each worker counts its own calls"},
    [HK_CFG_JWT_SECRET] = {"JWT_SECRET", NULL, NULL,
                           "secret (16+ characters) that signs dashboard session JWTs (POST /auth/login); unset: logins are refused, API keys still work"},
    [HK_CFG_AWS_REGION] = {"AWS_REGION", NULL, NULL, "S3 region for call recordings"},
    [HK_CFG_AWS_S3_BUCKET] = {"AWS_S3_BUCKET", NULL, NULL,
                              "S3 bucket for call recordings; unset: recordings stay in HARK_RECORDINGS_DIR"},
    [HK_CFG_AWS_ACCESS_KEY_ID] = {"AWS_ACCESS_KEY_ID", NULL, NULL, "S3 access key id"},
    [HK_CFG_AWS_SECRET_ACCESS_KEY] = {"AWS_SECRET_ACCESS_KEY", NULL, NULL, "S3 secret access key"},
    [HK_CFG_AWS_S3_ENDPOINT] = {"AWS_S3_ENDPOINT", NULL, NULL, "S3-compatible endpoint URL (MinIO, R2, ...)"},
    [HK_CFG_DEEPGRAM_API_KEY] = {"DEEPGRAM_API_KEY", NULL, NULL, "Deepgram key for live speech-to-text"},
    [HK_CFG_DEEPGRAM_BASE_URL] = {"DEEPGRAM_BASE_URL", NULL, NULL, "Deepgram API base URL override"},
    [HK_CFG_HARK_DEEPGRAM_CHUNK_MS] = {"HARK_DEEPGRAM_CHUNK_MS", "100", NULL,
                                       "milliseconds of caller audio per message to Deepgram (20-250; fewer sends per call, what is left goes at once before Finalize)"},
    [HK_CFG_OPENAI_API_KEY] = {"OPENAI_API_KEY", NULL, NULL, "key for OpenAI-compatible chat completions"},
    [HK_CFG_OPENAI_BASE_URL] = {"OPENAI_BASE_URL", NULL, NULL,
                                "OpenAI-compatible API base URL (any compatible server)"},
    [HK_CFG_ANTHROPIC_API_KEY] = {"ANTHROPIC_API_KEY", NULL, NULL, "Anthropic Messages API key"},
    [HK_CFG_ANTHROPIC_BASE_URL] = {"ANTHROPIC_BASE_URL", NULL, NULL, "Anthropic API base URL override"},
    [HK_CFG_ELEVENLABS_API_KEY] = {"ELEVENLABS_API_KEY", NULL, NULL, "ElevenLabs text-to-speech key"},
    [HK_CFG_ELEVENLABS_BASE_URL] = {"ELEVENLABS_BASE_URL", NULL, NULL, "ElevenLabs API base URL override"},
    [HK_CFG_GROQ_API_KEY] = {"GROQ_API_KEY", NULL, NULL, "Groq key (model.provider \"groq\", OpenAI-compatible)"},
    [HK_CFG_OPENROUTER_API_KEY] = {"OPENROUTER_API_KEY", NULL, NULL,
                                   "OpenRouter key (model.provider \"openrouter\", OpenAI-compatible)"},
    [HK_CFG_TOGETHER_API_KEY] = {"TOGETHER_API_KEY", NULL, NULL,
                                 "Together AI key (model.provider \"together-ai\", OpenAI-compatible)"},
    [HK_CFG_DEEPINFRA_API_KEY] = {"DEEPINFRA_API_KEY", NULL, NULL,
                                  "DeepInfra key (model.provider \"deepinfra\", OpenAI-compatible)"},
    [HK_CFG_HARK_PORT] = {"HARK_PORT", "8080", NULL, "HTTP + WebSocket listening port"},
    [HK_CFG_HARK_AGENTS_DIR] = {"HARK_AGENTS_DIR", "agents", NULL, "directory of agent Lua files"},
    [HK_CFG_HARK_RECORDINGS_DIR] = {"HARK_RECORDINGS_DIR", "var/recordings", NULL,
                                    "directory for call recordings (WAV)"},
    [HK_CFG_HARK_ENV] = {"HARK_ENV", "development", NULL,
                         "development or production (production requires the secrets marked so)"},
    [HK_CFG_HARK_DATA_KEY] = {"HARK_DATA_KEY", NULL, "serve:production",
                              "key that encrypts stored secrets and transcripts at rest"},
    [HK_CFG_HARK_STREAM_SECRET] = {"HARK_STREAM_SECRET", NULL, "serve:production",
                                   "secret that signs per-call media-stream tokens (shared by all workers and nodes)"},
    [HK_CFG_HARK_STORE] = {"HARK_STORE", "postgres", NULL,
                           "where call records go: postgres (DATABASE_URL or the embedded cluster) or memory"},
    [HK_CFG_HARK_SPOOL_PATH] = {"HARK_SPOOL_PATH", NULL, NULL,
                                "file records spool to while PostgreSQL is down (default var/store-spool.jsonl; one per worker)"},
    [HK_CFG_HARK_WORKERS] = {"HARK_WORKERS", "1", NULL, "worker processes for hark serve (one per core)"},
    [HK_CFG_HARK_DRAIN_SECONDS] = {"HARK_DRAIN_SECONDS", "30", NULL,
                                   "on SIGTERM, how long live calls may run on before the worker stops"},
    [HK_CFG_HARK_DRAIN_ACCEPT_SECONDS] = {"HARK_DRAIN_ACCEPT_SECONDS", "2", NULL,
                                          "on SIGTERM, how long new calls are still taken while /healthz already "
                                          "answers 503 (at least the balancer's time to mark the node down)"},
    [HK_CFG_HARK_LOG_LEVEL] = {"HARK_LOG_LEVEL", "info", NULL,
                               "debug, info, warn or error; callers' words appear in logs only at debug"},
    [HK_CFG_HARK_LUA_DIR] = {"HARK_LUA_DIR", NULL, NULL, "directory of hark's Lua library (default: the source tree's lua/)"},
    [HK_CFG_HARK_WEB_DIR] = {"HARK_WEB_DIR", NULL, NULL,
                             "directory of the dashboard's static files, served at / and read once at start (default: the source tree's web/)"},
    [HK_CFG_HARK_MAX_CONNECTIONS] = {"HARK_MAX_CONNECTIONS", "4096", NULL,
                                     "open HTTP/WebSocket connections per worker; more are refused with 503"},
    [HK_CFG_HARK_CALL_MEMORY_MB] = {"HARK_CALL_MEMORY_MB", "16", NULL,
                                    "Lua memory one call's agent code may hold (MB); beyond it the call plays its fallback"},
    [HK_CFG_HARK_TTS_CACHE_MB] = {"HARK_TTS_CACHE_MB", "64", NULL,
                                  "memory per worker for synthesised fixed phrases (first message, say) reused by every call (MB); 0: off"},
    /* prices for GET /call's costBreakdown; 0 (the default) means unknown and
     * that part costs 0 */
    [HK_CFG_HARK_PRICE_TELEPHONY_PER_MIN] = {"HARK_PRICE_TELEPHONY_PER_MIN", "0", NULL,
                                             "USD per minute of a call (carrier); costBreakdown.transport. 0: unknown, counted as 0"},
    [HK_CFG_HARK_PRICE_STT_PER_MIN] = {"HARK_PRICE_STT_PER_MIN", "0", NULL,
                                       "USD per minute of speech-to-text (the call's length); costBreakdown.stt. 0: unknown, counted as 0"},
    [HK_CFG_HARK_PRICE_LLM_PER_1K_PROMPT] = {"HARK_PRICE_LLM_PER_1K_PROMPT", "0", NULL,
                                             "USD per 1000 LLM prompt tokens (the providers' reported usage, cache tokens included); costBreakdown.llm. 0: unknown, counted as 0"},
    [HK_CFG_HARK_PRICE_LLM_PER_1K_COMPLETION] = {"HARK_PRICE_LLM_PER_1K_COMPLETION", "0", NULL,
                                                 "USD per 1000 LLM completion tokens; costBreakdown.llm. 0: unknown, counted as 0"},
    [HK_CFG_HARK_PRICE_TTS_PER_1K_CHARS] = {"HARK_PRICE_TTS_PER_1K_CHARS", "0", NULL,
                                            "USD per 1000 characters spoken by text-to-speech; costBreakdown.tts. 0: unknown, counted as 0"},
    [HK_CFG_HARK_TENANT_MAX_CALLS] = {"HARK_TENANT_MAX_CALLS", "0", NULL,
                                      "simultaneous calls per tenant (all agents, all nodes with REDIS_URL); 0: unlimited"},
    [HK_CFG_HARK_CALL_LEASE_SECONDS] = {"HARK_CALL_LEASE_SECONDS", "30", NULL,
                                        "a call's concurrency slot lease (renewed every third of it); a dead node's slots free after it"},
    [HK_CFG_HARK_API_RATE_PER_SECOND] = {"HARK_API_RATE_PER_SECOND", "50", NULL,
                                         "REST API requests per API key (or session user) per second, all nodes with REDIS_URL; over it: 429 with Retry-After. 0: unlimited"},
    [HK_CFG_HARK_LOGIN_PER_EMAIL_PER_MINUTE] = {"HARK_LOGIN_PER_EMAIL_PER_MINUTE", "10", NULL,
                                                "POST /auth/login attempts per email per minute (brute-force limit; 429 over it). 0: unlimited"},
    [HK_CFG_HARK_LOGIN_PER_IP_PER_MINUTE] = {"HARK_LOGIN_PER_IP_PER_MINUTE", "30", NULL,
                                             "POST /auth/login attempts per client address per minute (429 over it). 0: unlimited"},
    [HK_CFG_HARK_AGENT_CALLS_PER_MINUTE] = {"HARK_AGENT_CALLS_PER_MINUTE", "0", NULL,
                                            "default calls per minute per agent (agent calls_per_minute / metadata.hark.callsPerMinute override it); over it: the busy answer. 0: unlimited"},
};

static int set_value(hk_config *c, int k, const char *v, int source)
{
    char *dup = strdup(v);
    if (!dup)
        return -1;
    free(c->value[k]);
    c->value[k] = dup;
    c->source[k] = (unsigned char)source;
    return 0;
}

static int find(const char *name)
{
    for (int k = 0; k < HK_CFG_COUNT; k++)
        if (strcmp(hk_config_vars[k].name, name) == 0)
            return k;
    return -1;
}

static void seterr(char *err, size_t cap, const char *msg)
{
    if (err && cap)
        snprintf(err, cap, "%s", msg);
}

int hk_config_parse_line(const char *line, char *key, size_t keycap, char *value,
                         size_t valcap, char *err, size_t errcap)
{
    const char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0' || *p == '\n' || *p == '\r' || *p == '#')
        return 0;
    if (strncmp(p, "export", 6) == 0 && (p[6] == ' ' || p[6] == '\t')) {
        p += 6;
        while (*p == ' ' || *p == '\t')
            p++;
    }
    size_t kn = 0;
    if (!(isalpha((unsigned char)*p) || *p == '_')) {
        seterr(err, errcap, "expected KEY=VALUE");
        return -1;
    }
    while (isalnum((unsigned char)p[kn]) || p[kn] == '_')
        kn++;
    if (kn >= keycap) {
        seterr(err, errcap, "name too long");
        return -1;
    }
    memcpy(key, p, kn);
    key[kn] = '\0';
    p += kn;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != '=') {
        seterr(err, errcap, "expected '=' after the name");
        return -1;
    }
    p++;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t o = 0;
#define PUT(ch)                                                  \
    do {                                                         \
        if (o + 1 >= valcap) {                                   \
            seterr(err, errcap, "value too long");               \
            return -1;                                           \
        }                                                        \
        value[o++] = (ch);                                       \
    } while (0)
    if (*p == '"' || *p == '\'') {
        char q = *p++;
        for (; *p && *p != q; p++) {
            if (*p == '\n' || *p == '\r')
                break;
            if (q == '"' && *p == '\\' && p[1]) {
                p++;
                PUT(*p == 'n' ? '\n' : *p == 't' ? '\t' : *p == 'r' ? '\r' : *p);
            } else {
                PUT(*p);
            }
        }
        if (*p != q) {
            seterr(err, errcap, "unterminated quoted value");
            return -1;
        }
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p && *p != '#' && *p != '\n' && *p != '\r') {
            seterr(err, errcap, "unexpected text after the closing quote");
            return -1;
        }
    } else {
        /* Unquoted: up to the end of the line or a '#' that follows a blank. */
        for (; *p && *p != '\n' && *p != '\r'; p++) {
            if (*p == '#' && o > 0 && (value[o - 1] == ' ' || value[o - 1] == '\t'))
                break;
            PUT(*p);
        }
        while (o > 0 && (value[o - 1] == ' ' || value[o - 1] == '\t'))
            o--;
    }
#undef PUT
    value[o] = '\0';
    return 1;
}

static int load_dotenv(hk_config *c, const char *path, char *err, size_t errcap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        if (err && errcap)
            snprintf(err, errcap, "config: cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL, key[128], msg[128];
    size_t cap = 0;
    int lineno = 0, rc = 0;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        char *value = malloc(strlen(line) + 1);
        if (!value) {
            rc = -1;
            seterr(err, errcap, "config: out of memory");
            break;
        }
        int r = hk_config_parse_line(line, key, sizeof key, value, strlen(line) + 1, msg, sizeof msg);
        if (r < 0) {
            if (err && errcap)
                snprintf(err, errcap, "config: %s line %d: %s", path, lineno, msg);
            rc = -1;
        } else if (r > 0) {
            int k = find(key);
            /* Unknown names are left alone: a .env is often shared with other tools. */
            if (k >= 0 && c->source[k] != HK_CFG_FROM_ENV && set_value(c, k, value, HK_CFG_FROM_DOTENV) < 0)
                rc = -1;
        }
        free(value);
        if (rc < 0)
            break;
    }
    if (rc == 0 && ferror(f)) { /* e.g. EISDIR: fopen succeeds on a directory */
        if (err && errcap)
            snprintf(err, errcap, "config: cannot read %s: %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
}

int hk_config_load(hk_config *c, const char *dotenv_path, char *err, size_t errcap)
{
    memset(c, 0, sizeof *c);
    if (err && errcap)
        err[0] = '\0';
    int rc = 0;
    for (int k = 0; k < HK_CFG_COUNT; k++) {
        const char *v = getenv(hk_config_vars[k].name);
        if (v && set_value(c, k, v, HK_CFG_FROM_ENV) < 0)
            rc = -1;
    }
    if (load_dotenv(c, dotenv_path ? dotenv_path : ".env", err, errcap) < 0)
        rc = -1;
    for (int k = 0; k < HK_CFG_COUNT; k++)
        if (!c->value[k] && hk_config_vars[k].def && set_value(c, k, hk_config_vars[k].def, HK_CFG_FROM_DEFAULT) < 0)
            rc = -1;
    if (rc < 0 && err && errcap && !err[0])
        seterr(err, errcap, "config: out of memory");
    return rc;
}

int hk_config_set(hk_config *c, hk_config_key k, const char *v)
{
    if ((unsigned)k >= HK_CFG_COUNT)
        return -1;
    if (!v) {
        free(c->value[k]);
        c->value[k] = NULL;
        c->source[k] = HK_CFG_UNSET;
        return 0;
    }
    return set_value(c, (int)k, v, HK_CFG_FROM_SET);
}

int hk_config_copy(hk_config *dst, const hk_config *src)
{
    memset(dst, 0, sizeof *dst);
    for (int k = 0; k < HK_CFG_COUNT; k++) {
        if (src->value[k] && set_value(dst, k, src->value[k], src->source[k]) < 0) {
            hk_config_free(dst);
            return -1;
        }
        dst->source[k] = src->source[k];
    }
    return 0;
}

void hk_config_free(hk_config *c)
{
    for (int k = 0; k < HK_CFG_COUNT; k++) {
        free(c->value[k]);
        c->value[k] = NULL;
        c->source[k] = HK_CFG_UNSET;
    }
}

const char *hk_config_str(const hk_config *c, hk_config_key k)
{
    return c && (unsigned)k < HK_CFG_COUNT ? c->value[k] : NULL; /* no config: nothing set */
}

const char *hk_config_get(const hk_config *c, const char *name)
{
    int k = name ? find(name) : -1;
    return k < 0 ? NULL : c->value[k];
}

static int parse_long(const char *s, long *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || isspace((unsigned char)*s))
        return -1;
    *out = v;
    return 0;
}

long hk_config_long(const hk_config *c, hk_config_key k, long fallback)
{
    long v;
    return parse_long(hk_config_str(c, k), &v) == 0 ? v : fallback;
}

const char *hk_config_source(const hk_config *c, hk_config_key k)
{
    static const char *const names[] = {"unset", "default", ".env", "environment", "set by hark"};
    return (unsigned)k < HK_CFG_COUNT ? names[c->source[k]] : "unset";
}

bool hk_config_production(const hk_config *c)
{
    const char *e = c->value[HK_CFG_HARK_ENV];
    return e && strcmp(e, "production") == 0;
}

/* Whether required_for (space-separated words) names command for this env. */
static bool needed(const char *required_for, const char *command, bool production)
{
    size_t cl = strlen(command);
    for (const char *w = required_for; w && *w;) {
        size_t n = strcspn(w, " ");
        if (n == cl && strncmp(w, command, cl) == 0)
            return true;
        if (production && n == cl + 11 && strncmp(w, command, cl) == 0 && strncmp(w + cl, ":production", 11) == 0)
            return true;
        w += n;
        while (*w == ' ')
            w++;
    }
    return false;
}

/* Appends to err, keeping it NUL-terminated and truncating quietly. */
static void add(char *err, size_t cap, size_t *len, const char *s)
{
    if (!err || !cap || *len >= cap - 1)
        return;
    int n = snprintf(err + *len, cap - *len, "%s", s);
    if (n > 0)
        *len = *len + (size_t)n < cap - 1 ? *len + (size_t)n : cap - 1;
}

int hk_config_check(const hk_config *c, const char *command, char *err, size_t errcap)
{
    size_t len = 0;
    int missing = 0, problems = 0;
    bool prod = hk_config_production(c);
    if (err && errcap)
        err[0] = '\0';
    add(err, errcap, &len, "config: ");
    for (int k = 0; k < HK_CFG_COUNT; k++) {
        if (!needed(hk_config_vars[k].required_for, command ? command : "", prod))
            continue;
        if (c->value[k] && c->value[k][0])
            continue;
        add(err, errcap, &len, missing++ ? ", " : "missing ");
        add(err, errcap, &len, hk_config_vars[k].name);
    }
    if (missing) {
        add(err, errcap, &len, " (needed by hark ");
        add(err, errcap, &len, command);
        add(err, errcap, &len, prod ? " in production)" : ")");
        problems++;
    }
    const char *env = c->value[HK_CFG_HARK_ENV];
    if (env && strcmp(env, "development") != 0 && strcmp(env, "production") != 0) {
        add(err, errcap, &len, problems++ ? "; " : "");
        add(err, errcap, &len, "HARK_ENV must be development or production");
    }
    const char *port = c->value[HK_CFG_HARK_PORT];
    long p;
    if (port && *port && (parse_long(port, &p) < 0 || p < 1 || p > 65535)) {
        add(err, errcap, &len, problems++ ? "; " : "");
        add(err, errcap, &len, "HARK_PORT must be a port number 1-65535");
    }
    static const struct { hk_config_key k; const char *choices; } words[] = {
        {HK_CFG_HARK_STORE, "postgres memory"}, {HK_CFG_HARK_LOG_LEVEL, "debug info warn error"}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        const char *v = c->value[words[i].k];
        if (v && *v && !needed(words[i].choices, v, false)) { /* needed() matches one word */
            add(err, errcap, &len, problems++ ? "; " : "");
            add(err, errcap, &len, hk_config_vars[words[i].k].name);
            add(err, errcap, &len, " must be one of: ");
            add(err, errcap, &len, words[i].choices);
        }
    }
    static const struct { hk_config_key k; long lo, hi; const char *range; } nums[] = {
        {HK_CFG_HARK_WORKERS, 1, 64, "1-64"},
        {HK_CFG_HARK_DRAIN_SECONDS, 0, 86400, "0-86400"},
        {HK_CFG_HARK_DRAIN_ACCEPT_SECONDS, 0, 3600, "0-3600"},
        {HK_CFG_HARK_MAX_CONNECTIONS, 1, 1000000, "1-1000000"},
        {HK_CFG_HARK_CALL_MEMORY_MB, 1, 65536, "1-65536"},
        {HK_CFG_HARK_TTS_CACHE_MB, 0, 65536, "0-65536"},
        {HK_CFG_HARK_DEEPGRAM_CHUNK_MS, 20, 250, "20-250 (milliseconds of audio per Deepgram message)"}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        const char *v = c->value[nums[i].k];
        long n;
        if (v && *v && (parse_long(v, &n) < 0 || n < nums[i].lo || n > nums[i].hi)) {
            add(err, errcap, &len, problems++ ? "; " : "");
            add(err, errcap, &len, hk_config_vars[nums[i].k].name);
            add(err, errcap, &len, " must be a whole number ");
            add(err, errcap, &len, nums[i].range);
        }
    }
    /* prices (GET /call's costBreakdown): a wrong one is found here, not as a 0 */
    for (int k = HK_CFG_HARK_PRICE_TELEPHONY_PER_MIN; k <= HK_CFG_HARK_PRICE_TTS_PER_1K_CHARS; k++) {
        const char *v = c->value[k];
        char *end = NULL;
        double d = v && *v ? strtod(v, &end) : 0;
        if (v && *v && (*end || !(d >= 0 && d < 1e6))) {
            add(err, errcap, &len, problems++ ? "; " : "");
            add(err, errcap, &len, hk_config_vars[k].name);
            add(err, errcap, &len, " must be a price in USD (a number, 0 or more)");
        }
    }
    for (int k = 0; k < HK_CFG_COUNT; k++) {
        const char *n = hk_config_vars[k].name, *v = c->value[k];
        size_t nl = strlen(n);
        bool is_url = nl > 4 && strcmp(n + nl - 4, "_URL") == 0 && k != HK_CFG_DATABASE_URL
                      && k != HK_CFG_REDIS_URL;
        /* Deepgram's live API is a WebSocket: wss:// (ws:// locally) as well */
        bool ws = k == HK_CFG_DEEPGRAM_BASE_URL;
        bool ok_scheme = v && (strncmp(v, "https://", 8) == 0 || strncmp(v, "http://", 7) == 0 ||
                               (ws && (strncmp(v, "wss://", 6) == 0 || strncmp(v, "ws://", 5) == 0)));
        if (is_url && v && *v && !ok_scheme) {
            add(err, errcap, &len, problems++ ? "; " : "");
            add(err, errcap, &len, n);
            add(err, errcap, &len, ws ? " must start with wss://, ws://, https:// or http://"
                                       : " must start with https:// or http://");
        }
    }
    if (!problems && err && errcap)
        err[0] = '\0';
    return problems ? -1 : 0;
}

void hk_config_print_help(FILE *out)
{
    fprintf(out, "Settings (environment, or KEY=VALUE lines in ./.env; the environment wins):\n");
    for (int k = 0; k < HK_CFG_COUNT; k++) {
        const hk_config_var *v = &hk_config_vars[k];
        fprintf(out, "  %s", v->name);
        if (v->def)
            fprintf(out, " (default: %s)", v->def);
        /* "serve serve:production" -> [required by hark serve, hark serve (production)] */
        for (const char *w = v->required_for, *sep = " [required by "; w && *w; sep = ", ") {
            size_t n = strcspn(w, " "), c = strcspn(w, ":");
            if (c < n)
                fprintf(out, "%shark %.*s (production)", sep, (int)c, w);
            else
                fprintf(out, "%shark %.*s", sep, (int)n, w);
            w += n;
            while (*w == ' ')
                w++;
            if (!*w)
                fputc(']', out);
        }
        fprintf(out, "\n      %s\n", v->description);
    }
}
