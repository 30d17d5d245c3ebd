/* core/app: what a serving worker holds, shared by the parts that serve
 * requests (api/ routes and handlers, telephony/ webhooks and media
 * streams): its loop and clock, the Lua VM, the configuration, the agents
 * directory, the outbound HTTP client, the store, live calls and the public
 * URLs Twilio is given. One per worker process, filled by cli/worker.c and
 * api/app.c (hk_app_init_urls). The higher layers' objects are opaque
 * pointers here, so that telephony/ needs no api/ header and core/ includes
 * no higher layer. */
#ifndef HK_CORE_APP_H
#define HK_CORE_APP_H

#include "core/clock.h"
#include "core/config.h"

struct ev_loop;
typedef struct hk_vm hk_vm;
typedef struct hk_agent_dir hk_agent_dir;
typedef struct hk_http_client hk_http_client;
typedef struct hk_store hk_store;

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
    int draining;            /* SIGTERM: /healthz answers 503 */
    int refusing;            /* draining, and HARK_DRAIN_ACCEPT_SECONDS have passed: new calls refused */
    double last_stream_offer; /* ev_now when a webhook last answered with a stream (0: never) */
    int live_calls;
    int stream_token_ttl_s;
} hk_app;

#endif
