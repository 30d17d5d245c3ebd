/* tests/unit/api/test_api_dash: the dashboard's data (GET /call's filters
 * and paging, GET /api/v1/overview, /api/v1/api-keys) over real HTTP with
 * the memory store (the cases: api_dash_cases.h; test_api_dash_pg.c runs
 * them against PostgreSQL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/log.h"
#include "store/memory_auth.h"

static void cases_settle(void) {} /* the memory store writes before it returns */
static void add_key_row(const char *tenant, char *key);
/* the memory store's creation times are its own clock's */
static int make_tie(const char *a, const char *b, const char *c) { return (void)a, (void)b, (void)c, 0; }

#include "api_dash_cases.h"

static void add_key_row(const char *tenant, char *key) { add_mem_key(tenant, key, NULL); }

static int setup(void **state) {
    (void)state;
    loop = ev_loop_new(EVFLAG_AUTO);
    app.store = hk_store_memory_new();
    return dash_cases_start();
}

static int teardown(void **state) {
    (void)state;
    dash_cases_stop();
    hk_mem_auth_clear();
    ev_loop_destroy(loop);
    return 0;
}

static void test_dash(void **state) {
    (void)state;
    dash_cases_run();
}

int main(void) {
    hk_log_init(getenv("HARK_LOG_LEVEL"));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_dash)};
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
