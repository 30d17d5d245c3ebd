/* agent/call_state: call:set(key, value) and call:get(key), state that lives
 * as long as the call and is private to it. */
#include <lauxlib.h>

#include "agent/call.h"

static int l_set(lua_State *L) {
    hk_call *c = hk_call_check(L, 1);
    luaL_checkany(L, 2);
    if (lua_isnil(L, 2)) return luaL_argerror(L, 2, "key must not be nil");
    lua_settop(L, 3);
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->state_ref);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 3);
    lua_rawset(L, -3);
    return 0;
}

static int l_get(lua_State *L) {
    hk_call *c = hk_call_check(L, 1);
    luaL_checkany(L, 2);
    lua_settop(L, 3); /* call, key, default */
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->state_ref);
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    if (lua_isnil(L, -1) && !lua_isnoneornil(L, 3)) lua_pushvalue(L, 3); /* default */
    return 1;
}

void hk_call_api_state(lua_State *L, int methods) {
    lua_pushcfunction(L, l_set);
    lua_setfield(L, methods, "set");
    lua_pushcfunction(L, l_get);
    lua_setfield(L, methods, "get");
}
