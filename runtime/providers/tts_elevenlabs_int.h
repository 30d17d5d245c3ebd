/* providers/tts_elevenlabs_int: what the ElevenLabs provider's two files
 * share: tts_elevenlabs.c (requests, the stream-input WebSocket, in-order
 * delivery, timeouts, the vtable) and tts_elevenlabs_http.c (the HTTP
 * streaming fallback). Not for other files. */
#ifndef HK_PROVIDERS_TTS_ELEVENLABS_INT_H
#define HK_PROVIDERS_TTS_ELEVENLABS_INT_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"
#include "net/http_client.h"
#include "net/ws_client.h"
#include "providers/elevenlabs_msg.h"
#include "providers/tts_elevenlabs.h"

typedef struct req req;

/* One WebSocket; the ud of its callbacks. r is NULL while it is the warm one. */
typedef struct conn {
    hk_tts *t;
    req *r;
    hk_ws *ws; /* NULL once on_close came or we closed it */
    int open;
    ev_tstamp opened_at;
    struct conn *next_dead;
} conn;

struct req {
    hk_tts *t;
    req *next, *next_dead;
    uint64_t id;
    hk_strbuf text; /* the request's whole text exactly as pushed (text_pos base) */
    hk_strbuf sent; /* what went to the service: each piece ends with a space */
    int last, flushed, dead, finished, ok, http_mode, retried, eos_sent;
    char err[256];
    conn *conn;
    int conn_was_warm;
    hk_http_call *http;
    hk_http_call *http_cancelling; /* its cancel is deferred (t->cancels) */
    size_t audio_bytes; /* received for this request (audio_ms base) */
    size_t cursor;      /* next byte of text to match alignment words in */
    char pw[128];       /* a word whose chars may continue in the next message */
    size_t pw_len;
    uint32_t pw_ms;
    uint8_t *held;      /* audio waiting for the earlier requests to finish */
    size_t held_n, held_cap;
    hk_word_mark *held_marks;
    size_t held_marks_n, held_marks_cap;
    int http_json;      /* the HTTP body looks like JSON: held until the status is known */
    hk_strbuf http_body;
    ev_timer timer;     /* first-audio / stalled-stream timeout */
};

struct hk_tts {
    struct ev_loop *loop;
    char log_id[64];     /* the call's id in log lines */
    hk_tts_sink sink;
    char *voice, *model, *key_header, *ws_url, *http_url;
    double stability, similarity, connect_timeout, first_audio_timeout;
    hk_http_client *http;
    req *head, *tail; /* live requests, in order */
    uint64_t last_id;
    conn *warm;
    int warm_disabled;  /* the warm socket failed to connect: wait for a request's to work */
    int depth;          /* our callbacks / sink calls on the stack */
    int in_curl;        /* inside libcurl's data callback: no hk_http_cancel now */
    int closed, pumping;
    req *dead_reqs;
    conn *dead_conns;
    hk_http_call **cancels; /* deferred hk_http_cancel */
    size_t n_cancels, cap_cancels;
    ev_timer kick;      /* runs pump/reap outside any library callback */
    hk_elevenlabs_msg msg; /* the message being read: its audio and alignment buffers are reused */
    hk_word_mark *marks;
    size_t marks_cap;
};

/* tts_elevenlabs.c: our frames on the stack (no request or connection is
 * freed inside one), the first-audio / stall timer, in-order delivery of a
 * request's audio, and its end (ok 0: err says why). */
void hk_el_enter(hk_tts *t);
void hk_el_leave(hk_tts *t);
void hk_el_arm_timer(req *r);
void hk_el_emit_audio(req *r, const uint8_t *a, size_t n);
void hk_el_finish(req *r, int ok, const char *err);
/* tts_elevenlabs_http.c: the request's text so far over HTTP streaming
 * (when the WebSocket could not be used before any audio came). */
void hk_el_start_http(req *r);

#endif
