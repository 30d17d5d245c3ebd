/* tests/fakes/fake_elevenlabs: a local stand-in for ElevenLabs text-to-speech
 * (shared/reference/protocols.md section 3) on one loopback port, for tests.
 * It owns: the stream-input WebSocket (/v1/text-to-speech/{voice}/stream-input:
 * first message " ", text chunks ending in a space, flush, {"text":""} ends;
 * base64 audio messages with alignment, then {"isFinal":true} and a close),
 * the HTTP streaming endpoint (POST /v1/text-to-speech/{voice}/stream: chunked
 * raw audio), the API key check, fault switches and a JSON-lines event log.
 * Audio is real speech of the received text: espeak-ng -> resample -> mu-law
 * (or s16le for pcm_*). Character times are spread evenly over the voiced span.
 * It runs its own lws poll loop (a test tool, never the server) and shares no
 * parsing code with hark's providers/tts_elevenlabs (it checks that code).
 * usage: fake_elevenlabs --port N [--key K] [--first-audio-ms N] [--log F]
 *        [--fault KIND[,KIND...] [--fault-count N]] [--inactivity-s N]
 * KIND: refuse-ws (WS handshake answered 403), drop (socket cut after the
 * first audio message), stall (text accepted, nothing sent back; HTTP too),
 * 429 / 500 (HTTP endpoint errors with ElevenLabs' error JSON), malformed (a
 * non-JSON frame instead of the first audio). --fault-count N: only the first
 * N connections/requests each kind applies to (default: all); drop, stall and
 * malformed count WebSocket connections by their first message, refuse-ws
 * counts handshakes.
 * --port 0 picks a port; "port N" is printed on stdout once listening.
 * Log events (each with ts = wall ms, conn = connection id): ws_open, ws_refused,
 * bos, text (text, flush), eos, generate (chars), first_audio, final_sent,
 * ws_close, violation, http_request, http_first_audio, http_done, http_error. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <getopt.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "media/g711.h"
#include "media/resample.h"
#include "net/base64.h"
#include "providers/tts_espeak.h"

#define CHUNK_MS 150
#define MAX_SCHED 8

enum { F_NONE, F_DROP, F_STALL, F_MALFORMED }; /* a WS connection's fault */
enum { Q_WS_TEXT, Q_WS_FINAL, Q_HTTP_CHUNK, Q_HTTP_END };

typedef struct omsg {
    struct omsg *next;
    int kind;
    int is_audio;
    int64_t at_ms; /* not before this (monotonic ms) */
    size_t len;
    unsigned char data[]; /* LWS_PRE bytes, then the payload */
} omsg;

typedef struct conn {
    int id, is_ws, fault;
    struct lws *wsi;
    char path[256], query[512], key[256], method[8];
    int out_rate, ulaw; /* output format */
    /* HTTP request body / WS message being reassembled */
    char *rx;
    size_t rx_len, rx_cap;
    /* WS text not yet synthesised */
    char *buf;
    size_t buf_len, buf_cap;
    int nmsg, eos, authed, gen_idx, sched[MAX_SCHED], n_sched;
    int audio_sent, closing, http_headers_sent, http_streaming;
    int err_status; /* HTTP error reply pending */
    char *err_body;
    omsg *qh, *qt;
    int64_t last_at;
    lws_sorted_usec_list_t sul, idle;
} conn;

static struct {
    const char *key;
    char *faults[8];
    int n_faults, fault_used[8];
    int port, first_audio_ms, fault_count, inactivity_s, next_id;
    FILE *log;
    struct lws_context *ctx;
    volatile sig_atomic_t stop;
} G = {.first_audio_ms = 150, .fault_count = -1, .inactivity_s = 20};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* One log line {"ts":wall ms,"event":name,"conn":id,...}; types as in
 * fake_twilio: i int, s string, b bool, one per key/value pair. */
static void logev(const conn *c, const char *name, const char *types, ...)
{
    if (!G.log) return;
    va_list ap;
    va_start(ap, types);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "ts", wall_ms());
    cJSON_AddStringToObject(o, "event", name);
    if (c) cJSON_AddNumberToObject(o, "conn", c->id);
    for (const char *t = types; *t; t++) {
        const char *k = va_arg(ap, const char *);
        if (*t == 's') cJSON_AddStringToObject(o, k, va_arg(ap, const char *));
        else if (*t == 'b') cJSON_AddBoolToObject(o, k, va_arg(ap, int));
        else cJSON_AddNumberToObject(o, k, va_arg(ap, int));
    }
    va_end(ap);
    char *s = cJSON_PrintUnformatted(o);
    fprintf(G.log, "%s\n", s);
    fflush(G.log);
    free(s);
    cJSON_Delete(o);
}

static int has_fault(const char *kind)
{
    for (int i = 0; i < G.n_faults; i++)
        if (!strcmp(G.faults[i], kind)) return i;
    return -1;
}

/* Does --fault KIND apply to this connection/request? Counts its uses. */
static int take_fault(const char *kind)
{
    int i = has_fault(kind);
    if (i < 0) return 0;
    if (G.fault_count >= 0 && G.fault_used[i] >= G.fault_count) return 0;
    G.fault_used[i]++;
    return 1;
}

static void append(char **p, size_t *len, size_t *cap, const char *data, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap * 2 : 1024;
        while (c < *len + n + 1) c *= 2;
        char *q = realloc(*p, c);
        if (!q) abort();
        *p = q;
        *cap = c;
    }
    memcpy(*p + *len, data, n);
    *len += n;
    (*p)[*len] = 0;
}

/* ---- outgoing queue ----------------------------------------------------- */

static void wake(conn *c);

static void enqueue(conn *c, int kind, int is_audio, int64_t at, const void *data, size_t len)
{
    omsg *m = malloc(sizeof *m + LWS_PRE + len + 16);
    if (!m) abort();
    m->next = NULL;
    m->kind = kind;
    m->is_audio = is_audio;
    m->at_ms = at < c->last_at ? c->last_at : at; /* in order */
    c->last_at = m->at_ms;
    m->len = len;
    if (len) memcpy(m->data + LWS_PRE, data, len);
    if (c->qt) c->qt->next = m;
    else c->qh = m;
    c->qt = m;
    wake(c);
}

static void on_sul(lws_sorted_usec_list_t *sul)
{
    conn *c = lws_container_of(sul, conn, sul);
    if (c->wsi) lws_callback_on_writable(c->wsi);
}

/* Ask for a write when the head message is due, now or later. */
static void wake(conn *c)
{
    if (!c->qh || !c->wsi) return;
    int64_t wait = c->qh->at_ms - mono_ms();
    if (wait <= 0) lws_callback_on_writable(c->wsi);
    else lws_sul_schedule(G.ctx, 0, &c->sul, on_sul, (lws_usec_t)wait * LWS_US_PER_MS);
}

static void free_queue(conn *c)
{
    while (c->qh) {
        omsg *m = c->qh;
        c->qh = m->next;
        free(m);
    }
    c->qt = NULL;
}

/* ---- synthesis ------------------------------------------------------------ */

static int parse_format(conn *c, const char *fmt)
{
    static const struct { const char *name; int rate, ulaw; } k[] = {
        {"ulaw_8000", 8000, 1}, {"pcm_16000", 16000, 0}, {"pcm_22050", 22050, 0},
        {"pcm_24000", 24000, 0}};
    for (size_t i = 0; i < sizeof k / sizeof *k; i++)
        if (fmt && strcmp(fmt, k[i].name) == 0) {
            c->out_rate = k[i].rate;
            c->ulaw = k[i].ulaw;
            return 0;
        }
    return -1;
}

/* Speech of text in the connection's format: *out (malloc'ed), *n bytes, and the
 * voiced span [*v0, *v1) in ms. */
static int synth(conn *c, const char *text, uint8_t **out, size_t *n, double *v0, double *v1)
{
    int16_t *pcm = NULL, *rs = NULL;
    size_t np = 0, nr = 0;
    int rate = 0;
    if (hk_espeak_synth_pcm(text, NULL, 0, &pcm, &np, &rate) != 0) return -1;
    if (rate != c->out_rate) {
        if (hk_resample_buffer(rate, c->out_rate, pcm, np, &rs, &nr) != 0) {
            free(pcm);
            return -1;
        }
        free(pcm);
    } else {
        rs = pcm;
        nr = np;
    }
    size_t first = nr, last = 0;
    for (size_t i = 0; i < nr; i++)
        if (rs[i] > 300 || rs[i] < -300) {
            if (first == nr) first = i;
            last = i + 1;
        }
    if (first == nr) first = last = 0;
    *v0 = first * 1000.0 / c->out_rate;
    *v1 = last * 1000.0 / c->out_rate;
    if (c->ulaw) {
        *out = malloc(nr ? nr : 1);
        hk_ulaw_encode_buf(rs, *out, nr);
        *n = nr;
    } else {
        *out = malloc(nr * 2 + 1);
        for (size_t i = 0; i < nr; i++) { /* s16le */
            (*out)[2 * i] = (uint8_t)(rs[i] & 0xFF);
            (*out)[2 * i + 1] = (uint8_t)(((uint16_t)rs[i]) >> 8);
        }
        *n = nr * 2;
    }
    free(rs);
    return 0;
}

/* The text's characters (UTF-8 sequences) as strings, and their count. */
static size_t split_chars(const char *text, char (*chars)[8], size_t cap)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && n < cap;) {
        size_t l = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : 4;
        size_t i = 0;
        for (; i < l && p[i]; i++) chars[n][i] = (char)p[i];
        chars[n][i] = 0;
        p += i;
        n++;
    }
    return n;
}

static cJSON *alignment(char (*chars)[8], const double *start, double dur, size_t from,
                        size_t to, double chunk_ms)
{
    cJSON *a = cJSON_CreateObject();
    cJSON *ch = cJSON_AddArrayToObject(a, "chars");
    cJSON *st = cJSON_AddArrayToObject(a, "charStartTimesMs");
    cJSON *du = cJSON_AddArrayToObject(a, "charDurationsMs");
    for (size_t i = from; i < to; i++) {
        cJSON_AddItemToArray(ch, cJSON_CreateString(chars[i]));
        cJSON_AddItemToArray(st, cJSON_CreateNumber((int)(start[i] - chunk_ms)));
        cJSON_AddItemToArray(du, cJSON_CreateNumber((int)dur));
    }
    return a;
}

/* Synthesise text and queue it: WS audio messages with alignment, or HTTP chunks. */
static void generate(conn *c, const char *text)
{
    uint8_t *audio = NULL;
    size_t n = 0;
    double v0, v1;
    logev(c, "generate", "is", "chars", (int)strlen(text), "text", text);
    if (synth(c, text, &audio, &n, &v0, &v1) != 0) {
        fprintf(stderr, "fake_elevenlabs: espeak-ng failed\n");
        return;
    }
    int64_t at = mono_ms() + G.first_audio_ms;
    size_t bpms = (size_t)(c->out_rate / 1000) * (c->ulaw ? 1 : 2); /* bytes per ms, ~ */
    size_t step = CHUNK_MS * (size_t)c->out_rate / 1000 * (c->ulaw ? 1 : 2);
    if (!c->is_ws) {
        for (size_t off = 0; off < n; off += step) {
            size_t k = n - off < step ? n - off : step;
            char hdr[16];
            int hl = snprintf(hdr, sizeof hdr, "%zx\r\n", k);
            unsigned char *tmp = malloc((size_t)hl + k + 2);
            memcpy(tmp, hdr, (size_t)hl);
            memcpy(tmp + hl, audio + off, k);
            memcpy(tmp + hl + k, "\r\n", 2);
            enqueue(c, Q_HTTP_CHUNK, 1, at, tmp, (size_t)hl + k + 2);
            free(tmp);
        }
        enqueue(c, Q_HTTP_END, 0, at, "0\r\n\r\n", 5);
        free(audio);
        return;
    }
    static char chars[4096][8];
    static double start[4096];
    size_t nc = split_chars(text, chars, 4095);
    double dur = nc ? (v1 - v0) / (double)nc : 0;
    for (size_t i = 0; i < nc; i++) start[i] = v0 + dur * (double)i;
    /* the buffered text ended with a space: its alignment does too */
    strcpy(chars[nc], " ");
    start[nc++] = v1;
    size_t ci = 0;
    for (size_t off = 0; off < n || off == 0; off += step) {
        size_t k = n - off < step ? n - off : step;
        double c0 = (double)off / (double)bpms, c1 = (double)(off + k) / (double)bpms;
        size_t from = ci;
        while (ci < nc && (start[ci] < c1 || off + k >= n)) ci++;
        size_t b64n = hk_base64_encoded_len(k) + 1;
        char *b64 = malloc(b64n);
        hk_base64_encode(audio + off, k, b64, b64n);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "audio", b64);
        free(b64);
        cJSON_AddNullToObject(o, "isFinal");
        cJSON_AddItemToObject(o, "normalizedAlignment", alignment(chars, start, dur, from, ci, c0));
        cJSON_AddItemToObject(o, "alignment", alignment(chars, start, dur, from, ci, c0));
        char *s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        enqueue(c, Q_WS_TEXT, 1, at, s, strlen(s));
        free(s);
        if (n == 0) break;
    }
    free(audio);
}

/* Generate what is buffered (trimmed); nothing when it is only spaces. */
static void generate_buffered(conn *c)
{
    if (!c->buf_len) return;
    char *s = c->buf, *e = c->buf + c->buf_len;
    while (s < e && isspace((unsigned char)*s)) s++;
    while (e > s && isspace((unsigned char)e[-1])) e--;
    char *text = strndup(s, (size_t)(e - s));
    c->buf_len = 0;
    c->buf[0] = 0;
    int stalled = c->fault == F_STALL;
    if (*text && !stalled) generate(c, text);
    c->gen_idx++;
    free(text);
}

/* ---- WebSocket ------------------------------------------------------------ */

static void ws_fail(conn *c, int code, const char *why)
{
    logev(c, "violation", "s", "reason", why);
    lws_close_reason(c->wsi, (enum lws_close_status)code, (unsigned char *)why, strlen(why));
    c->closing = 1;
}

static void on_idle(lws_sorted_usec_list_t *sul)
{
    conn *c = lws_container_of(sul, conn, idle);
    if (c->eos || !c->wsi) return;
    logev(c, "inactivity_close", "");
    c->closing = 2; /* close from the writeable callback */
    lws_callback_on_writable(c->wsi);
}

static void touch(conn *c)
{
    if (G.inactivity_s > 0)
        lws_sul_schedule(G.ctx, 0, &c->idle, on_idle, (lws_usec_t)G.inactivity_s * LWS_US_PER_SEC);
}

/* One whole text message from the client. Returns -1 to close at once. */
static int ws_message(conn *c, const char *data, size_t len)
{
    cJSON *j = cJSON_ParseWithLength(data, len);
    cJSON *text = j ? cJSON_GetObjectItemCaseSensitive(j, "text") : NULL;
    if (!cJSON_IsString(text)) {
        cJSON_Delete(j);
        ws_fail(c, 1008, "message without a text string");
        return -1;
    }
    const char *t = text->valuestring;
    int flush = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "flush"));
    touch(c);
    if (c->nmsg++ == 0) {
        /* faults count connections that carry a request (a client may hold
         * idle ones open ahead of need, and those open in any order) */
        if (take_fault("drop")) c->fault = F_DROP;
        else if (take_fault("stall")) c->fault = F_STALL;
        else if (take_fault("malformed")) c->fault = F_MALFORMED;
        cJSON *k = cJSON_GetObjectItemCaseSensitive(j, "xi_api_key");
        if (!c->authed && G.key && cJSON_IsString(k) && strcmp(k->valuestring, G.key) == 0)
            c->authed = 1;
        cJSON *gc = cJSON_GetObjectItemCaseSensitive(j, "generation_config");
        cJSON *cls = gc ? cJSON_GetObjectItemCaseSensitive(gc, "chunk_length_schedule") : NULL;
        cJSON *e;
        if (cJSON_IsArray(cls)) {
            c->n_sched = 0;
            cJSON_ArrayForEach(e, cls) if (c->n_sched < MAX_SCHED && cJSON_IsNumber(e))
                c->sched[c->n_sched++] = e->valueint;
        }
        logev(c, "bos", "sb", "text", t, "voice_settings",
              cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "voice_settings")));
        int bad = strcmp(t, " ") != 0;
        cJSON_Delete(j);
        if (G.key && !c->authed) {
            ws_fail(c, 1008, "Invalid API key");
            return -1;
        }
        if (bad) {
            ws_fail(c, 1008, "the first message's text must be a single space");
            return -1;
        }
        return 0;
    }
    if (c->eos) { /* ElevenLabs ignores input after the end */
        cJSON_Delete(j);
        return 0;
    }
    if (!*t) {
        cJSON_Delete(j);
        c->eos = 1;
        logev(c, "eos", "");
        lws_sul_cancel(&c->idle);
        generate_buffered(c);
        if (c->fault == F_STALL) return 0;
        enqueue(c, Q_WS_FINAL, 0, mono_ms(), "{\"isFinal\":true}", 16);
        return 0;
    }
    logev(c, "text", "sb", "text", t, "flush", flush);
    size_t tl = strlen(t);
    if (t[tl - 1] != ' ') {
        cJSON_Delete(j);
        ws_fail(c, 1008, "text must end with a space");
        return -1;
    }
    append(&c->buf, &c->buf_len, &c->buf_cap, t, tl);
    cJSON_Delete(j);
    int idx = c->gen_idx < c->n_sched ? c->gen_idx : c->n_sched - 1;
    if (flush || (c->n_sched > 0 && (int)c->buf_len >= c->sched[idx])) generate_buffered(c);
    return 0;
}

static int ws_writeable(conn *c)
{
    if (c->closing == 2) {
        static const char why[] = "Have not received a new text input within the timeout";
        lws_close_reason(c->wsi, (enum lws_close_status)1008, (unsigned char *)why, sizeof why - 1);
        return -1;
    }
    omsg *m = c->qh;
    if (!m) return 0;
    if (m->at_ms > mono_ms()) {
        wake(c);
        return 0;
    }
    c->qh = m->next;
    if (!c->qh) c->qt = NULL;
    int first = m->is_audio && !c->audio_sent;
    if (first && c->fault == F_MALFORMED) {
        static const char junk[] = "<html>502 Bad Gateway</html>";
        memcpy(m->data + LWS_PRE, junk, sizeof junk - 1);
        m->len = sizeof junk - 1;
    }
    int n = lws_write(c->wsi, m->data + LWS_PRE, m->len, LWS_WRITE_TEXT);
    int kind = m->kind;
    free(m);
    if (n < 0) return -1;
    if (first) {
        c->audio_sent = 1;
        logev(c, "first_audio", "");
        if (c->fault == F_DROP) {
            logev(c, "drop", "");
            shutdown(lws_get_socket_fd(c->wsi), SHUT_RDWR); /* no close frame */
            return -1;
        }
    }
    if (kind == Q_WS_FINAL) {
        logev(c, "final_sent", "");
        lws_close_reason(c->wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    wake(c);
    return 0;
}

/* Query value of name (first match) into out; -1 when absent. */
static int query_get(const char *q, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = q; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t l = amp ? (size_t)(amp - p) : strlen(p);
        if (l > nl && !strncmp(p, name, nl) && p[nl] == '=') {
            snprintf(out, cap, "%.*s", (int)(l - nl - 1), p + nl + 1);
            return 0;
        }
        p = amp ? amp + 1 : NULL;
    }
    return -1;
}

static void read_uri(struct lws *wsi, conn *c, enum lws_token_indexes tok)
{
    c->path[0] = c->query[0] = c->key[0] = 0;
    if (lws_hdr_total_length(wsi, tok) > 0) lws_hdr_copy(wsi, c->path, sizeof c->path, tok);
    char frag[256];
    size_t n = 0;
    for (int i = 0; lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i) > 0; i++)
        n += (size_t)snprintf(c->query + n, sizeof c->query - n, "%s%s", i ? "&" : "", frag);
    if (lws_hdr_custom_copy(wsi, c->key, sizeof c->key, "xi-api-key:", 11) < 0) c->key[0] = 0;
}

/* "/v1/text-to-speech/{voice}/{tail}" with a non-empty voice? */
static int path_ok(const char *path, const char *tail)
{
    static const char pre[] = "/v1/text-to-speech/";
    if (strncmp(path, pre, sizeof pre - 1) != 0) return 0;
    const char *v = path + sizeof pre - 1, *slash = strchr(v, '/');
    return slash && slash > v && strcmp(slash + 1, tail) == 0;
}

/* ---- HTTP ------------------------------------------------------------------ */

static void http_error(conn *c, int status, const char *code, const char *msg)
{
    cJSON *o = cJSON_CreateObject(), *d = cJSON_AddObjectToObject(o, "detail");
    cJSON_AddStringToObject(d, "status", code);
    cJSON_AddStringToObject(d, "message", msg);
    c->err_body = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    c->err_status = status;
    logev(c, "http_error", "is", "status", status, "message", msg);
    lws_callback_on_writable(c->wsi);
}

static void http_request(conn *c)
{
    char fmt[64] = "";
    query_get(c->query, "output_format", fmt, sizeof fmt);
    logev(c, "http_request", "ssss", "path", c->path, "query", c->query, "body",
          c->rx ? c->rx : "", "key", c->key);
    if (!path_ok(c->path, "stream") || strcmp(c->method, "POST") != 0)
        return http_error(c, 404, "not_found", "no such endpoint in the fake");
    if (G.key && strcmp(c->key, G.key) != 0)
        return http_error(c, 401, "invalid_api_key", "Invalid API key");
    if (take_fault("429"))
        return http_error(c, 429, "too_many_concurrent_requests",
                          "Too many concurrent requests for your subscription.");
    if (take_fault("500")) return http_error(c, 500, "internal_error", "An internal error occurred.");
    if (parse_format(c, fmt) != 0)
        return http_error(c, 422, "invalid_output_format", "unsupported output_format in the fake");
    cJSON *j = cJSON_ParseWithLength(c->rx ? c->rx : "", c->rx_len);
    cJSON *text = j ? cJSON_GetObjectItemCaseSensitive(j, "text") : NULL;
    if (!cJSON_IsString(text) || !*text->valuestring) {
        cJSON_Delete(j);
        return http_error(c, 422, "invalid_text", "text is required");
    }
    if (take_fault("stall")) {
        logev(c, "stall", "");
        cJSON_Delete(j);
        return;
    }
    c->http_streaming = 1;
    generate(c, text->valuestring);
    cJSON_Delete(j);
}

static int http_writeable(conn *c)
{
    unsigned char hbuf[LWS_PRE + 1024], *start = hbuf + LWS_PRE, *p = start, *end = hbuf + sizeof hbuf - 1;
    if (c->err_status) {
        if (!c->http_headers_sent) {
            if (lws_add_http_common_headers(c->wsi, (unsigned)c->err_status, "application/json",
                                            strlen(c->err_body), &p, end) ||
                lws_finalize_write_http_header(c->wsi, start, &p, end))
                return -1;
            c->http_headers_sent = 1;
            lws_callback_on_writable(c->wsi);
            return 0;
        }
        size_t l = strlen(c->err_body);
        unsigned char *b = malloc(LWS_PRE + l);
        memcpy(b + LWS_PRE, c->err_body, l);
        int n = lws_write(c->wsi, b + LWS_PRE, l, LWS_WRITE_HTTP_FINAL);
        free(b);
        free(c->err_body);
        c->err_body = NULL;
        c->err_status = 0;
        if (n < 0) return -1;
        return lws_http_transaction_completed(c->wsi) ? -1 : 0;
    }
    omsg *m = c->qh;
    if (!m) return 0;
    if (m->at_ms > mono_ms()) {
        wake(c);
        return 0;
    }
    if (!c->http_headers_sent) {
        if (lws_add_http_header_status(c->wsi, 200, &p, end) ||
            lws_add_http_header_by_token(c->wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                                         (const unsigned char *)(c->ulaw ? "audio/basic" : "audio/pcm"),
                                         c->ulaw ? 11 : 9, &p, end) ||
            lws_add_http_header_by_token(c->wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING,
                                         (const unsigned char *)"chunked", 7, &p, end) ||
            lws_finalize_write_http_header(c->wsi, start, &p, end))
            return -1;
        c->http_headers_sent = 1;
        lws_callback_on_writable(c->wsi);
        return 0;
    }
    c->qh = m->next;
    if (!c->qh) c->qt = NULL;
    int n = lws_write(c->wsi, m->data + LWS_PRE, m->len, LWS_WRITE_HTTP);
    int kind = m->kind;
    free(m);
    if (n < 0) return -1;
    if (!c->audio_sent) {
        c->audio_sent = 1;
        logev(c, "http_first_audio", "");
    }
    if (kind == Q_HTTP_END) {
        logev(c, "http_done", "");
        c->http_streaming = 0;
        return lws_http_transaction_completed(c->wsi) ? -1 : 0;
    }
    wake(c);
    return 0;
}

/* ---- lws ------------------------------------------------------------------ */

static void conn_free(conn *c)
{
    lws_sul_cancel(&c->sul);
    lws_sul_cancel(&c->idle);
    free_queue(c);
    free(c->rx);
    free(c->buf);
    free(c->err_body);
    c->rx = c->buf = c->err_body = NULL;
    c->rx_len = c->rx_cap = c->buf_len = c->buf_cap = 0;
    c->wsi = NULL;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    conn *c = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
        conn tmp = {.id = ++G.next_id};
        read_uri(wsi, &tmp, WSI_TOKEN_GET_URI);
        char fmt[64] = "", model[128] = "";
        query_get(tmp.query, "output_format", fmt, sizeof fmt);
        query_get(tmp.query, "model_id", model, sizeof model);
        unsigned status = 0;
        const char *why = NULL;
        if (!path_ok(tmp.path, "stream-input")) status = 404, why = "no such endpoint";
        else if (G.key && tmp.key[0] && strcmp(tmp.key, G.key) != 0) status = 401, why = "Invalid API key";
        else if (parse_format(&tmp, fmt) != 0) status = 400, why = "unsupported output_format";
        else if (take_fault("refuse-ws")) status = 403, why = "refused (fault)";
        if (status) {
            logev(&tmp, "ws_refused", "isss", "status", (int)status, "reason", why, "path", tmp.path,
                  "query", tmp.query);
            lws_return_http_status(wsi, status, why);
            return 1;
        }
        G.next_id--; /* ESTABLISHED takes the id */
        return 0;
    }
    case LWS_CALLBACK_ESTABLISHED:
        memset(c, 0, sizeof *c);
        c->id = ++G.next_id;
        c->is_ws = 1;
        c->wsi = wsi;
        read_uri(wsi, c, WSI_TOKEN_GET_URI);
        {
            char fmt[64] = "", model[128] = "";
            query_get(c->query, "output_format", fmt, sizeof fmt);
            query_get(c->query, "model_id", model, sizeof model);
            parse_format(c, fmt);
            c->authed = G.key && !strcmp(c->key, G.key);
            logev(c, "ws_open", "ssss", "path", c->path, "query", c->query, "model_id", model,
                  "output_format", fmt);
        }
        c->n_sched = 4;
        c->sched[0] = 120, c->sched[1] = 160, c->sched[2] = 250, c->sched[3] = 290;
        touch(c);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        append(&c->rx, &c->rx_len, &c->rx_cap, in, len);
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            size_t n = c->rx_len;
            c->rx_len = 0;
            if (c->closing) return -1;
            if (ws_message(c, c->rx, n) < 0) return -1;
        }
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return ws_writeable(c);
    case LWS_CALLBACK_CLOSED:
        logev(c, "ws_close", "b", "audio_sent", c->audio_sent);
        conn_free(c);
        return 0;
    case LWS_CALLBACK_HTTP:
        memset(c, 0, sizeof *c);
        c->id = ++G.next_id;
        c->wsi = wsi;
        read_uri(wsi, c, lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0 ? WSI_TOKEN_POST_URI
                                                                           : WSI_TOKEN_GET_URI);
        snprintf(c->method, sizeof c->method, "%s",
                 lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0 ? "POST" : "GET");
        if (strcmp(c->method, "POST") != 0) http_request(c);
        return 0;
    case LWS_CALLBACK_HTTP_BODY:
        append(&c->rx, &c->rx_len, &c->rx_cap, in, len);
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        http_request(c);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return http_writeable(c);
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL: /* keep-alive: lws frees our state */
    case LWS_CALLBACK_CLOSED_HTTP:
        if (c && c->wsi == wsi) {
            if (c->http_streaming) logev(c, "http_closed_early", "");
            conn_free(c);
        }
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static struct lws_protocols protocols[] = {
    {"elevenlabs", callback, sizeof(conn), 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void on_signal(int sig)
{
    (void)sig;
    G.stop = 1;
    if (G.ctx) lws_cancel_service(G.ctx);
}

static void usage(void)
{
    fprintf(stderr, "usage: fake_elevenlabs --port N [--key K] [--first-audio-ms N] [--log FILE]\n"
                    "  [--fault refuse-ws|drop|stall|429|500|malformed[,...]] [--fault-count N]\n"
                    "  [--inactivity-s N]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"port", required_argument, 0, 'p'},         {"key", required_argument, 0, 'k'},
        {"first-audio-ms", required_argument, 0, 'a'}, {"fault", required_argument, 0, 'f'},
        {"fault-count", required_argument, 0, 'c'},  {"log", required_argument, 0, 'l'},
        {"inactivity-s", required_argument, 0, 'i'}, {0, 0, 0, 0}};
    int o, have_port = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'p': G.port = atoi(optarg), have_port = 1; break;
        case 'k': G.key = optarg; break;
        case 'a': G.first_audio_ms = atoi(optarg); break;
        case 'f':
            for (char *tok = strtok(optarg, ","); tok && G.n_faults < 8; tok = strtok(NULL, ","))
                G.faults[G.n_faults++] = tok;
            break;
        case 'c': G.fault_count = atoi(optarg); break;
        case 'i': G.inactivity_s = atoi(optarg); break;
        case 'l':
            if (!(G.log = fopen(optarg, "a"))) {
                perror(optarg);
                return 2;
            }
            break;
        default: usage();
        }
    }
    if (!have_port) usage();
    for (int f = 0; f < G.n_faults; f++) {
        static const char *kinds[] = {"refuse-ws", "drop", "stall", "429", "500", "malformed"};
        int ok = 0;
        for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) ok |= !strcmp(G.faults[f], kinds[i]);
        if (!ok) usage();
    }
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
        fprintf(stderr, "fake_elevenlabs: cannot listen on port %d\n", G.port);
        return 1;
    }
    int port = lws_get_vhost_listen_port(lws_get_vhost_by_name(G.ctx, "default"));
    printf("port %d\n", port);
    fflush(stdout);
    while (!G.stop)
        if (lws_service(G.ctx, 0) < 0) break;
    lws_context_destroy(G.ctx);
    if (G.log) fclose(G.log);
    return 0;
}
