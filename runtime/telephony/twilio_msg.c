/* telephony/twilio_msg: see twilio_msg.h. Owns the Media Streams message
 * format in both directions; knows nothing of sockets or calls. */
#include "telephony/twilio_msg.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/json_arena.h"
#include "net/base64.h"

typedef struct {
    char *err;
    size_t cap;
} perr;

static int fail(perr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(perr *e, const char *fmt, ...)
{
    if (e->err && e->cap) {
        int n = snprintf(e->err, e->cap, "twilio_msg: ");
        if (n >= 0 && (size_t)n < e->cap) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(e->err + n, e->cap - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return HK_TWILIO_MSG_EMALFORMED;
}

/* Copies obj[key] (a string of fewer than cap bytes) to dst. Absent: 0 when
 * optional, an error when required. */
static int get_str(perr *e, const cJSON *obj, const char *key, char *dst, size_t cap, int required)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!it)
        return required ? fail(e, "missing \"%s\"", key) : 0;
    if (!cJSON_IsString(it) || !it->valuestring)
        return fail(e, "\"%s\" is not a string", key);
    size_t n = strlen(it->valuestring);
    if (n >= cap)
        return fail(e, "\"%s\" is too long (%zu bytes)", key, n);
    memcpy(dst, it->valuestring, n + 1);
    return 0;
}

/* A non-negative integer sent as a decimal string (Twilio's way) or a number. */
static int get_int(perr *e, const cJSON *obj, const char *key, int64_t *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!it)
        return 0;
    if (cJSON_IsNumber(it)) {
        double d = it->valuedouble;
        if (!(d >= 0 && d <= 9007199254740992.0) || floor(d) != d)
            return fail(e, "\"%s\" is not a non-negative integer", key);
        *out = (int64_t)d;
        return 0;
    }
    if (!cJSON_IsString(it) || !it->valuestring)
        return fail(e, "\"%s\" is not a string", key);
    const char *s = it->valuestring;
    size_t n = strlen(s);
    if (n == 0 || n > 18)
        return fail(e, "\"%s\" is not a non-negative integer", key);
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return fail(e, "\"%s\" is not a non-negative integer", key);
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static const cJSON *get_obj(perr *e, const cJSON *obj, const char *key, int required, int *rc)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    *rc = 0;
    if (!it) {
        if (required)
            *rc = fail(e, "missing \"%s\"", key);
        return NULL;
    }
    if (!cJSON_IsObject(it)) {
        *rc = fail(e, "\"%s\" is not an object", key);
        return NULL;
    }
    return it;
}

static int parse_start(perr *e, const cJSON *root, hk_twilio_msg *m)
{
    int rc;
    const cJSON *st = get_obj(e, root, "start", 1, &rc);
    if (rc)
        return rc;
    if (get_str(e, st, "callSid", m->call_sid, sizeof m->call_sid, 1)
        || get_str(e, st, "accountSid", m->account_sid, sizeof m->account_sid, 0))
        return HK_TWILIO_MSG_EMALFORMED;
    if (!m->stream_sid[0] && get_str(e, st, "streamSid", m->stream_sid, sizeof m->stream_sid, 1))
        return HK_TWILIO_MSG_EMALFORMED;
    const cJSON *cp = get_obj(e, st, "customParameters", 0, &rc);
    if (rc)
        return rc;
    const cJSON *p;
    cJSON_ArrayForEach(p, cp) {
        if (m->n_params >= HK_TWILIO_MSG_PARAMS_MAX)
            return fail(e, "more than %d customParameters", HK_TWILIO_MSG_PARAMS_MAX);
        hk_twilio_msg_param *kv = &m->params[m->n_params];
        if (!p->string || strlen(p->string) >= sizeof kv->name)
            return fail(e, "customParameters name too long");
        if (!cJSON_IsString(p) || !p->valuestring)
            return fail(e, "customParameters \"%s\" is not a string", p->string);
        if (strlen(p->valuestring) >= sizeof kv->value)
            return fail(e, "customParameters \"%s\" is too long", p->string);
        strcpy(kv->name, p->string);
        strcpy(kv->value, p->valuestring);
        m->n_params++;
    }
    const cJSON *mf = get_obj(e, st, "mediaFormat", 0, &rc);
    if (rc)
        return rc;
    if (mf) {
        if (get_str(e, mf, "encoding", m->encoding, sizeof m->encoding, 0))
            return HK_TWILIO_MSG_EMALFORMED;
        int64_t rate = 0, ch = 0;
        if (get_int(e, mf, "sampleRate", &rate) || get_int(e, mf, "channels", &ch))
            return HK_TWILIO_MSG_EMALFORMED;
        if (rate > 384000 || ch > 8)
            return fail(e, "mediaFormat out of range");
        m->sample_rate = (int)rate;
        m->channels = (int)ch;
    }
    return 0;
}

static int parse_media(perr *e, const cJSON *root, hk_twilio_msg *m)
{
    int rc;
    const cJSON *md = get_obj(e, root, "media", 1, &rc);
    if (rc)
        return rc;
    if (get_str(e, md, "track", m->track, sizeof m->track, 0) || get_int(e, md, "chunk", &m->chunk)
        || get_int(e, md, "timestamp", &m->timestamp))
        return HK_TWILIO_MSG_EMALFORMED;
    const cJSON *pl = cJSON_GetObjectItemCaseSensitive(md, "payload");
    if (!pl)
        return fail(e, "missing \"payload\"");
    if (!cJSON_IsString(pl) || !pl->valuestring)
        return fail(e, "\"payload\" is not a string");
    long n = hk_base64_decode(pl->valuestring, strlen(pl->valuestring), m->payload, sizeof m->payload);
    if (n < 0)
        return fail(e, "\"payload\" is not base64 of at most %d bytes", HK_TWILIO_MSG_PAYLOAD_MAX);
    m->payload_len = (size_t)n;
    return 0;
}

static int parse_event(perr *e, const cJSON *root, hk_twilio_msg *m)
{
    int rc;
    const cJSON *o;
    switch (m->kind) {
    case HK_TWILIO_MSG_CONNECTED:
        if (get_str(e, root, "protocol", m->protocol, sizeof m->protocol, 0)
            || get_str(e, root, "version", m->version, sizeof m->version, 0))
            return HK_TWILIO_MSG_EMALFORMED;
        return 0;
    case HK_TWILIO_MSG_START:
        return parse_start(e, root, m);
    case HK_TWILIO_MSG_MEDIA:
        return parse_media(e, root, m);
    case HK_TWILIO_MSG_MARK:
        o = get_obj(e, root, "mark", 1, &rc);
        return rc ? rc : get_str(e, o, "name", m->mark_name, sizeof m->mark_name, 1);
    case HK_TWILIO_MSG_DTMF:
        o = get_obj(e, root, "dtmf", 1, &rc);
        if (rc || get_str(e, o, "track", m->track, sizeof m->track, 0)
            || get_str(e, o, "digit", m->digit, sizeof m->digit, 1))
            return HK_TWILIO_MSG_EMALFORMED;
        if (strlen(m->digit) != 1 || !strchr("0123456789*#ABCD", m->digit[0]))
            return fail(e, "\"digit\" is not a DTMF digit");
        return 0;
    case HK_TWILIO_MSG_STOP:
        o = get_obj(e, root, "stop", 0, &rc);
        if (rc || get_str(e, o, "callSid", m->call_sid, sizeof m->call_sid, 0)
            || get_str(e, o, "accountSid", m->account_sid, sizeof m->account_sid, 0))
            return HK_TWILIO_MSG_EMALFORMED;
        return 0;
    case HK_TWILIO_MSG_UNKNOWN:
        return 0;
    }
    return 0;
}

static const char *const KIND_NAMES[] = {"unknown", "connected", "start", "media", "mark", "dtmf", "stop"};

const char *hk_twilio_msg_kind_name(hk_twilio_msg_kind k)
{
    return (unsigned)k < sizeof KIND_NAMES / sizeof KIND_NAMES[0] ? KIND_NAMES[k] : "unknown";
}

/* Resets what a parse may set; params beyond n_params are never read, so the
 * 9 KB array is not cleared on every media frame. */
static void reset(hk_twilio_msg *m)
{
    m->kind = HK_TWILIO_MSG_UNKNOWN;
    m->event[0] = m->stream_sid[0] = m->call_sid[0] = m->account_sid[0] = '\0';
    m->track[0] = m->encoding[0] = m->protocol[0] = m->version[0] = '\0';
    m->mark_name[0] = m->digit[0] = '\0';
    m->sequence_number = m->chunk = m->timestamp = -1;
    m->payload_len = 0;
    m->sample_rate = m->channels = m->n_params = 0;
}

int hk_twilio_msg_parse(const char *text, size_t len, hk_twilio_msg *m, char *err, size_t errcap)
{
    perr e = {err, errcap};
    if (err && errcap)
        err[0] = '\0';
    reset(m);
    if (!text)
        return fail(&e, "no input");
    const char *end = NULL;
    /* the tree lives only in this function: its nodes come from the arena */
    hk_json_arena_begin();
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        hk_json_arena_end();
        return fail(&e, "invalid JSON near byte %zu", end && end >= text ? (size_t)(end - text) : (size_t)0);
    }
    /* cJSON stops at the end of the first value: anything after it but
     * whitespace means this was not one JSON object. */
    size_t pos = end ? (size_t)(end - text) : len;
    while (pos < len && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r'))
        pos++;
    int rc = 0;
    if (pos < len)
        rc = fail(&e, "trailing bytes after the JSON object");
    else if (!cJSON_IsObject(root))
        rc = fail(&e, "not a JSON object");
    if (!rc) {
        const cJSON *ev = cJSON_GetObjectItemCaseSensitive(root, "event");
        if (!cJSON_IsString(ev) || !ev->valuestring) {
            rc = fail(&e, "missing \"event\"");
        } else {
            size_t n = strlen(ev->valuestring);
            if (n >= sizeof m->event)
                n = sizeof m->event - 1; /* kept for the log only: cut is fine */
            memcpy(m->event, ev->valuestring, n);
            m->event[n] = '\0';
            for (int k = HK_TWILIO_MSG_CONNECTED; k <= HK_TWILIO_MSG_STOP; k++)
                if (strcmp(ev->valuestring, KIND_NAMES[k]) == 0)
                    m->kind = (hk_twilio_msg_kind)k;
            if (m->kind != HK_TWILIO_MSG_UNKNOWN)
                rc = get_str(&e, root, "streamSid", m->stream_sid, sizeof m->stream_sid, 0);
            if (!rc && m->kind != HK_TWILIO_MSG_UNKNOWN)
                rc = get_int(&e, root, "sequenceNumber", &m->sequence_number);
            if (!rc)
                rc = parse_event(&e, root, m);
        }
    }
    cJSON_Delete(root);
    hk_json_arena_end();
    if (rc) {
        hk_twilio_msg_kind k = m->kind;
        reset(m);
        m->kind = k;
    }
    return rc;
}

const char *hk_twilio_msg_param_get(const hk_twilio_msg *m, const char *name)
{
    for (int i = 0; i < m->n_params; i++)
        if (strcmp(m->params[i].name, name) == 0)
            return m->params[i].value;
    return NULL;
}

/* Sids and mark names go into JSON unescaped: refuse anything needing escape. */
static int json_safe(const char *s)
{
    if (!s)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == '"' || *p == '\\')
            return 0;
    return 1;
}

static int done(int n, size_t cap)
{
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* Appends n bytes at *at if they fit (leaving room for the NUL). */
static int put(char *out, size_t cap, size_t *at, const char *s, size_t n)
{
    if (n >= cap - *at)
        return -1;
    memcpy(out + *at, s, n);
    *at += n;
    return 0;
}

/* 50 times a second per call: plain copies, no printf */
int hk_twilio_msg_build_media(char *out, size_t cap, const char *stream_sid, const uint8_t *audio, size_t n)
{
    static const char head[] = "{\"event\":\"media\",\"streamSid\":\"";
    static const char mid[] = "\",\"media\":{\"payload\":\"";
    static const char tail[] = "\"}}";
    if (!out || !cap || !json_safe(stream_sid) || (n && !audio))
        return -1;
    size_t at = 0;
    if (put(out, cap, &at, head, sizeof head - 1) || put(out, cap, &at, stream_sid, strlen(stream_sid))
        || put(out, cap, &at, mid, sizeof mid - 1))
        return -1;
    long b = hk_base64_encode(audio, n, out + at, cap - at);
    if (b < 0)
        return -1;
    at += (size_t)b;
    if (put(out, cap, &at, tail, sizeof tail - 1) || at > INT_MAX)
        return -1;
    out[at] = '\0';
    return (int)at;
}

int hk_twilio_msg_build_mark(char *out, size_t cap, const char *stream_sid, const char *name)
{
    if (!out || !json_safe(stream_sid) || !json_safe(name))
        return -1;
    return done(snprintf(out, cap, "{\"event\":\"mark\",\"streamSid\":\"%s\",\"mark\":{\"name\":\"%s\"}}",
                         stream_sid, name), cap);
}

int hk_twilio_msg_build_clear(char *out, size_t cap, const char *stream_sid)
{
    if (!out || !json_safe(stream_sid))
        return -1;
    return done(snprintf(out, cap, "{\"event\":\"clear\",\"streamSid\":\"%s\"}", stream_sid), cap);
}
