/* cluster/redis: see redis.h. Owns the hiredis async context, its libev
 * attachment, the reconnect timer and per-command deadline timers. */
#include "cluster/redis.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>
#include <hiredis/adapters/libev.h>

#include "core/log.h"

struct hk_redis {
    struct ev_loop *loop;
    char ip[256];
    int port, db;
    redisAsyncContext *ac; /* NULL while disconnected */
    int connected;
    int down_logged;
    double backoff;
    ev_timer retry;
};

typedef struct redis_cmd {
    hk_redis_cb cb;
    void *ud;
    ev_timer deadline;
    struct ev_loop *loop;
    int done; /* cb called (deadline passed): hiredis's reply is dropped, on_reply frees */
} redis_cmd;

int hk_redis_url_parse(const char *url, hk_redis_url *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    out->port = 6379;
    const char *p = url;
    if (!url || strncmp(p, "redis://", 8) != 0) {
        snprintf(err, errlen, "REDIS_URL must start with redis://");
        return -1;
    }
    p += 8;
    if (strchr(p, '@')) {
        snprintf(err, errlen, "REDIS_URL: passwords are not supported (loopback or a private network)");
        return -1;
    }
    size_t n = strcspn(p, ":/");
    if (n == 0 || n >= sizeof out->host) {
        snprintf(err, errlen, "REDIS_URL: no host");
        return -1;
    }
    memcpy(out->host, p, n);
    out->host[n] = 0;
    p += n;
    if (*p == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port < 1 || port > 65535 || (*end && *end != '/')) {
            snprintf(err, errlen, "REDIS_URL: bad port");
            return -1;
        }
        out->port = (int)port;
        p = end;
    }
    if (*p == '/' && p[1]) {
        char *end;
        long db = strtol(p + 1, &end, 10);
        if (end == p + 1 || *end || db < 0 || db > 1000) {
            snprintf(err, errlen, "REDIS_URL: bad database number");
            return -1;
        }
        out->db = (int)db;
    } else if (*p && strcmp(p, "/")) {
        snprintf(err, errlen, "REDIS_URL: unexpected '%s'", p);
        return -1;
    }
    return 0;
}

static void connect_now(hk_redis *r);

static void schedule_retry(hk_redis *r) {
    ev_timer_stop(r->loop, &r->retry);
    ev_timer_set(&r->retry, r->backoff, 0);
    ev_timer_start(r->loop, &r->retry);
    r->backoff = r->backoff * 2 > 5 ? 5 : r->backoff * 2;
}

static void went_down(hk_redis *r, const char *why) {
    if (!r->down_logged)
        hk_log(HK_LOG_WARN, NULL, "redis_unreachable",
               "%s:%d: %s; call limits fall back to per-worker counting until it is back", r->ip,
               r->port, why);
    r->down_logged = 1;
    r->connected = 0;
    r->ac = NULL;
    schedule_retry(r);
}

static void on_connect(const redisAsyncContext *ac, int status) {
    hk_redis *r = ac->data;
    if (status != REDIS_OK) {
        went_down(r, ac->errstr); /* hiredis frees ac after this */
        return;
    }
    r->connected = 1;
    r->backoff = 0.2;
    hk_log(HK_LOG_INFO, NULL, "redis_connected", "%s:%d db %d", r->ip, r->port, r->db);
    r->down_logged = 0;
}

static void on_disconnect(const redisAsyncContext *ac, int status) {
    hk_redis *r = ac->data;
    (void)status;
    if (r) went_down(r, ac->errstr[0] ? ac->errstr : "connection closed");
}

static void select_done(redisAsyncContext *ac, void *reply, void *priv) {
    (void)ac; (void)reply; (void)priv;
}

static void connect_now(hk_redis *r) {
    redisAsyncContext *ac = redisAsyncConnect(r->ip, r->port);
    if (!ac) {
        went_down(r, "out of memory");
        return;
    }
    if (ac->err) {
        char why[128];
        snprintf(why, sizeof why, "%s", ac->errstr);
        redisAsyncFree(ac);
        went_down(r, why);
        return;
    }
    ac->data = r;
    redisLibevAttach(r->loop, ac);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    r->ac = ac;
    if (r->db) redisAsyncCommand(ac, select_done, NULL, "SELECT %d", r->db);
}

static void on_retry(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop; (void)revents;
    hk_redis *r = w->data;
    if (!r->ac) connect_now(r);
}

hk_redis *hk_redis_new(struct ev_loop *loop, const char *url, char *err, size_t errlen) {
    hk_redis_url u;
    if (hk_redis_url_parse(url, &u, err, errlen) != 0) return NULL;
    hk_redis *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->loop = loop;
    r->port = u.port;
    r->db = u.db;
    r->backoff = 0.2;
    struct in_addr a4;
    if (inet_pton(AF_INET, u.host, &a4) == 1) {
        snprintf(r->ip, sizeof r->ip, "%s", u.host);
    } else {
        /* once, at start-up, before the loop runs */
        struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
        if (getaddrinfo(u.host, NULL, &hints, &res) != 0 || !res) {
            snprintf(err, errlen, "REDIS_URL: cannot resolve %s", u.host);
            free(r);
            return NULL;
        }
        inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, r->ip, sizeof r->ip);
        freeaddrinfo(res);
    }
    ev_timer_init(&r->retry, on_retry, 0, 0);
    r->retry.data = r;
    connect_now(r);
    return r;
}

void hk_redis_free(hk_redis *r) {
    if (!r) return;
    ev_timer_stop(r->loop, &r->retry);
    if (r->ac) {
        r->ac->data = NULL;
        redisAsyncContext *ac = r->ac;
        r->ac = NULL;
        redisAsyncFree(ac);
    }
    free(r);
}

int hk_redis_connected(const hk_redis *r) { return r && r->connected; }

static void on_deadline(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)revents;
    redis_cmd *c = w->data;
    ev_timer_stop(loop, w);
    c->done = 1;
    c->cb(c->ud, NULL, "redis: command timed out");
    /* hiredis still holds c: on_reply frees it (or the context's free does) */
}

static void on_reply(redisAsyncContext *ac, void *reply, void *priv) {
    (void)ac;
    redis_cmd *c = priv;
    ev_timer_stop(c->loop, &c->deadline);
    if (!c->done) {
        redisReply *rp = reply;
        if (!rp) c->cb(c->ud, NULL, "redis: connection lost");
        else if (rp->type == REDIS_REPLY_ERROR) c->cb(c->ud, NULL, rp->str);
        else c->cb(c->ud, rp, NULL);
    }
    free(c);
}

void hk_redis_command(hk_redis *r, double timeout_s, hk_redis_cb cb, void *ud, int argc,
                      const char **argv) {
    if (!r || !r->connected || !r->ac) {
        cb(ud, NULL, "redis: not connected");
        return;
    }
    redis_cmd *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->cb = cb;
    c->ud = ud;
    c->loop = r->loop;
    ev_timer_init(&c->deadline, on_deadline, timeout_s, 0);
    c->deadline.data = c;
    if (redisAsyncCommandArgv(r->ac, on_reply, c, argc, argv, NULL) != REDIS_OK) {
        free(c);
        cb(ud, NULL, "redis: cannot send");
        return;
    }
    ev_timer_start(r->loop, &c->deadline);
}
