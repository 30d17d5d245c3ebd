/* providers/llm_openai: OpenAI-compatible streaming chat completions. Owns the
 * request body (the neutral request plus model and streaming options) and
 * the application of each stream event (read by openai_event.c): tokens to
 * the sink, the assembly of streamed tool calls (by index: the first fragment
 * names id and function, the rest carry argument pieces). Transport, deadlines and the done-once rule live in
 * llm_stream.c. Never blocks the loop; never buffers the reply before
 * handing its tokens on. */
#include "providers/llm_openai.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "providers/llm_stream.h"
#include "providers/openai_event.h"

#define DEFAULT_BASE "https://api.openai.com/v1"
#define MAX_TOOL_CALLS 64

typedef struct tool_acc {
    int index;
    char *id, *name;
    char *args;
    size_t args_len, args_cap;
} tool_acc;

struct hk_llm {
    hk_llm_stream st; /* first: the stream callbacks cast back to hk_llm */
    char url[1024];
    /* the completion in flight */
    tool_acc tools[MAX_TOOL_CALLS];
    size_t n_tools;
    int tools_sent;
    char finish[32];
};

static void clear_tools(hk_llm *l) {
    for (size_t i = 0; i < l->n_tools; i++) {
        free(l->tools[i].id);
        free(l->tools[i].name);
        free(l->tools[i].args);
    }
    memset(l->tools, 0, sizeof l->tools);
    l->n_tools = 0;
    l->tools_sent = 0;
    l->finish[0] = 0;
}

static int set_str(cJSON *o, const char *key, cJSON *v) {
    if (!v) return -1;
    if (cJSON_GetObjectItemCaseSensitive(o, key)) cJSON_ReplaceItemInObjectCaseSensitive(o, key, v);
    else cJSON_AddItemToObject(o, key, v);
    return 0;
}

char *hk_openai_request(const char *request_json, const hk_llm_config *cfg, char *err,
                        size_t errlen) {
    cJSON *req = cJSON_Parse(request_json ? request_json : "");
    if (!cJSON_IsObject(req) || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(req, "messages"))) {
        snprintf(err, errlen, "request is not an object with a messages array");
        cJSON_Delete(req);
        return NULL;
    }
    if (cfg->model && *cfg->model) set_str(req, "model", cJSON_CreateString(cfg->model));
    set_str(req, "stream", cJSON_CreateTrue());
    cJSON *so = cJSON_CreateObject();
    cJSON_AddTrueToObject(so, "include_usage");
    set_str(req, "stream_options", so);
    cJSON *tools = cJSON_GetObjectItemCaseSensitive(req, "tools");
    if (tools && (!cJSON_IsArray(tools) || cJSON_GetArraySize(tools) == 0)) {
        /* the API rejects an empty tools array, and tool_choice without tools */
        cJSON_DeleteItemFromObjectCaseSensitive(req, "tools");
        cJSON_DeleteItemFromObjectCaseSensitive(req, "tool_choice");
    } else if (tools && !cJSON_GetObjectItemCaseSensitive(req, "tool_choice")) {
        cJSON_AddStringToObject(req, "tool_choice", "auto");
    }
    if (cfg->temperature >= 0) set_str(req, "temperature", cJSON_CreateNumber(cfg->temperature));
    if (cfg->max_tokens > 0) {
        /* OpenAI's reasoning and newest models refuse max_tokens; compatible
         * servers (vLLM, llama.cpp, Groq) know only max_tokens */
        const char *m = cfg->model ? cfg->model : "";
        int newer = (m[0] == 'o' && m[1] >= '1' && m[1] <= '9') || strncmp(m, "gpt-5", 5) == 0;
        set_str(req, newer ? "max_completion_tokens" : "max_tokens", cJSON_CreateNumber(cfg->max_tokens));
    }
    char *out = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    if (!out) snprintf(err, errlen, "out of memory");
    return out;
}

/* Tool calls go to the sink in index order, once. 0: stop (see llm_stream.h). */
static int send_tools(hk_llm *l) {
    if (l->tools_sent) return 1;
    l->tools_sent = 1;
    for (size_t i = 0; i < l->n_tools; i++) {
        tool_acc *t = &l->tools[i];
        char id[32];
        if (!t->id) snprintf(id, sizeof id, "call_%d", t->index);
        if (!hk_llm_stream_tool_call(&l->st, t->id ? t->id : id, t->name ? t->name : "",
                                     t->args ? t->args : "{}"))
            return 0;
    }
    return 1;
}

static tool_acc *tool_at(hk_llm *l, int index) {
    for (size_t i = 0; i < l->n_tools; i++)
        if (l->tools[i].index == index) return &l->tools[i];
    if (l->n_tools == MAX_TOOL_CALLS) return NULL;
    /* keep index order: calls are usually numbered 0, 1, 2 in order anyway */
    size_t at = l->n_tools;
    while (at > 0 && l->tools[at - 1].index > index) at--;
    memmove(&l->tools[at + 1], &l->tools[at], (l->n_tools - at) * sizeof *l->tools);
    memset(&l->tools[at], 0, sizeof *l->tools);
    l->tools[at].index = index;
    l->n_tools++;
    return &l->tools[at];
}

static int add_fragment(tool_acc *t, const char *s, size_t n) {
    if (t->args_len + n + 1 > t->args_cap) {
        size_t c = t->args_cap ? t->args_cap * 2 : 128;
        while (c < t->args_len + n + 1) c *= 2;
        char *b = realloc(t->args, c);
        if (!b) return -1;
        t->args = b;
        t->args_cap = c;
    }
    memcpy(t->args + t->args_len, s, n);
    t->args_len += n;
    t->args[t->args_len] = 0;
    return 0;
}

/* One event's tool call fragments into the calls of the completion. */
static int take_tool_deltas(hk_llm *l, const hk_openai_event *ev) {
    for (size_t i = 0; i < ev->n_calls; i++) {
        const hk_openai_tool_delta *d = &ev->calls[i];
        tool_acc *t = tool_at(l, d->index);
        if (!t) return -1;
        if (d->id && !t->id) t->id = strdup(d->id);
        if (d->name && !t->name) t->name = strdup(d->name);
        if (d->args && add_fragment(t, d->args, d->args_len) != 0) return -1;
    }
    return 0;
}

/* One SSE event: openai_event reads it, this applies it to the completion. */
static void on_event(hk_llm_stream *s, const char *event, const char *data, size_t len) {
    (void)event;
    hk_llm *l = (hk_llm *)s;
    hk_openai_event ev;
    char err[160];
    if (hk_openai_event_parse(data, len, &ev, err, sizeof err) != HK_OPENAI_EVENT_OK) {
        hk_llm_stream_finish(s, 0, "%s", err);
        return;
    }
    if (ev.kind == HK_OPENAI_EVENT_DONE) {
        if (!send_tools(l)) return;
        hk_llm_stream_finish(s, 1, "%s", l->finish[0] ? l->finish : "stop");
        return;
    }
    if (ev.kind == HK_OPENAI_EVENT_ERROR) {
        hk_llm_stream_finish(s, 0, "%s: %s", ev.error_type ? ev.error_type : "error",
                             ev.error_message ? ev.error_message : "error in stream");
        hk_openai_event_free(&ev);
        return;
    }
    if (ev.has_usage) hk_llm_stream_usage(s, ev.prompt_tokens, ev.completion_tokens);
    if (!ev.has_choice) { /* the usage-only chunk, or another choice */
        hk_openai_event_free(&ev);
        return;
    }
    if (ev.text && !hk_llm_stream_token(s, ev.text, ev.text_len)) {
        hk_openai_event_free(&ev);
        return;
    }
    if (take_tool_deltas(l, &ev) != 0) {
        hk_openai_event_free(&ev);
        hk_llm_stream_finish(s, 0, "malformed event: too many tool calls");
        return;
    }
    int finished = ev.finish_reason != NULL;
    if (finished) snprintf(l->finish, sizeof l->finish, "%s", ev.finish_reason);
    hk_openai_event_free(&ev);
    /* the calls are complete once a finish_reason comes: hand them on now
     * rather than after the usage chunk */
    if (finished && l->n_tools) send_tools(l);
}

/* The body ended without [DONE]: a finish_reason already seen is enough. */
static void on_eof(hk_llm_stream *s) {
    hk_llm *l = (hk_llm *)s;
    if (!l->finish[0]) return;
    if (!send_tools(l)) return;
    hk_llm_stream_finish(s, 1, "%s", l->finish);
}

static hk_llm *openai_open(struct ev_loop *loop, const hk_llm_config *cfg, const hk_llm_sink *sink,
                           char *err, size_t errlen) {
    hk_llm *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    const char *base = cfg->base_url && *cfg->base_url ? cfg->base_url : DEFAULT_BASE;
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/') bl--;
    const char *tail = "/chat/completions";
    /* a base_url that already names the endpoint is taken as it is */
    int whole = bl >= strlen(tail) && strncmp(base + bl - strlen(tail), tail, strlen(tail)) == 0;
    if (hk_llm_join_url(l->url, sizeof l->url, base, whole ? "" : tail) != 0) {
        snprintf(err, errlen, "base_url too long");
        free(l);
        return NULL;
    }
    if (hk_llm_stream_init(&l->st, loop, cfg, sink, "openai") != 0) {
        snprintf(err, errlen, "cannot create the HTTP client");
        free(l);
        return NULL;
    }
    l->st.on_event = on_event;
    l->st.on_eof = on_eof;
    return l;
}

static int openai_complete(hk_llm *l, const char *request_json) {
    if (l->st.busy) return -1;
    char err[128];
    hk_llm_config cfg = {.model = l->st.model, .temperature = l->st.temperature, .max_tokens = l->st.max_tokens};
    char *body = hk_openai_request(request_json, &cfg, err, sizeof err);
    if (!body) {
        hk_log(HK_LOG_WARN, l->st.log_id, "llm_bad_request", "openai: %s", err);
        return -1;
    }
    char auth[1024];
    const char *headers[4] = {"Content-Type: application/json", "Accept: text/event-stream", NULL, NULL};
    if (*l->st.api_key) { /* local servers take no key: send no header at all */
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", l->st.api_key);
        headers[2] = auth;
    }
    clear_tools(l);
    int rc = hk_llm_stream_start(&l->st, l->url, headers, body, strlen(body));
    free(body);
    return rc;
}

static void openai_cancel(hk_llm *l) { hk_llm_stream_cancel(&l->st); }

static void openai_close(hk_llm *l) {
    if (!l) return;
    hk_llm_stream_close(&l->st);
    clear_tools(l);
    free(l);
}

const hk_llm_vtable hk_llm_openai = {
    .name = "openai",
    .open = openai_open,
    .complete = openai_complete,
    .cancel = openai_cancel,
    .close = openai_close,
};
