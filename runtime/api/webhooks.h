/* api/webhooks: Vapi server messages out, from the call event bus. When a
 * call of an agent with a server URL starts and ends, a status-update
 * (in-progress / ended) and, at the end, an end-of-call-report are POSTed to
 * it from a durable queue: each message is built once, appended to a small
 * file (on the pool, never the loop) and sent on the loop's shared HTTP
 * client, retried after 1, 5 and 30 s on connection errors, 5xx and 429; 2xx
 * delivers, another 4xx gives up. Delivered and given-up messages are marked
 * in the file; what is left is sent again at the next start. transcript (only
 * when asked for), conversation-update, speech-update, hang and
 * user-interrupted are sent best effort (webhooks_queue.h). The agent's server
 * messages list picks the types. Nothing here touches the audio path. */
#ifndef HK_API_WEBHOOKS_H
#define HK_API_WEBHOOKS_H

#include <ev.h>

#include "agent/call.h"
#include "agent/call_events.h"
#include "core/pool.h"

/* Registers the call event hook and, with a path, opens (creating) the
 * queue file, replaying its undelivered messages. path NULL: memory only.
 * Returns -1 with err when the file cannot be opened. */
int hk_webhooks_init(struct ev_loop *loop, hk_pool *pool, const char *path, char *err,
                     size_t errlen);
/* "<spool without .jsonl>-webhooks.jsonl": the queue beside the store's spool. */
void hk_webhooks_path_for_spool(const char *spool, char *out, size_t outlen);
/* Messages not yet delivered or given up (durable and best effort). */
int hk_webhooks_pending(void);
/* Best-effort messages dropped (a slow receiver) and delivered (2xx) so far. */
void hk_webhooks_stats(long *dropped, long *sent);
/* Before the pool is freed: stops retries and requests (what is not
 * delivered stays in the file), waits for nothing. */
void hk_webhooks_shutdown(void);

/* The message body for a call event ("in-progress", "ended": status-update;
 * "report": end-of-call-report), malloc'd JSON. For tests. */
char *hk_webhooks_build(const hk_call *c, const char *what, double now_wall);
/* The settings the messages read (the public base of recording URLs: a
 * local recording is reported as <base>/call/<id>/recording, as GET /call
 * shows it, never as a file:// path). NULL: URLs as stored. */
struct hk_config;
void hk_webhooks_set_config(const struct hk_config *cfg);
/* webhooks_msg.c: the body of a best-effort message for ev (transcript,
 * conversation-update, speech-update, hang, user-interrupted), malloc'd
 * JSON; NULL for other events. */
char *hk_webhooks_build_event(const hk_call *c, const hk_call_event *ev, double now_wall);
/* The Vapi message type of an event, or NULL. */
const char *hk_webhooks_event_type(hk_call_event_type t);

#endif
