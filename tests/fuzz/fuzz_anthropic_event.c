/* tests/fuzz/fuzz_anthropic_event: libFuzzer target for
 * providers/anthropic_event. The input is "<event name>\n<data>" (a name of
 * up to 40 bytes; without a newline there, all of it is data and the name is
 * empty). Any event either fails with a "malformed event: " message (err
 * terminated inside its buffer, the event left empty) or parses into a struct
 * whose kind is known, whose block index is in 0..MAX_BLOCKS-1 (and 0 for
 * other kinds), whose text is a terminated copy of text_len bytes with no
 * NUL before its end, whose partial_json length matches, whose id and name
 * are set exactly for a tool block start, whose finish reason is already in
 * OpenAI's words (mapping it again changes nothing) and whose usage counts
 * are -1 or sane. Round trip: the parsed fields written back as a canonical
 * event with cJSON parse to the same fields. The input is copied to
 * exact-size heap blocks so ASan catches any read past it. */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "providers/anthropic_event.h"

#define PREFIX "malformed event: "

static int str_eq(const char *a, const char *b) {
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

static int is_block(hk_anthropic_event_kind k) {
    return k == HK_ANTHROPIC_EVENT_BLOCK_START || k == HK_ANTHROPIC_EVENT_BLOCK_DELTA ||
           k == HK_ANTHROPIC_EVENT_BLOCK_STOP || k == HK_ANTHROPIC_EVENT_BLOCK_OTHER;
}

static void check_event(const hk_anthropic_event *ev) {
    if (ev->kind < HK_ANTHROPIC_EVENT_OTHER || ev->kind > HK_ANTHROPIC_EVENT_BLOCK_OTHER) abort();
    if (ev->index < 0 || ev->index >= HK_ANTHROPIC_EVENT_MAX_BLOCKS) abort();
    if (!is_block(ev->kind) && (ev->index != 0 || ev->part != HK_ANTHROPIC_PART_NONE)) abort();
    if (ev->part != HK_ANTHROPIC_PART_NONE && ev->kind != HK_ANTHROPIC_EVENT_BLOCK_START &&
        ev->kind != HK_ANTHROPIC_EVENT_BLOCK_DELTA)
        abort();
    if (ev->has_usage) {
        if (ev->kind != HK_ANTHROPIC_EVENT_MESSAGE_START && ev->kind != HK_ANTHROPIC_EVENT_MESSAGE_DELTA) abort();
        if (ev->prompt_tokens < -1 || ev->prompt_tokens >= 3000000000000L) abort();
        if (ev->completion_tokens < -1 || ev->completion_tokens >= 1000000000000L) abort();
    } else if (ev->prompt_tokens != -1 || ev->completion_tokens != -1) {
        abort();
    }
    if (ev->finish_reason) {
        if (ev->kind != HK_ANTHROPIC_EVENT_MESSAGE_DELTA) abort();
        if (strcmp(hk_anthropic_finish_reason(ev->finish_reason), ev->finish_reason) != 0) abort();
    }
    if ((ev->error_type || ev->error_message) && ev->kind != HK_ANTHROPIC_EVENT_ERROR) abort();
    if (ev->error_type) (void)strlen(ev->error_type);
    if (ev->error_message) (void)strlen(ev->error_message);
    int tool_start = ev->kind == HK_ANTHROPIC_EVENT_BLOCK_START && ev->part == HK_ANTHROPIC_PART_TOOL;
    if (tool_start != (ev->id != NULL) || tool_start != (ev->name != NULL)) abort();
    if (ev->id) (void)strlen(ev->id);
    if (ev->name) (void)strlen(ev->name);
    if (ev->text) {
        if (ev->part != HK_ANTHROPIC_PART_TEXT) abort();
        if (ev->text_len == 0 || ev->text[ev->text_len] != 0 || memchr(ev->text, 0, ev->text_len)) abort();
    } else if (ev->text_len) {
        abort();
    }
    if (ev->partial_json) {
        if (ev->kind != HK_ANTHROPIC_EVENT_BLOCK_DELTA || ev->part != HK_ANTHROPIC_PART_TOOL) abort();
        if (strlen(ev->partial_json) != ev->partial_len) abort();
    } else if (ev->partial_len) {
        abort();
    }
}

static const char *kind_type(hk_anthropic_event_kind k) {
    switch (k) {
    case HK_ANTHROPIC_EVENT_ERROR: return "error";
    case HK_ANTHROPIC_EVENT_MESSAGE_START: return "message_start";
    case HK_ANTHROPIC_EVENT_MESSAGE_DELTA: return "message_delta";
    case HK_ANTHROPIC_EVENT_MESSAGE_STOP: return "message_stop";
    case HK_ANTHROPIC_EVENT_BLOCK_START: return "content_block_start";
    case HK_ANTHROPIC_EVENT_BLOCK_DELTA: return "content_block_delta";
    case HK_ANTHROPIC_EVENT_BLOCK_STOP: return "content_block_stop";
    case HK_ANTHROPIC_EVENT_BLOCK_OTHER: return "content_block_other";
    case HK_ANTHROPIC_EVENT_OTHER: return "ping";
    }
    return "ping";
}

static void add_usage(cJSON *parent, const hk_anthropic_event *ev) {
    if (!ev->has_usage) return;
    cJSON *u = cJSON_AddObjectToObject(parent, "usage");
    if (ev->prompt_tokens >= 0) { /* a sum of up to three counts below 1e12 each */
        const char *keys[3] = {"input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"};
        long left = ev->prompt_tokens;
        for (int i = 0; i < 3 && (i == 0 || left > 0); i++) {
            long part = left < 999999999999L ? left : 999999999999L;
            cJSON_AddNumberToObject(u, keys[i], (double)part);
            left -= part;
        }
    }
    if (ev->completion_tokens >= 0) cJSON_AddNumberToObject(u, "output_tokens", (double)ev->completion_tokens);
}

/* The parsed fields as a canonical event. */
static char *rebuild(const hk_anthropic_event *ev) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", kind_type(ev->kind));
    if (is_block(ev->kind)) cJSON_AddNumberToObject(o, "index", ev->index);
    switch (ev->kind) {
    case HK_ANTHROPIC_EVENT_ERROR: {
        cJSON *e = cJSON_AddObjectToObject(o, "error");
        if (ev->error_type) cJSON_AddStringToObject(e, "type", ev->error_type);
        if (ev->error_message) cJSON_AddStringToObject(e, "message", ev->error_message);
        break;
    }
    case HK_ANTHROPIC_EVENT_MESSAGE_START:
        add_usage(cJSON_AddObjectToObject(o, "message"), ev);
        break;
    case HK_ANTHROPIC_EVENT_MESSAGE_DELTA: {
        cJSON *d = cJSON_AddObjectToObject(o, "delta");
        if (ev->finish_reason) cJSON_AddStringToObject(d, "stop_reason", ev->finish_reason);
        add_usage(o, ev);
        break;
    }
    case HK_ANTHROPIC_EVENT_BLOCK_START: {
        cJSON *cb = cJSON_AddObjectToObject(o, "content_block");
        if (ev->part == HK_ANTHROPIC_PART_TOOL) {
            cJSON_AddStringToObject(cb, "type", "tool_use");
            cJSON_AddStringToObject(cb, "id", ev->id);
            cJSON_AddStringToObject(cb, "name", ev->name);
        } else if (ev->part == HK_ANTHROPIC_PART_TEXT) {
            cJSON_AddStringToObject(cb, "type", "text");
            cJSON_AddStringToObject(cb, "text", ev->text ? ev->text : "");
        }
        break;
    }
    case HK_ANTHROPIC_EVENT_BLOCK_DELTA: {
        cJSON *d = cJSON_AddObjectToObject(o, "delta");
        if (ev->part == HK_ANTHROPIC_PART_TEXT) {
            cJSON_AddStringToObject(d, "type", "text_delta");
            if (ev->text) cJSON_AddStringToObject(d, "text", ev->text);
        } else if (ev->part == HK_ANTHROPIC_PART_TOOL) {
            cJSON_AddStringToObject(d, "type", "input_json_delta");
            if (ev->partial_json) cJSON_AddStringToObject(d, "partial_json", ev->partial_json);
        }
        break;
    }
    default:
        break;
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static void same(const hk_anthropic_event *a, const hk_anthropic_event *b) {
    if (a->kind != b->kind || a->index != b->index || a->part != b->part || a->has_usage != b->has_usage ||
        a->prompt_tokens != b->prompt_tokens || a->completion_tokens != b->completion_tokens ||
        !str_eq(a->finish_reason, b->finish_reason) || !str_eq(a->error_type, b->error_type) ||
        !str_eq(a->error_message, b->error_message) || !str_eq(a->id, b->id) || !str_eq(a->name, b->name) ||
        !str_eq(a->text, b->text) || a->text_len != b->text_len || !str_eq(a->partial_json, b->partial_json) ||
        a->partial_len != b->partial_len)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nl = memchr(data, '\n', size < 41 ? size : 41);
    size_t name_len = nl ? (size_t)(nl - data) : 0;
    size_t off = nl ? name_len + 1 : 0;
    char *name = malloc(name_len + 1);
    memcpy(name, data, name_len);
    name[name_len] = 0;
    size_t len = size - off;
    char *text = malloc(len ? len : 1);
    memcpy(text, data + off, len);
    hk_anthropic_event ev, back;
    char err[160];
    memset(err, 'X', sizeof err);
    int rc = hk_anthropic_event_parse(name, text, len, &ev, err, sizeof err);
    free(text); /* the event must not point into the input */
    free(name);
    if (rc != HK_ANTHROPIC_EVENT_OK) {
        if (rc != HK_ANTHROPIC_EVENT_EMALFORMED || !memchr(err, 0, sizeof err) ||
            strncmp(err, PREFIX, strlen(PREFIX)) != 0)
            abort();
        if (ev.kind != HK_ANTHROPIC_EVENT_OTHER || ev.text || ev.id || ev.partial_json || ev.has_usage ||
            ev.error_message)
            abort();
        hk_anthropic_event_free(&ev);
        return 0;
    }
    check_event(&ev);
    char *s = rebuild(&ev);
    if (s) {
        if (hk_anthropic_event_parse("", s, strlen(s), &back, err, sizeof err) != HK_ANTHROPIC_EVENT_OK) abort();
        same(&ev, &back);
        hk_anthropic_event_free(&back);
        free(s);
    }
    hk_anthropic_event_free(&ev);
    return 0;
}
