/* tests/unit/store/test_store_conninfo: a DATABASE_URL naming a host comes
 * back with the address pinned (so reconnects never resolve on the loop);
 * values with quotes survive; socket paths and given hostaddrs are untouched;
 * garbage is an error, not a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "store/pg_internal.h"

static void test_pin(void **state) {
    (void)state;
    char err[256];
    char *c = hk_pg_conninfo_pin("postgresql://bob:pa'ss\\w@localhost:6543/hark?connect_timeout=3",
                                 err, sizeof err);
    assert_non_null(c);
    assert_true(strstr(c, "hostaddr='127.0.0.1'") || strstr(c, "hostaddr='::1'"));
    assert_non_null(strstr(c, "host='localhost'"));
    assert_non_null(strstr(c, "port='6543'"));
    assert_non_null(strstr(c, "password='pa\\'ss\\\\w'"));
    /* libpq reads it back to the same values */
    PQconninfoOption *o = PQconninfoParse(c, NULL);
    assert_non_null(o);
    for (PQconninfoOption *p = o; p->keyword; p++)
        if (!strcmp(p->keyword, "password")) assert_string_equal(p->val, "pa'ss\\w");
    PQconninfoFree(o);
    free(c);
    c = hk_pg_conninfo_pin("host=/tmp/sock port=5 dbname=x", err, sizeof err);
    assert_null(strstr(c, "hostaddr"));
    free(c);
    c = hk_pg_conninfo_pin("host=db.example hostaddr=10.0.0.5", err, sizeof err);
    assert_non_null(strstr(c, "hostaddr='10.0.0.5'"));
    free(c);
    assert_null(hk_pg_conninfo_pin("postgresql://[broken", err, sizeof err));
    assert_null(hk_pg_conninfo_pin("host=no-such-host.invalid", err, sizeof err));
    assert_non_null(strstr(err, "no-such-host.invalid"));
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_pin)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
