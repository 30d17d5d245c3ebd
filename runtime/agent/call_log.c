/* agent/call_log: call:log(message [, level]) writes a structured log line
 * carrying the call id and the agent's file and line. */
#include <lauxlib.h>
#include <string.h>

#include "agent/call.h"
#include "core/log.h"

static int l_log(lua_State *L) {
    hk_call *c = hk_call_check(L, 1);
    const char *msg = luaL_checkstring(L, 2);
    const char *lvl = luaL_optstring(L, 3, "info");
    int level = HK_LOG_INFO;
    if (strcmp(lvl, "debug") == 0) level = HK_LOG_DEBUG;
    else if (strcmp(lvl, "warn") == 0) level = HK_LOG_WARN;
    else if (strcmp(lvl, "error") == 0) level = HK_LOG_ERROR;
    lua_Debug ar;
    int line = 0;
    const char *src = c->agent->path;
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar)) {
        line = ar.currentline;
        if (ar.source[0] == '@') src = ar.source + 1;
    }
    hk_log(level, c->id, "agent_log", "%s:%d: %s", src, line, msg);
    return 0;
}

void hk_call_api_log(lua_State *L, int methods) {
    lua_pushcfunction(L, l_log);
    lua_setfield(L, methods, "log");
}
