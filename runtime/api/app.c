/* api/app: derived settings of a serving worker. See app.h. */
#include "api/app.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"

#define WEBHOOK_PATH "/api/v1/voice-agents/twilio/webhook"

int hk_app_init_urls(hk_app *app, char *err, size_t errlen) {
    const char *u = hk_config_str(app->cfg, HK_CFG_TWILIO_WEBHOOK_URL);
    if (!u || (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)) {
        snprintf(err, errlen, "TWILIO_WEBHOOK_URL must be the public http(s) URL of %s "
                 "(got '%s')", WEBHOOK_PATH, u ? u : "");
        return -1;
    }
    /* accept the full webhook URL (the seed's form) or just the public base */
    const char *host = strstr(u, "://") + 3;
    const char *path = strchr(host, '/');
    size_t base_len = path ? (size_t)(path - u) : strlen(u);
    snprintf(app->public_base, sizeof app->public_base, "%.*s", (int)base_len, u);
    if (path && strcmp(path, "/") != 0)
        snprintf(app->webhook_url, sizeof app->webhook_url, "%s", u);
    else
        snprintf(app->webhook_url, sizeof app->webhook_url, "%s%s", app->public_base, WEBHOOK_PATH);
    int tls = strncmp(u, "https://", 8) == 0;
    snprintf(app->stream_base, sizeof app->stream_base, "%s://%.*s", tls ? "wss" : "ws",
             (int)(base_len - (size_t)(host - u)), host);
    const char *secret = hk_config_str(app->cfg, HK_CFG_HARK_STREAM_SECRET);
    if (app->stream_secret[0]) {
        /* kept (a reload, or a command that signs no streams) */
    } else if (secret && *secret) {
        snprintf(app->stream_secret, sizeof app->stream_secret, "%s", secret);
    } else {
        unsigned char r[32];
        if (RAND_bytes(r, sizeof r) != 1) {
            snprintf(err, errlen, "cannot generate a stream secret");
            return -1;
        }
        for (size_t i = 0; i < sizeof r; i++) sprintf(app->stream_secret + 2 * i, "%02x", r[i]);
        hk_log(HK_LOG_WARN, NULL, "stream_secret_generated",
               "HARK_STREAM_SECRET is not set: using a random one (fine for one worker; set it "
               "when several workers or nodes share calls)");
    }
    if (!app->stream_token_ttl_s) app->stream_token_ttl_s = 300;
    return 0;
}
