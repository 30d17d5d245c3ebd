/* tests/unit/api/api_http_harness: what the REST API tests over real HTTP
 * share, one copy: hark's HTTP server with the REST routes (routes.c) on a
 * free loopback port, its loop on a thread of its own while a test sends
 * requests; API keys in the memory auth store; curl as the client (a reply:
 * status, parsed JSON, and with req_kept() the text); the JSON look-ups the
 * cases use; and the memory-store setup the CRUD tests share (a Lua VM, the
 * memory store, optionally an agents directory holding front_desk.lua, keys
 * of tenants TA and TB). Header-only, as every API test is one .c
 * (CMakeLists.txt builds each tests/unit/ ** /test_*.c alone); include after
 * <cmocka.h>. The including file sets app.store (and app.cfg) before
 * harness_serve(). */
#ifndef HK_TEST_API_HTTP_HARNESS_H
#define HK_TEST_API_HTTP_HARNESS_H

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <ev.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent_dir.h"
#include "agent/call.h"
#include "api/apikey.h"
#include "api/app.h"
#include "api/routes.h"
#include "net/http_server.h"
#include "store/memory_auth.h"
#include "store/store.h"

#define TA HK_DEFAULT_TENANT
#define TB "7a1c2d3e-0000-4000-8000-0000000000bb"

static struct ev_loop *loop;
static ev_async stop_w;
static hk_app app;
static hk_server *srv;
static pthread_t loop_th;
static __attribute__((unused)) char key_a[HK_APIKEY_LEN + 1], key_b[HK_APIKEY_LEN + 1];
static __attribute__((unused)) char agents_dir[64]; /* harness_memory_setup's, when it makes one */

static void harness_on_stop(struct ev_loop *l, ev_async *w, int revents) {
    (void)w, (void)revents;
    ev_break(l, EVBREAK_ALL);
}

static void *harness_loop_main(void *arg) {
    (void)arg;
    ev_run(loop, 0);
    return NULL;
}

/* the server for app on loop, port 0 (a free one), and the watcher that
 * stops the loop thread; 0, or -1 said on stderr */
static inline int harness_serve(void) {
    char err[512];
    hk_server_handlers h = {.ud = &app, .http = hk_routes_http, .ws_open = hk_routes_ws_open,
                            .ws_text = hk_routes_ws_text, .ws_closed = hk_routes_ws_closed};
    srv = hk_server_new(loop, 0, 0, &h, err, sizeof err);
    if (!srv) return fprintf(stderr, "server: %s\n", err), -1;
    ev_async_init(&stop_w, harness_on_stop);
    ev_async_start(loop, &stop_w);
    return 0;
}

/* the loop runs on its own thread between these two */
static inline void harness_loop_start(void) { pthread_create(&loop_th, NULL, harness_loop_main, NULL); }

static inline void harness_loop_stop(void) {
    ev_async_send(loop, &stop_w);
    pthread_join(loop_th, NULL);
}

typedef struct reply {
    long status;
    cJSON *json;
    char *text; /* req_kept()'s only; req() frees it */
} reply;

static size_t harness_collect(char *p, size_t sz, size_t n, void *ud) {
    char **buf = ud;
    size_t old = *buf ? strlen(*buf) : 0;
    *buf = realloc(*buf, old + sz * n + 1);
    memcpy(*buf + old, p, sz * n);
    (*buf)[old + sz * n] = 0;
    return sz * n;
}

/* one request to this server: with a key, "Authorization: Bearer key" and a
 * JSON Content-Type; without (NULL), no header at all. The body, when any,
 * as POSTFIELDS; the answer's text appended to *out. The status. */
static inline long harness_fetch(const char *method, const char *path, const char *key, const char *body,
                                 char **out) {
    CURL *c = curl_easy_init();
    char url[1024], auth[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", hk_server_port(srv), path);
    struct curl_slist *h = NULL;
    if (key) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
        h = curl_slist_append(h, auth);
        h = curl_slist_append(h, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, harness_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

/* a reply by value, its JSON the caller's to free; a text that is not JSON
 * is said on stderr */
static inline reply req(const char *method, const char *path, const char *key, const char *body) {
    char *out = NULL;
    reply r = {harness_fetch(method, path, key, body, &out), NULL, NULL};
    r.json = out ? cJSON_Parse(out) : NULL;
    if (out && !r.json) fprintf(stderr, "not JSON: %s\n", out);
    free(out);
    return r;
}

/* a reply with its text, kept until replies_free() */
static reply replies[256];
static int nreplies;

static inline reply *req_kept(const char *method, const char *path, const char *key, const char *body) {
    assert_true(nreplies < (int)(sizeof replies / sizeof *replies));
    reply *r = &replies[nreplies++];
    r->text = NULL;
    r->status = harness_fetch(method, path, key, body, &r->text);
    r->json = r->text ? cJSON_Parse(r->text) : NULL;
    return r;
}

static inline void replies_free(void) {
    for (int i = 0; i < nreplies; i++) {
        cJSON_Delete(replies[i].json);
        free(replies[i].text);
    }
    nreplies = 0;
}

static inline const cJSON *at(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static inline const char *s_of(const cJSON *o, const char *k) {
    const cJSON *v = at(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static inline double n_of(const cJSON *o, const char *k) {
    const cJSON *v = at(o, k);
    if (!cJSON_IsNumber(v)) fail_msg("%s is not a number", k);
    return v->valuedouble;
}

static inline void near(double got, double want) {
    if (fabs(got - want) > 1e-6) fail_msg("got %.9f, want %.9f", got, want);
}

/* the reply's JSON text contains s */
static inline int says(const reply *r, const char *s) {
    char *t = cJSON_PrintUnformatted(r->json);
    int yes = t && strstr(t, s) != NULL;
    free(t);
    return yes;
}

/* the object at path is key_a's: GET answers it as created; another
 * tenant's (key_b's) GET, PATCH with patch, and DELETE are 404 */
static inline void check_owned(const char *path, const cJSON *created, const char *patch) {
    reply g = req("GET", path, key_a, NULL);
    assert_int_equal(g.status, 200);
    assert_true(cJSON_Compare(g.json, created, 1));
    reply other = req("GET", path, key_b, NULL);
    assert_int_equal(other.status, 404);
    reply op = req("PATCH", path, key_b, patch);
    assert_int_equal(op.status, 404);
    reply od = req("DELETE", path, key_b, NULL);
    assert_int_equal(od.status, 404);
    reply all[] = {g, other, op, od};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) cJSON_Delete(all[i].json);
}

/* a new API key of tenant in the memory auth store, as key_id (NULL: a new
 * UUID) */
static inline void add_mem_key(const char *tenant, char key[HK_APIKEY_LEN + 1], const char *key_id) {
    char prefix[HK_APIKEY_PREFIX_LEN + 1], id[37];
    uint8_t hash[32];
    assert_int_equal(hk_apikey_new(key, prefix, hash), 0);
    if (!key_id) hk_store_uuid(id), key_id = id;
    assert_int_equal(hk_mem_auth_add_key(tenant, key_id, prefix, hash), 0);
}

/* a Lua VM, the memory store, key_a of TA as id_a and key_b of TB as id_b,
 * the server; with agents_tmpl (a mkdtemp template) an agents directory
 * holding front_desk.lua. 0, or -1 said on stderr */
static inline int harness_memory_setup(const char *agents_tmpl, const char *id_a, const char *id_b) {
    char err[512];
    loop = ev_loop_new(EVFLAG_AUTO);
    app.loop = loop;
    app.vm = hk_vm_new(NULL, err, sizeof err);
    if (!app.vm) return fprintf(stderr, "vm: %s\n", err), -1;
    app.store = hk_store_memory_new();
    if (agents_tmpl) {
        snprintf(agents_dir, sizeof agents_dir, "%s", agents_tmpl);
        if (!mkdtemp(agents_dir)) return -1;
        char path[128];
        snprintf(path, sizeof path, "%s/front_desk.lua", agents_dir);
        FILE *f = fopen(path, "w");
        fputs("return { name = 'Front desk', first_message = 'Hello from the file.',\n"
              "  on_user_turn = function(call, text) call:say('ok') end }\n", f);
        fclose(f);
        app.agents = hk_agent_dir_open(app.vm, NULL, agents_dir);
    }
    add_mem_key(TA, key_a, id_a);
    add_mem_key(TB, key_b, id_b);
    return harness_serve();
}

/* all harness_memory_setup made, the agents directory removed */
static inline int harness_memory_teardown(void) {
    hk_server_free(srv);
    if (app.agents) hk_agent_dir_free(app.agents);
    hk_store_free(app.store);
    hk_vm_free(app.vm);
    ev_loop_destroy(loop);
    if (!agents_dir[0]) return 0;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", agents_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* the same as a cmocka group teardown */
static inline int harness_group_teardown(void **state) {
    (void)state;
    return harness_memory_teardown();
}

#endif
