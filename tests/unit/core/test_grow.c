/* tests/unit/core/test_grow: growable arrays get room by doubling, keep their
 * contents, and leave an array alone when it already fits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/grow.h"

static void test_grow(void **state) {
    (void)state;
    int *a = NULL;
    size_t cap = 0;
    assert_int_equal(hk_grow((void **)&a, &cap, 1, sizeof *a), 0);
    assert_int_equal(cap, 64);
    for (int i = 0; i < 64; i++) a[i] = i;
    int *before = a;
    assert_int_equal(hk_grow((void **)&a, &cap, 64, sizeof *a), 0); /* fits: untouched */
    assert_ptr_equal(a, before);
    assert_int_equal(cap, 64);
    assert_int_equal(hk_grow((void **)&a, &cap, 1000, sizeof *a), 0);
    assert_int_equal(cap, 1024);
    for (int i = 0; i < 64; i++) assert_int_equal(a[i], i);
    a[999] = 7;
    free(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_grow)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
