/* tests/unit/net/test_form: x-www-form-urlencoded parsing as browsers and
 * Twilio encode it ('+' and %20 spaces, either hex case, repeated names,
 * empty values and pieces), strict rejection of bad escapes and NULs, and the
 * fixed capacities: len + 2 bytes per parameter always fits, one less may not,
 * and too many parameters is an error, never a silent truncation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "net/form.h"

typedef struct {
    hk_form f;
    hk_form_param p[16];
    char buf[1024];
    char err[128];
} fx;

static int parse(fx *x, const char *s)
{
    hk_form_init(&x->f, x->p, 16, x->buf, sizeof x->buf);
    return hk_form_parse(&x->f, s, strlen(s), x->err, sizeof x->err);
}

static void test_twilio_webhook(void **state)
{
    (void)state;
    fx x;
    const char *body = "AccountSid=AC0123456789abcdef0123456789abcdef&ApiVersion=2010-04-01"
                       "&CallSid=CA9876543210fedcba9876543210fedcba&CallStatus=ringing"
                       "&Caller=%2B14155551234&CallerName=Zo%C3%AB+O%27Brien+%26+Co"
                       "&Direction=inbound&From=%2B14155551234&To=%2B15005550006";
    assert_int_equal(parse(&x, body), 9);
    assert_string_equal(hk_form_get(&x.f, "CallSid"), "CA9876543210fedcba9876543210fedcba");
    assert_string_equal(hk_form_get(&x.f, "From"), "+14155551234");
    assert_string_equal(hk_form_get(&x.f, "CallerName"), "Zo\xc3\xab O'Brien & Co");
    assert_string_equal(x.p[0].name, "AccountSid"); /* order kept */
    assert_string_equal(x.p[8].name, "To");
    assert_null(hk_form_get(&x.f, "callsid")); /* names are case-sensitive */
    assert_null(hk_form_get(&x.f, "Digits"));
}

static void test_decoding(void **state)
{
    (void)state;
    fx x;
    assert_int_equal(parse(&x, "a=b+c%20d%2be%2Bf&%41%62=%7e%7E&sp%61ce+name=1"), 3);
    assert_string_equal(hk_form_get(&x.f, "a"), "b c d+e+f");
    assert_string_equal(hk_form_get(&x.f, "Ab"), "~~");
    assert_string_equal(hk_form_get(&x.f, "space name"), "1");
    assert_int_equal(parse(&x, "eq=a=b=c&amp=%26%3D"), 2);
    assert_string_equal(hk_form_get(&x.f, "eq"), "a=b=c");
    assert_string_equal(hk_form_get(&x.f, "amp"), "&=");
    assert_int_equal(parse(&x, "u=%E6%9D%B1%E4%BA%AC&raw=\xe6\x9d\xb1"), 2);
    assert_string_equal(hk_form_get(&x.f, "u"), "\xe6\x9d\xb1\xe4\xba\xac");
    assert_string_equal(hk_form_get(&x.f, "raw"), "\xe6\x9d\xb1");
    assert_int_equal(parse(&x, "hi=%FF%80"), 1); /* bytes, not checked for UTF-8 */
    assert_string_equal(hk_form_get(&x.f, "hi"), "\xff\x80");
}

static void test_shapes(void **state)
{
    (void)state;
    fx x;
    assert_int_equal(parse(&x, ""), 0);
    assert_int_equal(parse(&x, "&&&"), 0);
    assert_int_equal(parse(&x, "&&a=1&&b=&&c&=d&"), 4);
    assert_string_equal(hk_form_get(&x.f, "a"), "1");
    assert_string_equal(hk_form_get(&x.f, "b"), "");
    assert_string_equal(hk_form_get(&x.f, "c"), "");
    assert_string_equal(hk_form_get(&x.f, ""), "d");
    assert_int_equal(parse(&x, "="), 1);
    assert_string_equal(x.p[0].name, "");
    assert_string_equal(x.p[0].value, "");
}

static void test_repeated_names(void **state)
{
    (void)state;
    fx x;
    assert_int_equal(parse(&x, "E=initiated&X=1&E=ringing&E=answered&E=ringing"), 5);
    assert_string_equal(hk_form_get(&x.f, "E"), "initiated");
    assert_string_equal(hk_form_get_nth(&x.f, "E", 1), "ringing");
    assert_string_equal(hk_form_get_nth(&x.f, "E", 2), "answered");
    assert_string_equal(hk_form_get_nth(&x.f, "E", 3), "ringing");
    assert_null(hk_form_get_nth(&x.f, "E", 4));
    assert_null(hk_form_get_nth(&x.f, "E", -1));
    assert_string_equal(hk_form_get_nth(&x.f, "X", 0), "1");
}

static void test_bad_escapes(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "a=%", "a=%4", "a=%zz", "a=%G0", "a=%0g", "a=%%41", "a=%-1", "a=% 1", "%=1", "a%2=1",
        "a=%00", "%00=x", "a=1&b=%", "a=%+1",
    };
    fx x;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(&x, bad[i]), -1);
        assert_int_equal(x.f.n, 0);
        assert_non_null(strstr(x.err, "form: invalid percent-escape"));
    }
    /* A raw NUL inside the given length is rejected too. */
    hk_form_init(&x.f, x.p, 16, x.buf, sizeof x.buf);
    assert_int_equal(hk_form_parse(&x.f, "a=b\0c", 5, x.err, sizeof x.err), -1);
    /* Only len bytes are read: the same text with len 3 is fine. */
    assert_int_equal(hk_form_parse(&x.f, "a=b\0c", 3, x.err, sizeof x.err), 1);
    assert_string_equal(hk_form_get(&x.f, "a"), "b");
    /* err may be NULL. */
    assert_int_equal(hk_form_parse(&x.f, "a=%", 3, NULL, 0), -1);
}

static void test_too_many_params(void **state)
{
    (void)state;
    hk_form f;
    hk_form_param p[3];
    char buf[256], err[128];
    hk_form_init(&f, p, 3, buf, sizeof buf);
    assert_int_equal(hk_form_parse(&f, "a=1&b=2&c=3", 11, err, sizeof err), 3);
    assert_int_equal(hk_form_parse(&f, "a=1&b=2&c=3&d=4", 15, err, sizeof err), -1);
    assert_non_null(strstr(err, "too many parameters"));
    assert_int_equal(f.n, 0);
    assert_int_equal(hk_form_parse(&f, "a=1&&&b=2&c=3&", 14, err, sizeof err), 3);
    hk_form_init(&f, p, 0, buf, sizeof buf);
    assert_int_equal(hk_form_parse(&f, "", 0, err, sizeof err), 0);
    assert_int_equal(hk_form_parse(&f, "a", 1, err, sizeof err), -1);
}

/* len + 2 per parameter is always enough; every smaller buffer either still
 * fits (decoding shrank the text) or fails cleanly without overrunning. */
static void test_buffer_bounds(void **state)
{
    (void)state;
    static const char *const bodies[] = {"a=1&b=2", "a", "abc=&=x", "k=%41%42%43", "x=+++&y"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        const char *s = bodies[i];
        size_t len = strlen(s);
        hk_form_param p[8];
        hk_form f;
        char err[128];
        int n = -1;
        for (size_t cap = 0; cap <= len + 2 * 8; cap++) {
            char *buf = malloc(cap ? cap : 1);
            hk_form_init(&f, p, 8, buf, cap);
            int r = hk_form_parse(&f, s, len, err, sizeof err);
            if (r < 0)
                assert_non_null(strstr(err, "buffer too small"));
            else
                n = r;
            free(buf); /* ASan checks the writes stayed inside cap */
        }
        assert_true(n >= 0);
        char *buf = malloc(len + 2 * (size_t)n);
        hk_form_init(&f, p, 8, buf, len + 2 * (size_t)n);
        assert_int_equal(hk_form_parse(&f, s, len, err, sizeof err), n);
        free(buf);
    }
}

static void test_append_roundtrip(void **state) {
    (void)state;
    char out[256];
    size_t len = 0;
    assert_int_equal(hk_form_append(out, sizeof out, &len, "To", "+15551234567"), 0);
    assert_int_equal(hk_form_append(out, sizeof out, &len, "Url", "https://h/x?a=1&b=2"), 0);
    assert_int_equal(hk_form_append(out, sizeof out, &len, "Say", "caf\xc3\xa9 & ok"), 0);
    assert_string_equal(out, "To=%2B15551234567&Url=https%3A%2F%2Fh%2Fx%3Fa%3D1%26b%3D2"
                             "&Say=caf%C3%A9%20%26%20ok");
    hk_form_param p[8];
    char buf[256];
    hk_form f;
    hk_form_init(&f, p, 8, buf, sizeof buf);
    char err[64];
    assert_int_equal(hk_form_parse(&f, out, len, err, sizeof err), 3);
    assert_string_equal(hk_form_get(&f, "To"), "+15551234567");
    assert_string_equal(hk_form_get(&f, "Url"), "https://h/x?a=1&b=2");
    assert_string_equal(hk_form_get(&f, "Say"), "caf\xc3\xa9 & ok");
    /* too small: -1 and the buffer keeps what it had */
    char small[20];
    size_t sl = 0;
    assert_int_equal(hk_form_append(small, sizeof small, &sl, "A", "1"), 0);
    assert_int_equal(hk_form_append(small, sizeof small, &sl, "Long", "0123456789abcdef"), -1);
    assert_string_equal(small, "A=1");
    assert_int_equal(sl, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_roundtrip),
        cmocka_unit_test(test_twilio_webhook), cmocka_unit_test(test_decoding),
        cmocka_unit_test(test_shapes),         cmocka_unit_test(test_repeated_names),
        cmocka_unit_test(test_bad_escapes),    cmocka_unit_test(test_too_many_params),
        cmocka_unit_test(test_buffer_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
