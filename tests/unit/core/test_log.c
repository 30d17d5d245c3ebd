/* tests/unit/core/test_log: hk_json_escape produces a JSON string that cJSON
 * reads back as the input (or, truncated, a prefix of it) and never writes past
 * cap; hk_log writes exactly one line of valid JSON with ts, level, event,
 * call_id and msg. stderr is captured by pointing fd 2 at a temp file.
 *
 * cJSON is laxer than a strict JSON reader: it does not check UTF-8, takes raw
 * control bytes inside strings and any byte <= 0x20 as whitespace, decodes
 * \u0000 (silently cutting the string), skips a leading BOM and, through
 * cJSON_Parse / cJSON_ParseWithLength, ignores trailing bytes. json_strict()
 * below checks those by hand and parse_strict() rejects trailing bytes, so
 * "valid JSON" here means what RFC 8259 means. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "core/log.h"

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates U+D800..DFFF, nothing
 * past U+10FFFF, no truncated sequences, no stray continuation bytes (nor 0xF8..0xFF).
 * Decodes each code point rather than mirroring log.c's range checks. */
static bool utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) {
            n = 2, cp = c & 0x1Fu, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            n = 3, cp = c & 0x0Fu, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            n = 4, cp = c & 0x07u, min = 0x10000;
        } else {
            return false; /* continuation byte with no lead, or 0xF8..0xFF */
        }
        if (len - i < n) return false; /* truncated at the end */
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return false; /* truncated mid-string */
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if (cp < min) return false;                     /* overlong */
        if (cp >= 0xD800 && cp <= 0xDFFF) return false; /* surrogate */
        if (cp > 0x10FFFF) return false;
        i += n;
    }
    return true;
}

static bool utf8_valid_str(const char *s) { return utf8_valid(s, strlen(s)); }

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The lexical rules cJSON does not enforce: the text is strict UTF-8; outside
 * strings only ASCII, and of the control bytes only JSON whitespace; inside
 * strings no raw control bytes, only the RFC 8259 escapes, \u with four hex
 * digits and never \u0000; every string is closed. (cJSON itself rejects
 * unpaired \u surrogate escapes.) */
static bool json_strict(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    if (!utf8_valid(str, len)) return false;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (!in_str) {
            if (c == '"') in_str = true;
            else if (c >= 0x7F || (c < 0x20 && c != '\t' && c != '\n' && c != '\r')) return false;
        } else if (c == '"') {
            in_str = false;
        } else if (c < 0x20) {
            return false;
        } else if (c == '\\') {
            if (++i >= len) return false;
            c = s[i];
            if (c == 'u') {
                if (len - i < 5) return false;
                unsigned v = 0;
                for (size_t k = 1; k <= 4; k++) {
                    int h = hexval(s[i + k]);
                    if (h < 0) return false;
                    v = v * 16 + (unsigned)h;
                }
                if (v == 0) return false;
                i += 4;
            } else if (!strchr("\"\\/bfnrt", c) || c == 0) {
                return false;
            }
        }
    }
    return !in_str;
}

/* Parses exactly len bytes of strict JSON (trailing JSON whitespace allowed,
 * anything else after the value is an error); NULL on any failure. */
static cJSON *parse_strict(const char *s, size_t len)
{
    if (!json_strict(s, len)) return NULL;
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(s, len, &end, 0);
    if (!j) return NULL;
    while (end && end < s + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')) end++;
    if (end != s + len) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* Decodes a JSON string literal; NULL when it is not one. Caller frees. */
static char *decode(const char *lit)
{
    cJSON *j = parse_strict(lit, strlen(lit));
    if (!j) return NULL;
    const char *v = cJSON_GetStringValue(j); /* NULL unless cJSON_IsString */
    char *s = cJSON_IsString(j) && v ? strdup(v) : NULL;
    cJSON_Delete(j);
    if (s) assert_true(utf8_valid_str(s));
    return s;
}

/* The checkers above are what make the assertions below strict: make sure they
 * reject what they must and accept what they must. */
static void test_strict_checkers_self_check(void **state)
{
    (void)state;
    const char *good[] = {"", "plain ascii \x7f", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf",
                          "\xee\x80\x80", "\xef\xbf\xbd", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",
                          "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x9e"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) assert_true(utf8_valid_str(good[i]));
    const char *bad[] = {"\x80", "a\xbf", "\xc3", "\xc3(", "\xe2\x82", "\xf0\x9f\x93",  /* stray, truncated */
                         "\xc0\x80", "\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf",      /* overlong */
                         "\xed\xa0\x80", "\xed\xbf\xbf",                                   /* surrogates */
                         "\xf4\x90\x80\x80", "\xf7\xbf\xbf\xbf", "\xf8\x88\x80\x80\x80", "\xfe", "\xff"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_false(utf8_valid_str(bad[i]));

    /* decode(): everything a strict reader rejects, cJSON alone would accept */
    const char *not_lit[] = {"", "\"abc", "\"abc\"x", "\"a\" \"b\"", ("\"a\x01" "b\""), "\"a\nb\"",
                             "\"\\u0000\"", "\"\\q\"", "\"\\u12g4\"", "\"\\ud800\"", "\"\\udc00\"",
                             "\"\x80\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\xef\xbb\xbf\"a\"", "\x01\"a\"",
                             "{}", "42", "null"};
    for (size_t i = 0; i < sizeof not_lit / sizeof not_lit[0]; i++) {
        char *v = decode(not_lit[i]);
        if (v) fail_msg("decode accepted case %zu: %s", i, not_lit[i]);
    }
    char *v = decode(" \"\\ud83d\\udcde\\/\\u00e9\" \r\n\t");
    assert_non_null(v);
    assert_string_equal(v, "\xf0\x9f\x93\x9e/\xc3\xa9");
    free(v);
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
        assert_false(utf8_valid_str(bad[i])); /* each input really is invalid */
        char out[64];
        int n = hk_json_escape(out, sizeof out, bad[i]);
        assert_int_equal(n, (int)strlen(out));
        /* cJSON would pass the bytes through: check the output itself */
        assert_true(utf8_valid(out, (size_t)n));
        cJSON *j = cJSON_ParseWithLength(out, (size_t)n);
        assert_non_null(j);
        assert_true(cJSON_IsString(j));
        assert_non_null(cJSON_GetStringValue(j));
        assert_true(utf8_valid_str(cJSON_GetStringValue(j)));
        cJSON_Delete(j);
        char *back = decode(out); /* the full strict check */
        assert_non_null(back);
        free(back);
    }
    char out[64];
    hk_json_escape(out, sizeof out, "ok\xfe\xfftail");
    assert_true(utf8_valid_str(out));
    char *back = decode(out);
    assert_non_null(back);
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

/* Asserts buf is one newline-terminated line of JSON; returns the object. Keys
 * must be unique (cJSON keeps duplicates; counting members relies on this). */
static cJSON *parse_line(const char *buf)
{
    size_t len = strlen(buf);
    assert_true(len > 1);
    assert_int_equal(buf[len - 1], '\n');
    assert_ptr_equal(strchr(buf, '\n'), buf + len - 1);
    if (!json_strict(buf, len)) fail_msg("not strict JSON (UTF-8, control bytes or escapes): %s", buf);
    cJSON *j = parse_strict(buf, len);
    if (!j) {
        const char *at = cJSON_GetErrorPtr();
        fail_msg("not JSON (at %s): %s", at ? at : "end", buf);
    }
    assert_true(cJSON_IsObject(j));
    for (const cJSON *a = j->child; a; a = a->next) {
        assert_non_null(a->string);
        assert_true(utf8_valid_str(a->string));
        if (cJSON_IsString(a)) assert_true(utf8_valid_str(a->valuestring));
        for (const cJSON *b = a->next; b; b = b->next)
            if (strcmp(a->string, b->string) == 0) fail_msg("duplicate key %s: %s", a->string, buf);
    }
    return j;
}

/* The string value of key (exact-case lookup, like a JSON object's); NULL when
 * missing or not a string. */
static const char *str_field(const cJSON *j, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, key));
}

static void test_log_line_fields(void **state)
{
    (void)state;
    hk_log_set_level(HK_LOG_INFO);
    char *buf = capture(HK_LOG_WARN, "call-42", "stt_error", "bad \"input\"\n\tline two");
    cJSON *j = parse_line(buf);
    assert_int_equal(cJSON_GetArraySize(j), 5);
    assert_string_equal(str_field(j, "level"), "warn");
    assert_string_equal(str_field(j, "event"), "stt_error");
    assert_string_equal(str_field(j, "call_id"), "call-42");
    assert_string_equal(str_field(j, "msg"), "bad \"input\"\n\tline two");
    const char *ts = str_field(j, "ts");
    assert_non_null(ts);
    /* 2024-05-01T12:34:56.789Z */
    assert_int_equal(strlen(ts), 24);
    int y, mo, d, h, mi, s, ms;
    char z;
    assert_int_equal(sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &y, &mo, &d, &h, &mi, &s, &ms, &z), 8);
    assert_int_equal(z, 'Z');
    assert_true(y >= 2024 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31);
    cJSON_Delete(j);
    free(buf);
}

static void test_log_without_call_id(void **state)
{
    (void)state;
    hk_log_set_level(HK_LOG_INFO);
    char *buf = capture(HK_LOG_ERROR, NULL, "agent_reload_failed", "x");
    cJSON *j = parse_line(buf);
    assert_null(cJSON_GetObjectItemCaseSensitive(j, "call_id"));
    assert_string_equal(str_field(j, "level"), "error");
    assert_string_equal(str_field(j, "msg"), "x");
    cJSON_Delete(j);
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

    assert_int_equal(hk_log_init("loud"), -1); /* unknown: level kept */
    assert_false(hk_log_enabled(HK_LOG_INFO));
    assert_int_equal(hk_log_init(NULL), 0);
    assert_int_equal(hk_log_init("debug"), 0);
    assert_true(hk_log_enabled(HK_LOG_DEBUG));
    buf = capture(HK_LOG_DEBUG, NULL, "speech_started", "at 1.00 s");
    cJSON *j = parse_line(buf);
    assert_string_equal(str_field(j, "level"), "debug");
    cJSON_Delete(j);
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
        cJSON *j = parse_line(buf);
        const char *m = str_field(j, "msg");
        assert_non_null(m);
        assert_true(strlen(m) > 0);
        assert_int_equal(strncmp(m, msg, strlen(m)), 0);
        cJSON_Delete(j);
        free(buf);
    }
}

/* Phone numbers in info lines: country code and area, then the last four. */
static void test_mask_number(void **state)
{
    (void)state;
    char out[32];
    assert_string_equal(hk_log_mask_number("+15551234567", out, sizeof out), "+1555***4567");
    assert_string_equal(hk_log_mask_number("+442071838750", out, sizeof out), "+4420***8750");
    assert_string_equal(hk_log_mask_number("+15550100", out, sizeof out), "***00");
    assert_string_equal(hk_log_mask_number("1234", out, sizeof out), "***");
    assert_string_equal(hk_log_mask_number("", out, sizeof out), "");
    assert_string_equal(hk_log_mask_number(NULL, out, sizeof out), "");
    char small[6];
    assert_string_equal(hk_log_mask_number("+15551234567", small, sizeof small), "+1555");
    assert_null(strstr(hk_log_mask_number("client:alice-at-home", out, sizeof out), "alice"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strict_checkers_self_check),
        cmocka_unit_test(test_escape_specials),
        cmocka_unit_test(test_escape_round_trips_every_ascii_byte),
        cmocka_unit_test(test_escape_invalid_utf8_stays_valid_json),
        cmocka_unit_test(test_escape_small_caps),
        cmocka_unit_test(test_escape_truncation_stays_valid),
        cmocka_unit_test(test_log_line_fields),
        cmocka_unit_test(test_log_without_call_id),
        cmocka_unit_test(test_log_level_filter),
        cmocka_unit_test(test_log_long_message_stays_valid),
        cmocka_unit_test(test_mask_number),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
