/* tests/unit/cluster/test_redis_url: REDIS_URL parsing (cluster/redis.c):
 * host, port and database; defaults; bad ports, database numbers, schemes
 * and passwords refused with a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/redis.h"

static void test_good(void **state) {
    (void)state;
    hk_redis_url u;
    char err[128];
    assert_int_equal(hk_redis_url_parse("redis://127.0.0.1:6380/2", &u, err, sizeof err), 0);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 6380);
    assert_int_equal(u.db, 2);
    assert_int_equal(hk_redis_url_parse("redis://cache.internal", &u, err, sizeof err), 0);
    assert_string_equal(u.host, "cache.internal");
    assert_int_equal(u.port, 6379);
    assert_int_equal(u.db, 0);
    assert_int_equal(hk_redis_url_parse("redis://h:1/", &u, err, sizeof err), 0);
    assert_int_equal(u.port, 1);
    assert_int_equal(u.db, 0);
    assert_int_equal(hk_redis_url_parse("redis://h/15", &u, err, sizeof err), 0);
    assert_int_equal(u.port, 6379);
    assert_int_equal(u.db, 15);
}

static void test_bad(void **state) {
    (void)state;
    hk_redis_url u;
    char err[128];
    const char *bad[] = {"", "http://h:1", "redis://", "redis://:6379", "redis://h:0",
                         "redis://h:70000", "redis://h:x", "redis://h:12x", "redis://h/x",
                         "redis://h/1/2", "redis://h/-1", "redis://user:pw@h:1", NULL};
    for (int i = 0; bad[i]; i++) {
        err[0] = 0;
        assert_int_equal(hk_redis_url_parse(bad[i], &u, err, sizeof err), -1);
        assert_true(strncmp(err, "REDIS_URL", 9) == 0);
    }
    assert_int_equal(hk_redis_url_parse(NULL, &u, err, sizeof err), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_good), cmocka_unit_test(test_bad)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
