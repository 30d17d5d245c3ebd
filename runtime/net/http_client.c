/* net/http_client: libcurl multi on libev. See http_client.h.
 * The multi handle tells us which sockets to watch (socket callback) and when
 * to call it back (timer callback); completions are collected after every
 * curl_multi_socket_action. A call's callbacks may start or cancel requests. */
#include "net/http_client.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

struct hk_http_client {
    struct ev_loop *loop;
    CURLM *multi;
    ev_timer timer;
    int active;
    struct hk_http_call *calls; /* in flight, for cancelling at free */
    int shared;                 /* the loop's shared client (hk_http_client_shared) */
};

struct hk_http_call {
    hk_http_client *cl;
    CURL *easy;
    struct curl_slist *headers;
    hk_http_opts o;
    char *body;         /* gathered response when not streaming */
    size_t len, cap;
    char *req_body;     /* our copy of the request body */
    char err[CURL_ERROR_SIZE];
    hk_http_call *next, *prev;
};

typedef struct sockw {
    ev_io io;
    hk_http_client *cl;
    curl_socket_t fd;
} sockw;

static void check_done(hk_http_client *cl);

static void finish(hk_http_call *call, CURLcode rc) {
    long status = 0;
    curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &status);
    const char *err = NULL;
    if (rc != CURLE_OK) {
        err = call->err[0] ? call->err : curl_easy_strerror(rc);
        status = 0;
    }
    hk_http_opts o = call->o;
    char *body = call->body;
    size_t len = call->len;
    char errcopy[CURL_ERROR_SIZE];
    if (err) snprintf(errcopy, sizeof errcopy, "%s", err);
    call->body = NULL;
    hk_http_cancel(call); /* frees the call; callbacks below use copies */
    if (o.on_done) o.on_done(o.ud, (int)status, body ? body : "", len, err ? errcopy : NULL);
    free(body);
}

static void check_done(hk_http_client *cl) {
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(cl->multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        hk_http_call *call = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&call);
        if (call) finish(call, m->data.result);
    }
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop;
    sockw *s = (sockw *)w;
    hk_http_client *cl = s->cl;
    int flags = (revents & EV_READ ? CURL_CSELECT_IN : 0) | (revents & EV_WRITE ? CURL_CSELECT_OUT : 0);
    int running;
    curl_multi_socket_action(cl->multi, s->fd, flags, &running);
    check_done(cl);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)revents;
    hk_http_client *cl = w->data;
    int running;
    curl_multi_socket_action(cl->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(cl);
}

static int sock_cb(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp) {
    (void)e;
    hk_http_client *cl = userp;
    sockw *s = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            ev_io_stop(cl->loop, &s->io);
            free(s);
        }
        curl_multi_assign(cl->multi, fd, NULL);
        return 0;
    }
    if (!s) {
        s = calloc(1, sizeof *s);
        s->cl = cl;
        s->fd = fd;
        curl_multi_assign(cl->multi, fd, s);
    } else {
        ev_io_stop(cl->loop, &s->io);
    }
    int ev = (what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0);
    ev_io_init(&s->io, on_io, fd, ev);
    ev_io_start(cl->loop, &s->io);
    return 0;
}

static int timer_cb(CURLM *multi, long ms, void *userp) {
    (void)multi;
    hk_http_client *cl = userp;
    ev_timer_stop(cl->loop, &cl->timer);
    if (ms >= 0) {
        ev_now_update(cl->loop); /* curl's ms counts from now, libev's from ev_now */
        ev_timer_set(&cl->timer, ms / 1000.0, 0.);
        ev_timer_start(cl->loop, &cl->timer);
    }
    return 0;
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *ud) {
    hk_http_call *call = ud;
    size_t n = size * nmemb;
    if (call->o.on_data) {
        call->o.on_data(call->o.ud, ptr, n);
        return n;
    }
    if (call->len + n + 1 > call->cap) {
        size_t cap = call->cap ? call->cap * 2 : 4096;
        while (cap < call->len + n + 1) cap *= 2;
        char *b = realloc(call->body, cap);
        if (!b) return 0;
        call->body = b;
        call->cap = cap;
    }
    memcpy(call->body + call->len, ptr, n);
    call->len += n;
    call->body[call->len] = 0;
    return n;
}

hk_http_client *hk_http_client_new(struct ev_loop *loop) {
    static int inited;
    if (!inited) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        inited = 1;
    }
    hk_http_client *cl = calloc(1, sizeof *cl);
    cl->loop = loop;
    cl->multi = curl_multi_init();
    ev_timer_init(&cl->timer, on_timer, 0., 0.);
    cl->timer.data = cl;
    curl_multi_setopt(cl->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
    curl_multi_setopt(cl->multi, CURLMOPT_SOCKETDATA, cl);
    curl_multi_setopt(cl->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(cl->multi, CURLMOPT_TIMERDATA, cl);
    return cl;
}

hk_http_call *hk_http_fetch(hk_http_client *cl, const hk_http_opts *o) {
    hk_http_call *call = calloc(1, sizeof *call);
    if (!call) return NULL;
    call->cl = cl;
    call->o = *o;
    call->easy = curl_easy_init();
    if (!call->easy) {
        free(call);
        return NULL;
    }
    CURL *e = call->easy;
    curl_easy_setopt(e, CURLOPT_URL, o->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, call);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, call);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, call->err);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)((o->connect_timeout_s > 0 ? o->connect_timeout_s : 10) * 1000));
    if (o->timeout_s > 0) curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(o->timeout_s * 1000));
    if (o->userpwd) curl_easy_setopt(e, CURLOPT_USERPWD, o->userpwd);
    for (const char *const *h = o->headers; h && *h; h++)
        call->headers = curl_slist_append(call->headers, *h);
    /* Twilio-style webhooks and our own server refuse chunked uploads */
    call->headers = curl_slist_append(call->headers, "Expect:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, call->headers);
    if (o->body) {
        call->req_body = malloc(o->body_len + 1);
        memcpy(call->req_body, o->body, o->body_len);
        call->req_body[o->body_len] = 0;
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, call->req_body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->body_len);
    }
    if (o->method) curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, o->method);
    call->o.body = NULL; /* ours is call->req_body */
    if (curl_multi_add_handle(cl->multi, e) != CURLM_OK) {
        curl_slist_free_all(call->headers);
        curl_easy_cleanup(e);
        free(call->req_body);
        free(call);
        return NULL;
    }
    cl->active++;
    call->next = cl->calls;
    if (cl->calls) cl->calls->prev = call;
    cl->calls = call;
    return call;
}

void hk_http_cancel(hk_http_call *call) {
    if (!call) return;
    hk_http_client *cl = call->cl;
    curl_multi_remove_handle(cl->multi, call->easy);
    curl_easy_cleanup(call->easy);
    curl_slist_free_all(call->headers);
    free(call->body);
    free(call->req_body);
    if (call->prev) call->prev->next = call->next;
    else cl->calls = call->next;
    if (call->next) call->next->prev = call->prev;
    free(call);
    cl->active--;
}

int hk_http_client_active(const hk_http_client *cl) { return cl->active; }

/* One shared client per loop (a worker has one loop; tests may have several
 * in turn, so a loop's entry is removed at shutdown). Loop thread only. */
#define HK_HTTP_MAX_SHARED 16
static struct {
    struct ev_loop *loop;
    hk_http_client *cl;
} g_shared[HK_HTTP_MAX_SHARED];

hk_http_client *hk_http_client_shared(struct ev_loop *loop) {
    int free_slot = -1;
    for (int i = 0; i < HK_HTTP_MAX_SHARED; i++) {
        if (g_shared[i].loop == loop) return g_shared[i].cl;
        if (!g_shared[i].loop && free_slot < 0) free_slot = i;
    }
    hk_http_client *cl = hk_http_client_new(loop);
    if (cl && free_slot >= 0) {
        g_shared[free_slot].loop = loop;
        g_shared[free_slot].cl = cl;
        cl->shared = 1;
    }
    return cl; /* a table overflow gives an unshared client: it leaks, never breaks */
}

void hk_http_client_shutdown(struct ev_loop *loop) {
    for (int i = 0; i < HK_HTTP_MAX_SHARED; i++)
        if (g_shared[i].loop == loop) {
            hk_http_client *cl = g_shared[i].cl;
            g_shared[i].loop = NULL;
            g_shared[i].cl = NULL;
            cl->shared = 0;
            hk_http_client_free(cl);
        }
}

void hk_http_client_free(hk_http_client *cl) {
    if (!cl || cl->shared) return; /* the loop's shared client lives until shutdown */
    while (cl->calls) hk_http_cancel(cl->calls);
    ev_timer_stop(cl->loop, &cl->timer);
    curl_multi_cleanup(cl->multi);
    free(cl);
}
