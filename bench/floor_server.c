/* bench/floor_server: the transport floor under hark serve. It answers the
 * Twilio webhook and serves Media Streams on hark's own server layer
 * (net/http_server: libwebsockets on libev, the same limits and queues) and
 * message code (telephony/twilio_msg: cJSON parse with the payload's base64
 * decoded, the outbound media and mark messages), with nothing else: no
 * session, VAD, transcriber, recorder, agent or store. Each call gets a
 * per-call 20 ms timer on an absolute schedule, as hark's pacer, that sends
 * the greeting's frames and a mark every 200 ms, then falls silent.
 *
 * bench/scale.sh runs it as the "floor" kind in place of hark serve, so its
 * rows show what one core spends before any call logic: the distance from
 * a hark row to the floor row at the same N is what hark's own work costs.
 * It verifies no signature or token (it is never a server for real calls).
 *
 * usage: floor_server --port P --greeting WAV (8 kHz mono); prints nothing,
 * logs errors to stderr, stops on SIGTERM or SIGINT. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "core/json_arena.h"
#include "media/g711.h"
#include "media/wav.h"
#include "net/http_server.h"
#include "telephony/twilio_msg.h"

#define FRAME 160 /* 20 ms of 8 kHz mu-law */

typedef struct floor_call {
    hk_conn *conn;
    ev_timer pacer;
    double next;
    size_t pos; /* bytes of the greeting sent */
    int frames_since_mark, started;
    char stream_sid[64];
} floor_call;

static struct {
    struct ev_loop *loop;
    uint8_t *greeting;
    size_t greeting_len;
    int port;
} F;

static hk_twilio_msg g_msg; /* one message at a time, as hark's twilio_stream */

static void send_text(floor_call *c, const char *msg, int n) {
    if (n > 0) hk_conn_send_text(c->conn, msg, (size_t)n);
}

static void pacer_tick(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)revents;
    floor_call *c = w->data;
    if (c->pos >= F.greeting_len) return; /* the greeting is over: silent from now on */
    uint8_t frame[FRAME];
    size_t k = F.greeting_len - c->pos < FRAME ? F.greeting_len - c->pos : FRAME;
    memcpy(frame, F.greeting + c->pos, k);
    memset(frame + k, HK_ULAW_SILENCE, FRAME - k); /* the last frame, padded as hark pads */
    char msg[512];
    send_text(c, msg, hk_twilio_msg_build_media(msg, sizeof msg, c->stream_sid, frame, FRAME));
    c->pos += k;
    if (++c->frames_since_mark >= 10) {
        char name[40];
        snprintf(name, sizeof name, "pos-%zu", c->pos);
        send_text(c, msg, hk_twilio_msg_build_mark(msg, sizeof msg, c->stream_sid, name));
        c->frames_since_mark = 0;
    }
    c->next += 0.020;
    double delay = c->next - ev_now(loop);
    if (delay < -0.2) { /* far behind: resync, as hark does */
        c->next = ev_now(loop) + 0.020;
        delay = 0.020;
    }
    ev_timer_set(w, delay > 0 ? delay : 0, 0);
    ev_timer_start(loop, w);
}

static void on_http(void *ud, const hk_http_request *req, hk_http_response *resp) {
    (void)ud;
    resp->status = 200;
    if (strcmp(req->path, "/healthz") == 0) {
        snprintf(resp->content_type, sizeof resp->content_type, "application/json");
        resp->body = strdup("{\"status\":\"ok\"}\n");
        resp->len = strlen(resp->body);
        return;
    }
    /* any POST is the incoming-call webhook: TwiML connecting a stream */
    char sid[64] = "CA0";
    const char *p = req->body ? strstr(req->body, "CallSid=") : NULL;
    if (p) sscanf(p + 8, "%63[A-Za-z0-9]", sid);
    char twiml[512];
    int n = snprintf(twiml, sizeof twiml,
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Connect><Stream "
                     "url=\"ws://127.0.0.1:%d/voice/stream/%s\"><Parameter name=\"token\" "
                     "value=\"floor\"/></Stream></Connect></Response>",
                     F.port, sid);
    snprintf(resp->content_type, sizeof resp->content_type, "text/xml");
    resp->body = strndup(twiml, (size_t)n);
    resp->len = (size_t)n;
}

static void *on_ws_open(void *ud, hk_conn *conn, const char *path, const char *sig) {
    (void)ud, (void)path, (void)sig;
    floor_call *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->conn = conn;
    ev_timer_init(&c->pacer, pacer_tick, 0.020, 0);
    c->pacer.data = c;
    return c;
}

static void on_ws_text(void *state, const char *data, size_t len) {
    floor_call *c = state;
    char err[256];
    if (hk_twilio_msg_parse(data, len, &g_msg, err, sizeof err) != HK_TWILIO_MSG_OK) {
        fprintf(stderr, "floor_server: %s\n", err);
        return;
    }
    if (g_msg.kind == HK_TWILIO_MSG_START && !c->started) {
        c->started = 1;
        hk_conn_trust(c->conn);
        snprintf(c->stream_sid, sizeof c->stream_sid, "%s", g_msg.stream_sid);
        c->next = ev_now(F.loop) + 0.020;
        ev_timer_start(F.loop, &c->pacer);
    } else if (g_msg.kind == HK_TWILIO_MSG_STOP) {
        hk_conn_close(c->conn);
    }
}

static void on_ws_closed(void *state) {
    floor_call *c = state;
    ev_timer_stop(F.loop, &c->pacer);
    free(c);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents) {
    (void)w, (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

int main(int argc, char **argv) {
    const char *wav = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port")) F.port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--greeting")) wav = argv[i + 1];
    }
    if (F.port <= 0 || !wav) {
        fprintf(stderr, "usage: floor_server --port P --greeting WAV\n");
        return 2;
    }
    char err[512];
    hk_wav w;
    if (hk_wav_read_file(wav, &w, err, sizeof err) != 0 || w.rate != 8000) {
        fprintf(stderr, "floor_server: %s: %s\n", wav, w.rate != 8000 ? "need 8 kHz" : err);
        return 1;
    }
    int16_t *mono = hk_wav_to_mono(&w);
    F.greeting_len = w.frames;
    F.greeting = malloc(F.greeting_len ? F.greeting_len : 1);
    if (!mono || !F.greeting) return 1;
    hk_ulaw_encode_buf(mono, F.greeting, F.greeting_len);
    free(mono);
    hk_wav_free(&w);
    hk_json_arena_install(); /* as hark's main: media parses use the arena */
    signal(SIGPIPE, SIG_IGN);
    F.loop = ev_default_loop(0);
    hk_server_handlers h = {.http = on_http, .ws_open = on_ws_open, .ws_text = on_ws_text,
                            .ws_closed = on_ws_closed, .max_connections = 20000};
    hk_server *srv = hk_server_new(F.loop, F.port, 0, &h, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "floor_server: %s\n", err);
        return 1;
    }
    ev_signal st, si;
    ev_signal_init(&st, on_signal, SIGTERM);
    ev_signal_init(&si, on_signal, SIGINT);
    ev_signal_start(F.loop, &st);
    ev_signal_start(F.loop, &si);
    ev_run(F.loop, 0);
    hk_server_free(srv);
    free(F.greeting);
    return 0;
}
