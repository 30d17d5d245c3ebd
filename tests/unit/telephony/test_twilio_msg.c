/* tests/unit/telephony/test_twilio_msg: every Media Streams event as Twilio
 * sends it (examples shaped like Twilio's docs), string numbers as integers,
 * customParameters and mediaFormat, the mu-law payload decoded; malformed
 * frames (bad JSON, wrong types, oversized fields, every truncation of a real
 * frame) rejected with a message; unknown events reported, not failed; the
 * three outbound builders exact, valid JSON, and bounded at every capacity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "net/base64.h"
#include "telephony/twilio_msg.h"

#define MZ "MZ18ad3ab5a668481ce02b83e7395059f0"
#define CA "CA0123456789abcdef0123456789abcdef"
#define AC "AC0123456789abcdef0123456789abcdef"

static hk_twilio_msg m; /* 10 KB: keep it off the stack */
static char err[256];

static int parse(const char *s)
{
    return hk_twilio_msg_parse(s, strlen(s), &m, err, sizeof err);
}

static void test_connected(void **state)
{
    (void)state;
    assert_int_equal(parse("{\"event\":\"connected\",\"protocol\":\"Call\",\"version\":\"1.0.0\"}"), HK_TWILIO_MSG_OK);
    assert_int_equal(m.kind, HK_TWILIO_MSG_CONNECTED);
    assert_string_equal(m.protocol, "Call");
    assert_string_equal(m.version, "1.0.0");
    assert_string_equal(m.stream_sid, "");
    assert_int_equal(m.sequence_number, -1);
    assert_string_equal(hk_twilio_msg_kind_name(m.kind), "connected");
}

static void test_start(void **state)
{
    (void)state;
    const char *s = "{\"event\":\"start\",\"sequenceNumber\":\"1\",\"start\":{\"accountSid\":\"" AC "\","
                    "\"streamSid\":\"" MZ "\",\"callSid\":\"" CA "\",\"tracks\":[\"inbound\"],"
                    "\"mediaFormat\":{\"encoding\":\"audio/x-mulaw\",\"sampleRate\":8000,\"channels\":1},"
                    "\"customParameters\":{\"token\":\"abc.def\",\"agent\":\"front-desk\",\"empty\":\"\"}},"
                    "\"streamSid\":\"" MZ "\"}";
    assert_int_equal(parse(s), HK_TWILIO_MSG_OK);
    assert_int_equal(m.kind, HK_TWILIO_MSG_START);
    assert_int_equal(m.sequence_number, 1);
    assert_string_equal(m.stream_sid, MZ);
    assert_string_equal(m.call_sid, CA);
    assert_string_equal(m.account_sid, AC);
    assert_string_equal(m.encoding, "audio/x-mulaw");
    assert_int_equal(m.sample_rate, 8000);
    assert_int_equal(m.channels, 1);
    assert_int_equal(m.n_params, 3);
    assert_string_equal(hk_twilio_msg_param_get(&m, "token"), "abc.def");
    assert_string_equal(hk_twilio_msg_param_get(&m, "agent"), "front-desk");
    assert_string_equal(hk_twilio_msg_param_get(&m, "empty"), "");
    assert_null(hk_twilio_msg_param_get(&m, "Token"));
    /* streamSid only inside start, no mediaFormat, no parameters. */
    assert_int_equal(parse("{\"event\":\"start\",\"start\":{\"streamSid\":\"MZ1\",\"callSid\":\"CA1\"}}"),
                     HK_TWILIO_MSG_OK);
    assert_string_equal(m.stream_sid, "MZ1");
    assert_int_equal(m.n_params, 0);
    assert_int_equal(m.sample_rate, 0);
    assert_string_equal(m.encoding, "");
}

static void test_media(void **state)
{
    (void)state;
    uint8_t mulaw[160];
    for (int i = 0; i < 160; i++)
        mulaw[i] = (uint8_t)(0xFF - i);
    char b64[217], frame[512];
    hk_base64_encode(mulaw, 160, b64, sizeof b64);
    snprintf(frame, sizeof frame,
             "{\"event\":\"media\",\"sequenceNumber\":\"3\",\"media\":{\"track\":\"inbound\",\"chunk\":\"2\","
             "\"timestamp\":\"40\",\"payload\":\"%s\"},\"streamSid\":\"" MZ "\"}",
             b64);
    assert_int_equal(parse(frame), HK_TWILIO_MSG_OK);
    assert_int_equal(m.kind, HK_TWILIO_MSG_MEDIA);
    assert_int_equal(m.sequence_number, 3);
    assert_int_equal(m.chunk, 2);
    assert_int_equal(m.timestamp, 40);
    assert_string_equal(m.track, "inbound");
    assert_string_equal(m.stream_sid, MZ);
    assert_int_equal(m.payload_len, 160);
    assert_memory_equal(m.payload, mulaw, 160);
    /* Large counters, numbers instead of strings, an empty payload. */
    assert_int_equal(parse("{\"event\":\"media\",\"sequenceNumber\":\"999999999999\",\"media\":{\"chunk\":7,"
                           "\"timestamp\":\"86400000\",\"payload\":\"\"}}"),
                     HK_TWILIO_MSG_OK);
    assert_int_equal(m.sequence_number, 999999999999LL);
    assert_int_equal(m.chunk, 7);
    assert_int_equal(m.timestamp, 86400000);
    assert_int_equal(m.payload_len, 0);
    /* Exactly HK_TWILIO_MSG_PAYLOAD_MAX bytes fit; one more does not. */
    static uint8_t big[HK_TWILIO_MSG_PAYLOAD_MAX + 3];
    static char bigb64[800], bigframe[1024];
    for (int extra = 0; extra <= 1; extra++) {
        hk_base64_encode(big, HK_TWILIO_MSG_PAYLOAD_MAX + (size_t)extra, bigb64, sizeof bigb64);
        snprintf(bigframe, sizeof bigframe, "{\"event\":\"media\",\"media\":{\"payload\":\"%s\"}}", bigb64);
        assert_int_equal(parse(bigframe), extra ? HK_TWILIO_MSG_EMALFORMED : HK_TWILIO_MSG_OK);
    }
    assert_non_null(strstr(err, "payload"));
}

static void test_mark_dtmf_stop(void **state)
{
    (void)state;
    assert_int_equal(parse("{\"event\":\"mark\",\"sequenceNumber\":\"4\",\"streamSid\":\"" MZ "\","
                           "\"mark\":{\"name\":\"turn-3-chunk-7\"}}"),
                     HK_TWILIO_MSG_OK);
    assert_int_equal(m.kind, HK_TWILIO_MSG_MARK);
    assert_string_equal(m.mark_name, "turn-3-chunk-7");
    assert_int_equal(m.sequence_number, 4);
    assert_int_equal(parse("{\"event\":\"dtmf\",\"streamSid\":\"" MZ "\",\"sequenceNumber\":\"5\","
                           "\"dtmf\":{\"track\":\"inbound_track\",\"digit\":\"#\"}}"),
                     HK_TWILIO_MSG_OK);
    assert_int_equal(m.kind, HK_TWILIO_MSG_DTMF);
    assert_string_equal(m.digit, "#");
    assert_string_equal(m.track, "inbound_track");
    assert_int_equal(parse("{\"event\":\"stop\",\"sequenceNumber\":\"6\",\"streamSid\":\"" MZ "\","
                           "\"stop\":{\"accountSid\":\"" AC "\",\"callSid\":\"" CA "\"}}"),
                     HK_TWILIO_MSG_OK);
    assert_int_equal(m.kind, HK_TWILIO_MSG_STOP);
    assert_string_equal(m.call_sid, CA);
    assert_string_equal(m.account_sid, AC);
    assert_int_equal(parse("{\"event\":\"stop\"}"), HK_TWILIO_MSG_OK);
    assert_string_equal(m.call_sid, "");
}

static void test_unknown_event(void **state)
{
    (void)state;
    assert_int_equal(parse("{\"event\":\"closed\",\"streamSid\":5,\"anything\":[1,2]}"), HK_TWILIO_MSG_OK);
    assert_int_equal(m.kind, HK_TWILIO_MSG_UNKNOWN);
    assert_string_equal(m.event, "closed");
    assert_string_equal(hk_twilio_msg_kind_name(m.kind), "unknown");
    assert_int_equal(parse("{\"event\":\"Media\"}"), HK_TWILIO_MSG_OK); /* case-sensitive */
    assert_int_equal(m.kind, HK_TWILIO_MSG_UNKNOWN);
    assert_int_equal(parse("{\"event\":\"an-event-name-much-longer-than-the-buffer-holds\"}"), HK_TWILIO_MSG_OK);
    assert_int_equal(strlen(m.event), sizeof m.event - 1);
}

static void test_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "   ", "null", "[]", "\"media\"", "42", "{", "{}", "{\"event\":5}", "{\"event\":null}",
        "{\"event\":\"media\"}", "{\"event\":\"media\",\"media\":[]}", "{\"event\":\"media\",\"media\":{}}",
        "{\"event\":\"media\",\"media\":{\"payload\":5}}", "{\"event\":\"media\",\"media\":{\"payload\":\"!!!!\"}}",
        "{\"event\":\"media\",\"media\":{\"payload\":\"AAA\"}}",
        "{\"event\":\"media\",\"media\":{\"payload\":\"\",\"chunk\":\"-1\"}}",
        "{\"event\":\"media\",\"media\":{\"payload\":\"\",\"chunk\":\"1.5\"}}",
        "{\"event\":\"media\",\"media\":{\"payload\":\"\",\"chunk\":\"\"}}",
        "{\"event\":\"media\",\"media\":{\"payload\":\"\",\"chunk\":\" 1\"}}",
        "{\"event\":\"media\",\"media\":{\"payload\":\"\",\"chunk\":\"0x10\"}}",
        "{\"event\":\"media\",\"media\":{\"payload\":\"\",\"timestamp\":\"1234567890123456789\"}}",
        "{\"event\":\"media\",\"media\":{\"payload\":\"\",\"timestamp\":-5}}",
        "{\"event\":\"media\",\"media\":{\"payload\":\"\",\"timestamp\":1.5}}",
        "{\"event\":\"media\",\"media\":{\"payload\":\"\",\"timestamp\":1e300}}",
        "{\"event\":\"media\",\"media\":{\"payload\":\"\",\"timestamp\":true}}",
        "{\"event\":\"media\",\"sequenceNumber\":\"x\",\"media\":{\"payload\":\"\"}}",
        "{\"event\":\"media\",\"streamSid\":7,\"media\":{\"payload\":\"\"}}",
        "{\"event\":\"media\",\"media\":{\"payload\":\"\",\"track\":\"a-track-name-longer-than-24\"}}",
        "{\"event\":\"start\"}", "{\"event\":\"start\",\"start\":{\"streamSid\":\"MZ1\"}}",
        "{\"event\":\"start\",\"start\":{\"callSid\":\"CA1\"}}",
        "{\"event\":\"start\",\"start\":{\"callSid\":\"CA1\",\"streamSid\":\"MZ1\",\"customParameters\":[]}}",
        "{\"event\":\"start\",\"start\":{\"callSid\":\"CA1\",\"streamSid\":\"MZ1\",\"customParameters\":{\"a\":1}}}",
        "{\"event\":\"start\",\"start\":{\"callSid\":\"CA1\",\"streamSid\":\"MZ1\",\"mediaFormat\":\"x\"}}",
        "{\"event\":\"start\",\"start\":{\"callSid\":\"CA1\",\"streamSid\":\"MZ1\",\"mediaFormat\":{\"sampleRate\":\"8000x\"}}}",
        "{\"event\":\"start\",\"start\":{\"callSid\":\"CA1\",\"streamSid\":\"MZ1\",\"mediaFormat\":{\"channels\":99}}}",
        "{\"event\":\"mark\"}", "{\"event\":\"mark\",\"mark\":{}}", "{\"event\":\"mark\",\"mark\":{\"name\":null}}",
        "{\"event\":\"dtmf\",\"dtmf\":{}}", "{\"event\":\"dtmf\",\"dtmf\":{\"digit\":\"12\"}}",
        "{\"event\":\"dtmf\",\"dtmf\":{\"digit\":\"x\"}}", "{\"event\":\"dtmf\",\"dtmf\":{\"digit\":\"\"}}",
        "{\"event\":\"stop\",\"stop\":\"x\"}", "{\"event\":\"stop\"} {}", "{\"event\":\"stop\"}x",
        "{\"event\":\"stop\",}", "{'event':'stop'}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (parse(bad[i]) != HK_TWILIO_MSG_EMALFORMED)
            fail_msg("accepted: %s", bad[i]);
        assert_int_equal(strncmp(err, "twilio_msg: ", 12), 0);
        assert_int_equal(m.payload_len, 0);
        assert_int_equal(m.n_params, 0);
    }
    assert_int_equal(hk_twilio_msg_parse(NULL, 0, &m, err, sizeof err), HK_TWILIO_MSG_EMALFORMED);
    assert_int_equal(hk_twilio_msg_parse("{", 1, &m, NULL, 0), HK_TWILIO_MSG_EMALFORMED);
    /* Oversized sids and mark names, too many parameters. */
    char s[2048];
    memset(s, 0, sizeof s);
    snprintf(s, sizeof s, "{\"event\":\"mark\",\"streamSid\":\"%0*d\",\"mark\":{\"name\":\"a\"}}",
             HK_TWILIO_MSG_SID_MAX, 0);
    assert_int_equal(parse(s), HK_TWILIO_MSG_EMALFORMED);
    snprintf(s, sizeof s, "{\"event\":\"mark\",\"streamSid\":\"%0*d\",\"mark\":{\"name\":\"a\"}}",
             HK_TWILIO_MSG_SID_MAX - 1, 0);
    assert_int_equal(parse(s), HK_TWILIO_MSG_OK);
    snprintf(s, sizeof s, "{\"event\":\"mark\",\"mark\":{\"name\":\"%0*d\"}}", HK_TWILIO_MSG_NAME_MAX, 0);
    assert_int_equal(parse(s), HK_TWILIO_MSG_EMALFORMED);
    size_t o = (size_t)snprintf(s, sizeof s, "{\"event\":\"start\",\"start\":{\"callSid\":\"CA1\",\"streamSid\":"
                                             "\"MZ1\",\"customParameters\":{");
    for (int i = 0; i <= HK_TWILIO_MSG_PARAMS_MAX; i++)
        o += (size_t)snprintf(s + o, sizeof s - o, "%s\"k%d\":\"v\"", i ? "," : "", i);
    snprintf(s + o, sizeof s - o, "}}}");
    assert_int_equal(parse(s), HK_TWILIO_MSG_EMALFORMED);
    assert_non_null(strstr(err, "customParameters"));
}

/* Every proper prefix of real frames is malformed; none crashes (ASan), and
 * the length is honoured: the prefix is not NUL-terminated where it ends. */
static void test_every_truncation(void **state)
{
    (void)state;
    const char *frames[] = {
        "{\"event\":\"start\",\"sequenceNumber\":\"1\",\"start\":{\"accountSid\":\"" AC "\",\"streamSid\":\"" MZ
        "\",\"callSid\":\"" CA "\",\"tracks\":[\"inbound\"],\"customParameters\":{\"token\":\"t\"},"
        "\"mediaFormat\":{\"encoding\":\"audio/x-mulaw\",\"sampleRate\":8000,\"channels\":1}},\"streamSid\":\"" MZ "\"}",
        "{\"event\":\"media\",\"sequenceNumber\":\"3\",\"media\":{\"track\":\"inbound\",\"chunk\":\"2\","
        "\"timestamp\":\"40\",\"payload\":\"/////w==\"},\"streamSid\":\"" MZ "\"}",
    };
    for (size_t f = 0; f < 2; f++) {
        size_t n = strlen(frames[f]);
        for (size_t len = 0; len < n; len++) {
            char *copy = malloc(len ? len : 1);
            memcpy(copy, frames[f], len);
            assert_int_equal(hk_twilio_msg_parse(copy, len, &m, err, sizeof err), HK_TWILIO_MSG_EMALFORMED);
            free(copy);
        }
        assert_int_equal(hk_twilio_msg_parse(frames[f], n, &m, err, sizeof err), HK_TWILIO_MSG_OK);
    }
}

static void test_build(void **state)
{
    (void)state;
    char out[512];
    int n;
    n = hk_twilio_msg_build_clear(out, sizeof out, MZ);
    assert_int_equal(n, strlen(out));
    assert_string_equal(out, "{\"event\":\"clear\",\"streamSid\":\"" MZ "\"}");
    n = hk_twilio_msg_build_mark(out, sizeof out, MZ, "turn-1");
    assert_int_equal(n, strlen(out));
    assert_string_equal(out, "{\"event\":\"mark\",\"streamSid\":\"" MZ "\",\"mark\":{\"name\":\"turn-1\"}}");
    const uint8_t audio[] = {0xFF, 0x7F, 0x00};
    n = hk_twilio_msg_build_media(out, sizeof out, MZ, audio, 3);
    assert_int_equal(n, strlen(out));
    assert_string_equal(out, "{\"event\":\"media\",\"streamSid\":\"" MZ "\",\"media\":{\"payload\":\"/38A\"}}");
    n = hk_twilio_msg_build_media(out, sizeof out, MZ, NULL, 0);
    assert_int_equal(n, strlen(out));
    assert_string_equal(out, "{\"event\":\"media\",\"streamSid\":\"" MZ "\",\"media\":{\"payload\":\"\"}}");
    /* Refused: strings needing JSON escapes, NULLs. */
    assert_int_equal(hk_twilio_msg_build_mark(out, sizeof out, MZ, "a\"b"), -1);
    assert_int_equal(hk_twilio_msg_build_mark(out, sizeof out, MZ, "a\\b"), -1);
    assert_int_equal(hk_twilio_msg_build_mark(out, sizeof out, MZ, "a\nb"), -1);
    assert_int_equal(hk_twilio_msg_build_mark(out, sizeof out, MZ, NULL), -1);
    assert_int_equal(hk_twilio_msg_build_clear(out, sizeof out, NULL), -1);
    assert_int_equal(hk_twilio_msg_build_clear(out, sizeof out, "MZ\"}"), -1);
    assert_int_equal(hk_twilio_msg_build_media(out, sizeof out, MZ, NULL, 3), -1);
    assert_int_equal(hk_twilio_msg_build_media(NULL, 10, MZ, audio, 3), -1);
    assert_true(hk_twilio_msg_build_mark(out, sizeof out, MZ, "caf\xc3\xa9") > 0); /* UTF-8 is fine raw */
}

/* A 160-byte frame: valid JSON that Twilio's parser and ours read back, and
 * -1 for every capacity that cannot hold it. */
static void test_build_media_frame(void **state)
{
    (void)state;
    uint8_t audio[160];
    for (int i = 0; i < 160; i++)
        audio[i] = (uint8_t)(i * 37);
    char out[400];
    int n = hk_twilio_msg_build_media(out, sizeof out, MZ, audio, 160);
    assert_true(n > 0);
    assert_int_equal(n, strlen(out));
    assert_int_equal(n, 216 + strlen("{\"event\":\"media\",\"streamSid\":\"" MZ "\",\"media\":{\"payload\":\"\"}}"));
    cJSON *j = cJSON_Parse(out);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "event")->valuestring, "media");
    cJSON_Delete(j);
    assert_int_equal(parse(out), HK_TWILIO_MSG_OK);
    assert_int_equal(m.payload_len, 160);
    assert_memory_equal(m.payload, audio, 160);
    for (size_t cap = 0; cap <= (size_t)n; cap++) {
        char *b = malloc(cap ? cap : 1);
        assert_int_equal(hk_twilio_msg_build_media(b, cap, MZ, audio, 160), -1);
        assert_int_equal(hk_twilio_msg_build_mark(b, cap < 60 ? cap : 0, MZ, "m"), -1);
        free(b);
    }
    char mark[128];
    int mn = hk_twilio_msg_build_mark(mark, sizeof mark, MZ, "m");
    assert_int_equal(hk_twilio_msg_build_mark(mark, (size_t)mn, MZ, "m"), -1);
    assert_int_equal(hk_twilio_msg_build_mark(mark, (size_t)mn + 1, MZ, "m"), mn);
    int cn = hk_twilio_msg_build_clear(mark, sizeof mark, MZ);
    assert_int_equal(hk_twilio_msg_build_clear(mark, (size_t)cn, MZ), -1);
    assert_int_equal(hk_twilio_msg_build_clear(mark, (size_t)cn + 1, MZ), cn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connected),        cmocka_unit_test(test_start),
        cmocka_unit_test(test_media),            cmocka_unit_test(test_mark_dtmf_stop),
        cmocka_unit_test(test_unknown_event),    cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_every_truncation), cmocka_unit_test(test_build),
        cmocka_unit_test(test_build_media_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
