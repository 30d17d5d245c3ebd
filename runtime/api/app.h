/* api/app: what a serving worker holds (its loop and clock, the Lua VM, the
 * configuration, the agents directory, the outbound HTTP client, live calls)
 * and the derived public URLs Twilio is given. One per worker process. */
#ifndef HK_APP_H
#define HK_APP_H

#include <ev.h>

#include "agent/agent_dir.h"
#include "agent/vm.h"
#include "core/clock.h"
#include "core/config.h"
#include "net/http_client.h"
#include "store/store.h"

typedef struct hk_app {
    struct ev_loop *loop;
    hk_clock *clock;
    hk_vm *vm;
    hk_config *cfg;
    hk_agent_dir *agents;
    hk_http_client *http;
    hk_store *store;         /* call records */
    char webhook_url[512];   /* public URL of the incoming-call webhook */
    char public_base[256];   /* scheme://host[:port] of it */
    char stream_base[256];   /* wss://host[:port] */
    char stream_secret[128];
    int draining;            /* SIGTERM: refuse new calls */
    int live_calls;
    int stream_token_ttl_s;
} hk_app;

/* Fill the derived URLs and, unless already set, the stream secret from cfg. -1 with err set when
 * TWILIO_WEBHOOK_URL is not an http(s) URL. */
int hk_app_init_urls(hk_app *app, char *err, size_t errlen);

#endif
