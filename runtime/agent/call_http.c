/* agent/call_http: call:http{url=, method=, headers=, body=, json=, timeout=,
 * max_response_bytes=} (or call:http(url)) for agent code and tools: the
 * request goes out on the worker's loop through libcurl multi while the
 * hook's coroutine is parked; it resumes with {status=, body=} or nil, err.
 * Never blocks the loop; a barge-in or hangup cancels the request with the
 * hook. Bodies are bounded both ways: a request body over 1 MiB is refused,
 * and a response over max_response_bytes (default 1 MiB, at most 16 MiB) is
 * cut off and the request fails with "response body over N bytes". */
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/call.h"
#include "core/grow.h"
#include "core/log.h"
#include "net/http_client.h"

#define HK_HTTP_MAX_HEADERS 32
#define HK_HTTP_DEFAULT_TIMEOUT_S 10.0
#define HK_HTTP_MAX_REQUEST_BYTES (1u << 20)
#define HK_HTTP_DEFAULT_RESPONSE_BYTES (1u << 20)
#define HK_HTTP_MAX_RESPONSE_BYTES (16u << 20)

struct hk_call_http {
    hk_http_client *client;
    hk_http_call *req;
    char *headers[HK_HTTP_MAX_HEADERS + 1];
    char *body;
    int status;
    char *resp;
    size_t resp_len, resp_cap;
    size_t max_resp;  /* bytes of response body allowed */
    int too_big;      /* the response passed max_resp: the request is being cancelled */
    char err[256];
    hk_timer resume_timer;
};

static void free_request(struct hk_call_http *h) {
    for (int i = 0; h->headers[i]; i++) {
        free(h->headers[i]);
        h->headers[i] = NULL;
    }
    free(h->body);
    h->body = NULL;
    free(h->resp);
    h->resp = NULL;
    h->resp_len = h->resp_cap = 0;
    h->too_big = 0;
    h->req = NULL;
}

static void resume_now(hk_timer *t, void *ud) {
    (void)t;
    hk_call *c = ud;
    struct hk_call_http *h = c->http;
    if (h->too_big && h->req) { /* cancelled here, outside curl's callbacks */
        hk_http_cancel(h->req);
        h->req = NULL;
        hk_clock_hold(c->clock, -1);
    }
    if (c->wait != HK_WAIT_HTTP || !c->co) {
        free_request(h);
        return;
    }
    lua_State *co = c->co;
    int n;
    if (h->status == 0) {
        lua_pushnil(co);
        lua_pushstring(co, h->err);
        n = 2;
    } else {
        lua_createtable(co, 0, 2);
        lua_pushinteger(co, h->status);
        lua_setfield(co, -2, "status");
        lua_pushlstring(co, h->resp ? h->resp : "", h->resp_len);
        lua_setfield(co, -2, "body");
        n = 1;
    }
    free_request(h);
    hk_call_resume(c, n);
}

/* The response body as it arrives, gathered up to max_resp bytes. */
static void on_data(void *ud, const char *data, size_t n) {
    hk_call *c = ud;
    struct hk_call_http *h = c->http;
    if (h->too_big) return;
    if (h->resp_len + n > h->max_resp) {
        h->too_big = 1;
        h->status = 0;
        snprintf(h->err, sizeof h->err, "call:http: response body over %zu bytes (max_response_bytes)",
                 h->max_resp);
        hk_log(HK_LOG_WARN, c->id, "http_response_too_big", "over %zu bytes: request cancelled",
               h->max_resp);
        hk_timer_start(c->clock, &h->resume_timer, 0, resume_now, c);
        return;
    }
    if (hk_grow((void **)&h->resp, &h->resp_cap, h->resp_len + n + 1, 1) != 0) {
        h->too_big = 1;
        h->status = 0;
        snprintf(h->err, sizeof h->err, "call:http: out of memory for the response");
        hk_timer_start(c->clock, &h->resume_timer, 0, resume_now, c);
        return;
    }
    memcpy(h->resp + h->resp_len, data, n);
    h->resp_len += n;
    h->resp[h->resp_len] = 0;
}

static void on_done(void *ud, int status, const char *body, size_t len, const char *err) {
    (void)body; /* gathered by on_data */
    (void)len;
    hk_call *c = ud;
    struct hk_call_http *h = c->http;
    hk_clock_hold(c->clock, -1);
    h->req = NULL;
    if (h->too_big) return; /* resume_now is already on its way with the error */
    h->status = status;
    snprintf(h->err, sizeof h->err, "%s", err ? err : "");
    hk_log(HK_LOG_DEBUG, c->id, "http_done", "status %d, %zu bytes%s%s", status, h->resp_len,
           err ? ": " : "", err ? err : "");
    hk_timer_start(c->clock, &h->resume_timer, 0, resume_now, c);
}

/* headers = { ["Name"] = "value", ... } -> "Name: value" strings */
static int read_headers(lua_State *L, int opts, struct hk_call_http *h, int has_json) {
    int n = 0;
    lua_getfield(L, opts, "headers");
    if (lua_istable(L, -1)) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            if (n >= HK_HTTP_MAX_HEADERS - 1) return luaL_error(L, "call:http: too many headers");
            if (lua_type(L, -2) != LUA_TSTRING || !lua_isstring(L, -1))
                return luaL_error(L, "call:http: headers must map names to strings");
            const char *k = lua_tostring(L, -2), *v = lua_tostring(L, -1);
            if (strpbrk(k, "\r\n:") || strpbrk(v, "\r\n"))
                return luaL_error(L, "call:http: header '%s' has a forbidden character", k);
            size_t len = strlen(k) + strlen(v) + 3;
            h->headers[n] = malloc(len);
            snprintf(h->headers[n++], len, "%s: %s", k, v);
            lua_pop(L, 1);
        }
    } else if (!lua_isnil(L, -1)) {
        return luaL_error(L, "call:http: headers must be a table");
    }
    lua_pop(L, 1);
    if (has_json) h->headers[n++] = strdup("Content-Type: application/json");
    h->headers[n] = NULL;
    return 0;
}

static int l_http(lua_State *L) {
    hk_call *c = hk_call_check(L, 1);
    hk_call_check_can_wait(L, c, "call:http");
    if (lua_type(L, 2) == LUA_TSTRING) { /* call:http(url) */
        lua_createtable(L, 0, 1);
        lua_pushvalue(L, 2);
        lua_setfield(L, -2, "url");
        lua_replace(L, 2);
    }
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_getfield(L, 2, "url");
    const char *url = lua_tostring(L, -1);
    if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return luaL_error(L, "call:http: url must be an http:// or https:// URL");
    lua_getfield(L, 2, "method");
    const char *method = luaL_optstring(L, -1, NULL);
    lua_getfield(L, 2, "timeout");
    double timeout = luaL_optnumber(L, -1, HK_HTTP_DEFAULT_TIMEOUT_S);
    if (timeout <= 0 || timeout > 60) return luaL_error(L, "call:http: timeout must be 0..60 s");
    lua_pop(L, 1);
    lua_getfield(L, 2, "max_response_bytes");
    double max_resp = luaL_optnumber(L, -1, HK_HTTP_DEFAULT_RESPONSE_BYTES);
    if (max_resp < 1 || max_resp > HK_HTTP_MAX_RESPONSE_BYTES)
        return luaL_error(L, "call:http: max_response_bytes must be 1..%u", HK_HTTP_MAX_RESPONSE_BYTES);
    lua_pop(L, 1);

    if (!c->http) {
        c->http = calloc(1, sizeof *c->http);
        if (!c->http) return luaL_error(L, "call:http: out of memory");
    }
    struct hk_call_http *h = c->http;
    if (h->req) return luaL_error(L, "call:http: a request is already running");
    free_request(h);
    /* body: a string as is, or json = <table> encoded with cjson */
    size_t body_len = 0;
    lua_getfield(L, 2, "json");
    int has_json = !lua_isnil(L, -1);
    if (has_json) {
        lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
        lua_getfield(L, -1, "cjson");
        lua_getfield(L, -1, "encode");
        lua_pushvalue(L, -4);
        lua_call(L, 1, 1);
        const char *json = lua_tolstring(L, -1, &body_len);
        if (body_len <= HK_HTTP_MAX_REQUEST_BYTES) h->body = strdup(json);
        lua_pop(L, 3);
    }
    lua_pop(L, 1);
    lua_getfield(L, 2, "body");
    if (!has_json && lua_isstring(L, -1)) {
        const char *body = lua_tolstring(L, -1, &body_len);
        if (body_len <= HK_HTTP_MAX_REQUEST_BYTES) {
            h->body = malloc(body_len + 1);
            if (h->body) memcpy(h->body, body, body_len + 1);
        }
    }
    lua_pop(L, 1);
    if (body_len > HK_HTTP_MAX_REQUEST_BYTES) {
        hk_log(HK_LOG_WARN, c->id, "http_request_too_big", "%zu bytes refused", body_len);
        free_request(h);
        lua_pop(L, 2); /* url, method */
        lua_pushnil(L);
        lua_pushfstring(L, "call:http: request body over %d bytes", (int)HK_HTTP_MAX_REQUEST_BYTES);
        return 2;
    }
    if (!h->body && body_len) {
        lua_pop(L, 2);
        return luaL_error(L, "call:http: out of memory");
    }
    h->max_resp = (size_t)max_resp;
    read_headers(L, 2, h, has_json);

    if (!h->client) h->client = hk_http_client_shared(c->loop);
    hk_http_opts o = {.method = method,
                      .url = url,
                      .headers = (const char *const *)h->headers,
                      .body = h->body,
                      .body_len = h->body ? body_len : 0,
                      .timeout_s = timeout,
                      .connect_timeout_s = timeout < 5 ? timeout : 5,
                      .on_data = on_data,
                      .on_done = on_done,
                      .ud = c};
    h->req = hk_http_fetch(h->client, &o);
    lua_pop(L, 2); /* url, method */
    if (!h->req) {
        free_request(h);
        lua_pushnil(L);
        lua_pushstring(L, "call:http: the request could not start");
        return 2;
    }
    hk_clock_hold(c->clock, 1);
    c->wait = HK_WAIT_HTTP;
    return lua_yield(L, 0);
}

void hk_call_http_abort(hk_call *c) {
    struct hk_call_http *h = c->http;
    if (!h) return;
    hk_timer_stop(c->clock, &h->resume_timer);
    if (h->req) {
        hk_http_cancel(h->req);
        hk_clock_hold(c->clock, -1);
    }
    free_request(h);
}

void hk_call_http_free(hk_call *c) {
    if (!c->http) return;
    hk_call_http_abort(c);
    free(c->http);
    c->http = NULL;
}

void hk_call_api_http(lua_State *L, int methods) {
    lua_pushcfunction(L, l_http);
    lua_setfield(L, methods, "http");
}
