/* tests/unit/providers/test_deepgram_msg: every Deepgram live message as
 * Deepgram (and tests/fakes/fake_deepgram) sends it read into the struct:
 * Results interim, final, from Finalize and empty; SpeechStarted,
 * UtteranceEnd, Metadata, Error, a type hark does not know; absent and null
 * fields take their defaults; a transcript longer than the buffer is cut at a
 * UTF-8 character boundary and flagged; malformed messages (bad JSON, wrong
 * types, negative or infinite times, every truncation of a real message)
 * refused with a "deepgram_msg: " message naming what was wrong, the struct
 * then empty. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "providers/deepgram_msg.h"

static hk_deepgram_msg m; /* 8 KB: keep it off the stack */
static char err[256];

#define MD "\"metadata\":{\"request_id\":\"5a2f6c1e-3b1d-4f1a-9b6e-2d7f0c8e9a11\"," \
           "\"model_info\":{\"name\":\"2-general-nova\",\"version\":\"2024-01-09.29447\",\"arch\":\"nova-2\"}}"
#define WORDS "[{\"word\":\"i\",\"start\":0.54,\"end\":0.7,\"confidence\":0.99,\"punctuated_word\":\"I\"}," \
              "{\"word\":\"need\",\"start\":0.7,\"end\":0.94,\"confidence\":0.98,\"punctuated_word\":\"need\"}," \
              "{\"word\":\"a\",\"start\":0.94,\"end\":1.02,\"confidence\":0.97,\"punctuated_word\":\"a\"}," \
              "{\"word\":\"table\",\"start\":1.02,\"end\":1.4,\"confidence\":0.96,\"punctuated_word\":\"table.\"}]"

static const char FINAL[] =
    "{\"type\":\"Results\",\"channel_index\":[0,1],\"duration\":1.02,\"start\":0.5,\"is_final\":true,"
    "\"speech_final\":true,\"from_finalize\":false,\"channel\":{\"alternatives\":[{\"transcript\":\"I need a table.\","
    "\"confidence\":0.95,\"words\":" WORDS "}]}," MD "}";

static int parse(const char *s)
{
    return hk_deepgram_msg_parse(s, strlen(s), &m, err, sizeof err);
}

/* A refused message: the code, the prefix, the reason, and nothing kept. */
static void refused(const char *s, const char *why)
{
    assert_int_equal(parse(s), HK_DEEPGRAM_MSG_EMALFORMED);
    assert_int_equal(strncmp(err, "deepgram_msg: ", 14), 0);
    if (!strstr(err, why))
        fail_msg("%s: error \"%s\" does not say \"%s\"", s, err, why);
    assert_string_equal(m.transcript, "");
    assert_int_equal(m.transcript_len, 0);
    assert_int_equal(m.is_final, 0);
    assert_int_equal(m.speech_final, 0);
}

static void test_results_final(void **state)
{
    (void)state;
    assert_int_equal(parse(FINAL), HK_DEEPGRAM_MSG_OK);
    assert_string_equal(err, "");
    assert_int_equal(m.type, HK_DEEPGRAM_MSG_RESULTS);
    assert_string_equal(m.type_name, "Results");
    assert_string_equal(hk_deepgram_msg_type_name(m.type), "Results");
    assert_int_equal(m.is_final, 1);
    assert_int_equal(m.speech_final, 1);
    assert_int_equal(m.from_finalize, 0);
    assert_true(m.start == 0.5 && m.duration == 1.02);
    assert_int_equal(m.n_alternatives, 1);
    assert_string_equal(m.transcript, "I need a table.");
    assert_int_equal(m.transcript_len, 15);
    assert_int_equal(m.transcript_cut, 0);
    assert_true(m.confidence == 0.95);
}

static void test_results_interim_and_finalize(void **state)
{
    (void)state;
    assert_int_equal(parse("{\"type\":\"Results\",\"channel_index\":[0,1],\"duration\":0.9,\"start\":0.5,"
                           "\"is_final\":false,\"speech_final\":false,\"from_finalize\":false,\"channel\":"
                           "{\"alternatives\":[{\"transcript\":\"I need\",\"confidence\":0.91,\"words\":[]},"
                           "{\"transcript\":\"eye kneed\",\"confidence\":0.2}]}}"),
                     HK_DEEPGRAM_MSG_OK);
    assert_int_equal(m.is_final, 0);
    assert_int_equal(m.n_alternatives, 2);
    assert_string_equal(m.transcript, "I need"); /* the best, the first */
    assert_int_equal(parse("{\"type\":\"Results\",\"duration\":0.4,\"start\":3.1,\"is_final\":true,"
                           "\"speech_final\":false,\"from_finalize\":true,\"channel\":{\"alternatives\":"
                           "[{\"transcript\":\"\\u00bfMa\\u00f1ana a las 7?\",\"confidence\":0.88}]}}"),
                     HK_DEEPGRAM_MSG_OK);
    assert_int_equal(m.from_finalize, 1);
    assert_int_equal(m.speech_final, 0);
    assert_string_equal(m.transcript, "\xc2\xbfMa\xc3\xb1" "ana a las 7?");
}

static void test_results_defaults(void **state)
{
    (void)state;
    /* absent or null: defaults; an empty alternatives list: no text */
    assert_int_equal(parse("{\"type\":\"Results\"}"), HK_DEEPGRAM_MSG_OK);
    assert_int_equal(m.is_final, 0);
    assert_true(m.start == 0 && m.duration == 0 && m.confidence == -1);
    assert_int_equal(m.n_alternatives, 0);
    assert_string_equal(m.transcript, "");
    assert_int_equal(parse("{\"type\":\"Results\",\"is_final\":null,\"start\":null,"
                           "\"channel\":{\"alternatives\":[]}}"),
                     HK_DEEPGRAM_MSG_OK);
    assert_int_equal(m.is_final, 0);
    assert_int_equal(m.n_alternatives, 0);
    assert_int_equal(parse("{\"type\":\"Results\",\"is_final\":true,\"channel\":{\"alternatives\":[{}]}}"),
                     HK_DEEPGRAM_MSG_OK);
    assert_int_equal(m.n_alternatives, 1);
    assert_string_equal(m.transcript, "");
    assert_true(m.confidence == -1);
    /* whitespace around the object is fine */
    assert_int_equal(parse(" \n{\"type\":\"Results\"}\r\n "), HK_DEEPGRAM_MSG_OK);
}

static void test_other_types(void **state)
{
    (void)state;
    assert_int_equal(parse("{\"type\":\"SpeechStarted\",\"channel\":[0,1],\"timestamp\":2.3}"), HK_DEEPGRAM_MSG_OK);
    assert_int_equal(m.type, HK_DEEPGRAM_MSG_SPEECH_STARTED);
    assert_true(m.timestamp == 2.3);
    assert_int_equal(parse("{\"type\":\"UtteranceEnd\",\"channel\":[0,1],\"last_word_end\":3.1}"),
                     HK_DEEPGRAM_MSG_OK);
    assert_int_equal(m.type, HK_DEEPGRAM_MSG_UTTERANCE_END);
    assert_true(m.last_word_end == 3.1);
    assert_true(m.timestamp == -1);
    assert_int_equal(parse("{\"type\":\"Metadata\",\"transaction_key\":\"deprecated\",\"request_id\":"
                           "\"5a2f6c1e-3b1d\",\"sha256\":\"\",\"duration\":12.5,\"channels\":1}"),
                     HK_DEEPGRAM_MSG_OK);
    assert_int_equal(m.type, HK_DEEPGRAM_MSG_METADATA);
    assert_string_equal(m.request_id, "5a2f6c1e-3b1d");
    assert_true(m.duration == 12.5);
    assert_int_equal(parse("{\"type\":\"Error\",\"description\":\"Failed to decode audio data.\","
                           "\"message\":\"\",\"variant\":\"DATA-0000\"}"),
                     HK_DEEPGRAM_MSG_OK);
    assert_int_equal(m.type, HK_DEEPGRAM_MSG_ERROR);
    assert_string_equal(m.error, "Failed to decode audio data.");
    assert_string_equal(m.variant, "DATA-0000");
    assert_int_equal(parse("{\"type\":\"Error\",\"message\":\"too many requests\"}"), HK_DEEPGRAM_MSG_OK);
    assert_string_equal(m.error, "too many requests");
    /* a type Deepgram may add later: kept by name, not an error; a long one cut */
    assert_int_equal(parse("{\"type\":\"Warning\",\"description\":\"x\"}"), HK_DEEPGRAM_MSG_OK);
    assert_int_equal(m.type, HK_DEEPGRAM_MSG_OTHER);
    assert_string_equal(m.type_name, "Warning");
    assert_string_equal(m.error, "");
    assert_int_equal(parse("{\"type\":\"AVeryLongTypeNameThatGoesOnAndOnForever\"}"), HK_DEEPGRAM_MSG_OK);
    assert_int_equal(strlen(m.type_name), sizeof m.type_name - 1);
    /* a later message does not inherit the earlier one's fields */
    assert_int_equal(parse(FINAL), HK_DEEPGRAM_MSG_OK);
    assert_int_equal(parse("{\"type\":\"SpeechStarted\"}"), HK_DEEPGRAM_MSG_OK);
    assert_string_equal(m.transcript, "");
    assert_int_equal(m.is_final, 0);
    assert_true(m.timestamp == -1);
}

/* A final Results whose transcript is head then n bytes of the pair p0 p1
 * repeated (n even). */
static int parse_long(const char *head, char p0, char p1, size_t n)
{
    size_t cap = n + 256;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t at = (size_t)snprintf(s, cap, "{\"type\":\"Results\",\"is_final\":true,\"channel\":{\"alternatives\":"
                                         "[{\"transcript\":\"%s", head);
    for (size_t i = 0; i < n; i += 2) {
        s[at++] = p0;
        s[at++] = p1;
    }
    snprintf(s + at, cap - at, "\"}]}}");
    int rc = hk_deepgram_msg_parse(s, strlen(s), &m, err, sizeof err);
    free(s);
    return rc;
}

static void test_long_transcript_cut(void **state)
{
    (void)state;
    /* "a" then "é"s (2 bytes): the buffer's HK_DEEPGRAM_MSG_TEXT_MAX - 1
     * bytes hold "a" and 4095 whole ones */
    assert_int_equal(parse_long("a", '\xc3', '\xa9', 2 * HK_DEEPGRAM_MSG_TEXT_MAX), HK_DEEPGRAM_MSG_OK);
    assert_int_equal(m.transcript_cut, 1);
    assert_int_equal(m.is_final, 1);
    assert_int_equal(m.transcript_len, HK_DEEPGRAM_MSG_TEXT_MAX - 1);
    assert_int_equal(strlen(m.transcript), m.transcript_len);
    assert_int_equal((unsigned char)m.transcript[m.transcript_len - 1], 0xa9);
    /* without the "a" the buffer's last byte would hold half an "é": it is left empty */
    assert_int_equal(parse_long("", '\xc3', '\xa9', 2 * HK_DEEPGRAM_MSG_TEXT_MAX), HK_DEEPGRAM_MSG_OK);
    assert_int_equal(m.transcript_cut, 1);
    assert_int_equal(m.transcript_len, HK_DEEPGRAM_MSG_TEXT_MAX - 2);
    assert_int_equal((unsigned char)m.transcript[m.transcript_len - 1], 0xa9);
    /* bytes that are not UTF-8 (continuation bytes only) are cut where they are */
    assert_int_equal(parse_long("", '\x80', '\x80', 2 * HK_DEEPGRAM_MSG_TEXT_MAX), HK_DEEPGRAM_MSG_OK);
    assert_int_equal(m.transcript_cut, 1);
    assert_int_equal(m.transcript_len, HK_DEEPGRAM_MSG_TEXT_MAX - 1);
    /* one that just fits is kept whole; one byte more is cut */
    assert_int_equal(parse_long("a", 'x', 'y', HK_DEEPGRAM_MSG_TEXT_MAX - 2), HK_DEEPGRAM_MSG_OK);
    assert_int_equal(m.transcript_cut, 0);
    assert_int_equal(m.transcript_len, HK_DEEPGRAM_MSG_TEXT_MAX - 1);
    assert_int_equal(parse_long("ab", 'x', 'y', HK_DEEPGRAM_MSG_TEXT_MAX - 2), HK_DEEPGRAM_MSG_OK);
    assert_int_equal(m.transcript_cut, 1);
    assert_int_equal(m.transcript_len, HK_DEEPGRAM_MSG_TEXT_MAX - 1);
}

static void test_malformed(void **state)
{
    (void)state;
    refused("", "invalid JSON");
    refused("not json", "invalid JSON");
    refused("{\"type\":\"Results\"", "invalid JSON");
    refused("[{\"type\":\"Results\"}]", "not a JSON object");
    refused("\"Results\"", "not a JSON object");
    refused("{\"type\":\"Results\"} {}", "trailing bytes");
    refused("{\"type\":\"Results\"}x", "trailing bytes");
    refused("{}", "missing \"type\"");
    refused("{\"type\":7}", "\"type\" is not a string");
    refused("{\"type\":\"Results\",\"is_final\":\"true\"}", "\"is_final\" is not true or false");
    refused("{\"type\":\"Results\",\"speech_final\":1}", "\"speech_final\" is not true or false");
    refused("{\"type\":\"Results\",\"from_finalize\":[]}", "\"from_finalize\"");
    refused("{\"type\":\"Results\",\"start\":-0.5}", "\"start\" is outside");
    refused("{\"type\":\"Results\",\"start\":1e999}", "\"start\" is outside");
    refused("{\"type\":\"Results\",\"duration\":\"1.5\"}", "\"duration\" is not a number");
    refused("{\"type\":\"Results\",\"duration\":1e8}", "\"duration\" is outside");
    refused("{\"type\":\"Results\",\"channel\":[0,1]}", "\"channel\" is not an object");
    refused("{\"type\":\"Results\",\"channel\":{\"alternatives\":{}}}", "\"alternatives\" is not an array");
    refused("{\"type\":\"Results\",\"channel\":{\"alternatives\":[\"hi\"]}}", "\"alternatives\"[0] is not an object");
    refused("{\"type\":\"Results\",\"channel\":{\"alternatives\":[{\"transcript\":5}]}}",
            "\"transcript\" is not a string");
    refused("{\"type\":\"Results\",\"channel\":{\"alternatives\":[{\"transcript\":\"hi\",\"confidence\":1.5}]}}",
            "\"confidence\" is outside");
    refused("{\"type\":\"SpeechStarted\",\"timestamp\":-1}", "\"timestamp\" is outside");
    refused("{\"type\":\"UtteranceEnd\",\"last_word_end\":\"3.1\"}", "\"last_word_end\" is not a number");
    refused("{\"type\":\"Metadata\",\"request_id\":42}", "\"request_id\" is not a string");
    refused("{\"type\":\"Error\",\"description\":{}}", "\"description\" is not a string");
    /* the type is kept on a refusal, for the log */
    assert_int_equal(parse("{\"type\":\"Results\",\"is_final\":1}"), HK_DEEPGRAM_MSG_EMALFORMED);
    assert_int_equal(m.type, HK_DEEPGRAM_MSG_RESULTS);
    /* no input, and error buffers too small or absent */
    assert_int_equal(hk_deepgram_msg_parse(NULL, 0, &m, err, sizeof err), HK_DEEPGRAM_MSG_EMALFORMED);
    assert_string_equal(err, "deepgram_msg: no input");
    char tiny[4];
    assert_int_equal(hk_deepgram_msg_parse("{", 1, &m, tiny, sizeof tiny), HK_DEEPGRAM_MSG_EMALFORMED);
    assert_string_equal(tiny, "dee");
    assert_int_equal(hk_deepgram_msg_parse("{", 1, &m, NULL, 0), HK_DEEPGRAM_MSG_EMALFORMED);
    /* the length is the message: a NUL-free prefix of a valid one is not read past */
    assert_int_equal(hk_deepgram_msg_parse(FINAL, 10, &m, err, sizeof err), HK_DEEPGRAM_MSG_EMALFORMED);
}

static void test_every_truncation_refused(void **state)
{
    (void)state;
    size_t n = strlen(FINAL);
    for (size_t k = 0; k < n; k++) {
        char *cut = malloc(k ? k : 1); /* exact size: ASan sees a read past k */
        memcpy(cut, FINAL, k);
        int rc = hk_deepgram_msg_parse(cut, k, &m, err, sizeof err);
        free(cut);
        if (rc != HK_DEEPGRAM_MSG_EMALFORMED)
            fail_msg("a cut to %zu bytes was accepted", k);
        assert_int_equal(strncmp(err, "deepgram_msg: ", 14), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_results_final),
        cmocka_unit_test(test_results_interim_and_finalize),
        cmocka_unit_test(test_results_defaults),
        cmocka_unit_test(test_other_types),
        cmocka_unit_test(test_long_transcript_cut),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_every_truncation_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
