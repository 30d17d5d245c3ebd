/* tests/unit/api/test_auth_cache: api/auth in front of the key store (a
 * stand-in store that counts look-ups and answers when told): a known key is
 * looked up once then served from the cache; an unknown key's second try is
 * answered from the negative cache without a look-up, and asked again once
 * HK_AUTH_NEG_TTL_S has passed; a store error is hk_auth_store_unavailable
 * (503 in the API), not a bad key; with HK_AUTH_MAX_LOOKUPS look-ups waiting,
 * one more is refused as unavailable without reaching the store; a flood of
 * random keys costs one store read each, never more (the tables are fixed
 * arrays: memory does not grow with it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "api/apikey.h"
#include "api/app.h"
#include "api/auth.h"
#include "store/store.h"

#define MAXQ 256
static struct {
    int finds;
    int hold;                /* keep callbacks instead of answering */
    hk_store_read_cb cb[MAXQ];
    void *ud[MAXQ];
    int nq;
    const char *err;         /* answer with this error */
    cJSON *row;              /* answer with a copy of this row (NULL: no such key) */
} S;

static void fake_find(hk_store *s, const char *prefix, hk_store_read_cb cb, void *ud) {
    (void)s;
    (void)prefix;
    S.finds++;
    if (S.hold) {
        S.cb[S.nq] = cb;
        S.ud[S.nq++] = ud;
        return;
    }
    cb(ud, S.row ? cJSON_Duplicate(S.row, 1) : NULL, S.err);
}

static const hk_store_vtable fake_v = {.name = "fake", .api_key_find = fake_find};
static hk_store fake_store = {.v = &fake_v};

typedef struct answer {
    int calls, ok;
    const char *why;
} answer;

static void on_auth(void *ud, const hk_auth_principal *who, const char *why) {
    answer *a = ud;
    a->calls++;
    a->ok = who != NULL;
    a->why = why;
}

static hk_app app;

static void setup_app(void) {
    memset(&S, 0, sizeof S);
    memset(&app, 0, sizeof app);
    app.loop = ev_default_loop(0);
    app.store = &fake_store;
    hk_auth_cache_clear();
}

static void bearer(char *out, size_t n, const char *key) { snprintf(out, n, "Bearer %s", key); }

static void test_known_key_cached(void **state) {
    (void)state;
    setup_app();
    char key[HK_APIKEY_LEN + 1], prefix[HK_APIKEY_PREFIX_LEN + 1], hex[65], h[80];
    uint8_t hash[32];
    assert_int_equal(hk_apikey_new(key, prefix, hash), 0);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", hash[i]);
    S.row = cJSON_CreateObject();
    cJSON_AddStringToObject(S.row, "id", "11111111-1111-1111-1111-111111111111");
    cJSON_AddStringToObject(S.row, "tenant_id", "22222222-2222-2222-2222-222222222222");
    cJSON_AddStringToObject(S.row, "key_hash", hex);
    cJSON_AddBoolToObject(S.row, "revoked", 0);
    bearer(h, sizeof h, key);
    answer a = {0};
    hk_auth_check(&app, h, on_auth, &a);
    hk_auth_check(&app, h, on_auth, &a);
    assert_int_equal(a.calls, 2);
    assert_true(a.ok);
    assert_int_equal(S.finds, 1);
    cJSON_Delete(S.row);
}

static void test_unknown_key_negative_cache(void **state) {
    (void)state;
    setup_app();
    char key[HK_APIKEY_LEN + 1], prefix[HK_APIKEY_PREFIX_LEN + 1], h[80];
    uint8_t hash[32];
    hk_apikey_new(key, prefix, hash);
    bearer(h, sizeof h, key);
    answer a = {0};
    hk_auth_check(&app, h, on_auth, &a);
    assert_false(a.ok);
    assert_string_equal(a.why, "no such key");
    for (int i = 0; i < 100; i++) hk_auth_check(&app, h, on_auth, &a);
    assert_int_equal(a.calls, 101);
    assert_false(a.ok);
    assert_int_equal(S.finds, 1); /* the 100 repeats never reached the store */
    assert_true(a.why != hk_auth_store_unavailable);
    struct timespec ts = {2, 200000000L}; /* past HK_AUTH_NEG_TTL_S */
    nanosleep(&ts, NULL);
    ev_now_update(app.loop);
    hk_auth_check(&app, h, on_auth, &a);
    assert_int_equal(S.finds, 2);
}

static void test_store_error_is_unavailable(void **state) {
    (void)state;
    setup_app();
    char key[HK_APIKEY_LEN + 1], prefix[HK_APIKEY_PREFIX_LEN + 1], h[80];
    uint8_t hash[32];
    hk_apikey_new(key, prefix, hash);
    bearer(h, sizeof h, key);
    S.err = "connection refused";
    answer a = {0};
    hk_auth_check(&app, h, on_auth, &a);
    assert_int_equal(a.calls, 1);
    assert_false(a.ok);
    assert_ptr_equal(a.why, hk_auth_store_unavailable);
    /* an outage is not remembered as "unknown": the next try asks again */
    hk_auth_check(&app, h, on_auth, &a);
    assert_int_equal(S.finds, 2);
}

static void test_lookups_bounded(void **state) {
    (void)state;
    setup_app();
    S.hold = 1;
    answer a[HK_AUTH_MAX_LOOKUPS + 1];
    memset(a, 0, sizeof a);
    char key[HK_APIKEY_LEN + 1], prefix[HK_APIKEY_PREFIX_LEN + 1], h[80];
    uint8_t hash[32];
    for (int i = 0; i <= HK_AUTH_MAX_LOOKUPS; i++) {
        hk_apikey_new(key, prefix, hash);
        bearer(h, sizeof h, key);
        hk_auth_check(&app, h, on_auth, &a[i]);
    }
    assert_int_equal(S.finds, HK_AUTH_MAX_LOOKUPS);
    for (int i = 0; i < HK_AUTH_MAX_LOOKUPS; i++) assert_int_equal(a[i].calls, 0);
    assert_int_equal(a[HK_AUTH_MAX_LOOKUPS].calls, 1);
    assert_ptr_equal(a[HK_AUTH_MAX_LOOKUPS].why, hk_auth_store_unavailable);
    /* the store answers: every waiting check gets "no such key", and room is back */
    for (int i = 0; i < S.nq; i++) S.cb[i](S.ud[i], NULL, NULL);
    for (int i = 0; i < HK_AUTH_MAX_LOOKUPS; i++) {
        assert_int_equal(a[i].calls, 1);
        assert_string_equal(a[i].why, "no such key");
    }
    S.hold = 0;
    hk_apikey_new(key, prefix, hash);
    bearer(h, sizeof h, key);
    answer b = {0};
    hk_auth_check(&app, h, on_auth, &b);
    assert_string_equal(b.why, "no such key");
}

static void test_flood(void **state) {
    (void)state;
    setup_app();
    char key[HK_APIKEY_LEN + 1], prefix[HK_APIKEY_PREFIX_LEN + 1], h[80];
    uint8_t hash[32];
    answer a = {0};
    for (int i = 0; i < 20000; i++) {
        hk_apikey_new(key, prefix, hash);
        bearer(h, sizeof h, key);
        hk_auth_check(&app, h, on_auth, &a);
    }
    assert_int_equal(a.calls, 20000);
    assert_int_equal(S.finds, 20000); /* random keys each cost one read, never more */
    assert_false(a.ok);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_key_cached), cmocka_unit_test(test_unknown_key_negative_cache),
        cmocka_unit_test(test_store_error_is_unavailable), cmocka_unit_test(test_lookups_bounded),
        cmocka_unit_test(test_flood),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
