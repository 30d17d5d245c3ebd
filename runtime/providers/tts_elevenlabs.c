/* providers/tts_elevenlabs: the ElevenLabs text-to-speech provider
 * (shared/reference/protocols.md section 3). Owns, per request, one
 * stream-input WebSocket (text pushed as the LLM writes it, base64 mu-law and
 * character alignment back), the switch to the HTTP streaming fallback
 * (tts_elevenlabs_http.c) when that socket cannot be used before any audio
 * came, the first-audio timeout, in-order
 * delivery (a later request may synthesise early but its callbacks are held
 * until the earlier one is done) and one warm socket opened ahead of need.
 * Never blocks the loop. Sink callbacks may re-enter push/cancel/close: no
 * request or connection is freed while one of our frames may still use it
 * (they wait in a graveyard reaped at depth 0), and libcurl handles are never
 * cancelled from inside libcurl's own data callback. */
#include "providers/tts_elevenlabs_int.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "net/http_client.h"
#include "net/ws_client.h"
#include "providers/elevenlabs_msg.h"

#define DEFAULT_VOICE "21m00Tcm4TlvDq8ikWAM"
#define DEFAULT_MODEL "eleven_flash_v2_5"
#define DEFAULT_BASE "https://api.elevenlabs.io"
#define ULAW_BYTES_PER_MS 8
/* A word of the alignment is looked for this far past the previous one in the
 * request's text; further means the service normalised it (numbers...). */
#define MATCH_WINDOW 256

static void pump(hk_tts *t);
static void ws_failed(req *r, const char *why);
static int start_ws(req *r);
static void open_warm(hk_tts *t);

/* ---- lifetime: entering/leaving our frames, deferred frees ---------------- */

static void kick_start(hk_tts *t)
{
    if (!ev_is_active(&t->kick)) ev_timer_start(t->loop, &t->kick);
}

static void conn_bury(hk_tts *t, conn *c)
{
    if (c->ws) hk_ws_close(c->ws); /* safe inside its own callbacks (ws_client.h) */
    c->ws = NULL;
    c->r = NULL;
    c->next_dead = t->dead_conns;
    t->dead_conns = c;
}

static void http_stop(hk_tts *t, req *r)
{
    if (!r->http) return;
    if (t->in_curl) { /* libcurl forbids removing a handle inside its callbacks */
        if (hk_grow((void **)&t->cancels, &t->cap_cancels, t->n_cancels + 1, sizeof *t->cancels) == 0) {
            t->cancels[t->n_cancels++] = r->http;
            r->http_cancelling = r->http;
        }
    } else {
        hk_http_cancel(r->http);
    }
    r->http = NULL;
}

/* Stop everything the request runs; its memory waits for reap. */
static void req_detach(req *r)
{
    hk_tts *t = r->t;
    ev_timer_stop(t->loop, &r->timer);
    if (r->conn) conn_bury(t, r->conn);
    r->conn = NULL;
    http_stop(t, r);
}

static void req_bury(req *r)
{
    req_detach(r);
    r->dead = 1;
    r->next_dead = r->t->dead_reqs;
    r->t->dead_reqs = r;
}

static void unlink_req(hk_tts *t, req *r)
{
    req **pp = &t->head, *prev = NULL;
    while (*pp && *pp != r) prev = *pp, pp = &(*pp)->next;
    if (!*pp) return;
    *pp = r->next;
    if (t->tail == r) t->tail = prev;
}

static void free_all(hk_tts *t);

/* Free what was buried; only where no library frame of ours is on the stack. */
static void reap(hk_tts *t)
{
    for (size_t i = 0; i < t->n_cancels; i++) hk_http_cancel(t->cancels[i]);
    t->n_cancels = 0;
    while (t->dead_reqs) {
        req *r = t->dead_reqs;
        t->dead_reqs = r->next_dead;
        hk_strbuf_free(&r->text);
        hk_strbuf_free(&r->sent);
        hk_strbuf_free(&r->http_body);
        free(r->held);
        free(r->held_marks);
        free(r);
    }
    while (t->dead_conns) {
        conn *c = t->dead_conns;
        t->dead_conns = c->next_dead;
        free(c);
    }
    if (t->closed) free_all(t);
}

void hk_el_enter(hk_tts *t) { t->depth++; }

/* Leave a library callback: deliver what is ready, then free what died.
 * t may be freed here: callers must not touch it afterwards. */
void hk_el_leave(hk_tts *t)
{
    if (t->depth == 1 && !t->closed) pump(t);
    if (--t->depth > 0) return;
    if (t->in_curl) {
        if (t->dead_reqs || t->dead_conns || t->n_cancels || t->closed) kick_start(t);
        return;
    }
    reap(t);
}

static void on_kick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    hk_tts *t = w->data;
    hk_el_enter(t);
    hk_el_leave(t);
}

/* ---- delivery, in request order ------------------------------------------- */

void hk_el_emit_audio(req *r, const uint8_t *a, size_t n)
{
    hk_tts *t = r->t;
    if (r->dead || t->closed || !n) return;
    if (t->head == r && !r->held_n && !t->pumping) {
        t->sink.audio(t->sink.ud, r->id, a, n);
        return;
    }
    if (hk_grow((void **)&r->held, &r->held_cap, r->held_n + n, 1) != 0) return;
    memcpy(r->held + r->held_n, a, n);
    r->held_n += n;
}

static void emit_words(req *r, const hk_word_mark *m, size_t n)
{
    hk_tts *t = r->t;
    if (r->dead || t->closed || !n || !t->sink.words) return;
    if (t->head == r && !r->held_marks_n && !r->held_n && !t->pumping) {
        t->sink.words(t->sink.ud, r->id, m, n);
        return;
    }
    if (hk_grow((void **)&r->held_marks, &r->held_marks_cap, r->held_marks_n + n, sizeof *m) != 0) return;
    memcpy(r->held_marks + r->held_marks_n, m, n * sizeof *m);
    r->held_marks_n += n;
}

/* The request is over: stop its work now; done() goes out in order (pump). */
void hk_el_finish(req *r, int ok, const char *err)
{
    if (r->finished || r->dead) return;
    r->finished = 1;
    r->ok = ok;
    snprintf(r->err, sizeof r->err, "%.255s", err ? err : "");
    req_detach(r);
    if (!ok) hk_log(HK_LOG_WARN, r->t->log_id, "elevenlabs_failed", "request %llu: %s",
                    (unsigned long long)r->id, r->err);
}

/* Deliver the head's held callbacks and the done() of finished heads. Runs
 * only at the outermost frame; sinks may cancel/close/push from here. */
static void pump(hk_tts *t)
{
    if (t->pumping) return;
    t->pumping = 1;
    req *r;
    while (!t->closed && (r = t->head)) {
        if (r->held_n) {
            size_t n = r->held_n;
            r->held_n = 0;
            t->sink.audio(t->sink.ud, r->id, r->held, n);
            if (r->dead) continue;
        }
        if (r->held_marks_n) {
            size_t n = r->held_marks_n;
            r->held_marks_n = 0;
            if (t->sink.words) t->sink.words(t->sink.ud, r->id, r->held_marks, n);
            if (r->dead) continue;
        }
        if (!r->finished) break;
        unlink_req(t, r);
        req_bury(r);
        if (t->sink.done) t->sink.done(t->sink.ud, r->id, r->ok, r->ok ? NULL : r->err);
    }
    t->pumping = 0;
}

/* ---- timeouts --------------------------------------------------------------- */

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    req *r = w->data;
    hk_tts *t = r->t;
    hk_el_enter(t);
    char err[128];
    if (r->audio_bytes)
        snprintf(err, sizeof err, "elevenlabs: timeout: no audio for %.1f s mid-stream",
                 t->first_audio_timeout);
    else
        snprintf(err, sizeof err, "elevenlabs: timeout: no audio %.1f s after the text ended",
                 t->first_audio_timeout);
    hk_el_finish(r, 0, err);
    hk_el_leave(t);
}

/* (Re)start the no-audio timer: only once the request's text has ended.
 * libev counts `after` from ev_now, the time the loop iteration began; this
 * may run after blocking work (a caller's Lua, a slow start), so refresh it
 * or the timeout fires early by that much. */
void hk_el_arm_timer(req *r)
{
    if (!r->last || r->finished || r->dead) return;
    ev_timer_stop(r->t->loop, &r->timer);
    ev_now_update(r->t->loop);
    ev_timer_set(&r->timer, r->t->first_audio_timeout, 0.);
    ev_timer_start(r->t->loop, &r->timer);
}

/* ---- the stream-input WebSocket ------------------------------------------- */

static int send_json(req *r, cJSON *o)
{
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s) return -1;
    int rc = r->conn && r->conn->ws ? hk_ws_send_text(r->conn->ws, s, strlen(s)) : -1;
    free(s);
    return rc;
}

/* The first message: one space, voice settings, the generation schedule. */
static int send_bos(req *r)
{
    hk_tts *t = r->t;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "text", " ");
    cJSON *vs = cJSON_AddObjectToObject(o, "voice_settings");
    cJSON_AddNumberToObject(vs, "stability", t->stability);
    cJSON_AddNumberToObject(vs, "similarity_boost", t->similarity);
    static const int sched[] = {120, 160, 250, 290};
    cJSON *gc = cJSON_AddObjectToObject(o, "generation_config");
    cJSON_AddItemToObject(gc, "chunk_length_schedule", cJSON_CreateIntArray(sched, 4));
    return send_json(r, o);
}

static int send_text(req *r, const char *text, int flush)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "text", text);
    if (flush) cJSON_AddBoolToObject(o, "flush", 1);
    return send_json(r, o);
}

/* Group alignment characters into words and place them in the request's
 * text. base_ms: audio of the request before this message. final: the last
 * message, so a word still open ends here. */
static void align_words(req *r, const hk_elevenlabs_char *chars, size_t n_chars, uint32_t base_ms, int final)
{
    hk_tts *t = r->t;
    size_t n = 0;
    for (size_t i = 0;; i++) {
        int end = i == n_chars;
        const char *ch = end ? NULL : chars[i].c;
        int space = end || !*ch || isspace((unsigned char)ch[0]);
        if (space && r->pw_len && (!end || final)) {
            /* a whole word: find it at or after the cursor */
            const char *text = r->text.s ? r->text.s : "";
            size_t tl = r->text.len, from = r->cursor < tl ? r->cursor : tl;
            size_t span = tl - from < MATCH_WINDOW + r->pw_len ? tl - from : MATCH_WINDOW + r->pw_len;
            const char *hit = memmem(text + from, span, r->pw, r->pw_len);
            if (hit && hk_grow((void **)&t->marks, &t->marks_cap, n + 1, sizeof *t->marks) == 0) {
                t->marks[n].text_pos = (uint32_t)(hit - text);
                t->marks[n].text_len = (uint32_t)r->pw_len;
                t->marks[n].audio_ms = r->pw_ms;
                n++;
                r->cursor = (size_t)(hit - text) + r->pw_len;
            }
            r->pw_len = 0;
        }
        if (end) break;
        if (space) continue;
        size_t l = strlen(ch);
        if (r->pw_len + l >= sizeof r->pw) continue; /* absurdly long word: keep its start */
        if (!r->pw_len) r->pw_ms = base_ms + chars[i].start_ms;
        memcpy(r->pw + r->pw_len, ch, l);
        r->pw_len += l;
    }
    emit_words(r, t->marks, n);
}

static void ws_message(req *r, const char *data, size_t len)
{
    hk_tts *t = r->t;
    hk_elevenlabs_msg *m = &t->msg;
    char err[160];
    if (hk_elevenlabs_msg_parse(data, len, m, err, sizeof err) != HK_ELEVENLABS_MSG_OK) {
        char why[200];
        snprintf(why, sizeof why, "malformed message from the service (%s)", err);
        ws_failed(r, why);
        return;
    }
    if (m->is_error) {
        char why[240];
        snprintf(why, sizeof why, "service error: %s", m->error);
        ws_failed(r, why);
        return;
    }
    uint32_t base_ms = (uint32_t)(r->audio_bytes / ULAW_BYTES_PER_MS);
    if (m->audio_len) {
        r->audio_bytes += m->audio_len;
        hk_el_arm_timer(r);
        hk_el_emit_audio(r, m->audio, m->audio_len);
        if (r->dead) return;
    }
    /* the sink may have pushed or cancelled, but no message is parsed
     * before this one is done: m still holds this one */
    if (m->has_alignment || m->is_final) align_words(r, m->chars, m->n_chars, base_ms, m->is_final);
    if (m->is_final && !r->dead) hk_el_finish(r, 1, NULL);
}

static void on_ws_open(void *ud)
{
    conn *c = ud;
    hk_tts *t = c->t;
    c->open = 1;
    c->opened_at = ev_now(t->loop);
    if (c->r && t->warm_disabled) { /* the service answers again */
        t->warm_disabled = 0;
        open_warm(t);
    }
}

static void on_ws_message(void *ud, const char *data, size_t n, int binary)
{
    conn *c = ud;
    hk_tts *t = c->t;
    if (!c->r || binary) return; /* the warm socket has nothing to say yet */
    hk_el_enter(t);
    if (!c->r->dead && !c->r->finished) ws_message(c->r, data, n);
    hk_el_leave(t);
}

static void on_ws_close(void *ud, int code, const char *reason)
{
    conn *c = ud;
    hk_tts *t = c->t;
    hk_el_enter(t);
    c->ws = NULL; /* gone: never hk_ws_close it */
    if (c == t->warm) {
        t->warm = NULL;
        /* an idle warm socket the service timed out is replaced; one that
         * never opened means the service is refusing: wait for a request */
        int lived = c->open && ev_now(t->loop) - c->opened_at > 2.0;
        conn_bury(t, c);
        if (!lived) t->warm_disabled = 1;
        else open_warm(t);
    } else if (c->r) {
        req *r = c->r;
        char why[200];
        snprintf(why, sizeof why, "websocket closed (%d%s%s)", code, reason && *reason ? ": " : "",
                 reason ? reason : "");
        if (r->eos_sent && r->audio_bytes && code == 1000) hk_el_finish(r, 1, NULL); /* no isFinal, clean */
        else ws_failed(r, why);
    }
    hk_el_leave(t);
}

static conn *conn_new(hk_tts *t)
{
    conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->t = t;
    const char *headers[] = {t->key_header, NULL};
    hk_ws_opts o = {.url = t->ws_url, .headers = headers, .connect_timeout_s = t->connect_timeout,
                    .ud = c, .on_open = on_ws_open, .on_message = on_ws_message,
                    .on_close = on_ws_close};
    char err[200];
    c->ws = hk_ws_connect(t->loop, &o, err, sizeof err);
    if (!c->ws) {
        hk_log(HK_LOG_WARN, t->log_id, "elevenlabs_ws_connect", "%s", err);
        free(c);
        return NULL;
    }
    return c;
}

/* One socket opened ahead of need, so a reply does not wait for the handshake. */
static void open_warm(hk_tts *t)
{
    if (t->closed || t->warm || t->warm_disabled) return;
    t->warm = conn_new(t);
}

/* Give the request a socket (the warm one if any) and send what it has. */
static int start_ws(req *r)
{
    hk_tts *t = r->t;
    conn *c = NULL;
    r->conn_was_warm = 0;
    if (t->warm && !r->retried) {
        c = t->warm;
        t->warm = NULL;
        r->conn_was_warm = 1;
    } else {
        c = conn_new(t);
    }
    if (!c) return -1;
    c->r = r;
    r->conn = c;
    if (send_bos(r) != 0) return -1;
    /* a retry replays the text so far in one piece */
    if (r->sent.len && send_text(r, r->sent.s, r->flushed) != 0) return -1;
    if (r->last) {
        if (send_text(r, "", 0) != 0) return -1;
        r->eos_sent = 1;
    }
    open_warm(t); /* the next request's */
    return 0;
}

/* The socket failed: fail the request if audio came, else retry once on a
 * fresh socket (a warm one may have died unseen) or fall back to HTTP. */
static void ws_failed(req *r, const char *why)
{
    hk_tts *t = r->t;
    if (r->finished || r->dead) return;
    if (r->conn) conn_bury(t, r->conn);
    r->conn = NULL;
    char err[256];
    if (r->audio_bytes) {
        snprintf(err, sizeof err, "elevenlabs: stream failed after audio: %s", why);
        hk_el_finish(r, 0, err);
        return;
    }
    if (r->conn_was_warm && !r->retried) {
        r->retried = 1;
        hk_log(HK_LOG_WARN, t->log_id, "elevenlabs_retry", "request %llu: warm websocket %s; reconnecting",
               (unsigned long long)r->id, why);
        if (start_ws(r) == 0) return;
        if (r->conn) conn_bury(t, r->conn);
        r->conn = NULL;
    }
    hk_log(HK_LOG_WARN, t->log_id, "elevenlabs_fallback", "request %llu: websocket %s; using HTTP streaming",
           (unsigned long long)r->id, why);
    r->http_mode = 1;
    if (r->last) hk_el_start_http(r);
}

/* ---- the vtable ------------------------------------------------------------- */

static void free_all(hk_tts *t)
{
    if (t->warm) conn_bury(t, t->warm);
    t->warm = NULL;
    t->closed = 0; /* so reap does not recurse */
    reap(t);
    ev_timer_stop(t->loop, &t->kick);
    free(t->voice);
    free(t->model);
    free(t->key_header);
    free(t->ws_url);
    free(t->http_url);
    free(t->cancels);
    hk_elevenlabs_msg_free(&t->msg);
    free(t->marks);
    free(t);
}

static hk_tts *el_open(struct ev_loop *loop, const hk_tts_config *cfg, const hk_tts_sink *sink,
                       char *err, size_t errlen)
{
    if (!cfg->api_key || !*cfg->api_key) {
        snprintf(err, errlen, "elevenlabs: api_key is required");
        return NULL;
    }
    hk_tts *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "elevenlabs: out of memory");
        return NULL;
    }
    t->loop = loop;
    t->sink = *sink;
    snprintf(t->log_id, sizeof t->log_id, "%s", cfg->log_id ? cfg->log_id : "");
    t->voice = strdup(cfg->voice_id && *cfg->voice_id ? cfg->voice_id : DEFAULT_VOICE);
    t->model = strdup(cfg->model_id && *cfg->model_id ? cfg->model_id : DEFAULT_MODEL);
    t->stability = cfg->stability < 0 ? 0.5 : cfg->stability;
    t->similarity = cfg->similarity_boost < 0 ? 0.75 : cfg->similarity_boost;
    t->connect_timeout = cfg->connect_timeout_s > 0 ? cfg->connect_timeout_s : 5;
    t->first_audio_timeout = cfg->first_audio_timeout_s > 0 ? cfg->first_audio_timeout_s : 10;
    /* the WebSocket base is the HTTP one with http -> ws, https -> wss */
    const char *base = cfg->base_url && *cfg->base_url ? cfg->base_url : DEFAULT_BASE;
    int bl = (int)strlen(base);
    while (bl && base[bl - 1] == '/') bl--;
    int tls = strncmp(base, "http://", 7) && strncmp(base, "ws://", 5);
    const char *host = strstr(base, "://") ? strstr(base, "://") + 3 : base;
    int hl = bl - (int)(host - base);
    if (asprintf(&t->key_header, "xi-api-key: %s", cfg->api_key) < 0) t->key_header = NULL;
    if (asprintf(&t->http_url, "%.*s/v1/text-to-speech/%s/stream?output_format=ulaw_8000", bl, base,
                 t->voice) < 0)
        t->http_url = NULL;
    if (asprintf(&t->ws_url, "%s://%.*s/v1/text-to-speech/%s/stream-input?model_id=%s&output_format=ulaw_8000",
                 tls ? "wss" : "ws", hl, host, t->voice, t->model) < 0)
        t->ws_url = NULL;
    t->http = hk_http_client_shared(loop); /* connections reused across calls */
    ev_timer_init(&t->kick, on_kick, 0., 0.);
    t->kick.data = t;
    if (!t->voice || !t->model || !t->key_header || !t->http_url || !t->ws_url || !t->http) {
        snprintf(err, errlen, "elevenlabs: out of memory");
        free_all(t);
        return NULL;
    }
    open_warm(t);
    return t;
}

static req *find_req(hk_tts *t, uint64_t id)
{
    for (req *r = t->head; r; r = r->next)
        if (r->id == id) return r;
    return NULL;
}

/* Public entry: work done here that wants callbacks is delivered from the
 * loop (kick), never from inside the caller's push(). */
static void api_leave(hk_tts *t)
{
    if (t->depth > 0) return; /* the outer frame pumps and reaps */
    reap(t);
    for (req *r = t->head; r; r = r->next)
        if (r->finished || r->held_n || r->held_marks_n) {
            kick_start(t);
            break;
        }
}

static int el_push(hk_tts *t, uint64_t id, const char *text, int flush, int last)
{
    if (!t || t->closed) return -1;
    req *r = find_req(t, id);
    if (!r) {
        if (id <= t->last_id && t->last_id) return -1; /* finished or cancelled */
        r = calloc(1, sizeof *r);
        if (!r) return -1;
        r->t = t;
        r->id = id;
        ev_timer_init(&r->timer, on_timer, 0., 0.);
        r->timer.data = r;
        if (t->tail) t->tail->next = r;
        else t->head = r;
        t->tail = r;
        t->last_id = id;
    }
    if (r->last || r->finished) return -1;
    size_t tl = text ? strlen(text) : 0;
    int blank = 1;
    for (size_t i = 0; i < tl; i++) blank &= isspace((unsigned char)text[i]) != 0;
    if (tl) hk_strbuf_add(&r->text, text, tl);
    /* what the service gets: each piece ends with one space */
    size_t piece_at = r->sent.len;
    if (!blank) {
        /* the previous piece already ends with a space: no double spaces */
        const char *p = text;
        while (isspace((unsigned char)*p)) p++;
        hk_strbuf_add(&r->sent, p, tl - (size_t)(p - text));
        if (text[tl - 1] != ' ') hk_strbuf_add(&r->sent, " ", 1);
    }
    if (flush) r->flushed = 1;
    r->last = last;
    if (!r->http_mode && !r->conn) {
        if (start_ws(r) != 0) ws_failed(r, "cannot start");
    } else if (!r->http_mode) {
        if ((!blank || flush) && send_text(r, blank ? " " : r->sent.s + piece_at, flush) != 0)
            ws_failed(r, "send failed");
        if (last && r->conn && !r->eos_sent) {
            if (send_text(r, "", 0) != 0) ws_failed(r, "send failed");
            else r->eos_sent = 1;
        }
    } else if (last) {
        hk_el_start_http(r);
    }
    if (last) hk_el_arm_timer(r);
    api_leave(t);
    return 0;
}

static int el_speak(hk_tts *t, uint64_t id, const char *text) { return el_push(t, id, text, 1, 1); }

static void el_cancel(hk_tts *t)
{
    if (!t || t->closed) return;
    while (t->head) {
        req *r = t->head;
        t->head = r->next;
        req_bury(r);
    }
    t->tail = NULL;
    api_leave(t);
}

static void el_close(hk_tts *t)
{
    if (!t || t->closed) return;
    el_cancel(t);
    t->closed = 1;
    if (t->warm) conn_bury(t, t->warm);
    t->warm = NULL;
    if (t->depth > 0) {
        if (t->in_curl) kick_start(t);
        return; /* freed when the outer frame leaves */
    }
    reap(t);
}

const hk_tts_vtable hk_tts_elevenlabs = {
    .name = "elevenlabs",
    .open = el_open,
    .speak = el_speak,
    .push = el_push,
    .cancel = el_cancel,
    .close = el_close,
};
