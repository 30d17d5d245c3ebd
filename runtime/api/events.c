/* api/events: dashboard sockets and the live calls of this worker. See
 * events.h. One subscriber on the call event bus turns each event into the
 * client's JSON once, sends it to this worker's sockets of the call's tenant
 * and publishes it to Redis (api/events_redis) for the other workers and
 * nodes, which deliver it to theirs. The live calls this worker runs are
 * kept here (id, agent, masked number, start, state) for the snapshot a
 * socket gets first; other workers' calls come from Redis. Content
 * (transcripts, tool arguments) is never logged here. */
#include "api/events.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/call.h"
#include "agent/call_events.h"
#include "api/app.h"
#include "api/auth.h"
#include "api/events_redis.h"
#include "api/jwt.h"
#include "api/session_cookie.h"
#include "core/log.h"

typedef struct ev_sock {
    hk_app *app;
    hk_conn *conn;          /* NULL once closed */
    char tenant[40];
    int ready;              /* authenticated and the snapshot sent: events flow */
    int waiting;            /* an auth or snapshot callback will come back to it */
    struct ev_sock *prev, *next;
} ev_sock;

typedef struct live_call {
    char id[64], tenant[40];
    char assistant_id[128], assistant_name[128], number[40];
    char started[32];       /* ISO 8601 */
    char state[16];
    struct live_call *next;
} live_call;

static struct {
    hk_app *app;
    int sub;                /* event bus handle, -1 none */
    ev_sock *socks;
    int nsocks;
    live_call *calls;
    ev_timer ping;
    int inited;
} E = {.sub = -1};

int hk_events_sockets(void) { return E.nsocks; }

void hk_events_mask_number(const char *n, char *out, size_t cap) {
    size_t len = n ? strlen(n) : 0;
    if (!cap) return;
    if (len < 7) snprintf(out, cap, "***");
    else if (len < 10) snprintf(out, cap, "%.2s***%s", n, n + len - 2);
    else snprintf(out, cap, "%.5s***%s", n, n + len - 4);
}

static double wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)(ts.tv_nsec / 1000000);
}

static void iso_ms(double ms, char out[32]) {
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char b[24];
    strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%s.%03dZ", b, (int)((long long)ms % 1000));
}

/* ---- live calls of this worker ---- */

static live_call *call_find(const char *id) {
    for (live_call *l = E.calls; l; l = l->next)
        if (strcmp(l->id, id) == 0) return l;
    return NULL;
}

static cJSON *call_obj(const live_call *l) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", l->id);
    cJSON_AddStringToObject(o, "assistantId", l->assistant_id);
    cJSON_AddStringToObject(o, "assistantName", l->assistant_name);
    cJSON_AddStringToObject(o, "customerNumber", l->number);
    cJSON_AddStringToObject(o, "startedAt", l->started);
    cJSON_AddStringToObject(o, "state", l->state);
    return o;
}

static char *call_obj_text(const live_call *l) {
    cJSON *o = call_obj(l);
    char *t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return t;
}

static live_call *call_add(const hk_call *c, double now_ms) {
    live_call *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    snprintf(l->id, sizeof l->id, "%s", c->id);
    snprintf(l->tenant, sizeof l->tenant, "%s", c->tenant_id);
    snprintf(l->assistant_id, sizeof l->assistant_id, "%s", c->agent && c->agent->id ? c->agent->id : "");
    snprintf(l->assistant_name, sizeof l->assistant_name, "%s",
             c->agent && c->agent->name ? c->agent->name : "");
    hk_events_mask_number(c->inbound ? c->from : c->to, l->number, sizeof l->number);
    iso_ms(now_ms, l->started);
    snprintf(l->state, sizeof l->state, "listening");
    l->next = E.calls;
    E.calls = l;
    return l;
}

static void call_remove(const char *id) {
    for (live_call **p = &E.calls; *p; p = &(*p)->next) {
        if (strcmp((*p)->id, id) == 0) {
            live_call *l = *p;
            *p = l->next;
            free(l);
            return;
        }
    }
}

/* ---- messages ---- */

char *hk_events_message(const hk_call *c, const void *evp, double at_ms, const char *call_json) {
    const hk_call_event *ev = evp;
    if (ev->type == HK_CE_CONVERSATION || ev->type >= HK_CE_COUNT) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", hk_call_event_name(ev->type));
    cJSON_AddStringToObject(o, "callId", c->id);
    cJSON_AddNumberToObject(o, "at", at_ms);
    switch (ev->type) {
    case HK_CE_STARTED: {
        cJSON *co = call_json ? cJSON_Parse(call_json) : NULL;
        cJSON_AddItemToObject(o, "call", co ? co : cJSON_CreateObject());
        break;
    }
    case HK_CE_STATE:
        cJSON_AddStringToObject(o, "state", ev->status ? ev->status : "");
        break;
    case HK_CE_TRANSCRIPT:
        cJSON_AddStringToObject(o, "role", ev->role ? ev->role : "");
        cJSON_AddBoolToObject(o, "final", ev->final != 0);
        cJSON_AddStringToObject(o, "text", ev->text ? ev->text : "");
        cJSON_AddNumberToObject(o, "turn", ev->turn);
        break;
    case HK_CE_SPEECH:
        cJSON_AddStringToObject(o, "role", ev->role ? ev->role : "");
        cJSON_AddStringToObject(o, "status", ev->status ? ev->status : "");
        cJSON_AddNumberToObject(o, "turn", ev->turn);
        break;
    case HK_CE_INTERRUPTED:
    case HK_CE_HANG:
        cJSON_AddNumberToObject(o, "turn", ev->turn);
        break;
    case HK_CE_TOOL_CALL: {
        cJSON_AddStringToObject(o, "toolCallId", ev->id ? ev->id : "");
        cJSON_AddStringToObject(o, "name", ev->name ? ev->name : "");
        cJSON *args = ev->args ? cJSON_Parse(ev->args) : NULL; /* JSON text; kept as text when not */
        cJSON_AddItemToObject(o, "arguments", args ? args : cJSON_CreateString(ev->args ? ev->args : ""));
        break;
    }
    case HK_CE_TOOL_RESULT:
        cJSON_AddStringToObject(o, "toolCallId", ev->id ? ev->id : "");
        cJSON_AddStringToObject(o, "name", ev->name ? ev->name : "");
        cJSON_AddStringToObject(o, "result", ev->text ? ev->text : "");
        break;
    case HK_CE_ENDED:
        cJSON_AddStringToObject(o, "endedReason", c->end_reason[0] ? c->end_reason : "unknown");
        break;
    default:
        break;
    }
    char *t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return t;
}

/* ---- sockets ---- */

static void sock_free(ev_sock *s) {
    if (s->prev) s->prev->next = s->next;
    else if (E.socks == s) E.socks = s->next;
    if (s->next) s->next->prev = s->prev;
    E.nsocks--;
    free(s);
}

/* A queue over the bound, or the connection refusing: the browser is
 * dropped (it reconnects and gets a fresh snapshot). */
static void sock_send(ev_sock *s, const char *msg, size_t len) {
    if (!s->conn) return;
    if (hk_conn_queued(s->conn) + len > HK_EVENTS_MAX_QUEUED || hk_conn_send_text(s->conn, msg, len) != 0) {
        hk_log(HK_LOG_WARN, NULL, "events_socket_dropped", "tenant %.8s: %zu bytes queued, the browser is not reading",
               s->tenant, hk_conn_queued(s->conn));
        s->ready = 0;
        hk_conn_abort(s->conn); /* what it has not read is dropped with it */
    }
}

void hk_events_deliver(const char *tenant, const char *msg, size_t len) {
    for (ev_sock *s = E.socks, *n; s; s = n) {
        n = s->next;
        if (s->ready && strcmp(s->tenant, tenant) == 0) sock_send(s, msg, len);
    }
}

static void on_event(void *ud, hk_call *c, const hk_call_event *ev) {
    (void)ud;
    double now = wall_ms();
    live_call *l = call_find(c->id);
    if (ev->type == HK_CE_STARTED && !l) l = call_add(c, now);
    if (ev->type == HK_CE_STATE && l && ev->status) snprintf(l->state, sizeof l->state, "%s", ev->status);
    char *obj = l ? call_obj_text(l) : NULL;
    char *msg = hk_events_message(c, ev, now, obj);
    if (l && (ev->type == HK_CE_STARTED || ev->type == HK_CE_STATE) && obj)
        hk_events_redis_live_set(c->tenant_id, c->id, obj);
    if (ev->type == HK_CE_ENDED) {
        hk_events_redis_live_del(c->tenant_id, c->id);
        call_remove(c->id);
    }
    if (msg) {
        size_t len = strlen(msg);
        hk_events_deliver(c->tenant_id, msg, len);
        hk_events_redis_publish(c->tenant_id, msg, len);
    }
    free(msg);
    free(obj);
}

/* The snapshot: this worker's calls, then other workers' (Redis) that are
 * not ours. */
static void send_snapshot(ev_sock *s, cJSON *remote) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "snapshot");
    cJSON *arr = cJSON_AddArrayToObject(o, "calls");
    for (live_call *l = E.calls; l; l = l->next)
        if (strcmp(l->tenant, s->tenant) == 0) cJSON_AddItemToArray(arr, call_obj(l));
    cJSON *it;
    cJSON_ArrayForEach(it, remote) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "id"));
        if (id && !call_find(id)) cJSON_AddItemToArray(arr, cJSON_Duplicate(it, 1));
    }
    char *t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (t) {
        s->ready = 1;
        sock_send(s, t, strlen(t));
        free(t);
    } else if (s->conn) hk_conn_close(s->conn);
}

static void remote_calls(void *ud, cJSON *calls) {
    ev_sock *s = ud;
    s->waiting = 0;
    if (!s->conn) sock_free(s); /* closed meanwhile */
    else send_snapshot(s, calls);
    cJSON_Delete(calls);
}

static void authed(void *ud, const hk_auth_principal *who, const char *why) {
    ev_sock *s = ud;
    s->waiting = 0;
    if (!s->conn) {
        sock_free(s);
        return;
    }
    if (!who) {
        hk_log(HK_LOG_DEBUG, NULL, "events_unauthorized", "%s", why ? why : "refused");
        hk_conn_close(s->conn);
        return;
    }
    snprintf(s->tenant, sizeof s->tenant, "%s", who->tenant_id);
    hk_conn_trust(s->conn);
    s->waiting = 1;
    hk_events_redis_calls(s->tenant, remote_calls, s);
}

/* Origin, when sent, must be this host (a page elsewhere cannot open it). */
static int origin_ok(const hk_http_request *req) {
    const char *o = req->origin;
    if (!o || !*o) return 1;
    const char *h = strstr(o, "://");
    return h && req->host && *req->host && strcmp(h + 3, req->host) == 0;
}

/* The checks that need no store: Origin, and the credential's shape (a
 * cookie or Bearer JWT verified in full); sa filled when 1. */
static int precheck(hk_app *app, const hk_http_request *req, hk_session_auth *sa) {
    if (!E.inited) return 0;
    if (!origin_ok(req)) {
        hk_log(HK_LOG_WARN, NULL, "events_refused", "Origin does not match Host");
        return 0;
    }
    long now = (long)time(NULL);
    const char *secret = hk_config_str(app->cfg, HK_CFG_JWT_SECRET);
    hk_session_auth_from(req, secret, now, sa);
    const char *why = sa->status ? sa->message : !hk_auth_shape_ok(sa->authorization) ? "no credential" : NULL;
    if (!why && !sa->from_cookie) { /* a Bearer session JWT is checked here too */
        size_t tl = 0;
        const char *t = hk_auth_bearer(sa->authorization, &tl); /* as hk_auth_check reads it */
        hk_jwt_claims c;
        const char *jwhy = NULL;
        if (!t) why = "no credential";
        else if (hk_jwt_looks_like(t, tl) && hk_jwt_verify(secret, t, tl, now, &c, &jwhy) != 0)
            why = jwhy ? jwhy : "bad session token";
    }
    if (why) {
        hk_log(HK_LOG_DEBUG, NULL, "events_unauthorized", "%s", why);
        return 0;
    }
    return 1;
}

int hk_events_accept(hk_app *app, const hk_http_request *req) {
    if (strcmp(req->path, HK_EVENTS_PATH) != 0) return 1; /* not ours to judge */
    hk_session_auth sa;
    return precheck(app, req, &sa);
}

void *hk_events_open(hk_app *app, hk_conn *conn) {
    hk_http_request req;
    hk_conn_request(conn, &req);
    hk_session_auth sa;
    if (!precheck(app, &req, &sa)) return NULL;
    ev_sock *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->app = app;
    s->conn = conn;
    s->next = E.socks;
    if (s->next) s->next->prev = s;
    E.socks = s;
    E.nsocks++;
    s->waiting = 1;
    /* may answer before returning; a refusal closes the connection, whose
     * close callback frees s */
    hk_auth_check(app, sa.authorization, authed, s);
    return s;
}

int hk_events_owns(const void *state) {
    for (const ev_sock *s = E.socks; s; s = s->next)
        if (s == state) return 1;
    return 0;
}

void hk_events_text(void *state, const char *data, size_t len) {
    (void)state;
    (void)data;
    (void)len; /* the client has nothing to say; its messages are ignored */
}

void hk_events_closed(void *state) {
    ev_sock *s = state;
    s->conn = NULL;
    s->ready = 0;
    if (!s->waiting) sock_free(s); /* else the callback frees it */
}

static void ping_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)w;
    (void)revents;
    char msg[64];
    int n = snprintf(msg, sizeof msg, "{\"type\":\"ping\",\"at\":%.0f}", wall_ms());
    for (ev_sock *s = E.socks, *nx; s; s = nx) {
        nx = s->next;
        if (s->ready) sock_send(s, msg, (size_t)n);
    }
}

int hk_events_init(hk_app *app, char *err, size_t errlen) {
    if (E.inited) return 0;
    E.app = app;
    E.sub = hk_call_events_subscribe(on_event, NULL);
    if (E.sub < 0) {
        snprintf(err, errlen, "the call event bus has no free subscriber slot");
        return -1;
    }
    const char *url = hk_config_str(app->cfg, HK_CFG_REDIS_URL);
    if (url && *url && hk_events_redis_init(app->loop, url, err, errlen) != 0) {
        hk_call_events_unsubscribe(E.sub);
        E.sub = -1;
        return -1;
    }
    ev_timer_init(&E.ping, ping_cb, HK_EVENTS_PING_S, HK_EVENTS_PING_S);
    ev_timer_start(app->loop, &E.ping);
    ev_unref(app->loop); /* the ping alone keeps no loop running */
    E.inited = 1;
    return 0;
}

void hk_events_shutdown(void) {
    if (!E.inited) return;
    ev_ref(E.app->loop);
    ev_timer_stop(E.app->loop, &E.ping);
    hk_call_events_unsubscribe(E.sub);
    E.sub = -1;
    hk_events_redis_shutdown();
    while (E.calls) {
        live_call *l = E.calls;
        E.calls = l->next;
        free(l);
    }
    /* sockets are closed by the server (hk_events_closed frees them) */
    E.inited = 0;
}
