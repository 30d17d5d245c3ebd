/* telephony/twilio_stream: see twilio_stream.h. Per message work is bounded
 * and allocation-free: messages are parsed into a struct on the stack and
 * outbound media is formatted into a fixed buffer. A stream token works
 * once: the worker remembers each CallSid that started a stream until its
 * token can no longer be valid, and refuses a second stream for it. */
#include "telephony/twilio_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/call.h"
#include "core/log.h"
#include "cluster/call_limits.h"
#include "core/pool.h"
#include "media/recorder.h"
#include "media/g711.h"
#include "net/s3.h"
#include "telephony/signature.h"
#include "telephony/stream_token.h"
#include "telephony/twilio_msg.h"
#include "telephony/twilio_rest.h"
#include "telephony/twiml.h"
#include "telephony/twilio_webhook.h"

typedef struct tw_stream {
    hk_app *app;
    hk_conn *conn;        /* NULL once the socket is gone */
    char call_sid[64];
    char stream_sid[64];
    hk_call *call;
    uint8_t frame[HK_FRAME_SAMPLES]; /* inbound audio not yet a whole frame */
    size_t frame_len;
    int closing;
    int bad_messages;
    char transfer_to[40];
    /* an API assistant's agent is being read (on_start): the start
     * message's fields wait here, and a socket closed meanwhile leaves the
     * freeing to the read's answer */
    int loading, gone;
    char from[40], to[40], tenant[37];
    int inbound;
} tw_stream;

/* CallSids whose token was used, with the time after which that token has
 * expired anyway (then the entry is dropped). One list per worker. */
typedef struct used_sid {
    char call_sid[64];
    int64_t until;
} used_sid;
static used_sid *g_used;
static size_t g_used_n, g_used_cap;

/* 1 if call_sid already had a stream (its token is spent); else records it. */
static int token_spent(const char *call_sid, int64_t now, int64_t until) {
    size_t w = 0;
    int found = 0;
    for (size_t i = 0; i < g_used_n; i++) {
        if (g_used[i].until <= now) continue; /* expired: forget */
        if (strcmp(g_used[i].call_sid, call_sid) == 0) found = 1;
        g_used[w++] = g_used[i];
    }
    g_used_n = w;
    if (found) return 1;
    if (g_used_n == g_used_cap) {
        size_t cap = g_used_cap ? g_used_cap * 2 : 64;
        used_sid *nu = realloc(g_used, cap * sizeof *nu);
        if (!nu) return 1; /* cannot remember it: refuse rather than allow a replay */
        g_used = nu;
        g_used_cap = cap;
    }
    snprintf(g_used[g_used_n].call_sid, sizeof g_used[g_used_n].call_sid, "%s", call_sid);
    g_used[g_used_n++].until = until;
    return 0;
}

static void send_text(tw_stream *s, const char *msg, int n) {
    if (!s->conn || n <= 0) return;
    if (hk_conn_send_text(s->conn, msg, (size_t)n) != 0)
        hk_log(HK_LOG_WARN, s->call_sid, "stream_backlog", "outbound queue full: message dropped");
}

static void io_audio(void *ud, const uint8_t *ulaw, size_t n) {
    tw_stream *s = ud;
    char msg[512];
    send_text(s, msg, hk_twilio_msg_build_media(msg, sizeof msg, s->stream_sid, ulaw, n));
}

static void io_mark(void *ud, const char *name) {
    tw_stream *s = ud;
    char msg[256];
    send_text(s, msg, hk_twilio_msg_build_mark(msg, sizeof msg, s->stream_sid, name));
}

static void io_clear(void *ud) {
    tw_stream *s = ud;
    char msg[256];
    send_text(s, msg, hk_twilio_msg_build_clear(msg, sizeof msg, s->stream_sid));
}

static int io_transfer(void *ud, const char *number) {
    tw_stream *s = ud;
    /* carried out when the call ends (after the agent's last words): a REST
     * update redirects the call to the signed connect-status URL that dials */
    snprintf(s->transfer_to, sizeof s->transfer_to, "%s", number);
    return 0;
}

static void rest_done(void *ud, const char *sid, int status, const char *err) {
    char *call_sid = ud;
    if (sid) hk_log(HK_LOG_INFO, call_sid, "twilio_call_updated", "HTTP %d", status);
    else hk_log(HK_LOG_WARN, call_sid, "twilio_update_failed", "%s", err ? err : "failed");
    free(call_sid);
}

/* The agent ended the call: tell Twilio (hang up, or dial the transfer
 * number). A caller who hung up needs nothing. */
static void rest_finish(tw_stream *s, const char *reason) {
    if (!strcmp(reason, "customer-ended-call") || !s->app->http) return;
    char twiml[1024], url[768], err[256];
    const char *t = NULL;
    if (s->transfer_to[0]) {
        if (hk_twilio_transfer_url(s->app, s->call_sid, s->transfer_to, url, sizeof url) > 0 &&
            hk_twiml_redirect(twiml, sizeof twiml, url) > 0)
            t = twiml;
        else hk_log(HK_LOG_WARN, s->call_sid, "transfer_failed", "cannot build the transfer URL");
    }
    char *ud = strdup(s->call_sid);
    if (hk_twilio_update_call(s->app->http, s->app->cfg, s->call_sid, t, rest_done, ud, err,
                              sizeof err) != 0) {
        hk_log(HK_LOG_WARN, s->call_sid, "twilio_update_failed", "%s", err);
        free(ud);
    }
}

/* The recording was streamed to <dir>/<CallSid>.wav.part on the pool as the
 * call went (hk_recorder_new_file); closing it writes the last chunk, fixes
 * the header and renames it, still on the pool. With AWS_S3_BUCKET set, the
 * saved file is then uploaded (streamed from the file) as
 * recordings/<CallSid>.wav; the job carries copies of the S3 settings and the
 * app (which outlives every call) for its http client. */
typedef struct rec_job {
    hk_app *app;
    char path[600];
    char call_sid[64];
    char *s3[5]; /* bucket, region, access key, secret key, endpoint (NULL: AWS) */
} rec_job;

static void rec_job_free(rec_job *r) {
    for (int i = 0; i < 5; i++) free(r->s3[i]);
    free(r);
}

static void rec_uploaded(void *ud, const char *url, const char *err) {
    rec_job *r = ud;
    if (url) {
        hk_log(HK_LOG_INFO, r->call_sid, "recording_uploaded", "%s", url);
        if (r->app->store) hk_store_call_recording(r->app->store, HK_DEFAULT_TENANT, r->call_sid, url);
    } else hk_log(HK_LOG_ERROR, r->call_sid, "recording_upload_failed", "%s: %s", r->path, err);
    rec_job_free(r);
}

static void rec_closed(void *ud, const hk_recorder_result *res) {
    rec_job *r = ud;
    if (res->rc != 0) {
        hk_log(HK_LOG_ERROR, r->call_sid, "recording_failed", "%s: %s", r->path, res->err);
        rec_job_free(r);
        return;
    }
    if (res->dropped)
        hk_log(HK_LOG_WARN, r->call_sid, "recording_gaps", "%zu frames lost (late or the disk fell behind)",
               res->dropped);
    hk_log(HK_LOG_INFO, r->call_sid, "recording_saved", "%s", r->path);
    if (!r->s3[0]) {
        rec_job_free(r);
        return;
    }
    /* the worker is stopping (its loop has returned: the pool is handing back
     * its last jobs, the http client may be gone): the file stays on disk */
    if (ev_depth(r->app->loop) == 0) {
        hk_log(HK_LOG_WARN, r->call_sid, "recording_upload_failed", "%s: not uploaded, the worker is stopping",
               r->path);
        rec_job_free(r);
        return;
    }
    hk_s3_config c = {.bucket = r->s3[0], .region = r->s3[1], .access_key = r->s3[2],
                      .secret_key = r->s3[3], .endpoint = r->s3[4], .path_style = r->s3[4] != NULL};
    char key[128], err[512];
    snprintf(key, sizeof key, "recordings/%s.wav", r->call_sid);
    if (hk_s3_put_file(r->app->http, &c, key, r->path, "audio/wav", rec_uploaded, r, err, sizeof err) != 0) {
        hk_log(HK_LOG_ERROR, r->call_sid, "recording_upload_failed", "%s: %s", r->path, err);
        rec_job_free(r);
    }
}

static char *cfg_dup(const hk_config *cfg, hk_config_key k, const char *def) {
    const char *v = hk_config_str(cfg, k);
    return v && *v ? strdup(v) : def ? strdup(def) : NULL;
}

static void save_recording(tw_stream *s) {
    const char *dir = hk_config_str(s->app->cfg, HK_CFG_HARK_RECORDINGS_DIR);
    if (!s->call->rec || !dir) return;
    rec_job *r = calloc(1, sizeof *r);
    hk_recorder *rec = s->call->rec;
    s->call->rec = NULL;
    r->app = s->app;
    snprintf(r->path, sizeof r->path, "%s/%s.wav", dir, s->call_sid);
    snprintf(r->call_sid, sizeof r->call_sid, "%s", s->call_sid);
    const hk_config *cfg = s->app->cfg;
    if (s->app->http && (r->s3[0] = cfg_dup(cfg, HK_CFG_AWS_S3_BUCKET, NULL))) {
        r->s3[1] = cfg_dup(cfg, HK_CFG_AWS_REGION, "us-east-1");
        r->s3[2] = cfg_dup(cfg, HK_CFG_AWS_ACCESS_KEY_ID, NULL);
        r->s3[3] = cfg_dup(cfg, HK_CFG_AWS_SECRET_ACCESS_KEY, NULL);
        r->s3[4] = cfg_dup(cfg, HK_CFG_AWS_S3_ENDPOINT, NULL);
    }
    hk_recorder_close(rec, rec_closed, r);
}

static void io_ended(void *ud, const char *reason) {
    tw_stream *s = ud;
    s->app->live_calls--;
    hk_call_limits_release(s->call_sid);
    save_recording(s);
    rest_finish(s, reason);
    hk_log(HK_LOG_INFO, s->call_sid, "stream_call_ended", "%s", reason);
    /* the agent ended it: closing the stream sends Twilio to <Connect action> */
    if (s->conn && !s->closing) {
        s->closing = 1;
        hk_conn_close(s->conn);
    }
}

void *hk_twilio_stream_open(hk_app *app, hk_conn *conn, const char *path, const char *signature) {
    size_t n = strlen(HK_TWILIO_STREAM_PREFIX);
    if (strncmp(path, HK_TWILIO_STREAM_PREFIX, n) != 0 || !path[n] || strlen(path + n) >= 64)
        return NULL;
    if (signature && signature[0]) {
        /* Twilio signs the upgrade over the wss:// URL with no parameters */
        char url[512];
        snprintf(url, sizeof url, "%s%s", app->stream_base, path);
        const char *token = hk_config_str(app->cfg, HK_CFG_TWILIO_AUTH_TOKEN);
        if (!token || !hk_twilio_verify(token, signature, url, NULL, 0)) {
            hk_log(HK_LOG_WARN, path + n, "stream_rejected", "bad X-Twilio-Signature on upgrade");
            return NULL;
        }
    }
    tw_stream *s = calloc(1, sizeof *s);
    s->app = app;
    s->conn = conn;
    snprintf(s->call_sid, sizeof s->call_sid, "%s", path + n);
    return s;
}

static void reject(tw_stream *s, const char *why) {
    hk_log(HK_LOG_WARN, s->call_sid, "stream_rejected", "%s", why);
    if (s->conn && !s->closing) {
        s->closing = 1;
        hk_conn_close(s->conn);
    }
}

/* The agent is known (a reference, or NULL): the call starts. */
static void start_call(tw_stream *s, hk_agent *a) {
    if (!a) return reject(s, "the agent of this call is gone");
    char rec_url[600] = "";
    const char *recdir = hk_config_str(s->app->cfg, HK_CFG_HARK_RECORDINGS_DIR);
    if (recdir) snprintf(rec_url, sizeof rec_url, "file://%s/%s.wav", recdir, s->call_sid);
    hk_call_opts o = {.loop = s->app->loop, .clock = s->app->clock, .id = s->call_sid,
                      .from = s->from[0] ? s->from : NULL, .to = s->to[0] ? s->to : NULL,
                      .record = 1, .store = s->app->store,
                      .recording_url = rec_url, .inbound = s->inbound,
                      .tenant_id = s->tenant[0] ? s->tenant : NULL};
    hk_vad_config_default(&o.vad);
    hk_call_io io = {.ud = s, .send_audio = io_audio, .ended = io_ended, .mark = io_mark,
                     .clear = io_clear, .transfer = io_transfer};
    char err[512];
    s->call = hk_call_new(a, &o, &io, err, sizeof err);
    hk_agent_unref(a);
    if (!s->call) return reject(s, err);
    /* the recording goes to disk as the call is made (see save_recording);
     * with nowhere to save it there is nothing to keep */
    hk_recorder_free(s->call->rec);
    s->call->rec = NULL;
    hk_pool *pool = hk_pool_global();
    if (recdir && pool) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s.wav", recdir, s->call_sid);
        s->call->rec = hk_recorder_new_file(8000, path, pool);
    }
    s->app->live_calls++;
    hk_call_start(s->call);
}

static void api_agent(void *ud, hk_agent *a, long long version_ms, const char *err) {
    (void)version_ms;
    tw_stream *s = ud;
    s->loading = 0;
    if (s->gone) { /* the socket closed while the assistant was read */
        if (a) hk_agent_unref(a);
        free(s);
        return;
    }
    if (err) hk_log(HK_LOG_ERROR, s->call_sid, "assistant_unavailable", "%s", err);
    start_call(s, a);
}

static void on_start(tw_stream *s, const hk_twilio_msg *m) {
    if (s->loading) return reject(s, "second start message");
    if (s->call) return reject(s, "second start message");
    if (strcmp(m->call_sid, s->call_sid) != 0) return reject(s, "start.callSid differs from the URL");
    if (strcmp(m->encoding, "audio/x-mulaw") != 0 || m->sample_rate != 8000 || m->channels != 1)
        return reject(s, "unsupported media format (need audio/x-mulaw, 8000 Hz, mono)");
    const char *token = hk_twilio_msg_param_get(m, "token");
    char agent_id[HK_STREAM_TOKEN_FIELD_MAX + 1];
    int rc = hk_stream_token_verify(s->app->stream_secret, token ? token : "", s->call_sid,
                                    (int64_t)time(NULL), agent_id, sizeof agent_id);
    if (rc != HK_STREAM_TOKEN_OK) {
        char why[128];
        snprintf(why, sizeof why, "stream token: %s", hk_stream_token_strerror(rc));
        return reject(s, why);
    }
    /* the token's expiry is at most ttl from now: remember the sid that long */
    int64_t now = (int64_t)time(NULL);
    if (token_spent(s->call_sid, now, now + s->app->stream_token_ttl_s + 1))
        return reject(s, "this call already had a stream (a stream token works once)");
    if (s->conn) hk_conn_trust(s->conn);
    snprintf(s->stream_sid, sizeof s->stream_sid, "%s", m->stream_sid);
    const char *from = hk_twilio_msg_param_get(m, "from"), *to = hk_twilio_msg_param_get(m, "to");
    snprintf(s->from, sizeof s->from, "%s", from ? from : "");
    snprintf(s->to, sizeof s->to, "%s", to ? to : "");
    const char *dir = hk_twilio_msg_param_get(m, "direction");
    s->inbound = !dir || strcmp(dir, "inbound") == 0;
    /* an API assistant: "api:<tenant>:<id>:<version ms>" (twilio_webhook.c) */
    char tenant[37], id[37];
    long long version = 0;
    if (!strncmp(agent_id, "api:", 4)) {
        if (sscanf(agent_id + 4, "%36[^:]:%36[^:]:%lld", tenant, id, &version) != 3 || version <= 0)
            return reject(s, "stream token: malformed agent");
        snprintf(s->tenant, sizeof s->tenant, "%s", tenant);
        s->loading = 1;
        hk_agent_dir_get_api(s->app->agents, s->app->store, tenant, id, version, api_agent, s);
        return;
    }
    start_call(s, hk_agent_dir_get(s->app->agents, agent_id));
}

static void on_media(tw_stream *s, const hk_twilio_msg *m) {
    if (!s->call || s->call->ended) return;
    const uint8_t *p = m->payload;
    size_t left = m->payload_len;
    /* Twilio's frames are 20 ms: fed straight through, no copy */
    if (s->frame_len == 0 && left == HK_FRAME_SAMPLES) {
        hk_session_feed(s->call, p, HK_FRAME_SAMPLES);
        return;
    }
    while (left > 0) {
        size_t k = HK_FRAME_SAMPLES - s->frame_len;
        if (k > left) k = left;
        memcpy(s->frame + s->frame_len, p, k);
        s->frame_len += k;
        p += k;
        left -= k;
        if (s->frame_len == HK_FRAME_SAMPLES) {
            hk_session_feed(s->call, s->frame, HK_FRAME_SAMPLES);
            s->frame_len = 0;
            if (!s->call || s->call->ended) return;
        }
    }
}

/* ~10 KB: one per worker, not on the stack (messages are handled one at a time) */
static hk_twilio_msg g_msg;

void hk_twilio_stream_text(void *state, const char *data, size_t len) {
    tw_stream *s = state;
    hk_twilio_msg *mp = &g_msg;
    char err[256];
    if (hk_twilio_msg_parse(data, len, mp, err, sizeof err) != HK_TWILIO_MSG_OK) {
        /* one malformed message closes this stream only after a few: Twilio
         * never sends one, so a peer that does is broken or hostile */
        hk_log(HK_LOG_WARN, s->call_sid, "stream_bad_message", "%s", err);
        if (++s->bad_messages >= 3) reject(s, "too many malformed messages");
        return;
    }
    switch (mp->kind) {
    case HK_TWILIO_MSG_CONNECTED: break;
    case HK_TWILIO_MSG_START: on_start(s, mp); break;
    case HK_TWILIO_MSG_MEDIA: on_media(s, mp); break;
    case HK_TWILIO_MSG_MARK:
        if (s->call) hk_session_mark_played(s->call, mp->mark_name);
        break;
    case HK_TWILIO_MSG_DTMF:
        if (s->call && !s->call->ended) hk_session_dtmf(s->call, mp->digit);
        break;
    case HK_TWILIO_MSG_STOP:
        if (s->call && !s->call->ended) hk_call_end(s->call, "customer-ended-call");
        break;
    default:
        hk_log(HK_LOG_DEBUG, s->call_sid, "stream_unknown_event", "%s", mp->event);
    }
}

void hk_twilio_stream_closed(void *state) {
    tw_stream *s = state;
    s->conn = NULL;
    if (s->loading) { /* api_agent frees it */
        s->gone = 1;
        return;
    }
    if (s->call) {
        if (!s->call->ended) hk_call_end(s->call, "customer-ended-call");
        hk_call_free(s->call);
    }
    free(s);
}
