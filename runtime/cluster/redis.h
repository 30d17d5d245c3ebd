/* cluster/redis: one worker's Redis connection (hiredis async on the worker's
 * libev loop), from REDIS_URL (redis://host:port/db; the host is resolved once
 * at start-up). Reconnects with backoff (0.2 s doubling to 5 s); every command
 * has a deadline (its callback gets NULL and an error when it passes). While
 * Redis is unreachable commands fail at once; callers degrade. */
#ifndef HK_REDIS_H
#define HK_REDIS_H

#include <stddef.h>

#include <ev.h>
#include <hiredis/hiredis.h>

typedef struct hk_redis hk_redis;

typedef struct hk_redis_url {
    char host[256];
    int port;
    int db;
} hk_redis_url;

/* 0, or -1 with err set: redis://[:password@]host[:port][/db] (no password support: refused) */
int hk_redis_url_parse(const char *url, hk_redis_url *out, char *err, size_t errlen);

/* NULL with err set when the URL is bad or its host does not resolve. */
hk_redis *hk_redis_new(struct ev_loop *loop, const char *url, char *err, size_t errlen);
void hk_redis_free(hk_redis *r);
int hk_redis_connected(const hk_redis *r);

/* reply: NULL on error/timeout (err says which); the reply is hiredis's, valid during the call */
typedef void (*hk_redis_cb)(void *ud, redisReply *reply, const char *err);

/* Sends argv with a deadline of timeout_s seconds. cb is always called exactly once (maybe
 * before this returns, when not connected). */
void hk_redis_command(hk_redis *r, double timeout_s, hk_redis_cb cb, void *ud, int argc,
                      const char **argv);

#endif
