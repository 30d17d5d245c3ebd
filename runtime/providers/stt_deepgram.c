/* providers/stt_deepgram: Deepgram live STT (protocols.md section 2) on the
 * loop through net/ws_client. Owns the connection, its reconnects, the replay
 * ring and the turn text. Never blocks the loop and never drops words on a
 * dropped socket: every pushed byte stays in the ring until an is_final span
 * covers it (span times are in the current connection's audio clock, which
 * restarts at 0 on each connection: conn_base maps them back), and a new
 * connection starts by re-sending what is still in the ring.
 * Audio goes out in binary messages of chunk_ms (HARK_DEEPGRAM_CHUNK_MS,
 * default 100 ms: one send instead of five 20 ms frames; Deepgram asks for
 * 20-250 ms a message). What is not sent yet waits in `out` (the newest bytes
 * of the ring) and goes at once, however short, before Finalize and
 * CloseStream, when the caller's silence reaches the endpointing time (so
 * Deepgram's speech_final is not held back by a partial chunk) and when
 * pushes stop for longer than a chunk.
 * Re-entrancy: every sink call may call back into end_utterance, cancel or
 * close; entry points count their depth and close() frees only at depth 0,
 * and state is re-read after each sink call. */
#include "providers/stt_deepgram.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "media/g711.h"
#include "media/ring.h"
#include "media/vad.h"
#include "net/form.h"
#include "net/ws_client.h"
#include "providers/deepgram_msg.h"

#define DG_RING_BYTES (8000 * 10)    /* >= 10 s of 8 kHz mu-law (rounded up to 16 s) */
#define DG_MAX_RETRIES 4             /* after a failure: now, then 0.25, 0.5, 1 s */
#define DG_MAX_RETRIES_REFUSED 1     /* 401/403 handshake, 1008 bad data */
#define DG_KEEPALIVE_S 3.0           /* Deepgram closes after ~10 s without data */
#define DG_FINALIZE_TIMEOUT_S 1.5
#define DG_HEALTHY_S 5.0             /* a connection this old counts as having worked */
#define DG_CHUNK_MS_DEFAULT 100
#define DG_CHUNK_MS_MIN 20
#define DG_CHUNK_MS_MAX 250          /* Deepgram's advice: 20-250 ms of audio a message */
#define DG_QUIET_DB (-40.0)          /* a 20 ms frame below this is silence (the fake's VAD level) */

static const double k_backoff[] = {0.0, 0.25, 0.5, 1.0};

struct hk_stt {
    struct ev_loop *loop;
    char log_id[64];     /* the call's id in log lines */
    hk_stt_sink sink;
    char *url;
    char *auth;
    double connect_timeout_s;
    /* connection */
    hk_ws *ws;
    int ws_open;
    int got_msg;        /* this connection delivered a message */
    double opened_at;
    int retries;        /* failures in a row */
    int failed;         /* sink.error was called: nothing more */
    ev_timer retry, keepalive, finalize;
    double last_sent;   /* ev_now of the last audio or KeepAlive that went out */
    double last_push;   /* ev_now of the last audio pushed */
    int endpointing_ms; /* Deepgram's endpointing: silence this long ends a turn */
    /* audio: ring positions are absolute byte counts of the call's audio */
    hk_ring audio;
    uint64_t conn_base;     /* absolute position of the connection's time 0 */
    uint64_t ignore_before; /* cancel(): spans ending before this are dropped */
    /* sending: audio pushed while open and not sent yet (the ring's newest
     * out_n bytes); it goes as one message when chunk bytes are waiting */
    size_t chunk;           /* bytes per message: chunk_ms * 8 */
    size_t out_n;
    uint8_t out[DG_CHUNK_MS_MAX * 8];
    int quiet_ms;           /* the caller's silence so far (20 ms frames below DG_QUIET_DB) */
    int heard;              /* a voiced frame came since the call started */
    /* the turn */
    char *pending;
    size_t pending_len, pending_cap;
    double conf_sum;
    int conf_n;
    int turn_closed;   /* speech_final/UtteranceEnd came after the last words */
    int endpoint_sent; /* sink.endpoint already called for this pending text */
    int awaiting;      /* end_utterance is waiting for Finalize's result */
    uint64_t await_id, last_utt_id;
    /* lifetime */
    int depth, closing;
};

static void connect_ws(hk_stt *s);

static void really_free(hk_stt *s) {
    hk_ring_free(&s->audio);
    free(s->pending);
    free(s->url);
    free(s->auth);
    free(s);
}

static void enter(hk_stt *s) { s->depth++; }
static void leave(hk_stt *s) {
    if (--s->depth == 0 && s->closing) really_free(s);
}

static void send_control(hk_stt *s, const char *type) {
    if (!s->ws_open) return;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", type);
    char *txt = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (txt) hk_ws_send_text(s->ws, txt, strlen(txt));
    free(txt);
}

/* Send what waits in out as one message (nothing when the socket is not
 * open: the ring still holds it for the replay on the next open). */
static void flush_audio(hk_stt *s) {
    if (!s->out_n) return;
    if (s->ws_open) {
        hk_ws_send_binary(s->ws, s->out, s->out_n);
        s->last_sent = ev_now(s->loop);
    }
    s->out_n = 0;
}

/* Audio pushed while open: into out, and out to the socket in chunk-sized
 * messages, in order. */
static void queue_audio(hk_stt *s, const uint8_t *ulaw, size_t n) {
    while (n) {
        size_t k = s->chunk - s->out_n < n ? s->chunk - s->out_n : n;
        memcpy(s->out + s->out_n, ulaw, k);
        s->out_n += k;
        ulaw += k;
        n -= k;
        if (s->out_n == s->chunk) flush_audio(s);
    }
}

/* Track the caller's silence in 20 ms frames; 1 when it has just reached
 * Deepgram's endpointing time (a frame either side: Deepgram frames the
 * stream its own way), when what waits should go now. */
static int silence_reaches_endpoint(hk_stt *s, const uint8_t *ulaw, const int16_t *pcm, size_t n) {
    int16_t buf[160];
    int hit = 0;
    for (size_t off = 0; off < n; off += 160) {
        size_t k = n - off < 160 ? n - off : 160;
        const int16_t *p = pcm ? pcm + off : buf;
        if (!pcm) hk_ulaw_decode_buf(ulaw + off, buf, k);
        if (hk_frame_dbfs(p, k) > DG_QUIET_DB) {
            s->quiet_ms = 0;
            s->heard = 1;
            continue;
        }
        if (s->quiet_ms < 1000000) s->quiet_ms += (int)(k / 8);
        if (s->heard && s->quiet_ms >= s->endpointing_ms - 20 && s->quiet_ms <= s->endpointing_ms + 20) hit = 1;
    }
    return hit;
}

/* ---- the turn --------------------------------------------------------- */

static void pending_append(hk_stt *s, const char *text) {
    size_t n = strlen(text);
    if (s->pending_len + n + 2 > s->pending_cap) {
        size_t cap = s->pending_cap ? s->pending_cap * 2 : 256;
        while (cap < s->pending_len + n + 2) cap *= 2;
        char *p = realloc(s->pending, cap);
        if (!p) return;
        s->pending = p;
        s->pending_cap = cap;
    }
    if (s->pending_len) s->pending[s->pending_len++] = ' ';
    memcpy(s->pending + s->pending_len, text, n + 1);
    s->pending_len += n;
}

static void pending_clear(hk_stt *s) {
    s->pending_len = 0;
    if (s->pending) s->pending[0] = 0;
    s->conf_sum = 0;
    s->conf_n = 0;
    s->turn_closed = 0;
    s->endpoint_sent = 0;
}

/* The final transcript of utterance id: the pending text, then a clean turn. */
static void deliver(hk_stt *s, uint64_t id) {
    char *text = strdup(s->pending_len ? s->pending : "");
    double conf = s->conf_n ? s->conf_sum / s->conf_n : -1.0;
    s->awaiting = 0;
    ev_timer_stop(s->loop, &s->finalize);
    pending_clear(s);
    if (text && s->sink.transcript) s->sink.transcript(s->sink.ud, id, text, 1, conf);
    free(text);
}

/* The caller's turn ended by Deepgram's endpointing. */
static void turn_ended(hk_stt *s) {
    s->turn_closed = 1;
    if (s->awaiting) {
        deliver(s, s->await_id);
    } else if (s->pending_len && !s->endpoint_sent) {
        s->endpoint_sent = 1;
        if (s->sink.endpoint) s->sink.endpoint(s->sink.ud);
    }
}

/* Audio up to abs is transcribed for good: it need never be re-sent. */
static void confirm_audio(hk_stt *s, uint64_t abs) {
    if (abs > s->audio.head) abs = s->audio.head;
    uint8_t scratch[1024];
    while (s->audio.tail < abs) {
        size_t n = abs - s->audio.tail < sizeof scratch ? (size_t)(abs - s->audio.tail) : sizeof scratch;
        hk_ring_read(&s->audio, scratch, n);
    }
}

static uint64_t audio_pos(hk_stt *s, double seconds) {
    if (!(seconds > 0)) return s->conn_base;
    return s->conn_base + (uint64_t)llround(seconds * 8000.0);
}

static void on_results(hk_stt *s, const hk_deepgram_msg *m) {
    const char *text = m->transcript;
    double conf = m->confidence;
    int is_final = m->is_final;
    int speech_final = m->speech_final;
    int from_finalize = m->from_finalize;
    if (m->transcript_cut)
        hk_log(HK_LOG_WARN, s->log_id, "deepgram_long_transcript", "a span of more than %zu bytes was cut",
               m->transcript_len);
    uint64_t end_abs = audio_pos(s, m->start + m->duration);
    int has_text = text[0] != 0 && end_abs > s->ignore_before;

    if (!is_final) {
        if (!has_text) return;
        s->turn_closed = 0;
        uint64_t id = s->awaiting ? s->await_id : s->last_utt_id + 1;
        size_t n = s->pending_len + strlen(text) + 2;
        char *all = malloc(n);
        if (!all) return;
        snprintf(all, n, "%s%s%s", s->pending_len ? s->pending : "", s->pending_len ? " " : "", text);
        if (s->sink.transcript) s->sink.transcript(s->sink.ud, id, all, 0, conf);
        free(all);
        return;
    }
    confirm_audio(s, end_abs);
    if (has_text) {
        pending_append(s, text);
        if (conf >= 0) {
            s->conf_sum += conf;
            s->conf_n++;
        }
        s->turn_closed = 0;
        s->endpoint_sent = 0;
    }
    if (speech_final) {
        turn_ended(s);
    } else if (s->awaiting && from_finalize) {
        deliver(s, s->await_id);
    }
}

static void on_message(void *ud, const char *data, size_t n, int binary) {
    hk_stt *s = ud;
    if (binary || s->closing || s->failed) return;
    hk_deepgram_msg m; /* ~8 KB: the loop's stack has room */
    char err[160];
    if (hk_deepgram_msg_parse(data, n, &m, err, sizeof err) != HK_DEEPGRAM_MSG_OK) {
        /* the message may hold a transcript: its length and the reason at
         * warn (they name fields, never values), the text at debug */
        hk_log(HK_LOG_WARN, s->log_id, "deepgram_bad_message", "%zu bytes unreadable: %s", n, err);
        hk_log(HK_LOG_DEBUG, s->log_id, "deepgram_bad_message_text", "%.*s", (int)(n > 200 ? 200 : n), data);
        return;
    }
    s->got_msg = 1;
    enter(s);
    switch (m.type) {
    case HK_DEEPGRAM_MSG_RESULTS:
        on_results(s, &m);
        break;
    case HK_DEEPGRAM_MSG_SPEECH_STARTED:
        if (s->sink.speech_started) s->sink.speech_started(s->sink.ud);
        break;
    case HK_DEEPGRAM_MSG_UTTERANCE_END:
        turn_ended(s);
        break;
    case HK_DEEPGRAM_MSG_ERROR:
        /* the close frame that follows says what happens to the socket */
        hk_log(HK_LOG_WARN, s->log_id, "deepgram_error_message", "%s%s%s", m.error, m.variant[0] ? ": " : "",
               m.variant);
        break;
    case HK_DEEPGRAM_MSG_METADATA:
    case HK_DEEPGRAM_MSG_OTHER:
        break; /* nothing to do */
    }
    leave(s);
}

/* ---- the connection --------------------------------------------------- */

static void fail(hk_stt *s, const char *why) {
    s->failed = 1;
    ev_timer_stop(s->loop, &s->retry);
    ev_timer_stop(s->loop, &s->keepalive);
    hk_log(HK_LOG_ERROR, s->log_id, "deepgram_failed", "%s", why);
    char msg[300];
    snprintf(msg, sizeof msg, "deepgram: %s", why);
    if (s->sink.error) s->sink.error(s->sink.ud, msg);
}

static void on_open(void *ud) {
    hk_stt *s = ud;
    s->ws_open = 1;
    s->got_msg = 0;
    s->opened_at = ev_now(s->loop);
    s->last_sent = s->opened_at;
    /* the new connection's audio time 0 is the oldest unconfirmed byte */
    s->conn_base = s->audio.tail;
    /* the ring holds everything unconfirmed, the unsent tail included: it
     * goes again in chunk-sized messages, the last partial chunk to out */
    s->out_n = 0;
    size_t used = hk_ring_used(&s->audio);
    if (used) {
        uint8_t *buf = malloc(used);
        if (buf) {
            hk_ring_peek(&s->audio, buf, used);
            size_t full = used - used % s->chunk;
            for (size_t off = 0; off < full; off += s->chunk) hk_ws_send_binary(s->ws, buf + off, s->chunk);
            queue_audio(s, buf + full, used - full);
            free(buf);
        }
    }
    if (s->awaiting) { /* asked while we were away */
        flush_audio(s);
        send_control(s, "Finalize");
    }
}

static void on_retry(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)revents;
    hk_stt *s = w->data;
    enter(s);
    connect_ws(s);
    leave(s);
}

static void on_close(void *ud, int code, const char *reason) {
    hk_stt *s = ud;
    int was_open = s->ws_open;
    s->ws = NULL;
    s->ws_open = 0;
    if (s->closing || s->failed) return;
    enter(s);
    if (s->got_msg || (was_open && ev_now(s->loop) - s->opened_at >= DG_HEALTHY_S)) s->retries = 0;
    s->retries++;
    int refused = code == 1008 || strstr(reason, "http 401") || strstr(reason, "http 403");
    int max = refused ? DG_MAX_RETRIES_REFUSED : DG_MAX_RETRIES;
    char why[256];
    if (code) snprintf(why, sizeof why, "connection closed with %d %s", code, reason);
    else snprintf(why, sizeof why, "%s", reason[0] ? reason : "connection lost");
    if (s->retries > max) {
        fail(s, why);
    } else {
        double delay = k_backoff[s->retries - 1];
        hk_log(HK_LOG_WARN, s->log_id, "deepgram_reconnect", "%s; retry %d in %.2f s", why, s->retries, delay);
        ev_now_update(s->loop);
        ev_timer_set(&s->retry, delay, 0.);
        ev_timer_start(s->loop, &s->retry);
    }
    leave(s);
}

static void connect_ws(hk_stt *s) {
    const char *headers[] = {s->auth, NULL};
    hk_ws_opts o = {s->url, headers, s->connect_timeout_s, s, on_open, on_message, on_close};
    char err[256];
    s->ws = hk_ws_connect(s->loop, &o, err, sizeof err);
    if (!s->ws) fail(s, err); /* only a bad URL, and open() checked that */
}

static void on_keepalive(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)revents;
    hk_stt *s = w->data;
    /* audio waiting in a partial chunk is not idleness: it goes once pushes
     * have stopped for longer than a chunk, and counts as data */
    if (s->ws_open && s->out_n && ev_now(loop) - s->last_push >= (double)s->chunk / 8000.0) flush_audio(s);
    if (s->ws_open && ev_now(loop) - s->last_sent >= DG_KEEPALIVE_S) {
        send_control(s, "KeepAlive");
        s->last_sent = ev_now(loop);
    }
}

static void on_finalize_timeout(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)revents;
    hk_stt *s = w->data;
    if (!s->awaiting) return;
    enter(s);
    deliver(s, s->await_id); /* whatever arrived, possibly "" */
    leave(s);
}

/* ---- the vtable ------------------------------------------------------- */

static char *build_url(const hk_stt_config *cfg, char *err, size_t errlen) {
    const char *base = cfg->base_url && cfg->base_url[0] ? cfg->base_url : "wss://api.deepgram.com";
    size_t cap = strlen(base) + 1024;
    for (size_t i = 0; i < cfg->n_phrases; i++) cap += strlen(cfg->phrases[i]) * 3 + 16;
    char *url = malloc(cap);
    /* the live API is a WebSocket: an https:// (http://) base means wss:// (ws://) */
    const char *scheme = "";
    if (strncmp(base, "https://", 8) == 0) scheme = "wss://", base += 8;
    else if (strncmp(base, "http://", 7) == 0) scheme = "ws://", base += 7;
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/') bl--;
    int n = snprintf(url, cap, "%s%.*s/v1/listen?", scheme, (int)bl, base);
    /* the query is built alone: hk_form_append puts '&' before all but the first pair */
    size_t qcap = cap - (size_t)n, len = 0;
    char *q = url + n;
    char num[16];
    const char *model = cfg->model && cfg->model[0] ? cfg->model : "nova-2";
    int ok = hk_form_append(q, qcap, &len, "model", model) == 0;
    ok = ok && hk_form_append(q, qcap, &len, "language", cfg->language && cfg->language[0] ? cfg->language : "en") == 0;
    ok = ok && hk_form_append(q, qcap, &len, "encoding", "mulaw") == 0;
    ok = ok && hk_form_append(q, qcap, &len, "sample_rate", "8000") == 0;
    ok = ok && hk_form_append(q, qcap, &len, "channels", "1") == 0;
    ok = ok && hk_form_append(q, qcap, &len, "interim_results", "true") == 0;
    snprintf(num, sizeof num, "%d", cfg->endpointing_ms > 0 ? cfg->endpointing_ms : 300);
    ok = ok && hk_form_append(q, qcap, &len, "endpointing", num) == 0;
    snprintf(num, sizeof num, "%d", cfg->utterance_end_ms > 0 ? cfg->utterance_end_ms : 1000);
    ok = ok && hk_form_append(q, qcap, &len, "utterance_end_ms", num) == 0;
    ok = ok && hk_form_append(q, qcap, &len, "vad_events", "true") == 0;
    ok = ok && hk_form_append(q, qcap, &len, "smart_format", "true") == 0;
    ok = ok && hk_form_append(q, qcap, &len, "punctuate", "true") == 0;
    /* nova-3 takes key terms (phrases too); older models single keywords */
    int nova3 = strncmp(model, "nova-3", 6) == 0;
    for (size_t i = 0; ok && i < cfg->n_phrases; i++) {
        const char *p = cfg->phrases[i];
        if (!p || !p[0]) continue;
        if (nova3) ok = hk_form_append(q, qcap, &len, "keyterm", p) == 0;
        else if (!strchr(p, ' ')) ok = hk_form_append(q, qcap, &len, "keywords", p) == 0;
    }
    if (!ok) {
        snprintf(err, errlen, "deepgram: URL too long");
        free(url);
        return NULL;
    }
    return url;
}

static hk_stt *dg_open(struct ev_loop *loop, const hk_stt_config *cfg, const hk_stt_sink *sink, char *err,
                       size_t errlen) {
    if (!cfg->api_key || !cfg->api_key[0]) {
        snprintf(err, errlen, "deepgram: no API key");
        return NULL;
    }
    int chunk_ms = cfg->chunk_ms > 0 ? cfg->chunk_ms : DG_CHUNK_MS_DEFAULT;
    if (chunk_ms < DG_CHUNK_MS_MIN || chunk_ms > DG_CHUNK_MS_MAX) {
        snprintf(err, errlen, "deepgram: chunk_ms %d is outside %d-%d", chunk_ms, DG_CHUNK_MS_MIN, DG_CHUNK_MS_MAX);
        return NULL;
    }
    hk_stt *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->loop = loop;
    s->sink = *sink;
    snprintf(s->log_id, sizeof s->log_id, "%s", cfg->log_id ? cfg->log_id : "");
    s->connect_timeout_s = cfg->connect_timeout_s > 0 ? cfg->connect_timeout_s : 5.0;
    s->endpointing_ms = cfg->endpointing_ms > 0 ? cfg->endpointing_ms : 300;
    s->chunk = (size_t)chunk_ms * 8;
    s->url = build_url(cfg, err, errlen);
    if (!s->url) {
        really_free(s);
        return NULL;
    }
    size_t al = strlen(cfg->api_key) + 32;
    s->auth = malloc(al);
    if (!s->auth || hk_ring_init(&s->audio, DG_RING_BYTES) != 0) {
        snprintf(err, errlen, "deepgram: out of memory");
        really_free(s);
        return NULL;
    }
    snprintf(s->auth, al, "Authorization: Token %s", cfg->api_key);
    ev_init(&s->retry, on_retry);
    s->retry.data = s;
    ev_init(&s->finalize, on_finalize_timeout);
    s->finalize.data = s;
    ev_timer_init(&s->keepalive, on_keepalive, 1.0, 1.0);
    s->keepalive.data = s;
    /* the first connect goes through the URL check synchronously */
    hk_ws_opts o = {s->url, NULL, s->connect_timeout_s, s, on_open, on_message, on_close};
    const char *headers[] = {s->auth, NULL};
    o.headers = headers;
    s->ws = hk_ws_connect(loop, &o, err, errlen);
    if (!s->ws) {
        really_free(s);
        return NULL;
    }
    ev_timer_start(loop, &s->keepalive);
    return s;
}

static void dg_push(hk_stt *s, const uint8_t *ulaw, const int16_t *pcm, size_t n) {
    if (s->closing || s->failed || !n) return;
    size_t space = hk_ring_space(&s->audio);
    if (space < n) {
        /* a long time without a final span: the oldest audio can no longer
         * be replayed after a drop (it held no words Deepgram gave back) */
        uint8_t scratch[1024];
        size_t drop = n - space;
        while (drop) {
            size_t k = drop < sizeof scratch ? drop : sizeof scratch;
            hk_ring_read(&s->audio, scratch, k);
            drop -= k;
        }
        if (!s->ws_open) s->conn_base = s->audio.tail;
    }
    hk_ring_write(&s->audio, ulaw, n);
    s->last_push = ev_now(s->loop);
    int endpoint = silence_reaches_endpoint(s, ulaw, pcm, n);
    if (s->ws_open) {
        queue_audio(s, ulaw, n);
        if (endpoint) flush_audio(s);
    }
}

static void dg_end_utterance(hk_stt *s, uint64_t utt_id) {
    if (s->closing) return;
    enter(s);
    if (s->awaiting) deliver(s, s->await_id); /* an older one still open: close it first */
    if (!s->closing) {
        s->last_utt_id = utt_id;
        if (s->pending_len && s->turn_closed) {
            deliver(s, utt_id); /* nothing more is coming for this turn */
        } else {
            s->awaiting = 1;
            s->await_id = utt_id;
            flush_audio(s); /* Finalize covers all the audio pushed so far */
            send_control(s, "Finalize"); /* or on (re)open */
            ev_now_update(s->loop); /* a timeout counts from now */
            ev_timer_set(&s->finalize, DG_FINALIZE_TIMEOUT_S, 0.);
            ev_timer_start(s->loop, &s->finalize);
        }
    }
    leave(s);
}

static void dg_cancel(hk_stt *s) {
    if (s->closing) return;
    s->awaiting = 0;
    ev_timer_stop(s->loop, &s->finalize);
    pending_clear(s);
    s->ignore_before = s->audio.head; /* late results for that audio are dropped */
}

static void dg_close(hk_stt *s) {
    if (!s || s->closing) return;
    s->closing = 1;
    ev_timer_stop(s->loop, &s->retry);
    ev_timer_stop(s->loop, &s->keepalive);
    ev_timer_stop(s->loop, &s->finalize);
    if (s->ws) {
        flush_audio(s);
        send_control(s, "CloseStream");
        hk_ws_close(s->ws); /* CloseStream goes out first, then the close frame */
        s->ws = NULL;
    }
    if (s->depth == 0) really_free(s);
}

const hk_stt_vtable hk_stt_deepgram = {
    .name = "deepgram",
    .continuous = 1,
    .open = dg_open,
    .push = dg_push,
    .end_utterance = dg_end_utterance,
    .cancel = dg_cancel,
    .close = dg_close,
};
