/* cluster/call_limits: concurrent-call caps per agent (agent field
 * max_concurrent_calls) and per tenant (HARK_TENANT_MAX_CALLS), one per
 * worker process. With Redis (REDIS_URL) a call holds a lease: a member of a
 * sorted set per agent and per tenant scored by its expiry
 * (HARK_CALL_LEASE_SECONDS, default 30), taken by an atomic Lua check-and-add,
 * renewed every third of the TTL by the worker that took it, removed when the
 * call ends (any worker, by call sid); a killed node's leases expire. The
 * active-call registry (hash hark:active:<tenant>: sid -> agent, started ms)
 * is written alongside. Redis unreachable: per-worker counting (logged once,
 * counted in hark_call_limit_degraded_total). */
#ifndef HK_CALL_LIMITS_H
#define HK_CALL_LIMITS_H

#include <ev.h>

#include "core/config.h"

/* Sets up this worker's limits (Redis from REDIS_URL when set). 0, or -1 with err. */
int hk_call_limits_init(struct ev_loop *loop, const hk_config *cfg, char *err, size_t errlen);
void hk_call_limits_shutdown(void);
/* The worker's Redis connection (cluster/rate_limit shares it), NULL when REDIS_URL is unset. */
struct hk_redis *hk_call_limits_redis(void);

/* 1 when a call of an agent with this cap must ask for a slot (a cap applies or Redis keeps the
 * registry). */
int hk_call_limits_apply(int agent_cap);

/* granted 1: the call may go on; 0: busy (why names the cap). Called exactly once, possibly
 * before hk_call_limits_acquire returns. */
typedef void (*hk_call_limits_cb)(void *ud, int granted, const char *why);
void hk_call_limits_acquire(const char *sid, const char *tenant, const char *agent_id,
                            int agent_cap, hk_call_limits_cb cb, void *ud);

/* The call ended: frees its slot (idempotent; the lease may be another worker's). */
void hk_call_limits_release(const char *sid);

/* The tenant's active calls from the registry (leases still live): cb gets a JSON array text
 * [{"callSid","agentId","startedAt"(ms)}] or NULL with err. */
typedef void (*hk_call_limits_active_cb)(void *ud, const char *json, const char *err);
void hk_call_limits_active(const char *tenant, hk_call_limits_active_cb cb, void *ud);

#endif
