/* tests/unit/providers/test_elevenlabs_msg: ElevenLabs stream-input messages
 * as the service (and tests/fakes/fake_elevenlabs) sends them read into the
 * struct: base64 mu-law decoded exactly, alignment characters with their
 * times (alignment preferred, normalizedAlignment when it is absent or null),
 * isFinal, service errors; the struct's buffers reused and grown across
 * messages (a large audio message after small ones); malformed messages
 * (bad JSON, bad base64, wrong types, alignment arrays of different lengths,
 * a "character" too long, non-finite times, every truncation of a real
 * message) refused with an "elevenlabs_msg: " message, the struct then
 * empty. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "net/base64.h"
#include "providers/elevenlabs_msg.h"

static hk_elevenlabs_msg m;
static char err[256];

#define AL "{\"chars\":[\"S\",\"u\",\"r\",\"e\",\",\",\" \",\"I\",\" \"]," \
           "\"charStartTimesMs\":[0,70,139,186,232,279,325,372]," \
           "\"charDurationsMs\":[70,69,47,46,47,46,47,46]}"

static char real[1024]; /* an audio message as fake_elevenlabs sends it: 160 bytes, alignment */
static uint8_t ulaw[160];

static int setup(void **state)
{
    (void)state;
    hk_elevenlabs_msg_init(&m);
    for (int i = 0; i < 160; i++)
        ulaw[i] = (uint8_t)(0xFF - i);
    char b64[256];
    assert_true(hk_base64_encode(ulaw, sizeof ulaw, b64, sizeof b64) > 0);
    snprintf(real, sizeof real,
             "{\"audio\":\"%s\",\"isFinal\":null,\"normalizedAlignment\":" AL ",\"alignment\":" AL "}", b64);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hk_elevenlabs_msg_free(&m);
    return 0;
}

static int parse(const char *s)
{
    return hk_elevenlabs_msg_parse(s, strlen(s), &m, err, sizeof err);
}

static void refused(const char *s, const char *why)
{
    assert_int_equal(parse(s), HK_ELEVENLABS_MSG_EMALFORMED);
    assert_int_equal(strncmp(err, "elevenlabs_msg: ", 16), 0);
    if (!strstr(err, why))
        fail_msg("%s: error \"%s\" does not say \"%s\"", s, err, why);
    assert_int_equal(m.audio_len, 0);
    assert_int_equal(m.n_chars, 0);
    assert_int_equal(m.is_final, 0);
    assert_int_equal(m.has_alignment, 0);
    assert_int_equal(m.is_error, 0);
}

static void test_audio_with_alignment(void **state)
{
    (void)state;
    assert_int_equal(parse(real), HK_ELEVENLABS_MSG_OK);
    assert_string_equal(err, "");
    assert_int_equal(m.audio_len, 160);
    assert_memory_equal(m.audio, ulaw, 160);
    assert_int_equal(m.is_final, 0);
    assert_int_equal(m.is_error, 0);
    assert_int_equal(m.has_alignment, 1);
    assert_int_equal(m.normalized, 0);
    assert_int_equal(m.n_chars, 8);
    assert_string_equal(m.chars[0].c, "S");
    assert_string_equal(m.chars[5].c, " ");
    assert_int_equal(m.chars[1].start_ms, 70);
    assert_int_equal(m.chars[1].dur_ms, 69);
    assert_int_equal(m.chars[7].start_ms, 372);
}

static void test_normalized_and_none(void **state)
{
    (void)state;
    /* alignment null: the normalized one; UTF-8 characters kept whole */
    assert_int_equal(parse("{\"audio\":\"//79\",\"isFinal\":false,\"alignment\":null,\"normalizedAlignment\":"
                           "{\"chars\":[\"\\u00bf\",\"M\",\"a\",\"\\u00f1\",\"\\ud83d\\ude00\"],"
                           "\"charStartTimesMs\":[0,50.7,100,150,-3],\"charDurationsMs\":[50,50,50,50,50]}}"),
                     HK_ELEVENLABS_MSG_OK);
    assert_int_equal(m.audio_len, 3);
    assert_int_equal(m.has_alignment, 1);
    assert_int_equal(m.normalized, 1);
    assert_int_equal(m.n_chars, 5);
    assert_string_equal(m.chars[0].c, "\xc2\xbf");
    assert_string_equal(m.chars[3].c, "\xc3\xb1");
    assert_string_equal(m.chars[4].c, "\xf0\x9f\x98\x80");
    assert_int_equal(m.chars[1].start_ms, 50); /* ms, fraction dropped */
    assert_int_equal(m.chars[4].start_ms, 0);  /* negative read as 0 */
    /* neither: audio only */
    assert_int_equal(parse("{\"audio\":\"//79\",\"isFinal\":null,\"normalizedAlignment\":null,\"alignment\":null}"),
                     HK_ELEVENLABS_MSG_OK);
    assert_int_equal(m.has_alignment, 0);
    assert_int_equal(m.n_chars, 0);
    /* times absent: 0; an empty alignment is still one */
    assert_int_equal(parse("{\"alignment\":{\"chars\":[\"a\",\"\"]}}"), HK_ELEVENLABS_MSG_OK);
    assert_int_equal(m.n_chars, 2);
    assert_string_equal(m.chars[1].c, "");
    assert_int_equal(m.chars[0].start_ms, 0);
    assert_int_equal(m.audio_len, 0);
    assert_int_equal(parse("{\"audio\":\"\",\"isFinal\":true,\"alignment\":{\"chars\":[],"
                           "\"charStartTimesMs\":[],\"charDurationsMs\":[]}}"),
                     HK_ELEVENLABS_MSG_OK);
    assert_int_equal(m.has_alignment, 1);
    assert_int_equal(m.n_chars, 0);
    assert_int_equal(m.is_final, 1);
}

static void test_final_and_error(void **state)
{
    (void)state;
    assert_int_equal(parse("{\"isFinal\":true}"), HK_ELEVENLABS_MSG_OK);
    assert_int_equal(m.is_final, 1);
    assert_int_equal(m.audio_len, 0);
    assert_int_equal(m.has_alignment, 0);
    assert_int_equal(parse("{\"message\":\"Have not received a new text input within the timeout of 20 seconds.\","
                           "\"error\":\"input_timeout_exceeded\",\"code\":1008}"),
                     HK_ELEVENLABS_MSG_OK);
    assert_int_equal(m.is_error, 1);
    assert_string_equal(m.error, "Have not received a new text input within the timeout of 20 seconds.");
    assert_int_equal(parse("{\"error\":\"quota_exceeded\"}"), HK_ELEVENLABS_MSG_OK);
    assert_string_equal(m.error, "quota_exceeded");
    assert_int_equal(parse("{\"error\":\"quota_exceeded\",\"message\":\"\"}"), HK_ELEVENLABS_MSG_OK);
    assert_string_equal(m.error, "quota_exceeded"); /* an empty message says nothing */
    assert_int_equal(parse("{\"error\":{\"status\":\"x\"},\"audio\":\"not base64!\"}"), HK_ELEVENLABS_MSG_OK);
    assert_int_equal(m.is_error, 1); /* an error carries nothing else: the audio is not read */
    assert_string_equal(m.error, "?");
    assert_int_equal(m.audio_len, 0);
    /* "error": null is no error */
    assert_int_equal(parse("{\"error\":null,\"isFinal\":true}"), HK_ELEVENLABS_MSG_OK);
    assert_int_equal(m.is_error, 0);
    assert_string_equal(m.error, "");
    /* a long message is cut to the buffer */
    char big[600];
    int n = snprintf(big, sizeof big, "{\"error\":\"e\",\"message\":\"");
    memset(big + n, 'x', 500);
    snprintf(big + n + 500, sizeof big - (size_t)n - 500, "\"}");
    assert_int_equal(parse(big), HK_ELEVENLABS_MSG_OK);
    assert_int_equal(strlen(m.error), sizeof m.error - 1);
}

static void test_buffers_reused_and_grown(void **state)
{
    (void)state;
    assert_int_equal(parse(real), HK_ELEVENLABS_MSG_OK);
    /* 1 s of audio (8000 bytes) and 1000 characters in one message */
    size_t n = 8000, nc = 1000;
    uint8_t *a = malloc(n);
    for (size_t i = 0; i < n; i++)
        a[i] = (uint8_t)(i * 7);
    size_t cap = hk_base64_encoded_len(n) + nc * 16 + 256;
    char *s = malloc(cap);
    size_t at = (size_t)snprintf(s, cap, "{\"audio\":\"");
    at += (size_t)hk_base64_encode(a, n, s + at, cap - at);
    at += (size_t)snprintf(s + at, cap - at, "\",\"alignment\":{\"chars\":[");
    for (size_t i = 0; i < nc; i++)
        at += (size_t)snprintf(s + at, cap - at, "%s\"%c\"", i ? "," : "", 'a' + (int)(i % 26));
    at += (size_t)snprintf(s + at, cap - at, "],\"charStartTimesMs\":[");
    for (size_t i = 0; i < nc; i++)
        at += (size_t)snprintf(s + at, cap - at, "%s%zu", i ? "," : "", i * 8);
    snprintf(s + at, cap - at, "]}}");
    assert_int_equal(hk_elevenlabs_msg_parse(s, strlen(s), &m, err, sizeof err), HK_ELEVENLABS_MSG_OK);
    assert_int_equal(m.audio_len, n);
    assert_memory_equal(m.audio, a, n);
    assert_int_equal(m.n_chars, nc);
    assert_string_equal(m.chars[999].c, "l");
    assert_int_equal(m.chars[999].start_ms, 999 * 8);
    assert_true(m.audio_cap >= n && m.chars_cap >= nc);
    /* a small one afterwards reuses the buffers */
    uint8_t *kept = m.audio;
    assert_int_equal(parse(real), HK_ELEVENLABS_MSG_OK);
    assert_ptr_equal(m.audio, kept);
    assert_int_equal(m.audio_len, 160);
    assert_memory_equal(m.audio, ulaw, 160);
    assert_int_equal(m.n_chars, 8);
    free(a);
    free(s);
}

static void test_malformed(void **state)
{
    (void)state;
    refused("", "invalid JSON");
    refused("<html>502 Bad Gateway</html>", "invalid JSON");
    refused("[]", "not a JSON object");
    refused("{\"isFinal\":true}{}", "trailing bytes");
    refused("{\"isFinal\":\"true\"}", "\"isFinal\" is not true or false");
    refused("{\"audio\":5}", "\"audio\" is not a string");
    refused("{\"audio\":\"//7\"}", "\"audio\" is not base64");
    refused("{\"audio\":\"//79\\n\"}", "\"audio\" is not base64");
    refused("{\"audio\":\"@@@@\"}", "\"audio\" is not base64");
    refused("{\"alignment\":[]}", "\"alignment\" is not an object");
    refused("{\"normalizedAlignment\":\"x\"}", "\"normalizedAlignment\" is not an object");
    refused("{\"alignment\":{\"chars\":\"Sure\"}}", "\"chars\" is not an array");
    refused("{\"alignment\":{\"chars\":[\"a\"],\"charStartTimesMs\":{}}}", "\"charStartTimesMs\" is not an array");
    refused("{\"alignment\":{\"chars\":[\"a\",\"b\"],\"charStartTimesMs\":[0]}}", "differ in length");
    refused("{\"alignment\":{\"chars\":[\"a\"],\"charStartTimesMs\":[0],\"charDurationsMs\":[]}}",
            "differ in length");
    refused("{\"alignment\":{\"chars\":[\"a\",7]}}", "\"chars\"[1] is not a string");
    refused("{\"alignment\":{\"chars\":[\"abcdefghijklmnopq\"]}}", "\"chars\"[0] is 17 bytes");
    refused("{\"alignment\":{\"chars\":[\"a\"],\"charStartTimesMs\":[\"0\"]}}", "\"charStartTimesMs\"[0]");
    refused("{\"alignment\":{\"chars\":[\"a\"],\"charStartTimesMs\":[1e999]}}", "\"charStartTimesMs\"[0]");
    refused("{\"alignment\":{\"chars\":[\"a\"],\"charDurationsMs\":[2e9]}}", "\"charDurationsMs\"[0]");
    /* a refusal after a good message leaves nothing of it */
    assert_int_equal(parse(real), HK_ELEVENLABS_MSG_OK);
    refused("{\"audio\":\"//79\",\"alignment\":{\"chars\":[\"a\"],\"charStartTimesMs\":[null]}}",
            "\"charStartTimesMs\"[0]");
    assert_int_equal(hk_elevenlabs_msg_parse(NULL, 0, &m, err, sizeof err), HK_ELEVENLABS_MSG_EMALFORMED);
    assert_string_equal(err, "elevenlabs_msg: no input");
    assert_int_equal(hk_elevenlabs_msg_parse("{", 1, &m, NULL, 0), HK_ELEVENLABS_MSG_EMALFORMED);
}

static void test_every_truncation_refused(void **state)
{
    (void)state;
    size_t n = strlen(real);
    for (size_t k = 0; k < n; k++) {
        char *cut = malloc(k ? k : 1); /* exact size: ASan sees a read past k */
        memcpy(cut, real, k);
        int rc = hk_elevenlabs_msg_parse(cut, k, &m, err, sizeof err);
        free(cut);
        if (rc != HK_ELEVENLABS_MSG_EMALFORMED)
            fail_msg("a cut to %zu bytes was accepted", k);
        assert_int_equal(strncmp(err, "elevenlabs_msg: ", 16), 0);
        assert_int_equal(m.audio_len, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_audio_with_alignment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normalized_and_none, setup, teardown),
        cmocka_unit_test_setup_teardown(test_final_and_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_buffers_reused_and_grown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_truncation_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
