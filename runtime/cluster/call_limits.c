/* cluster/call_limits: see call_limits.h. Owns the worker's lease table
 * (the calls it admitted: renewed by its heartbeat timer), the Lua scripts
 * and the per-worker fallback counting. */
#include "cluster/call_limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/redis.h"
#include "core/log.h"
#include "core/metrics.h"

#define MAX_LEASES 4096
#define CMD_TIMEOUT_S 1.0
#define NO_STREAM_LIMIT_S (4 * 3600) /* a lease is renewed at most this long */

/* KEYS: agent set, tenant set, lease hash, active hash. ARGV: now ms, expiry ms, agent cap,
 * tenant cap, sid, agent id, ttl ms. 1 granted, 0 agent full, -1 tenant full. */
static const char *ACQUIRE_LUA =
    "local now=tonumber(ARGV[1])\n"
    "redis.call('ZREMRANGEBYSCORE',KEYS[1],'-inf',now)\n"
    "redis.call('ZREMRANGEBYSCORE',KEYS[2],'-inf',now)\n"
    "if redis.call('ZSCORE',KEYS[2],ARGV[5]) then return 1 end\n"
    "local ac=tonumber(ARGV[3]) local tc=tonumber(ARGV[4])\n"
    "if ac>0 and redis.call('ZCARD',KEYS[1])>=ac then return 0 end\n"
    "if tc>0 and redis.call('ZCARD',KEYS[2])>=tc then return -1 end\n"
    "redis.call('ZADD',KEYS[1],ARGV[2],ARGV[5])\n"
    "redis.call('ZADD',KEYS[2],ARGV[2],ARGV[5])\n"
    "redis.call('HSET',KEYS[3],'a',KEYS[1],'t',KEYS[2],'r',KEYS[4])\n"
    "redis.call('PEXPIRE',KEYS[3],ARGV[7])\n"
    "redis.call('HSET',KEYS[4],ARGV[5],ARGV[6]..'\\t'..ARGV[1])\n"
    "return 1\n";

/* KEYS: lease hash. ARGV: expiry ms, sid, ttl ms. 1 renewed, 0 gone (released or expired). */
static const char *RENEW_LUA =
    "local a=redis.call('HGET',KEYS[1],'a')\n"
    "if not a then return 0 end\n"
    "local t=redis.call('HGET',KEYS[1],'t')\n"
    "if not redis.call('ZSCORE',t,ARGV[2]) then return 0 end\n"
    "redis.call('ZADD',a,'XX',ARGV[1],ARGV[2])\n"
    "redis.call('ZADD',t,'XX',ARGV[1],ARGV[2])\n"
    "redis.call('PEXPIRE',KEYS[1],ARGV[3])\n"
    "return 1\n";

/* KEYS: lease hash. ARGV: sid. */
static const char *RELEASE_LUA =
    "local h=redis.call('HMGET',KEYS[1],'a','t','r')\n"
    "if not h[1] then return 0 end\n"
    "redis.call('ZREM',h[1],ARGV[1]) redis.call('ZREM',h[2],ARGV[1])\n"
    "redis.call('HDEL',h[3],ARGV[1]) redis.call('DEL',KEYS[1])\n"
    "return 1\n";

/* KEYS: tenant set, active hash. ARGV: now ms. Flat array sid, value of live leases; drops
 * the registry entries of expired ones. */
static const char *ACTIVE_LUA =
    "local out={}\n"
    "local all=redis.call('HGETALL',KEYS[2])\n"
    "for i=1,#all,2 do\n"
    "  local s=redis.call('ZSCORE',KEYS[1],all[i])\n"
    "  if s and tonumber(s)>tonumber(ARGV[1]) then out[#out+1]=all[i] out[#out+1]=all[i+1]\n"
    "  else redis.call('HDEL',KEYS[2],all[i]) end\n"
    "end\n"
    "return out\n";

typedef struct lease {
    char sid[64];
    char agent[128], tenant[64];
    double expiry, started;
    int remote; /* held in Redis (renewed there) */
    int used;
} lease;

static struct {
    struct ev_loop *loop;
    hk_redis *redis;
    long tenant_cap;
    double ttl_s;
    ev_timer beat;
    lease *leases;
    int inited;
} L;

static double wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static lease *find(const char *sid) {
    for (int i = 0; L.leases && i < MAX_LEASES; i++)
        if (L.leases[i].used && strcmp(L.leases[i].sid, sid) == 0) return &L.leases[i];
    return NULL;
}

static lease *add(const char *sid, const char *tenant, const char *agent, int remote) {
    lease *l = find(sid);
    for (int i = 0; !l && L.leases && i < MAX_LEASES; i++)
        if (!L.leases[i].used) l = &L.leases[i];
    if (!l) return NULL;
    memset(l, 0, sizeof *l);
    l->used = 1;
    l->remote = remote;
    snprintf(l->sid, sizeof l->sid, "%s", sid);
    snprintf(l->tenant, sizeof l->tenant, "%s", tenant);
    snprintf(l->agent, sizeof l->agent, "%s", agent);
    l->started = wall();
    l->expiry = l->started + L.ttl_s;
    return l;
}

static void key(char *out, size_t n, const char *kind, const char *a, const char *b) {
    if (b) snprintf(out, n, "hark:%s:%s:%s", kind, a, b);
    else snprintf(out, n, "hark:%s:%s", kind, a);
}

static void on_renewed(void *ud, redisReply *r, const char *err) {
    char *sid = ud;
    if (!err && r && r->type == REDIS_REPLY_INTEGER && r->integer == 0) {
        lease *l = find(sid);
        if (l && l->remote) l->used = 0; /* released by another worker, or expired */
    }
    free(sid);
}

static void on_beat(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop; (void)w; (void)revents;
    double now = wall();
    for (int i = 0; i < MAX_LEASES; i++) {
        lease *l = &L.leases[i];
        if (!l->used) continue;
        if (now - l->started > NO_STREAM_LIMIT_S) {
            hk_call_limits_release(l->sid);
            continue;
        }
        l->expiry = now + L.ttl_s;
        if (!l->remote) continue;
        if (!hk_redis_connected(L.redis)) continue; /* back later: renewed then (or expired) */
        char lk[128], exp[32], ttl[32];
        key(lk, sizeof lk, "lease", l->sid, NULL);
        snprintf(exp, sizeof exp, "%.0f", l->expiry * 1000);
        snprintf(ttl, sizeof ttl, "%.0f", L.ttl_s * 1000);
        const char *argv[] = {"EVAL", RENEW_LUA, "1", lk, exp, l->sid, ttl};
        hk_redis_command(L.redis, CMD_TIMEOUT_S, on_renewed, strdup(l->sid), 7, argv);
    }
}

int hk_call_limits_init(struct ev_loop *loop, const hk_config *cfg, char *err, size_t errlen) {
    memset(&L, 0, sizeof L);
    L.loop = loop;
    L.tenant_cap = hk_config_long(cfg, HK_CFG_HARK_TENANT_MAX_CALLS, 0);
    L.ttl_s = (double)hk_config_long(cfg, HK_CFG_HARK_CALL_LEASE_SECONDS, 30);
    if (L.ttl_s < 1) L.ttl_s = 1;
    L.leases = calloc(MAX_LEASES, sizeof *L.leases);
    if (!L.leases) abort();
    const char *url = hk_config_str(cfg, HK_CFG_REDIS_URL);
    if (url && url[0]) {
        L.redis = hk_redis_new(loop, url, err, errlen);
        if (!L.redis) return -1;
    }
    ev_timer_init(&L.beat, on_beat, L.ttl_s / 3, L.ttl_s / 3);
    ev_timer_start(loop, &L.beat);
    ev_unref(loop); /* the heartbeat alone does not keep the loop alive */
    L.inited = 1;
    return 0;
}

void hk_call_limits_shutdown(void) {
    if (!L.inited) return;
    ev_ref(L.loop);
    ev_timer_stop(L.loop, &L.beat);
    hk_redis_free(L.redis);
    free(L.leases);
    memset(&L, 0, sizeof L);
}

hk_redis *hk_call_limits_redis(void) { return L.inited ? L.redis : NULL; }

int hk_call_limits_apply(int agent_cap) {
    return L.inited && (agent_cap > 0 || L.tenant_cap > 0 || L.redis);
}

/* per-worker counting: Redis is not configured or not reachable */
static void acquire_local(const char *sid, const char *tenant, const char *agent_id,
                          int agent_cap, hk_call_limits_cb cb, void *ud) {
    int n_agent = 0, n_tenant = 0;
    double now = wall();
    for (int i = 0; i < MAX_LEASES; i++) {
        lease *l = &L.leases[i];
        if (!l->used || l->expiry < now || strcmp(l->tenant, tenant)) continue;
        if (strcmp(l->sid, sid) == 0) {
            cb(ud, 1, NULL);
            return;
        }
        n_tenant++;
        if (strcmp(l->agent, agent_id) == 0) n_agent++;
    }
    if (agent_cap > 0 && n_agent >= agent_cap) {
        cb(ud, 0, "agent max_concurrent_calls");
    } else if (L.tenant_cap > 0 && n_tenant >= L.tenant_cap) {
        cb(ud, 0, "tenant HARK_TENANT_MAX_CALLS");
    } else {
        add(sid, tenant, agent_id, 0);
        cb(ud, 1, NULL);
    }
}

typedef struct acq {
    char sid[64], tenant[64], agent[128];
    int agent_cap;
    hk_call_limits_cb cb;
    void *ud;
} acq;

static void degraded(const char *sid, const char *err) {
    hk_metric_inc(HK_M_CALL_LIMIT_DEGRADED);
    hk_log(HK_LOG_DEBUG, sid, "call_limit_degraded", "%s: counting on this worker", err);
}

static void on_acquired(void *ud, redisReply *r, const char *err) {
    acq *q = ud;
    if (err || !r || r->type != REDIS_REPLY_INTEGER) {
        degraded(q->sid, err ? err : "unexpected reply");
        acquire_local(q->sid, q->tenant, q->agent, q->agent_cap, q->cb, q->ud);
    } else if (r->integer == 1) {
        add(q->sid, q->tenant, q->agent, 1);
        q->cb(q->ud, 1, NULL);
    } else {
        q->cb(q->ud, 0, r->integer == 0 ? "agent max_concurrent_calls" : "tenant HARK_TENANT_MAX_CALLS");
    }
    free(q);
}

void hk_call_limits_acquire(const char *sid, const char *tenant, const char *agent_id,
                            int agent_cap, hk_call_limits_cb cb, void *ud) {
    if (!L.inited) {
        cb(ud, 1, NULL);
        return;
    }
    if (!hk_redis_connected(L.redis)) {
        if (L.redis) degraded(sid, "redis not connected");
        acquire_local(sid, tenant, agent_id, agent_cap, cb, ud);
        return;
    }
    acq *q = calloc(1, sizeof *q);
    if (!q) abort();
    snprintf(q->sid, sizeof q->sid, "%s", sid);
    snprintf(q->tenant, sizeof q->tenant, "%s", tenant);
    snprintf(q->agent, sizeof q->agent, "%s", agent_id);
    q->agent_cap = agent_cap;
    q->cb = cb;
    q->ud = ud;
    char ak[256], tk[128], lk[128], rk[128], now[32], exp[32], acap[16], tcap[24], ttl[32];
    double t = wall();
    key(ak, sizeof ak, "calls", tenant, agent_id);
    key(tk, sizeof tk, "calls", tenant, NULL);
    key(lk, sizeof lk, "lease", sid, NULL);
    key(rk, sizeof rk, "active", tenant, NULL);
    snprintf(now, sizeof now, "%.0f", t * 1000);
    snprintf(exp, sizeof exp, "%.0f", (t + L.ttl_s) * 1000);
    snprintf(acap, sizeof acap, "%d", agent_cap);
    snprintf(tcap, sizeof tcap, "%ld", L.tenant_cap);
    snprintf(ttl, sizeof ttl, "%.0f", L.ttl_s * 1000);
    const char *argv[] = {"EVAL", ACQUIRE_LUA, "4", ak, tk, lk, rk,
                          now, exp, acap, tcap, sid, agent_id, ttl};
    hk_redis_command(L.redis, CMD_TIMEOUT_S, on_acquired, q, 14, argv);
}

static void on_released(void *ud, redisReply *r, const char *err) {
    (void)r;
    char *sid = ud;
    if (err) hk_log(HK_LOG_WARN, sid, "call_limit_release_failed", "%s (the lease expires)", err);
    free(sid);
}

void hk_call_limits_release(const char *sid) {
    if (!L.inited || !sid) return;
    lease *l = find(sid);
    if (l) l->used = 0;
    if (!hk_redis_connected(L.redis)) return;
    char lk[128];
    key(lk, sizeof lk, "lease", sid, NULL);
    const char *argv[] = {"EVAL", RELEASE_LUA, "1", lk, sid};
    hk_redis_command(L.redis, CMD_TIMEOUT_S, on_released, strdup(sid), 5, argv);
}

typedef struct act {
    hk_call_limits_active_cb cb;
    void *ud;
} act;

static void on_active(void *ud, redisReply *r, const char *err) {
    act *q = ud;
    if (err || !r || r->type != REDIS_REPLY_ARRAY) {
        q->cb(q->ud, NULL, err ? err : "unexpected reply");
        free(q);
        return;
    }
    size_t cap = 16 + r->elements * 160, n = 0;
    char *out = malloc(cap);
    if (!out) abort();
    n += (size_t)snprintf(out + n, cap - n, "[");
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const char *v = r->element[i + 1]->str;
        const char *tab = v ? strchr(v, '\t') : NULL;
        if (!tab || !r->element[i]->str || strpbrk(r->element[i]->str, "\"\\")) continue;
        int alen = (int)(tab - v);
        if (memchr(v, '"', (size_t)alen) || memchr(v, '\\', (size_t)alen)) continue;
        n += (size_t)snprintf(out + n, cap - n, "%s{\"callSid\":\"%.63s\",\"agentId\":\"%.*s\","
                              "\"startedAt\":%lld}", n > 1 ? "," : "", r->element[i]->str,
                              alen > 120 ? 120 : alen, v, atoll(tab + 1));
    }
    snprintf(out + n, cap - n, "]");
    q->cb(q->ud, out, NULL);
    free(out);
    free(q);
}

void hk_call_limits_active(const char *tenant, hk_call_limits_active_cb cb, void *ud) {
    if (!L.inited || !hk_redis_connected(L.redis)) {
        cb(ud, NULL, "redis not connected");
        return;
    }
    act *q = calloc(1, sizeof *q);
    if (!q) abort();
    q->cb = cb;
    q->ud = ud;
    char tk[128], rk[128], now[32];
    key(tk, sizeof tk, "calls", tenant, NULL);
    key(rk, sizeof rk, "active", tenant, NULL);
    snprintf(now, sizeof now, "%.0f", wall() * 1000);
    const char *argv[] = {"EVAL", ACTIVE_LUA, "2", tk, rk, now};
    hk_redis_command(L.redis, CMD_TIMEOUT_S, on_active, q, 6, argv);
}
