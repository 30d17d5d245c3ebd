/* tests/unit/api/test_apikey_router: API key format and hashing (a new key
 * parses back to its prefix and hash; any other shape is refused; two keys
 * differ), and route matching ({id} params, 404 vs 405, trailing slash). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "api/apikey.h"
#include "api/router.h"

static void test_key_roundtrip(void **state) {
    (void)state;
    char key[HK_APIKEY_LEN + 1], prefix[HK_APIKEY_PREFIX_LEN + 1], p2[HK_APIKEY_PREFIX_LEN + 1];
    uint8_t hash[32], h2[32], want[32];
    assert_int_equal(hk_apikey_new(key, prefix, hash), 0);
    assert_int_equal(strlen(key), HK_APIKEY_LEN);
    assert_memory_equal(key, "hk_", 3);
    assert_int_equal(strncmp(key, prefix, HK_APIKEY_PREFIX_LEN), 0);
    SHA256((const unsigned char *)key, strlen(key), want);
    assert_memory_equal(hash, want, 32);
    assert_int_equal(hk_apikey_parse(key, strlen(key), p2, h2), 0);
    assert_string_equal(p2, prefix);
    assert_true(hk_apikey_hash_equal(hash, h2));
    char other[HK_APIKEY_LEN + 1];
    assert_int_equal(hk_apikey_new(other, p2, h2), 0);
    assert_string_not_equal(other, key);
    assert_false(hk_apikey_hash_equal(hash, h2));
}

static void test_key_shapes(void **state) {
    (void)state;
    char key[HK_APIKEY_LEN + 1], prefix[HK_APIKEY_PREFIX_LEN + 1];
    uint8_t hash[32];
    hk_apikey_new(key, prefix, hash);
    char bad[64];
    strcpy(bad, key);
    bad[0] = 'x'; /* wrong scheme */
    assert_int_equal(hk_apikey_parse(bad, strlen(bad), prefix, hash), -1);
    strcpy(bad, key);
    bad[10] = '+'; /* not base64url */
    assert_int_equal(hk_apikey_parse(bad, strlen(bad), prefix, hash), -1);
    assert_int_equal(hk_apikey_parse(key, strlen(key) - 1, prefix, hash), -1);
    strcpy(bad, key);
    strcat(bad, "A");
    assert_int_equal(hk_apikey_parse(bad, strlen(bad), prefix, hash), -1);
    /* non-canonical last character (trailing bits set) */
    strcpy(bad, key);
    bad[HK_APIKEY_LEN - 1] = '_';
    if (strcmp(bad, key) != 0) assert_int_equal(hk_apikey_parse(bad, strlen(bad), prefix, hash), -1);
    assert_int_equal(hk_apikey_parse("", 0, prefix, hash), -1);
}

static void h_list(hk_api_req *r) { (void)r; }
static void h_get(hk_api_req *r) { (void)r; }
static void h_sub(hk_api_req *r) { (void)r; }

static const hk_api_route table[] = {
    {"GET", "/assistant", h_list, 0},
    {"POST", "/assistant", h_list, 0},
    {"GET", "/assistant/{id}", h_get, 0},
    {"PATCH", "/assistant/{id}", h_get, 0},
    {"GET", "/call/{id}/messages/{seq}", h_sub, 0},
    {NULL, NULL, NULL, 0},
};

static void test_router(void **state) {
    (void)state;
    hk_route_match m;
    assert_int_equal(hk_router_match(table, "GET", "/assistant", &m), 200);
    assert_ptr_equal(m.route->handler, h_list);
    assert_int_equal(m.nparams, 0);
    assert_int_equal(hk_router_match(table, "POST", "/assistant/", &m), 200);
    const char *p = "/assistant/abc-123";
    assert_int_equal(hk_router_match(table, "PATCH", p, &m), 200);
    assert_ptr_equal(m.route->handler, h_get);
    assert_int_equal(m.nparams, 1);
    assert_int_equal(m.len[0], 7);
    assert_memory_equal(p + m.off[0], "abc-123", 7);
    p = "/call/CA1/messages/7";
    assert_int_equal(hk_router_match(table, "GET", p, &m), 200);
    assert_int_equal(m.nparams, 2);
    assert_memory_equal(p + m.off[0], "CA1", 3);
    assert_memory_equal(p + m.off[1], "7", 1);
    assert_int_equal(hk_router_match(table, "DELETE", "/assistant/x", &m), 405);
    assert_int_equal(hk_router_match(table, "DELETE", "/assistant", &m), 405);
    assert_int_equal(hk_router_match(table, "GET", "/assistant//", &m), 404);
    assert_int_equal(hk_router_match(table, "GET", "/assistant/x/y", &m), 404);
    assert_int_equal(hk_router_match(table, "GET", "/assistants", &m), 404);
    assert_int_equal(hk_router_match(table, "GET", "/assist", &m), 404);
    assert_int_equal(hk_router_match(table, "GET", "/call//messages/1", &m), 404);
    assert_int_equal(hk_router_match(table, "GET", "", &m), 404);
    assert_int_equal(hk_router_match(table, "GET", "/", &m), 404);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_roundtrip),
        cmocka_unit_test(test_key_shapes),
        cmocka_unit_test(test_router),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
