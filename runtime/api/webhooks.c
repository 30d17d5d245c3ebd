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
 * X-Hark-Signature. An assistant without a server sends to its phone
 * number's server, else its org's (Vapi's order; store/org_server.h:
 * cached per worker, read from the store without waiting; the messages
 * wait for that read, in order). Runs on the loop inside the event's emission: it builds
 * a body and hands it to curl, never waits. */
#include "api/webhooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/agent.h"
#include "agent/call_events.h"
#include "store/org_server.h"
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

/* Where a call's messages go: its assistant's server, else its number's,
 * else the org's (store/org_server.h). */
typedef struct dest {
    const char *url, *secret;
    char *const *headers;
    size_t nh;
    double timeout_s;
} dest;

/* id: the delivery id; lane: NULL durable, else best effort for this call */
static void post_to(const dest *d, const char *id, char *body, const char *lane) {
    const char *hdrs[HK_WHQ_MAX_HEADERS];
    int nh = 0;
    char secret[600];
    hdrs[nh++] = "Content-Type: application/json";
    if (d->secret) {
        snprintf(secret, sizeof secret, "X-Vapi-Secret: %s", d->secret);
        hdrs[nh++] = secret;
    }
    for (size_t i = 0; i < d->nh && nh < HK_WHQ_MAX_HEADERS; i++) hdrs[nh++] = d->headers[i];
    hk_whq_send(id, d->url, hdrs, nh, d->timeout_s, d->secret, body, lane);
}

/* Messages of a call whose assistant has no server, waiting for the org's
 * (the store's answer; at once when this worker has it cached). */
typedef struct org_msg {
    char id[128];
    char *body;
    char lane[64]; /* "" durable */
    struct org_msg *next;
} org_msg;

static void org_ready(void *ud, const hk_org_server *srv) {
    org_msg *m = ud;
    while (m) {
        org_msg *next = m->next;
        if (srv && g.on) {
            dest d = {srv->url, srv->secret, srv->headers, srv->n_headers, srv->timeout_s};
            post_to(&d, m->id, m->body, m->lane[0] ? m->lane : NULL);
        } else {
            free(m->body);
        }
        free(m);
        m = next;
    }
}

static org_msg *org_msg_new(const char *id, char *body, const char *lane, org_msg *next) {
    org_msg *m = calloc(1, sizeof *m);
    if (!m) abort();
    snprintf(m->id, sizeof m->id, "%s", id);
    snprintf(m->lane, sizeof m->lane, "%s", lane ? lane : "");
    m->body = body;
    m->next = next;
    return m;
}

/* msgs (taken) to the agent's server, or when it has none its number's or org's */
static void post(const hk_call *c, org_msg *msgs) {
    const hk_agent *a = c->agent;
    if (!msgs) return;
    if (a->server_url) {
        dest d = {a->server_url, a->server_secret, a->server_headers, a->n_server_headers,
                  a->server_timeout_s};
        for (org_msg *m = msgs; m; m = m->next) {
            post_to(&d, m->id, m->body, m->lane[0] ? m->lane : NULL);
            m->body = NULL;
        }
        org_ready(msgs, NULL);
        return;
    }
    hk_call_server_get(c->store, c->tenant_id[0] ? c->tenant_id : HK_DEFAULT_TENANT,
                       c->inbound ? c->to : c->from, org_ready, msgs);
}

static org_msg *status_msg(const hk_call *c, const char *what, double now, org_msg *next) {
    char *body = hk_webhooks_build(c, what, now);
    if (!body) return next;
    char id[128];
    snprintf(id, sizeof id, "%s:%s", c->id, what);
    return org_msg_new(id, body, NULL, next);
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
    /* no server of its own: its number's or org's, if any (the store says) */
    if (!g.on || (!a->server_url && !c->store)) return;
    if (ev->type == HK_CE_STARTED || ev->type == HK_CE_ENDED) {
        double now = wall_now();
        org_msg *msgs = NULL;
        if (ev->type == HK_CE_ENDED && (a->server_messages & HK_SM_END_OF_CALL_REPORT))
            msgs = status_msg(c, "report", now, NULL);
        if (a->server_messages & HK_SM_STATUS_UPDATE) msgs = status_msg(c, ev->status, now, msgs);
        post(c, msgs);
        return;
    }
    if (!wanted(a, ev)) return;
    const hk_org_server *known;
    const char *tenant = c->tenant_id[0] ? c->tenant_id : HK_DEFAULT_TENANT;
    if (!a->server_url && hk_call_server_peek(tenant, c->inbound ? c->to : c->from, &known) && !known)
        return; /* no server anywhere: not even built */
    char id[128];
    snprintf(id, sizeof id, "%s:%s:%llu", c->id, hk_webhooks_event_type(ev->type), ++seq);
    /* a newer conversation supersedes one still waiting (a slow receiver
     * gets the latest, not a backlog of stale copies) */
    if (ev->type == HK_CE_CONVERSATION) hk_whq_supersede(c->id, ":conversation-update:");
    if (hk_whq_drop_if_full(id, c->id)) return; /* a slow receiver: not even built */
    char *body = hk_webhooks_build_event(c, ev, wall_now());
    if (!body) return;
    post(c, org_msg_new(id, body, c->id, NULL));
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
    hk_org_server_clear(); /* messages waiting for an org's server are dropped */
    hk_whq_close();
}
