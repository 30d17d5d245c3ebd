/* cli/cmd_test_lua: `hark test-lua FILE` runs a Lua test file in the trusted
 * state with a `harness` global that drives text-only calls through the real
 * agent runtime (same hooks, coroutines, CPU budget, sandbox and hot reload;
 * no audio engines) on a simulated clock (or wall time after
 * harness.realtime()). The test fails on any Lua error;
 * `harness.check(cond, msg)` counts assertions. */
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/agent_dir.h"
#include "agent/call.h"
#include "providers/settings.h"
#include "cli/cli.h"

#define MAX_HCALLS 64

static hk_worker g_w;
static hk_call *g_calls[MAX_HCALLS];
static int g_ncalls, g_checks, g_ids;

typedef struct hcall {
    hk_call *c;
    int said_seen;
    char transferred[40];
} hcall;

static void on_ended(void *ud, const char *reason) { (void)ud; (void)reason; }

/* a harness call is a phone call that can be handed on: remember where */
static int on_transfer(void *ud, const char *number) {
    hcall *h = ud;
    snprintf(h->transferred, sizeof h->transferred, "%s", number);
    return 0;
}

static int calls_busy(void) {
    for (int i = 0; i < g_ncalls; i++)
        if (g_calls[i] && !g_calls[i]->ended && !hk_call_idle(g_calls[i])) return 1;
    return 0;
}

/* Run the loop until every call is idle or ended, at most max_s of call time. */
static void run_until_idle(double max_s) {
    double end = hk_clock_now(g_w.clock) + max_s;
    for (int guard = 0; guard < 1000000 && calls_busy() && hk_clock_now(g_w.clock) < end; guard++)
        ev_run(g_w.loop, EVRUN_ONCE);
}

static hk_agent **check_agent(lua_State *L, int i) { return luaL_checkudata(L, i, "harness.agent"); }

static void push_agent(lua_State *L, hk_agent *a) {
    hk_agent **u = lua_newuserdata(L, sizeof *u);
    *u = a;
    luaL_getmetatable(L, "harness.agent");
    lua_setmetatable(L, -2);
}

static int agent_gc(lua_State *L) {
    hk_agent **u = check_agent(L, 1);
    if (*u) hk_agent_unref(*u);
    *u = NULL;
    return 0;
}

static int agent_version(lua_State *L) {
    lua_pushinteger(L, (*check_agent(L, 1))->version);
    return 1;
}

static int h_load(lua_State *L) {
    char err[2048];
    hk_agent *a = hk_agent_load(g_w.vm, luaL_checkstring(L, 1), 1, err, sizeof err);
    if (!a) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    push_agent(L, a);
    return 1;
}

static hcall *check_hcall(lua_State *L) { return luaL_checkudata(L, 1, "harness.call"); }

static int h_call(lua_State *L) {
    hk_agent *a;
    char err[2048];
    if (lua_type(L, 1) == LUA_TSTRING) {
        a = hk_agent_load(g_w.vm, lua_tostring(L, 1), 1, err, sizeof err);
        if (!a) return luaL_error(L, "%s", err);
    } else {
        a = *check_agent(L, 1);
        hk_agent_ref(a);
    }
    if (g_ncalls >= MAX_HCALLS) return luaL_error(L, "too many harness calls");
    char id[32];
    snprintf(id, sizeof id, "test-call-%d", ++g_ids);
    hk_call_opts o = {.loop = g_w.loop, .clock = g_w.clock, .id = id, .from = "+15550100",
                      .to = "+15550199", .text_only = 1};
    hk_vad_config_default(&o.vad);
    hcall *h = lua_newuserdata(L, sizeof *h);
    memset(h, 0, sizeof *h);
    hk_call_io io = {.ud = h, .ended = on_ended, .transfer = on_transfer};
    hk_call *c = hk_call_new(a, &o, &io, err, sizeof err);
    hk_agent_unref(a);
    if (!c) return luaL_error(L, "%s", err);
    g_calls[g_ncalls++] = c;
    h->c = c;
    lua_pushvalue(L, -1); /* the io callback points into this userdata: keep it alive */
    luaL_ref(L, LUA_REGISTRYINDEX);
    luaL_getmetatable(L, "harness.call");
    lua_setmetatable(L, -2);
    hk_call_start(c);
    if (!lua_toboolean(L, 2)) run_until_idle(600);
    return 1;
}

/* assistant lines said since the last call of this function */
static int push_new_said(lua_State *L, hcall *h) {
    lua_newtable(L);
    int k = 1;
    for (int i = 0; i < h->c->n_msgs; i++) {
        if (h->c->msgs[i].role != 0) continue;
        if (k > h->said_seen) {
            lua_pushstring(L, h->c->msgs[i].text);
            lua_rawseti(L, -2, k - h->said_seen);
        }
        k++;
    }
    h->said_seen = k - 1;
    return 1;
}

static int c_user(lua_State *L) {
    hcall *h = check_hcall(L);
    hk_session_user_text(h->c, luaL_checkstring(L, 2));
    if (!lua_toboolean(L, 3)) run_until_idle(600);
    return push_new_said(L, h);
}

static int c_dtmf(lua_State *L) {
    hcall *h = check_hcall(L);
    hk_session_dtmf(h->c, luaL_checkstring(L, 2));
    if (!lua_toboolean(L, 3)) run_until_idle(600);
    return push_new_said(L, h);
}

static int c_new_said(lua_State *L) { return push_new_said(L, check_hcall(L)); }

static int c_messages(lua_State *L) {
    hcall *h = check_hcall(L);
    lua_newtable(L);
    for (int i = 0; i < h->c->n_msgs; i++) {
        hk_message *m = &h->c->msgs[i];
        lua_newtable(L);
        lua_pushstring(L, hk_message_role_name(m->role));
        lua_setfield(L, -2, "role");
        lua_pushstring(L, m->text);
        lua_setfield(L, -2, "text");
        lua_pushnumber(L, m->start);
        lua_setfield(L, -2, "time");
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int c_ended(lua_State *L) {
    hcall *h = check_hcall(L);
    if (h->c->ended) lua_pushstring(L, h->c->end_reason);
    else if (h->c->hangup_requested) lua_pushstring(L, h->c->end_reason);
    else lua_pushnil(L);
    return 1;
}

static int c_get(lua_State *L) {
    hcall *h = check_hcall(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->c->state_ref);
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    return 1;
}

static int c_errors(lua_State *L) {
    lua_pushinteger(L, check_hcall(L)->c->hook_errors);
    return 1;
}

/* the last hook error's text (message and start of the traceback), or nil */
static int c_last_error(lua_State *L) {
    hcall *h = check_hcall(L);
    if (h->c->hook_errors) lua_pushstring(L, h->c->hook_error);
    else lua_pushnil(L);
    return 1;
}

/* bytes the call's memory account holds (its hooks' allocations not yet freed) */
static int c_memory(lua_State *L) {
    hcall *h = check_hcall(L);
    lua_pushnumber(L, (double)hk_vm_account_used(g_w.vm, h->c->mem_acct));
    lua_pushinteger(L, (lua_Integer)h->c->mem_acct);
    return 2;
}

static int c_version(lua_State *L) {
    lua_pushinteger(L, check_hcall(L)->c->agent->version);
    return 1;
}

static int c_transferred(lua_State *L) {
    hcall *h = check_hcall(L);
    if (h->transferred[0]) lua_pushstring(L, h->transferred);
    else lua_pushnil(L);
    return 1;
}

static int c_finish(lua_State *L) {
    hcall *h = check_hcall(L);
    hk_call_end(h->c, luaL_optstring(L, 2, "customer-ended-call"));
    lua_pushstring(L, h->c->end_reason);
    return 1;
}

static int h_run(lua_State *L) {
    run_until_idle(luaL_optnumber(L, 1, 600));
    return 0;
}

static int h_now(lua_State *L) {
    lua_pushnumber(L, hk_clock_now(g_w.clock));
    return 1;
}

static int h_wall(lua_State *L) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushnumber(L, (double)ts.tv_sec + ts.tv_nsec * 1e-9);
    return 1;
}

static int h_check(lua_State *L) {
    g_checks++;
    if (!lua_toboolean(L, 1)) return luaL_error(L, "check failed: %s", luaL_optstring(L, 2, "?"));
    return 0;
}

/* h.realtime(): the calls that follow live in wall time (call.time, sleeps),
 * so a test can measure how a call's pace holds while another misbehaves.
 * Only before the first call. */
static int h_realtime(lua_State *L) {
    if (hk_clock_make_real(g_w.clock) != 0)
        return luaL_error(L, "harness.realtime() must come before the first call");
    return 0;
}

/* h.memory(call_mb, worker_mb): the per-call Lua memory budget and the
 * worker's cap for agent code (0 keeps a value). */
static int h_memory(lua_State *L) {
    hk_vm_set_memory(g_w.vm, (size_t)(luaL_checknumber(L, 1) * 1048576.0),
                     (size_t)(luaL_optnumber(L, 2, 0) * 1048576.0));
    return 0;
}

/* h.slice_ms(ms): the CPU budget per resume (default 10) */
static int h_slice_ms(lua_State *L) {
    hk_vm_set_slice_ms(g_w.vm, (int)luaL_checkinteger(L, 1));
    return 0;
}

static int h_write_file(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    size_t n;
    const char *s = luaL_checklstring(L, 2, &n);
    /* write then rename, as editors do, so a watcher never sees half a file */
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s.tmp~", path);
    FILE *f = fopen(tmp, "wb");
    if (!f || fwrite(s, 1, n, f) != n) return luaL_error(L, "cannot write %s", tmp);
    fclose(f);
    if (rename(tmp, path) != 0) return luaL_error(L, "cannot rename to %s", path);
    return 0;
}

static int h_mkdtemp(lua_State *L) {
    char tmpl[] = "/tmp/hark-test-XXXXXX";
    if (!mkdtemp(tmpl)) return luaL_error(L, "mkdtemp failed");
    lua_pushstring(L, tmpl);
    return 1;
}

/* h.setenv(name, value|nil): provider keys and base URLs for the calls that
 * follow (tests point agents at fakes, or take keys away). */
static int h_setenv(lua_State *L) {
    const char *name = luaL_checkstring(L, 1);
    const char *value = luaL_optstring(L, 2, NULL);
    if (value) setenv(name, value, 1);
    else unsetenv(name);
    hk_provider_settings_load(NULL);
    return 0;
}

static hk_agent_dir **check_dir(lua_State *L) { return luaL_checkudata(L, 1, "harness.dir"); }

static int h_agent_dir(lua_State *L) {
    hk_agent_dir **u = lua_newuserdata(L, sizeof *u);
    *u = hk_agent_dir_open(g_w.vm, g_w.loop, luaL_checkstring(L, 1));
    luaL_getmetatable(L, "harness.dir");
    lua_setmetatable(L, -2);
    return 1;
}

static int dir_get(lua_State *L) {
    hk_agent *a = hk_agent_dir_get(*check_dir(L), luaL_checkstring(L, 2));
    if (!a) return lua_pushnil(L), 1;
    push_agent(L, a);
    return 1;
}

/* let the inotify watcher run for up to ms of wall time */
static int dir_poll(lua_State *L) {
    check_dir(L);
    double ms = luaL_optnumber(L, 2, 200);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double end = ts.tv_sec + ts.tv_nsec * 1e-9 + ms / 1000.0, now;
    do {
        ev_run(g_w.loop, EVRUN_NOWAIT);
        struct timespec d = {0, 5 * 1000 * 1000};
        nanosleep(&d, NULL); /* test driver only: no call is served by this loop */
        clock_gettime(CLOCK_MONOTONIC, &ts);
        now = ts.tv_sec + ts.tv_nsec * 1e-9;
    } while (now < end);
    return 0;
}

static int dir_gc(lua_State *L) {
    hk_agent_dir **u = check_dir(L);
    hk_agent_dir_free(*u);
    *u = NULL;
    return 0;
}

static int dir_failures(lua_State *L) {
    lua_pushinteger(L, hk_agent_dir_failures(*check_dir(L)));
    return 1;
}

static void set_funcs(lua_State *L, const luaL_Reg *r) {
    for (; r->name; r++) {
        lua_pushcfunction(L, r->func);
        lua_setfield(L, -2, r->name);
    }
}

static void new_class(lua_State *L, const char *name, const luaL_Reg *methods, lua_CFunction gc) {
    luaL_newmetatable(L, name);
    lua_newtable(L);
    set_funcs(L, methods);
    lua_setfield(L, -2, "__index");
    if (gc) {
        lua_pushcfunction(L, gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
}

int hk_cmd_test_lua(int argc, char **argv, const hk_config *cfg) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        printf("usage: hark test-lua FILE.lua\n\nRuns a Lua test with the `harness` global "
               "(text-only calls on a simulated clock). See tests/lua/.\n");
        return argc < 2 ? 2 : 0;
    }
    char err[1024];
    if (hk_worker_init(&g_w, cfg, 1, 1, err, sizeof err) != 0) {
        fprintf(stderr, "hark test-lua: %s\n", err);
        return 1;
    }
    lua_State *L = g_w.vm->L;
    static const luaL_Reg agent_m[] = {{"version", agent_version}, {NULL, NULL}};
    static const luaL_Reg call_m[] = {{"user", c_user}, {"dtmf", c_dtmf}, {"said", c_new_said},
                                      {"messages", c_messages}, {"ended", c_ended}, {"get", c_get},
                                      {"errors", c_errors}, {"version", c_version},
                                      {"last_error", c_last_error}, {"memory", c_memory},
                                      {"finish", c_finish}, {"transferred", c_transferred},
                                      {NULL, NULL}};
    static const luaL_Reg dir_m[] = {{"get", dir_get}, {"poll", dir_poll},
                                     {"failures", dir_failures}, {NULL, NULL}};
    static const luaL_Reg h_f[] = {{"load", h_load}, {"call", h_call}, {"run", h_run},
                                   {"now", h_now}, {"wall", h_wall}, {"check", h_check},
                                   {"write_file", h_write_file}, {"mkdtemp", h_mkdtemp},
                                   {"setenv", h_setenv}, {"realtime", h_realtime},
                                   {"memory", h_memory}, {"slice_ms", h_slice_ms},
                                   {"agent_dir", h_agent_dir}, {NULL, NULL}};
    new_class(L, "harness.agent", agent_m, agent_gc);
    new_class(L, "harness.call", call_m, NULL);
    new_class(L, "harness.dir", dir_m, dir_gc);
    lua_newtable(L);
    set_funcs(L, h_f);
    lua_setglobal(L, "harness");

    int rc = 0;
    lua_getglobal(L, "debug");
    lua_getfield(L, -1, "traceback");
    lua_remove(L, -2);
    if (luaL_loadfile(L, argv[1]) != 0 || lua_pcall(L, 0, 0, -2) != 0) {
        fprintf(stderr, "FAIL %s\n%s\n", argv[1], lua_tostring(L, -1));
        rc = 1;
    } else {
        printf("ok %s (%d checks)\n", argv[1], g_checks);
    }
    for (int i = 0; i < g_ncalls; i++) {
        if (!g_calls[i]->ended) hk_call_end(g_calls[i], "test-finished");
        hk_call_free(g_calls[i]);
    }
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT, 0);
    hk_worker_free(&g_w);
    return rc;
}
