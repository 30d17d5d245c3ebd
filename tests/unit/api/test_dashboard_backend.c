/* tests/unit/api/test_dashboard_backend: the pure parts of the dashboard's
 * backend. web_static: path checks, types, ETag lists, a directory read once
 * (dotfiles and symlinks out of it left out) and answers (index, a JSON
 * 404 for any other missing path, 304, strict headers, vendor
 * caching, API paths left to the API). session_cookie: finding the cookie,
 * Set-Cookie lines, Bearer winning, CSRF and expiry, logout's revocation
 * (however the Bearer header is spaced). recording: Range
 * parsing and the public URL of a local recording. events: masked numbers
 * and the client message of every event type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "agent/call.h"
#include "agent/call_events.h"
#include "api/app.h"
#include "api/events.h"
#include "api/jwt.h"
#include "api/recording.h"
#include "api/session_cookie.h"
#include "api/web_static.h"
#include "core/config.h"

static void put(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_web_path_and_types(void **state) {
    (void)state;
    assert_int_equal(hk_web_path_ok("/"), 0);
    assert_int_equal(hk_web_path_ok("/js/app.js"), 0);
    assert_int_equal(hk_web_path_ok("/calls/CA123"), 0);
    const char *bad[] = {"", "js/app.js", "/../etc/passwd", "/js/../x", "/a..b", "/.env", "/js/.git",
                         "//etc/passwd", "/a\\b", "/a%2fb", "/a\tb", "/js/app.js\x7f"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_int_equal(hk_web_path_ok(bad[i]), -1);
    assert_string_equal(hk_web_content_type("/index.html"), "text/html; charset=utf-8");
    assert_string_equal(hk_web_content_type("/a/b.mjs"), "text/javascript; charset=utf-8");
    assert_string_equal(hk_web_content_type("/x.JS"), "text/javascript; charset=utf-8");
    assert_string_equal(hk_web_content_type("/s.css"), "text/css; charset=utf-8");
    assert_string_equal(hk_web_content_type("/i.svg"), "image/svg+xml");
    assert_string_equal(hk_web_content_type("/f.woff2"), "font/woff2");
    assert_string_equal(hk_web_content_type("/m.wasm"), "application/wasm");
    assert_string_equal(hk_web_content_type("/d.json"), "application/json; charset=utf-8");
    assert_string_equal(hk_web_content_type("/v.1/noext"), "application/octet-stream");
    assert_true(hk_web_etag_match("\"abc\"", "\"abc\""));
    assert_true(hk_web_etag_match("\"x\", W/\"abc\"", "\"abc\""));
    assert_true(hk_web_etag_match("*", "\"abc\""));
    assert_false(hk_web_etag_match("\"abcd\"", "\"abc\""));
    assert_false(hk_web_etag_match("", "\"abc\""));
    assert_false(hk_web_etag_match(NULL, "\"abc\""));
}

static hk_http_request get(const char *method, const char *path, const char *inm) {
    hk_http_request r;
    memset(&r, 0, sizeof r);
    r.method = method;
    r.path = path;
    r.query = "";
    r.authorization = r.cookie = r.origin = r.range = r.csrf = "";
    r.if_none_match = inm ? inm : "";
    return r;
}

static int has_header(const hk_http_response *resp, const char *line) {
    return resp->headers && strstr(resp->headers, line) != NULL;
}

static void resp_clear(hk_http_response *resp) {
    free(resp->body);
    free(resp->headers);
    memset(resp, 0, sizeof *resp);
}

static void test_web_serve(void **state) {
    (void)state;
    char dir[] = "/tmp/hark-web-test-XXXXXX", p[512];
    assert_non_null(mkdtemp(dir));
    snprintf(p, sizeof p, "%s/web", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/web/js", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/web/vendor", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/web/index.html", dir);
    put(p, "<!doctype html><p>hi</p>");
    snprintf(p, sizeof p, "%s/web/js/app.js", dir);
    put(p, "export const x = 1;\n");
    snprintf(p, sizeof p, "%s/web/vendor/lib.js", dir);
    put(p, "lib");
    snprintf(p, sizeof p, "%s/web/.secret", dir);
    put(p, "no");
    snprintf(p, sizeof p, "%s/outside.txt", dir);
    put(p, "outside");
    char link[512];
    snprintf(link, sizeof link, "%s/web/out.txt", dir);
    assert_int_equal(symlink(p, link), 0);
    snprintf(link, sizeof link, "%s/web/in.js", dir);
    assert_int_equal(symlink("js/app.js", link), 0); /* inside: served */

    char err[256];
    snprintf(p, sizeof p, "%s/web", dir);
    hk_web *w = hk_web_load(p, err, sizeof err);
    assert_non_null(w);
    assert_int_equal(hk_web_count(w), 4); /* index, app.js, lib.js, in.js */
    assert_null(hk_web_load("/nonexistent/hark-web", err, sizeof err));

    hk_http_response resp;
    memset(&resp, 0, sizeof resp);
    hk_http_request r = get("GET", "/", NULL);
    assert_int_equal(hk_web_serve(w, &r, &resp), 1);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, "text/html; charset=utf-8");
    assert_int_equal(resp.len, strlen("<!doctype html><p>hi</p>"));
    assert_memory_equal(resp.body, "<!doctype html>", 15);
    assert_true(has_header(&resp, "Content-Security-Policy: " HK_WEB_CSP "\r\n"));
    assert_true(has_header(&resp, "script-src 'self'"));
    assert_true(has_header(&resp, "X-Content-Type-Options: nosniff\r\n"));
    assert_true(has_header(&resp, "Referrer-Policy: no-referrer\r\n"));
    assert_true(has_header(&resp, "Cache-Control: no-cache\r\n"));
    const char *et = strstr(resp.headers, "ETag: ");
    assert_non_null(et);
    char etag[32];
    snprintf(etag, sizeof etag, "%.*s", (int)strcspn(et + 6, "\r"), et + 6);
    resp_clear(&resp);

    r = get("GET", "/index.html", etag); /* the same file: 304, no body */
    assert_int_equal(hk_web_serve(w, &r, &resp), 1);
    assert_int_equal(resp.status, 304);
    assert_int_equal(resp.len, 0);
    assert_true(has_header(&resp, "Content-Security-Policy: "));
    resp_clear(&resp);

    r = get("GET", "/js/app.js", etag); /* another file: its etag differs */
    assert_int_equal(hk_web_serve(w, &r, &resp), 1);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, "text/javascript; charset=utf-8");
    resp_clear(&resp);

    r = get("HEAD", "/vendor/lib.js", NULL);
    assert_int_equal(hk_web_serve(w, &r, &resp), 1);
    assert_int_equal(resp.status, 200);
    assert_true(has_header(&resp, "Cache-Control: public, max-age=31536000, immutable\r\n"));
    resp_clear(&resp);

    r = get("GET", "/in.js", NULL);
    assert_int_equal(hk_web_serve(w, &r, &resp), 1);
    assert_int_equal(resp.status, 200);
    resp_clear(&resp);

    /* no page for unknown paths: the app routes in the fragment, and an API
     * client asking for a route hark lacks gets a JSON 404 */
    r = get("GET", "/calls/CA123", NULL);
    assert_int_equal(hk_web_serve(w, &r, &resp), 1);
    assert_int_equal(resp.status, 404);
    assert_non_null(strstr(resp.body, "\"statusCode\":404"));
    resp_clear(&resp);

    const char *missing[] = {"/out.txt", "/.secret", "/nope.js", "/js/../index.html", "/a%2f..%2fb.js"};
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
        r = get("GET", missing[i], NULL);
        assert_int_equal(hk_web_serve(w, &r, &resp), 1);
        assert_int_equal(resp.status, 404);
        assert_string_equal(resp.content_type, "application/json; charset=utf-8");
        assert_non_null(strstr(resp.body, "\"statusCode\":404"));
        resp_clear(&resp);
    }
    /* not the web's: other methods, /api/, the REST API's own paths */
    const char *api[][2] = {{"POST", "/"}, {"GET", "/api/v1/events"}, {"GET", "/assistant"},
                            {"GET", "/call/abc"}, {"GET", "/call/abc/recording"}, {"GET", "/auth/me"}};
    for (size_t i = 0; i < sizeof api / sizeof api[0]; i++) {
        r = get(api[i][0], api[i][1], NULL);
        assert_int_equal(hk_web_serve(w, &r, &resp), 0);
        assert_int_equal(resp.status, 0);
    }
    /* no dashboard installed: the app's routes say so */
    r = get("GET", "/", NULL);
    assert_int_equal(hk_web_serve(NULL, &r, &resp), 1);
    assert_int_equal(resp.status, 404);
    resp_clear(&resp);
    hk_web_free(w);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

#define SECRET "0123456789abcdef-test"

static void test_cookie_find_and_headers(void **state) {
    (void)state;
    size_t n = 0;
    const char *v = hk_session_cookie_find("a=1; hark_session=tok.en.x; b=2", "hark_session", &n);
    assert_non_null(v);
    assert_int_equal(n, 8);
    assert_memory_equal(v, "tok.en.x", 8);
    v = hk_session_cookie_find("xhark_session=no; hark_session=\"q.q.q\"", "hark_session", &n);
    assert_non_null(v);
    assert_int_equal(n, 5);
    assert_memory_equal(v, "q.q.q", 5);
    assert_null(hk_session_cookie_find("xhark_session=no", "hark_session", &n));
    assert_null(hk_session_cookie_find("", "hark_session", &n));
    assert_null(hk_session_cookie_find(NULL, "hark_session", &n));
    char *h = hk_session_cookie_header("a.b.c", 3600, 0);
    assert_string_equal(h, "Set-Cookie: hark_session=a.b.c; HttpOnly; SameSite=Strict; Path=/; Max-Age=3600\r\n");
    free(h);
    h = hk_session_cookie_header("a.b.c", 60, 1);
    assert_non_null(strstr(h, "; Secure\r\n"));
    free(h);
    h = hk_session_cookie_clear_header(0);
    assert_string_equal(h, "Set-Cookie: hark_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0\r\n");
    free(h);
}

static void test_cookie_auth(void **state) {
    (void)state;
    long now = (long)time(NULL);
    char tok[HK_JWT_MAX_LEN], old[HK_JWT_MAX_LEN], cookie[HK_JWT_MAX_LEN + 64];
    const char *user = "11111111-1111-1111-1111-111111111111", *ten = "22222222-2222-2222-2222-222222222222";
    assert_true(hk_jwt_sign(SECRET, user, ten, now, now + 3600, tok, sizeof tok) > 0);
    assert_true(hk_jwt_sign(SECRET, user, ten, now - 7200, now - 3600, old, sizeof old) > 0);
    hk_session_auth sa;
    hk_http_request r = get("GET", "/assistant", NULL);

    hk_session_auth_from(&r, SECRET, now, &sa); /* nothing: api/auth says 401 */
    assert_int_equal(sa.status, 0);
    assert_string_equal(sa.authorization, "");

    snprintf(cookie, sizeof cookie, "theme=dark; hark_session=%s", tok);
    r.cookie = cookie;
    hk_session_auth_from(&r, SECRET, now, &sa);
    assert_int_equal(sa.status, 0);
    assert_int_equal(sa.from_cookie, 1);
    assert_memory_equal(sa.authorization, "Bearer ", 7);
    assert_string_equal(sa.authorization + 7, tok);

    r.authorization = "Bearer hk_somekey"; /* Bearer wins, the cookie is not looked at */
    r.method = "POST";
    hk_session_auth_from(&r, SECRET, now, &sa);
    assert_int_equal(sa.status, 0);
    assert_int_equal(sa.from_cookie, 0);
    assert_string_equal(sa.authorization, "Bearer hk_somekey");

    r.authorization = ""; /* cookie on POST: the CSRF header is needed */
    hk_session_auth_from(&r, SECRET, now, &sa);
    assert_int_equal(sa.status, 403);
    r.csrf = "0";
    hk_session_auth_from(&r, SECRET, now, &sa);
    assert_int_equal(sa.status, 403);
    r.csrf = "1";
    hk_session_auth_from(&r, SECRET, now, &sa);
    assert_int_equal(sa.status, 0);
    r.method = "HEAD";
    r.csrf = "";
    hk_session_auth_from(&r, SECRET, now, &sa);
    assert_int_equal(sa.status, 0);

    r.method = "GET"; /* expired, forged, garbage: 401 session expired */
    snprintf(cookie, sizeof cookie, "hark_session=%s", old);
    hk_session_auth_from(&r, SECRET, now, &sa);
    assert_int_equal(sa.status, 401);
    assert_string_equal(sa.message, HK_SESSION_EXPIRED);
    snprintf(cookie, sizeof cookie, "hark_session=%s", tok);
    hk_session_auth_from(&r, "another-secret-0123456", now, &sa);
    assert_int_equal(sa.status, 401);
    r.cookie = "hark_session=not-a-jwt";
    hk_session_auth_from(&r, SECRET, now, &sa);
    assert_int_equal(sa.status, 401);
    r.cookie = "hark_session=x.y.z";
    hk_session_auth_from(&r, NULL, now, &sa); /* sessions off */
    assert_int_equal(sa.status, 401);
}

static void test_logout_revokes(void **state) {
    (void)state;
    hk_config cfg;
    char err[128];
    hk_config_load(&cfg, "/nonexistent.env", err, sizeof err);
    hk_config_set(&cfg, HK_CFG_JWT_SECRET, SECRET);
    hk_app app;
    memset(&app, 0, sizeof app);
    app.cfg = &cfg;
    long now = (long)time(NULL);
    char t1[HK_JWT_MAX_LEN], t2[HK_JWT_MAX_LEN], t3[HK_JWT_MAX_LEN], cookie[HK_JWT_MAX_LEN + 64],
        bearer[HK_JWT_MAX_LEN + 16];
    const char *user = "11111111-1111-1111-1111-111111111111", *ten = "22222222-2222-2222-2222-222222222222";
    assert_true(hk_jwt_sign(SECRET, user, ten, now, now + 3600, t1, sizeof t1) > 0);
    assert_true(hk_jwt_sign(SECRET, user, ten, now - 1, now + 3600, t2, sizeof t2) > 0); /* same user, another login */
    assert_true(hk_jwt_sign(SECRET, user, ten, now - 2, now + 3600, t3, sizeof t3) > 0);
    hk_http_request r = get("POST", "/auth/logout", NULL);
    hk_http_response resp;
    memset(&resp, 0, sizeof resp);
    assert_int_equal(hk_session_logout(&app, &r, &resp), 1); /* no cookie: still 204 and cleared */
    assert_int_equal(resp.status, 204);
    assert_true(has_header(&resp, "Set-Cookie: hark_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0\r\n"));
    resp_clear(&resp);
    hk_http_request g = get("GET", "/auth/logout", NULL);
    assert_int_equal(hk_session_logout(&app, &g, &resp), 0); /* only POST */
    snprintf(cookie, sizeof cookie, "hark_session=%s", t1);
    r.cookie = cookie;
    assert_int_equal(hk_session_logout(&app, &r, &resp), 1);
    resp_clear(&resp);
    hk_session_auth sa;
    hk_http_request q = get("GET", "/auth/me", NULL);
    q.cookie = cookie;
    hk_session_auth_from(&q, SECRET, now, &sa);
    assert_int_equal(sa.status, 401); /* the logged-out session */
    assert_string_equal(sa.message, HK_SESSION_EXPIRED);
    snprintf(cookie, sizeof cookie, "hark_session=%s", t2);
    hk_session_auth_from(&q, SECRET, now, &sa);
    assert_int_equal(sa.status, 0); /* the user's other session lives on */
    assert_false(hk_session_revoked(t2, strlen(t2), now));
    /* a Bearer session JWT is revoked the same way and refused as Bearer */
    snprintf(bearer, sizeof bearer, "Bearer %s", t3);
    r.cookie = "";
    r.authorization = bearer;
    assert_int_equal(hk_session_logout(&app, &r, &resp), 1);
    resp_clear(&resp);
    q.cookie = "";
    q.authorization = bearer;
    hk_session_auth_from(&q, SECRET, now, &sa);
    assert_int_equal(sa.status, 401);
    /* however the header spells it: api/auth reads "bearer   <jwt> \t" as
     * the same token, so the revocation holds for it too (it did not) */
    char spaced[HK_JWT_MAX_LEN + 16], t4[HK_JWT_MAX_LEN];
    snprintf(spaced, sizeof spaced, "bearer   %s \t", t3);
    q.authorization = spaced;
    hk_session_auth_from(&q, SECRET, now, &sa);
    assert_int_equal(sa.status, 401);
    /* and a logout spelled so revokes the token */
    assert_true(hk_jwt_sign(SECRET, user, ten, now - 3, now + 3600, t4, sizeof t4) > 0);
    snprintf(spaced, sizeof spaced, "Bearer  %s ", t4);
    r.authorization = spaced;
    assert_int_equal(hk_session_logout(&app, &r, &resp), 1);
    resp_clear(&resp);
    assert_true(hk_session_revoked(t4, strlen(t4), now));
    /* a revocation told by another worker: the hash's hex */
    assert_int_equal(hk_session_revoke_hex("zz", now + 60), -1);
    assert_int_equal(hk_session_revoke_hex("0123456789abcdef0123456789abcdeg", now + 60), -1);
    assert_false(hk_session_revoked(t1, strlen(t1), now + 7200)); /* past its exp: forgotten */
    hk_config_free(&cfg);
}

static void test_recording_range(void **state) {
    (void)state;
    long long a = -1, b = -1;
    assert_int_equal(hk_recording_range("", 1000, &a, &b), 0);
    assert_int_equal(hk_recording_range(NULL, 1000, &a, &b), 0);
    assert_int_equal(hk_recording_range("bytes=0-99", 1000, &a, &b), 1);
    assert_true(a == 0 && b == 99);
    assert_int_equal(hk_recording_range("bytes=900-", 1000, &a, &b), 1);
    assert_true(a == 900 && b == 999);
    assert_int_equal(hk_recording_range("bytes=0-", 100LL * 1024 * 1024, &a, &b), 1);
    assert_true(a == 0 && b == HK_RECORDING_MAX_PART - 1);
    assert_int_equal(hk_recording_range("bytes=990-5000", 1000, &a, &b), 1);
    assert_true(a == 990 && b == 999);
    assert_int_equal(hk_recording_range("bytes=-100", 1000, &a, &b), 1);
    assert_true(a == 900 && b == 999);
    assert_int_equal(hk_recording_range("bytes=-5000", 1000, &a, &b), 1);
    assert_true(a == 0 && b == 999);
    assert_int_equal(hk_recording_range("bytes=1000-", 1000, &a, &b), -1);
    assert_int_equal(hk_recording_range("bytes=-0", 1000, &a, &b), -1);
    const char *bad[] = {"bytes=", "bytes=a-b", "bytes=5-1", "items=0-1", "bytes=0-1,5-6", "bytes=-",
                         "bytes=1-2x", "bytes=99999999999999999999-"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(hk_recording_range(bad[i], 1000, &a, &b), -2);
}

static void test_recording_url(void **state) {
    (void)state;
    hk_config c;
    char err[128], out[256];
    hk_config_load(&c, "/nonexistent.env", err, sizeof err);
    hk_config_set(&c, HK_CFG_TWILIO_WEBHOOK_URL, "https://hark.example:8443/api/v1/voice-agents/twilio/webhook");
    assert_int_equal(hk_recording_public_url(&c, "CA1", "file:///var/rec/CA1.wav", out, sizeof out), 1);
    assert_string_equal(out, "https://hark.example:8443/call/CA1/recording");
    assert_int_equal(hk_recording_public_url(&c, "CA1", "https://s3.example/r.wav", out, sizeof out), 0);
    assert_string_equal(out, "https://s3.example/r.wav");
    assert_int_equal(hk_recording_public_url(&c, "", "file:///x.wav", out, sizeof out), 0);
    assert_int_equal(hk_recording_public_url(&c, "CA1", NULL, out, sizeof out), 0);
    assert_string_equal(out, "");
    hk_config_free(&c);
}

static cJSON *msg_of(const hk_call *c, hk_call_event ev, const char *obj) {
    char *t = hk_events_message(c, &ev, 1700000000123.0, obj);
    if (!t) return NULL;
    cJSON *o = cJSON_Parse(t);
    free(t);
    assert_non_null(o);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(o, "callId")), "CA42");
    assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "at")) == 1700000000123.0);
    return o;
}

static const char *s_of(const cJSON *o, const char *k) {
    return cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
}

static void test_events_messages(void **state) {
    (void)state;
    char m[40];
    hk_events_mask_number("+15551234567", m, sizeof m);
    assert_string_equal(m, "+1555***4567");
    hk_events_mask_number("+4412345", m, sizeof m);
    assert_string_equal(m, "+4***45");
    hk_events_mask_number("123", m, sizeof m);
    assert_string_equal(m, "***");
    hk_events_mask_number(NULL, m, sizeof m);
    assert_string_equal(m, "***");

    hk_call *c = calloc(1, sizeof *c);
    snprintf(c->id, sizeof c->id, "CA42");
    snprintf(c->end_reason, sizeof c->end_reason, "customer-ended-call");
    cJSON *o = msg_of(c, (hk_call_event){.type = HK_CE_STARTED},
                      "{\"id\":\"CA42\",\"state\":\"listening\",\"customerNumber\":\"+1555***4567\"}");
    assert_string_equal(s_of(o, "type"), "call.started");
    assert_string_equal(s_of(cJSON_GetObjectItem(o, "call"), "customerNumber"), "+1555***4567");
    cJSON_Delete(o);
    o = msg_of(c, (hk_call_event){.type = HK_CE_STATE, .status = "thinking"}, NULL);
    assert_string_equal(s_of(o, "type"), "call.state");
    assert_string_equal(s_of(o, "state"), "thinking");
    cJSON_Delete(o);
    o = msg_of(c, (hk_call_event){.type = HK_CE_TRANSCRIPT, .role = "user", .text = "book \"monday\"", .final = 1, .turn = 3}, NULL);
    assert_string_equal(s_of(o, "type"), "call.transcript");
    assert_string_equal(s_of(o, "role"), "user");
    assert_string_equal(s_of(o, "text"), "book \"monday\"");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "final")));
    assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "turn")), 3);
    cJSON_Delete(o);
    o = msg_of(c, (hk_call_event){.type = HK_CE_INTERRUPTED, .turn = 2}, NULL);
    assert_string_equal(s_of(o, "type"), "call.interrupted");
    assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "turn")), 2);
    cJSON_Delete(o);
    o = msg_of(c, (hk_call_event){.type = HK_CE_TOOL_CALL, .id = "t1", .name = "book", .args = "{\"day\":\"mon\"}"}, NULL);
    assert_string_equal(s_of(o, "toolCallId"), "t1");
    assert_string_equal(s_of(o, "name"), "book");
    assert_string_equal(s_of(cJSON_GetObjectItem(o, "arguments"), "day"), "mon");
    cJSON_Delete(o);
    o = msg_of(c, (hk_call_event){.type = HK_CE_TOOL_CALL, .id = "t2", .name = "x", .args = "not json"}, NULL);
    assert_string_equal(s_of(o, "arguments"), "not json");
    cJSON_Delete(o);
    o = msg_of(c, (hk_call_event){.type = HK_CE_TOOL_RESULT, .id = "t1", .name = "book", .text = "ref 42"}, NULL);
    assert_string_equal(s_of(o, "type"), "call.tool_result");
    assert_string_equal(s_of(o, "result"), "ref 42");
    cJSON_Delete(o);
    o = msg_of(c, (hk_call_event){.type = HK_CE_ENDED, .status = "ended"}, NULL);
    assert_string_equal(s_of(o, "type"), "call.ended");
    assert_string_equal(s_of(o, "endedReason"), "customer-ended-call");
    cJSON_Delete(o);
    o = msg_of(c, (hk_call_event){.type = HK_CE_SPEECH, .role = "assistant", .status = "started", .turn = 1}, NULL);
    assert_string_equal(s_of(o, "type"), "call.speech");
    assert_string_equal(s_of(o, "status"), "started");
    cJSON_Delete(o);
    o = msg_of(c, (hk_call_event){.type = HK_CE_HANG, .turn = 4}, NULL);
    assert_string_equal(s_of(o, "type"), "call.hang");
    cJSON_Delete(o);
    assert_null(msg_of(c, (hk_call_event){.type = HK_CE_CONVERSATION}, NULL));
    free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_web_path_and_types),  cmocka_unit_test(test_web_serve),
        cmocka_unit_test(test_cookie_find_and_headers), cmocka_unit_test(test_cookie_auth),
        cmocka_unit_test(test_logout_revokes),
        cmocka_unit_test(test_recording_range),     cmocka_unit_test(test_recording_url),
        cmocka_unit_test(test_events_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
