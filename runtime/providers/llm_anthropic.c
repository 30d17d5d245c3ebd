/* providers/llm_anthropic: Anthropic Messages streaming. Owns the translation
 * of the provider-neutral (OpenAI-shaped) request into a Messages body and
 * the routing of the named stream events (read by anthropic_event.c) by
 * content block index: text deltas to the sink as they come, tool input JSON
 * gathered per block and handed on at the block's stop. Transport, deadlines and the done-once rule live in
 * llm_stream.c. Never blocks the loop; never buffers the reply text. */
#include "providers/llm_anthropic.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "providers/anthropic_event.h"
#include "providers/llm_stream.h"

#define DEFAULT_BASE "https://api.anthropic.com"
#define API_VERSION "2023-06-01"
#define DEFAULT_MAX_TOKENS 1024
#define MAX_BLOCKS HK_ANTHROPIC_EVENT_MAX_BLOCKS

enum { BLOCK_NONE, BLOCK_TEXT, BLOCK_TOOL };

typedef struct block {
    int type;
    char *id, *name;
    char *json;
    size_t len, cap;
} block;

struct hk_llm {
    hk_llm_stream st; /* first: the stream callbacks cast back to hk_llm */
    char url[1024];
    /* the completion in flight */
    block blocks[MAX_BLOCKS];
    char stop[32];
};

/* ---- request translation ---------------------------------------------- */

/* The text of an OpenAI content value: a string or an array of parts. */
static void content_text(const cJSON *content, char **out) {
    *out = NULL;
    if (cJSON_IsString(content)) {
        *out = strdup(content->valuestring);
        return;
    }
    size_t len = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, content) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(p, "text");
        if (!cJSON_IsString(t)) continue;
        size_t n = strlen(t->valuestring);
        char *b = realloc(*out, len + n + 1);
        if (!b) return;
        *out = b;
        memcpy(*out + len, t->valuestring, n + 1);
        len += n;
    }
}

static cJSON *text_block(const char *text) {
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "type", "text");
    cJSON_AddStringToObject(b, "text", text);
    return b;
}

static int is_tool_result(const cJSON *b) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(b, "type");
    return cJSON_IsString(t) && strcmp(t->valuestring, "tool_result") == 0;
}

/* Append blocks (an array, consumed) as a message of role; a message of the
 * same role as the last one is merged into it, tool results first as the
 * API asks of a user turn. */
static void push_message(cJSON *msgs, const char *role, cJSON *blocks) {
    if (cJSON_GetArraySize(blocks) == 0) {
        cJSON_Delete(blocks);
        return;
    }
    int n = cJSON_GetArraySize(msgs);
    cJSON *last = n ? cJSON_GetArrayItem(msgs, n - 1) : NULL;
    cJSON *lr = cJSON_GetObjectItemCaseSensitive(last, "role");
    if (last && cJSON_IsString(lr) && strcmp(lr->valuestring, role) == 0) {
        cJSON *content = cJSON_GetObjectItemCaseSensitive(last, "content");
        while (cJSON_GetArraySize(blocks) > 0) {
            cJSON *b = cJSON_DetachItemFromArray(blocks, 0);
            if (is_tool_result(b)) {
                int at = 0;
                while (at < cJSON_GetArraySize(content) && is_tool_result(cJSON_GetArrayItem(content, at))) at++;
                if (at < cJSON_GetArraySize(content)) cJSON_InsertItemInArray(content, at, b);
                else cJSON_AddItemToArray(content, b);
            } else {
                cJSON_AddItemToArray(content, b);
            }
        }
        cJSON_Delete(blocks);
        return;
    }
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", role);
    cJSON_AddItemToObject(m, "content", blocks);
    cJSON_AddItemToArray(msgs, m);
}

static cJSON *tool_use_block(const cJSON *call, int n) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(call, "id");
    const cJSON *fn = cJSON_GetObjectItemCaseSensitive(call, "function");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(fn, "name");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
    cJSON *input = NULL;
    if (cJSON_IsString(args) && *args->valuestring) input = cJSON_Parse(args->valuestring);
    else if (cJSON_IsObject(args)) input = cJSON_Duplicate(args, 1);
    if (!cJSON_IsObject(input)) {
        if (cJSON_IsString(args) && *args->valuestring)
            hk_log(HK_LOG_WARN, NULL, "llm_tool_arguments", "anthropic: tool call arguments are not a JSON object; sent as {}");
        cJSON_Delete(input);
        input = cJSON_CreateObject();
    }
    char fallback[32];
    snprintf(fallback, sizeof fallback, "toolu_hark_%d", n);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "type", "tool_use");
    cJSON_AddStringToObject(b, "id", cJSON_IsString(id) ? id->valuestring : fallback);
    cJSON_AddStringToObject(b, "name", cJSON_IsString(name) ? name->valuestring : "");
    cJSON_AddItemToObject(b, "input", input);
    return b;
}

static cJSON *translate_tools(const cJSON *tools) {
    cJSON *out = cJSON_CreateArray();
    const cJSON *t;
    cJSON_ArrayForEach(t, tools) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(t, "function");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(fn, "name");
        if (!cJSON_IsString(name)) continue;
        const cJSON *desc = cJSON_GetObjectItemCaseSensitive(fn, "description");
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(fn, "parameters");
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", name->valuestring);
        if (cJSON_IsString(desc)) cJSON_AddStringToObject(o, "description", desc->valuestring);
        cJSON *schema;
        if (cJSON_IsObject(params)) {
            schema = cJSON_Duplicate(params, 1);
        } else {
            schema = cJSON_CreateObject();
            cJSON_AddStringToObject(schema, "type", "object");
            cJSON_AddItemToObject(schema, "properties", cJSON_CreateObject());
        }
        cJSON_AddItemToObject(o, "input_schema", schema);
        cJSON_AddItemToArray(out, o);
    }
    return out;
}

/* OpenAI's tool_choice in Anthropic's words; NULL: leave the default (auto). */
static cJSON *translate_tool_choice(const cJSON *tc) {
    const char *type = NULL, *name = NULL;
    if (cJSON_IsString(tc)) {
        if (strcmp(tc->valuestring, "required") == 0) type = "any";
        else if (strcmp(tc->valuestring, "none") == 0) type = "none";
        else if (strcmp(tc->valuestring, "auto") == 0) type = "auto";
    } else if (cJSON_IsObject(tc)) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(tc, "function"), "name");
        if (cJSON_IsString(n)) {
            type = "tool";
            name = n->valuestring;
        }
    }
    if (!type) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", type);
    if (name) cJSON_AddStringToObject(o, "name", name);
    return o;
}

char *hk_anthropic_request(const char *neutral_json, const hk_llm_config *cfg, char *err,
                           size_t errlen) {
    cJSON *in = cJSON_Parse(neutral_json ? neutral_json : "");
    const cJSON *messages = cJSON_GetObjectItemCaseSensitive(in, "messages");
    if (!cJSON_IsObject(in) || !cJSON_IsArray(messages)) {
        snprintf(err, errlen, "request is not an object with a messages array");
        cJSON_Delete(in);
        return NULL;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "model", cfg->model ? cfg->model : "");
    cJSON_AddNumberToObject(out, "max_tokens", cfg->max_tokens > 0 ? cfg->max_tokens : DEFAULT_MAX_TOKENS);
    char *system = NULL;
    size_t system_len = 0;
    cJSON *msgs = cJSON_CreateArray();
    int n_calls = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, messages) {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
        const char *r = cJSON_IsString(role) ? role->valuestring : "";
        char *text = NULL;
        content_text(content, &text);
        cJSON *blocks = cJSON_CreateArray();
        if (strcmp(r, "system") == 0 || strcmp(r, "developer") == 0) {
            if (text && *text) { /* Anthropic has one system prompt: join them */
                size_t n = strlen(text);
                char *b = realloc(system, system_len + n + 3);
                if (b) {
                    system = b;
                    system_len += (size_t)sprintf(system + system_len, "%s%s", system_len ? "\n\n" : "", text);
                }
            }
            cJSON_Delete(blocks);
        } else if (strcmp(r, "user") == 0) {
            if (text && *text) cJSON_AddItemToArray(blocks, text_block(text));
            push_message(msgs, "user", blocks);
        } else if (strcmp(r, "assistant") == 0) {
            /* empty text blocks are refused by the API: leave them out */
            if (text && *text) cJSON_AddItemToArray(blocks, text_block(text));
            const cJSON *call;
            cJSON_ArrayForEach(call, cJSON_GetObjectItemCaseSensitive(m, "tool_calls"))
                cJSON_AddItemToArray(blocks, tool_use_block(call, n_calls++));
            push_message(msgs, "assistant", blocks);
        } else if (strcmp(r, "tool") == 0) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(m, "tool_call_id");
            cJSON *b = cJSON_CreateObject();
            cJSON_AddStringToObject(b, "type", "tool_result");
            cJSON_AddStringToObject(b, "tool_use_id", cJSON_IsString(id) ? id->valuestring : "");
            cJSON_AddStringToObject(b, "content", text ? text : "");
            cJSON_AddItemToArray(blocks, b);
            push_message(msgs, "user", blocks);
        } else {
            snprintf(err, errlen, "unknown message role \"%s\"", r);
            free(text);
            free(system);
            cJSON_Delete(blocks);
            cJSON_Delete(msgs);
            cJSON_Delete(out);
            cJSON_Delete(in);
            return NULL;
        }
        free(text);
    }
    if (cJSON_GetArraySize(msgs) == 0) {
        snprintf(err, errlen, "no user or assistant message to send");
        free(system);
        cJSON_Delete(msgs);
        cJSON_Delete(out);
        cJSON_Delete(in);
        return NULL;
    }
    /* Anthropic wants the conversation to open with a user turn; a phone call
     * opens with the agent's greeting, so say what happened first */
    const cJSON *r0 = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(msgs, 0), "role");
    if (cJSON_IsString(r0) && strcmp(r0->valuestring, "assistant") == 0) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "role", "user");
        cJSON_AddStringToObject(m, "content", "(the phone call connected)");
        cJSON_InsertItemInArray(msgs, 0, m);
    }
    if (system) cJSON_AddStringToObject(out, "system", system);
    free(system);
    cJSON_AddItemToObject(out, "messages", msgs);
    const cJSON *tools = cJSON_GetObjectItemCaseSensitive(in, "tools");
    if (cJSON_IsArray(tools) && cJSON_GetArraySize(tools) > 0) {
        cJSON_AddItemToObject(out, "tools", translate_tools(tools));
        cJSON *tc = translate_tool_choice(cJSON_GetObjectItemCaseSensitive(in, "tool_choice"));
        if (tc) cJSON_AddItemToObject(out, "tool_choice", tc);
    }
    if (cfg->temperature >= 0) /* Anthropic's scale is 0..1, OpenAI's 0..2 */
        cJSON_AddNumberToObject(out, "temperature", cfg->temperature > 1 ? 1 : cfg->temperature);
    cJSON_AddTrueToObject(out, "stream");
    char *s = cJSON_PrintUnformatted(out);
    cJSON_Delete(out);
    cJSON_Delete(in);
    if (!s) snprintf(err, errlen, "out of memory");
    return s;
}

/* ---- the stream ------------------------------------------------------- */

static void clear_blocks(hk_llm *l) {
    for (size_t i = 0; i < MAX_BLOCKS; i++) {
        free(l->blocks[i].id);
        free(l->blocks[i].name);
        free(l->blocks[i].json);
    }
    memset(l->blocks, 0, sizeof l->blocks);
    l->stop[0] = 0;
}

static int add_json(block *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap * 2 : 128;
        while (c < b->len + n + 1) c *= 2;
        char *p = realloc(b->json, c);
        if (!p) return -1;
        b->json = p;
        b->cap = c;
    }
    memcpy(b->json + b->len, s, n);
    b->len += n;
    b->json[b->len] = 0;
    return 0;
}

/* Applies one event (read by anthropic_event.c) to the completion. Returns
 * nothing: after a finish, or a sink call that returned 0, touch nothing. */
static void apply(hk_llm *l, const hk_anthropic_event *ev) {
    hk_llm_stream *s = &l->st;
    block *b = NULL;
    switch (ev->kind) {
    case HK_ANTHROPIC_EVENT_ERROR:
        hk_llm_stream_finish(s, 0, "%s: %s", ev->error_type ? ev->error_type : "error",
                             ev->error_message ? ev->error_message : "error in stream");
        return;
    case HK_ANTHROPIC_EVENT_MESSAGE_DELTA:
        if (ev->finish_reason) snprintf(l->stop, sizeof l->stop, "%s", ev->finish_reason);
        if (ev->has_usage) hk_llm_stream_usage(s, ev->prompt_tokens, ev->completion_tokens);
        return;
    case HK_ANTHROPIC_EVENT_MESSAGE_START:
        if (ev->has_usage) hk_llm_stream_usage(s, ev->prompt_tokens, ev->completion_tokens);
        return;
    case HK_ANTHROPIC_EVENT_MESSAGE_STOP:
        hk_llm_stream_finish(s, 1, "%s", l->stop[0] ? l->stop : "stop");
        return;
    case HK_ANTHROPIC_EVENT_BLOCK_START:
        b = &l->blocks[ev->index];
        if (ev->part == HK_ANTHROPIC_PART_TOOL) {
            b->type = BLOCK_TOOL;
            free(b->id);
            free(b->name);
            b->id = strdup(ev->id);
            b->name = strdup(ev->name);
            b->len = 0;
        } else if (ev->part == HK_ANTHROPIC_PART_TEXT) {
            b->type = BLOCK_TEXT;
            if (ev->text) (void)hk_llm_stream_token(s, ev->text, ev->text_len);
        }
        return;
    case HK_ANTHROPIC_EVENT_BLOCK_DELTA:
        b = &l->blocks[ev->index];
        if (ev->part == HK_ANTHROPIC_PART_TEXT) {
            if (ev->text) (void)hk_llm_stream_token(s, ev->text, ev->text_len);
        } else if (ev->part == HK_ANTHROPIC_PART_TOOL && b->type == BLOCK_TOOL && ev->partial_json &&
                   add_json(b, ev->partial_json, ev->partial_len) != 0) {
            hk_llm_stream_finish(s, 0, "malformed event: out of memory");
        }
        return;
    case HK_ANTHROPIC_EVENT_BLOCK_STOP:
        b = &l->blocks[ev->index];
        if (b->type == BLOCK_TOOL) {
            b->type = BLOCK_NONE; /* once */
            (void)hk_llm_stream_tool_call(s, b->id, b->name, b->len ? b->json : "{}");
        }
        return;
    case HK_ANTHROPIC_EVENT_BLOCK_OTHER:
    case HK_ANTHROPIC_EVENT_OTHER:
        return; /* ping, new kinds */
    }
}

static void on_event(hk_llm_stream *s, const char *event, const char *data, size_t len) {
    hk_anthropic_event ev;
    char err[160];
    if (hk_anthropic_event_parse(event, data, len, &ev, err, sizeof err) != HK_ANTHROPIC_EVENT_OK) {
        hk_llm_stream_finish(s, 0, "%s", err);
        return;
    }
    apply((hk_llm *)s, &ev);
    hk_anthropic_event_free(&ev);
}

/* ---- vtable ----------------------------------------------------------- */

static hk_llm *anthropic_open(struct ev_loop *loop, const hk_llm_config *cfg, const hk_llm_sink *sink,
                              char *err, size_t errlen) {
    hk_llm *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    const char *base = cfg->base_url && *cfg->base_url ? cfg->base_url : DEFAULT_BASE;
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/') bl--;
    /* "https://api.anthropic.com/v1" is a common way to write the base too */
    int has_v1 = bl >= 3 && strncmp(base + bl - 3, "/v1", 3) == 0;
    if (hk_llm_join_url(l->url, sizeof l->url, base, has_v1 ? "/messages" : "/v1/messages") != 0) {
        snprintf(err, errlen, "base_url too long");
        free(l);
        return NULL;
    }
    if (hk_llm_stream_init(&l->st, loop, cfg, sink, "anthropic") != 0) {
        snprintf(err, errlen, "cannot create the HTTP client");
        free(l);
        return NULL;
    }
    l->st.on_event = on_event;
    l->st.on_eof = NULL; /* no message_stop: the stream dropped */
    return l;
}

static int anthropic_complete(hk_llm *l, const char *request_json) {
    if (l->st.busy) return -1;
    char err[128];
    hk_llm_config cfg = {.model = l->st.model, .temperature = l->st.temperature, .max_tokens = l->st.max_tokens};
    char *body = hk_anthropic_request(request_json, &cfg, err, sizeof err);
    if (!body) {
        hk_log(HK_LOG_WARN, l->st.log_id, "llm_bad_request", "anthropic: %s", err);
        return -1;
    }
    char key[1024];
    const char *headers[5] = {"content-type: application/json", "anthropic-version: " API_VERSION,
                              "accept: text/event-stream", NULL, NULL};
    if (*l->st.api_key) {
        snprintf(key, sizeof key, "x-api-key: %s", l->st.api_key);
        headers[3] = key;
    }
    clear_blocks(l);
    int rc = hk_llm_stream_start(&l->st, l->url, headers, body, strlen(body));
    free(body);
    return rc;
}

static void anthropic_cancel(hk_llm *l) { hk_llm_stream_cancel(&l->st); }

static void anthropic_close(hk_llm *l) {
    if (!l) return;
    hk_llm_stream_close(&l->st);
    clear_blocks(l);
    free(l);
}

const hk_llm_vtable hk_llm_anthropic = {
    .name = "anthropic",
    .open = anthropic_open,
    .complete = anthropic_complete,
    .cancel = anthropic_cancel,
    .close = anthropic_close,
};
