/* tests/unit/agent/test_assistant_script: an API assistant naming a Lua file
 * (metadata.hark.script) in the registry (hk_agent_dir_get_api, memory
 * store): the script's hooks and tools join the assistant's settings, the
 * assistant's JSON winning where both set a field; the script runs in a
 * sandbox of its own (its globals are not those of the file agent of the
 * same name); an edit of the script file builds the assistant again at the
 * next lookup (same document version) while a live call keeps its build;
 * a script that breaks later leaves the last good build in use; a missing
 * or broken script of a new assistant is an error naming the field. */
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

static void store_doc(hk_store *s, const char *json, char id[40]) {
    cJSON *body = cJSON_Parse(json), *doc = NULL;
    assert_non_null(body);
    hk_store_doc_create(s, HK_DOC_ASSISTANT, TA, body, on_doc, &doc);
    cJSON_Delete(body);
    assert_non_null(doc);
    snprintf(id, 40, "%s", cJSON_GetObjectItemCaseSensitive(doc, "id")->valuestring);
    cJSON_Delete(doc);
}

static got lookup(hk_agent_dir *d, hk_store *s, const char *id, long long v) {
    got g = {0};
    hk_agent_dir_get_api(d, s, TA, id, v, on_agent, &g);
    assert_int_equal(g.calls, 1); /* the memory store answers at once */
    return g;
}

static void write_file(const char *dir, const char *name, const char *text) {
    char path[256], tmp[260];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(rename(tmp, path), 0); /* a new inode: a new version at once */
}

/* tools.<name>.handler() of a's table, as a string ("" on error) */
static const char *run_tool(hk_vm *vm, hk_agent *a, const char *name, char *out, size_t n) {
    lua_State *L = vm->L;
    int top = lua_gettop(L);
    out[0] = 0;
    hk_agent_push_table(a, L);
    lua_getfield(L, -1, "tools");
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, name);
        if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "handler");
            if (lua_isfunction(L, -1) && lua_pcall(L, 0, 1, 0) == 0 && lua_isstring(L, -1))
                snprintf(out, n, "%s", lua_tostring(L, -1));
        }
    }
    lua_settop(L, top);
    return out;
}

static int has_hook(hk_agent *a, const char *name) {
    if (!hk_agent_push_hook(a, name)) return 0;
    lua_pop(a->vm->L, 1);
    return 1;
}

#define SCRIPT(v)                                                                          \
    "hits = 0\n"                                                                           \
    "return { name = 'from the script', first_message = 'script greeting',\n"             \
    "  system_prompt = 'script prompt', model = { provider = 'openai', model = 'x' },\n"   \
    "  on_start = function(call) call:say('script " v "') end,\n"                          \
    "  tools = { version = { name = 'version', description = 'v', handler = function()\n" \
    "    return '" v "' end },\n"                                                          \
    "    hits = { name = 'hits', description = 'h', handler = function()\n"               \
    "    hits = hits + 1; return tostring(hits) end } } }\n"

static void test_script(void **state) {
    (void)state;
    char err[512], dir[] = "/tmp/hark-asscript-XXXXXX", id[40], out[64];
    assert_non_null(mkdtemp(dir));
    write_file(dir, "helper.lua", SCRIPT("v1"));
    hk_vm *vm = hk_vm_new(NULL, err, sizeof err);
    assert_non_null(vm);
    hk_agent_dir *d = hk_agent_dir_open(vm, NULL, dir);
    assert_string_equal(vm->agents_dir, dir);
    hk_store *s = hk_store_memory_new();
    store_doc(s,
              "{\"name\":\"Bakery\",\"firstMessage\":\"json greeting\","
              "\"model\":{\"provider\":\"openai\",\"model\":\"m\"},"
              "\"stopSpeakingPlan\":{\"voiceSeconds\":0.3,\"backoffSeconds\":2},"
              "\"metadata\":{\"hark\":{\"script\":\"helper.lua\"}}}",
              id);

    got v1 = lookup(d, s, id, 0);
    assert_non_null(v1.a);
    /* the JSON wins where both set a field; the script fills the rest */
    assert_string_equal(v1.a->name, "Bakery");
    assert_string_equal(v1.a->first_message, "json greeting");
    assert_string_equal(v1.a->system_prompt, "script prompt");
    assert_true(has_hook(v1.a, "on_start"));
    assert_string_equal(run_tool(vm, v1.a, "version", out, sizeof out), "v1");
    /* stopSpeakingPlan reached the engine's barge-in settings */
    assert_int_equal(v1.a->barge_in_min_ms, 300);
    assert_int_equal(v1.a->barge_in_resume_ms, 2000);

    /* its own sandbox: the file agent helper (same file) counts apart */
    hk_agent *file = hk_agent_dir_get(d, "helper");
    assert_non_null(file);
    assert_string_equal(run_tool(vm, file, "hits", out, sizeof out), "1");
    assert_string_equal(run_tool(vm, file, "hits", out, sizeof out), "2");
    assert_string_equal(run_tool(vm, v1.a, "hits", out, sizeof out), "1");
    hk_agent_unref(file);

    got again = lookup(d, s, id, 0); /* nothing changed: the cached build */
    assert_ptr_equal(again.a, v1.a);
    hk_agent_unref(again.a);

    /* the script edited: the next lookup builds anew, the live call keeps v1 */
    write_file(dir, "helper.lua", SCRIPT("v2"));
    got v2 = lookup(d, s, id, 0);
    assert_non_null(v2.a);
    assert_ptr_not_equal(v2.a, v1.a);
    assert_int_equal(v2.version, v1.version);
    assert_string_equal(run_tool(vm, v2.a, "version", out, sizeof out), "v2");
    assert_string_equal(run_tool(vm, v1.a, "version", out, sizeof out), "v1");

    /* the script broken: calls keep the last good build */
    write_file(dir, "helper.lua", "return { on_start = \n");
    got kept = lookup(d, s, id, 0);
    assert_ptr_equal(kept.a, v2.a);
    hk_agent_unref(kept.a);

    /* a new assistant with a broken or missing script: an error naming the field */
    char id2[40], id3[40];
    store_doc(s, "{\"model\":{\"provider\":\"openai\",\"model\":\"m\"},"
                 "\"metadata\":{\"hark\":{\"script\":\"helper.lua\"}}}", id2);
    got broken = lookup(d, s, id2, 0);
    assert_null(broken.a);
    assert_non_null(strstr(broken.err, "metadata.hark.script"));
    store_doc(s, "{\"model\":{\"provider\":\"openai\",\"model\":\"m\"},"
                 "\"metadata\":{\"hark\":{\"script\":\"nowhere.lua\"}}}", id3);
    got missing = lookup(d, s, id3, 0);
    assert_null(missing.a);
    assert_non_null(strstr(missing.err, "metadata.hark.script"));
    assert_non_null(strstr(missing.err, "cannot open"));

    /* a script whose table fails the agent checks is refused too */
    write_file(dir, "typo.lua", "return { on_strat = function() end }\n");
    char id4[40];
    store_doc(s, "{\"model\":{\"provider\":\"openai\",\"model\":\"m\"},"
                 "\"metadata\":{\"hark\":{\"script\":\"typo.lua\"}}}", id4);
    got typo = lookup(d, s, id4, 0);
    assert_null(typo.a);
    assert_non_null(strstr(typo.err, "metadata.hark.script typo.lua: unknown field 'on_strat'"));
    /* while a fault of the assistant's own is named as such */
    char id5[40];
    store_doc(s, "{\"model\":{\"provider\":\"nope\",\"model\":\"m\"},"
                 "\"metadata\":{\"hark\":{\"script\":\"typo.lua\"}}}", id5);
    write_file(dir, "typo.lua", "return { on_start = function() end }\n");
    got own = lookup(d, s, id5, 0);
    assert_null(own.a);
    assert_non_null(strstr(own.err, "model.provider 'nope'"));
    assert_null(strstr(own.err, "metadata.hark.script"));

    hk_agent_unref(v1.a);
    hk_agent_unref(v2.a);
    hk_agent_dir_free(d);
    hk_store_free(s);
    hk_vm_free(vm);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    hk_log_init(getenv("HARK_LOG_LEVEL"));
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_script)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
