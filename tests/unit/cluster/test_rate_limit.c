/* tests/unit/cluster/test_rate_limit: the per-worker counters of
 * cluster/rate_limit (used without Redis, and when Redis is down): N hits per
 * window pass, the next is refused with a Retry-After that covers the rest of
 * the window, the window's end lets hits through again, ids and kinds count
 * apart, limit 0 means none, a flood of other ids never refuses a fresh id and
 * the asynchronous entry point answers the same without Redis. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cluster/rate_limit.h"

static void nap_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {}
}

static void test_window(void **state) {
    (void)state;
    hk_rate_limit_reset_local();
    int ra = -1;
    for (int i = 0; i < 3; i++) assert_int_equal(hk_rate_limit_take_local("api", "k1", 3, 400, &ra), 1);
    assert_int_equal(hk_rate_limit_take_local("api", "k1", 3, 400, &ra), 0);
    assert_int_equal(ra, 1); /* 400 ms left at most: rounded up to a whole second */
    assert_int_equal(hk_rate_limit_take_local("api", "k1", 3, 400, &ra), 0);
    /* another id, another kind: their own counters */
    assert_int_equal(hk_rate_limit_take_local("api", "k2", 3, 400, &ra), 1);
    assert_int_equal(hk_rate_limit_take_local("login-ip", "k1", 3, 400, &ra), 1);
    nap_ms(500);
    assert_int_equal(hk_rate_limit_take_local("api", "k1", 3, 400, &ra), 1);
}

static void test_retry_after_minute(void **state) {
    (void)state;
    hk_rate_limit_reset_local();
    int ra = 0;
    assert_int_equal(hk_rate_limit_take_local("login-email", "e", 1, 60000, &ra), 1);
    assert_int_equal(hk_rate_limit_take_local("login-email", "e", 1, 60000, &ra), 0);
    assert_true(ra >= 59 && ra <= 60);
}

static void test_no_limit(void **state) {
    (void)state;
    hk_rate_limit_reset_local();
    int ra = 0;
    for (int i = 0; i < 1000; i++) assert_int_equal(hk_rate_limit_take_local("api", "x", 0, 1000, &ra), 1);
}

static void test_flood(void **state) {
    (void)state;
    hk_rate_limit_reset_local();
    int ra = 0;
    char id[32];
    /* 100,000 one-shot ids fill the fixed table; each is allowed once, a fresh id always */
    for (int i = 0; i < 100000; i++) {
        snprintf(id, sizeof id, "flood-%d", i);
        assert_int_equal(hk_rate_limit_take_local("api", id, 1, 60000, &ra), 1);
    }
    assert_int_equal(hk_rate_limit_take_local("api", "fresh", 1, 60000, &ra), 1);
    assert_int_equal(hk_rate_limit_take_local("api", "fresh", 1, 60000, &ra), 0);
}

typedef struct answer { int calls, allowed, retry; } answer;
static void on_answer(void *ud, int allowed, int retry_after_s) {
    answer *a = ud;
    a->calls++;
    a->allowed = allowed;
    a->retry = retry_after_s;
}

static void test_async_without_redis(void **state) {
    (void)state;
    hk_rate_limit_reset_local();
    answer a = {0};
    hk_rate_limit_take("api", "k:1", 2, 1000, on_answer, &a);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.allowed, 1);
    hk_rate_limit_take("api", "k:1", 2, 1000, on_answer, &a);
    assert_int_equal(a.allowed, 1);
    hk_rate_limit_take("api", "k:1", 2, 1000, on_answer, &a);
    assert_int_equal(a.calls, 3);
    assert_int_equal(a.allowed, 0);
    assert_int_equal(a.retry, 1);
    hk_rate_limit_take("api", "k:1", 0, 1000, on_answer, &a);
    assert_int_equal(a.allowed, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window), cmocka_unit_test(test_retry_after_minute),
        cmocka_unit_test(test_no_limit), cmocka_unit_test(test_flood),
        cmocka_unit_test(test_async_without_redis),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
