/* providers/anthropic_event: see anthropic_event.h. Owns the reading of one
 * Messages stream event and the stop_reason -> finish reason mapping; knows
 * nothing of transfers, sinks or the blocks gathered across events. */
#include "providers/anthropic_event.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "core/json_fields.h"

const char *hk_anthropic_finish_reason(const char *stop_reason) {
    if (!stop_reason) return "stop";
    if (strcmp(stop_reason, "end_turn") == 0 || strcmp(stop_reason, "stop_sequence") == 0) return "stop";
    if (strcmp(stop_reason, "tool_use") == 0) return "tool_calls";
    if (strcmp(stop_reason, "max_tokens") == 0) return "length";
    if (strcmp(stop_reason, "refusal") == 0) return "content_filter";
    return stop_reason;
}

static const char *str_at(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* a token count from the provider; -1 when absent or not a sane count */
static long count(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e12 ? (long)v->valuedouble : -1;
}

/* message_start.message.usage / message_delta.usage: the prompt is the input
 * plus the cache reads and writes (all billed as prompt); output_tokens is
 * the running total of the completion. */
static void take_usage(hk_anthropic_event *ev, const cJSON *u) {
    if (!cJSON_IsObject(u)) return;
    long in = count(u, "input_tokens"), cr = count(u, "cache_read_input_tokens"),
         cw = count(u, "cache_creation_input_tokens");
    ev->has_usage = 1;
    ev->prompt_tokens = in < 0 && cr < 0 && cw < 0 ? -1 : (in > 0 ? in : 0) + (cr > 0 ? cr : 0) + (cw > 0 ? cw : 0);
    ev->completion_tokens = count(u, "output_tokens");
}

static void take_text(hk_anthropic_event *ev, const char *t) {
    if (!t || !*t) return;
    ev->text = t;
    ev->text_len = strlen(t);
}

/* content_block_*: the index, then what the block event says. */
static int take_block(hk_anthropic_event *ev, const char *type, const cJSON *j, hk_json_err *e) {
    const cJSON *ix = cJSON_GetObjectItemCaseSensitive(j, "index");
    if (!cJSON_IsNumber(ix) || !(ix->valuedouble >= 0 && ix->valuedouble < HK_ANTHROPIC_EVENT_MAX_BLOCKS))
        return hk_json_fail(e, "%s without a usable index", type);
    ev->index = (int)ix->valuedouble;
    if (strcmp(type, "content_block_start") == 0) {
        ev->kind = HK_ANTHROPIC_EVENT_BLOCK_START;
        const cJSON *cb = cJSON_GetObjectItemCaseSensitive(j, "content_block");
        const char *bt = str_at(cb, "type");
        if (bt && strcmp(bt, "tool_use") == 0) {
            const char *id = str_at(cb, "id"), *name = str_at(cb, "name");
            ev->part = HK_ANTHROPIC_PART_TOOL;
            ev->id = id ? id : "";
            ev->name = name ? name : "";
        } else if (bt && strcmp(bt, "text") == 0) {
            ev->part = HK_ANTHROPIC_PART_TEXT;
            take_text(ev, str_at(cb, "text"));
        }
    } else if (strcmp(type, "content_block_delta") == 0) {
        ev->kind = HK_ANTHROPIC_EVENT_BLOCK_DELTA;
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "delta");
        const char *dt = str_at(d, "type");
        if (dt && strcmp(dt, "text_delta") == 0) {
            ev->part = HK_ANTHROPIC_PART_TEXT;
            take_text(ev, str_at(d, "text"));
        } else if (dt && strcmp(dt, "input_json_delta") == 0) {
            ev->part = HK_ANTHROPIC_PART_TOOL;
            ev->partial_json = str_at(d, "partial_json");
            if (ev->partial_json) ev->partial_len = strlen(ev->partial_json);
        }
    } else if (strcmp(type, "content_block_stop") == 0) {
        ev->kind = HK_ANTHROPIC_EVENT_BLOCK_STOP;
    } else {
        ev->kind = HK_ANTHROPIC_EVENT_BLOCK_OTHER;
    }
    return HK_ANTHROPIC_EVENT_OK;
}

int hk_anthropic_event_parse(const char *event, const char *data, size_t len,
                             hk_anthropic_event *ev, char *err, size_t errcap) {
    memset(ev, 0, sizeof *ev);
    ev->prompt_tokens = ev->completion_tokens = -1;
    if (err && errcap) err[0] = 0;
    hk_json_err je = {err, errcap, "malformed event"};
    cJSON *j = len ? cJSON_ParseWithLength(data, len) : NULL;
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        /* never quoted: the event may hold the reply, and this reason is logged */
        return hk_json_fail(&je, "not a JSON object (%zu bytes)", len);
    }
    /* the data's own type is authoritative; the event name says the same */
    const char *type = str_at(j, "type");
    if (!type) type = event ? event : "";
    if (strcmp(type, "error") == 0) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
        ev->kind = HK_ANTHROPIC_EVENT_ERROR;
        ev->error_type = str_at(e, "type");
        ev->error_message = str_at(e, "message");
    } else if (strcmp(type, "message_delta") == 0) {
        ev->kind = HK_ANTHROPIC_EVENT_MESSAGE_DELTA;
        const char *sr = str_at(cJSON_GetObjectItemCaseSensitive(j, "delta"), "stop_reason");
        if (sr) ev->finish_reason = hk_anthropic_finish_reason(sr);
        take_usage(ev, cJSON_GetObjectItemCaseSensitive(j, "usage"));
    } else if (strcmp(type, "message_start") == 0) {
        ev->kind = HK_ANTHROPIC_EVENT_MESSAGE_START;
        take_usage(ev, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "message"), "usage"));
    } else if (strcmp(type, "message_stop") == 0) {
        ev->kind = HK_ANTHROPIC_EVENT_MESSAGE_STOP;
    } else if (strncmp(type, "content_block_", 14) == 0) {
        if (take_block(ev, type, j, &je) != HK_ANTHROPIC_EVENT_OK) {
            cJSON_Delete(j);
            memset(ev, 0, sizeof *ev);
            ev->prompt_tokens = ev->completion_tokens = -1;
            return HK_ANTHROPIC_EVENT_EMALFORMED;
        }
    } else {
        ev->kind = HK_ANTHROPIC_EVENT_OTHER; /* ping, new kinds */
    }
    ev->json_ = j;
    return HK_ANTHROPIC_EVENT_OK;
}

void hk_anthropic_event_free(hk_anthropic_event *ev) {
    if (!ev) return;
    cJSON_Delete(ev->json_);
    memset(ev, 0, sizeof *ev);
    ev->prompt_tokens = ev->completion_tokens = -1;
}
