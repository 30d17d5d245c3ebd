/* tests/fakes/fake_twilio: a local stand-in for Twilio's side of one Media
 * Streams call (shared/reference/protocols.md section 1), for tests.
 * It owns: the WebSocket client (lws, its own default poll loop: this is a test
 * tool, never the server), the caller (WAV lines sent as 20 ms mu-law frames in
 * real time, silence between them, turn taking on the agent's audio), Twilio's
 * playback buffer (agent media plays at real time; marks echo when the audio
 * before them has played; clear drops the buffer and echoes pending marks), a
 * strict check of every agent message, a stereo recording (left = caller sent,
 * right = caller heard, at play time) and a JSON-lines event log.
 * It never shares parsing code with hark's telephony/ (it checks that code).
 * Log lines: {"t": ms since the socket opened, "event": ...}; pos_ms fields are
 * positions in the recording. Events: start_sent, line_start, line_end,
 * dtmf_sent, agent_media_first (latency_ms after the line), play_start,
 * play_end, mark_received, mark_echoed, clear_received (dropped_ms),
 * violation, stop_sent, close_received, closed (code), end (reason, exit).
 * Exit: 0 normal end, 1 protocol violation / connection failure / the agent
 * hung up before the last line, 2 usage error, 3 --max-seconds reached. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <libwebsockets.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "media/g711.h"
#include "media/resample.h"
#include "media/wav.h"
#include "net/base64.h"

#define FRAME 160 /* bytes (= samples) of mu-law per 20 ms */
#define MAX_LINES 64
#define MAX_PARAMS 32
#define MAX_DTMF 8
#define END_EXTRA_MS 1500
/* The agent still counts as talking until its audio has run dry this long:
 * real-time paced media arrives just after a frame boundary now and then. */
#define PLAY_HANGOVER_MS 100

typedef struct line { const char *path; uint8_t *ulaw; size_t n; } line;
typedef struct out_msg { struct out_msg *next; size_t len; char data[]; } out_msg;
typedef struct mark { char *name; uint64_t pos; int64_t t_recv; } mark;

static struct {
    /* options */
    const char *url, *call_sid, *stream_sid, *account_sid, *signature, *out_path, *log_path;
    const char *pname[MAX_PARAMS], *pvalue[MAX_PARAMS];
    int nparams, nlines, ndtmf, barge_in_ms, gap_ms, max_seconds;
    const char *junk; /* --junk: bad messages to send after start (robustness tests) */
    line lines[MAX_LINES];
    struct { int after_line; const char *digits; } dtmf[MAX_DTMF];
    /* connection */
    struct lws_context *ctx;
    struct lws *wsi;
    lws_sorted_usec_list_t sul;
    int64_t t_prog, t0; /* monotonic ms: program start, stream start */
    int established, closing, done, conn_failed, stop_sent, timed_out, violations;
    int close_code;
    long seq, frame;
    out_msg *oq_head, *oq_tail;
    char *rx;
    size_t rx_len, rx_cap;
    FILE *log;
    /* playback: bytes ever queued, started playing, finished playing (or
     * dropped); a mark waits for finished >= its position */
    uint8_t *pq;
    size_t pq_head, pq_len, pq_cap;
    uint64_t enq_total, played_total, finished_total;
    mark *marks;
    size_t nmarks, marks_cap;
    size_t play_pos; /* next sample index in the right channel */
    int playing;
    int64_t play_start_ms, play_stop_ms, quiet_since_ms; /* stop: end of the last audio */
    /* caller */
    int next_line, speaking, answered, reply_pending;
    size_t line_off;
    int64_t line_end_ms, reply_start_ms;
    const char *dtmf_cur;
    long dtmf_next_frame;
    /* recording */
    int16_t *rec; /* stereo: left = caller sent, right = caller heard */
    size_t rec_cap; /* samples per channel */
} S;

/* Grows *p (elements of size elem, capacity *cap) to hold need; new space zeroed. */
static void grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    char *q = realloc(*(void **)p, c * elem);
    if (!q) abort();
    memset(q + *cap * elem, 0, (c - *cap) * elem);
    *(void **)p = q;
    *cap = c;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
static int64_t now_ms(void) { return mono_ms() - S.t0; }

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fake_twilio: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

/* One log line {"t":ms,"event":name,...}. Each character of types says the
 * type of the value after the next key: i int, n int64_t, s string, b bool. */
static void ev(const char *name, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "t", (double)now_ms());
    cJSON_AddStringToObject(o, "event", name);
    for (const char *t = types; *t; t++) {
        const char *k = va_arg(ap, const char *);
        if (*t == 's') cJSON_AddStringToObject(o, k, va_arg(ap, const char *));
        else if (*t == 'b') cJSON_AddBoolToObject(o, k, va_arg(ap, int));
        else if (*t == 'i') cJSON_AddNumberToObject(o, k, va_arg(ap, int));
        else cJSON_AddNumberToObject(o, k, (double)va_arg(ap, int64_t));
    }
    va_end(ap);
    char *s = cJSON_PrintUnformatted(o);
    if (s && S.log) {
        fprintf(S.log, "%s\n", s);
        fflush(S.log);
    }
    free(s);
    cJSON_Delete(o);
}

static void violation(const char *why, const char *text, size_t len)
{
    S.violations++;
    char buf[301];
    size_t n = len < 300 ? len : 300;
    memcpy(buf, text, n);
    buf[n] = 0;
    ev("violation", "ss", "reason", why, "message", buf);
    fprintf(stderr, "fake_twilio: violation: %s: %s\n", why, buf);
}

/* --- outgoing (Twilio -> agent) ---------------------------------------- */
static void send_json(cJSON *o)
{
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    size_t len = strlen(s);
    out_msg *m = malloc(sizeof *m + LWS_PRE + len);
    if (!m) abort();
    m->next = NULL;
    m->len = len;
    memcpy(m->data + LWS_PRE, s, len);
    free(s);
    if (S.oq_tail) S.oq_tail->next = m; else S.oq_head = m;
    S.oq_tail = m;
    if (S.wsi) lws_callback_on_writable(S.wsi);
}

/* A Twilio message with its sequenceNumber string and our streamSid. */
static cJSON *tw_msg(const char *event)
{
    char seq[24];
    snprintf(seq, sizeof seq, "%ld", ++S.seq);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "event", event);
    cJSON_AddStringToObject(o, "sequenceNumber", seq);
    cJSON_AddStringToObject(o, "streamSid", S.stream_sid);
    return o;
}

/* A text frame exactly as given (for --junk). */
static void send_raw(const char *text, size_t len)
{
    out_msg *m = malloc(sizeof *m + LWS_PRE + len);
    if (!m) abort();
    m->next = NULL;
    m->len = len;
    memcpy(m->data + LWS_PRE, text, len);
    if (S.oq_tail) S.oq_tail->next = m; else S.oq_head = m;
    S.oq_tail = m;
    if (S.wsi) lws_callback_on_writable(S.wsi);
}

/* --junk unknown|garbage|oversized: what a broken or hostile peer sends. */
static void send_junk(void)
{
    if (!S.junk) return;
    if (!strcmp(S.junk, "unknown")) {
        for (int i = 0; i < 5; i++) send_json(tw_msg("weird_event"));
    } else if (!strcmp(S.junk, "garbage")) {
        static const char *bad[] = {"not json", "{\"event\":", "[1,2,3]", "{\"event\":\"media\"}"};
        for (int i = 0; i < 4; i++) send_raw(bad[i], strlen(bad[i]));
    } else if (!strcmp(S.junk, "oversized")) {
        size_t n = 200 * 1024;
        char *big = malloc(n);
        if (!big) abort();
        memset(big, 'x', n);
        memcpy(big, "{\"event\":\"media\",\"x\":\"", 22);
        send_raw(big, n);
        free(big);
    } else {
        die("unknown --junk kind %s (unknown, garbage, oversized)", S.junk);
    }
    ev("junk_sent", "s", "kind", S.junk);
}

static void send_start(void)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "event", "connected");
    cJSON_AddStringToObject(c, "protocol", "Call");
    cJSON_AddStringToObject(c, "version", "1.0.0");
    send_json(c);
    cJSON *o = tw_msg("start"), *st = cJSON_AddObjectToObject(o, "start");
    cJSON_AddStringToObject(st, "accountSid", S.account_sid);
    cJSON_AddStringToObject(st, "streamSid", S.stream_sid);
    cJSON_AddStringToObject(st, "callSid", S.call_sid);
    cJSON *tr = cJSON_AddArrayToObject(st, "tracks");
    cJSON_AddItemToArray(tr, cJSON_CreateString("inbound"));
    cJSON *cp = cJSON_AddObjectToObject(st, "customParameters");
    for (int i = 0; i < S.nparams; i++) cJSON_AddStringToObject(cp, S.pname[i], S.pvalue[i]);
    cJSON *mf = cJSON_AddObjectToObject(st, "mediaFormat");
    cJSON_AddStringToObject(mf, "encoding", "audio/x-mulaw");
    cJSON_AddNumberToObject(mf, "sampleRate", 8000);
    cJSON_AddNumberToObject(mf, "channels", 1);
    send_json(o);
    ev("start_sent", "ssi", "callSid", S.call_sid, "streamSid", S.stream_sid, "params", S.nparams);
    send_junk();
}

static void send_media(long frame, const uint8_t *ulaw)
{
    char b64[256], chunk[24], ts[24];
    hk_base64_encode(ulaw, FRAME, b64, sizeof b64);
    snprintf(chunk, sizeof chunk, "%ld", frame + 1);
    snprintf(ts, sizeof ts, "%ld", (frame + 1) * 20); /* chunk k ends at k*20 ms */
    cJSON *o = tw_msg("media"), *m = cJSON_AddObjectToObject(o, "media");
    cJSON_AddStringToObject(m, "track", "inbound");
    cJSON_AddStringToObject(m, "chunk", chunk);
    cJSON_AddStringToObject(m, "timestamp", ts);
    cJSON_AddStringToObject(m, "payload", b64);
    send_json(o);
}

static void send_stop(const char *reason)
{
    cJSON *o = tw_msg("stop"), *st = cJSON_AddObjectToObject(o, "stop");
    cJSON_AddStringToObject(st, "accountSid", S.account_sid);
    cJSON_AddStringToObject(st, "callSid", S.call_sid);
    send_json(o);
    S.stop_sent = 1;
    S.closing = 1;
    ev("stop_sent", "s", "reason", reason);
}

/* --- playback (Twilio's buffer of agent audio) ------------------------- */
static void echo_marks(int cleared)
{
    size_t kept = 0;
    for (size_t i = 0; i < S.nmarks; i++) {
        mark *m = &S.marks[i];
        if (m->pos > S.finished_total) {
            S.marks[kept++] = *m;
            continue;
        }
        cJSON *o = tw_msg("mark");
        cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "mark"), "name", m->name);
        send_json(o);
        ev("mark_echoed", "snb", "name", m->name, "waited_ms", now_ms() - m->t_recv, "cleared",
           cleared);
        free(m->name);
    }
    S.nmarks = kept;
}

static void play_end(int64_t at_ms, int cleared)
{
    S.playing = 0;
    S.quiet_since_ms = at_ms;
    ev("play_end", "nnb", "pos_ms", at_ms, "played_ms", at_ms - S.play_start_ms, "cleared",
       cleared);
}

/* Runs at the start of frame f (f*20 ms): what was playing has finished, so
 * its marks echo; then up to 160 queued bytes start playing, contiguous with
 * the previous frame's when the buffer never ran dry. */
static void play_frame(long f)
{
    size_t fstart = (size_t)f * FRAME, fend = fstart + FRAME, n = 0;
    S.finished_total = S.played_total;
    echo_marks(0);
    if (S.play_pos < fstart) S.play_pos = fstart;
    while (S.pq_len && S.play_pos < fend) {
        S.rec[2 * S.play_pos++ + 1] = hk_ulaw_decode(S.pq[S.pq_head++]);
        S.pq_len--;
        S.played_total++;
        n++;
    }
    if (n && !S.playing) {
        S.playing = 1;
        S.play_start_ms = (int64_t)(S.play_pos - n) / 8;
        ev("play_start", "nib", "pos_ms", S.play_start_ms, "after_line", S.next_line,
           "caller_speaking", S.speaking);
    }
    if (n) S.play_stop_ms = (int64_t)S.play_pos / 8;
    if (n && !S.speaking) {
        S.answered = 1;
        if (S.reply_start_ms < 0) S.reply_start_ms = (int64_t)(S.play_pos - n) / 8;
    }
    if (!n && S.playing && (int64_t)f * 20 - S.play_stop_ms >= PLAY_HANGOVER_MS)
        play_end(S.play_stop_ms, 0);
}

static void pq_push(const uint8_t *b, size_t n)
{
    if (S.pq_head + S.pq_len + n > S.pq_cap) {
        if (S.pq_len) memmove(S.pq, S.pq + S.pq_head, S.pq_len);
        S.pq_head = 0;
        grow(&S.pq, &S.pq_cap, S.pq_len + n, 1);
    }
    memcpy(S.pq + S.pq_head + S.pq_len, b, n);
    S.pq_len += n;
    S.enq_total += n;
}

/* --- the caller ---------------------------------------------------------- */
static int may_speak(int64_t t)
{
    int L = S.next_line;
    if (S.barge_in_ms > 0 && L == S.nlines - 1)
        return S.reply_start_ms >= 0 && t >= S.reply_start_ms + S.barge_in_ms;
    return S.answered && !S.playing && t - S.quiet_since_ms >= S.gap_ms;
}

static void caller_frame(long f)
{
    int64_t t = (int64_t)f * 20;
    uint8_t buf[FRAME];
    memset(buf, HK_ULAW_SILENCE, FRAME);
    if (!S.speaking && S.next_line < S.nlines && may_speak(t)) {
        S.speaking = 1;
        S.line_off = 0;
        line *l = &S.lines[S.next_line];
        ev("line_start", "nisnb", "pos_ms", t, "line", S.next_line + 1, "file", l->path,
           "duration_ms", (int64_t)(l->n / 8), "over_agent", S.playing);
    }
    if (S.speaking) {
        line *l = &S.lines[S.next_line];
        size_t n = l->n - S.line_off < FRAME ? l->n - S.line_off : FRAME;
        memcpy(buf, l->ulaw + S.line_off, n);
        S.line_off += n;
        if (S.line_off == l->n) {
            S.speaking = 0;
            S.answered = 0;
            S.reply_pending = 1;
            S.reply_start_ms = -1;
            S.line_end_ms = t + (int64_t)n / 8;
            S.next_line++;
            ev("line_end", "ni", "pos_ms", S.line_end_ms, "line", S.next_line);
            for (int i = 0; i < S.ndtmf; i++)
                if (S.dtmf[i].after_line == S.next_line) {
                    S.dtmf_cur = S.dtmf[i].digits;
                    S.dtmf_next_frame = f + 1;
                }
        }
    }
    for (size_t i = 0; i < FRAME; i++) S.rec[2 * ((size_t)f * FRAME + i)] = hk_ulaw_decode(buf[i]);
    send_media(f, buf);

    if (S.dtmf_cur && *S.dtmf_cur && f >= S.dtmf_next_frame) { /* one digit per 100 ms */
        char d[2] = {*S.dtmf_cur++, 0};
        cJSON *o = tw_msg("dtmf"), *dt = cJSON_AddObjectToObject(o, "dtmf");
        cJSON_AddStringToObject(dt, "track", "inbound_track");
        cJSON_AddStringToObject(dt, "digit", d);
        send_json(o);
        ev("dtmf_sent", "s", "digit", d);
        S.dtmf_next_frame = f + 5;
    }
    if (S.next_line == S.nlines && !S.speaking && S.answered && !S.playing &&
        t - S.quiet_since_ms >= S.gap_ms + END_EXTRA_MS && !(S.dtmf_cur && *S.dtmf_cur))
        send_stop("conversation_done");
}

static void tick(lws_sorted_usec_list_t *sul)
{
    (void)sul;
    if (mono_ms() - S.t_prog >= (int64_t)S.max_seconds * 1000 && !S.closing) {
        S.timed_out = 1;
        fprintf(stderr, "fake_twilio: --max-seconds %d reached (line %d of %d)\n", S.max_seconds,
                S.next_line, S.nlines);
        if (S.established) send_stop("max_seconds");
        else S.done = 1;
    }
    if (S.done) return;
    int64_t delay_ms = 20;
    if (S.established) {
        /* at (f+1)*20 ms the caller's frame f is complete and frame f+1 starts playing */
        while (!S.closing && (S.frame + 1) * 20 <= now_ms()) {
            grow(&S.rec, &S.rec_cap, (size_t)(S.frame + 2) * FRAME, 2 * sizeof *S.rec);
            caller_frame(S.frame);
            play_frame(S.frame + 1);
            S.frame++;
        }
        delay_ms = (S.frame + 1) * 20 - now_ms();
        if (delay_ms < 1) delay_ms = 1;
    }
    lws_sul_schedule(S.ctx, 0, &S.sul, tick, delay_ms * LWS_US_PER_MS);
}

/* --- incoming (agent -> Twilio) ------------------------------------------ */
static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void on_agent_msg(const char *text, size_t len)
{
    cJSON *j = cJSON_ParseWithLength(text, len);
    const char *evt = j ? jstr(j, "event") : NULL, *sid = j ? jstr(j, "streamSid") : NULL;
    if (!cJSON_IsObject(j)) violation("not a JSON object", text, len);
    else if (!evt) violation("no event string", text, len);
    else if (strcmp(evt, "media") && strcmp(evt, "mark") && strcmp(evt, "clear"))
        violation("unknown event (media, mark, clear only)", text, len);
    else if (!sid || strcmp(sid, S.stream_sid)) /* Twilio drops it */
        violation(sid ? "wrong streamSid" : "no streamSid", text, len);
    else if (!strcmp(evt, "media")) {
        const char *p = jstr(cJSON_GetObjectItemCaseSensitive(j, "media"), "payload");
        size_t plen = p ? strlen(p) : 0;
        uint8_t *b = malloc(hk_base64_decoded_max(plen) + 1);
        long n = p ? hk_base64_decode(p, plen, b, hk_base64_decoded_max(plen) + 1) : -1;
        if (n < 0) violation(p ? "media.payload is not base64" : "no media.payload", text, len);
        else if (n == 0) violation("empty media.payload", text, len);
        else {
            if (S.reply_pending) {
                S.reply_pending = 0;
                ev("agent_media_first", "in", "after_line", S.next_line, "latency_ms",
                   now_ms() - S.line_end_ms);
            }
            pq_push(b, (size_t)n);
        }
        free(b);
    } else if (!strcmp(evt, "mark")) {
        const char *name = jstr(cJSON_GetObjectItemCaseSensitive(j, "mark"), "name");
        if (!name) violation("no mark.name", text, len);
        else {
            grow(&S.marks, &S.marks_cap, S.nmarks + 1, sizeof *S.marks);
            S.marks[S.nmarks++] = (mark){strdup(name), S.enq_total, now_ms()};
            ev("mark_received", "sn", "name", name, "queued_ms",
               (int64_t)(S.enq_total - S.finished_total) / 8);
            echo_marks(0); /* the audio before it has finished playing already */
        }
    } else { /* clear */
        uint64_t dropped = S.enq_total - S.finished_total;
        ev("clear_received", "ni", "dropped_ms", (int64_t)dropped / 8, "pending_marks",
           (int)S.nmarks);
        S.played_total = S.finished_total = S.enq_total;
        S.pq_head = S.pq_len = 0;
        /* playback stops now, not at the end of the frame already written */
        size_t cut = (size_t)now_ms() * 8;
        for (size_t i = cut; i < S.play_pos && i < S.rec_cap; i++) S.rec[2 * i + 1] = 0;
        if (cut < S.play_pos) S.play_pos = cut;
        echo_marks(1);
        if (S.playing) play_end(S.play_stop_ms < now_ms() ? S.play_stop_ms : now_ms(), 1);
    }
    cJSON_Delete(j);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    (void)user;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        if (S.signature) {
            unsigned char **p = in, *end = *p + len;
            if (lws_add_http_header_by_name(wsi, (const unsigned char *)"X-Twilio-Signature:",
                                            (const unsigned char *)S.signature,
                                            (int)strlen(S.signature), p, end))
                return -1;
        }
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        fprintf(stderr, "fake_twilio: cannot connect to %s: %s\n", S.url,
                in ? (const char *)in : "unknown error");
        S.conn_failed = 1;
        S.done = 1;
        S.wsi = NULL;
        break;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        S.established = 1;
        S.t0 = mono_ms();
        send_start();
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (lws_frame_is_binary(wsi)) {
            violation("binary frame (Twilio expects text)", "", 0);
            break;
        }
        grow(&S.rx, &S.rx_cap, S.rx_len + len + 1, 1);
        memcpy(S.rx + S.rx_len, in, len);
        S.rx_len += len;
        if (lws_is_final_fragment(wsi)) {
            on_agent_msg(S.rx, S.rx_len);
            S.rx_len = 0;
        }
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        out_msg *m = S.oq_head;
        if (!m) {
            if (!S.closing) break;
            S.close_code = LWS_CLOSE_STATUS_NORMAL;
            lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
            return -1;
        }
        S.oq_head = m->next;
        if (!S.oq_head) S.oq_tail = NULL;
        int w = lws_write(wsi, (unsigned char *)m->data + LWS_PRE, m->len, LWS_WRITE_TEXT);
        free(m);
        if (w < 0) return -1;
        if (S.oq_head || S.closing) lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
        const unsigned char *b = in;
        S.close_code = len >= 2 ? (b[0] << 8 | b[1]) : LWS_CLOSE_STATUS_NO_STATUS;
        ev("close_received", "i", "code", S.close_code);
        break;
    }
    case LWS_CALLBACK_CLIENT_CLOSED:
        ev("closed", "si", "by", S.stop_sent ? "fake_twilio" : "agent", "code", S.close_code);
        S.done = 1;
        S.wsi = NULL;
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"fake-twilio", callback, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* --- set-up -------------------------------------------------------------- */
static void load_line(line *l, const char *path)
{
    hk_wav w;
    char err[256];
    if (hk_wav_read_file(path, &w, err, sizeof err)) die("%s", err);
    int16_t *mono = hk_wav_to_mono(&w), *pcm = mono;
    size_t n = w.frames;
    if (!mono) die("out of memory reading %s", path);
    if (w.rate != 8000) {
        if (hk_resample_buffer(w.rate, 8000, mono, w.frames, &pcm, &n))
            die("cannot resample %s to 8 kHz (unsupported rate)", path);
        free(mono);
    }
    l->path = path;
    l->n = n;
    l->ulaw = malloc(n ? n : 1);
    if (!l->ulaw) die("out of memory reading %s", path);
    hk_ulaw_encode_buf(pcm, l->ulaw, n);
    free(pcm);
    hk_wav_free(&w);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: fake_twilio --url ws://HOST:PORT/voice/stream/CA... --call-sid CA... "
            "--stream-sid MZ...\n"
            "  [--account-sid AC...] [--param name=value]... [--signature SIG]\n"
            "  [--caller-wav FILE]... [--dtmf-after-line N:DIGITS]... [--barge-in-ms MS]\n"
            "  [--junk unknown|garbage|oversized]\n"
            "  [--gap-ms 700] [--max-seconds 120] --out heard.wav --log events.jsonl\n");
    exit(2);
}

static void parse_args(int argc, char **argv)
{
    enum { O_JUNK = 100 };
    enum { O_URL = 1, O_CALL, O_STREAM, O_ACCOUNT, O_PARAM, O_SIG, O_WAV, O_DTMF, O_BARGE,
           O_GAP, O_MAX, O_OUT, O_LOG };
    static const struct option opts[] = {
        {"url", 1, 0, O_URL}, {"call-sid", 1, 0, O_CALL}, {"stream-sid", 1, 0, O_STREAM},
        {"account-sid", 1, 0, O_ACCOUNT}, {"param", 1, 0, O_PARAM}, {"signature", 1, 0, O_SIG},
        {"caller-wav", 1, 0, O_WAV}, {"dtmf-after-line", 1, 0, O_DTMF},
        {"barge-in-ms", 1, 0, O_BARGE}, {"gap-ms", 1, 0, O_GAP}, {"max-seconds", 1, 0, O_MAX},
        {"out", 1, 0, O_OUT}, {"log", 1, 0, O_LOG}, {"junk", 1, 0, O_JUNK}, {0, 0, 0, 0}};
    S.account_sid = "AC00000000000000000000000000000000";
    S.gap_ms = 700;
    S.max_seconds = 120;
    int c;
    char *eq;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_URL: S.url = optarg; break;
        case O_CALL: S.call_sid = optarg; break;
        case O_STREAM: S.stream_sid = optarg; break;
        case O_ACCOUNT: S.account_sid = optarg; break;
        case O_SIG: S.signature = optarg; break;
        case O_OUT: S.out_path = optarg; break;
        case O_LOG: S.log_path = optarg; break;
        case O_BARGE: S.barge_in_ms = atoi(optarg); break;
        case O_JUNK: S.junk = optarg; break;
        case O_GAP: S.gap_ms = atoi(optarg); break;
        case O_MAX: S.max_seconds = atoi(optarg); break;
        case O_PARAM:
            if (!(eq = strchr(optarg, '=')) || eq == optarg || S.nparams == MAX_PARAMS)
                die("bad --param %s (name=value, at most %d)", optarg, MAX_PARAMS);
            *eq = 0;
            S.pname[S.nparams] = optarg;
            S.pvalue[S.nparams++] = eq + 1;
            break;
        case O_WAV:
            if (S.nlines == MAX_LINES) die("more than %d --caller-wav", MAX_LINES);
            load_line(&S.lines[S.nlines++], optarg);
            break;
        case O_DTMF:
            if (!(eq = strchr(optarg, ':')) || atoi(optarg) < 1 || !eq[1] ||
                strspn(eq + 1, "0123456789*#") != strlen(eq + 1) || S.ndtmf == MAX_DTMF)
                die("bad --dtmf-after-line %s (N:DIGITS, N >= 1, digits 0-9*#)", optarg);
            S.dtmf[S.ndtmf].after_line = atoi(optarg);
            S.dtmf[S.ndtmf++].digits = eq + 1;
            break;
        default: usage();
        }
    }
    if (optind < argc || !S.url || !S.call_sid || !S.stream_sid || !S.out_path || !S.log_path)
        usage();
    if (S.gap_ms < 0 || S.barge_in_ms < 0 || S.max_seconds <= 0) usage();
    for (int i = 0; i < S.ndtmf; i++)
        if (S.dtmf[i].after_line > S.nlines)
            die("--dtmf-after-line %d: only %d lines", S.dtmf[i].after_line, S.nlines);
}

int main(int argc, char **argv)
{
    hk_g711_init();
    parse_args(argc, argv);
    if (!(S.log = fopen(S.log_path, "w"))) die("cannot write %s", S.log_path);
    S.t_prog = S.t0 = mono_ms();
    S.reply_pending = 1; /* the agent greets first */
    S.reply_start_ms = -1;
    lws_set_log_level(LLL_ERR, NULL);

    struct lws_context_creation_info info = {.port = CONTEXT_PORT_NO_LISTEN, .protocols = protocols,
                                             .options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT};
    if (!(S.ctx = lws_create_context(&info))) die("lws_create_context failed");

    char urlbuf[1024];
    const char *prot, *addr, *path;
    int port;
    snprintf(urlbuf, sizeof urlbuf, "%s", S.url);
    if (lws_parse_uri(urlbuf, &prot, &addr, &port, &path) ||
        (strcmp(prot, "ws") && strcmp(prot, "wss")))
        die("bad --url %s (ws:// or wss://)", S.url);
    char pathbuf[1024];
    snprintf(pathbuf, sizeof pathbuf, "/%s", path); /* lws_parse_uri drops the leading / */

    /* local_protocol_name binds our callback without sending Sec-WebSocket-Protocol:
     * Twilio sends none. */
    struct lws_client_connect_info ci = {
        .context = S.ctx, .address = addr, .port = port, .path = pathbuf, .host = addr,
        .origin = addr, .ssl_connection = strcmp(prot, "wss") ? 0 : LCCSCF_USE_SSL,
        .local_protocol_name = "fake-twilio", .pwsi = &S.wsi};
    if (!lws_client_connect_via_info(&ci) && !S.conn_failed) {
        fprintf(stderr, "fake_twilio: cannot connect to %s\n", S.url);
        S.conn_failed = 1;
        S.done = 1;
    }
    lws_sul_schedule(S.ctx, 0, &S.sul, tick, 20 * LWS_US_PER_MS);
    while (!S.done)
        if (lws_service(S.ctx, 0) < 0) break;
    lws_sul_cancel(&S.sul);
    lws_context_destroy(S.ctx);

    const char *reason = S.conn_failed   ? "connection_failed"
                         : S.timed_out   ? "max_seconds"
                         : S.stop_sent   ? "conversation_done"
                                         : "agent_closed";
    int rc = S.conn_failed || S.violations ? 1 : S.timed_out ? 3 : 0;
    if (!strcmp(reason, "agent_closed") && (S.next_line < S.nlines || S.speaking)) {
        fprintf(stderr, "fake_twilio: the agent closed the stream after %d of %d lines\n",
                S.next_line, S.nlines);
        if (!rc) rc = 1;
    }
    if (S.violations) fprintf(stderr, "fake_twilio: %d protocol violation(s)\n", S.violations);

    char err[256];
    grow(&S.rec, &S.rec_cap, 1, 2 * sizeof *S.rec);
    if (hk_wav_write_file(S.out_path, S.rec, (size_t)S.frame * FRAME, 8000, 2, err, sizeof err)) {
        fprintf(stderr, "fake_twilio: cannot write %s: %s\n", S.out_path, err);
        if (!rc) rc = 1;
    }
    ev("end", "siiii", "reason", reason, "lines_spoken", S.next_line, "lines", S.nlines,
       "violations", S.violations, "exit", rc);
    fclose(S.log);
    /* free everything so sanitizer builds report only real leaks */
    for (int i = 0; i < S.nlines; i++) free(S.lines[i].ulaw);
    for (size_t i = 0; i < S.nmarks; i++) free(S.marks[i].name);
    for (out_msg *m = S.oq_head, *next; m; m = next) {
        next = m->next;
        free(m);
    }
    free(S.marks);
    free(S.pq);
    free(S.rx);
    free(S.rec);
    return rc;
}
