/* tests/unit/store/test_store_memory: the memory store keeps the store
 * contract the call lifecycle relies on: a call's rows as it goes, messages in
 * seq order whatever order they arrive in, a replayed message id stored once,
 * reads scoped by tenant, filters and paging, the summary at the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <cmocka.h>

#include "core/config.h"
#include "store/store.h"

static cJSON *got;
static void keep(void *ud, cJSON *result, const char *err) {
    (void)ud;
    assert_null(err);
    got = result;
}

static void msg(hk_store *s, const char *tenant, int seq, const char *text, char *id) {
    hk_store_message m = {.call_sid = "CA1", .tenant_id = tenant, .seq = seq, .role = "user",
                          .content = text, .confidence = -1, .user_end_ms = -1, .stt_final_ms = -1,
                          .llm_first_token_ms = -1, .tts_first_audio_ms = -1, .first_frame_ms = 5};
    if (id && id[0]) memcpy(m.id, id, 37);
    hk_store_message_add(s, &m);
    if (id) memcpy(id, m.id, 37);
}

static void test_call_record(void **state) {
    (void)state;
    hk_store *s = hk_store_memory_new();
    hk_store_call c = {.call_sid = "CA1", .tenant_id = "A", .agent_id = "ag1", .from = "+1555",
                       .to = "+1666", .inbound = 1};
    assert_int_equal(hk_store_call_create(s, &c), 0);
    assert_int_equal(hk_store_call_create(s, &c), 0); /* idempotent */
    char id1[37] = "";
    msg(s, "A", 1, "second", NULL);
    msg(s, "A", 0, "first", id1);
    msg(s, "A", 0, "first again", id1); /* a replay of the same message */
    msg(s, "A", 2, "third", NULL);
    assert_int_equal(strlen(id1), 36);
    s->v->messages_list(s, "A", "CA1", keep, NULL);
    assert_int_equal(cJSON_GetArraySize(got), 3);
    const char *want[3] = {"first", "second", "third"};
    for (int i = 0; i < 3; i++)
        assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(got, i), "content")->valuestring, want[i]);
    cJSON_Delete(got);
    /* another tenant sees nothing and cannot write */
    assert_int_equal(hk_store_call_status(s, "B", "CA1", "hijacked"), -1);
    s->v->messages_list(s, "B", "CA1", keep, NULL);
    assert_int_equal(cJSON_GetArraySize(got), 0);
    cJSON_Delete(got);
    s->v->call_get(s, "B", "CA1", keep, NULL);
    assert_null(got);
    hk_store_call_summary e = {.call_sid = "CA1", .tenant_id = "A", .duration_s = 3,
                               .ended_reason = "customer-ended-call", .transcript = "t",
                               .latency_json = "{\"p50_ms\":500}"};
    assert_int_equal(hk_store_call_end(s, &e), 0);
    s->v->call_get(s, "A", "CA1", keep, NULL);
    assert_string_equal(cJSON_GetObjectItem(got, "status")->valuestring, "ended");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(got, "latency"), "p50_ms")->valueint, 500);
    cJSON_Delete(got);
    /* the recording uploaded after the call: its URL replaces the local one,
     * for the owning tenant only */
    assert_int_equal(hk_store_call_recording(s, "A", "CA1", "http://s3/b/recordings/CA1.wav"), 0);
    assert_int_equal(hk_store_call_recording(s, "B", "CA1", "http://evil/x.wav"), -1);
    s->v->call_get(s, "A", "CA1", keep, NULL);
    assert_string_equal(cJSON_GetObjectItem(got, "recording_url")->valuestring,
                        "http://s3/b/recordings/CA1.wav");
    cJSON_Delete(got);
    assert_int_equal(hk_store_pending(s), 0);
    hk_store_free(s);
}

static void test_filters(void **state) {
    (void)state;
    hk_store *s = hk_store_memory_new();
    for (int i = 0; i < 6; i++) {
        char sid[16];
        snprintf(sid, sizeof sid, "CA%d", i);
        hk_store_call c = {.call_sid = sid, .tenant_id = i < 5 ? "A" : "B", .from = i % 2 ? "+1" : "+2",
                           .to = "+9", .status = i < 2 ? "ended" : "in-progress",
                           .start_time = 1000 + i};
        hk_store_call_create(s, &c);
    }
    hk_store_filter f = {.number = "+1"};
    s->v->calls_list(s, "A", &f, keep, NULL);
    assert_int_equal(cJSON_GetArraySize(got), 2);
    cJSON_Delete(got);
    hk_store_filter g = {.status = "ended", .since = 1001};
    s->v->calls_list(s, "A", &g, keep, NULL);
    assert_int_equal(cJSON_GetArraySize(got), 1);
    cJSON_Delete(got);
    hk_store_filter p = {.limit = 2, .offset = 4};
    s->v->calls_list(s, "A", &p, keep, NULL);
    assert_int_equal(cJSON_GetArraySize(got), 1); /* 5 of A's: the last page holds one */
    cJSON_Delete(got);
    hk_store_free(s);
}

/* The choice a server makes from its settings (set in-process here; the
 * environment and .env are the config tests' and test_dotenv.sh's job). */
static void test_from_env(void **state) {
    (void)state;
    char err[256] = "";
    hk_config cfg;
    memset(&cfg, 0, sizeof cfg);
    hk_config_set(&cfg, HK_CFG_HARK_STORE, "memory");
    hk_store *s = hk_store_from_env(&cfg, NULL, NULL, err, sizeof err);
    assert_non_null(s);
    assert_string_equal(s->v->name, "memory");
    hk_store_free(s);
    hk_config_set(&cfg, HK_CFG_HARK_STORE, "postgres");
    hk_config_set(&cfg, HK_CFG_HARK_ENV, "production");
    assert_null(hk_store_from_env(&cfg, NULL, NULL, err, sizeof err)); /* no key, no start */
    assert_non_null(strstr(err, "HARK_DATA_KEY"));
    hk_config_set(&cfg, HK_CFG_HARK_STORE, "sqlite");
    assert_null(hk_store_from_env(&cfg, NULL, NULL, err, sizeof err));
    hk_config_free(&cfg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_env),
        cmocka_unit_test(test_call_record),
        cmocka_unit_test(test_filters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
