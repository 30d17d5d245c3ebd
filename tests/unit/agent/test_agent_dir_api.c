/* tests/unit/agent/test_agent_dir_api: the registry's API assistants
 * (hk_agent_dir_get_api) over the memory store: the current version is
 * built from the document and cached by (tenant, id, updatedAt); a PATCH
 * makes the next lookup build the new version while a reference taken before
 * (a live call) keeps the old one intact; a lookup of a cached version needs
 * no store read; another tenant's or a deleted assistant is not found; a
 * document hark cannot run is an error naming the field, never an agent.
 * model.toolIds (test_tool_ids): the tenant's /tool documents are read at
 * each load, so a tool edited on its own makes the next lookup build anew
 * (same assistant version) while a pinned version stays; a deleted tool is
 * skipped, the assistant still loads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>

#include "agent/agent_dir.h"
#include "agent/vm.h"
#include "core/log.h"
#include "store/store.h"

#define TA "7a1c2d3e-0000-4000-8000-0000000000aa"
#define TB "7a1c2d3e-0000-4000-8000-0000000000bb"

typedef struct got {
    int calls;
    hk_agent *a;
    long long version;
    char err[512];
} got;

static void on_agent(void *ud, hk_agent *a, long long version_ms, const char *err) {
    got *g = ud;
    g->calls++;
    g->a = a;
    g->version = version_ms;
    snprintf(g->err, sizeof g->err, "%s", err ? err : "");
}

static void on_doc(void *ud, cJSON *doc, const char *err) {
    assert_null(err);
    cJSON **out = ud;
    *out = doc;
}

static cJSON *store_doc(hk_store *s, const char *json) {
    cJSON *body = cJSON_Parse(json), *doc = NULL;
    hk_store_doc_create(s, HK_DOC_ASSISTANT, TA, body, on_doc, &doc);
    cJSON_Delete(body);
    assert_non_null(doc);
    return doc;
}

static got lookup(hk_agent_dir *d, hk_store *s, const char *tenant, const char *id, long long v) {
    got g = {0};
    hk_agent_dir_get_api(d, s, tenant, id, v, on_agent, &g);
    assert_int_equal(g.calls, 1); /* the memory store answers at once */
    return g;
}

static void test_versions(void **state) {
    (void)state;
    char err[512], dir[] = "/tmp/hark-dirapi-XXXXXX";
    assert_non_null(mkdtemp(dir));
    hk_vm *vm = hk_vm_new(NULL, err, sizeof err);
    assert_non_null(vm);
    hk_agent_dir *d = hk_agent_dir_open(vm, NULL, dir);
    hk_store *s = hk_store_memory_new();
    cJSON *doc = store_doc(s, "{\"name\":\"Bakery\",\"firstMessage\":\"Fresh bread.\","
                              "\"model\":{\"provider\":\"openai\",\"model\":\"gpt-4o-mini\"}}");
    char id[40];
    snprintf(id, sizeof id, "%s", cJSON_GetObjectItemCaseSensitive(doc, "id")->valuestring);
    cJSON_Delete(doc);

    got v1 = lookup(d, s, TA, id, 0);
    assert_non_null(v1.a);
    assert_true(v1.version > 0);
    assert_string_equal(v1.a->id, id);
    assert_string_equal(v1.a->first_message, "Fresh bread.");
    assert_int_equal(hk_agent_dir_api_cached(d), 1);
    got again = lookup(d, s, TA, id, 0); /* same version: the cached agent */
    assert_ptr_equal(again.a, v1.a);
    hk_agent_unref(again.a);

    usleep(2000); /* updatedAt moves at least 1 ms anyway */
    cJSON *patch = cJSON_Parse("{\"firstMessage\":\"Cakes today.\"}"), *after = NULL;
    hk_store_doc_patch(s, HK_DOC_ASSISTANT, TA, id, patch, on_doc, &after);
    cJSON_Delete(patch);
    cJSON_Delete(after);
    got v2 = lookup(d, s, TA, id, 0);
    assert_non_null(v2.a);
    assert_ptr_not_equal(v2.a, v1.a);
    assert_true(v2.version > v1.version);
    assert_string_equal(v2.a->first_message, "Cakes today.");
    /* the live call's version is untouched; the cache holds only the new one */
    assert_string_equal(v1.a->first_message, "Fresh bread.");
    assert_int_equal(hk_agent_dir_api_cached(d), 1);

    /* a version this worker has needs no store read: it outlives the document */
    cJSON *gone = NULL;
    hk_store_doc_delete(s, HK_DOC_ASSISTANT, TA, id, on_doc, &gone);
    cJSON_Delete(gone);
    got cached = lookup(d, s, TA, id, v2.version);
    assert_ptr_equal(cached.a, v2.a);
    hk_agent_unref(cached.a);
    got deleted = lookup(d, s, TA, id, 0); /* a new call reads the store: gone */
    assert_null(deleted.a);
    assert_string_equal(deleted.err, "");

    /* another tenant, a malformed id, no store */
    doc = store_doc(s, "{\"firstMessage\":\"Hi\",\"model\":{\"provider\":\"openai\",\"model\":\"m\"}}");
    snprintf(id, sizeof id, "%s", cJSON_GetObjectItemCaseSensitive(doc, "id")->valuestring);
    cJSON_Delete(doc);
    assert_null(lookup(d, s, TB, id, 0).a);
    assert_null(lookup(d, s, TA, "front_desk", 0).a);
    assert_null(lookup(d, NULL, TA, id, 0).a);
    got ok = lookup(d, s, TA, id, 0);
    assert_non_null(ok.a);
    hk_agent_unref(ok.a);

    /* a document hark cannot run: an error naming the field */
    doc = store_doc(s, "{\"model\":{\"provider\":\"openai\",\"model\":\"m\"},\"voice\":{\"provider\":\"cartesia\"}}");
    snprintf(id, sizeof id, "%s", cJSON_GetObjectItemCaseSensitive(doc, "id")->valuestring);
    cJSON_Delete(doc);
    got bad = lookup(d, s, TA, id, 0);
    assert_null(bad.a);
    assert_non_null(strstr(bad.err, "voice.provider"));

    hk_agent_unref(v1.a); /* the live calls end */
    hk_agent_unref(v2.a);
    hk_agent_dir_free(d);
    hk_store_free(s);
    hk_vm_free(vm);
    rmdir(dir);
}

/* tools.<name>.server.url of the agent table, or "" */
static const char *tool_url(hk_vm *vm, hk_agent *a, const char *name, char *out, size_t n) {
    lua_State *L = vm->L;
    int top = lua_gettop(L);
    hk_agent_push_table(a, L);
    lua_getfield(L, -1, "tools");
    out[0] = 0;
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, name);
        if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "server");
            if (lua_istable(L, -1)) {
                lua_getfield(L, -1, "url");
                if (lua_isstring(L, -1)) snprintf(out, n, "%s", lua_tostring(L, -1));
            }
        }
    }
    lua_settop(L, top);
    return out;
}

static void test_tool_ids(void **state) {
    (void)state;
    char err[512], url[128];
    hk_vm *vm = hk_vm_new(NULL, err, sizeof err);
    assert_non_null(vm);
    hk_agent_dir *d = hk_agent_dir_open(vm, NULL, NULL);
    hk_store *s = hk_store_memory_new();
    cJSON *body = cJSON_Parse("{\"type\":\"function\",\"function\":{\"name\":\"lookup\"},"
                              "\"server\":{\"url\":\"http://127.0.0.1:9/a\"}}");
    cJSON *tool = NULL;
    hk_store_doc_create(s, HK_DOC_TOOL, TA, body, on_doc, &tool);
    cJSON_Delete(body);
    assert_non_null(tool);
    char tid[40], json[400], id[40];
    snprintf(tid, sizeof tid, "%s", cJSON_GetObjectItemCaseSensitive(tool, "id")->valuestring);
    cJSON_Delete(tool);
    snprintf(json, sizeof json, "{\"model\":{\"provider\":\"openai\",\"model\":\"m\",\"toolIds\":[\"%s\"]}}",
             tid);
    cJSON *doc = store_doc(s, json);
    snprintf(id, sizeof id, "%s", cJSON_GetObjectItemCaseSensitive(doc, "id")->valuestring);
    cJSON_Delete(doc);

    got v1 = lookup(d, s, TA, id, 0);
    assert_non_null(v1.a);
    assert_string_equal(tool_url(vm, v1.a, "lookup", url, sizeof url), "http://127.0.0.1:9/a");
    got again = lookup(d, s, TA, id, 0); /* nothing changed: the cached agent */
    assert_ptr_equal(again.a, v1.a);
    hk_agent_unref(again.a);

    /* the tool moves to another server: same assistant version, new agent */
    cJSON *patch = cJSON_Parse("{\"server\":{\"url\":\"http://127.0.0.1:9/b\"}}"), *after = NULL;
    hk_store_doc_patch(s, HK_DOC_TOOL, TA, tid, patch, on_doc, &after);
    cJSON_Delete(patch);
    cJSON_Delete(after);
    got v2 = lookup(d, s, TA, id, 0);
    assert_non_null(v2.a);
    assert_ptr_not_equal(v2.a, v1.a);
    assert_true(v2.version == v1.version);
    assert_string_equal(tool_url(vm, v2.a, "lookup", url, sizeof url), "http://127.0.0.1:9/b");
    assert_string_equal(tool_url(vm, v1.a, "lookup", url, sizeof url), "http://127.0.0.1:9/a");
    assert_int_equal(hk_agent_dir_api_cached(d), 1);
    got pinned = lookup(d, s, TA, id, v1.version); /* a live call's version: from the cache */
    assert_ptr_equal(pinned.a, v2.a);
    hk_agent_unref(pinned.a);

    /* the tool deleted: the assistant loads without it */
    cJSON *gone = NULL;
    hk_store_doc_delete(s, HK_DOC_TOOL, TA, tid, on_doc, &gone);
    cJSON_Delete(gone);
    got v3 = lookup(d, s, TA, id, 0);
    assert_non_null(v3.a);
    assert_string_equal(v3.err, "");
    assert_string_equal(tool_url(vm, v3.a, "lookup", url, sizeof url), "");
    /* another tenant's tool is no tool of this one */
    body = cJSON_Parse("{\"type\":\"endCall\"}");
    hk_store_doc_create(s, HK_DOC_TOOL, TB, body, on_doc, &tool);
    cJSON_Delete(body);
    snprintf(json, sizeof json, "{\"model\":{\"provider\":\"openai\",\"model\":\"m\",\"toolIds\":[\"%s\"]}}",
             cJSON_GetObjectItemCaseSensitive(tool, "id")->valuestring);
    cJSON_Delete(tool);
    doc = store_doc(s, json);
    snprintf(id, sizeof id, "%s", cJSON_GetObjectItemCaseSensitive(doc, "id")->valuestring);
    cJSON_Delete(doc);
    got other = lookup(d, s, TA, id, 0);
    assert_non_null(other.a);
    hk_agent_push_table(other.a, vm->L);
    lua_getfield(vm->L, -1, "tools");
    assert_true(lua_isnil(vm->L, -1)); /* no endCall from tenant B */
    lua_pop(vm->L, 2);

    hk_agent_unref(other.a);
    hk_agent_unref(v1.a);
    hk_agent_unref(v2.a);
    hk_agent_unref(v3.a);
    hk_agent_dir_free(d);
    hk_store_free(s);
    hk_vm_free(vm);
}

int main(void) {
    hk_log_init(getenv("HARK_LOG_LEVEL"));
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_versions), cmocka_unit_test(test_tool_ids)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
