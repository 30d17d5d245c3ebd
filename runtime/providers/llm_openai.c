/* providers/llm_openai: OpenAI-compatible streaming chat completions. Owns the
 * request body (the neutral request plus model and streaming options), the
 * parsing of chat.completion.chunk events and the assembly of streamed tool
 * calls (by index: the first fragment names id and function, the rest carry
 * argument pieces). Transport, deadlines and the done-once rule live in
 * llm_stream.c. Never blocks the loop; never buffers the reply before
 * handing its tokens on. */
#include "providers/llm_openai.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "providers/llm_stream.h"

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

static int add_fragment(tool_acc *t, const char *s) {
    size_t n = strlen(s);
    if (t->args_len + n + 1 > t->args_cap) {
        size_t c = t->args_cap ? t->args_cap * 2 : 128;
        while (c < t->args_len + n + 1) c *= 2;
        char *b = realloc(t->args, c);
        if (!b) return -1;
        t->args = b;
        t->args_cap = c;
    }
    memcpy(t->args + t->args_len, s, n + 1);
    t->args_len += n;
    return 0;
}

static int take_tool_deltas(hk_llm *l, cJSON *calls) {
    int pos = 0;
    cJSON *c;
    cJSON_ArrayForEach(c, calls) {
        cJSON *ix = cJSON_GetObjectItemCaseSensitive(c, "index");
        tool_acc *t = tool_at(l, cJSON_IsNumber(ix) ? ix->valueint : pos);
        pos++;
        if (!t) return -1;
        cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
        cJSON *fn = cJSON_GetObjectItemCaseSensitive(c, "function");
        cJSON *name = cJSON_GetObjectItemCaseSensitive(fn, "name");
        cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
        if (cJSON_IsString(id) && *id->valuestring && !t->id) t->id = strdup(id->valuestring);
        if (cJSON_IsString(name) && *name->valuestring && !t->name) t->name = strdup(name->valuestring);
        if (cJSON_IsString(args) && add_fragment(t, args->valuestring) != 0) return -1;
        if (cJSON_IsObject(args)) { /* a few compatible servers send an object */
            char *a = cJSON_PrintUnformatted(args);
            int rc = a ? add_fragment(t, a) : -1;
            free(a);
            if (rc != 0) return -1;
        }
    }
    return 0;
}

/* a token count from the provider; -1 when absent or not a sane count */
static long count(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e12 ? (long)v->valuedouble : -1;
}

static void on_event(hk_llm_stream *s, const char *event, const char *data, size_t len) {
    (void)event;
    hk_llm *l = (hk_llm *)s;
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
        if (!send_tools(l)) return;
        hk_llm_stream_finish(s, 1, "%s", l->finish[0] ? l->finish : "stop");
        return;
    }
    cJSON *j = cJSON_ParseWithLength(data, len);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        hk_llm_stream_finish(s, 0, "malformed event: %.80s", data);
        return;
    }
    cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    if (e) { /* an error reported inside the stream (overload, server error) */
        cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
        cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "type");
        hk_llm_stream_finish(s, 0, "%s: %s", cJSON_IsString(t) ? t->valuestring : "error",
                             cJSON_IsString(m) ? m->valuestring : "error in stream");
        cJSON_Delete(j);
        return;
    }
    /* usage: the last chunk (empty choices) when include_usage is asked;
     * some compatible servers put it on the finishing chunk instead */
    cJSON *u = cJSON_GetObjectItemCaseSensitive(j, "usage");
    if (cJSON_IsObject(u)) hk_llm_stream_usage(s, count(u, "prompt_tokens"), count(u, "completion_tokens"));
    cJSON *choice = NULL, *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(j, "choices")) {
        cJSON *ix = cJSON_GetObjectItemCaseSensitive(c, "index");
        if (!cJSON_IsNumber(ix) || ix->valueint == 0) {
            choice = c;
            break;
        }
    }
    if (!choice) { /* the usage-only chunk, or another choice */
        cJSON_Delete(j);
        return;
    }
    cJSON *delta = cJSON_GetObjectItemCaseSensitive(choice, "delta");
    cJSON *content = cJSON_GetObjectItemCaseSensitive(delta, "content");
    if (cJSON_IsString(content) && *content->valuestring &&
        !hk_llm_stream_token(s, content->valuestring, strlen(content->valuestring))) {
        cJSON_Delete(j);
        return;
    }
    cJSON *calls = cJSON_GetObjectItemCaseSensitive(delta, "tool_calls");
    if (cJSON_IsArray(calls) && take_tool_deltas(l, calls) != 0) {
        cJSON_Delete(j);
        hk_llm_stream_finish(s, 0, "malformed event: too many tool calls");
        return;
    }
    cJSON *fr = cJSON_GetObjectItemCaseSensitive(choice, "finish_reason");
    int finished = cJSON_IsString(fr) && *fr->valuestring;
    if (finished) snprintf(l->finish, sizeof l->finish, "%s", fr->valuestring);
    cJSON_Delete(j);
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
