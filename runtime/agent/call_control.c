/* agent/call_control: call:hangup([reason]). The call ends once what was
 * already said has played; later user turns are recorded but not answered.
 * (call:transfer and DTMF out need the Twilio transport: a later issue.) */
#include <lauxlib.h>
#include <string.h>

#include "agent/call.h"

static int l_hangup(lua_State *L) {
    hk_call *c = hk_call_check(L, 1);
    const char *reason = luaL_optstring(L, 2, "assistant-ended-call");
    hk_call_hangup(c, reason);
    return 0;
}

/* call:transfer(number): once what was said has played, the caller is
 * connected to number and the agent leaves the call. */
static int l_transfer(lua_State *L) {
    hk_call *c = hk_call_check(L, 1);
    const char *number = luaL_checkstring(L, 2);
    if (number[0] != '+' || strspn(number + 1, "0123456789") != strlen(number + 1) ||
        strlen(number) < 8 || strlen(number) > 16)
        return luaL_argerror(L, 2, "an E.164 number like +15551234567");
    if (!c->io.transfer || c->io.transfer(c->io.ud, number) != 0)
        return luaL_error(L, "call:transfer needs a phone transport (hark serve with Twilio); "
                             "this call has none");
    hk_call_hangup(c, "assistant-forwarded-call");
    return 0;
}

void hk_call_api_control(lua_State *L, int methods) {
    lua_pushcfunction(L, l_hangup);
    lua_setfield(L, methods, "hangup");
    lua_pushcfunction(L, l_transfer);
    lua_setfield(L, methods, "transfer");
}
