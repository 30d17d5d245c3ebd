/* api/events_redis: the live events' cross-worker and cross-node half.
 * Every event a worker's calls emit is published to Redis channel
 * hark:events:<tenant> as {"o":<origin>,"m":<the client message>} (origin:
 * host/pid/random, so a worker skips its own); one subscriber connection
 * per worker (PSUBSCRIBE hark:events:*) hands the others' messages to
 * api/events. The live calls' snapshot objects sit in the hash
 * hark:live:<tenant> (call id -> JSON), filtered by the active-call
 * registry (cluster/call_limits) when read, so a dead node's calls vanish
 * with their leases. Without REDIS_URL every function is a no-op and a
 * snapshot holds no remote calls. hiredis async on the loop; never blocks. */
#ifndef HK_EVENTS_REDIS_H
#define HK_EVENTS_REDIS_H

#include <stddef.h>

#include <ev.h>

struct cJSON;

int hk_events_redis_init(struct ev_loop *loop, const char *url, char *err, size_t errlen);
void hk_events_redis_shutdown(void);
/* 1 while the subscriber is subscribed (tests). */
int hk_events_redis_subscribed(void);

void hk_events_redis_publish(const char *tenant, const char *msg, size_t len);
void hk_events_redis_live_set(const char *tenant, const char *call_id, const char *obj_json);
void hk_events_redis_live_del(const char *tenant, const char *call_id);

/* A revoked session token (api/session_cookie), told to every worker
 * (channel hark:revoke, "<hex> <exp>"). */
void hk_events_redis_revoke(const char *hex, long exp);

/* The tenant's live calls on every worker (an array the callback owns;
 * NULL without Redis or on error). cb may run before this returns. */
typedef void (*hk_events_calls_cb)(void *ud, struct cJSON *calls);
void hk_events_redis_calls(const char *tenant, hk_events_calls_cb cb, void *ud);

#endif
