/* providers/tts_elevenlabs_http: the ElevenLabs HTTP streaming fallback,
 * used when a request's stream-input WebSocket cannot be used before any
 * audio came: the text sent so far is POSTed once and the mu-law body is
 * delivered as it streams in. A body that starts like JSON is held until the
 * status says whether it is an error reply. Runs inside libcurl's callbacks:
 * never cancels a handle from there (tts_elevenlabs.c defers it). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/tts_elevenlabs_int.h"

static void on_http_data(void *ud, const char *data, size_t n)
{
    req *r = ud;
    hk_tts *t = r->t;
    if (r->dead || r->finished || !n) return;
    hk_el_enter(t);
    t->in_curl++;
    /* The status is only known at on_done: a body that starts like JSON is
     * an error reply (mu-law audio almost never starts with '{'), so hold it. */
    if (!r->audio_bytes && !r->http_json && data[0] == '{') r->http_json = 1;
    if (r->http_json) {
        hk_strbuf_add(&r->http_body, data, n);
    } else {
        r->audio_bytes += n;
        hk_el_arm_timer(r);
        hk_el_emit_audio(r, (const uint8_t *)data, n);
    }
    hk_el_leave(t); /* with in_curl still set: t outlives this (freed from the kick) */
    t->in_curl--;
}

static void on_http_done(void *ud, int status, const char *body, size_t len, const char *err)
{
    req *r = ud;
    hk_tts *t = r->t;
    (void)body;
    (void)len;
    r->http = NULL; /* freed by http_client before this call */
    if (r->http_cancelling) { /* it completed before its deferred cancel ran */
        for (size_t i = 0; i < t->n_cancels; i++)
            if (t->cancels[i] == r->http_cancelling) t->cancels[i] = t->cancels[--t->n_cancels];
        r->http_cancelling = NULL;
    }
    if (r->dead || r->finished) return;
    hk_el_enter(t);
    char why[300];
    if (status >= 200 && status < 300) {
        if (r->http_json && r->http_body.len) { /* it was audio after all */
            r->audio_bytes += r->http_body.len;
            hk_el_emit_audio(r, (const uint8_t *)r->http_body.s, r->http_body.len);
        }
        hk_el_finish(r, 1, NULL);
    } else if (status == 0) {
        snprintf(why, sizeof why, "elevenlabs: http: %s", err ? err : "failed");
        hk_el_finish(r, 0, why);
    } else {
        /* {"detail":{"status":...,"message":...}} or {"detail":"..."} */
        cJSON *j = r->http_body.s ? cJSON_ParseWithLength(r->http_body.s, r->http_body.len) : NULL;
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "detail");
        const cJSON *m = cJSON_IsObject(d) ? cJSON_GetObjectItemCaseSensitive(d, "message") : d;
        snprintf(why, sizeof why, "elevenlabs: http %d: %s", status,
                 cJSON_IsString(m) ? m->valuestring : "request failed");
        cJSON_Delete(j);
        hk_el_finish(r, 0, why);
    }
    hk_el_leave(t);
}

void hk_el_start_http(req *r)
{
    hk_tts *t = r->t;
    if (r->http || r->finished || r->dead) return;
    cJSON *o = cJSON_CreateObject();
    /* trailing space of the last piece is not text */
    size_t n = r->sent.len;
    while (n && r->sent.s[n - 1] == ' ') n--;
    char *text = strndup(r->sent.s ? r->sent.s : "", n);
    cJSON_AddStringToObject(o, "text", text ? text : "");
    free(text);
    cJSON_AddStringToObject(o, "model_id", t->model);
    cJSON *vs = cJSON_AddObjectToObject(o, "voice_settings");
    cJSON_AddNumberToObject(vs, "stability", t->stability);
    cJSON_AddNumberToObject(vs, "similarity_boost", t->similarity);
    char *body = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    const char *headers[] = {t->key_header, "Content-Type: application/json", "Accept: audio/basic", NULL};
    hk_http_opts ho = {.method = "POST", .url = t->http_url, .headers = headers, .body = body,
                       .body_len = body ? strlen(body) : 0, .connect_timeout_s = t->connect_timeout,
                       .on_data = on_http_data, .on_done = on_http_done, .ud = r};
    r->http = body ? hk_http_fetch(t->http, &ho) : NULL;
    free(body);
    if (!r->http) hk_el_finish(r, 0, "elevenlabs: cannot start the HTTP request");
}
