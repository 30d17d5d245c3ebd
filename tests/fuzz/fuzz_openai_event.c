/* tests/fuzz/fuzz_openai_event: libFuzzer target for providers/openai_event.
 * Any event data either fails with a "malformed event: " message (err
 * terminated inside its buffer, the event left empty) or parses into a struct
 * whose kind is known, whose text is a terminated copy of text_len bytes with
 * no NUL before its end, whose tool call indexes are in 0..INDEX_MAX and
 * argument lengths match their strings, whose usage counts are -1 or sane,
 * and which holds nothing past the choice when there is none. [DONE] is
 * exactly those six bytes. Round trip: the parsed fields written back as a
 * canonical chunk (or error) with cJSON parse to the same fields. The input
 * is copied to an exact-size heap block so ASan catches any read past it. */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "providers/openai_event.h"

#define PREFIX "malformed event: "

static int str_eq(const char *a, const char *b) {
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

/* a string the parser handed out: NULL, or non-empty when must_fill */
static void check_str(const char *s, int must_fill) {
    if (!s) return;
    size_t n = strlen(s); /* ASan: the string is terminated inside its block */
    if (must_fill && n == 0) abort();
}

static void check_event(const hk_openai_event *ev, size_t size) {
    if (ev->kind != HK_OPENAI_EVENT_CHUNK && ev->kind != HK_OPENAI_EVENT_DONE && ev->kind != HK_OPENAI_EVENT_ERROR)
        abort();
    if (ev->has_usage) {
        if (ev->prompt_tokens < -1 || ev->prompt_tokens >= 1000000000000L) abort();
        if (ev->completion_tokens < -1 || ev->completion_tokens >= 1000000000000L) abort();
    } else if (ev->prompt_tokens != -1 || ev->completion_tokens != -1) {
        abort();
    }
    check_str(ev->error_type, 0);
    check_str(ev->error_message, 0);
    if (ev->kind != HK_OPENAI_EVENT_ERROR && (ev->error_type || ev->error_message)) abort();
    if (ev->kind != HK_OPENAI_EVENT_CHUNK && (ev->has_usage || ev->has_choice)) abort();
    if (!ev->has_choice && (ev->text || ev->text_len || ev->n_calls || ev->calls || ev->finish_reason)) abort();
    if (ev->text) {
        if (ev->text_len == 0 || ev->text[ev->text_len] != 0 || memchr(ev->text, 0, ev->text_len)) abort();
    } else if (ev->text_len) {
        abort();
    }
    check_str(ev->finish_reason, 1);
    if (ev->n_calls && !ev->calls) abort();
    if (ev->n_calls > size) abort(); /* each call takes input bytes */
    for (size_t i = 0; i < ev->n_calls; i++) {
        const hk_openai_tool_delta *d = &ev->calls[i];
        if (d->index < 0 || d->index > HK_OPENAI_EVENT_INDEX_MAX) abort();
        check_str(d->id, 1);
        check_str(d->name, 1);
        if (d->args ? strlen(d->args) != d->args_len : d->args_len != 0) abort();
    }
}

/* The parsed fields as a canonical event. */
static char *rebuild(const hk_openai_event *ev) {
    cJSON *o = cJSON_CreateObject();
    if (ev->kind == HK_OPENAI_EVENT_ERROR) {
        cJSON *e = cJSON_AddObjectToObject(o, "error");
        if (ev->error_type) cJSON_AddStringToObject(e, "type", ev->error_type);
        if (ev->error_message) cJSON_AddStringToObject(e, "message", ev->error_message);
    } else {
        if (ev->has_usage) {
            cJSON *u = cJSON_AddObjectToObject(o, "usage");
            if (ev->prompt_tokens >= 0) cJSON_AddNumberToObject(u, "prompt_tokens", (double)ev->prompt_tokens);
            if (ev->completion_tokens >= 0)
                cJSON_AddNumberToObject(u, "completion_tokens", (double)ev->completion_tokens);
        }
        cJSON *choices = cJSON_AddArrayToObject(o, "choices");
        if (ev->has_choice) {
            cJSON *c = cJSON_CreateObject();
            cJSON_AddItemToArray(choices, c);
            cJSON_AddNumberToObject(c, "index", 0);
            cJSON *d = cJSON_AddObjectToObject(c, "delta");
            if (ev->text) cJSON_AddStringToObject(d, "content", ev->text);
            if (ev->n_calls) {
                cJSON *calls = cJSON_AddArrayToObject(d, "tool_calls");
                for (size_t i = 0; i < ev->n_calls; i++) {
                    const hk_openai_tool_delta *t = &ev->calls[i];
                    cJSON *x = cJSON_CreateObject();
                    cJSON_AddItemToArray(calls, x);
                    cJSON_AddNumberToObject(x, "index", t->index);
                    if (t->id) cJSON_AddStringToObject(x, "id", t->id);
                    cJSON *fn = cJSON_AddObjectToObject(x, "function");
                    if (t->name) cJSON_AddStringToObject(fn, "name", t->name);
                    if (t->args) cJSON_AddStringToObject(fn, "arguments", t->args);
                }
            }
            if (ev->finish_reason) cJSON_AddStringToObject(c, "finish_reason", ev->finish_reason);
        }
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static void same(const hk_openai_event *a, const hk_openai_event *b) {
    if (a->kind != b->kind || a->has_usage != b->has_usage || a->prompt_tokens != b->prompt_tokens ||
        a->completion_tokens != b->completion_tokens || a->has_choice != b->has_choice ||
        a->text_len != b->text_len || !str_eq(a->text, b->text) || !str_eq(a->finish_reason, b->finish_reason) ||
        !str_eq(a->error_type, b->error_type) || !str_eq(a->error_message, b->error_message) ||
        a->n_calls != b->n_calls)
        abort();
    for (size_t i = 0; i < a->n_calls; i++) {
        const hk_openai_tool_delta *x = &a->calls[i], *y = &b->calls[i];
        if (x->index != y->index || !str_eq(x->id, y->id) || !str_eq(x->name, y->name) ||
            !str_eq(x->args, y->args) || x->args_len != y->args_len)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);
    hk_openai_event ev, back;
    char err[160];
    memset(err, 'X', sizeof err);
    int rc = hk_openai_event_parse(text, size, &ev, err, sizeof err);
    free(text); /* the event must not point into the input */
    if (rc != HK_OPENAI_EVENT_OK) {
        if (rc != HK_OPENAI_EVENT_EMALFORMED || !memchr(err, 0, sizeof err) ||
            strncmp(err, PREFIX, strlen(PREFIX)) != 0)
            abort();
        if (ev.text || ev.calls || ev.n_calls || ev.finish_reason || ev.error_message || ev.has_usage)
            abort();
        hk_openai_event_free(&ev);
        return 0;
    }
    check_event(&ev, size);
    if (ev.kind == HK_OPENAI_EVENT_DONE) {
        if (size != 6 || memcmp(data, "[DONE]", 6) != 0) abort();
    } else {
        char *s = rebuild(&ev);
        if (s) {
            if (hk_openai_event_parse(s, strlen(s), &back, err, sizeof err) != HK_OPENAI_EVENT_OK) abort();
            same(&ev, &back);
            hk_openai_event_free(&back);
            free(s);
        }
    }
    hk_openai_event_free(&ev);
    return 0;
}
