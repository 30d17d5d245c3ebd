/* agent/call_timer: call:sleep(seconds). Parks the hook's coroutine on a timer
 * of the call's clock; the loop keeps serving every other call meanwhile. */
#include <lauxlib.h>

#include "agent/call.h"

static void on_wake(hk_timer *t, void *ud) {
    (void)t;
    hk_call *c = ud;
    if (c->wait == HK_WAIT_TIMER) hk_call_resume(c, 0);
}

static int l_sleep(lua_State *L) {
    hk_call *c = hk_call_check(L, 1);
    double s = luaL_checknumber(L, 2);
    if (s < 0 || s != s) return luaL_argerror(L, 2, "seconds must be >= 0");
    if (s > 3600) return luaL_argerror(L, 2, "seconds must be <= 3600");
    hk_call_check_can_wait(L, c, "call:sleep");
    c->wait = HK_WAIT_TIMER;
    hk_timer_start(c->clock, &c->sleep_timer, s, on_wake, c);
    return lua_yield(L, 0);
}

void hk_call_api_timer(lua_State *L, int methods) {
    lua_pushcfunction(L, l_sleep);
    lua_setfield(L, methods, "sleep");
}
