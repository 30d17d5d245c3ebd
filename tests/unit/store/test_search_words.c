/* tests/unit/store/test_search_words: the words of a transcript and their
 * keyed hashes (store/search_words.c): what a word is (ASCII letters and
 * digits, UTF-8 bytes; case folded; speaker tags skipped; long words cut),
 * hashes sorted and unique, the same word equal under one key and tenant
 * and different under another key or tenant, the array literal, the memory
 * store's whole-word match; the hashes' values pinned. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/crypto.h"
#include "store/search_words.h"

#define TA "00000000-0000-0000-0000-000000000001"
#define TB "7a1c2d3e-0000-4000-8000-0000000000bb"

typedef struct words {
    char all[512];
} words;

static int keep(void *ud, const char *w) {
    words *ws = ud;
    size_t n = strlen(ws->all);
    snprintf(ws->all + n, sizeof ws->all - n, "%s|", w);
    return 0;
}

static const char *split(const char *text, words *ws) {
    ws->all[0] = 0;
    hk_search_words(text, strlen(text), keep, ws);
    return ws->all;
}

static void test_words(void **state) {
    (void)state;
    words ws;
    assert_string_equal(split("user: Book a TABLE, for 2!\nassistant: Don't worry.", &ws),
                        "book|a|table|for|2|don|t|worry|");
    assert_string_equal(split("Café crème\tnaïve", &ws), "café|crème|naïve|");
    assert_string_equal(split("  ...  ", &ws), "");
    assert_string_equal(split("a user: said\nuser:x", &ws), "a|user|said|user|x|");
    char longw[200];
    memset(longw, 'x', sizeof longw - 1);
    longw[sizeof longw - 1] = 0;
    split(longw, &ws);
    assert_int_equal(strlen(ws.all), HK_SEARCH_WORD_MAX + 1);
    /* the length is the bound, not the NUL */
    assert_int_equal(hk_search_words("ab cd", 2, NULL, NULL), 1);
    assert_int_equal(hk_search_words(NULL, 0, NULL, NULL), 0);
}

static void test_hashes(void **state) {
    (void)state;
    hk_keyring kr;
    char err[128];
    assert_int_equal(hk_keyring_parse(&kr, "1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f,"
                                           "2:202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
                                      err, sizeof err), 0);
    int64_t a[16], b[16], c[16], d[16], e[16];
    int n = hk_search_hashes(&kr, 1, TA, "user: book book BOOK table\n", a, 16);
    assert_int_equal(n, 2);
    assert_true(a[0] < a[1] && a[0] >= 0);
    assert_int_equal(hk_search_hashes(&kr, 1, TA, "Table", b, 16), 1);
    assert_true(b[0] == a[0] || b[0] == a[1]);
    assert_int_equal(hk_search_hashes(&kr, 2, TA, "table", c, 16), 1);
    assert_true(c[0] != b[0]); /* another key */
    assert_int_equal(hk_search_hashes(&kr, 1, TB, "table", d, 16), 1);
    assert_true(d[0] != b[0]); /* another tenant */
    assert_int_equal(hk_search_hashes(NULL, 0, TA, "table", e, 16), 1);
    assert_true(e[0] != b[0]); /* the clear store's public key */
    /* stable across releases (stored indexes depend on it): HMAC-SHA256 under
     * HMAC(data key, "hark call search words v1") of "tenant|word", first 63
     * bits (computed independently with Python's hmac) */
    assert_true(b[0] == 6041746365695208153LL);
    assert_true(e[0] == 2053030517343549376LL);
    assert_int_equal(hk_search_hashes(&kr, 1, TA, "one two three four", a, 3), 3); /* cap */
    assert_int_equal(hk_search_hashes(&kr, 1, TA, NULL, a, 3), 0);
    int64_t h[3] = {1, 9223372036854775807LL, 42};
    char *t = hk_search_array_text(h, 3);
    assert_string_equal(t, "{1,9223372036854775807,42}");
    free(t);
    t = hk_search_array_text(h, 0);
    assert_string_equal(t, "{}");
    free(t);
}

static void test_match(void **state) {
    (void)state;
    const char *texts[] = {"user: Book a table\n", NULL, "assistant: Booked for Tuesday\n"};
    assert_true(hk_search_match("book", texts, 3));
    assert_true(hk_search_match("TUESDAY book", texts, 3));
    assert_false(hk_search_match("boo", texts, 3));
    assert_false(hk_search_match("book dinner", texts, 3));
    assert_false(hk_search_match("user", texts, 3));
    assert_true(hk_search_match("", texts, 3));
    assert_false(hk_search_match("book", texts, 0));
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_words), cmocka_unit_test(test_hashes),
                                       cmocka_unit_test(test_match)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
