/* agent/tools: call:tool(name, args) runs one of the agent's tools after
 * checking args against its JSON schema, and call:tools() lists them. The
 * runner is Lua (lua/hark/tool.lua's validate + a small wrapper) so a tool
 * handler may itself wait (sleep, http) without crossing a C boundary. A tool
 * with no handler function (declared for the model only), or a name the
 * agent does not declare, goes to the agent's on_tool(call, name, args)
 * when it has one: the catch-all, run in the coroutine of the hook that
 * asked (so it may wait too); its return value is the tool's result.
 * For tools served by the customer's server (lua/hark/tool_server.lua):
 * call:server_message(type), the envelope of a Vapi server message (type,
 * timestamp, call, assistant, customer) as a table to add to, and
 * call:tool_say(text), a tool's request-start line spoken without parking
 * the hook (the request goes out while it is said), and
 * call:post_async{url=, body=, headers=, timeout=}, a POST nobody waits for
 * (async tools): the client copies what it sends, the reply is only logged
 * (status and length), and the call may end meanwhile. */
#include <lauxlib.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "agent/call.h"
#include "core/log.h"
#include "net/http_client.h"

#define HK_POST_ASYNC_MAX_HEADERS 16
#define HK_POST_ASYNC_MAX_BODY (1u << 20)

/* The agent's tools table (name -> def, or a list of defs with .name). */
static int l_tools(lua_State *L) {
    hk_call *c = hk_call_check(L, 1);
    hk_agent_push_table(c->agent, L);
    hk_vm_rawgetfield(L, -1, "tools");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
    }
    return 1;
}

/* The agent table of a call (for on_tool). */
static int l_agent_of(lua_State *L) {
    hk_call *c = hk_call_check(L, 1);
    hk_agent_push_table(c->agent, L);
    return 1;
}

static void set_str(lua_State *L, const char *k, const char *v) {
    if (!v) return;
    lua_pushstring(L, v);
    lua_setfield(L, -2, k);
}

/* {type, timestamp (ms), call{id, orgId, type, status, assistantId,
 * customer{number}}, assistant{id, name}, customer{number}}, the same
 * fields api/webhooks sends with status-update. */
static int l_server_message(lua_State *L) {
    hk_call *c = hk_call_check(L, 1);
    const char *type = luaL_checkstring(L, 2);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    const char *customer = c->inbound ? c->from : c->to;
    lua_createtable(L, 0, 6);
    set_str(L, "type", type);
    lua_pushnumber(L, floor((double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6));
    lua_setfield(L, -2, "timestamp");
    lua_createtable(L, 0, 6);
    set_str(L, "id", c->id);
    if (c->tenant_id[0]) set_str(L, "orgId", c->tenant_id);
    set_str(L, "type", c->inbound ? "inboundPhoneCall" : "outboundPhoneCall");
    set_str(L, "status", "in-progress");
    set_str(L, "assistantId", c->agent->id);
    lua_createtable(L, 0, 1);
    set_str(L, "number", customer);
    lua_setfield(L, -2, "customer");
    lua_setfield(L, -2, "call");
    lua_createtable(L, 0, 2);
    set_str(L, "id", c->agent->id);
    set_str(L, "name", c->agent->name);
    lua_setfield(L, -2, "assistant");
    lua_createtable(L, 0, 1);
    set_str(L, "number", customer);
    lua_setfield(L, -2, "customer");
    return 1;
}

static int l_tool_say(lua_State *L) {
    hk_call *c = hk_call_check(L, 1);
    size_t len;
    const char *text = luaL_checklstring(L, 2, &len);
    if (len && !c->hangup_requested && !c->ended) hk_session_say(c, text);
    return 0;
}

static void post_async_done(void *ud, int status, const char *body, size_t len, const char *err) {
    (void)ud;
    (void)body;
    if (status >= 200 && status < 300)
        hk_log(HK_LOG_INFO, NULL, "tool_async_sent", "HTTP %d, %zu bytes of reply", status, len);
    else
        hk_log(HK_LOG_WARN, NULL, "tool_async_failed", "HTTP %d%s%s", status, err ? ": " : "",
               err ? err : "");
}

/* call:post_async{url=, body=, headers={name=value}, timeout=}: true, or
 * nil, why. */
static int l_post_async(lua_State *L) {
    hk_call *c = hk_call_check(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_getfield(L, 2, "url");
    const char *url = lua_tostring(L, -1);
    if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return luaL_error(L, "call:post_async: url must be an http:// or https:// URL");
    size_t body_len = 0;
    lua_getfield(L, 2, "body");
    const char *body = lua_tolstring(L, -1, &body_len);
    if (!body || body_len > HK_POST_ASYNC_MAX_BODY)
        return luaL_error(L, "call:post_async: body must be a string of at most %u bytes",
                          HK_POST_ASYNC_MAX_BODY);
    lua_getfield(L, 2, "timeout");
    double timeout = luaL_optnumber(L, -1, 20);
    if (timeout <= 0 || timeout > 60) return luaL_error(L, "call:post_async: timeout must be 0..60 s");
    char lines[HK_POST_ASYNC_MAX_HEADERS][512];
    const char *hdrs[HK_POST_ASYNC_MAX_HEADERS + 1];
    int n = 0;
    lua_getfield(L, 2, "headers");
    if (lua_istable(L, -1)) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            if (n >= HK_POST_ASYNC_MAX_HEADERS) return luaL_error(L, "call:post_async: too many headers");
            if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
                return luaL_error(L, "call:post_async: headers must map names to strings");
            const char *k = lua_tostring(L, -2), *v = lua_tostring(L, -1);
            if (strpbrk(k, "\r\n:") || strpbrk(v, "\r\n") ||
                (size_t)snprintf(lines[n], sizeof lines[n], "%s: %s", k, v) >= sizeof lines[n])
                return luaL_error(L, "call:post_async: header '%s' is malformed or too long", k);
            hdrs[n] = lines[n];
            n++;
            lua_pop(L, 1);
        }
    }
    hdrs[n] = NULL;
    hk_http_opts o = {.method = "POST",
                      .url = url,
                      .headers = hdrs,
                      .body = body,
                      .body_len = body_len,
                      .timeout_s = timeout,
                      .connect_timeout_s = timeout < 5 ? timeout : 5,
                      .on_done = post_async_done};
    if (!hk_http_fetch(hk_http_client_shared(c->loop), &o)) {
        lua_pushnil(L);
        lua_pushstring(L, "call:post_async: the request could not start");
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

static const char *runner_src =
    "local validate = require('hark.tool').validate\n"
    "local agent_of = ...\n"
    "return function(call, name, args)\n"
    "  if type(name) ~= 'string' then error('call:tool: name must be a string', 2) end\n"
    "  local tools = call:tools()\n"
    "  local def = tools[name]\n"
    "  if def == nil then\n"
    "    for _, d in ipairs(tools) do if type(d) == 'table' and d.name == name then def = d end end\n"
    "  end\n"
    "  local fn = type(def) == 'table' and (def.handler or def['function'] or def.run)\n"
    "  if type(fn) ~= 'function' then\n"
    "    fn = rawget(agent_of(call), 'on_tool')\n"
    "    if type(fn) ~= 'function' then\n"
    "      if type(def) ~= 'table' then error(\"unknown tool '\" .. name .. \"'\", 2) end\n"
    "      error(\"tool '\" .. name .. \"' has no handler (and the agent no on_tool)\", 2)\n"
    "    end\n"
    "    local catch_all = fn\n"
    "    fn = function(c, a) return catch_all(c, name, a) end\n"
    "  end\n"
    "  args = args or {}\n"
    "  if type(def) == 'table' then\n"
    "    local ok, err = validate(def.parameters or {}, args)\n"
    "    if not ok then error('tool ' .. name .. ': ' .. err, 2) end\n"
    "  end\n"
    "  return fn(call, args)\n"
    "end\n";

void hk_call_api_tools(lua_State *L, int methods) {
    lua_pushcfunction(L, l_tools);
    lua_setfield(L, methods, "tools");
    lua_pushcfunction(L, l_server_message);
    lua_setfield(L, methods, "server_message");
    lua_pushcfunction(L, l_tool_say);
    lua_setfield(L, methods, "tool_say");
    lua_pushcfunction(L, l_post_async);
    lua_setfield(L, methods, "post_async");
    if (luaL_loadbuffer(L, runner_src, strlen(runner_src), "=hark_tool_runner") == 0 &&
        (lua_pushcfunction(L, l_agent_of), lua_pcall(L, 1, 1, 0) == 0)) {
        lua_setfield(L, methods, "tool");
    } else {
        lua_pop(L, 1); /* the error; call:tool stays undefined and says so when used */
    }
}
