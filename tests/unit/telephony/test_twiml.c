/* tests/unit/telephony/test_twiml: each builder's exact document, XML
 * escaping of every special character in text and attributes, dropped control
 * bytes, and overflow: for every capacity below the document's size the
 * builder returns -1 with "" and never writes past cap (ASan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "telephony/twiml.h"

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"

static void test_connect_stream(void **state)
{
    (void)state;
    char out[1024];
    hk_twiml_param params[] = {{"token", "abc.def"}, {"agent", "front-desk"}};
    hk_twiml_stream s = {.say = "This call may be recorded.", .voice = "Polly.Joanna",
                         .action = "https://h.example/api/v1/voice-agents/twilio/after?call=CA1&x=1",
                         .url = "wss://h.example/voice/stream/CA1", .params = params, .n_params = 2};
    int n = hk_twiml_connect_stream(out, sizeof out, &s);
    const char *want = HEAD "<Say voice=\"Polly.Joanna\">This call may be recorded.</Say>"
                            "<Connect action=\"https://h.example/api/v1/voice-agents/twilio/after?call=CA1&amp;x=1\">"
                            "<Stream url=\"wss://h.example/voice/stream/CA1\">"
                            "<Parameter name=\"token\" value=\"abc.def\"/>"
                            "<Parameter name=\"agent\" value=\"front-desk\"/>"
                            "</Stream></Connect></Response>";
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));

    hk_twiml_stream bare = {.url = "wss://h/s"};
    n = hk_twiml_connect_stream(out, sizeof out, &bare);
    assert_int_equal(n, strlen(out));
    assert_string_equal(out, HEAD "<Connect><Stream url=\"wss://h/s\"></Stream></Connect></Response>");
    bare.say = "";
    bare.action = "";
    bare.language = "en-GB";
    n = hk_twiml_connect_stream(out, sizeof out, &bare);
    assert_int_equal(n, strlen(out));
    assert_string_equal(out, HEAD "<Connect><Stream url=\"wss://h/s\"></Stream></Connect></Response>");
    bare.say = "Hi";
    hk_twiml_connect_stream(out, sizeof out, &bare);
    assert_string_equal(out, HEAD "<Say language=\"en-GB\">Hi</Say><Connect><Stream url=\"wss://h/s\">"
                                  "</Stream></Connect></Response>");
}

static void test_connect_stream_invalid(void **state)
{
    (void)state;
    char out[512] = "junk";
    hk_twiml_stream s = {.url = NULL};
    assert_int_equal(hk_twiml_connect_stream(out, sizeof out, &s), -1);
    assert_string_equal(out, "");
    s.url = "";
    assert_int_equal(hk_twiml_connect_stream(out, sizeof out, &s), -1);
    s.url = "wss://h/s";
    s.n_params = 1;
    assert_int_equal(hk_twiml_connect_stream(out, sizeof out, &s), -1);
    s.n_params = -1;
    assert_int_equal(hk_twiml_connect_stream(out, sizeof out, &s), -1);
    assert_int_equal(hk_twiml_connect_stream(out, sizeof out, NULL), -1);
    assert_int_equal(hk_twiml_connect_stream(NULL, 0, &s), -1);
    hk_twiml_param np[] = {{NULL, NULL}};
    s.params = np;
    s.n_params = 1;
    assert_true(hk_twiml_connect_stream(out, sizeof out, &s) > 0);
    assert_non_null(strstr(out, "<Parameter name=\"\" value=\"\"/>"));
}

static void test_escaping(void **state)
{
    (void)state;
    char out[1024];
    assert_true(hk_twiml_say_hangup(out, sizeof out, "Tom & Jerry's <\"shop\"> \xc3\xa9", "a\"b<") > 0);
    assert_string_equal(out, HEAD "<Say voice=\"a&quot;b&lt;\">Tom &amp; Jerry&apos;s &lt;&quot;shop&quot;&gt; "
                                  "\xc3\xa9</Say><Hangup/></Response>");
    hk_twiml_param p[] = {{"k&<>", "v\"'&"}};
    hk_twiml_stream s = {.url = "wss://h/s?a=1&b=2", .params = p, .n_params = 1};
    assert_true(hk_twiml_connect_stream(out, sizeof out, &s) > 0);
    assert_non_null(strstr(out, "url=\"wss://h/s?a=1&amp;b=2\""));
    assert_non_null(strstr(out, "<Parameter name=\"k&amp;&lt;&gt;\" value=\"v&quot;&apos;&amp;\"/>"));
    /* Control bytes XML cannot carry are dropped; tab, CR, LF kept. */
    assert_true(hk_twiml_say_hangup(out, sizeof out, "a\x01" "b\x1f" "c\td\ne\rf\x7f", NULL) > 0);
    assert_string_equal(out, HEAD "<Say>abc\td\ne\rf\x7f</Say><Hangup/></Response>");
    /* Bytes outside a valid UTF-8 character (a stray continuation, a cut,
     * an overlong form, a surrogate, U+FFFF) are dropped too; whole
     * characters of every length are kept. */
    assert_true(hk_twiml_say_hangup(out, sizeof out, "a\xff" "b\x80" "c\xc3" "d\xc0\xaf" "e\xed\xa0\x80"
                                    "f\xef\xbf\xbf" "g\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xe2\x82",
                                    NULL) > 0);
    assert_string_equal(out, HEAD "<Say>abcdefg\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80</Say><Hangup/></Response>");
    size_t len = 0;
    char small[6];
    assert_int_equal(hk_twiml_escape(small, sizeof small, &len, "ab"), 0);
    assert_int_equal(len, 2);
    assert_int_equal(hk_twiml_escape(small, sizeof small, &len, "&"), -1); /* 2 + 5 > 5 */
    assert_int_equal(len, 2);
    assert_int_equal(hk_twiml_escape(small, sizeof small, &len, "cde"), 0);
    assert_string_equal(small, "abcde");
}

static void test_dial_and_hangup(void **state)
{
    (void)state;
    char out[512];
    int n;
    assert_true(hk_twiml_dial(out, sizeof out, "+14155550100", "+15005550006") > 0);
    assert_string_equal(out, HEAD "<Dial callerId=\"+15005550006\">+14155550100</Dial></Response>");
    assert_true(hk_twiml_dial(out, sizeof out, "+14155550100", NULL) > 0);
    assert_string_equal(out, HEAD "<Dial>+14155550100</Dial></Response>");
    assert_true(hk_twiml_dial(out, sizeof out, "+1", "") > 0);
    assert_string_equal(out, HEAD "<Dial>+1</Dial></Response>");
    assert_int_equal(hk_twiml_dial(out, sizeof out, "", NULL), -1);
    assert_int_equal(hk_twiml_dial(out, sizeof out, NULL, NULL), -1);
    n = hk_twiml_hangup(out, sizeof out);
    assert_int_equal(n, strlen(HEAD "<Hangup/></Response>"));
    assert_string_equal(out, HEAD "<Hangup/></Response>");
    assert_true(hk_twiml_say_hangup(out, sizeof out, "Sorry, this number is not in service.", NULL) > 0);
    assert_string_equal(out, HEAD "<Say>Sorry, this number is not in service.</Say><Hangup/></Response>");
    assert_true(hk_twiml_say_hangup(out, sizeof out, NULL, NULL) > 0);
    assert_string_equal(out, HEAD "<Say></Say><Hangup/></Response>");
}

/* Every capacity from 0 to the exact size, in a heap block of that size. */
static void test_overflow_every_cap(void **state)
{
    (void)state;
    hk_twiml_param p[] = {{"token", "t&k"}, {"agent", "a<b"}};
    hk_twiml_stream s = {.say = "Consent & <notice>", .voice = "v", .action = "https://h/a?x=1&y=2",
                         .url = "wss://h/s", .params = p, .n_params = 2};
    char full[1024];
    int n = hk_twiml_connect_stream(full, sizeof full, &s);
    assert_true(n > 0);
    for (int which = 0; which < 4; which++) {
        int want = which == 0 ? n
                   : which == 1 ? hk_twiml_say_hangup(full, sizeof full, "A & B", "v")
                   : which == 2 ? hk_twiml_dial(full, sizeof full, "+1<2>", "+3&4")
                                : hk_twiml_hangup(full, sizeof full);
        assert_true(want > 0);
        for (size_t cap = 1; cap <= (size_t)want + 1; cap++) {
            char *buf = malloc(cap);
            int r = which == 0 ? hk_twiml_connect_stream(buf, cap, &s)
                    : which == 1 ? hk_twiml_say_hangup(buf, cap, "A & B", "v")
                    : which == 2 ? hk_twiml_dial(buf, cap, "+1<2>", "+3&4")
                                 : hk_twiml_hangup(buf, cap);
            if (cap <= (size_t)want) {
                assert_int_equal(r, -1);
                assert_string_equal(buf, "");
            } else {
                assert_int_equal(r, want);
                assert_string_equal(buf, full);
            }
            free(buf);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_stream), cmocka_unit_test(test_connect_stream_invalid),
        cmocka_unit_test(test_escaping),       cmocka_unit_test(test_dial_and_hangup),
        cmocka_unit_test(test_overflow_every_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
