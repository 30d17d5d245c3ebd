/* providers/llm_stream: see llm_stream.h. libcurl's callbacks (on_data,
 * on_done) only store bytes and arm a zero-delay timer: libcurl forbids
 * removing or adding transfers, or freeing the multi handle, from inside its
 * callbacks, and a sink callback may do all three (cancel, the next complete,
 * close). So parsing and every sink call happen in pump(), from an ev timer.
 * A sink callback may free the provider: `alive` flags, set on the stack
 * around each call, tell the code below the call not to touch s again. */
#include "providers/llm_stream.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

#define HEAD_MAX 16384   /* body bytes kept to explain an error status */
#define END_GRACE_S 0.5  /* after the last event, wait this long for the transfer end */

static void on_sse_event(void *ud, const char *event, const char *data, size_t len) {
    hk_llm_stream *s = ud;
    if (s->q_len == s->q_cap) {
        size_t cap = s->q_cap ? s->q_cap * 2 : 16;
        hk_llm_event *q = realloc(s->q, cap * sizeof *q);
        if (!q) {
            s->sse_failed = 1;
            return;
        }
        s->q = q;
        s->q_cap = cap;
    }
    hk_llm_event *e = &s->q[s->q_len];
    e->event = strdup(event);
    e->data = malloc(len + 1);
    if (!e->event || !e->data) {
        free(e->event);
        free(e->data);
        s->sse_failed = 1;
        return;
    }
    memcpy(e->data, data, len);
    e->data[len] = 0;
    e->len = len;
    s->q_len++;
}

static void free_events(hk_llm_event *q, size_t from, size_t n) {
    for (size_t i = from; i < n; i++) {
        free(q[i].event);
        free(q[i].data);
    }
}

/* Forget the completion in flight: no callback for it can come after this. */
static void reset_request(hk_llm_stream *s) {
    if (s->call) hk_http_cancel(s->call);
    s->call = NULL;
    ev_timer_stop(s->loop, &s->tick);
    ev_timer_stop(s->loop, &s->kick);
    s->in_len = 0;
    s->head_len = 0;
    free_events(s->q, 0, s->q_len);
    s->q_len = 0;
    hk_sse_free(&s->sse);
    hk_sse_init(&s->sse, on_sse_event, s);
    s->sse_failed = 0;
    s->n_bytes = 0;
    s->got_event = 0;
    s->ended = 0;
    s->status = 0;
    free(s->end_err);
    s->end_err = NULL;
    s->finishing = 0;
    s->fin_reason[0] = 0;
}

static int append(char **buf, size_t *len, size_t *cap, const char *data, size_t n) {
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (c < *len + n + 1) c *= 2;
        char *b = realloc(*buf, c);
        if (!b) return -1;
        *buf = b;
        *cap = c;
    }
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = 0;
    return 0;
}

/* ---- libcurl side: store and hand over, nothing else ------------------- */

static void on_data(void *ud, const char *data, size_t n) {
    hk_llm_stream *s = ud;
    s->n_bytes += n;
    s->last_byte = ev_now(s->loop);
    if (s->head_len < HEAD_MAX) {
        size_t take = n < HEAD_MAX - s->head_len ? n : HEAD_MAX - s->head_len;
        memcpy(s->head + s->head_len, data, take);
        s->head_len += take;
        s->head[s->head_len] = 0;
    }
    if (s->finishing) return; /* the result is known: the rest is not read */
    if (append(&s->in, &s->in_len, &s->in_cap, data, n) != 0) s->sse_failed = 1;
    if (!ev_is_active(&s->kick)) ev_timer_start(s->loop, &s->kick);
}

static void on_done(void *ud, int status, const char *body, size_t len, const char *err) {
    (void)body;
    (void)len;
    hk_llm_stream *s = ud;
    s->call = NULL; /* the call is gone once on_done runs */
    s->ended = 1;
    s->status = status;
    s->end_err = err ? strdup(err) : NULL;
    if (!ev_is_active(&s->kick)) ev_timer_start(s->loop, &s->kick);
}

/* ---- loop side --------------------------------------------------------- */

/* Ends the completion and calls done. Returns 1 when s is still alive. */
static int deliver_done(hk_llm_stream *s, int ok, const char *reason) {
    char r[sizeof s->fin_reason];
    snprintf(r, sizeof r, "%s", reason);
    s->busy = 0;
    s->gen++;
    reset_request(s);
    if (!ok) hk_log(HK_LOG_WARN, s->log_id, "llm_failed", "%s: %s", s->who, r);
    if (!s->sink.done) return 1;
    int alive = 1, *prev = s->alive;
    s->alive = &alive;
    s->sink.done(s->sink.ud, ok, r);
    if (!alive) {
        if (prev) *prev = 0;
        return 0;
    }
    s->alive = prev;
    return 1;
}

static void arm_tick(hk_llm_stream *s) {
    double at;
    if (s->finishing) at = s->last_byte + END_GRACE_S;
    else if (!s->got_event) at = s->started + s->first_token_s;
    else at = s->last_byte + s->idle_s;
    double after = at - ev_now(s->loop);
    ev_timer_stop(s->loop, &s->tick);
    ev_timer_set(&s->tick, after > 0.001 ? after : 0.001, 0.);
    ev_timer_start(s->loop, &s->tick);
}

/* "http 429: <error.message>" from an error body of either provider's shape. */
static void status_reason(hk_llm_stream *s, char *out, size_t cap) {
    const char *msg = NULL;
    cJSON *j = s->head_len ? cJSON_ParseWithLength(s->head, s->head_len) : NULL;
    cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
    if (cJSON_IsString(m)) msg = m->valuestring;
    else if (cJSON_IsString(e)) msg = e->valuestring;
    if (msg) snprintf(out, cap, "http %d: %s", s->status, msg);
    else snprintf(out, cap, "http %d: %.200s", s->status, s->head_len ? s->head : "(no body)");
    cJSON_Delete(j);
}

/* The transfer is over and no result was set by the events. */
static void handle_end(hk_llm_stream *s) {
    char r[512];
    if (s->finishing) {
        deliver_done(s, s->fin_ok, s->fin_reason);
        return;
    }
    if (s->status >= 200 && s->status < 300) {
        unsigned gen = s->gen;
        if (s->on_eof) {
            int alive = 1, *prev = s->alive;
            s->alive = &alive;
            s->on_eof(s);
            if (!alive) {
                if (prev) *prev = 0;
                return;
            }
            s->alive = prev;
        }
        if (!s->busy || gen != s->gen) return;
        if (s->finishing) {
            deliver_done(s, s->fin_ok, s->fin_reason);
            return;
        }
        deliver_done(s, 0, "stream dropped: the connection closed before the end of the response");
        return;
    }
    if (s->status == 0) {
        snprintf(r, sizeof r, "%s: %s", s->n_bytes ? "stream dropped" : "request failed",
                 s->end_err ? s->end_err : "no response");
    } else {
        status_reason(s, r, sizeof r);
    }
    deliver_done(s, 0, r);
}

/* Parse what libcurl delivered, dispatch the events, then act on the end of
 * the transfer. Returns 1 when s is still alive. */
static int pump(hk_llm_stream *s) {
    if (!s->busy) return 1;
    ev_timer_stop(s->loop, &s->kick);
    unsigned gen = s->gen;
    int alive = 1, *prev = s->alive;
    s->alive = &alive;
    if (s->in_len && !s->finishing) {
        if (hk_sse_feed(&s->sse, s->in, s->in_len) != 0) s->sse_failed = 1;
    }
    s->in_len = 0;
    /* take the queue: callbacks below may reset s's request state */
    hk_llm_event *q = s->q;
    size_t n = s->q_len;
    s->q = NULL;
    s->q_len = s->q_cap = 0;
    size_t i = 0;
    if (n && !s->got_event && !s->finishing) {
        s->got_event = 1;
        arm_tick(s); /* from now on the idle deadline applies */
    }
    for (; i < n; i++) {
        if (!alive || gen != s->gen || !s->busy || s->finishing) break;
        s->on_event(s, q[i].event, q[i].data, q[i].len);
    }
    free_events(q, 0, n);
    free(q);
    if (!alive) {
        if (prev) *prev = 0;
        return 0;
    }
    if (s->busy && gen == s->gen && s->sse_failed && !s->finishing)
        hk_llm_stream_finish(s, 0, "malformed event: an event too large or out of memory");
    if (alive && s->busy && gen == s->gen && s->ended) handle_end(s);
    if (!alive) {
        if (prev) *prev = 0;
        return 0;
    }
    s->alive = prev;
    return 1;
}

static void on_kick(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)revents;
    pump(w->data);
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)revents;
    hk_llm_stream *s = w->data;
    if (!s->busy) return;
    unsigned gen = s->gen;
    /* judge only after what has already arrived is parsed */
    if ((s->in_len || s->ended || s->sse_failed) && !pump(s)) return;
    if (!s->busy || gen != s->gen) return;
    double now = ev_now(loop);
    if (s->finishing) {
        deliver_done(s, s->fin_ok, s->fin_reason);
    } else if (!s->got_event) {
        if (now - s->started >= s->first_token_s - 0.001)
            hk_llm_stream_finish(s, 0, "timeout: no first token after %.1f s", s->first_token_s);
        else
            arm_tick(s);
    } else if (now - s->last_byte >= s->idle_s - 0.001) {
        hk_llm_stream_finish(s, 0, "timeout: no data for %.1f s mid-stream", s->idle_s);
    } else {
        arm_tick(s);
    }
}

/* ---- API --------------------------------------------------------------- */

int hk_llm_stream_init(hk_llm_stream *s, struct ev_loop *loop, const hk_llm_config *cfg,
                       const hk_llm_sink *sink, const char *who) {
    memset(s, 0, sizeof *s);
    s->loop = loop;
    s->sink = *sink;
    s->who = who;
    snprintf(s->log_id, sizeof s->log_id, "%s", cfg->log_id ? cfg->log_id : "");
    s->connect_s = cfg->connect_timeout_s > 0 ? cfg->connect_timeout_s : 5;
    s->first_token_s = cfg->first_token_timeout_s > 0 ? cfg->first_token_timeout_s : 10;
    s->idle_s = cfg->idle_timeout_s > 0 ? cfg->idle_timeout_s : 10;
    s->model = strdup(cfg->model ? cfg->model : "");
    s->api_key = strdup(cfg->api_key ? cfg->api_key : "");
    s->temperature = cfg->temperature;
    s->max_tokens = cfg->max_tokens;
    s->head = malloc(HEAD_MAX + 1);
    s->http = hk_http_client_shared(loop); /* connections reused across calls */
    if (!s->head || !s->http || !s->model || !s->api_key) {
        free(s->head);
        free(s->model);
        free(s->api_key);
        return -1;
    }
    s->head[0] = 0;
    hk_sse_init(&s->sse, on_sse_event, s);
    ev_timer_init(&s->tick, on_tick, 1., 0.);
    s->tick.data = s;
    ev_timer_init(&s->kick, on_kick, 0., 0.);
    s->kick.data = s;
    return 0;
}

int hk_llm_stream_start(hk_llm_stream *s, const char *url, const char *const *headers,
                        const char *body, size_t body_len) {
    if (s->busy) return -1;
    reset_request(s);
    hk_http_opts o = {
        .method = "POST",
        .url = url,
        .headers = headers,
        .body = body,
        .body_len = body_len,
        .connect_timeout_s = s->connect_s,
        .on_data = on_data,
        .on_done = on_done,
        .ud = s,
    };
    s->call = hk_http_fetch(s->http, &o);
    if (!s->call) {
        hk_log(HK_LOG_WARN, s->log_id, "llm_failed", "%s: the request could not start", s->who);
        return -1;
    }
    s->busy = 1;
    s->gen++;
    s->use_prompt = s->use_completion = 0;
    ev_now_update(s->loop);
    s->started = s->last_byte = ev_now(s->loop);
    arm_tick(s);
    return 0;
}

static int guarded(hk_llm_stream *s, unsigned gen, int *alive, int *prev) {
    if (!*alive) {
        if (prev) *prev = 0;
        return 0;
    }
    s->alive = prev;
    return s->busy && gen == s->gen && !s->finishing;
}

int hk_llm_stream_token(hk_llm_stream *s, const char *text, size_t len) {
    if (!s->busy || s->finishing) return 0;
    if (!len || !s->sink.token) return 1;
    unsigned gen = s->gen;
    int alive = 1, *prev = s->alive;
    s->alive = &alive;
    s->sink.token(s->sink.ud, text, len);
    return guarded(s, gen, &alive, prev);
}

int hk_llm_stream_tool_call(hk_llm_stream *s, const char *id, const char *name, const char *args) {
    if (!s->busy || s->finishing) return 0;
    if (!s->sink.tool_call) return 1;
    unsigned gen = s->gen;
    int alive = 1, *prev = s->alive;
    s->alive = &alive;
    s->sink.tool_call(s->sink.ud, id, name, args && *args ? args : "{}");
    return guarded(s, gen, &alive, prev);
}

void hk_llm_stream_usage(hk_llm_stream *s, long prompt, long completion) {
    if (!s->busy) return;
    long dp = prompt > s->use_prompt ? prompt - s->use_prompt : 0;
    long dc = completion > s->use_completion ? completion - s->use_completion : 0;
    if (!dp && !dc) return;
    s->use_prompt += dp;
    s->use_completion += dc;
    if (s->sink.usage) s->sink.usage(s->sink.ud, dp, dc);
}

void hk_llm_stream_finish(hk_llm_stream *s, int ok, const char *fmt, ...) {
    if (!s->busy || s->finishing) return;
    char r[sizeof s->fin_reason];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r, sizeof r, fmt, ap);
    va_end(ap);
    if (!ok || s->ended || !s->call) {
        deliver_done(s, ok, r);
        return;
    }
    /* The server normally ends the body right after the last event; reading
     * that end keeps the connection reusable for the next turn. */
    s->finishing = 1;
    s->fin_ok = ok;
    snprintf(s->fin_reason, sizeof s->fin_reason, "%s", r);
    s->last_byte = ev_now(s->loop);
    arm_tick(s);
}

void hk_llm_stream_cancel(hk_llm_stream *s) {
    if (!s->busy) return;
    s->busy = 0;
    s->gen++;
    reset_request(s);
}

void hk_llm_stream_close(hk_llm_stream *s) {
    if (s->alive) *s->alive = 0;
    s->alive = NULL;
    hk_llm_stream_cancel(s);
    reset_request(s);
    hk_sse_free(&s->sse);
    free(s->q);
    s->q = NULL;
    free(s->in);
    s->in = NULL;
    free(s->head);
    s->head = NULL;
    s->http = NULL; /* the loop's shared client: not ours to free */
    free(s->model);
    free(s->api_key);
    s->model = s->api_key = NULL;
}

int hk_llm_join_url(char *out, size_t cap, const char *base, const char *path) {
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/') n--;
    int w = snprintf(out, cap, "%.*s%s", (int)n, base, path);
    return w < 0 || (size_t)w >= cap ? -1 : 0;
}
