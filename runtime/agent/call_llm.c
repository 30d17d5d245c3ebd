/* agent/call_llm: call:llm{messages=, tools=, speak=}, call:history() and
 * call:remember_tool_calls / call:remember_tool_result (the LLM turn's tool
 * exchanges kept in the call's messages, so later turns see them; each call
 * and result is also a HK_CE_TOOL_CALL / HK_CE_TOOL_RESULT on the call's
 * event bus, whatever runs the tool).
 * call:llm streams one completion from the agent's model and parks the hook
 * until it ends; while it streams, the reply is cut into clauses (chunker.c)
 * and each goes to TTS at once, so the caller hears the first clause while
 * the model is still writing. It returns {text, tool_calls, finish_reason}
 * (the tool loop itself is Lua: lua/hark/llm.lua). Failures are handled
 * here: a request that failed before any output is retried once, then sent
 * to model.fallback if the agent names one; when all fail the agent's
 * fallback line is spoken and call:llm returns nil, err. Barge-in and hangup
 * cancel the stream (hk_call_llm_abort). Never blocks the loop. */
#include <cjson/cJSON.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/call.h"
#include "agent/call_events.h"
#include "agent/chunker.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/strbuf.h"
#include "providers/settings.h"

#define HK_LLM_MAX_TOOL_CALLS 16
#define HK_LLM_RETRY_DELAY_S 0.25

typedef struct tool_call {
    char *id, *name, *arguments;
} tool_call;

struct hk_call_llm {
    const hk_llm_vtable *v[2]; /* 0 the agent's model, 1 model.fallback */
    hk_llm *h[2];
    /* the completion in flight (or being retried) */
    int active;      /* a request is out on h[which] */
    int which, attempt;
    char *request;   /* provider-neutral JSON */
    int speak;       /* stream the reply into speech */
    int msg;         /* the assistant message being spoken, -1 none */
    int got_output;  /* a token or tool call arrived: no retry after this */
    int turn;
    hk_chunker chunker;
    hk_strbuf text;
    tool_call calls[HK_LLM_MAX_TOOL_CALLS];
    int n_calls;
    int ok;
    char reason[256];
    hk_timer retry_timer, resume_timer;
};

/* ---- providers ---- */

static const char *provider_name(hk_call *c, int which) {
    return which ? c->agent->llm_fallback : c->agent->llm_provider;
}

static void on_token(void *ud, const char *text, size_t len);
static void on_tool_call(void *ud, const char *id, const char *name, const char *args);
static void on_done(void *ud, int ok, const char *reason);

/* the tokens each request cost, cancelled ones included (what the provider
 * reported before the cancel): priced in the call's record */
static void on_usage(void *ud, long prompt_tokens, long completion_tokens) {
    hk_call *c = ud;
    c->llm_prompt_tokens += prompt_tokens;
    c->llm_completion_tokens += completion_tokens;
}

static hk_llm *provider(hk_call *c, int which, char *err, size_t errlen) {
    struct hk_call_llm *st = c->llm;
    if (st->h[which]) return st->h[which];
    hk_agent *a = c->agent;
    const char *name = provider_name(c, which);
    const hk_llm_vtable *v = name ? hk_llm_find(name) : NULL;
    if (!v) {
        snprintf(err, errlen, "no LLM provider '%s'", name ? name : "(none)");
        return NULL;
    }
    const char *base = which ? a->llm_fallback_base_url : a->llm_base_url;
    if (!base) base = hk_provider_base_url(name);
    if (!base) {
        snprintf(err, errlen, "%s needs model.url (the server's base URL)", name);
        return NULL;
    }
    if (hk_provider_key_missing(name, base, err, errlen)) return NULL;
    hk_llm_config cfg = {.provider = name,
                         .model = which ? a->llm_fallback_model : a->llm_model,
                         .api_key = hk_provider_api_key(name),
                         .base_url = base,
                         .temperature = a->llm_temperature,
                         .max_tokens = a->llm_max_tokens,
                         .first_token_timeout_s = a->llm_timeout_s,
                         .log_id = c->id};
    hk_llm_sink sink = {c, on_token, on_tool_call, on_done, on_usage};
    st->v[which] = v;
    st->h[which] = v->open(c->loop, &cfg, &sink, err, errlen);
    return st->h[which];
}

/* ---- speaking the stream ---- */

static void speak_chunk(hk_call *c, const char *text, size_t len, int last) {
    struct hk_call_llm *st = c->llm;
    if (!st->speak || c->ended) return;
    if (st->msg < 0) {
        if (!len) return;
        st->msg = hk_session_say_begin(c);
        if (st->msg < 0) return;
        c->msgs[st->msg].turn = st->turn;
    }
    char *piece = strndup(text, len);
    if (piece) hk_session_say_push(c, st->msg, piece, last);
    free(piece);
    if (last) st->msg = -1;
}

static void drain_chunks(hk_call *c) {
    struct hk_call_llm *st = c->llm;
    hk_chunk ch;
    while (hk_chunker_next(&st->chunker, &ch)) speak_chunk(c, ch.text, ch.len, 0);
}

/* the stream is over: say what is left and close the message */
static void finish_speech(hk_call *c, int keep_tail) {
    struct hk_call_llm *st = c->llm;
    if (keep_tail) {
        hk_chunker_finish(&st->chunker);
        hk_chunk ch;
        while (hk_chunker_next(&st->chunker, &ch)) speak_chunk(c, ch.text, ch.len, 0);
    }
    if (st->msg >= 0) speak_chunk(c, "", 0, 1);
    hk_chunker_reset(&st->chunker);
}

/* ---- the completion ---- */

static void clear_result(struct hk_call_llm *st) {
    for (int i = 0; i < st->n_calls; i++) {
        free(st->calls[i].id);
        free(st->calls[i].name);
        free(st->calls[i].arguments);
    }
    st->n_calls = 0;
    hk_strbuf_free(&st->text);
    memset(&st->text, 0, sizeof st->text);
    st->got_output = 0;
}

static int attempt(hk_call *c);

static void retry_now(hk_timer *t, void *ud) {
    (void)t;
    hk_call *c = ud;
    if (c->ended || !c->llm->request) return;
    attempt(c);
}

/* Push the result (or nil, err) and resume the hook: on a fresh loop turn,
 * so the provider's callback has returned before Lua runs again. */
static void resume_now(hk_timer *t, void *ud) {
    (void)t;
    hk_call *c = ud;
    struct hk_call_llm *st = c->llm;
    if (c->wait != HK_WAIT_LLM || !c->co) return;
    lua_State *co = c->co;
    if (!st->ok) {
        lua_pushnil(co);
        lua_pushstring(co, st->reason);
        clear_result(st);
        hk_call_resume(c, 2);
        return;
    }
    lua_createtable(co, 0, 4);
    lua_pushlstring(co, st->text.s ? st->text.s : "", st->text.len);
    lua_setfield(co, -2, "text");
    lua_pushstring(co, st->reason);
    lua_setfield(co, -2, "finish_reason");
    lua_pushstring(co, provider_name(c, st->which));
    lua_setfield(co, -2, "provider");
    lua_createtable(co, st->n_calls, 0);
    for (int i = 0; i < st->n_calls; i++) {
        lua_createtable(co, 0, 4);
        lua_pushstring(co, st->calls[i].id);
        lua_setfield(co, -2, "id");
        lua_pushstring(co, st->calls[i].name);
        lua_setfield(co, -2, "name");
        lua_pushstring(co, st->calls[i].arguments);
        lua_setfield(co, -2, "arguments");
        lua_rawseti(co, -2, i + 1);
    }
    lua_setfield(co, -2, "tool_calls");
    clear_result(st);
    hk_call_resume(c, 1);
}

static void finish(hk_call *c, int ok, const char *reason) {
    struct hk_call_llm *st = c->llm;
    st->ok = ok;
    if (reason != st->reason) snprintf(st->reason, sizeof st->reason, "%s", reason ? reason : "");
    free(st->request);
    st->request = NULL;
    if (st->turn >= 0) c->turns[st->turn].llm_end = hk_call_now(c);
    if (ok) {
        finish_speech(c, 1);
    } else {
        hk_metric_inc(HK_M_LLM_ERRORS);
        hk_log(HK_LOG_ERROR, c->id, "llm_error", "%s: %s", provider_name(c, st->which), st->reason);
        /* half a sentence may have been said: stop there, then the fallback line */
        finish_speech(c, 0);
        if (st->speak && !c->ended && !c->hangup_requested)
            hk_session_say(c, c->agent->fallback_message);
    }
    hk_timer_start(c->clock, &st->resume_timer, 0, resume_now, c);
}

/* Start the next attempt: the model, once more, then the fallback model. */
static int attempt(hk_call *c) {
    struct hk_call_llm *st = c->llm;
    char err[256] = "";
    for (;;) {
        int which = st->attempt < 2 ? 0 : 1;
        if (st->attempt > 2 || (which == 1 && !c->agent->llm_fallback)) {
            finish(c, 0, st->reason[0] ? st->reason : err);
            return -1;
        }
        st->attempt++;
        hk_llm *h = provider(c, which, err, sizeof err);
        if (!h) {
            snprintf(st->reason, sizeof st->reason, "%s", err);
            st->attempt = which ? 3 : 2; /* retrying a missing provider is pointless */
            continue;
        }
        st->which = which;
        clear_result(st);
        if (st->v[which]->complete(h, st->request) != 0) {
            snprintf(st->reason, sizeof st->reason, "%s: could not start the request",
                     provider_name(c, which));
            continue;
        }
        st->active = 1;
        hk_clock_hold(c->clock, 1);
        if (st->turn >= 0 && c->turns[st->turn].llm_request < 0)
            c->turns[st->turn].llm_request = hk_call_now(c);
        hk_log(HK_LOG_DEBUG, c->id, "llm_request", "%s attempt %d", provider_name(c, which),
               st->attempt);
        return 0;
    }
}

static void on_token(void *ud, const char *text, size_t len) {
    hk_call *c = ud;
    struct hk_call_llm *st = c->llm;
    if (!st->active || !len) return;
    if (!st->got_output && st->turn >= 0 && c->turns[st->turn].llm_first_token < 0) {
        hk_turn *t = &c->turns[st->turn];
        t->llm_first_token = hk_call_now(c);
        if (t->llm_request >= 0) hk_metric_observe(HK_H_LLM_FIRST_TOKEN, t->llm_first_token - t->llm_request);
    }
    st->got_output = 1;
    hk_strbuf_add(&st->text, text, len);
    if (st->speak) {
        hk_chunker_feed(&st->chunker, text, len);
        drain_chunks(c);
    }
}

static void on_tool_call(void *ud, const char *id, const char *name, const char *args) {
    hk_call *c = ud;
    struct hk_call_llm *st = c->llm;
    if (!st->active) return;
    st->got_output = 1;
    if (st->n_calls >= HK_LLM_MAX_TOOL_CALLS) {
        hk_log(HK_LOG_WARN, c->id, "llm_tool_calls", "more than %d tool calls: extra dropped",
               HK_LLM_MAX_TOOL_CALLS);
        return;
    }
    tool_call *tc = &st->calls[st->n_calls++];
    tc->id = strdup(id ? id : "");
    tc->name = strdup(name ? name : "");
    tc->arguments = strdup(args && *args ? args : "{}");
    hk_log(HK_LOG_INFO, c->id, "llm_tool_call", "%s (%zu bytes of arguments)", tc->name,
           strlen(tc->arguments));
    hk_log(HK_LOG_DEBUG, c->id, "llm_tool_call_arguments", "%s %s", tc->name, tc->arguments);
}

static void on_done(void *ud, int ok, const char *reason) {
    hk_call *c = ud;
    struct hk_call_llm *st = c->llm;
    if (!st->active) return;
    st->active = 0;
    hk_clock_hold(c->clock, -1);
    if (ok) {
        finish(c, 1, reason ? reason : "stop");
        return;
    }
    snprintf(st->reason, sizeof st->reason, "%s", reason ? reason : "failed");
    if (st->got_output || c->ended) { /* part of it was said: not safe to repeat */
        finish(c, 0, st->reason);
        return;
    }
    int next = st->attempt < 2 ? 0 : st->attempt == 2 && c->agent->llm_fallback ? 1 : -1;
    if (next < 0) {
        finish(c, 0, st->reason);
        return;
    }
    hk_metric_inc(HK_M_LLM_RETRIES);
    hk_log(HK_LOG_WARN, c->id, next ? "llm_fallback" : "llm_retry", "%s: %s%s%s",
           provider_name(c, st->which), st->reason, next ? "; trying " : "",
           next ? provider_name(c, 1) : "");
    hk_timer_start(c->clock, &st->retry_timer, st->attempt == 1 ? HK_LLM_RETRY_DELAY_S : 0,
                   retry_now, c);
}

void hk_call_llm_abort(hk_call *c) {
    struct hk_call_llm *st = c->llm;
    if (!st) return;
    hk_timer_stop(c->clock, &st->retry_timer);
    hk_timer_stop(c->clock, &st->resume_timer);
    if (st->active) {
        st->v[st->which]->cancel(st->h[st->which]);
        st->active = 0;
        hk_clock_hold(c->clock, -1);
        hk_log(HK_LOG_INFO, c->id, "llm_cancelled", "stream cancelled");
    }
    if (st->msg >= 0 && !c->ended) hk_session_say_push(c, st->msg, "", 1);
    st->msg = -1;
    hk_chunker_reset(&st->chunker);
    free(st->request);
    st->request = NULL;
    clear_result(st);
}

void hk_call_llm_free(hk_call *c) {
    struct hk_call_llm *st = c->llm;
    if (!st) return;
    hk_call_llm_abort(c);
    for (int i = 0; i < 2; i++)
        if (st->h[i]) st->v[i]->close(st->h[i]);
    hk_chunker_free(&st->chunker);
    free(st);
    c->llm = NULL;
}

/* ---- Lua ---- */

/* cjson.encode{messages = opts.messages, tools = opts.tools} */
static const char *encode_request(lua_State *L, int opts) {
    lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
    lua_getfield(L, -1, "cjson");
    if (!lua_istable(L, -1)) luaL_error(L, "call:llm: cjson is not loaded");
    lua_getfield(L, -1, "encode");
    lua_createtable(L, 0, 2);
    lua_getfield(L, opts, "messages");
    if (!lua_istable(L, -1) || lua_objlen(L, -1) == 0)
        luaL_error(L, "call:llm: messages must be a non-empty list");
    lua_setfield(L, -2, "messages");
    lua_getfield(L, opts, "tools");
    if (lua_istable(L, -1) && lua_objlen(L, -1) > 0) lua_setfield(L, -2, "tools");
    else lua_pop(L, 1); /* an empty list would encode as an object */
    lua_call(L, 1, 1);
    const char *json = lua_tostring(L, -1);
    lua_replace(L, -3);
    lua_pop(L, 1);
    return json;
}

static int l_llm(lua_State *L) {
    hk_call *c = hk_call_check(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    hk_call_check_can_wait(L, c, "call:llm");
    if (!hk_agent_uses_llm(c->agent))
        return luaL_error(L, "call:llm: this agent's model.provider is '%s', not an LLM",
                          c->agent->llm_provider);
    const char *json = encode_request(L, 2);
    lua_getfield(L, 2, "speak");
    int speak = lua_isnil(L, -1) || lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (!c->llm) {
        c->llm = calloc(1, sizeof *c->llm);
        if (!c->llm) return luaL_error(L, "call:llm: out of memory");
        c->llm->msg = -1;
        hk_chunker_init(&c->llm->chunker, NULL);
    }
    struct hk_call_llm *st = c->llm;
    if (st->active || st->request) return luaL_error(L, "call:llm: a completion is already running");
    st->request = strdup(json);
    st->speak = speak;
    st->turn = c->current_turn;
    st->attempt = 0;
    st->reason[0] = 0;
    st->msg = -1;
    hk_chunker_reset(&st->chunker);
    c->wait = HK_WAIT_LLM;
    attempt(c); /* on failure to start at all, finish() has queued the resume */
    return lua_yield(L, 0);
}

/* Push the history entry of a tool-calls message: {role="assistant",
 * tool_calls={...}}. Returns the number of calls (0: nothing pushed). */
static int push_tool_calls(lua_State *L, const hk_message *m, cJSON **out) {
    cJSON *calls = m->tool_json ? cJSON_Parse(m->tool_json) : NULL;
    int n = cJSON_GetArraySize(calls);
    if (!cJSON_IsArray(calls) || n == 0) {
        cJSON_Delete(calls);
        return 0;
    }
    lua_createtable(L, 0, 2);
    lua_pushstring(L, "assistant");
    lua_setfield(L, -2, "role");
    lua_createtable(L, n, 0);
    int k = 0;
    const cJSON *tc;
    cJSON_ArrayForEach(tc, calls) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(tc, "id");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(fn, "name");
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
        lua_createtable(L, 0, 3);
        lua_pushstring(L, cJSON_IsString(id) ? id->valuestring : "");
        lua_setfield(L, -2, "id");
        lua_pushstring(L, "function");
        lua_setfield(L, -2, "type");
        lua_createtable(L, 0, 2);
        lua_pushstring(L, cJSON_IsString(name) ? name->valuestring : "");
        lua_setfield(L, -2, "name");
        lua_pushstring(L, cJSON_IsString(args) ? args->valuestring : "{}");
        lua_setfield(L, -2, "arguments");
        lua_setfield(L, -2, "function");
        lua_rawseti(L, -2, ++k);
    }
    lua_setfield(L, -2, "tool_calls");
    *out = calls;
    return n;
}

/* The conversation as the caller heard it: user turns and assistant speech
 * (trimmed at barge-in; never-heard replies left out), oldest first, with
 * the LLM turns' tool exchanges: an assistant message with tool_calls, then
 * one role="tool" message per call, right after it, as both APIs require.
 * A result recorded later (the caller spoke while the tool ran) is moved up
 * to its call; a call whose tool never finished (its hook was cancelled by
 * barge-in or hangup) gets a result saying so, so the history stays valid. */
static int l_history(lua_State *L) {
    hk_call *c = hk_call_check(L, 1);
    lua_newtable(L);
    int n = 0;
    for (int i = 0; i < c->n_msgs; i++) {
        const hk_message *m = &c->msgs[i];
        if (m->role == HK_ROLE_TOOL_RESULT) continue; /* placed after its call below */
        if (m->role == HK_ROLE_TOOL_CALLS) {
            cJSON *calls = NULL;
            if (!push_tool_calls(L, m, &calls)) continue;
            lua_rawseti(L, -2, ++n);
            const cJSON *tc;
            cJSON_ArrayForEach(tc, calls) {
                const cJSON *id = cJSON_GetObjectItemCaseSensitive(tc, "id");
                const char *ids = cJSON_IsString(id) ? id->valuestring : "";
                const char *result = NULL;
                for (int j = i + 1; j < c->n_msgs && !result; j++) {
                    const hk_message *r = &c->msgs[j];
                    if (r->role == HK_ROLE_TOOL_RESULT && r->tool_call_id && strcmp(r->tool_call_id, ids) == 0)
                        result = r->text;
                }
                lua_createtable(L, 0, 3);
                lua_pushstring(L, "tool");
                lua_setfield(L, -2, "role");
                lua_pushstring(L, ids);
                lua_setfield(L, -2, "tool_call_id");
                lua_pushstring(L, result ? result
                                         : "{\"error\":\"the tool did not finish: the call moved on "
                                           "(the caller interrupted or hung up) before its result\"}");
                lua_setfield(L, -2, "content");
                lua_rawseti(L, -2, ++n);
            }
            cJSON_Delete(calls);
            continue;
        }
        if (m->dropped || !m->text[0]) continue;
        lua_createtable(L, 0, 2);
        lua_pushstring(L, m->role ? "user" : "assistant");
        lua_setfield(L, -2, "role");
        lua_pushstring(L, m->text);
        lua_setfield(L, -2, "content");
        lua_rawseti(L, -2, ++n);
    }
    return 1;
}

/* call:remember_tool_calls(tool_calls): the model asked for these tools (the
 * list call:llm returned: {id, name, arguments}); they join the call's
 * history and record before they run, so later turns see them. */
static int l_remember_tool_calls(lua_State *L) {
    hk_call *c = hk_call_check(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    int n = (int)lua_objlen(L, 2);
    if (n == 0) return 0;
    cJSON *calls = cJSON_CreateArray();
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, 2, i);
        if (!lua_istable(L, -1)) {
            cJSON_Delete(calls);
            return luaL_error(L, "call:remember_tool_calls: item %d is not a table", i);
        }
        lua_getfield(L, -1, "id");
        lua_getfield(L, -2, "name");
        lua_getfield(L, -3, "arguments");
        const char *id = lua_tostring(L, -3), *name = lua_tostring(L, -2), *args = lua_tostring(L, -1);
        if (!id || !*id || !name || !*name) {
            cJSON_Delete(calls);
            return luaL_error(L, "call:remember_tool_calls: item %d needs an id and a name", i);
        }
        cJSON *tc = cJSON_CreateObject();
        cJSON_AddStringToObject(tc, "id", id);
        cJSON_AddStringToObject(tc, "type", "function");
        cJSON *fn = cJSON_AddObjectToObject(tc, "function");
        cJSON_AddStringToObject(fn, "name", name);
        cJSON_AddStringToObject(fn, "arguments", args && *args ? args : "{}");
        cJSON_AddItemToArray(calls, tc);
        lua_pop(L, 4);
    }
    char *json = cJSON_PrintUnformatted(calls);
    cJSON_Delete(calls);
    if (!json) return luaL_error(L, "call:remember_tool_calls: out of memory");
    double now = hk_call_now(c);
    int i = hk_call_add_message(c, HK_ROLE_TOOL_CALLS, "", now, now);
    if (i < 0) {
        free(json);
        return 0; /* the record is full: logged, and the call is ending */
    }
    c->msgs[i].tool_json = json;
    c->msgs[i].synthesised = 1;
    hk_call_store_flush(c, 0);
    /* the bus hears of each call as it is dispatched (after the record:
     * a subscriber may read c->msgs) */
    for (int k = 1; k <= n; k++) {
        lua_rawgeti(L, 2, k);
        lua_getfield(L, -1, "id");
        lua_getfield(L, -2, "name");
        lua_getfield(L, -3, "arguments");
        const char *args = lua_tostring(L, -1);
        hk_call_event ev = {.type = HK_CE_TOOL_CALL,
                            .id = lua_tostring(L, -3),
                            .name = lua_tostring(L, -2),
                            .args = args && *args ? args : "{}",
                            .turn = c->current_turn};
        hk_call_emit(c, &ev);
        lua_pop(L, 4);
    }
    return 0;
}

/* call:remember_tool_result(id, name, result): what one tool returned. */
static int l_remember_tool_result(lua_State *L) {
    hk_call *c = hk_call_check(L, 1);
    const char *id = luaL_checkstring(L, 2);
    const char *name = luaL_checkstring(L, 3);
    const char *result = luaL_checkstring(L, 4);
    cJSON *arr = cJSON_CreateArray();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "toolCallId", id);
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddStringToObject(o, "result", result);
    cJSON_AddItemToArray(arr, o);
    char *json = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    char *idc = strdup(id);
    double now = hk_call_now(c);
    int i = json && idc ? hk_call_add_message(c, HK_ROLE_TOOL_RESULT, result, now, now) : -1;
    if (i < 0) {
        free(json);
        free(idc);
        return 0;
    }
    c->msgs[i].tool_json = json;
    c->msgs[i].tool_call_id = idc;
    c->msgs[i].synthesised = 1;
    hk_call_store_flush(c, 0);
    hk_call_event ev = {
        .type = HK_CE_TOOL_RESULT, .id = id, .name = name, .text = result, .turn = c->current_turn};
    hk_call_emit(c, &ev);
    return 0;
}

int hk_call_push_llm_turn(hk_call *c, lua_State *L) {
    if (!hk_agent_uses_llm(c->agent)) return 0;
    lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
    lua_getfield(L, -1, "hark.llm");
    lua_remove(L, -2);
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "turn");
        lua_remove(L, -2);
        if (lua_isfunction(L, -1)) return 1;
    }
    lua_pop(L, 1);
    return 0;
}

void hk_call_api_llm(lua_State *L, int methods) {
    lua_pushcfunction(L, l_llm);
    lua_setfield(L, methods, "llm");
    lua_pushcfunction(L, l_history);
    lua_setfield(L, methods, "history");
    lua_pushcfunction(L, l_remember_tool_calls);
    lua_setfield(L, methods, "remember_tool_calls");
    lua_pushcfunction(L, l_remember_tool_result);
    lua_setfield(L, methods, "remember_tool_result");
}
