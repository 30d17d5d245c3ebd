/* tests/unit/api/test_api_tool: Vapi's /tool over real HTTP: a hark HTTP
 * server with the REST routes on loopback (its loop on a thread of its own),
 * the memory store, API keys of two tenants, curl as the client. Create
 * (201, the body echoed with id/orgId/createdAt/updatedAt, unknown fields
 * kept) for function, endCall, transferCall and another Vapi type stored as
 * given; malformed tools refused with 400 in Vapi's error shape naming the
 * field; a bare-array list with limit and date filters; PATCH shallow merge
 * re-checked (a refused patch changes nothing); DELETE answering the object;
 * another tenant's ids answered 404; no key 401. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/call.h"
#include "api/apikey.h"
#include "api/app.h"
#include "api/routes.h"
#include "core/log.h"
#include "net/http_server.h"
#include "store/memory_auth.h"
#include "store/store.h"

#define TB "7a1c2d3e-0000-4000-8000-0000000000bb"

static struct ev_loop *loop;
static ev_async stop_w;
static hk_app app;
static hk_server *srv;
static char key_a[HK_APIKEY_LEN + 1], key_b[HK_APIKEY_LEN + 1];

static void on_stop(struct ev_loop *l, ev_async *w, int revents) {
    (void)w, (void)revents;
    ev_break(l, EVBREAK_ALL);
}

static void *loop_main(void *arg) {
    (void)arg;
    ev_run(loop, 0);
    return NULL;
}

typedef struct reply {
    long status;
    cJSON *json;
} reply;

static size_t collect(char *p, size_t sz, size_t n, void *ud) {
    char **buf = ud;
    size_t old = *buf ? strlen(*buf) : 0;
    *buf = realloc(*buf, old + sz * n + 1);
    memcpy(*buf + old, p, sz * n);
    (*buf)[old + sz * n] = 0;
    return sz * n;
}

static reply req(const char *method, const char *path, const char *key, const char *body) {
    CURL *c = curl_easy_init();
    char url[512], auth[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", hk_server_port(srv), path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    h = curl_slist_append(h, "Content-Type: application/json");
    char *out = NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    reply r = {0, NULL};
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    r.json = out ? cJSON_Parse(out) : NULL;
    if (out && !r.json) fprintf(stderr, "not JSON: %s\n", out);
    free(out);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return r;
}

static const char *s_of(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* the reply's JSON text contains s */
static int says(const reply *r, const char *s) {
    char *t = cJSON_PrintUnformatted(r->json);
    int yes = t && strstr(t, s) != NULL;
    free(t);
    return yes;
}

static void add_key(const char *tenant, char key[HK_APIKEY_LEN + 1], const char *key_id) {
    char prefix[HK_APIKEY_PREFIX_LEN + 1];
    uint8_t hash[32];
    assert_int_equal(hk_apikey_new(key, prefix, hash), 0);
    assert_int_equal(hk_mem_auth_add_key(tenant, key_id, prefix, hash), 0);
}

static int setup(void **state) {
    (void)state;
    char err[512];
    loop = ev_loop_new(EVFLAG_AUTO);
    app.loop = loop;
    app.vm = hk_vm_new(NULL, err, sizeof err);
    if (!app.vm) return fprintf(stderr, "vm: %s\n", err), -1;
    app.store = hk_store_memory_new();
    add_key(HK_DEFAULT_TENANT, key_a, "11111111-0000-4000-8000-000000000003");
    add_key(TB, key_b, "11111111-0000-4000-8000-000000000004");
    hk_server_handlers h = {.ud = &app, .http = hk_routes_http, .ws_open = hk_routes_ws_open,
                            .ws_text = hk_routes_ws_text, .ws_closed = hk_routes_ws_closed};
    srv = hk_server_new(loop, 0, 0, &h, err, sizeof err);
    if (!srv) return fprintf(stderr, "server: %s\n", err), -1;
    ev_async_init(&stop_w, on_stop);
    ev_async_start(loop, &stop_w);
    return 0;
}

#define BOOK "{\"type\":\"function\",\"function\":{\"name\":\"book_table\",\"description\":\"Book a table\"," \
             "\"parameters\":{\"type\":\"object\",\"properties\":{\"people\":{\"type\":\"integer\"}}}}," \
             "\"server\":{\"url\":\"https://example.com/tools\"},\"messages\":[{\"type\":\"request-start\"}]}"

/* 400 in Vapi's shape, its message naming what */
static void refused(const char *method, const char *path, const char *body, const char *what) {
    reply b = req(method, path, key_a, body);
    assert_int_equal(b.status, 400);
    assert_string_equal(s_of(b.json, "error"), "Bad Request");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(b.json, "statusCode")->valueint, 400);
    if (!says(&b, what)) fprintf(stderr, "expected '%s' in the 400 for %s\n", what, body);
    assert_true(says(&b, what));
    cJSON_Delete(b.json);
}

static void test_tool_crud(void **state) {
    (void)state;
    pthread_t th;
    pthread_create(&th, NULL, loop_main, NULL);

    /* create: 201, echoed with the owned fields, unknown ones kept, owned ones ignored */
    reply c = req("POST", "/tool", key_a, BOOK);
    assert_int_equal(c.status, 201);
    const char *id = s_of(c.json, "id");
    assert_true(hk_store_is_uuid(id));
    assert_string_equal(s_of(c.json, "orgId"), HK_DEFAULT_TENANT);
    assert_non_null(s_of(c.json, "createdAt"));
    assert_string_equal(s_of(c.json, "type"), "function");
    const cJSON *fn = cJSON_GetObjectItemCaseSensitive(c.json, "function");
    assert_string_equal(s_of(fn, "name"), "book_table");
    assert_string_equal(s_of(cJSON_GetObjectItemCaseSensitive(c.json, "server"), "url"),
                        "https://example.com/tools");
    assert_non_null(cJSON_GetObjectItemCaseSensitive(c.json, "messages"));
    reply e = req("POST", "/tool", key_a, "{\"type\":\"endCall\",\"id\":\"mine\",\"orgId\":\"x\"}");
    assert_int_equal(e.status, 201);
    assert_true(hk_store_is_uuid(s_of(e.json, "id")));
    assert_string_equal(s_of(e.json, "orgId"), HK_DEFAULT_TENANT);
    reply t = req("POST", "/tool", key_a,
                  "{\"type\":\"transferCall\",\"destinations\":[{\"type\":\"number\",\"number\":\"+15551234567\"}]}");
    assert_int_equal(t.status, 201);
    reply o = req("POST", "/tool", key_a, "{\"type\":\"dtmf\",\"extra\":{\"kept\":true}}");
    assert_int_equal(o.status, 201);
    assert_true(says(&o, "\"kept\":true"));

    /* malformed: refused, nothing stored */
    refused("POST", "/tool", "{\"function\":{\"name\":\"x\"}}", "type must be a string");
    refused("POST", "/tool", "{\"type\":\"function\"}", "function must be an object");
    refused("POST", "/tool", "{\"type\":\"function\",\"function\":{\"name\":\"has space\"}}", "function.name");
    refused("POST", "/tool", "{\"type\":\"function\",\"function\":{\"name\":\"x\",\"parameters\":{\"type\":\"string\"}}}",
            "function.parameters");
    refused("POST", "/tool", "{\"type\":\"function\",\"function\":{\"name\":\"x\",\"description\":3}}",
            "function.description");
    refused("POST", "/tool", "{\"type\":\"function\",\"function\":{\"name\":\"x\"},\"server\":{\"url\":\"ftp://h\"}}",
            "server.url");
    refused("POST", "/tool", "{\"type\":\"transferCall\",\"destinations\":[1]}", "destinations[0]");
    reply notobj = req("POST", "/tool", key_a, "[1]");
    assert_int_equal(notobj.status, 400);

    /* get, and another tenant's view of it */
    char p[128];
    snprintf(p, sizeof p, "/tool/%s", id);
    reply g = req("GET", p, key_a, NULL);
    assert_int_equal(g.status, 200);
    assert_true(cJSON_Compare(g.json, c.json, 1));
    reply other = req("GET", p, key_b, NULL);
    assert_int_equal(other.status, 404);
    reply op = req("PATCH", p, key_b, "{\"type\":\"endCall\"}");
    assert_int_equal(op.status, 404);
    reply od = req("DELETE", p, key_b, NULL);
    assert_int_equal(od.status, 404);
    reply junk = req("GET", "/tool/not-a-uuid", key_a, NULL);
    assert_int_equal(junk.status, 404);

    /* list: bare array, newest first, the 4 stored; b has none */
    reply l = req("GET", "/tool", key_a, NULL);
    assert_int_equal(l.status, 200);
    assert_true(cJSON_IsArray(l.json));
    assert_int_equal(cJSON_GetArraySize(l.json), 4);
    assert_string_equal(s_of(cJSON_GetArrayItem(l.json, 0), "id"), s_of(o.json, "id"));
    assert_string_equal(s_of(cJSON_GetArrayItem(l.json, 3), "id"), id);
    reply lb = req("GET", "/tool", key_b, NULL);
    assert_int_equal(cJSON_GetArraySize(lb.json), 0);
    reply l1 = req("GET", "/tool?limit=1", key_a, NULL);
    assert_int_equal(cJSON_GetArraySize(l1.json), 1);
    char q[200];
    snprintf(q, sizeof q, "/tool?createdAtGt=%s", s_of(o.json, "createdAt"));
    reply lf = req("GET", q, key_a, NULL);
    assert_int_equal(lf.status, 200);
    assert_int_equal(cJSON_GetArraySize(lf.json), 0);
    snprintf(q, sizeof q, "/tool?createdAtLe=%s", s_of(c.json, "createdAt"));
    reply lle = req("GET", q, key_a, NULL);
    assert_true(cJSON_GetArraySize(lle.json) >= 1);
    assert_true(says(&lle, id));
    refused("GET", "/tool?createdAtGt=yesterday", NULL, "createdAtGt");
    refused("GET", "/tool?limit=lots", NULL, "limit");

    /* patch: shallow merge, checked again */
    reply pt = req("PATCH", p, key_a,
                   "{\"function\":{\"name\":\"book_table_v2\",\"parameters\":{\"type\":\"object\"}},\"async\":true}");
    assert_int_equal(pt.status, 200);
    assert_string_equal(s_of(cJSON_GetObjectItemCaseSensitive(pt.json, "function"), "name"), "book_table_v2");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(pt.json, "async")));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(pt.json, "server"));
    assert_string_equal(s_of(pt.json, "createdAt"), s_of(c.json, "createdAt"));
    refused("PATCH", p, "{\"function\":{\"description\":\"no name\"}}", "function.name");
    reply after = req("GET", p, key_a, NULL); /* the refused patch changed nothing */
    assert_string_equal(s_of(cJSON_GetObjectItemCaseSensitive(after.json, "function"), "name"), "book_table_v2");

    /* delete: the object, then gone */
    reply d = req("DELETE", p, key_a, NULL);
    assert_int_equal(d.status, 200);
    assert_string_equal(s_of(d.json, "id"), id);
    reply gone = req("GET", p, key_a, NULL);
    assert_int_equal(gone.status, 404);
    reply l3 = req("GET", "/tool", key_a, NULL);
    assert_int_equal(cJSON_GetArraySize(l3.json), 3);
    reply nokey = req("GET", "/tool", "hk_nope", NULL);
    assert_int_equal(nokey.status, 401);

    ev_async_send(loop, &stop_w);
    pthread_join(th, NULL);
    reply all[] = {c, e, t, o, notobj, g, other, op, od, junk, l, lb, l1, lf, lle, pt, after, d, gone, l3, nokey};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) cJSON_Delete(all[i].json);
}

static int teardown(void **state) {
    (void)state;
    hk_server_free(srv);
    hk_store_free(app.store);
    hk_vm_free(app.vm);
    ev_loop_destroy(loop);
    return 0;
}

int main(void) {
    hk_log_init(getenv("HARK_LOG_LEVEL"));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_tool_crud)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
