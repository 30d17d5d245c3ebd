/* api/webhooks_queue: how api/webhooks messages travel (private to
 * api/webhooks*.c). Two kinds:
 *  - durable (status-update, end-of-call-report): appended to the queue file
 *    (on the pool, fdatasynced), retried after 1, 5 and 30 s on connection
 *    errors, 5xx and 429, marked done when delivered or given up, replayed at
 *    the next start;
 *  - best effort (transcript, conversation-update, speech-update, hang,
 *    user-interrupted): memory only, one attempt, in order per call with one
 *    request in flight and at most HK_WHQ_LANE_MAX queued; more are dropped
 *    and counted (a slow receiver never grows memory or reaches the audio);
 *    a waiting conversation-update is replaced by the next one.
 * Every attempt is signed afresh when a secret is given (net/webhook_sig.h:
 *   X-Hark-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>)
 * and carries X-Hark-Delivery-Id: <id>, the same on every attempt. */
#ifndef HK_API_WEBHOOKS_QUEUE_H
#define HK_API_WEBHOOKS_QUEUE_H

#include <ev.h>
#include <stddef.h>

#include "core/pool.h"

#define HK_WHQ_MAX_HEADERS 12
#define HK_WHQ_LANE_MAX 16    /* best-effort messages per call (the one in flight included) */
#define HK_WHQ_BEST_MAX 1024  /* best-effort messages waiting in the worker */

/* Opens (creating) the queue file and replays what it holds; path NULL:
 * memory only. -1 with err when the file cannot be opened. */
int hk_whq_open(struct ev_loop *loop, hk_pool *pool, const char *path, char *err, size_t errlen);
/* Queues body (taken) for url. hdrs: "Name: value" lines (copied; the
 * delivery id and signature headers are added here). secret: signs the
 * body (NULL: unsigned). lane: NULL durable, else the call id of a
 * best-effort message. Returns 0, or -1 when a best-effort one was dropped. */
int hk_whq_send(const char *id, const char *url, const char *const *hdrs, int nh, double timeout_s,
                const char *secret, char *body, const char *lane);
/* A best-effort message for lane would be dropped: counted and logged here,
 * 1 (so the caller need not build it); 0 when there is room. */
int hk_whq_drop_if_full(const char *id, const char *lane);
/* Drops lane's waiting (not yet sent) best-effort message whose id holds
 * tag, when a newer one makes it stale (a conversation-update holds the
 * whole conversation). 1 if one was dropped. */
int hk_whq_supersede(const char *lane, const char *tag);
int hk_whq_pending(void);
/* Best-effort messages dropped (lane or worker full) and sent so far. */
void hk_whq_stats(long *dropped, long *sent);
void hk_whq_close(void);

/* The queue file as hk_whq_open reads it (exposed for tests): the adds with
 * no done after them, in file order, each checked and rebuilt as written
 * ({"add","url","headers","timeout"(0..300 s),"sign"?,"body"}); an add
 * written twice is kept once; *bad counts the lines skipped (torn, corrupted,
 * a message that cannot be sent as it is). An empty array when the file
 * does not exist. */
struct cJSON;
struct cJSON *hk_whq_read_file(const char *path, int *bad);
/* Replaces the file with keep's adds, one line each, through <path>.tmp
 * (fsynced, then renamed). -1 with err on failure. */
int hk_whq_write_file(const char *path, const struct cJSON *keep, char *err, size_t errlen);

#endif
