/* providers/openai_event: see openai_event.h. Owns the reading of one
 * OpenAI-compatible stream event (chunk, [DONE], in-stream error); knows
 * nothing of transfers, sinks or the calls assembled across events. */
#include "providers/openai_event.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_fields.h"

/* a token count from the provider; -1 when absent or not a sane count */
static long count(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e12 ? (long)v->valuedouble : -1;
}

/* a string value that is not empty, else NULL */
static const char *nonempty(const cJSON *v) {
    return cJSON_IsString(v) && v->valuestring && *v->valuestring ? v->valuestring : NULL;
}

static int take_tool_deltas(hk_openai_event *ev, const cJSON *calls, hk_json_err *e) {
    int n = cJSON_GetArraySize(calls);
    if (n <= 0) return 0;
    ev->calls = calloc((size_t)n, sizeof *ev->calls);
    if (!ev->calls) return hk_json_fail(e, "out of memory");
    int pos = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, calls) {
        if (ev->n_calls == (size_t)n) break; /* cannot happen: n counted them */
        hk_openai_tool_delta *d = &ev->calls[ev->n_calls];
        const cJSON *ix = cJSON_GetObjectItemCaseSensitive(c, "index");
        if (cJSON_IsNumber(ix)) {
            double v = ix->valuedouble;
            if (!(v >= 0 && v <= HK_OPENAI_EVENT_INDEX_MAX) || (double)(int)v != v)
                return hk_json_fail(e, "tool call index is not an integer in 0..%d",
                            HK_OPENAI_EVENT_INDEX_MAX);
            d->index = (int)v;
        } else {
            if (pos > HK_OPENAI_EVENT_INDEX_MAX) return hk_json_fail(e, "too many tool calls");
            d->index = pos;
        }
        pos++;
        ev->n_calls++;
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(c, "function");
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
        d->id = nonempty(cJSON_GetObjectItemCaseSensitive(c, "id"));
        d->name = nonempty(cJSON_GetObjectItemCaseSensitive(fn, "name"));
        if (cJSON_IsString(args) && args->valuestring) {
            d->args = args->valuestring;
        } else if (cJSON_IsObject(args)) { /* a few compatible servers send an object */
            d->printed_ = cJSON_PrintUnformatted(args);
            if (!d->printed_) return hk_json_fail(e, "out of memory");
            d->args = d->printed_;
        }
        if (d->args) d->args_len = strlen(d->args);
    }
    return 0;
}

int hk_openai_event_parse(const char *data, size_t len, hk_openai_event *ev, char *err,
                          size_t errcap) {
    memset(ev, 0, sizeof *ev);
    ev->prompt_tokens = ev->completion_tokens = -1;
    if (err && errcap) err[0] = 0;
    hk_json_err je = {err, errcap, "malformed event"};
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
        ev->kind = HK_OPENAI_EVENT_DONE;
        return HK_OPENAI_EVENT_OK;
    }
    cJSON *j = len ? cJSON_ParseWithLength(data, len) : NULL;
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        /* never quoted: the event may hold the reply, and this reason is logged */
        return hk_json_fail(&je, "not a JSON object (%zu bytes)", len);
    }
    ev->json_ = j;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    if (e) { /* an error reported inside the stream (overload, server error) */
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "type");
        ev->kind = HK_OPENAI_EVENT_ERROR;
        ev->error_type = cJSON_IsString(t) ? t->valuestring : NULL;
        ev->error_message = cJSON_IsString(m) ? m->valuestring : NULL;
        return HK_OPENAI_EVENT_OK;
    }
    ev->kind = HK_OPENAI_EVENT_CHUNK;
    /* usage: the last chunk (empty choices) when include_usage is asked;
     * some compatible servers put it on the finishing chunk instead */
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(j, "usage");
    if (cJSON_IsObject(u)) {
        ev->has_usage = 1;
        ev->prompt_tokens = count(u, "prompt_tokens");
        ev->completion_tokens = count(u, "completion_tokens");
    }
    const cJSON *choice = NULL, *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(j, "choices")) {
        const cJSON *ix = cJSON_GetObjectItemCaseSensitive(c, "index");
        if (!cJSON_IsNumber(ix) || ix->valueint == 0) {
            choice = c;
            break;
        }
    }
    if (!choice) return HK_OPENAI_EVENT_OK; /* the usage-only chunk, or another choice */
    ev->has_choice = 1;
    const cJSON *delta = cJSON_GetObjectItemCaseSensitive(choice, "delta");
    ev->text = nonempty(cJSON_GetObjectItemCaseSensitive(delta, "content"));
    if (ev->text) ev->text_len = strlen(ev->text);
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(delta, "tool_calls");
    if (cJSON_IsArray(calls) && take_tool_deltas(ev, calls, &je) != 0) {
        hk_openai_event_free(ev);
        return HK_OPENAI_EVENT_EMALFORMED;
    }
    ev->finish_reason = nonempty(cJSON_GetObjectItemCaseSensitive(choice, "finish_reason"));
    return HK_OPENAI_EVENT_OK;
}

void hk_openai_event_free(hk_openai_event *ev) {
    if (!ev) return;
    for (size_t i = 0; i < ev->n_calls; i++) free(ev->calls[i].printed_);
    free(ev->calls);
    cJSON_Delete(ev->json_);
    memset(ev, 0, sizeof *ev);
    ev->prompt_tokens = ev->completion_tokens = -1;
}
