/* agent/vm: one LuaJIT state per worker, the CPU budget and resumption.
 * See vm.h. Never blocks: it only runs Lua until it returns or yields. */
#include "agent/vm.h"

#include <lauxlib.h>
#include <luajit.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"

/* One loop thread runs Lua at a time; the deadline of the resume in progress
 * (0: none). Kept set until the resume returns, so agent code that catches the
 * budget error with pcall and loops on is stopped again at the next check. */
static double g_deadline;
static int g_slice_ms;
static int g_tripped; /* the budget ran out: the hook fires on every instruction */

#define HK_BUDGET_CHECK_EVERY 1000 /* instructions between clock checks */

static double mono_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void budget_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    if (g_deadline > 0 && (g_tripped || mono_now() > g_deadline)) {
        /* From now on error at every instruction, so agent code that catches
         * the error with pcall errors again in the catching frame and cannot
         * buy more time. Reset when the resume returns. */
        if (!g_tripped) lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
        g_tripped = 1;
        lua_Debug d;
        if (lua_getstack(L, 0, &d) && lua_getinfo(L, "Sl", &d) && d.currentline > 0)
            lua_pushfstring(L, "%s:%d: ", d.short_src, d.currentline);
        else
            lua_pushliteral(L, "");
        lua_pushfstring(L, "CPU budget exceeded: agent code ran longer than %d ms without yielding",
                        g_slice_ms);
        lua_concat(L, 2);
        lua_error(L);
    }
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
    lua_State *L = luaL_newstate();
    if (!L) {
        snprintf(err, errlen, "lua: cannot create state");
        free(vm);
        return NULL;
    }
    vm->L = L;
    luaL_openlibs(L);
    luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, HK_BUDGET_CHECK_EVERY);

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
        "sb.register('cjson', require('cjson'))\n"
        "local hark = require('hark')\n"
        "sb.register('hark', hark)\n"
        "for name, mod in pairs(hark.modules) do sb.register('hark.' .. name, mod) end\n"
        "return sb\n";
    if (luaL_loadbuffer(L, boot, strlen(boot), "=hark_boot") || lua_pcall(L, 0, 1, 0)) {
        snprintf(err, errlen, "lua: cannot load the hark Lua library from %s: %s", vm->lua_dir,
                 lua_tostring(L, -1));
        lua_close(L);
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
    free(vm);
}

void hk_vm_set_slice_ms(hk_vm *vm, int ms) {
    vm->slice_s = ms / 1000.0;
    g_slice_ms = ms;
}

static void budget_done(lua_State *L) {
    g_deadline = 0;
    if (g_tripped) {
        g_tripped = 0;
        lua_sethook(L, budget_hook, LUA_MASKCOUNT, HK_BUDGET_CHECK_EVERY);
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
    g_deadline = mono_now() + vm->slice_s;
    int rc = lua_pcall(L, nargs, nresults, base);
    budget_done(L);
    lua_remove(L, base);
    if (rc != 0) {
        snprintf(err, errlen, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "error");
        lua_pop(L, 1);
    }
    return rc;
}

int hk_vm_resume(hk_vm *vm, lua_State *co, int nargs, char *tb, size_t tblen) {
    g_deadline = mono_now() + vm->slice_s;
    int rc = lua_resume(co, nargs);
    budget_done(vm->L);
    if (rc != 0 && rc != LUA_YIELD && tb) {
        const char *msg = lua_tostring(co, -1);
        luaL_traceback(vm->L, co, msg ? msg : "(error object is not a string)", 0);
        snprintf(tb, tblen, "%s", lua_tostring(vm->L, -1));
        lua_pop(vm->L, 1);
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
