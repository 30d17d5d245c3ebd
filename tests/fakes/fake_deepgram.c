/* tests/fakes/fake_deepgram: a local stand-in for Deepgram's live
 * speech-to-text WebSocket (shared/reference/protocols.md section 2), for
 * tests. It owns: the handshake checks (path /v1/listen, Authorization
 * "Token <key>" else HTTP 401, encoding=mulaw and sample_rate=8000 else 400),
 * an energy VAD over the received mu-law on AUDIO time (bytes / 8000, never
 * wall time; binary messages of any size, framed here in 20 ms), and a script of what the caller says: one line per utterance,
 * in order across connections; a line is used up when its words are sent as
 * a final, so an utterance cut by a dropped connection is heard again whole.
 * Per utterance: SpeechStarted at onset, interim Results every ~300 ms of
 * audio (a growing prefix of the line), a final (is_final + speech_final, all
 * words) after `endpointing` ms of silence, UtteranceEnd after
 * utterance_end_ms. Controls: KeepAlive (silent), Finalize (a from_finalize
 * final of the utterance in progress, if any), CloseStream (Metadata, then a
 * 1000 close); any other text frame closes with 1008.
 * It runs its own lws poll loop (a test tool, never the server) and shares no
 * parsing code with providers/stt_deepgram.c, whose wire format it checks.
 *
 * usage: fake_deepgram --port N [--key K] [--script FILE] [--endpointing-ms N]
 *        [--final-delay-ms N] [--drop-after-ms N] [--refuse N] [--log FILE]
 * --port 0 picks a port; "port N" is printed on stdout once listening.
 * Log (JSON lines, "t" = wall ms since start): refused {status, reason},
 * connect {conn, query}, audio {conn, bytes} (each binary message, so a test
 * sees how the client cuts its stream), control {conn, type}, sent {conn,
 * type, text, is_final, speech_final, from_finalize, start, duration}, drop
 * {conn, audio_bytes}, close {conn, audio_bytes, messages}. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <getopt.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "media/g711.h"
#include "media/vad.h"

#define FRAME 160          /* 20 ms of 8 kHz mu-law */
#define LOUD_DB (-40.0)    /* a frame above this level is voiced */
#define ONSET_MS 60        /* voiced this long: speech started */
#define INTERIM_S 0.3
#define MAX_LINES 256

typedef struct out_msg {
    struct out_msg *next;
    int64_t due_ms;     /* wall time it may be sent */
    int close_code;     /* >0: not a message, close with this code */
    int delayed_final;  /* a speech_final waiting for --final-delay-ms */
    char *text;
} out_msg;

typedef struct conn {
    struct lws *wsi;
    lws_sorted_usec_list_t sul;
    int id;
    int endpointing_ms, utterance_end_ms;
    uint64_t audio_bytes;
    int audio_msgs;         /* binary messages received */
    uint8_t partial[FRAME];
    size_t partial_n;
    uint64_t frames;        /* whole frames analysed */
    char *rx;
    size_t rx_len, rx_cap;
    int rx_binary;
    out_msg *q;
    /* the utterance */
    int loud_ms, in_utt, finalized, line;
    double onset_s, last_voice_s, next_interim_s, last_final_end_s;
    int closing;
    char request_id[64];
} conn;

static struct {
    int port, endpointing_ms, final_delay_ms, drop_after_ms, refuse, refused, dropped, conns;
    const char *key;
    char *lines[MAX_LINES];
    int nlines, next_line;
    FILE *log;
    struct lws_context *ctx;
    volatile sig_atomic_t stop;
    int64_t t0;
} G;

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One log line. types: one char per key/value pair: i int, s string, b bool, d double. */
static void logev(const char *event, const char *types, ...) {
    if (!G.log) return;
    va_list ap;
    va_start(ap, types);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "t", (double)(wall_ms() - G.t0));
    cJSON_AddStringToObject(o, "event", event);
    for (const char *t = types; *t; t++) {
        const char *k = va_arg(ap, const char *);
        if (*t == 's') cJSON_AddStringToObject(o, k, va_arg(ap, const char *));
        else if (*t == 'b') cJSON_AddBoolToObject(o, k, va_arg(ap, int));
        else if (*t == 'i') cJSON_AddNumberToObject(o, k, va_arg(ap, int));
        else cJSON_AddNumberToObject(o, k, va_arg(ap, double));
    }
    va_end(ap);
    char *s = cJSON_PrintUnformatted(o);
    fprintf(G.log, "%s\n", s);
    fflush(G.log);
    free(s);
    cJSON_Delete(o);
}

/* ---- sending ---------------------------------------------------------- */

static void wake(lws_sorted_usec_list_t *sul) {
    conn *c = lws_container_of(sul, conn, sul);
    if (c->wsi) lws_callback_on_writable(c->wsi);
}

static void kick(conn *c) {
    if (!c->q) return;
    int64_t wait = c->q->due_ms - wall_ms();
    if (wait <= 0) lws_callback_on_writable(c->wsi);
    else lws_sul_schedule(G.ctx, 0, &c->sul, wake, wait * LWS_US_PER_MS);
}

/* Queue a message (takes o). Anything queued after a delayed final waits
 * behind it, so the order on the wire is the order of events. */
static out_msg *queue_json(conn *c, cJSON *o, int64_t delay_ms) {
    out_msg *m = calloc(1, sizeof *m);
    m->text = cJSON_PrintUnformatted(o);
    m->due_ms = wall_ms() + delay_ms;
    const cJSON *ty = cJSON_GetObjectItem(o, "type");
    const cJSON *alt = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "channel"), "alternatives"), 0);
    const cJSON *tr = cJSON_GetObjectItem(alt, "transcript");
    logev("sent", "isssbbbdd", "conn", c->id, "type", ty->valuestring, "text", tr ? tr->valuestring : "",
          "delay", delay_ms ? "yes" : "no", "is_final", cJSON_IsTrue(cJSON_GetObjectItem(o, "is_final")),
          "speech_final", cJSON_IsTrue(cJSON_GetObjectItem(o, "speech_final")), "from_finalize",
          cJSON_IsTrue(cJSON_GetObjectItem(o, "from_finalize")), "start",
          cJSON_GetNumberValue(cJSON_GetObjectItem(o, "start")), "duration",
          cJSON_GetNumberValue(cJSON_GetObjectItem(o, "duration")));
    cJSON_Delete(o);
    out_msg **pp = &c->q;
    while (*pp) pp = &(*pp)->next;
    *pp = m;
    kick(c);
    return m;
}

static void queue_close(conn *c, int code) {
    out_msg *m = calloc(1, sizeof *m);
    m->close_code = code;
    m->due_ms = wall_ms();
    out_msg **pp = &c->q;
    while (*pp) pp = &(*pp)->next;
    *pp = m;
    kick(c);
}

static int on_writeable(struct lws *wsi, conn *c) {
    out_msg *m = c->q;
    if (!m) return 0;
    if (m->due_ms > wall_ms()) {
        kick(c);
        return 0;
    }
    c->q = m->next;
    if (m->close_code) {
        int code = m->close_code;
        free(m);
        lws_close_reason(wsi, (enum lws_close_status)code, (unsigned char *)"bye", 3);
        return -1;
    }
    size_t len = strlen(m->text);
    unsigned char *buf = malloc(LWS_PRE + len);
    memcpy(buf + LWS_PRE, m->text, len);
    int n = lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT);
    free(buf);
    free(m->text);
    free(m);
    if (n < (int)len) return -1;
    kick(c);
    return 0;
}

/* ---- Deepgram messages ------------------------------------------------ */

/* "Hello, world." -> words [hello, world] with their punctuated forms. */
static cJSON *make_alt(const char *line, int nwords_max, double t0, double t1, char *transcript, size_t tcap) {
    cJSON *alt = cJSON_CreateObject();
    cJSON *words = cJSON_CreateArray();
    char *copy = strdup(line), *save = NULL;
    int total = 0;
    for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) total++;
    free(copy);
    int n = nwords_max < total ? nwords_max : total;
    copy = strdup(line);
    transcript[0] = 0;
    size_t tl = 0;
    int i = 0;
    double step = n ? (t1 - t0) / total : 0;
    for (char *w = strtok_r(copy, " ", &save); w && i < n; w = strtok_r(NULL, " ", &save), i++) {
        char plain[128];
        size_t k = 0;
        for (const char *p = w; *p && k < sizeof plain - 1; p++)
            if (isalnum((unsigned char)*p) || *p == '\'') plain[k++] = (char)tolower((unsigned char)*p);
        plain[k] = 0;
        cJSON *wo = cJSON_CreateObject();
        cJSON_AddStringToObject(wo, "word", plain);
        cJSON_AddNumberToObject(wo, "start", t0 + step * i);
        cJSON_AddNumberToObject(wo, "end", t0 + step * (i + 0.9));
        cJSON_AddNumberToObject(wo, "confidence", 0.95);
        cJSON_AddStringToObject(wo, "punctuated_word", w);
        cJSON_AddItemToArray(words, wo);
        tl += (size_t)snprintf(transcript + tl, tcap - tl, "%s%s", i ? " " : "", w);
        if (tl >= tcap) tl = tcap - 1;
    }
    free(copy);
    cJSON_AddStringToObject(alt, "transcript", transcript);
    cJSON_AddNumberToObject(alt, "confidence", n ? 0.9 + 0.01 * (n % 5) : 0);
    cJSON_AddItemToObject(alt, "words", words);
    return alt;
}

static cJSON *results(conn *c, int nwords, double start, double dur, int is_final, int speech_final,
                      int from_finalize) {
    const char *line = c->line < G.nlines ? G.lines[c->line] : "";
    char transcript[2048];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "Results");
    cJSON *ci = cJSON_AddArrayToObject(o, "channel_index");
    cJSON_AddItemToArray(ci, cJSON_CreateNumber(0));
    cJSON_AddItemToArray(ci, cJSON_CreateNumber(1));
    cJSON_AddNumberToObject(o, "duration", dur);
    cJSON_AddNumberToObject(o, "start", start);
    cJSON_AddBoolToObject(o, "is_final", is_final);
    cJSON_AddBoolToObject(o, "speech_final", speech_final);
    cJSON_AddBoolToObject(o, "from_finalize", from_finalize);
    cJSON *ch = cJSON_AddObjectToObject(o, "channel");
    cJSON *alts = cJSON_AddArrayToObject(ch, "alternatives");
    cJSON_AddItemToArray(alts, make_alt(line, nwords, c->onset_s, c->last_voice_s, transcript, sizeof transcript));
    cJSON *md = cJSON_AddObjectToObject(o, "metadata");
    cJSON_AddStringToObject(md, "request_id", c->request_id);
    cJSON *mi = cJSON_AddObjectToObject(md, "model_info");
    cJSON_AddStringToObject(mi, "name", "2-general-nova");
    cJSON_AddStringToObject(mi, "version", "2024-01-09.29447");
    cJSON_AddStringToObject(mi, "arch", "nova-2");
    cJSON_AddStringToObject(md, "model_uuid", "1dbdfb4d-85b2-4659-9e1e-e9ad1cd8ed3c");
    return o;
}

static double now_s(conn *c) { return (double)c->frames * FRAME / 8000.0; }

/* The utterance's words are final: the line is used up. */
static void send_final(conn *c, int speech_final, int from_finalize, int64_t delay_ms) {
    double t = now_s(c);
    double start = c->last_final_end_s;
    out_msg *m = queue_json(c, results(c, 1 << 20, start, t - start, 1, speech_final, from_finalize), delay_ms);
    m->delayed_final = delay_ms > 0;
    c->last_final_end_s = t;
    c->finalized = 1;
    if (c->line < G.nlines && c->line == G.next_line) G.next_line++;
}

static void start_utterance(conn *c, double onset) {
    c->in_utt = 1;
    c->finalized = 0;
    c->onset_s = onset;
    c->last_voice_s = now_s(c);
    c->next_interim_s = onset + INTERIM_S;
    c->line = G.next_line;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "SpeechStarted");
    cJSON *ch = cJSON_AddArrayToObject(o, "channel");
    cJSON_AddItemToArray(ch, cJSON_CreateNumber(0));
    cJSON_AddItemToArray(ch, cJSON_CreateNumber(1));
    cJSON_AddNumberToObject(o, "timestamp", onset);
    queue_json(c, o, 0);
}

static void frame(conn *c, const uint8_t *ulaw) {
    int16_t pcm[FRAME];
    hk_ulaw_decode_buf(ulaw, pcm, FRAME);
    c->frames++;
    double t = now_s(c);
    int loud = hk_frame_dbfs(pcm, FRAME) > LOUD_DB;
    c->loud_ms = loud ? c->loud_ms + 20 : 0;
    if (loud && c->in_utt) c->last_voice_s = t;
    if (c->loud_ms == ONSET_MS && (!c->in_utt || c->finalized))
        start_utterance(c, t - ONSET_MS / 1000.0);
    if (!c->in_utt) return;
    double silence = t - c->last_voice_s;
    if (!c->finalized) {
        if (silence * 1000 >= c->endpointing_ms) {
            send_final(c, 1, 0, G.final_delay_ms);
        } else if (t >= c->next_interim_s) {
            int n = 1 + (int)((t - c->onset_s) / INTERIM_S);
            queue_json(c, results(c, n, c->last_final_end_s, t - c->last_final_end_s, 0, 0, 0), 0);
            c->next_interim_s += INTERIM_S;
        }
    } else if (silence * 1000 >= c->utterance_end_ms) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "type", "UtteranceEnd");
        cJSON *ch = cJSON_AddArrayToObject(o, "channel");
        cJSON_AddItemToArray(ch, cJSON_CreateNumber(0));
        cJSON_AddItemToArray(ch, cJSON_CreateNumber(1));
        cJSON_AddNumberToObject(o, "last_word_end", c->last_voice_s);
        queue_json(c, o, 0);
        c->in_utt = 0;
    }
}

static void on_audio(conn *c, const uint8_t *d, size_t n) {
    c->audio_bytes += n;
    while (n) {
        size_t k = FRAME - c->partial_n < n ? FRAME - c->partial_n : n;
        memcpy(c->partial + c->partial_n, d, k);
        c->partial_n += k;
        d += k;
        n -= k;
        if (c->partial_n == FRAME) {
            frame(c, c->partial);
            c->partial_n = 0;
        }
    }
}

/* Finalize: the words of the utterance in progress, now. */
static void on_finalize(conn *c) {
    for (out_msg *m = c->q; m; m = m->next) {
        if (!m->delayed_final) continue;
        /* the final waiting for --final-delay-ms goes now, as Finalize's answer */
        cJSON *o = cJSON_Parse(m->text);
        cJSON_ReplaceItemInObject(o, "speech_final", cJSON_CreateFalse());
        cJSON_ReplaceItemInObject(o, "from_finalize", cJSON_CreateTrue());
        free(m->text);
        m->text = cJSON_PrintUnformatted(o);
        m->due_ms = wall_ms();
        m->delayed_final = 0;
        const cJSON *alt = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "channel"), "alternatives"), 0);
        logev("sent", "issbbb", "conn", c->id, "type", "Results", "text",
              cJSON_GetStringValue(cJSON_GetObjectItem(alt, "transcript")), "is_final", 1, "speech_final", 0,
              "from_finalize", 1);
        cJSON_Delete(o);
        kick(c);
        return;
    }
    if (c->in_utt && !c->finalized && c->line < G.nlines) send_final(c, 0, 1, 0);
}

static int on_text(struct lws *wsi, conn *c, const char *text) {
    cJSON *o = cJSON_Parse(text);
    const cJSON *t = cJSON_GetObjectItem(o, "type");
    const char *type = cJSON_IsString(t) ? t->valuestring : "";
    int known = !strcmp(type, "KeepAlive") || !strcmp(type, "Finalize") || !strcmp(type, "CloseStream");
    logev("control", "iss", "conn", c->id, "type", known ? type : "unknown", "text", text);
    if (!known) {
        cJSON_Delete(o);
        lws_close_reason(wsi, (enum lws_close_status)1008, (unsigned char *)"bad control message", 19);
        return -1;
    }
    if (!strcmp(type, "Finalize")) {
        on_finalize(c);
    } else if (!strcmp(type, "CloseStream")) {
        cJSON *md = cJSON_CreateObject();
        cJSON_AddStringToObject(md, "type", "Metadata");
        cJSON_AddStringToObject(md, "transaction_key", "deprecated");
        cJSON_AddStringToObject(md, "request_id", c->request_id);
        cJSON_AddNumberToObject(md, "duration", (double)c->audio_bytes / 8000.0);
        cJSON_AddNumberToObject(md, "channels", 1);
        queue_json(c, md, 0);
        queue_close(c, 1000);
        c->closing = 1;
    }
    cJSON_Delete(o);
    return 0;
}

/* ---- lws -------------------------------------------------------------- */

static void query_get(struct lws *wsi, const char *name, char *out, size_t cap) {
    char frag[512];
    size_t nl = strlen(name);
    out[0] = 0;
    for (int i = 0; lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i) >= 0; i++)
        if (!strncmp(frag, name, nl) && frag[nl] == '=') {
            /* a longer value is cut to cap - 1 on purpose (said here, not by
             * snprintf, which -O3 -Wformat-truncation flags) */
            size_t vl = strnlen(frag + nl + 1, cap - 1);
            memcpy(out, frag + nl + 1, vl);
            out[vl] = 0;
            return;
        }
}

static void query_all(struct lws *wsi, char *out, size_t cap) {
    char frag[512];
    size_t n = 0;
    out[0] = 0;
    for (int i = 0; lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i) >= 0 && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? "&" : "", frag);
}

static void query_all(struct lws *wsi, char *out, size_t cap);

static int refuse(struct lws *wsi, int status, const char *why) {
    char q[2048];
    query_all(wsi, q, sizeof q);
    logev("refused", "iss", "status", status, "reason", why, "query", q);
    lws_return_http_status(wsi, (unsigned)status, why);
    return 1;
}

static void conn_free(conn *c) {
    lws_sul_cancel(&c->sul);
    while (c->q) {
        out_msg *m = c->q;
        c->q = m->next;
        free(m->text);
        free(m);
    }
    free(c->rx);
    c->rx = NULL;
    c->wsi = NULL;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    conn *c = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
        char uri[256] = "", auth[512] = "", enc[64], rate[64], want[600];
        if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0) uri[0] = 0;
        if (lws_hdr_copy(wsi, auth, sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION) < 0) auth[0] = 0;
        query_get(wsi, "encoding", enc, sizeof enc);
        query_get(wsi, "sample_rate", rate, sizeof rate);
        snprintf(want, sizeof want, "Token %s", G.key);
        if (strcmp(uri, "/v1/listen") != 0) return refuse(wsi, 404, "no such endpoint");
        if (strcmp(auth, want) != 0) return refuse(wsi, 401, "invalid credentials");
        if (strcmp(enc, "mulaw") != 0 || strcmp(rate, "8000") != 0)
            return refuse(wsi, 400, "encoding=mulaw and sample_rate=8000 expected");
        if (G.refused < G.refuse) {
            G.refused++;
            return refuse(wsi, 503, "refused (fault)");
        }
        return 0;
    }
    case LWS_CALLBACK_ESTABLISHED: {
        memset(c, 0, sizeof *c);
        c->wsi = wsi;
        c->id = ++G.conns;
        c->line = -1;
        char v[64], q[2048];
        query_get(wsi, "endpointing", v, sizeof v);
        c->endpointing_ms = G.endpointing_ms > 0 ? G.endpointing_ms : atoi(v) > 0 ? atoi(v) : 300;
        query_get(wsi, "utterance_end_ms", v, sizeof v);
        c->utterance_end_ms = atoi(v) > 0 ? atoi(v) : 1000;
        snprintf(c->request_id, sizeof c->request_id, "5c1ab2d0-0000-4000-8000-%012d", c->id);
        query_all(wsi, q, sizeof q);
        logev("connect", "iss", "conn", c->id, "query", q, "request_id", c->request_id);
        return 0;
    }
    case LWS_CALLBACK_RECEIVE:
        if (c->rx_len == 0) c->rx_binary = lws_frame_is_binary(wsi);
        if (c->rx_len + len + 1 > c->rx_cap) {
            c->rx_cap = (c->rx_len + len + 1) * 2;
            c->rx = realloc(c->rx, c->rx_cap);
        }
        memcpy(c->rx + c->rx_len, in, len);
        c->rx_len += len;
        if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi)) return 0;
        {
            size_t n = c->rx_len;
            c->rx_len = 0;
            c->rx[n] = 0;
            if (c->closing) return 0;
            if (!c->rx_binary) return on_text(wsi, c, c->rx);
            c->audio_msgs++;
            logev("audio", "ii", "conn", c->id, "bytes", (int)n);
            on_audio(c, (uint8_t *)c->rx, n);
            if (G.drop_after_ms > 0 && !G.dropped && c->id == 1 &&
                c->audio_bytes * 1000 / 8000 >= (uint64_t)G.drop_after_ms) {
                G.dropped = 1;
                logev("drop", "id", "conn", c->id, "audio_bytes", (double)c->audio_bytes);
                shutdown(lws_get_socket_fd(wsi), SHUT_RDWR); /* no close frame */
                return -1;
            }
        }
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return on_writeable(wsi, c);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (len >= 2) logev("peer_close", "ii", "conn", c->id, "code", (((uint8_t *)in)[0] << 8) | ((uint8_t *)in)[1]);
        return 0;
    case LWS_CALLBACK_CLOSED:
        logev("close", "idi", "conn", c->id, "audio_bytes", (double)c->audio_bytes, "messages", c->audio_msgs);
        conn_free(c);
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static struct lws_protocols protocols[] = {
    {"deepgram", callback, sizeof(conn), 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void on_signal(int sig) {
    (void)sig;
    G.stop = 1;
}

static void usage(void) {
    fprintf(stderr, "usage: fake_deepgram --port N [--key K] [--script FILE] [--endpointing-ms N]\n"
                    "       [--final-delay-ms N] [--drop-after-ms N] [--refuse N] [--log FILE]\n");
    exit(2);
}

static void load_script(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "fake_deepgram: cannot read %s\n", path);
        exit(2);
    }
    char buf[2048];
    while (fgets(buf, sizeof buf, f) && G.nlines < MAX_LINES) {
        buf[strcspn(buf, "\r\n")] = 0;
        if (buf[0]) G.lines[G.nlines++] = strdup(buf);
    }
    fclose(f);
}

int main(int argc, char **argv) {
    static struct option opts[] = {
        {"port", required_argument, 0, 'p'},          {"key", required_argument, 0, 'k'},
        {"script", required_argument, 0, 's'},        {"endpointing-ms", required_argument, 0, 'e'},
        {"final-delay-ms", required_argument, 0, 'f'}, {"drop-after-ms", required_argument, 0, 'd'},
        {"refuse", required_argument, 0, 'r'},        {"log", required_argument, 0, 'l'},
        {0, 0, 0, 0}};
    int o, have_port = 0;
    G.key = "test-key";
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'p': G.port = atoi(optarg), have_port = 1; break;
        case 'k': G.key = optarg; break;
        case 's': load_script(optarg); break;
        case 'e': G.endpointing_ms = atoi(optarg); break;
        case 'f': G.final_delay_ms = atoi(optarg); break;
        case 'd': G.drop_after_ms = atoi(optarg); break;
        case 'r': G.refuse = atoi(optarg); break;
        case 'l':
            if (!(G.log = fopen(optarg, "w"))) usage();
            break;
        default: usage();
        }
    }
    if (!have_port) usage();
    G.t0 = wall_ms();
    hk_g711_init();
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = G.port;
    info.iface = "127.0.0.1";
    info.protocols = protocols;
    info.timeout_secs = 30;
    if (!(G.ctx = lws_create_context(&info))) {
        fprintf(stderr, "fake_deepgram: cannot listen on port %d\n", G.port);
        return 1;
    }
    printf("port %d\n", lws_get_vhost_listen_port(lws_get_vhost_by_name(G.ctx, "default")));
    fflush(stdout);
    while (!G.stop)
        if (lws_service(G.ctx, 0) < 0) break;
    lws_context_destroy(G.ctx);
    for (int i = 0; i < G.nlines; i++) free(G.lines[i]);
    if (G.log) fclose(G.log);
    return 0;
}
