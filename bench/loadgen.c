/* bench/loadgen: N Twilio Media Streams callers against hark serve, over real
 * WebSockets at real time, on one libev loop (bench/loadgen_ws, its own lean
 * client, for the streams; net/http_client for the webhooks). It owns the
 * load and its measurements; it prints numbers, never pass/fail (the
 * integration test reads them).
 *
 * Per caller, as Twilio does it: the signed incoming-call webhook (a form POST
 * with X-Twilio-Signature, telephony/signature computes it), the stream URL
 * and <Parameter>s read from the TwiML answer; then `connected` and `start`
 * (customParameters = those parameters), one 20 ms mu-law `media` frame per
 * 20 ms on an absolute schedule from the stream's start (silence, or a WAV
 * file looped), marks echoed when the audio queued before them has played
 * (playback modelled at real time), `stop` after --call-seconds.
 *
 * Measured: outbound media gaps (time between two of hark's media messages
 * of one call; a pause over 2 s is a new talk spurt, not a gap), audio
 * delivered (mu-law bytes received / bytes expected: --expect-ms of speech per
 * call, capped by how long the call lasted), marks, connection failures, and
 * hark's CPU and RSS from /proc/<pid> (--pid, repeatable: master and worker
 * are summed). CPU is taken over the steady window (every caller streaming),
 * RSS at its peak there; loadgen's own CPU over the same window too (the
 * load core must not be the bottleneck). Ramp: --ramp-per-sec new calls per
 * second.
 *
 * Soak mode (--total M > --calls): at most --calls at once, a new call as one
 * ends, until M have run; RSS and open fds of the pids after the first
 * --soak-mark calls ended and at the end.
 *
 * Output: one JSON object on stdout; a readable summary on stderr. */
#include <ctype.h>
#include <ev.h>
#include <getopt.h>
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/log.h"
#include "media/g711.h"
#include "media/resample.h"
#include "media/wav.h"
#include "net/base64.h"
#include "net/form.h"
#include "net/http_client.h"
#include "telephony/signature.h"

#include "loadgen_ws.h"

#define FRAME 160              /* mu-law bytes per 20 ms */
#define B64_LEN 216            /* base64 of 160 bytes */
#define B64_FRAME 220          /* B64_LEN + NUL, rounded up */
#define MAX_PARAMS 8
#define MAX_MARKS 64           /* marks waiting for their audio to play, per caller */
#define MAX_PIDS 8
#define SPURT_S 2.0            /* a pause longer than this starts a new talk spurt */
#define GAP_BUCKETS 20001      /* 0.1 ms buckets up to 2 s */

enum { C_IDLE, C_WEBHOOK, C_CONNECTING, C_STREAMING, C_DONE };

typedef struct caller {
    /* first: what the 5 ms tick reads of every caller (one cache line) */
    int state, nmarks;
    lg_ws *ws;
    double t_start, t_end; /* stream open; when stop goes */
    long frame, seq;
    int idx, failed, closed_by_hark;
    char sid[40], stream_sid[40];
    hk_http_call *hc;
    char *stream_url;
    char pname[MAX_PARAMS][48], pval[MAX_PARAMS][256];
    int nparams;
    uint64_t rx_bytes;
    double last_rx, play_end;
    struct { char name[64]; double due; } marks[MAX_MARKS];
} caller;

static struct {
    /* options */
    const char *base, *webhook_url, *token, *account, *to, *wav;
    int calls, total, soak_mark, npids, verbose;
    double collect_ms; /* --collect-ms: libev io collect interval (0: none) */
    unsigned run_id;
    double ramp, call_s, expect_ms, timeout_s;
    int pids[MAX_PIDS];
    /* state */
    struct ev_loop *loop;
    hk_http_client *http;
    caller *c;
    int started, ended, active, streaming_max;
    double t_begin, t_all_streaming, t_first_end, t_last_start;
    ev_timer tick;
    /* audio */
    char (*b64)[B64_FRAME];
    size_t nb64;
    /* results */
    uint32_t gaps[GAP_BUCKETS];
    uint64_t ngaps, gaps_over40, spurts, marks_rx, marks_echoed, marks_dropped, bad_msgs;
    double gap_max;
    uint64_t rx_bytes, exp_bytes;
    int connected, failed, closed_by_hark;
    double send_lag_max;
    /* /proc */
    long clk_tck;
    double cpu_t0, cpu_s0, cpu_t1, cpu_s1, self_s0, self_s1;
    long rss_base_kb, rss_peak_kb, rss_end_kb, rss_mark_kb;
    int fds_base, fds_end, fds_mark;
    int mark_taken;
} G;

/* --- /proc -------------------------------------------------------------- */
static double proc_cpu_s(void)
{
    double s = 0;
    for (int i = 0; i < G.npids; i++) {
        char path[64], buf[1024];
        snprintf(path, sizeof path, "/proc/%d/stat", G.pids[i]);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        char *p = strrchr(buf, ')'); /* the name may hold spaces */
        unsigned long ut = 0, st = 0;
        if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
            s += (double)(ut + st) / (double)G.clk_tck;
    }
    return s;
}

static long proc_rss_kb(void)
{
    long kb = 0;
    for (int i = 0; i < G.npids; i++) {
        char path[64], line[256];
        snprintf(path, sizeof path, "/proc/%d/status", G.pids[i]);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        while (fgets(line, sizeof line, f)) {
            long v;
            if (sscanf(line, "VmRSS: %ld", &v) == 1) kb += v;
        }
        fclose(f);
    }
    return kb;
}

static int proc_fds(void)
{
    int n = 0;
    for (int i = 0; i < G.npids; i++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/fd", G.pids[i]);
        DIR *d = opendir(path);
        if (!d) continue;
        struct dirent *e;
        while ((e = readdir(d)))
            if (e->d_name[0] != '.') n++;
        closedir(d);
    }
    return n;
}

/* loadgen's own CPU seconds (user + system) */
static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* --- sending -------------------------------------------------------------- */
static void send_fmt(caller *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void send_fmt(caller *c, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof buf && c->ws) lg_ws_send_text(c->ws, buf, (size_t)n);
}

/* JSON string content: the TwiML values are ours (sids, tokens, numbers), but
 * quote anything that would break the message anyway. */
static void json_esc(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    for (; *s && o + 7 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') { out[o++] = '\\'; out[o++] = (char)ch; }
        else if (ch < 0x20) o += (size_t)snprintf(out + o, cap - o, "\\u%04x", ch);
        else out[o++] = (char)ch;
    }
    out[o] = 0;
}

static void send_start(caller *c)
{
    char cp[2048], e1[128], e2[512];
    size_t o = 0;
    cp[0] = 0;
    for (int i = 0; i < c->nparams && o < sizeof cp; i++) {
        json_esc(e1, sizeof e1, c->pname[i]);
        json_esc(e2, sizeof e2, c->pval[i]);
        int n = snprintf(cp + o, sizeof cp - o, "%s\"%s\":\"%s\"", i ? "," : "", e1, e2);
        if (n < 0 || (size_t)n >= sizeof cp - o) break;
        o += (size_t)n;
    }
    send_fmt(c, "{\"event\":\"connected\",\"protocol\":\"Call\",\"version\":\"1.0.0\"}");
    send_fmt(c,
             "{\"event\":\"start\",\"sequenceNumber\":\"%ld\",\"start\":{\"accountSid\":\"%s\","
             "\"streamSid\":\"%s\",\"callSid\":\"%s\",\"tracks\":[\"inbound\"],"
             "\"customParameters\":{%s},\"mediaFormat\":{\"encoding\":\"audio/x-mulaw\","
             "\"sampleRate\":8000,\"channels\":1}},\"streamSid\":\"%s\"}",
             ++c->seq, G.account, c->stream_sid, c->sid, cp, c->stream_sid);
}

/* The media message, 50 a second per caller: assembled from constant pieces
 * and the prebuilt base64 frames, only the three numbers formatted (this was
 * snprintf, the first user-space item of loadgen's profile). */
static char *put_s(char *o, const char *s, size_t n)
{
    memcpy(o, s, n);
    return o + n;
}
#define PUT_LIT(o, s) put_s(o, s, sizeof s - 1)

static char *put_l(char *o, long v)
{
    char t[24];
    int i = 0;
    do t[i++] = (char)('0' + v % 10);
    while ((v /= 10) > 0);
    while (i) *o++ = t[--i];
    return o;
}

static void send_media(caller *c)
{
    /* 120 characters of constant pieces, three numbers of at most 20 */
    char buf[128 + 3 * 20 + B64_LEN + sizeof c->stream_sid], *o = buf;
    c->frame++;
    o = PUT_LIT(o, "{\"event\":\"media\",\"sequenceNumber\":\"");
    o = put_l(o, ++c->seq);
    o = PUT_LIT(o, "\",\"media\":{\"track\":\"inbound\",\"chunk\":\"");
    o = put_l(o, c->frame);
    o = PUT_LIT(o, "\",\"timestamp\":\"");
    o = put_l(o, c->frame * 20);
    o = PUT_LIT(o, "\",\"payload\":\"");
    o = put_s(o, G.b64[(size_t)(c->frame - 1) % G.nb64], B64_LEN);
    o = PUT_LIT(o, "\"},\"streamSid\":\"");
    o = put_s(o, c->stream_sid, strlen(c->stream_sid));
    o = PUT_LIT(o, "\"}");
    if (c->ws) lg_ws_send_text(c->ws, buf, (size_t)(o - buf));
}

static void echo_due_marks(caller *c, double now)
{
    int kept = 0;
    for (int i = 0; i < c->nmarks; i++) {
        if (c->marks[i].due > now) {
            c->marks[kept++] = c->marks[i];
            continue;
        }
        send_fmt(c, "{\"event\":\"mark\",\"sequenceNumber\":\"%ld\",\"streamSid\":\"%s\","
                    "\"mark\":{\"name\":\"%s\"}}", ++c->seq, c->stream_sid, c->marks[i].name);
        G.marks_echoed++;
    }
    c->nmarks = kept;
}

/* --- the end of a call ----------------------------------------------------- */
static void start_next(void);

static void finish(caller *c, double now)
{
    if (c->state == C_DONE) return;
    if (c->state == C_STREAMING) {
        double talk_ms = (now - c->t_start) * 1000.0 - 200.0; /* the first reply's own delay */
        double exp_ms = G.expect_ms < talk_ms ? G.expect_ms : talk_ms;
        uint64_t exp = exp_ms > 0 ? (uint64_t)(exp_ms * 8.0) : 0;
        G.exp_bytes += exp;
        G.rx_bytes += c->rx_bytes < exp ? c->rx_bytes : exp;
    }
    if (c->failed) G.failed++;
    if (c->closed_by_hark) G.closed_by_hark++;
    c->state = C_DONE;
    G.active--;
    G.ended++;
    free(c->stream_url);
    c->stream_url = NULL;
    if (G.total > G.calls && !G.mark_taken && G.ended >= G.soak_mark) {
        G.mark_taken = 1;
        G.rss_mark_kb = proc_rss_kb();
        G.fds_mark = proc_fds();
    }
    if (G.total > G.calls) start_next();
}

/* --- incoming (hark -> "Twilio") ----------------------------------------- */
/* The value of "key":"..." in a flat scan of msg (our own peer's messages;
 * a bad one is counted, not trusted). Returns its length, or -1. */
static long str_field(const char *msg, size_t n, const char *key, const char **val)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i + kl + 3 < n; i++) {
        if (msg[i] != '"' || memcmp(msg + i + 1, key, kl) || msg[i + 1 + kl] != '"') continue;
        size_t j = i + kl + 2;
        while (j < n && (msg[j] == ' ' || msg[j] == ':')) j++;
        if (j >= n || msg[j] != '"') return -1;
        const char *s = msg + j + 1, *e = memchr(s, '"', n - (j + 1));
        if (!e) return -1;
        *val = s;
        return e - s;
    }
    return -1;
}

static void on_message(void *ud, const char *data, size_t n, int binary)
{
    caller *c = ud;
    double now = ev_time();
    const char *evt = NULL, *v = NULL;
    long el = str_field(data, n, "event", &evt);
    if (binary || el < 0) { G.bad_msgs++; return; }
    if (el == 5 && !memcmp(evt, "media", 5)) {
        long pl = str_field(data, n, "payload", &v);
        if (pl <= 0) { G.bad_msgs++; return; }
        size_t bytes = (size_t)pl / 4 * 3;
        if (pl >= 1 && v[pl - 1] == '=') bytes--;
        if (pl >= 2 && v[pl - 2] == '=') bytes--;
        c->rx_bytes += bytes;
        if (c->last_rx > 0) {
            double gap = now - c->last_rx;
            if (gap > SPURT_S) G.spurts++;
            else {
                size_t b = (size_t)(gap * 10000.0);
                G.gaps[b < GAP_BUCKETS ? b : GAP_BUCKETS - 1]++;
                G.ngaps++;
                if (gap > 0.040) G.gaps_over40++;
                if (gap > G.gap_max) G.gap_max = gap;
            }
        } else G.spurts++;
        c->last_rx = now;
        c->play_end = (c->play_end > now ? c->play_end : now) + (double)bytes / 8000.0;
    } else if (el == 4 && !memcmp(evt, "mark", 4)) {
        long ml = str_field(data, n, "name", &v);
        G.marks_rx++;
        if (ml < 0 || ml >= 64) { G.bad_msgs++; return; }
        if (c->nmarks == MAX_MARKS) { G.marks_dropped++; return; } /* too far ahead of playback */
        memcpy(c->marks[c->nmarks].name, v, (size_t)ml);
        c->marks[c->nmarks].name[ml] = 0;
        c->marks[c->nmarks++].due = c->play_end > now ? c->play_end : now;
        echo_due_marks(c, now);
    } else if (el == 5 && !memcmp(evt, "clear", 5)) {
        c->play_end = now;
        echo_due_marks(c, now);
    } else G.bad_msgs++;
}

static void on_open(void *ud)
{
    caller *c = ud;
    c->state = C_STREAMING;
    c->t_start = ev_time();
    c->t_end = c->t_start + G.call_s;
    G.connected++;
    send_start(c);
}

static void on_close(void *ud, int code, const char *reason, int error)
{
    caller *c = ud;
    c->ws = NULL; /* the handle is gone */
    if (c->state != C_STREAMING || error || G.verbose)
        fprintf(stderr, "loadgen: %s: stream closed (%d %s)\n", c->sid, code, reason ? reason : "");
    /* an error this end found (bad upgrade, bad or oversize frame) fails the caller */
    if (c->state != C_STREAMING || error) c->failed = 1;
    else c->closed_by_hark = 1;
    finish(c, ev_time());
}

/* --- the webhook ------------------------------------------------------------ */
/* Copies the XML attribute attr="..." found after p into out (entities
 * decoded). Returns the position after it, or NULL. */
static const char *xml_attr(const char *p, const char *end, const char *attr, char *out,
                            size_t cap)
{
    char key[32];
    snprintf(key, sizeof key, " %s=\"", attr);
    size_t kl = strlen(key);
    for (; p + kl < end; p++) {
        if (memcmp(p, key, kl)) continue;
        const char *s = p + kl, *e = memchr(s, '"', (size_t)(end - s));
        if (!e) return NULL;
        size_t o = 0;
        while (s < e && o + 1 < cap) {
            static const struct { const char *ent; char ch; } ents[] = {
                {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
            int hit = 0;
            for (size_t k = 0; k < sizeof ents / sizeof *ents && !hit; k++) {
                size_t l = strlen(ents[k].ent);
                if ((size_t)(e - s) >= l && !memcmp(s, ents[k].ent, l)) {
                    out[o++] = ents[k].ch;
                    s += l;
                    hit = 1;
                }
            }
            if (!hit) out[o++] = *s++;
        }
        out[o] = 0;
        return e + 1;
    }
    return NULL;
}

static void on_webhook(void *ud, int status, const char *body, size_t len, const char *err)
{
    caller *c = ud;
    c->hc = NULL;
    const char *end = body + len, *st = body ? strstr(body, "<Stream") : NULL;
    char url[1024];
    if (status != 200 || !st || !xml_attr(st, end, "url", url, sizeof url)) {
        fprintf(stderr, "loadgen: %s: webhook answered %d%s%s\n", c->sid, status,
                err ? ": " : "", err ? err : "");
        c->failed = 1;
        finish(c, ev_time());
        return;
    }
    const char *p = st;
    while (c->nparams < MAX_PARAMS && (p = strstr(p, "<Parameter"))) {
        const char *q = xml_attr(p, end, "name", c->pname[c->nparams], sizeof c->pname[0]);
        if (!q || !xml_attr(q, end, "value", c->pval[c->nparams], sizeof c->pval[0])) break;
        c->nparams++;
        p = q;
    }
    c->stream_url = strdup(url);
    lg_ws_opts o = {.url = c->stream_url, .connect_timeout_s = 10, .ud = c, .on_open = on_open,
                    .on_message = on_message, .on_close = on_close};
    char e[256];
    c->state = C_CONNECTING;
    if (!(c->ws = lg_ws_connect(G.loop, &o, e, sizeof e))) {
        fprintf(stderr, "loadgen: %s: %s\n", c->sid, e);
        c->failed = 1;
        finish(c, ev_time());
    }
}

static void start_caller(caller *c)
{
    char from[24];
    /* a run id in the sids: a CallSid's stream token works once per server */
    snprintf(c->sid, sizeof c->sid, "CA%08x%024d", G.run_id, c->idx + 1);
    snprintf(c->stream_sid, sizeof c->stream_sid, "MZ%08x%024d", G.run_id, c->idx + 1);
    snprintf(from, sizeof from, "+1555%07d", c->idx % 10000000);
    hk_form_param fp[] = {{"AccountSid", G.account}, {"CallSid", c->sid},
                          {"CallStatus", "ringing"}, {"Direction", "inbound"},
                          {"From", from}, {"To", G.to}};
    int np = (int)(sizeof fp / sizeof *fp);
    char sig[HK_TWILIO_SIG_SIZE], body[1024], hdr[64 + HK_TWILIO_SIG_SIZE];
    size_t bl = 0;
    body[0] = 0;
    for (int i = 0; i < np; i++) hk_form_append(body, sizeof body, &bl, fp[i].name, fp[i].value);
    if (hk_twilio_signature(G.token, G.webhook_url, fp, np, sig)) {
        fprintf(stderr, "loadgen: cannot sign the webhook\n");
        exit(2);
    }
    snprintf(hdr, sizeof hdr, "X-Twilio-Signature: %s", sig);
    const char *headers[] = {hdr, "Content-Type: application/x-www-form-urlencoded", NULL};
    hk_http_opts o = {.method = "POST", .url = G.webhook_url, .headers = headers, .body = body,
                      .body_len = bl, .timeout_s = 30, .on_done = on_webhook, .ud = c};
    c->state = C_WEBHOOK;
    G.active++;
    G.started++;
    G.t_last_start = ev_time();
    if (!(c->hc = hk_http_fetch(G.http, &o))) {
        c->failed = 1;
        finish(c, ev_time());
    }
}

static void start_next(void)
{
    if (G.started < G.total && G.active < G.calls) start_caller(&G.c[G.started]);
}

/* --- the 20 ms tick ----------------------------------------------------------- */
static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)w;
    (void)revents;
    double now = ev_time();
    /* ramp: calls started so far follow --ramp-per-sec from the beginning */
    long due = (long)((now - G.t_begin) * G.ramp) + 1;
    while (G.started < G.total && G.started < due && G.active < G.calls) start_caller(&G.c[G.started]);
    int streaming = 0, pending = 0;
    for (int i = 0; i < G.started; i++) {
        caller *c = &G.c[i];
        if (c->state == C_WEBHOOK || c->state == C_CONNECTING) pending++;
        if (c->state != C_STREAMING) continue;
        streaming++;
        /* frame f is sent at (f+1)*20 ms after the start: the absolute schedule */
        long target = (long)((now - c->t_start) / 0.020);
        if (target - c->frame > 1) {
            double lag = (now - c->t_start) - (double)(c->frame + 1) * 0.020;
            if (lag > G.send_lag_max) G.send_lag_max = lag;
        }
        while (c->frame < target) send_media(c);
        if (c->nmarks) echo_due_marks(c, now);
        if (now >= c->t_end) {
            send_fmt(c, "{\"event\":\"stop\",\"sequenceNumber\":\"%ld\",\"streamSid\":\"%s\","
                        "\"stop\":{\"accountSid\":\"%s\",\"callSid\":\"%s\"}}",
                     ++c->seq, c->stream_sid, G.account, c->sid);
            lg_ws_close(c->ws);
            c->ws = NULL;
            if (!G.t_first_end) G.t_first_end = now;
            finish(c, now);
            streaming--;
        }
    }
    if (streaming > G.streaming_max) G.streaming_max = streaming;
    /* the steady window: from every caller streaming to the first one ending */
    if (G.total == G.calls && !G.t_all_streaming && G.started == G.calls && !pending &&
        !G.t_first_end) {
        G.t_all_streaming = now;
        G.cpu_t0 = now;
        G.cpu_s0 = proc_cpu_s();
        G.self_s0 = self_cpu_s();
    }
    if (G.t_all_streaming && !G.cpu_t1) {
        static double last_rss;
        if (now - last_rss >= 1.0) {
            long r = proc_rss_kb();
            if (r > G.rss_peak_kb) G.rss_peak_kb = r;
            last_rss = now;
        }
        if (G.t_first_end) {
            G.cpu_t1 = now;
            G.cpu_s1 = proc_cpu_s();
            G.self_s1 = self_cpu_s();
        }
    }
    if (G.ended == G.total || now - G.t_begin > G.timeout_s) {
        if (G.ended < G.total) fprintf(stderr, "loadgen: --timeout reached\n");
        ev_break(loop, EVBREAK_ALL);
    }
}

/* --- set-up ------------------------------------------------------------------- */
static void load_audio(void)
{
    uint8_t *ulaw = NULL;
    size_t n = FRAME;
    if (G.wav) {
        hk_wav w;
        char err[256];
        if (hk_wav_read_file(G.wav, &w, err, sizeof err)) {
            fprintf(stderr, "loadgen: %s\n", err);
            exit(2);
        }
        int16_t *mono = hk_wav_to_mono(&w), *pcm = mono;
        size_t np = w.frames;
        if (mono && w.rate != 8000 && hk_resample_buffer(w.rate, 8000, mono, w.frames, &pcm, &np)) {
            fprintf(stderr, "loadgen: cannot resample %s\n", G.wav);
            exit(2);
        }
        if (pcm != mono) free(mono);
        n = (np + FRAME - 1) / FRAME * FRAME;
        if (!n) n = FRAME;
        ulaw = malloc(n);
        if (!pcm || !ulaw) exit(2);
        memset(ulaw, HK_ULAW_SILENCE, n);
        hk_ulaw_encode_buf(pcm, ulaw, np);
        free(pcm);
        hk_wav_free(&w);
    } else {
        ulaw = malloc(n);
        if (!ulaw) exit(2);
        memset(ulaw, HK_ULAW_SILENCE, n);
    }
    G.nb64 = n / FRAME;
    G.b64 = malloc(G.nb64 * sizeof *G.b64);
    if (!G.b64) exit(2);
    for (size_t i = 0; i < G.nb64; i++)
        if (hk_base64_encode(ulaw + i * FRAME, FRAME, G.b64[i], B64_FRAME) != B64_LEN) {
            fprintf(stderr, "loadgen: base64 of a frame failed\n");
            exit(2);
        }
    free(ulaw);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: loadgen --webhook-url URL --auth-token TOK [--account-sid AC..] [--to +1..]\n"
            "  [--calls N (10)] [--ramp-per-sec R (100)] [--call-seconds S (30)]\n"
            "  [--expect-ms MS: agent speech per call (0)] [--wav caller.wav (silence)]\n"
            "  [--pid PID]... [--total M: soak, M calls, --calls at once] [--soak-mark K (1000)]\n"
            "  [--timeout S (call-seconds + calls/ramp + 60)] [--collect-ms MS (0)] [--verbose]\n");
    exit(2);
}

static double pct(uint64_t part, uint64_t whole) { return whole ? 100.0 * (double)part / (double)whole : 0; }

static double gap_q(double q)
{
    if (!G.ngaps) return 0;
    uint64_t want = (uint64_t)ceil(q * (double)G.ngaps), acc = 0;
    if (!want) want = 1;
    for (size_t b = 0; b < GAP_BUCKETS; b++)
        if ((acc += G.gaps[b]) >= want) return (double)b / 10.0 + 0.05;
    return G.gap_max * 1000.0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"webhook-url", 1, 0, 'w'}, {"auth-token", 1, 0, 'k'}, {"account-sid", 1, 0, 'a'},
        {"to", 1, 0, 'o'}, {"calls", 1, 0, 'n'}, {"ramp-per-sec", 1, 0, 'r'},
        {"call-seconds", 1, 0, 's'}, {"expect-ms", 1, 0, 'e'}, {"wav", 1, 0, 'f'},
        {"pid", 1, 0, 'p'}, {"total", 1, 0, 't'}, {"soak-mark", 1, 0, 'm'},
        {"timeout", 1, 0, 'T'}, {"verbose", 0, 0, 'v'}, {"collect-ms", 1, 0, 'C'}, {0, 0, 0, 0}};
    G.account = "AC00000000000000000000000000000000";
    G.to = "+15550199";
    G.calls = 10;
    G.ramp = 100;
    G.call_s = 30;
    G.soak_mark = 1000;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'w': G.webhook_url = optarg; break;
        case 'k': G.token = optarg; break;
        case 'a': G.account = optarg; break;
        case 'o': G.to = optarg; break;
        case 'n': G.calls = atoi(optarg); break;
        case 'r': G.ramp = atof(optarg); break;
        case 's': G.call_s = atof(optarg); break;
        case 'e': G.expect_ms = atof(optarg); break;
        case 'f': G.wav = optarg; break;
        case 't': G.total = atoi(optarg); break;
        case 'm': G.soak_mark = atoi(optarg); break;
        case 'T': G.timeout_s = atof(optarg); break;
        case 'v': G.verbose = 1; break;
        case 'C': G.collect_ms = atof(optarg); break;
        case 'p':
            if (G.npids == MAX_PIDS) usage();
            G.pids[G.npids++] = atoi(optarg);
            break;
        default: usage();
        }
    }
    if (optind < argc || !G.webhook_url || !G.token || G.calls < 1 || G.ramp <= 0 || G.call_s <= 0)
        usage();
    if (G.total < G.calls) G.total = G.calls;
    if (!G.timeout_s)
        G.timeout_s = G.call_s * ((double)G.total / G.calls) + G.total / G.ramp + 60;
    struct rlimit rl;
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    hk_log_init(G.verbose ? "info" : "error");
    hk_g711_init();
    load_audio();
    G.clk_tck = sysconf(_SC_CLK_TCK);
    G.run_id = (unsigned)getpid() * 2654435761u ^ (unsigned)(ev_time() * 1000.0);
    G.c = calloc((size_t)G.total, sizeof *G.c);
    if (!G.c) return 2;
    for (int i = 0; i < G.total; i++) G.c[i].idx = i;
    G.loop = ev_default_loop(0);
    /* Poll every collect_ms instead of sleeping in epoll_wait until each
     * message: a peer that sleeps per message makes every send of hark's pay
     * a cross-core wake-up that a busy carrier's media server would not. The
     * arrival times it stamps are late by at most this much. */
    if (G.collect_ms > 0) ev_set_io_collect_interval(G.loop, G.collect_ms / 1000.0);
    G.http = hk_http_client_new(G.loop);
    G.rss_base_kb = proc_rss_kb();
    G.fds_base = proc_fds();
    G.t_begin = ev_time();
    ev_timer_init(&G.tick, on_tick, 0.0, 0.005);
    ev_timer_start(G.loop, &G.tick);
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    ev_run(G.loop, 0);
    getrusage(RUSAGE_SELF, &ru1);
    double wall = ev_time() - G.t_begin;
    for (int i = 0; i < G.started; i++) {
        caller *k = &G.c[i];
        if (k->hc) hk_http_cancel(k->hc);
        if (k->ws) lg_ws_close(k->ws);
        k->ws = NULL;
        if (k->state != C_DONE) {
            k->failed = k->state != C_STREAMING;
            finish(k, ev_time());
        }
    }
    /* settle: the server ends its calls; then the end numbers */
    ev_run(G.loop, EVRUN_NOWAIT);
    if (G.npids) {
        ev_sleep(2.0);
        G.rss_end_kb = proc_rss_kb();
        G.fds_end = proc_fds();
    }
    double cpu = G.cpu_t1 > G.cpu_t0 ? 100.0 * (G.cpu_s1 - G.cpu_s0) / (G.cpu_t1 - G.cpu_t0) : -1;
    double self_cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec -
                               ru0.ru_stime.tv_sec) +
                      (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec -
                               ru0.ru_stime.tv_usec) / 1e6;
    long per_call = G.rss_peak_kb > G.rss_base_kb ? (G.rss_peak_kb - G.rss_base_kb) / G.calls : 0;
    printf("{\"calls\":%d,\"total\":%d,\"started\":%d,\"connected\":%d,\"failed\":%d,"
           "\"closed_by_hark\":%d,\"streaming_max\":%d,\"cpu_pct\":%.1f,\"steady_s\":%.1f,"
           "\"rss_base_mb\":%.1f,\"rss_peak_mb\":%.1f,\"rss_per_call_kb\":%ld,"
           "\"rss_mark_mb\":%.1f,\"rss_end_mb\":%.1f,\"fds_base\":%d,\"fds_mark\":%d,\"fds_end\":%d,"
           "\"gaps\":%llu,\"gap_p50_ms\":%.1f,\"gap_p99_ms\":%.1f,\"gap_max_ms\":%.1f,"
           "\"gaps_over_40_pct\":%.2f,\"spurts\":%llu,\"delivered_pct\":%.2f,"
           "\"marks_received\":%llu,\"marks_echoed\":%llu,\"marks_dropped\":%llu,\"bad_messages\":%llu,"
           "\"send_lag_max_ms\":%.1f,\"loadgen_cpu_pct\":%.1f,\"loadgen_steady_cpu_pct\":%.1f}\n",
           G.calls, G.total, G.started, G.connected, G.failed, G.closed_by_hark, G.streaming_max,
           cpu, G.cpu_t1 - G.cpu_t0, G.rss_base_kb / 1024.0, G.rss_peak_kb / 1024.0, per_call,
           G.rss_mark_kb / 1024.0, G.rss_end_kb / 1024.0, G.fds_base, G.fds_mark, G.fds_end,
           (unsigned long long)G.ngaps, gap_q(0.50), gap_q(0.99), G.gap_max * 1000.0,
           pct(G.gaps_over40, G.ngaps), (unsigned long long)G.spurts,
           pct(G.rx_bytes, G.exp_bytes), (unsigned long long)G.marks_rx,
           (unsigned long long)G.marks_echoed, (unsigned long long)G.marks_dropped,
           (unsigned long long)G.bad_msgs,
           G.send_lag_max * 1000.0, wall > 0 ? 100.0 * self_cpu / wall : 0,
           G.cpu_t1 > G.cpu_t0 ? 100.0 * (G.self_s1 - G.self_s0) / (G.cpu_t1 - G.cpu_t0) : -1);
    fprintf(stderr,
            "loadgen: %d calls (%d at once): %d connected, %d failed, %d closed by hark; "
            "hark cpu %.1f%% rss %.1f MB; gaps p50 %.1f p99 %.1f max %.1f ms, %.2f%% > 40 ms; "
            "delivered %.2f%%; marks %llu/%llu\n",
            G.total, G.calls, G.connected, G.failed, G.closed_by_hark, cpu, G.rss_peak_kb / 1024.0,
            gap_q(0.50), gap_q(0.99), G.gap_max * 1000.0, pct(G.gaps_over40, G.ngaps),
            pct(G.rx_bytes, G.exp_bytes), (unsigned long long)G.marks_echoed,
            (unsigned long long)G.marks_rx);
    hk_http_client_free(G.http);
    lg_ws_shutdown();
    free(G.b64);
    free(G.c);
    return G.failed ? 1 : 0;
}
