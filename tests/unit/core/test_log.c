/* tests/unit/core/test_log: hk_json_escape produces a JSON string that jansson
 * reads back as the input (or, truncated, a prefix of it) and never writes past
 * cap; hk_log writes exactly one line of valid JSON with ts, level, event,
 * call_id and msg. stderr is captured by pointing fd 2 at a temp file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "core/log.h"

/* Decodes a JSON string literal; NULL when it is not one. Caller frees. */
static char *decode(const char *lit)
{
    json_error_t e;
    json_t *j = json_loads(lit, JSON_DECODE_ANY, &e);
    if (!j) return NULL;
    char *s = json_is_string(j) ? strdup(json_string_value(j)) : NULL;
    json_decref(j);
    return s;
}

static void assert_round_trip(const char *in)
{
    char out[512];
    int n = hk_json_escape(out, sizeof out, in);
    assert_int_equal(n, (int)strlen(out));
    char *back = decode(out);
    assert_non_null(back);
    assert_string_equal(back, in);
    free(back);
}

static void test_escape_specials(void **state)
{
    (void)state;
    char out[128];
    int n = hk_json_escape(out, sizeof out, "a\"b\\c\nd\te");
    assert_string_equal(out, "\"a\\\"b\\\\c\\nd\\te\"");
    assert_int_equal(n, (int)strlen(out));
    hk_json_escape(out, sizeof out, "\x01\x1f\r\b");
    assert_string_equal(out, "\"\\u0001\\u001f\\u000d\\u0008\"");
    hk_json_escape(out, sizeof out, NULL);
    assert_string_equal(out, "\"\"");
    hk_json_escape(out, sizeof out, "");
    assert_string_equal(out, "\"\"");
    hk_json_escape(out, sizeof out, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x9e"); /* é € 📞 pass through */
    assert_string_equal(out, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x9e\"");
}

static void test_escape_round_trips_every_ascii_byte(void **state)
{
    (void)state;
    char in[128];
    for (int i = 1; i < 128; i++) in[i - 1] = (char)i;
    in[127] = 0;
    assert_round_trip(in);
    assert_round_trip("say \"hi\"\\n\r\n");
}

static void test_escape_invalid_utf8_stays_valid_json(void **state)
{
    (void)state;
    /* Lua strings and provider errors are arbitrary bytes: a stray byte must not
     * make the line unparseable */
    const char *bad[] = {"\xff", "ab\x80", "\xc3", "\xc3(", "\xe2\x82", "\xed\xa0\x80",
                         "\xc0\xaf", "\xf4\x90\x80\x80", "ok\xfe\xfftail"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[64];
        hk_json_escape(out, sizeof out, bad[i]);
        char *back = decode(out);
        assert_non_null(back);
        free(back);
    }
    char out[64];
    hk_json_escape(out, sizeof out, "ok\xfe\xfftail");
    char *back = decode(out);
    assert_string_equal(back, "ok\xef\xbf\xbd\xef\xbf\xbdtail"); /* U+FFFD each */
    free(back);
}

static void test_escape_small_caps(void **state)
{
    (void)state;
    char out[16];
    memset(out, 'X', sizeof out);
    assert_int_equal(hk_json_escape(out, 0, "abc"), 0);
    assert_int_equal(out[0], 'X'); /* cap 0: nothing written at all */

    int caps[] = {1, 2, 5};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        int cap = caps[i];
        memset(out, 'X', sizeof out);
        int n = hk_json_escape(out, cap, "abcdef");
        assert_true(n >= 0 && n < cap);
        assert_int_equal(out[n], 0);
        assert_int_equal((int)strlen(out), n);
        for (size_t k = (size_t)cap; k < sizeof out; k++) assert_int_equal(out[k], 'X');
    }
    hk_json_escape(out, 5, "abcdef");
    assert_string_equal(out, "\"ab\"");
}

/* Truncation keeps whole escapes and whole characters, and closes the quote. */
static void test_escape_truncation_stays_valid(void **state)
{
    (void)state;
    const char *inputs[] = {"\"\"\"\"\"\"\"\"\"\"", "\x01\x02\x03\x04\x05",
                            "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", "\xf0\x9f\x93\x9e\xf0\x9f\x93\x9e",
                            "a\\b\\c\nd\te\x7f"};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        for (int cap = 3; cap < 40; cap++) {
            char out[64];
            memset(out, 'X', sizeof out);
            int n = hk_json_escape(out, cap, inputs[i]);
            assert_true(n < cap);
            assert_int_equal((int)strlen(out), n);
            for (size_t k = (size_t)cap; k < sizeof out; k++) assert_int_equal(out[k], 'X');
            char *back = decode(out);
            assert_non_null(back);
            assert_int_equal(strncmp(back, inputs[i], strlen(back)), 0);
            free(back);
        }
    }
}

/* Runs one hk_log call with fd 2 pointed at a temp file; returns what it wrote. */
static char *capture(int level, const char *call_id, const char *event, const char *msg)
{
    char path[] = "/tmp/hark_test_log_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_true(dup2(fd, 2) >= 0);
    hk_log(level, call_id, event, "%s", msg);
    dup2(saved, 2);
    close(saved);

    off_t len = lseek(fd, 0, SEEK_END);
    assert_true(len >= 0);
    char *buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(pread(fd, buf, (size_t)len, 0), len);
    buf[len] = 0;
    close(fd);
    return buf;
}

/* Asserts buf is one newline-terminated line of JSON; returns the object. */
static json_t *parse_line(const char *buf)
{
    size_t len = strlen(buf);
    assert_true(len > 1);
    assert_int_equal(buf[len - 1], '\n');
    assert_ptr_equal(strchr(buf, '\n'), buf + len - 1);
    json_error_t e;
    json_t *j = json_loads(buf, 0, &e);
    if (!j) fail_msg("not JSON (%s): %s", e.text, buf);
    assert_true(json_is_object(j));
    return j;
}

static void test_log_line_fields(void **state)
{
    (void)state;
    hk_log_set_level(HK_LOG_INFO);
    char *buf = capture(HK_LOG_WARN, "call-42", "stt_error", "bad \"input\"\n\tline two");
    json_t *j = parse_line(buf);
    assert_int_equal(json_object_size(j), 5);
    assert_string_equal(json_string_value(json_object_get(j, "level")), "warn");
    assert_string_equal(json_string_value(json_object_get(j, "event")), "stt_error");
    assert_string_equal(json_string_value(json_object_get(j, "call_id")), "call-42");
    assert_string_equal(json_string_value(json_object_get(j, "msg")), "bad \"input\"\n\tline two");
    const char *ts = json_string_value(json_object_get(j, "ts"));
    assert_non_null(ts);
    /* 2024-05-01T12:34:56.789Z */
    assert_int_equal(strlen(ts), 24);
    int y, mo, d, h, mi, s, ms;
    char z;
    assert_int_equal(sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &y, &mo, &d, &h, &mi, &s, &ms, &z), 8);
    assert_int_equal(z, 'Z');
    assert_true(y >= 2024 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31);
    json_decref(j);
    free(buf);
}

static void test_log_without_call_id(void **state)
{
    (void)state;
    hk_log_set_level(HK_LOG_INFO);
    char *buf = capture(HK_LOG_ERROR, NULL, "agent_reload_failed", "x");
    json_t *j = parse_line(buf);
    assert_null(json_object_get(j, "call_id"));
    assert_string_equal(json_string_value(json_object_get(j, "level")), "error");
    assert_string_equal(json_string_value(json_object_get(j, "msg")), "x");
    json_decref(j);
    free(buf);
}

static void test_log_level_filter(void **state)
{
    (void)state;
    hk_log_set_level(HK_LOG_WARN);
    assert_false(hk_log_enabled(HK_LOG_INFO));
    assert_true(hk_log_enabled(HK_LOG_ERROR));
    char *buf = capture(HK_LOG_INFO, NULL, "quiet", "dropped");
    assert_string_equal(buf, "");
    free(buf);

    setenv("HARK_LOG_LEVEL", "debug", 1);
    hk_log_init();
    unsetenv("HARK_LOG_LEVEL");
    assert_true(hk_log_enabled(HK_LOG_DEBUG));
    buf = capture(HK_LOG_DEBUG, NULL, "speech_started", "at 1.00 s");
    json_t *j = parse_line(buf);
    assert_string_equal(json_string_value(json_object_get(j, "level")), "debug");
    json_decref(j);
    free(buf);
    hk_log_set_level(HK_LOG_INFO);
}

/* Messages that overflow the line (or need heavy escaping) are cut, and the
 * line is still one valid JSON object whose msg is a prefix of the original. */
static void test_log_long_message_stays_valid(void **state)
{
    (void)state;
    hk_log_set_level(HK_LOG_INFO);
    const char *units[] = {"\"", "\x01", "a\xc3\xa9", "ab", "\\\n"}; /* 2047 % 3 == 1: no split é */
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        char msg[6000] = "";
        size_t ul = strlen(units[u]);
        for (size_t k = 0; k + ul < sizeof msg; k += ul) memcpy(msg + k, units[u], ul + 1);
        char *buf = capture(HK_LOG_INFO, "call-1", "agent_print", msg);
        assert_true(strlen(buf) <= 4096);
        json_t *j = parse_line(buf);
        const char *m = json_string_value(json_object_get(j, "msg"));
        assert_non_null(m);
        assert_true(strlen(m) > 0);
        assert_int_equal(strncmp(m, msg, strlen(m)), 0);
        json_decref(j);
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_specials),
        cmocka_unit_test(test_escape_round_trips_every_ascii_byte),
        cmocka_unit_test(test_escape_invalid_utf8_stays_valid_json),
        cmocka_unit_test(test_escape_small_caps),
        cmocka_unit_test(test_escape_truncation_stays_valid),
        cmocka_unit_test(test_log_line_fields),
        cmocka_unit_test(test_log_without_call_id),
        cmocka_unit_test(test_log_level_filter),
        cmocka_unit_test(test_log_long_message_stays_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
