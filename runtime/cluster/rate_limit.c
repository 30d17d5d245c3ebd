/* cluster/rate_limit: see rate_limit.h. Owns the Lua script of a window's
 * counter and the per-worker fallback table (RL_SLOTS entries, two candidate
 * slots per key: a new key takes an expired one or evicts the one ending
 * first, so memory stays fixed whatever ids a flood brings). The Redis
 * connection is cluster/call_limits' (one per worker). */
#include "cluster/rate_limit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/call_limits.h"
#include "cluster/redis.h"
#include "core/log.h"
#include "core/metrics.h"

#define RL_SLOTS 4096
#define RL_TIMEOUT_S 0.5 /* a slow Redis: counted here instead */

/* KEYS: counter. ARGV: window ms. {count, ms left in the window} */
static const char *TAKE_LUA =
    "local c=redis.call('INCR',KEYS[1])\n"
    "local t=redis.call('PTTL',KEYS[1])\n"
    "if c==1 or t<0 then redis.call('PEXPIRE',KEYS[1],ARGV[1]) t=tonumber(ARGV[1]) end\n"
    "return {c,t}\n";

typedef struct rl_entry {
    uint64_t key; /* 0: empty */
    long count;
    double ends;  /* monotonic seconds */
} rl_entry;

static rl_entry table[RL_SLOTS];
static int outage_logged;

static double mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t hash(const char *kind, const char *id) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a 64 */
    for (const char *p = kind; *p; p++) h = (h ^ (uint8_t)*p) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
    for (const char *p = id; *p; p++) h = (h ^ (uint8_t)*p) * 1099511628211ull;
    return h ? h : 1;
}

static int ceil_s(double s) {
    int n = (int)s;
    if (n < s) n++;
    return n < 1 ? 1 : n;
}

void hk_rate_limit_reset_local(void) { memset(table, 0, sizeof table); }

int hk_rate_limit_take_local(const char *kind, const char *id, long limit, long window_ms,
                             int *retry_after_s) {
    if (limit <= 0) return 1;
    uint64_t k = hash(kind, id);
    double now = mono();
    rl_entry *a = &table[k % RL_SLOTS], *b = &table[(k >> 32) % RL_SLOTS], *e = NULL;
    if (a->key == k) e = a;
    else if (b->key == k) e = b;
    if (e && e->ends <= now) e->key = 0; /* its window is over */
    if (!e || !e->key) {
        if (!e) e = a->key == 0 || a->ends <= now ? a : b->key == 0 || b->ends <= now ? b
                  : a->ends < b->ends ? a : b;
        e->key = k;
        e->count = 0;
        e->ends = now + window_ms / 1000.0;
    }
    if (e->count >= limit) {
        *retry_after_s = ceil_s(e->ends - now);
        return 0;
    }
    e->count++;
    return 1;
}

typedef struct take {
    char kind[32];
    char *id;
    long limit, window_ms;
    hk_rate_limit_cb cb;
    void *ud;
} take;

static void local(take *q, const char *why) {
    hk_metric_inc(HK_M_RATE_LIMIT_DEGRADED);
    if (!outage_logged) {
        outage_logged = 1;
        hk_log(HK_LOG_WARN, NULL, "rate_limit_degraded", "%s: rate limits count on this worker", why);
    }
    int ra = 0;
    int ok = hk_rate_limit_take_local(q->kind, q->id, q->limit, q->window_ms, &ra);
    if (!ok) hk_metric_inc(HK_M_RATE_LIMITED);
    q->cb(q->ud, ok, ra);
}

static void on_taken(void *ud, redisReply *r, const char *err) {
    take *q = ud;
    if (err || !r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_INTEGER || r->element[1]->type != REDIS_REPLY_INTEGER) {
        local(q, err ? err : "unexpected reply");
    } else {
        outage_logged = 0;
        long long count = r->element[0]->integer, left = r->element[1]->integer;
        if (count <= q->limit) {
            q->cb(q->ud, 1, 0);
        } else {
            hk_metric_inc(HK_M_RATE_LIMITED);
            q->cb(q->ud, 0, ceil_s((double)(left > 0 ? left : q->window_ms) / 1000.0));
        }
    }
    free(q->id);
    free(q);
}

void hk_rate_limit_take(const char *kind, const char *id, long limit, long window_ms,
                        hk_rate_limit_cb cb, void *ud) {
    if (limit <= 0) {
        cb(ud, 1, 0);
        return;
    }
    if (window_ms < 1) window_ms = 1;
    take *q = calloc(1, sizeof *q);
    if (!q || !(q->id = strdup(id))) abort();
    snprintf(q->kind, sizeof q->kind, "%s", kind);
    q->limit = limit;
    q->window_ms = window_ms;
    q->cb = cb;
    q->ud = ud;
    hk_redis *r = hk_call_limits_redis();
    if (!r) { /* no Redis configured: per worker by design, not an outage */
        int ra = 0, ok = hk_rate_limit_take_local(kind, id, limit, window_ms, &ra);
        if (!ok) hk_metric_inc(HK_M_RATE_LIMITED);
        free(q->id);
        free(q);
        cb(ud, ok, ra);
        return;
    }
    if (!hk_redis_connected(r)) {
        local(q, "redis not connected");
        free(q->id);
        free(q);
        return;
    }
    /* the key holds a hash of long ids (emails, keys): bounded, and no content in Redis */
    char k[128], win[24];
    if (strlen(id) <= 64 && !strpbrk(id, " \r\n")) snprintf(k, sizeof k, "hark:rl:%s:%s", q->kind, id);
    else snprintf(k, sizeof k, "hark:rl:%s:#%016llx", q->kind, (unsigned long long)hash(kind, id));
    snprintf(win, sizeof win, "%ld", window_ms);
    const char *argv[] = {"EVAL", TAKE_LUA, "1", k, win};
    hk_redis_command(r, RL_TIMEOUT_S, on_taken, q, 5, argv);
}
