/* api/events_redis: see events_redis.h. Two Redis connections per worker:
 * commands (cluster/redis: PUBLISH, HSET, HGETALL with deadlines) and one
 * in subscribe mode (its own hiredis context: a subscription's callback
 * fires once per message, which cluster/redis's one-answer commands do not
 * model), reconnected with backoff. */
#include "api/events_redis.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/adapters/libev.h>
#include <hiredis/async.h>

#include "api/events.h"
#include "api/session_cookie.h"
#include "cluster/call_limits.h"
#include "cluster/redis.h"
#include "core/log.h"

#define CMD_TIMEOUT_S 2.0
#define LIVE_TTL_S "86400" /* the hash outlives no day without a call */
#define CHANNEL "hark:events:"

static struct {
    struct ev_loop *loop;
    hk_redis *cmd;
    int own_cmd;         /* 0: cluster/call_limits' connection, shared (one outage log, one socket) */
    redisAsyncContext *sub;
    int subscribed;
    char ip[256];
    int port, db;
    double backoff;
    ev_timer retry;
    char origin[96];
    int inited, down_logged;
} R;

int hk_events_redis_subscribed(void) { return R.subscribed; }

static void ignore(void *ud, redisReply *r, const char *err) {
    (void)ud;
    (void)r;
    (void)err; /* a lost publish is a missed line on a dashboard, never a call's problem */
}

void hk_events_redis_publish(const char *tenant, const char *msg, size_t len) {
    if (!R.inited || !hk_redis_connected(R.cmd)) return;
    size_t cap = len + sizeof R.origin + 32;
    char *p = malloc(cap);
    if (!p) return;
    snprintf(p, cap, "{\"o\":\"%s\",\"m\":%.*s}", R.origin, (int)len, msg);
    char ch[128];
    snprintf(ch, sizeof ch, CHANNEL "%.64s", tenant);
    const char *argv[] = {"PUBLISH", ch, p};
    hk_redis_command(R.cmd, CMD_TIMEOUT_S, ignore, NULL, 3, argv);
    free(p);
}

void hk_events_redis_live_set(const char *tenant, const char *call_id, const char *obj) {
    if (!R.inited || !hk_redis_connected(R.cmd)) return;
    char k[128];
    snprintf(k, sizeof k, "hark:live:%.64s", tenant);
    const char *argv[] = {"HSET", k, call_id, obj};
    hk_redis_command(R.cmd, CMD_TIMEOUT_S, ignore, NULL, 4, argv);
    const char *ex[] = {"EXPIRE", k, LIVE_TTL_S};
    hk_redis_command(R.cmd, CMD_TIMEOUT_S, ignore, NULL, 3, ex);
}

void hk_events_redis_live_del(const char *tenant, const char *call_id) {
    if (!R.inited || !hk_redis_connected(R.cmd)) return;
    char k[128];
    snprintf(k, sizeof k, "hark:live:%.64s", tenant);
    const char *argv[] = {"HDEL", k, call_id};
    hk_redis_command(R.cmd, CMD_TIMEOUT_S, ignore, NULL, 3, argv);
}

void hk_events_redis_revoke(const char *hex, long exp) {
    if (!R.inited || !hk_redis_connected(R.cmd)) return;
    char msg[64];
    snprintf(msg, sizeof msg, "%.32s %ld", hex, exp);
    const char *argv[] = {"PUBLISH", "hark:revoke", msg};
    hk_redis_command(R.cmd, CMD_TIMEOUT_S, ignore, NULL, 3, argv);
}

/* ---- the snapshot's remote calls ---- */

typedef struct calls_req {
    hk_events_calls_cb cb;
    void *ud;
    char tenant[64];
    cJSON *active; /* array of {callSid,...}, NULL: unknown (no filter) */
} calls_req;

static int is_active(const cJSON *active, const char *id) {
    if (!active) return 1;
    const cJSON *it;
    cJSON_ArrayForEach(it, active) {
        const char *sid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "callSid"));
        if (sid && strcmp(sid, id) == 0) return 1;
    }
    return 0;
}

static void got_live(void *ud, redisReply *r, const char *err) {
    calls_req *q = ud;
    cJSON *out = NULL;
    if (!err && r && r->type == REDIS_REPLY_ARRAY) {
        out = cJSON_CreateArray();
        for (size_t i = 0; i + 1 < r->elements; i += 2) {
            const redisReply *k = r->element[i], *v = r->element[i + 1];
            if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) continue;
            if (!is_active(q->active, k->str)) continue;
            cJSON *o = cJSON_ParseWithLength(v->str, v->len);
            if (cJSON_IsObject(o)) cJSON_AddItemToArray(out, o);
            else cJSON_Delete(o);
        }
    }
    cJSON_Delete(q->active);
    q->cb(q->ud, out);
    free(q);
}

static void got_active(void *ud, const char *json, const char *err) {
    calls_req *q = ud;
    q->active = err || !json ? NULL : cJSON_Parse(json);
    if (q->active && !cJSON_IsArray(q->active)) {
        cJSON_Delete(q->active);
        q->active = NULL;
    }
    char k[128];
    snprintf(k, sizeof k, "hark:live:%.64s", q->tenant);
    const char *argv[] = {"HGETALL", k};
    hk_redis_command(R.cmd, CMD_TIMEOUT_S, got_live, q, 2, argv);
}

void hk_events_redis_calls(const char *tenant, hk_events_calls_cb cb, void *ud) {
    if (!R.inited || !hk_redis_connected(R.cmd)) return cb(ud, NULL);
    calls_req *q = calloc(1, sizeof *q);
    if (!q) return cb(ud, NULL);
    q->cb = cb;
    q->ud = ud;
    snprintf(q->tenant, sizeof q->tenant, "%s", tenant);
    hk_call_limits_active(tenant, got_active, q);
}

/* ---- the subscriber ---- */

static void sub_connect(void);

static void sub_retry_later(const char *why) {
    if (!R.down_logged)
        hk_log(HK_LOG_WARN, NULL, "events_redis_unreachable",
               "%s:%d: %s; dashboard sockets see this worker's calls only until it is back", R.ip, R.port, why);
    R.down_logged = 1;
    R.subscribed = 0;
    R.sub = NULL;
    if (!R.inited) return;
    ev_timer_stop(R.loop, &R.retry);
    ev_timer_set(&R.retry, R.backoff, 0);
    ev_timer_start(R.loop, &R.retry);
    R.backoff = R.backoff * 2 > 5 ? 5 : R.backoff * 2;
}

static void on_message(redisAsyncContext *ac, void *reply, void *priv) {
    (void)ac;
    (void)priv;
    redisReply *r = reply;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
    const redisReply *kind = r->element[0];
    if (kind->type != REDIS_REPLY_STRING) return;
    if (strcmp(kind->str, "psubscribe") == 0) {
        R.subscribed = 1;
        R.backoff = 0.2;
        R.down_logged = 0;
        hk_log(HK_LOG_INFO, NULL, "events_redis_subscribed", "%s:%d", R.ip, R.port);
        return;
    }
    if (strcmp(kind->str, "pmessage") != 0 || r->elements < 4) return;
    const redisReply *ch = r->element[2], *pl = r->element[3];
    if (ch->type != REDIS_REPLY_STRING || pl->type != REDIS_REPLY_STRING) return;
    size_t cl = strlen(CHANNEL);
    if (ch->len <= cl || ch->len - cl >= 64 || strncmp(ch->str, CHANNEL, cl) != 0) return;
    cJSON *o = cJSON_ParseWithLength(pl->str, pl->len);
    const char *origin = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "o"));
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "m");
    if (origin && strcmp(origin, R.origin) != 0 && cJSON_IsObject(m)) {
        char *text = cJSON_PrintUnformatted(m);
        if (text) hk_events_deliver(ch->str + cl, text, strlen(text));
        free(text);
    }
    cJSON_Delete(o);
}

static void on_revoke(redisAsyncContext *ac, void *reply, void *priv) {
    (void)ac;
    (void)priv;
    redisReply *r = reply;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
    const redisReply *kind = r->element[0], *pl = r->element[2];
    if (kind->type != REDIS_REPLY_STRING || strcmp(kind->str, "message") != 0 ||
        pl->type != REDIS_REPLY_STRING || pl->len > 60)
        return;
    char hex[33];
    long exp;
    if (sscanf(pl->str, "%32s %ld", hex, &exp) == 2) hk_session_revoke_hex(hex, exp);
}

static void on_sub_connect(const redisAsyncContext *ac, int status) {
    if (status != REDIS_OK) sub_retry_later(ac->errstr); /* hiredis frees ac */
}

static void on_sub_disconnect(const redisAsyncContext *ac, int status) {
    (void)status;
    if (ac->data) sub_retry_later(ac->errstr[0] ? ac->errstr : "connection closed");
}

static void sub_connect(void) {
    redisAsyncContext *ac = redisAsyncConnect(R.ip, R.port);
    if (!ac || ac->err) {
        char why[128];
        snprintf(why, sizeof why, "%s", ac ? ac->errstr : "out of memory");
        if (ac) redisAsyncFree(ac);
        sub_retry_later(why);
        return;
    }
    ac->data = &R;
    redisLibevAttach(R.loop, ac);
    redisAsyncSetConnectCallback(ac, on_sub_connect);
    redisAsyncSetDisconnectCallback(ac, on_sub_disconnect);
    R.sub = ac;
    if (R.db) redisAsyncCommand(ac, NULL, NULL, "SELECT %d", R.db);
    redisAsyncCommand(ac, on_message, NULL, "PSUBSCRIBE " CHANNEL "*");
    redisAsyncCommand(ac, on_revoke, NULL, "SUBSCRIBE hark:revoke");
}

static void on_retry(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)w;
    (void)revents;
    if (!R.sub) sub_connect();
}

int hk_events_redis_init(struct ev_loop *loop, const char *url, char *err, size_t errlen) {
    hk_redis_url u;
    if (hk_redis_url_parse(url, &u, err, errlen) != 0) return -1;
    R.cmd = hk_call_limits_redis();
    R.own_cmd = !R.cmd;
    if (!R.cmd) R.cmd = hk_redis_new(loop, url, err, errlen); /* resolves the host once */
    if (!R.cmd) return -1;
    R.loop = loop;
    R.port = u.port;
    R.db = u.db;
    R.backoff = 0.2;
    struct in_addr a4;
    if (inet_pton(AF_INET, u.host, &a4) == 1) snprintf(R.ip, sizeof R.ip, "%s", u.host);
    else { /* once, at start-up (hk_redis_new above resolved it too) */
        struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
        if (getaddrinfo(u.host, NULL, &hints, &res) != 0 || !res) {
            snprintf(err, errlen, "REDIS_URL: cannot resolve %s", u.host);
            if (R.own_cmd) hk_redis_free(R.cmd);
            R.cmd = NULL;
            return -1;
        }
        inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, R.ip, sizeof R.ip);
        freeaddrinfo(res);
    }
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    for (char *p = host; *p; p++)
        if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) *p = '_';
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(R.origin, sizeof R.origin, "%.40s/%d/%ld", host, (int)getpid(), (long)(ts.tv_nsec ^ ts.tv_sec));
    ev_timer_init(&R.retry, on_retry, 0, 0);
    R.inited = 1;
    sub_connect();
    return 0;
}

void hk_events_redis_shutdown(void) {
    if (!R.inited) return;
    R.inited = 0;
    ev_timer_stop(R.loop, &R.retry);
    if (R.sub) {
        redisAsyncContext *ac = R.sub;
        R.sub = NULL;
        ac->data = NULL;
        redisAsyncFree(ac);
    }
    if (R.own_cmd) hk_redis_free(R.cmd);
    R.cmd = NULL;
    R.subscribed = 0;
}
