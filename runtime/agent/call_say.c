/* agent/call_say: call:say(text). Queues text for speech and parks the hook
 * until the audio is synthesised and queued for playback (not until it has
 * played), so the next line of turn logic runs while the caller listens. */
#include <lauxlib.h>

#include "agent/call.h"

static int l_say(lua_State *L) {
    hk_call *c = hk_call_check(L, 1);
    size_t len;
    const char *text = luaL_checklstring(L, 2, &len);
    if (len == 0) return 0;
    if (c->hangup_requested || c->ended) return luaL_error(L, "call:say after the call ended");
    int m = hk_session_say(c, text);
    if (m < 0 || c->text_only || L != c->co || c->msgs[m].synthesised) return 0;
    c->wait = HK_WAIT_SPEECH;
    c->wait_req = c->msgs[m].req;
    return lua_yield(L, 0);
}

static int l_is_speaking(lua_State *L) {
    hk_call *c = hk_call_check(L, 1);
    lua_pushboolean(L, hk_session_speaking(c));
    return 1;
}

void hk_call_api_say(lua_State *L, int methods) {
    lua_pushcfunction(L, l_say);
    lua_setfield(L, methods, "say");
    lua_pushcfunction(L, l_is_speaking);
    lua_setfield(L, methods, "is_speaking");
}
