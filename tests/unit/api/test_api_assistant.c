/* tests/unit/api/test_api_assistant: Vapi's /assistant over real HTTP: a hark
 * HTTP server with the REST routes on loopback (its loop on a thread of its
 * own), the memory store, API keys of two tenants (the default tenant, which
 * owns file agents, and another), curl as the client. Create (201, the body
 * echoed with id/orgId/createdAt/updatedAt, unknown fields kept), an
 * assistant hark cannot run (400 in Vapi's error shape naming the field), a
 * bare-array list with limit and date filters, file agents listed read-only
 * and refusing PATCH/DELETE, PATCH shallow merge re-checked, DELETE answering
 * the object, and another tenant's ids answered 404. An assistant whose
 * metadata.hark.script is broken or missing is a 400 naming the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api_http_harness.h"
#include "core/log.h"

static int setup(void **state) {
    (void)state;
    return harness_memory_setup("/tmp/hark-apiasst-XXXXXX", "11111111-0000-4000-8000-000000000001",
                                "11111111-0000-4000-8000-000000000002");
}

static void test_assistant_crud(void **state) {
    (void)state;
    harness_loop_start();

    /* create: 201, echoed with the owned fields, unknown ones kept */
    reply c = req("POST", "/assistant", key_a,
                  "{\"name\":\"Bakery\",\"firstMessage\":\"Hi\",\"model\":{\"provider\":\"openai\","
                  "\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief\"}]},"
                  "\"analysisPlan\":{\"x\":1}}");
    assert_int_equal(c.status, 201);
    const char *id = s_of(c.json, "id");
    assert_true(hk_store_is_uuid(id));
    assert_string_equal(s_of(c.json, "orgId"), HK_DEFAULT_TENANT);
    assert_non_null(s_of(c.json, "createdAt"));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(c.json, "analysisPlan"));

    /* one hark cannot run: 400, Vapi's shape, the field named */
    reply bad = req("POST", "/assistant", key_a,
                    "{\"model\":{\"provider\":\"openai\",\"model\":\"m\"},\"voice\":{\"provider\":\"cartesia\"}}");
    assert_int_equal(bad.status, 400);
    assert_string_equal(s_of(bad.json, "error"), "Bad Request");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(bad.json, "statusCode")->valueint, 400);
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(bad.json, "message");
    assert_true(cJSON_IsArray(msgs));
    assert_non_null(strstr(cJSON_GetArrayItem(msgs, 0)->valuestring, "voice.provider 'cartesia'"));
    reply notobj = req("POST", "/assistant", key_a, "[1]");
    assert_int_equal(notobj.status, 400);

    /* get, and another tenant's view of it */
    char p[128];
    snprintf(p, sizeof p, "/assistant/%s", id);
    check_owned(p, c.json, "{\"name\":\"stolen\"}");

    /* list: bare array, the API assistant first, then the file agent, marked */
    reply l = req("GET", "/assistant", key_a, NULL);
    assert_int_equal(l.status, 200);
    assert_true(cJSON_IsArray(l.json));
    assert_int_equal(cJSON_GetArraySize(l.json), 2);
    assert_string_equal(s_of(cJSON_GetArrayItem(l.json, 0), "id"), id);
    cJSON *fa = cJSON_GetArrayItem(l.json, 1);
    assert_string_equal(s_of(fa, "id"), "front_desk");
    assert_string_equal(s_of(fa, "firstMessage"), "Hello from the file.");
    cJSON *hark = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(fa, "metadata"), "hark");
    assert_string_equal(s_of(hark, "source"), "file");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hark, "readOnly")));
    reply lb = req("GET", "/assistant", key_b, NULL); /* tenant b: nothing of a's */
    assert_int_equal(cJSON_GetArraySize(lb.json), 0);
    reply l1 = req("GET", "/assistant?limit=1", key_a, NULL);
    assert_int_equal(cJSON_GetArraySize(l1.json), 1);
    char q[200];
    snprintf(q, sizeof q, "/assistant?createdAtGt=%s", s_of(c.json, "createdAt"));
    reply lf = req("GET", q, key_a, NULL); /* after it: none (and no file agents: no dates) */
    assert_int_equal(lf.status, 200);
    assert_int_equal(cJSON_GetArraySize(lf.json), 0);
    reply lbad = req("GET", "/assistant?createdAtGt=yesterday", key_a, NULL);
    assert_int_equal(lbad.status, 400);

    /* the file agent: readable, not writable */
    reply fg = req("GET", "/assistant/front_desk", key_a, NULL);
    assert_int_equal(fg.status, 200);
    reply fp = req("PATCH", "/assistant/front_desk", key_a, "{\"name\":\"x\"}");
    assert_int_equal(fp.status, 400);
    assert_true(says(&fp, "read-only"));
    reply fd = req("DELETE", "/assistant/front_desk", key_a, NULL);
    assert_int_equal(fd.status, 400);
    reply fgb = req("GET", "/assistant/front_desk", key_b, NULL); /* not b's */
    assert_int_equal(fgb.status, 404);

    /* patch: shallow merge, checked again */
    reply pt = req("PATCH", p, key_a, "{\"firstMessage\":\"Hello again\",\"metadata\":{\"t\":1}}");
    assert_int_equal(pt.status, 200);
    assert_string_equal(s_of(pt.json, "firstMessage"), "Hello again");
    assert_string_equal(s_of(pt.json, "name"), "Bakery");
    assert_non_null(cJSON_GetObjectItemCaseSensitive(pt.json, "model"));
    assert_string_equal(s_of(pt.json, "createdAt"), s_of(c.json, "createdAt"));
    reply pbad = req("PATCH", p, key_a, "{\"firstMessageMode\":\"whenever\"}");
    assert_int_equal(pbad.status, 400);
    assert_true(says(&pbad, "firstMessageMode"));
    reply after = req("GET", p, key_a, NULL); /* the refused patch changed nothing */
    assert_null(cJSON_GetObjectItemCaseSensitive(after.json, "firstMessageMode"));

    /* delete: the object, then gone */
    reply d = req("DELETE", p, key_a, NULL);
    assert_int_equal(d.status, 200);
    assert_string_equal(s_of(d.json, "id"), id);
    reply gone = req("GET", p, key_a, NULL);
    assert_int_equal(gone.status, 404);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(gone.json, "statusCode")->valueint, 404);
    reply nokey = req("GET", "/assistant", "hk_nope", NULL);
    assert_int_equal(nokey.status, 401);

    harness_loop_stop();
    reply all[] = {c, bad, notobj, l, lb, l1, lf, lbad, fg, fp, fd, fgb, pt, pbad,
                   after, d, gone, nokey};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) cJSON_Delete(all[i].json);
}

/* metadata.hark.script: a script that does not load, or is missing, is a
 * 400 naming the field at POST and at PATCH; a good one is accepted. */
static void test_assistant_script(void **state) {
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/broken.lua", agents_dir);
    FILE *f = fopen(path, "w");
    fputs("return { on_start = function(call) call:say('x') end,\n", f); /* unfinished */
    fclose(f);
    snprintf(path, sizeof path, "%s/greeter.lua", agents_dir);
    f = fopen(path, "w");
    fputs("return { on_start = function(call) call:say('hello from the script') end }\n", f);
    fclose(f);
    harness_loop_start();
#define ASST(script) "{\"model\":{\"provider\":\"openai\",\"model\":\"m\"},"               \
                     "\"metadata\":{\"hark\":{\"script\":\"" script "\"}}}"
    reply broken = req("POST", "/assistant", key_a, ASST("broken.lua"));
    assert_int_equal(broken.status, 400);
    assert_true(says(&broken, "metadata.hark.script broken.lua:2"));
    assert_false(says(&broken, agents_dir)); /* the server's path stays its own */
    reply missing = req("POST", "/assistant", key_a, ASST("missing.lua"));
    assert_int_equal(missing.status, 400);
    assert_true(says(&missing, "metadata.hark.script missing.lua: cannot open"));
    reply pathy = req("POST", "/assistant", key_a, ASST("../broken.lua"));
    assert_int_equal(pathy.status, 400);
    assert_true(says(&pathy, "metadata.hark.script must name a file in the agents directory"));
    reply ok = req("POST", "/assistant", key_a, ASST("greeter.lua"));
    assert_int_equal(ok.status, 201);
    char p[128];
    snprintf(p, sizeof p, "/assistant/%s", s_of(ok.json, "id"));
    reply pbad = req("PATCH", p, key_a, "{\"metadata\":{\"hark\":{\"script\":\"broken.lua\"}}}");
    assert_int_equal(pbad.status, 400);
    assert_true(says(&pbad, "metadata.hark.script"));
    reply plan = req("PATCH", p, key_a, "{\"stopSpeakingPlan\":{\"numWords\":2}}");
    assert_int_equal(plan.status, 400);
    assert_true(says(&plan, "stopSpeakingPlan.numWords"));
#undef ASST
    harness_loop_stop();
    reply all[] = {broken, missing, pathy, ok, pbad, plan};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) cJSON_Delete(all[i].json);
}

int main(void) {
    hk_log_init(getenv("HARK_LOG_LEVEL"));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_assistant_crud),
                                       cmocka_unit_test(test_assistant_script)};
    return cmocka_run_group_tests(tests, setup, harness_group_teardown);
}
