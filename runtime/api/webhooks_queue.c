/* api/webhooks_queue: delivery of api/webhooks messages, durable or best
 * effort (see webhooks_queue.h). The durable queue file holds one JSON line
 * per event,
 *   {"add":"<id>","url":..,"headers":[..],"timeout":20,"sign":"..","body":".."}
 *   {"done":"<id>"}
 * appended and fdatasynced on the pool (one lane, in order). At start the
 * file is read, adds without a done are kept, the file is rewritten with
 * just those and they are sent again. Logs carry ids, status codes and
 * attempt counts only; nothing here runs on the audio path (requests go out
 * on the loop's shared curl multi client). */
#include "api/webhooks_queue.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/metrics.h"
#include "net/http_client.h"
#include "net/webhook_sig.h"

static const double backoff_s[] = {1, 5, 30}; /* then give up: 4 attempts */

typedef struct wh {
    struct wh *next;
    char id[128];
    char lane[64]; /* best effort: the call; "" durable */
    char *url, *body, *secret;
    char *hdrs[HK_WHQ_MAX_HEADERS + 3]; /* + delivery id, signature, NULL */
    int nh;                             /* the caller's headers */
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
    wh *head;        /* durable, in delivery */
    int n;
    wh *best, **best_tail; /* best effort, in arrival order */
    int n_best;
    long dropped, sent;
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
    for (int i = 0; i < d->nh; i++) cJSON_AddItemToArray(h, cJSON_CreateString(d->hdrs[i]));
    cJSON_AddNumberToObject(o, "timeout", d->timeout_s);
    if (d->secret) cJSON_AddStringToObject(o, "sign", d->secret);
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
    free(d->secret);
    for (int i = 0; d->hdrs[i]; i++) free(d->hdrs[i]);
    free(d);
}

static void unlink_from(wh **head, wh *d) {
    for (wh **p = head; *p; p = &(*p)->next)
        if (*p == d) {
            *p = d->next;
            return;
        }
}

static void send_now(wh *d);

static void best_finish(wh *d) {
    char lane[sizeof d->lane];
    snprintf(lane, sizeof lane, "%s", d->lane);
    unlink_from(&g.best, d);
    g.best_tail = &g.best;
    while (*g.best_tail) g.best_tail = &(*g.best_tail)->next;
    g.n_best--;
    wh_free(d);
    for (wh *n = g.best; n; n = n->next) /* the call's next message, in order */
        if (!strcmp(n->lane, lane)) {
            if (!n->http) send_now(n);
            return;
        }
}

static void wh_finish(wh *d) {
    if (d->lane[0]) {
        best_finish(d);
        return;
    }
    unlink_from(&g.head, d);
    g.n--;
    ev_timer_stop(g.loop, &d->retry);
    persist_done(d);
    wh_free(d);
}

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
    if (d->lane[0]) { /* best effort: one attempt, whatever came of it */
        if (status >= 200 && status < 300) g.sent++;
        hk_log(HK_LOG_DEBUG, d->lane, "webhook_sent", "%s status %d", d->id, status);
        wh_finish(d);
        return;
    }
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

static void set_header(wh *d, int i, const char *line) {
    free(d->hdrs[i]);
    d->hdrs[i] = strdup(line);
    if (!d->hdrs[i]) abort();
}

static void send_now(wh *d) {
    d->attempt++;
    /* the delivery id stays, the signature is fresh on every attempt */
    char line[256];
    int k = d->nh;
    snprintf(line, sizeof line, "X-Hark-Delivery-Id: %s", d->id);
    set_header(d, k++, line);
    if (d->secret) {
        char sig[128];
        size_t blen = strlen(d->body);
        if (hk_webhook_signature(d->secret, (long long)time(NULL), d->body, blen, sig, sizeof sig) == 0) {
            snprintf(line, sizeof line, "X-Hark-Signature: %s", sig);
            set_header(d, k++, line);
        }
    }
    hk_http_opts o = {.method = "POST", .url = d->url, .headers = (const char *const *)d->hdrs,
                      .body = d->body, .body_len = strlen(d->body), .timeout_s = d->timeout_s,
                      .on_done = on_done, .ud = d};
    d->http = hk_http_fetch(hk_http_client_shared(g.loop), &o);
    if (!d->http) on_done(d, 0, NULL, 0, "cannot start");
}

static wh *wh_new(const char *id, const char *url, const char *const *hdrs, int nh,
                  double timeout_s, const char *secret, char *body) {
    wh *d = calloc(1, sizeof *d);
    if (!d) abort();
    snprintf(d->id, sizeof d->id, "%s", id);
    d->url = strdup(url);
    d->body = body;
    d->secret = secret && *secret ? strdup(secret) : NULL;
    d->timeout_s = timeout_s > 0 ? timeout_s : 20;
    for (int i = 0; i < nh && i < HK_WHQ_MAX_HEADERS; i++) d->hdrs[d->nh++] = strdup(hdrs[i]);
    ev_timer_init(&d->retry, on_retry, 0, 0);
    d->retry.data = d;
    return d;
}

static int lane_waiting(const char *lane, int *busy) {
    int waiting = 0;
    for (wh *n = g.best; n; n = n->next)
        if (!strcmp(n->lane, lane)) {
            waiting++;
            *busy |= n->http != NULL;
        }
    return waiting;
}

int hk_whq_drop_if_full(const char *id, const char *lane) {
    int busy = 0, waiting = lane_waiting(*lane ? lane : "-", &busy);
    if (waiting < HK_WHQ_LANE_MAX && g.n_best < HK_WHQ_BEST_MAX) return 0;
    hk_metric_inc(HK_M_WEBHOOKS_DROPPED);
    if (g.dropped++ % 100 == 0) /* first, then every 100th: a slow receiver is loud enough */
        hk_log(HK_LOG_WARN, lane, "webhook_dropped", "%s: the receiver is slow (%d waiting "
               "for this call, %ld dropped so far)", id, waiting, g.dropped);
    return 1;
}

int hk_whq_supersede(const char *lane, const char *tag) {
    if (!*lane) lane = "-";
    for (wh **p = &g.best; *p; p = &(*p)->next) {
        wh *n = *p;
        if (!n->http && !strcmp(n->lane, lane) && strstr(n->id, tag)) {
            *p = n->next;
            g.best_tail = &g.best;
            while (*g.best_tail) g.best_tail = &(*g.best_tail)->next;
            g.n_best--;
            wh_free(n);
            return 1;
        }
    }
    return 0;
}

static int best_send(wh *d, const char *lane) {
    int busy = 0, waiting = lane_waiting(lane, &busy);
    if (hk_whq_drop_if_full(d->id, lane)) {
        wh_free(d);
        return -1;
    }
    snprintf(d->lane, sizeof d->lane, "%s", lane);
    if (!g.best_tail) g.best_tail = &g.best;
    *g.best_tail = d;
    g.best_tail = &d->next;
    g.n_best++;
    if (!busy && !waiting) send_now(d);
    return 0;
}

int hk_whq_send(const char *id, const char *url, const char *const *hdrs, int nh, double timeout_s,
                const char *secret, char *body, const char *lane) {
    if (!g.loop) {
        free(body);
        return -1;
    }
    wh *d = wh_new(id, url, hdrs, nh, timeout_s, secret, body);
    if (lane) return best_send(d, *lane ? lane : "-");
    d->next = g.head;
    g.head = d;
    g.n++;
    persist_add(d);
    send_now(d);
    return 0;
}

/* ---- start and stop ---- */

/* An add line's message, checked and rebuilt as persist_add writes it (the
 * delivery id dropped from the headers: files of older versions kept it
 * there); NULL when it cannot be sent as it is: an id that is empty or
 * would not fit wh.id (cut, its done would never match and it would go
 * again at every start), a URL that is not http(s) or holds control
 * characters, a header with a line break (it would split the request), a
 * body that is not a string. A timeout out of 0..300 s is the default 20. */
static cJSON *add_record(const cJSON *o) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "add");
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(o, "url");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(o, "body");
    const cJSON *sign = cJSON_GetObjectItemCaseSensitive(o, "sign");
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(o, "timeout");
    const cJSON *hs = cJSON_GetObjectItemCaseSensitive(o, "headers");
    if (!cJSON_IsString(id) || !id->valuestring[0] || strlen(id->valuestring) >= sizeof ((wh *)0)->id ||
        !cJSON_IsString(url) || !cJSON_IsString(body) || (hs && !cJSON_IsArray(hs)))
        return NULL;
    const char *u = url->valuestring;
    if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) return NULL;
    for (const unsigned char *c = (const unsigned char *)u; *c; c++)
        if (*c < 0x20 || *c == 0x7f) return NULL;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "add", id->valuestring);
    cJSON_AddStringToObject(r, "url", u);
    cJSON *h = cJSON_AddArrayToObject(r, "headers");
    const cJSON *it;
    int nh = 0;
    cJSON_ArrayForEach(it, hs) {
        if (!cJSON_IsString(it) || strpbrk(it->valuestring, "\r\n")) {
            cJSON_Delete(r);
            return NULL;
        }
        if (nh < HK_WHQ_MAX_HEADERS && strncmp(it->valuestring, "X-Hark-Delivery-Id:", 19) != 0) {
            cJSON_AddItemToArray(h, cJSON_CreateString(it->valuestring));
            nh++;
        }
    }
    double t = cJSON_IsNumber(to) ? to->valuedouble : 20;
    cJSON_AddNumberToObject(r, "timeout", t > 0 && t <= 300 ? t : 20);
    if (cJSON_IsString(sign) && sign->valuestring[0]) cJSON_AddStringToObject(r, "sign", sign->valuestring);
    cJSON_AddStringToObject(r, "body", body->valuestring);
    return r;
}

static cJSON *kept_find(cJSON *keep, const char *id) {
    cJSON *it;
    cJSON_ArrayForEach(it, keep)
        if (!strcmp(cJSON_GetObjectItemCaseSensitive(it, "add")->valuestring, id)) return it;
    return NULL;
}

cJSON *hk_whq_read_file(const char *path, int *bad) {
    cJSON *keep = cJSON_CreateArray();
    *bad = 0;
    FILE *f = fopen(path, "r");
    if (!f) return keep;
    char *line = NULL;
    size_t cap = 0;
    ssize_t k;
    while ((k = getline(&line, &cap, f)) > 0) {
        /* the whole line is one JSON object (a torn last line is not; nor is
         * one with a NUL inside, which would hide what follows it) */
        cJSON *o = memchr(line, 0, (size_t)k) ? NULL : cJSON_ParseWithOpts(line, NULL, 1);
        const cJSON *done = cJSON_GetObjectItemCaseSensitive(o, "done");
        cJSON *add = cJSON_IsString(done) || !cJSON_IsObject(o) ? NULL : add_record(o);
        if (cJSON_IsString(done)) {
            cJSON *it = kept_find(keep, done->valuestring);
            if (it) cJSON_Delete(cJSON_DetachItemViaPointer(keep, it));
        } else if (!add) {
            (*bad)++;
        } else if (kept_find(keep, cJSON_GetObjectItemCaseSensitive(add, "add")->valuestring)) {
            cJSON_Delete(add); /* written twice: delivered once */
        } else {
            cJSON_AddItemToArray(keep, add);
        }
        cJSON_Delete(o);
    }
    free(line);
    fclose(f);
    return keep;
}

int hk_whq_write_file(const char *path, const cJSON *keep, char *err, size_t errlen) {
    char tmp[600];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    const cJSON *it;
    int bad = 0;
    cJSON_ArrayForEach(it, keep) {
        char *s = cJSON_PrintUnformatted(it);
        if (!s) abort();
        size_t n = strlen(s);
        bad |= write(fd, s, n) != (ssize_t)n || write(fd, "\n", 1) != 1;
        free(s);
    }
    bad |= fsync(fd) != 0;
    close(fd);
    if (bad || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Reads the file, keeps the adds with no done (in order), rewrites it (the
 * compacted file: written, synced and renamed before anything is sent). */
static int replay(const char *path, char *err, size_t errlen) {
    int nbad;
    cJSON *keep = hk_whq_read_file(path, &nbad);
    if (nbad)
        hk_log(HK_LOG_WARN, NULL, "webhook_queue_bad_lines", "%s: %d unreadable line(s) skipped",
               path, nbad);
    if (hk_whq_write_file(path, keep, err, errlen) != 0) {
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
    const cJSON *it;
    cJSON_ArrayForEach(it, keep) { /* checked by add_record */
        const char *hdrs[HK_WHQ_MAX_HEADERS];
        int nh = 0;
        const cJSON *h;
        cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(it, "headers")) hdrs[nh++] = h->valuestring;
        const cJSON *sign = cJSON_GetObjectItemCaseSensitive(it, "sign");
        wh *d = wh_new(cJSON_GetObjectItemCaseSensitive(it, "add")->valuestring,
                       cJSON_GetObjectItemCaseSensitive(it, "url")->valuestring, hdrs, nh,
                       cJSON_GetObjectItemCaseSensitive(it, "timeout")->valuedouble,
                       cJSON_IsString(sign) ? sign->valuestring : NULL,
                       strdup(cJSON_GetObjectItemCaseSensitive(it, "body")->valuestring));
        d->next = g.head;
        g.head = d;
        g.n++;
        send_now(d);
        n++;
    }
    if (n) hk_log(HK_LOG_INFO, NULL, "webhook_replay", "%d undelivered message(s) from %s", n, path);
    cJSON_Delete(keep);
    return 0;
}

int hk_whq_open(struct ev_loop *loop, hk_pool *pool, const char *path, char *err, size_t errlen) {
    g.loop = loop;
    g.pool = pool;
    g.fd = -1;
    g.closing = 0;
    g.best = NULL;
    g.best_tail = &g.best;
    g.n_best = 0;
    if (path && replay(path, err, errlen) != 0) return -1;
    return 0;
}

int hk_whq_pending(void) { return g.n + g.n_best; }

void hk_whq_stats(long *dropped, long *sent) {
    if (dropped) *dropped = g.dropped;
    if (sent) *sent = g.sent;
}

static void free_list(wh **head) {
    while (*head) {
        wh *d = *head;
        *head = d->next;
        if (d->http) hk_http_cancel(d->http);
        ev_timer_stop(g.loop, &d->retry);
        wh_free(d);
    }
}

void hk_whq_close(void) {
    if (!g.loop) return;
    free_list(&g.head);
    free_list(&g.best);
    g.best_tail = &g.best;
    g.n = g.n_best = 0;
    g.closing = 1;
    if (g.jobs == 0 && g.fd >= 0) {
        close(g.fd);
        g.fd = -1;
    }
    g.loop = NULL;
}
