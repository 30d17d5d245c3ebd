/* agent/call: a call's lifecycle, its Lua object and the hook runner.
 * Each hook runs in its own coroutine under the CPU budget; one hook runs at a
 * time per call and later events wait in order. A hook that waits (sleep, say)
 * parks its coroutine and the loop resumes it; an error in a hook is caught
 * here: the traceback is logged with the agent file and line, the agent's
 * fallback line is spoken, and the call (and every other call) goes on. */
#include "agent/call.h"
#include "agent/call_events.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/metrics.h"

#define HK_CALL_MT "hark.call"

static void run_next(hk_call *c);

double hk_call_now(const hk_call *c) { return hk_clock_now(c->clock) - c->t0; }

hk_call *hk_call_check(lua_State *L, int idx) {
    hk_call **u = luaL_checkudata(L, idx, HK_CALL_MT);
    if (!*u) luaL_error(L, "this call has ended");
    return *u;
}

void hk_call_check_can_wait(lua_State *L, hk_call *c, const char *what) {
    if (L != c->co)
        luaL_error(L, "%s waits, so it must be called from the hook itself, not from a "
                      "nested coroutine or at load time", what);
}

/* call.x: methods first, then read-only properties; unknown names are errors
 * so a misspelt API call says what is wrong. */
static int call_index(lua_State *L) {
    hk_call **u = luaL_checkudata(L, 1, HK_CALL_MT);
    const char *k = luaL_checkstring(L, 2);
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    if (!lua_isnil(L, -1)) return 1;
    lua_pop(L, 1);
    hk_call *c = *u;
    if (!c) return luaL_error(L, "this call has ended");
    if (strcmp(k, "id") == 0) lua_pushstring(L, c->id);
    else if (strcmp(k, "from") == 0) lua_pushstring(L, c->from);
    else if (strcmp(k, "to") == 0) lua_pushstring(L, c->to);
    else if (strcmp(k, "agent") == 0) lua_pushstring(L, c->agent->name);
    else if (strcmp(k, "agent_version") == 0) lua_pushinteger(L, c->agent->version);
    else if (strcmp(k, "turn") == 0) lua_pushinteger(L, c->n_turns);
    else if (strcmp(k, "time") == 0) lua_pushnumber(L, hk_call_now(c));
    else if (strcmp(k, "metadata") == 0) { /* the agent's free-form metadata table, or nil */
        hk_agent_push_table(c->agent, L);
        lua_pushstring(L, "metadata");
        lua_rawget(L, -2);
    }
    else return luaL_error(L, "call has no method or field '%s'", k);
    return 1;
}

static int call_newindex(lua_State *L) {
    return luaL_error(L, "call fields are read-only (use call:set(key, value) for state)");
}

static void push_methods_mt(lua_State *L) {
    if (luaL_newmetatable(L, HK_CALL_MT)) {
        lua_newtable(L);
        int m = lua_gettop(L);
        hk_call_api_say(L, m);
        hk_call_api_timer(L, m);
        hk_call_api_control(L, m);
        hk_call_api_state(L, m);
        hk_call_api_log(L, m);
        hk_call_api_tools(L, m);
        hk_call_api_llm(L, m);
        hk_call_api_http(L, m);
        lua_pushcclosure(L, call_index, 1);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, call_newindex);
        lua_setfield(L, -2, "__newindex");
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
    }
}

hk_call *hk_call_new(hk_agent *agent, const hk_call_opts *o, const hk_call_io *io, char *err,
                     size_t errlen) {
    hk_call *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    snprintf(c->id, sizeof c->id, "%s", o->id ? o->id : "call");
    snprintf(c->from, sizeof c->from, "%s", o->from ? o->from : "");
    snprintf(c->to, sizeof c->to, "%s", o->to ? o->to : "");
    c->agent = agent;
    hk_agent_ref(agent);
    c->loop = o->loop;
    c->clock = o->clock;
    c->io = *io;
    c->text_only = o->text_only;
    c->store = o->store;
    c->inbound = o->inbound;
    snprintf(c->tenant_id, sizeof c->tenant_id, "%s", o->tenant_id ? o->tenant_id : HK_DEFAULT_TENANT);
    if (o->recording_url) snprintf(c->recording_url, sizeof c->recording_url, "%s", o->recording_url);
    c->current_turn = -1;
    c->t0 = hk_clock_now(c->clock);
    hk_vad_init(&c->vad, &o->vad, 8000);
    if (o->record) c->rec = hk_recorder_new(8000);

    lua_State *L = agent->vm->L;
    hk_call **u = lua_newuserdata(L, sizeof *u);
    *u = c;
    push_methods_mt(L);
    lua_setmetatable(L, -2);
    c->obj_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_newtable(L);
    c->state_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    c->mem_acct = hk_vm_account_open(agent->vm); /* what its hooks allocate */
    c->co_ref = LUA_NOREF;

    if (hk_session_open(c, err, errlen) != 0) {
        hk_call_free(c);
        return NULL;
    }
    return c;
}

static void drop_coroutine(hk_call *c) {
    /* whatever the hook was waiting on is cancelled with it */
    if (c->wait == HK_WAIT_LLM) hk_call_llm_abort(c);
    if (c->wait == HK_WAIT_HTTP) hk_call_http_abort(c);
    if (c->co_ref != LUA_NOREF) luaL_unref(c->agent->vm->L, LUA_REGISTRYINDEX, c->co_ref);
    c->co_ref = LUA_NOREF;
    c->co = NULL;
    c->co_hook = NULL;
    c->wait = HK_WAIT_NONE;
    hk_timer_stop(c->clock, &c->sleep_timer); /* a hook failed while parked in call:sleep */
}

void hk_call_free(hk_call *c) {
    if (!c) return;
    hk_timer_stop(c->clock, &c->sleep_timer);
    hk_timer_stop(c->clock, &c->end_timer);
    hk_timer_stop(c->clock, &c->limit_timer);
    drop_coroutine(c);
    hk_call_llm_free(c);
    hk_call_http_free(c);
    hk_session_close(c);
    lua_State *L = c->agent->vm->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->obj_ref);
    hk_call **u = lua_touserdata(L, -1);
    if (u) *u = NULL; /* any reference kept by agent code now errors cleanly */
    lua_pop(L, 1);
    luaL_unref(L, LUA_REGISTRYINDEX, c->obj_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, c->state_ref);
    drop_coroutine(c);
    hk_vm_account_close(c->agent->vm, c->mem_acct);
    for (int i = 0; i < c->n_pending; i++) free(c->pending[i].text);
    for (int i = 0; i < c->n_msgs; i++) {
        free(c->msgs[i].text);
        free(c->msgs[i].marks);
        free(c->msgs[i].tool_json);
        free(c->msgs[i].tool_call_id);
    }
    free(c->msgs);
    free(c->turns);
    hk_recorder_free(c->rec);
    hk_agent_unref(c->agent);
    free(c);
}

static void on_limit(hk_timer *t, void *ud) {
    (void)t;
    hk_call_hangup(ud, "exceeded-max-duration");
}

void hk_call_start(hk_call *c) {
    hk_metric_inc(HK_M_CALLS_STARTED);
    hk_metric_active_calls(1);
    c->started = 1;
    hk_call_store_begin(c);
    char from_m[32], to_m[32];
    hk_log(HK_LOG_INFO, c->id, "call_started", "agent %s version %d from %s to %s",
           c->agent->name, c->agent->version, hk_log_mask_number(c->from, from_m, sizeof from_m),
           hk_log_mask_number(c->to, to_m, sizeof to_m));
    if (c->agent->max_duration_s > 0)
        hk_timer_start(c->clock, &c->limit_timer, c->agent->max_duration_s, on_limit, c);
    hk_call_emit_status(c, HK_CE_STARTED, "in-progress", -1);
    /* first_message_mode: waits-for-user says nothing until the caller
     * speaks; model-generated lets the LLM write the greeting from the
     * system prompt (queued after on_start, like a turn with no caller words) */
    if (c->agent->first_message && c->agent->first_message_mode == HK_FIRST_SPEAKS)
        hk_session_say(c, c->agent->first_message);
    hk_call_run_hook(c, "on_start", NULL, -1);
    if (c->agent->first_message_mode == HK_FIRST_MODEL_GENERATED) hk_call_run_hook(c, "greeting", NULL, -1);
}

static void hook_failed(hk_call *c, const char *hook, const char *tb) {
    c->hook_errors++;
    size_t n = strnlen(tb, sizeof c->hook_error - 1); /* cut on purpose (snprintf: -Wformat-truncation at -O3) */
    memcpy(c->hook_error, tb, n);
    c->hook_error[n] = 0;
    hk_metric_inc(HK_M_HOOK_ERRORS);
    hk_log(HK_LOG_ERROR, c->id, "hook_error", "%s %s: %s", c->agent->path, hook, tb);
    if (!c->ended && !c->hangup_requested) hk_session_say(c, c->agent->fallback_message);
}

/* The coroutine returned: on_user_turn may return the reply text. */
static void hook_finished(hk_call *c) {
    lua_State *co = c->co;
    int n = lua_gettop(co);
    if (n >= 1 && lua_type(co, 1) == LUA_TSTRING && strcmp(c->co_hook, "on_user_turn") == 0) {
        hk_session_say(c, lua_tostring(co, 1));
    } else if (n >= 1 && !lua_isnil(co, 1) && strcmp(c->co_hook, "on_user_turn") == 0) {
        hook_failed(c, c->co_hook, "on_user_turn must return a string (the reply) or nothing");
    }
}

static void step(hk_call *c, int nargs) {
    char tb[4096];
    int rc = hk_vm_resume(c->agent->vm, c->mem_acct, c->co, nargs, tb, sizeof tb);
    /* Only hark's waiting APIs park a hook (they set c->wait before yielding);
     * a bare coroutine.yield() would leave it parked with nothing to wake it. */
    if (rc == LUA_YIELD && c->wait == HK_WAIT_NONE) {
        snprintf(tb, sizeof tb, "coroutine.yield() outside a hark call API: hooks must not yield "
                 "directly (wrap the code in coroutine.wrap/create to use coroutines)");
        rc = LUA_ERRRUN;
    }
    if (rc == LUA_YIELD) return; /* parked on a timer or speech; resumed later */
    if (rc == 0) hook_finished(c);
    else hook_failed(c, c->co_hook, tb);
    drop_coroutine(c);
    c->current_turn = -1;
    /* memory the call still holds (call:set) after its hook is gone: it cannot
     * run another hook, so it ends instead of failing every turn */
    if (rc != 0 && hk_vm_account_over(c->agent->vm, c->mem_acct)) {
        hk_log(HK_LOG_WARN, c->id, "call_memory", "the call's state holds %zu KB, over its "
               "memory budget: ending the call", hk_vm_account_used(c->agent->vm, c->mem_acct) / 1024);
        hk_call_hangup(c, "error-memory-budget");
    }
    run_next(c);
}

void hk_call_resume(hk_call *c, int nret) {
    if (!c->co) return;
    c->wait = HK_WAIT_NONE;
    step(c, nret);
}

/* Run the function on top of the main stack as hook name. */
static void start_fn(hk_call *c, const char *name, const char *arg, int turn, int with_agent) {
    lua_State *L = c->agent->vm->L;
    lua_State *co = lua_newthread(L);
    c->co_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_xmove(L, co, 1); /* the function */
    c->co = co;
    c->co_hook = name;
    c->current_turn = turn;
    lua_rawgeti(co, LUA_REGISTRYINDEX, c->obj_ref);
    int nargs = 1;
    if (arg || with_agent) {
        lua_pushstring(co, arg ? arg : "");
        nargs++;
    }
    if (with_agent) {
        hk_agent_push_table(c->agent, co);
        nargs++;
    }
    step(c, nargs);
}

static void start_hook(hk_call *c, const char *name, const char *arg, int turn) {
    if (hk_agent_push_hook(c->agent, name)) start_fn(c, name, arg, turn, 0);
}

static void run_next(hk_call *c) {
    while (!c->co && c->n_pending > 0 && !c->ended) {
        hk_pending p = c->pending[0];
        memmove(&c->pending[0], &c->pending[1], (size_t)(c->n_pending - 1) * sizeof p);
        c->n_pending--;
        if (p.kind == HK_EV_USER_TURN || p.kind == HK_EV_GREETING) {
            if (c->hangup_requested) {
                /* the agent already said goodbye: the turn is recorded, not answered */
            } else if (p.kind == HK_EV_GREETING) {
                /* no caller words: the default LLM turn answers the system
                 * prompt alone (an agent's own on_user_turn is not asked) */
                if (hk_call_push_llm_turn(c, c->agent->vm->L))
                    start_fn(c, "on_user_turn", NULL, -1, 1);
            } else if (hk_agent_push_hook(c->agent, "on_user_turn")) {
                start_fn(c, "on_user_turn", p.text, p.turn, 0);
            } else if (hk_call_push_llm_turn(c, c->agent->vm->L)) {
                /* the default turn: hark.llm.turn(call, text, agent) */
                start_fn(c, "on_user_turn", p.text, p.turn, 1);
            } else {
                hook_failed(c, "on_user_turn", "the agent has no on_user_turn and no LLM");
            }
        } else if (p.kind == HK_EV_DTMF) {
            start_hook(c, "on_dtmf", p.text, -1);
        }
        free(p.text);
    }
}

void hk_call_interrupt(hk_call *c) {
    if (c->ended) return;
    /* the hook that was speaking is abandoned, like a cancelled LLM stream */
    if (c->co) {
        hk_timer_stop(c->clock, &c->sleep_timer);
        hk_log(HK_LOG_INFO, c->id, "hook_cancelled", "%s cancelled by barge-in", c->co_hook);
        drop_coroutine(c);
        c->current_turn = -1;
    }
    start_hook(c, "on_interrupt", NULL, -1);
    run_next(c);
}

void hk_call_transcript_hook(hk_call *c, const char *text, int final, double confidence, int turn) {
    if (c->ended || !hk_agent_push_hook(c->agent, "on_transcript")) return;
    lua_State *L = c->agent->vm->L;
    lua_State *co = lua_newthread(L);
    lua_insert(L, -2);
    lua_xmove(L, co, 1);
    lua_rawgeti(co, LUA_REGISTRYINDEX, c->obj_ref);
    lua_createtable(co, 0, 5);
    lua_pushstring(co, text);
    lua_setfield(co, -2, "text");
    lua_pushboolean(co, final);
    lua_setfield(co, -2, "final");
    lua_pushnumber(co, hk_call_now(c));
    lua_setfield(co, -2, "time");
    if (confidence >= 0) {
        lua_pushnumber(co, confidence);
        lua_setfield(co, -2, "confidence");
    }
    if (turn >= 0) {
        lua_pushinteger(co, turn + 1); /* as call.turn counts */
        lua_setfield(co, -2, "turn");
    }
    char tb[4096];
    int rc = hk_vm_resume(c->agent->vm, c->mem_acct, co, 2, tb, sizeof tb);
    if (rc == LUA_YIELD)
        snprintf(tb, sizeof tb, "on_transcript cannot wait (it runs to its end at once; wait in "
                                "on_user_turn instead)");
    if (rc != 0) { /* logged and counted; no fallback line: the caller is mid-sentence */
        c->hook_errors++;
        hk_metric_inc(HK_M_HOOK_ERRORS);
        hk_log(HK_LOG_ERROR, c->id, "hook_error", "%s on_transcript: %s", c->agent->path, tb);
    }
    lua_pop(L, 1); /* the thread */
}

void hk_call_run_hook(hk_call *c, const char *name, const char *arg, int turn) {
    if (c->ended) return;
    if (strcmp(name, "on_start") == 0) {
        if (!c->co) start_hook(c, name, arg, turn);
        return;
    }
    if (c->n_pending >= HK_MAX_PENDING) {
        hk_log(HK_LOG_WARN, c->id, "event_dropped", "%s: too many events waiting", name);
        return;
    }
    hk_pending *p = &c->pending[c->n_pending++];
    p->kind = strcmp(name, "on_dtmf") == 0    ? HK_EV_DTMF
              : strcmp(name, "greeting") == 0 ? HK_EV_GREETING
                                              : HK_EV_USER_TURN;
    p->text = strdup(arg ? arg : "");
    p->turn = turn;
    run_next(c);
}

int hk_call_idle(const hk_call *c) {
    return !c->co && c->n_pending == 0 && !hk_session_speaking(c) && !c->in_speech &&
           c->utt_open == 0;
}

static void on_end_timer(hk_timer *t, void *ud) {
    (void)t;
    hk_call *c = ud;
    if (c->ended) return;
    /* hang up once what was said has played, or a hook still running gives up */
    if (hk_session_speaking(c)) {
        hk_timer_start(c->clock, &c->end_timer, 0.02, on_end_timer, c);
        return;
    }
    hk_call_end(c, c->end_reason[0] ? c->end_reason : "assistant-ended-call");
}

void hk_call_hangup(hk_call *c, const char *reason) {
    if (c->ended || c->hangup_requested) return;
    c->hangup_requested = 1;
    snprintf(c->end_reason, sizeof c->end_reason, "%s", reason);
    hk_timer_start(c->clock, &c->end_timer, 0, on_end_timer, c);
}

void hk_call_end(hk_call *c, const char *why) {
    if (c->ended) return;
    c->ended = 1;
    char reason[sizeof c->end_reason];
    snprintf(reason, sizeof reason, "%s", why); /* why may be c->end_reason itself */
    snprintf(c->end_reason, sizeof c->end_reason, "%s", reason);
    if (c->started) {
        hk_metric_inc(HK_M_CALLS_ENDED);
        hk_metric_active_calls(-1);
    }
    hk_timer_stop(c->clock, &c->limit_timer);
    hk_timer_stop(c->clock, &c->sleep_timer);
    if (c->co) drop_coroutine(c); /* a hook still parked is abandoned */
    /* on_end runs to its first wait at most: the call is over */
    lua_State *L = c->agent->vm->L;
    if (hk_agent_push_hook(c->agent, "on_end")) {
        lua_State *co = lua_newthread(L);
        lua_insert(L, -2);
        lua_xmove(L, co, 1);
        lua_rawgeti(co, LUA_REGISTRYINDEX, c->obj_ref);
        lua_newtable(co);
        lua_pushstring(co, reason);
        lua_setfield(co, -2, "ended_reason");
        lua_pushnumber(co, hk_call_now(c));
        lua_setfield(co, -2, "duration");
        lua_pushinteger(co, c->n_turns);
        lua_setfield(co, -2, "turns");
        char tb[4096];
        int rc = hk_vm_resume(c->agent->vm, c->mem_acct, co, 2, tb, sizeof tb);
        if (rc != 0 && rc != LUA_YIELD) {
            c->hook_errors++;
            hk_log(HK_LOG_ERROR, c->id, "hook_error", "%s on_end: %s", c->agent->path, tb);
        }
        lua_pop(L, 1); /* the thread */
    }
    hk_call_store_end(c);
    if (c->started) hk_call_emit_status(c, HK_CE_ENDED, "ended", -1);
    hk_log(HK_LOG_INFO, c->id, "call_ended", "reason %s after %.2f s, %d turns", reason,
           hk_call_now(c), c->n_turns);
    if (c->io.ended) c->io.ended(c->io.ud, reason);
}
