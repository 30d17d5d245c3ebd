/* telephony/assistant_request: see assistant_request.h. Owns the request's
 * body and headers, its deadline and the parse of the reply; what the
 * reply does to the call (TwiML, the assistant) is twilio_webhook.c's. */
#include "telephony/assistant_request.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "net/http_client.h"
#include "net/webhook_sig.h"

#define AR_MAX_HEADERS 12

typedef struct ar {
    hk_ar_cb cb;
    void *ud;
    char sid[64];
    char *buf;
    size_t len;
    int overflow;
    ev_timer later; /* a request that cannot start still answers later */
    struct ev_loop *loop;
} ar;

static const cJSON *get(const cJSON *o, const char *k) {
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *get_str(const cJSON *o, const char *k) {
    const cJSON *v = get(o, k);
    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

const char *hk_ar_server_url(const cJSON *number) {
    const char *u = get_str(get(number, "server"), "url");
    if (!u) u = get_str(number, "serverUrl");
    if (u && strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) return NULL;
    return u;
}

static const char *server_secret(const cJSON *number) {
    const char *s = get_str(get(number, "server"), "secret");
    return s ? s : get_str(number, "serverUrlSecret");
}

char *hk_ar_body(const hk_ar_request *q, double now_wall) {
    cJSON *root = cJSON_CreateObject();
    cJSON *m = cJSON_AddObjectToObject(root, "message");
    cJSON_AddStringToObject(m, "type", "assistant-request");
    cJSON_AddNumberToObject(m, "timestamp", round(now_wall * 1000.0));
    cJSON *call = cJSON_AddObjectToObject(m, "call");
    cJSON_AddStringToObject(call, "id", q->call_sid);
    cJSON_AddStringToObject(call, "orgId", q->tenant);
    cJSON_AddStringToObject(call, "type", "inboundPhoneCall");
    cJSON_AddStringToObject(call, "status", "ringing");
    cJSON_AddStringToObject(call, "phoneCallProvider", "twilio");
    cJSON_AddStringToObject(call, "phoneCallProviderId", q->call_sid);
    const char *nid = get_str(q->number, "id");
    if (nid) cJSON_AddStringToObject(call, "phoneNumberId", nid);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(call, "customer"), "number", q->from);
    /* the number as the API shows it, without its secrets */
    cJSON *num = cJSON_Duplicate(q->number, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(num, "twilioAuthToken");
    cJSON_DeleteItemFromObjectCaseSensitive(num, "serverUrlSecret");
    cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(num, "server"), "secret");
    cJSON_AddItemToObject(m, "phoneNumber", num);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(m, "customer"), "number", q->from);
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return s;
}

/* A phone number to dial: E.164 (+ and 7..15 digits). */
static int e164(const char *n) {
    size_t d = 0;
    if (!n || n[0] != '+') return 0;
    for (const char *p = n + 1; *p; p++) {
        if (*p < '0' || *p > '9') return 0;
        d++;
    }
    return d >= 7 && d <= 15;
}

static void failed(hk_ar_reply *out, const char *why) {
    memset(out, 0, sizeof *out);
    out->kind = HK_AR_FAILED;
    snprintf(out->why, sizeof out->why, "%s", why);
}

void hk_ar_parse(const char *body, size_t len, hk_ar_reply *out, cJSON **keep) {
    *keep = body ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *r = *keep;
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(r)) return failed(out, "the reply is not a JSON object");
    /* Vapi's spec wraps replies in messageResponse; the docs send them bare */
    const cJSON *wrapped = get(r, "messageResponse");
    if (cJSON_IsObject(wrapped)) r = wrapped;
    const cJSON *dest = get(r, "destination"), *as = get(r, "assistant");
    const char *id = get_str(r, "assistantId"), *error = get_str(r, "error");
    if (error) {
        if (strlen(error) > 1000) return failed(out, "error is longer than 1000 characters");
        out->kind = HK_AR_ERROR;
        out->error = error;
    } else if (cJSON_IsObject(dest)) {
        const char *type = get_str(dest, "type"), *number = get_str(dest, "number");
        const char *message = get_str(dest, "message");
        if (!type || strcmp(type, "number") != 0)
            return failed(out, "destination.type is not \"number\" (sip is not supported)");
        if (!e164(number)) return failed(out, "destination.number is not an E.164 number");
        if (message && strlen(message) > 1000) return failed(out, "destination.message is too long");
        out->kind = HK_AR_DESTINATION;
        out->number = number;
        out->message = message;
    } else if (cJSON_IsObject(as)) {
        out->kind = HK_AR_ASSISTANT;
        out->assistant = (cJSON *)as;
    } else if (id) {
        if (strlen(id) > 64) return failed(out, "assistantId is too long");
        out->kind = HK_AR_ASSISTANT_ID;
        out->assistant_id = id;
    } else {
        failed(out, "the reply has no assistantId, assistant, destination or error");
    }
}

static void ar_free(ar *a) {
    free(a->buf);
    free(a);
}

static void on_data(void *ud, const char *data, size_t n) {
    ar *a = ud;
    if (a->overflow) return;
    if (a->len + n > HK_AR_MAX_REPLY) {
        a->overflow = 1;
        return;
    }
    char *grown = realloc(a->buf, a->len + n + 1);
    if (!grown) {
        a->overflow = 1;
        return;
    }
    memcpy(grown + a->len, data, n);
    a->buf = grown;
    a->len += n;
    a->buf[a->len] = 0;
}

static void on_done(void *ud, int status, const char *body, size_t len, const char *err) {
    (void)body;
    (void)len;
    ar *a = ud;
    hk_ar_reply r;
    cJSON *keep = NULL;
    if (status == 0) {
        failed(&r, err && (strstr(err, "timed out") || strstr(err, "imeout")) ? "no answer within the time limit" : "no answer");
        if (err) hk_log(HK_LOG_DEBUG, a->sid, "assistant_request_error", "%s", err);
    } else if (status < 200 || status >= 300) {
        char why[64];
        snprintf(why, sizeof why, "the server answered %d", status);
        failed(&r, why);
    } else if (a->overflow) {
        failed(&r, "the reply is over 256 KB");
    } else {
        hk_ar_parse(a->buf, a->len, &r, &keep);
    }
    hk_log(r.kind == HK_AR_FAILED ? HK_LOG_WARN : HK_LOG_INFO, a->sid, "assistant_request",
           "%s%s", r.kind == HK_AR_FAILED ? "failed: " : "answered: ",
           r.kind == HK_AR_FAILED ? r.why
           : r.kind == HK_AR_ASSISTANT_ID ? "assistantId"
           : r.kind == HK_AR_ASSISTANT ? "a transient assistant"
           : r.kind == HK_AR_DESTINATION ? "a destination number" : "an error to speak");
    a->cb(a->ud, &r);
    cJSON_Delete(keep);
    ar_free(a);
}

static void on_later(struct ev_loop *loop, ev_timer *t, int revents) {
    (void)loop;
    (void)revents;
    on_done(t->data, 0, NULL, 0, "cannot start the request");
}

int hk_assistant_request(struct ev_loop *loop, const hk_ar_request *q, hk_ar_cb cb, void *ud) {
    const char *url = hk_ar_server_url(q->number);
    if (!url) return -1;
    ar *a = calloc(1, sizeof *a);
    if (!a) abort();
    a->cb = cb;
    a->ud = ud;
    a->loop = loop;
    snprintf(a->sid, sizeof a->sid, "%s", q->call_sid);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char *body = hk_ar_body(q, (double)ts.tv_sec + ts.tv_nsec * 1e-9);
    const cJSON *server = get(q->number, "server");
    const char *secret = server_secret(q->number);
    const char *hdrs[AR_MAX_HEADERS + 1];
    char hsecret[600], hsig[160], hid[128];
    int nh = 0;
    hdrs[nh++] = "Content-Type: application/json";
    snprintf(hid, sizeof hid, "X-Hark-Delivery-Id: %s:assistant-request", q->call_sid);
    hdrs[nh++] = hid;
    if (secret && strlen(secret) < 500 && !strpbrk(secret, "\r\n")) {
        char sig[128];
        snprintf(hsecret, sizeof hsecret, "X-Vapi-Secret: %s", secret);
        hdrs[nh++] = hsecret;
        if (body && hk_webhook_signature(secret, (long long)ts.tv_sec, body, strlen(body), sig,
                                         sizeof sig) == 0) {
            snprintf(hsig, sizeof hsig, HK_WEBHOOK_SIG_HEADER ": %s", sig);
            hdrs[nh++] = hsig;
        }
    }
    /* server.headers, verbatim: names and values without line breaks */
    char *extra[AR_MAX_HEADERS];
    int ne = 0;
    const cJSON *h;
    cJSON_ArrayForEach(h, get(server, "headers")) {
        if (nh >= AR_MAX_HEADERS || !cJSON_IsString(h) || !h->string || strpbrk(h->string, ":\r\n") ||
            strpbrk(h->valuestring, "\r\n") || strlen(h->string) + strlen(h->valuestring) > 1000)
            continue;
        size_t kn = strlen(h->string), vn = strlen(h->valuestring);
        extra[ne] = malloc(kn + vn + 3);
        if (!extra[ne]) abort();
        memcpy(extra[ne], h->string, kn);
        memcpy(extra[ne] + kn, ": ", 2);
        memcpy(extra[ne] + kn + 2, h->valuestring, vn + 1);
        hdrs[nh++] = extra[ne++];
    }
    hdrs[nh] = NULL;
    const cJSON *to = get(server, "timeoutSeconds");
    double timeout = HK_AR_TIMEOUT_S;
    if (cJSON_IsNumber(to) && to->valuedouble >= 1 && to->valuedouble < timeout) timeout = to->valuedouble;
    hk_http_opts o = {.method = "POST", .url = url, .headers = hdrs, .body = body ? body : "{}",
                      .body_len = body ? strlen(body) : 2, .timeout_s = timeout,
                      .connect_timeout_s = timeout, .on_data = on_data, .on_done = on_done, .ud = a};
    hk_http_call *call = hk_http_fetch(hk_http_client_shared(loop), &o);
    free(body);
    for (int i = 0; i < ne; i++) free(extra[i]);
    if (!call) { /* answer on the next loop turn, never inside this call */
        ev_timer_init(&a->later, on_later, 0, 0);
        a->later.data = a;
        ev_timer_start(loop, &a->later);
    }
    return 0;
}
