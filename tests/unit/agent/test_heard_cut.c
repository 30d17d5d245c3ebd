/* tests/unit/agent/test_heard_cut: barge-in trimming without word timings
 * (hk_session_heard_cut). The cut is by the heard fraction of the audio, but
 * never inside a UTF-8 character and, when there is an earlier word, at the
 * end of the last whole word heard; every fraction gives valid UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "agent/call.h"

/* 1 when s[0..n) is well-formed UTF-8 */
static int valid_utf8(const char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned char b = (unsigned char)s[i];
        size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
        if (!len || i + len > n) return 0;
        for (size_t k = 1; k < len; k++)
            if (((unsigned char)s[i + k] & 0xC0) != 0x80) return 0;
        i += len;
    }
    return 1;
}

static void test_every_fraction_is_valid_utf8(void **state) {
    (void)state;
    const char *texts[] = {
        "Caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9\x65, s'il vous pla\xc3\xaet.", /* \x65: 'e' */
        "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe6\x96\x87\xe7\xab\xa0\xe3\x81\xa7\xe3\x81\x99",
        "Emoji \xf0\x9f\x98\x80\xf0\x9f\x98\x80 and \xf0\x9f\x8e\x89 done",
        "plain ascii words here",
    };
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        size_t len = strlen(texts[t]);
        for (int i = 0; i <= 1000; i++) {
            size_t cut = hk_session_heard_cut(texts[t], i / 1000.0);
            assert_true(cut <= len);
            assert_true(valid_utf8(texts[t], cut));
        }
    }
}

static void test_cuts_at_word_boundary(void **state) {
    (void)state;
    const char *s = "Your table is booked for Tuesday";
    /* "Your table is boo|ked": the half-heard word is dropped */
    size_t cut = hk_session_heard_cut(s, 17.0 / strlen(s));
    assert_int_equal(cut, strlen("Your table is"));
    /* exactly at a space: every word before it was heard */
    cut = hk_session_heard_cut(s, 10.0 / strlen(s));
    assert_int_equal(cut, strlen("Your table"));
    /* a multi-byte word under the cut is dropped whole */
    const char *fr = "Un caf\xc3\xa9 cr\xc3\xa8me";
    for (size_t pos = strlen("Un caf\xc3\xa9 c"); pos < strlen(fr); pos++)
        assert_int_equal(hk_session_heard_cut(fr, (double)pos / strlen(fr)),
                         strlen("Un caf\xc3\xa9"));
}

static void test_single_word_cuts_at_character(void **state) {
    (void)state;
    /* one long word: the characters heard, never half of one */
    const char *s = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"; /* three 3-byte characters */
    assert_int_equal(hk_session_heard_cut(s, 4.0 / 9), 3);
    assert_int_equal(hk_session_heard_cut(s, 5.0 / 9), 3);
    assert_int_equal(hk_session_heard_cut(s, 6.0 / 9), 6);
}

static void test_ends(void **state) {
    (void)state;
    assert_int_equal(hk_session_heard_cut("hello there", 0), 0);
    assert_int_equal(hk_session_heard_cut("hello there", 1), strlen("hello there"));
    assert_int_equal(hk_session_heard_cut("hello there", 1.5), strlen("hello there"));
    assert_int_equal(hk_session_heard_cut("", 0.5), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_fraction_is_valid_utf8),
        cmocka_unit_test(test_cuts_at_word_boundary),
        cmocka_unit_test(test_single_word_cuts_at_character),
        cmocka_unit_test(test_ends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
