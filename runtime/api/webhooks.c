/* api/webhooks: Vapi server messages out (status-update, end-of-call-report)
 * to the agent's server URL, from a durable queue. Owns the message builder,
 * the delivery state machine (attempt, backoff timer, one HTTP request at a
 * time per message) and the queue file: one JSON line per event,
 *   {"add":"<id>","url":..,"headers":[..],"timeout":20,"body":".."}
 *   {"done":"<id>"}
 * appended and fdatasynced on the pool (one lane, in order). At start the
 * file is read, adds without a done are kept, the file is rewritten with
 * just those and they are sent again. The id (<call id>:<event>) is sent as
 * X-Hark-Delivery-Id so a receiver can drop a repeat: delivery is at least
 * once. Logs carry ids, status codes and attempt counts only. */
#include "api/webhooks.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "core/log.h"
#include "net/http_client.h"

#define WH_MAX_HEADERS 12

static const double backoff_s[] = {1, 5, 30}; /* then give up: 4 attempts */

typedef struct wh {
    struct wh *next;
    char id[96];
    char *url, *body;
    char *hdrs[WH_MAX_HEADERS + 1]; /* NULL-terminated */
    double timeout_s;
    int attempt;
    ev_timer retry;
    hk_http_call *http;
} wh;

typedef struct wh_job {
    hk_job base;
    int fd;
    char *line;
    size_t len;
} wh_job;

static struct {
    struct ev_loop *loop;
    hk_pool *pool;
    int fd; /* -1: memory only */
    int jobs, closing;
    wh *head;
    int n;
} g = {.fd = -1};

/* ---- the queue file ---- */

static void job_work(hk_job *j) {
    wh_job *w = (wh_job *)j;
    size_t off = 0;
    while (off < w->len) {
        ssize_t k = write(w->fd, w->line + off, w->len - off);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return;
        off += (size_t)k;
    }
    fdatasync(w->fd);
}

static void job_done(hk_job *j) {
    wh_job *w = (wh_job *)j;
    free(w->line);
    free(w);
    if (--g.jobs == 0 && g.closing && g.fd >= 0) {
        close(g.fd);
        g.fd = -1;
    }
}

static void append_json(cJSON *o) {
    if (g.fd < 0 || !g.pool) {
        cJSON_Delete(o);
        return;
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s) return;
    size_t n = strlen(s);
    wh_job *j = calloc(1, sizeof *j);
    char *line = realloc(s, n + 2);
    if (!j || !line) abort();
    line[n] = '\n';
    line[n + 1] = 0;
    j->base.work = job_work;
    j->base.done = job_done;
    j->base.lane = &g;
    j->fd = g.fd;
    j->line = line;
    j->len = n + 1;
    g.jobs++;
    hk_pool_submit(g.pool, &j->base);
}

static void persist_add(const wh *d) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "add", d->id);
    cJSON_AddStringToObject(o, "url", d->url);
    cJSON *h = cJSON_AddArrayToObject(o, "headers");
    for (int i = 0; d->hdrs[i]; i++) cJSON_AddItemToArray(h, cJSON_CreateString(d->hdrs[i]));
    cJSON_AddNumberToObject(o, "timeout", d->timeout_s);
    cJSON_AddStringToObject(o, "body", d->body);
    append_json(o);
}

static void persist_done(const wh *d) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "done", d->id);
    append_json(o);
}

/* ---- delivery ---- */

static void wh_free(wh *d) {
    free(d->url);
    free(d->body);
    for (int i = 0; d->hdrs[i]; i++) free(d->hdrs[i]);
    free(d);
}

static void wh_finish(wh *d) {
    for (wh **p = &g.head; *p; p = &(*p)->next)
        if (*p == d) {
            *p = d->next;
            break;
        }
    g.n--;
    ev_timer_stop(g.loop, &d->retry);
    persist_done(d);
    wh_free(d);
}

static void send_now(wh *d);

static void on_retry(struct ev_loop *loop, ev_timer *t, int revents) {
    (void)loop;
    (void)revents;
    send_now((wh *)t->data);
}

static void on_done(void *ud, int status, const char *body, size_t len, const char *err) {
    (void)body;
    (void)len;
    (void)err;
    wh *d = ud;
    d->http = NULL;
    if (status >= 200 && status < 300) {
        hk_log(HK_LOG_INFO, NULL, "webhook_delivered", "%s status %d attempt %d", d->id, status,
               d->attempt);
        wh_finish(d);
        return;
    }
    int transient = status == 0 || status == 429 || status >= 500;
    if (!transient || d->attempt > (int)(sizeof backoff_s / sizeof backoff_s[0])) {
        hk_log(HK_LOG_WARN, NULL, "webhook_given_up", "%s status %d after %d attempt(s)", d->id,
               status, d->attempt);
        wh_finish(d);
        return;
    }
    double delay = backoff_s[d->attempt - 1];
    hk_log(HK_LOG_INFO, NULL, "webhook_retry", "%s status %d attempt %d, next in %.0f s", d->id,
           status, d->attempt, delay);
    ev_timer_set(&d->retry, delay, 0);
    ev_timer_start(g.loop, &d->retry);
}

static void send_now(wh *d) {
    d->attempt++;
    hk_http_opts o = {.method = "POST", .url = d->url, .headers = (const char *const *)d->hdrs,
                      .body = d->body, .body_len = strlen(d->body), .timeout_s = d->timeout_s,
                      .on_done = on_done, .ud = d};
    d->http = hk_http_fetch(hk_http_client_shared(g.loop), &o);
    if (!d->http) on_done(d, 0, NULL, 0, "cannot start");
}

/* Takes body. Headers are "Name: value" lines (copied). */
static void enqueue(const char *id, const char *url, const char *const *hdrs, int nh,
                    double timeout_s, char *body, int persist) {
    wh *d = calloc(1, sizeof *d);
    if (!d) abort();
    snprintf(d->id, sizeof d->id, "%s", id);
    d->url = strdup(url);
    d->body = body;
    d->timeout_s = timeout_s > 0 ? timeout_s : 20;
    for (int i = 0; i < nh && i < WH_MAX_HEADERS; i++) d->hdrs[i] = strdup(hdrs[i]);
    ev_timer_init(&d->retry, on_retry, 0, 0);
    d->retry.data = d;
    d->next = g.head;
    g.head = d;
    g.n++;
    if (persist) persist_add(d);
    send_now(d);
}

/* ---- messages ---- */

static void iso_time(double t, char *out, size_t n) {
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    char b[32];
    strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, n, "%s.%03dZ", b, (int)((t - (double)s) * 1000.0) % 1000);
}

static double wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

char *hk_webhooks_build(const hk_call *c, const char *what, double now_wall) {
    int report = strcmp(what, "report") == 0;
    double dur = hk_call_now((hk_call *)c);
    double start_wall = now_wall - dur;
    char started[40], ended[40];
    iso_time(start_wall, started, sizeof started);
    iso_time(now_wall, ended, sizeof ended);
    cJSON *root = cJSON_CreateObject();
    cJSON *m = cJSON_AddObjectToObject(root, "message");
    cJSON_AddStringToObject(m, "type", report ? "end-of-call-report" : "status-update");
    cJSON_AddNumberToObject(m, "timestamp", round(now_wall * 1000.0));
    if (!report) cJSON_AddStringToObject(m, "status", what);
    cJSON *call = cJSON_AddObjectToObject(m, "call");
    cJSON_AddStringToObject(call, "id", c->id);
    if (c->tenant_id[0]) cJSON_AddStringToObject(call, "orgId", c->tenant_id);
    cJSON_AddStringToObject(call, "type", c->inbound ? "inboundPhoneCall" : "outboundPhoneCall");
    cJSON_AddStringToObject(call, "status", report || !strcmp(what, "ended") ? "ended" : "in-progress");
    if (c->agent->id) cJSON_AddStringToObject(call, "assistantId", c->agent->id);
    cJSON_AddStringToObject(call, "startedAt", started);
    cJSON *cu = cJSON_AddObjectToObject(call, "customer");
    cJSON_AddStringToObject(cu, "number", c->inbound ? c->from : c->to);
    cJSON *as = cJSON_AddObjectToObject(m, "assistant");
    if (c->agent->id) cJSON_AddStringToObject(as, "id", c->agent->id);
    if (c->agent->name) cJSON_AddStringToObject(as, "name", c->agent->name);
    cJSON *cust = cJSON_AddObjectToObject(m, "customer");
    cJSON_AddStringToObject(cust, "number", c->inbound ? c->from : c->to);
    if (!report && strcmp(what, "ended") != 0) {
        char *s = cJSON_PrintUnformatted(root);
        cJSON_Delete(root);
        return s;
    }
    cJSON_AddStringToObject(call, "endedAt", ended);
    cJSON_AddStringToObject(call, "endedReason", c->end_reason);
    cJSON_AddStringToObject(m, "endedReason", c->end_reason);
    if (!report) {
        char *s = cJSON_PrintUnformatted(root);
        cJSON_Delete(root);
        return s;
    }
    /* the conversation: Vapi's messages (bot / user) and the text transcript */
    size_t cap = 64, len = 0;
    for (int i = 0; i < c->n_msgs; i++) cap += strlen(c->msgs[i].text) + 16;
    char *tr = malloc(cap);
    if (!tr) abort();
    tr[0] = 0;
    cJSON *art = cJSON_AddObjectToObject(m, "artifact");
    cJSON *msgs = cJSON_CreateArray();
    for (int i = 0; i < c->n_msgs; i++) {
        const hk_message *mm = &c->msgs[i];
        if (mm->dropped || mm->role > HK_ROLE_USER) continue; /* what was said */
        len += (size_t)snprintf(tr + len, cap - len, "%s: %s\n", mm->role ? "User" : "AI", mm->text);
        double st = mm->start >= 0 ? mm->start : 0;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "role", mm->role ? "user" : "bot");
        cJSON_AddStringToObject(o, "message", mm->text);
        cJSON_AddNumberToObject(o, "time", round((start_wall + st) * 1000.0));
        if (mm->end >= 0) cJSON_AddNumberToObject(o, "endTime", round((start_wall + mm->end) * 1000.0));
        cJSON_AddNumberToObject(o, "secondsFromStart", round(st * 1000.0) / 1000.0);
        cJSON_AddItemToArray(msgs, o);
    }
    cJSON_AddStringToObject(art, "transcript", tr);
    cJSON_AddItemToObject(art, "messages", cJSON_Duplicate(msgs, 1));
    if (c->recording_url[0]) cJSON_AddStringToObject(art, "recordingUrl", c->recording_url);
    cJSON_AddStringToObject(m, "transcript", tr);
    cJSON_AddItemToObject(m, "messages", msgs);
    if (c->recording_url[0]) cJSON_AddStringToObject(m, "recordingUrl", c->recording_url);
    free(tr);
    cJSON_AddObjectToObject(m, "analysis");
    cJSON_AddStringToObject(m, "startedAt", started);
    cJSON_AddStringToObject(m, "endedAt", ended);
    cJSON_AddNumberToObject(m, "durationSeconds", round(dur * 1000.0) / 1000.0);
    cJSON_AddNumberToObject(m, "cost", 0);
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return s;
}

static void post(const hk_call *c, const char *what, double now) {
    const hk_agent *a = c->agent;
    char *body = hk_webhooks_build(c, what, now);
    if (!body) return;
    const char *hdrs[WH_MAX_HEADERS];
    int nh = 0;
    char secret[600], idh[160], id[96];
    snprintf(id, sizeof id, "%s:%s", c->id, what);
    hdrs[nh++] = "Content-Type: application/json";
    if (a->server_secret) {
        snprintf(secret, sizeof secret, "X-Vapi-Secret: %s", a->server_secret);
        hdrs[nh++] = secret;
    }
    snprintf(idh, sizeof idh, "X-Hark-Delivery-Id: %s", id);
    hdrs[nh++] = idh;
    for (size_t i = 0; i < a->n_server_headers && nh < WH_MAX_HEADERS; i++)
        hdrs[nh++] = a->server_headers[i];
    enqueue(id, a->server_url, hdrs, nh, a->server_timeout_s, body, 1);
}

static void on_call_event(hk_call *c, const char *status) {
    if (!c->agent->server_url || !g.loop) return;
    double now = wall_now();
    post(c, status, now);
    if (!strcmp(status, "ended")) post(c, "report", now);
}

/* ---- start and stop ---- */

void hk_webhooks_path_for_spool(const char *spool, char *out, size_t outlen) {
    size_t n = strlen(spool);
    if (n > 6 && strcmp(spool + n - 6, ".jsonl") == 0) n -= 6;
    snprintf(out, outlen, "%.*s-webhooks.jsonl", (int)n, spool);
}

/* Reads the file, keeps the adds with no done (in order), rewrites it. */
static int replay(const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    cJSON *keep = cJSON_CreateArray();
    if (f) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t k;
        while ((k = getline(&line, &cap, f)) > 0) {
            cJSON *o = cJSON_Parse(line); /* a torn last line fails and is skipped */
            if (!o) continue;
            const cJSON *done = cJSON_GetObjectItemCaseSensitive(o, "done");
            if (cJSON_IsString(done)) {
                cJSON *it = keep->child;
                while (it) {
                    cJSON *nx = it->next;
                    const cJSON *a = cJSON_GetObjectItemCaseSensitive(it, "add");
                    if (!strcmp(a->valuestring, done->valuestring))
                        cJSON_Delete(cJSON_DetachItemViaPointer(keep, it));
                    it = nx;
                }
                cJSON_Delete(o);
            } else if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "add")) &&
                       cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "url")) &&
                       cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "body"))) {
                cJSON_AddItemToArray(keep, o);
            } else {
                cJSON_Delete(o);
            }
        }
        free(line);
        fclose(f);
    }
    /* the compacted file: written, synced and renamed before anything is sent */
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        cJSON_Delete(keep);
        return -1;
    }
    const cJSON *it;
    int bad = 0;
    cJSON_ArrayForEach(it, keep) {
        char *s = cJSON_PrintUnformatted(it);
        size_t n = strlen(s);
        bad |= write(fd, s, n) != (ssize_t)n || write(fd, "\n", 1) != 1;
        free(s);
    }
    bad |= fsync(fd) != 0;
    close(fd);
    if (bad || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        cJSON_Delete(keep);
        return -1;
    }
    g.fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (g.fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        cJSON_Delete(keep);
        return -1;
    }
    int n = 0;
    cJSON_ArrayForEach(it, keep) {
        const char *hdrs[WH_MAX_HEADERS];
        int nh = 0;
        const cJSON *h;
        cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(it, "headers")) {
            if (cJSON_IsString(h) && nh < WH_MAX_HEADERS) hdrs[nh++] = h->valuestring;
        }
        const cJSON *to = cJSON_GetObjectItemCaseSensitive(it, "timeout");
        enqueue(cJSON_GetObjectItemCaseSensitive(it, "add")->valuestring,
                cJSON_GetObjectItemCaseSensitive(it, "url")->valuestring, hdrs, nh,
                cJSON_IsNumber(to) ? to->valuedouble : 20,
                strdup(cJSON_GetObjectItemCaseSensitive(it, "body")->valuestring), 0);
        n++;
    }
    if (n) hk_log(HK_LOG_INFO, NULL, "webhook_replay", "%d undelivered message(s) from %s", n, path);
    cJSON_Delete(keep);
    return 0;
}

int hk_webhooks_init(struct ev_loop *loop, hk_pool *pool, const char *path, char *err,
                     size_t errlen) {
    g.loop = loop;
    g.pool = pool;
    g.fd = -1;
    g.closing = 0;
    hk_call_set_event_hook(on_call_event);
    if (path && replay(path, err, errlen) != 0) return -1;
    return 0;
}

int hk_webhooks_pending(void) { return g.n; }

void hk_webhooks_shutdown(void) {
    if (!g.loop) return;
    while (g.head) {
        wh *d = g.head;
        g.head = d->next;
        if (d->http) hk_http_cancel(d->http);
        ev_timer_stop(g.loop, &d->retry);
        wh_free(d);
    }
    g.n = 0;
    hk_call_set_event_hook(NULL);
    g.closing = 1;
    if (g.jobs == 0 && g.fd >= 0) {
        close(g.fd);
        g.fd = -1;
    }
    g.loop = NULL;
}
