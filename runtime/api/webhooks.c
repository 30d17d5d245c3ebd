/* api/webhooks: Vapi server messages out, from the call event bus
 * (agent/call_events.h) to the agent's server URL, filtered by its server
 * messages (server.messages / serverMessages). status-update and
 * end-of-call-report go through the durable queue (webhooks_queue.c:
 * queue file, retries); transcript, conversation-update, speech-update,
 * hang and user-interrupted are best effort (one attempt, bounded per call,
 * dropped when the receiver is slow). Bodies come from webhooks_msg.c.
 * Headers: Content-Type, X-Vapi-Secret (server.secret), the server's own
 * headers verbatim, X-Hark-Delivery-Id (<call id>:<event>, the same on
 * every retry: a receiver drops repeats) and, with a secret,
 * X-Hark-Signature. Runs on the loop inside the event's emission: it builds
 * a body and hands it to curl, never waits. */
#include "api/webhooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/agent.h"
#include "agent/call_events.h"
#include "api/webhooks_queue.h"

static struct {
    int sub; /* event bus handle, -1 none */
    int on;
} g = {.sub = -1};

static double wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* id: the delivery id; lane: NULL durable, else best effort for this call */
static void post(const hk_call *c, const char *id, char *body, const char *lane) {
    const hk_agent *a = c->agent;
    const char *hdrs[HK_WHQ_MAX_HEADERS];
    int nh = 0;
    char secret[600];
    hdrs[nh++] = "Content-Type: application/json";
    if (a->server_secret) {
        snprintf(secret, sizeof secret, "X-Vapi-Secret: %s", a->server_secret);
        hdrs[nh++] = secret;
    }
    for (size_t i = 0; i < a->n_server_headers && nh < HK_WHQ_MAX_HEADERS; i++)
        hdrs[nh++] = a->server_headers[i];
    hk_whq_send(id, a->server_url, hdrs, nh, a->server_timeout_s, a->server_secret, body, lane);
}

static void post_status(const hk_call *c, const char *what, double now) {
    char *body = hk_webhooks_build(c, what, now);
    if (!body) return;
    char id[128];
    snprintf(id, sizeof id, "%s:%s", c->id, what);
    post(c, id, body, NULL);
}

/* Is this event one the agent's server asked for? */
static int wanted(const hk_agent *a, const hk_call_event *ev) {
    unsigned sm = a->server_messages;
    switch (ev->type) {
    case HK_CE_TRANSCRIPT:
        return (sm & HK_SM_TRANSCRIPT) || ((sm & HK_SM_TRANSCRIPT_FINAL) && ev->final);
    case HK_CE_CONVERSATION: return (sm & HK_SM_CONVERSATION_UPDATE) != 0;
    case HK_CE_SPEECH: return (sm & HK_SM_SPEECH_UPDATE) != 0;
    case HK_CE_HANG: return (sm & HK_SM_HANG) != 0;
    case HK_CE_INTERRUPTED: return (sm & HK_SM_USER_INTERRUPTED) != 0;
    default: return 0;
    }
}

/* A per-worker sequence keeps best-effort delivery ids unique within a call. */
static unsigned long long seq;

static void on_event(void *ud, hk_call *c, const hk_call_event *ev) {
    (void)ud;
    const hk_agent *a = c->agent;
    if (!g.on || !a->server_url) return;
    if (ev->type == HK_CE_STARTED || ev->type == HK_CE_ENDED) {
        double now = wall_now();
        if (a->server_messages & HK_SM_STATUS_UPDATE) post_status(c, ev->status, now);
        if (ev->type == HK_CE_ENDED && (a->server_messages & HK_SM_END_OF_CALL_REPORT))
            post_status(c, "report", now);
        return;
    }
    if (!wanted(a, ev)) return;
    char id[128];
    snprintf(id, sizeof id, "%s:%s:%llu", c->id, hk_webhooks_event_type(ev->type), ++seq);
    /* a newer conversation supersedes one still waiting (a slow receiver
     * gets the latest, not a backlog of stale copies) */
    if (ev->type == HK_CE_CONVERSATION) hk_whq_supersede(c->id, ":conversation-update:");
    if (hk_whq_drop_if_full(id, c->id)) return; /* a slow receiver: not even built */
    char *body = hk_webhooks_build_event(c, ev, wall_now());
    if (!body) return;
    post(c, id, body, c->id);
}

void hk_webhooks_path_for_spool(const char *spool, char *out, size_t outlen) {
    size_t n = strlen(spool);
    if (n > 6 && strcmp(spool + n - 6, ".jsonl") == 0) n -= 6;
    snprintf(out, outlen, "%.*s-webhooks.jsonl", (int)n, spool);
}

int hk_webhooks_init(struct ev_loop *loop, hk_pool *pool, const char *path, char *err,
                     size_t errlen) {
    if (g.sub < 0) g.sub = hk_call_events_subscribe(on_event, NULL);
    g.on = 1;
    return hk_whq_open(loop, pool, path, err, errlen);
}

int hk_webhooks_pending(void) { return hk_whq_pending(); }

void hk_webhooks_stats(long *dropped, long *sent) { hk_whq_stats(dropped, sent); }

void hk_webhooks_shutdown(void) {
    g.on = 0;
    if (g.sub >= 0) hk_call_events_unsubscribe(g.sub);
    g.sub = -1;
    hk_whq_close();
}
