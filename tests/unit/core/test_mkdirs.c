/* tests/unit/core/test_mkdirs: hk_mkdirs creates missing parents and accepts
 * what exists; a file in the way and an over-long path fail with errno;
 * hk_mkdirs_parent makes a file's directory and nothing for a bare name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/mkdirs.h"

static char g_root[64];

static int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void test_nested(void **state) {
    (void)state;
    char p[256];
    snprintf(p, sizeof p, "%s/a/b/c", g_root);
    assert_int_equal(hk_mkdirs(p), 0);
    assert_true(is_dir(p));
    assert_int_equal(hk_mkdirs(p), 0); /* already there */
    snprintf(p, sizeof p, "%s/x/y/file.jsonl", g_root);
    assert_int_equal(hk_mkdirs_parent(p), 0);
    snprintf(p, sizeof p, "%s/x/y", g_root);
    assert_true(is_dir(p));
    snprintf(p, sizeof p, "%s/x/y/file.jsonl", g_root);
    assert_false(is_dir(p)); /* the file's own name is not made */
    assert_int_equal(hk_mkdirs_parent("bare-name.jsonl"), 0);
}

static void test_errors(void **state) {
    (void)state;
    char p[256];
    snprintf(p, sizeof p, "%s/plain", g_root);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(p, sizeof p, "%s/plain/sub", g_root);
    errno = 0;
    assert_int_equal(hk_mkdirs(p), -1); /* a file where a directory should be */
    assert_int_equal(errno, ENOTDIR);
    char longp[1024];
    memset(longp, 'a', sizeof longp - 1);
    longp[0] = '/';
    longp[sizeof longp - 1] = 0;
    errno = 0;
    assert_int_equal(hk_mkdirs(longp), -1);
    assert_int_equal(errno, ENAMETOOLONG);
    assert_int_equal(hk_mkdirs_parent(longp), -1);
}

int main(void) {
    snprintf(g_root, sizeof g_root, "/tmp/hark-mkdirs-XXXXXX");
    if (!mkdtemp(g_root)) return 1;
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_nested), cmocka_unit_test(test_errors)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_root);
    if (system(cmd) != 0) rc = 1;
    return rc;
}
