/* agent/vm: one LuaJIT state per worker, the CPU and memory budgets and
 * resumption. See vm.h. Never blocks: it only runs Lua until it returns or
 * yields. */
#include "agent/vm.h"

#include <lauxlib.h>
#include <luajit.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/vm_mem.h"
#include "core/log.h"

/* One loop thread runs Lua at a time; the deadline of the resume in progress
 * (0: none). Kept set until the resume returns, so agent code that catches the
 * budget error with pcall and loops on is stopped again at the next check. */
static double g_deadline;
static int g_slice_ms;
static int g_tripped; /* the budget ran out: the hook fires on every instruction */
static int g_gc_done;  /* a full collection ran for the memory check of this resume */

#define HK_BUDGET_CHECK_EVERY 1000 /* instructions between clock checks */

/* The budget counts the CPU time of the running thread, not the wall clock:
 * on a loaded machine a worker can be preempted for more than a slice in the
 * middle of a few microseconds of Lua, and a wall-clock budget then killed
 * hooks and refused valid assistants (POST /assistant's check) that had done
 * nothing wrong (seen with a load average of 11 on 2 cores). */
static double mono_now(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static hk_vm_mem *state_mem(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return ud;
}

/* The account charged now holds more than its budget, even after a full
 * collection (at most one per resume: a collection stalls every call). */
static int mem_over(lua_State *L, hk_vm_mem *m, unsigned id) {
    size_t budget = hk_vm_mem_budget(m, id);
    if (budget == 0 || hk_vm_mem_used(m, id) <= budget) return 0;
    if (!g_gc_done) {
        g_gc_done = 1;
        lua_gc(L, LUA_GCCOLLECT, 0);
    }
    return hk_vm_mem_used(m, id) > budget;
}

static void push_where(lua_State *L) {
    lua_Debug d;
    if (lua_getstack(L, 0, &d) && lua_getinfo(L, "Sl", &d) && d.currentline > 0)
        lua_pushfstring(L, "%s:%d: ", d.short_src, d.currentline);
    else
        lua_pushliteral(L, "");
}

/* From now on error at every instruction, so agent code that catches the
 * error with pcall errors again in the catching frame and cannot buy more
 * time. Reset when the resume returns. */
static void budget_trip(lua_State *L) {
    if (!g_tripped) lua_sethook(L, hk_vm_budget_hook, LUA_MASKCOUNT, 1);
    g_tripped = 1;
}

void hk_vm_budget_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    if (g_deadline <= 0) return;
    if (g_tripped || mono_now() > g_deadline) {
        budget_trip(L);
        push_where(L);
        lua_pushfstring(L, "CPU budget exceeded: agent code ran longer than %d ms without yielding",
                        g_slice_ms);
        lua_concat(L, 2);
        lua_error(L);
    }
    hk_vm_mem *m = state_mem(L);
    unsigned id = hk_vm_mem_current(m);
    if (mem_over(L, m, id)) {
        budget_trip(L);
        push_where(L);
        lua_pushfstring(L, "memory budget exceeded: this call's agent code holds %d KB (budget %d KB)",
                        (int)(hk_vm_mem_used(m, id) / 1024), (int)(hk_vm_mem_budget(m, id) / 1024));
        lua_concat(L, 2);
        lua_error(L);
    }
}

void hk_vm_budget_check(lua_State *L, const char *what) {
    if (g_deadline <= 0 || (!g_tripped && mono_now() <= g_deadline)) return;
    budget_trip(L);
    luaL_error(L, "CPU budget exceeded: %s ran longer than %d ms", what, g_slice_ms);
}

static int vm_panic(lua_State *L) {
    hk_log(HK_LOG_ERROR, NULL, "lua_panic", "unprotected error in the Lua state: %s",
           lua_tostring(L, -1) ? lua_tostring(L, -1) : "?");
    return 0; /* LuaJIT then exits the process */
}

void hk_vm_rawgetfield(lua_State *L, int idx, const char *k) {
    if (idx < 0 && idx > LUA_REGISTRYINDEX) idx = lua_gettop(L) + idx + 1;
    if (!lua_istable(L, idx)) {
        lua_pushnil(L);
        return;
    }
    lua_pushstring(L, k);
    lua_rawget(L, idx);
}

static int lua_log_print(lua_State *L) {
    const char *path = luaL_optstring(L, 1, "?");
    const char *msg = luaL_optstring(L, 2, "");
    hk_log(HK_LOG_INFO, NULL, "agent_print", "%s: %s", path, msg);
    return 0;
}

static int is_e164(const char *n) {
    size_t len = strlen(n);
    return n[0] == '+' && len >= 8 && len <= 16 && strspn(n + 1, "0123456789") == len - 1;
}

/* hark.dial{agent = "id", to = "+1555...", from = nil}: starts an outbound
 * call (the carrier's answer is logged); returns true, or errors. */
static int l_hark_dial(lua_State *L) {
    hk_vm *vm = lua_touserdata(L, lua_upvalueindex(1));
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "agent");
    lua_getfield(L, 1, "to");
    lua_getfield(L, 1, "from");
    const char *agent = luaL_checkstring(L, -3), *to = luaL_checkstring(L, -2);
    const char *from = luaL_optstring(L, -1, NULL);
    if (!is_e164(to) || (from && !is_e164(from)))
        return luaL_error(L, "hark.dial: numbers must be E.164 like +15551234567");
    if (!vm->dial)
        return luaL_error(L, "hark.dial needs a phone carrier: run the agent under hark serve "
                             "with Twilio configured");
    char err[300];
    if (vm->dial(vm->dial_ud, agent, to, from, err, sizeof err) != 0)
        return luaL_error(L, "hark.dial: %s", err);
    lua_pushboolean(L, 1);
    return 1;
}

hk_vm *hk_vm_new(const char *lua_dir, char *err, size_t errlen) {
    hk_vm *vm = calloc(1, sizeof *vm);
    if (!vm) return NULL;
    snprintf(vm->lua_dir, sizeof vm->lua_dir, "%s", lua_dir ? lua_dir : HARK_SOURCE_DIR "/lua");
    vm->slice_s = 0.010;
    g_slice_ms = 10;
    vm->call_budget = (size_t)HK_VM_CALL_MEMORY_MB << 20;
    vm->mem = hk_vm_mem_new((size_t)HK_VM_WORKER_MEMORY_MB << 20);
    /* the allocator is what makes a per-call memory budget possible */
    lua_State *L = vm->mem ? lua_newstate(hk_vm_mem_alloc, vm->mem) : NULL;
    if (!L) {
        snprintf(err, errlen, "lua: cannot create state");
        hk_vm_mem_free(vm->mem);
        free(vm);
        return NULL;
    }
    lua_atpanic(L, vm_panic);
    vm->L = L;
    luaL_openlibs(L);
    luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
    lua_sethook(L, hk_vm_budget_hook, LUA_MASKCOUNT, HK_BUDGET_CHECK_EVERY);
    hk_vm_patterns_install(L);

    /* package.path: lua/ first so require("hark.x") finds lua/hark/x.lua */
    char path[1200];
    snprintf(path, sizeof path, "%s/?.lua;%s/?/init.lua", vm->lua_dir, vm->lua_dir);
    lua_getglobal(L, "package");
    lua_pushstring(L, path);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);

    /* strings share one metatable: stop agent code from reaching it */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);

    const char *boot =
        "local sb = require('hark.sandbox')\n"
        "sb.register('cjson', require('cjson'), sb.cjson_instance)\n"
        "local hark = require('hark')\n"
        "sb.register('hark', hark)\n"
        "for name, mod in pairs(hark.modules) do sb.register('hark.' .. name, mod) end\n"
        "return sb\n";
    if (luaL_loadbuffer(L, boot, strlen(boot), "=hark_boot") || lua_pcall(L, 0, 1, 0)) {
        snprintf(err, errlen, "lua: cannot load the hark Lua library from %s: %s", vm->lua_dir,
                 lua_tostring(L, -1));
        lua_close(L);
        hk_vm_mem_free(vm->mem);
        free(vm);
        return NULL;
    }
    vm->sandbox_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    /* the C side of the hark module (agents get copies of it) */
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaded");
    lua_getfield(L, -1, "hark");
    lua_pushlightuserdata(L, vm);
    lua_pushcclosure(L, l_hark_dial, 1);
    lua_setfield(L, -2, "dial");
    lua_pop(L, 3);
    return vm;
}

void hk_vm_free(hk_vm *vm) {
    if (!vm) return;
    lua_close(vm->L);
    hk_vm_mem_free(vm->mem);
    free(vm);
}

void hk_vm_set_slice_ms(hk_vm *vm, int ms) {
    vm->slice_s = ms / 1000.0;
    g_slice_ms = ms;
}

void hk_vm_set_memory(hk_vm *vm, size_t call_bytes, size_t worker_bytes) {
    if (call_bytes) vm->call_budget = call_bytes;
    if (worker_bytes) hk_vm_mem_set_worker_cap(vm->mem, worker_bytes);
}

unsigned hk_vm_account_open(hk_vm *vm) { return hk_vm_mem_open(vm->mem, vm->call_budget); }

void hk_vm_account_close(hk_vm *vm, unsigned acct) { hk_vm_mem_close(vm->mem, acct); }

size_t hk_vm_account_used(hk_vm *vm, unsigned acct) { return hk_vm_mem_used(vm->mem, acct); }

int hk_vm_account_over(hk_vm *vm, unsigned acct) {
    g_gc_done = 0;
    return mem_over(vm->L, vm->mem, acct);
}

static unsigned budget_start(hk_vm *vm, unsigned acct) {
    g_deadline = mono_now() + vm->slice_s;
    g_gc_done = 0;
    return hk_vm_mem_enter(vm->mem, acct);
}

static void budget_done(hk_vm *vm, unsigned prev) {
    hk_vm_mem_enter(vm->mem, prev);
    g_deadline = 0;
    if (g_tripped) {
        g_tripped = 0;
        lua_sethook(vm->L, hk_vm_budget_hook, LUA_MASKCOUNT, HK_BUDGET_CHECK_EVERY);
    }
}

static int traceback_handler(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
    return 1;
}

int hk_vm_pcall(hk_vm *vm, int nargs, int nresults, char *err, size_t errlen) {
    lua_State *L = vm->L;
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, traceback_handler);
    lua_insert(L, base);
    /* loading an agent file: its own account, so a load cannot take the worker */
    unsigned acct = hk_vm_mem_open(vm->mem, vm->call_budget);
    unsigned prev = budget_start(vm, acct);
    int rc = lua_pcall(L, nargs, nresults, base);
    budget_done(vm, prev);
    hk_vm_mem_close(vm->mem, acct);
    lua_remove(L, base);
    if (rc != 0) {
        snprintf(err, errlen, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "error");
        lua_pop(L, 1);
    }
    return rc;
}

int hk_vm_resume(hk_vm *vm, unsigned acct, lua_State *co, int nargs, char *tb, size_t tblen) {
    unsigned prev = budget_start(vm, acct);
    int rc = lua_resume(co, nargs);
    /* what the hook holds across its wait, or leaves in the call's state, counts too */
    int over = (rc == LUA_YIELD || rc == 0) && mem_over(vm->L, vm->mem, acct);
    size_t used = hk_vm_mem_used(vm->mem, acct), budget = hk_vm_mem_budget(vm->mem, acct);
    budget_done(vm, prev);
    if (over) {
        if (tb)
            snprintf(tb, tblen, "memory budget exceeded: this call's agent code holds %zu KB "
                     "(budget %zu KB) %s", used / 1024, budget / 1024,
                     rc == LUA_YIELD ? "while waiting" : "after its hook returned");
        return LUA_ERRMEM;
    }
    if (rc != 0 && rc != LUA_YIELD && tb) {
        const char *msg = lua_tostring(co, -1);
        if (rc == LUA_ERRMEM)
            lua_pushfstring(vm->L, "memory budget exceeded: an allocation would take this call "
                            "past %d KB or the worker past its cap (%s)", (int)(2 * budget / 1024),
                            msg ? msg : "not enough memory");
        else
            lua_pushstring(vm->L, msg ? msg : "(error object is not a string)");
        luaL_traceback(vm->L, co, lua_tostring(vm->L, -1), 0);
        snprintf(tb, tblen, "%s", lua_tostring(vm->L, -1));
        lua_pop(vm->L, 2);
    }
    return rc;
}

int hk_vm_new_env(hk_vm *vm, const char *agent_path, char *err, size_t errlen) {
    lua_State *L = vm->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, vm->sandbox_ref);
    lua_getfield(L, -1, "new_env");
    lua_remove(L, -2);
    lua_pushstring(L, agent_path);
    lua_pushcfunction(L, lua_log_print);
    if (hk_vm_pcall(vm, 2, 1, err, errlen) != 0) return -1;
    return 0;
}
