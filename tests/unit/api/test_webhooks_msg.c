/* tests/unit/api/test_webhooks_msg: the bodies of the best-effort Vapi
 * server messages (api/webhooks_msg.c) built from a call's events, hark's
 * webhook signature (net/webhook_sig.c) against a vector computed with
 * Python's hmac, and the best-effort queue's bounds with a receiver that
 * never answers (one request in flight per call, a waiting
 * conversation-update replaced by the next, 16 per call, the rest dropped).
 * The call is a bare struct with a few messages: no pipeline, no VM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <ev.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/call.h"
#include "agent/call_events.h"
#include "api/webhooks.h"
#include "core/config.h"
#include "net/webhook_sig.h"

static struct {
    struct ev_loop *loop;
    hk_clock *clock;
    hk_agent agent;
    hk_call call;
} T;

static void add(int role, const char *text, double start, double end) {
    hk_call *c = &T.call;
    hk_message *m = &c->msgs[c->n_msgs++];
    memset(m, 0, sizeof *m);
    m->role = role;
    m->text = strdup(text);
    m->start = start;
    m->end = end;
    m->turn = -1;
}

static int setup(void **state) {
    (void)state;
    memset(&T, 0, sizeof T);
    T.loop = ev_loop_new(0);
    T.clock = hk_clock_new(T.loop, 1);
    T.agent.id = "front_desk";
    T.agent.name = "Front desk";
    T.agent.system_prompt = "You are a receptionist.";
    hk_call *c = &T.call;
    snprintf(c->id, sizeof c->id, "CA123");
    snprintf(c->from, sizeof c->from, "+15551230000");
    snprintf(c->to, sizeof c->to, "+15550199");
    snprintf(c->tenant_id, sizeof c->tenant_id, "%s", HK_DEFAULT_TENANT);
    c->agent = &T.agent;
    c->clock = T.clock;
    c->inbound = 1;
    c->msgs = calloc(8, sizeof *c->msgs);
    add(HK_ROLE_ASSISTANT, "Hello, how can", 0.1, 1.0); /* cut by a barge-in: as heard */
    add(HK_ROLE_USER, "book a table", 1.2, 2.0);
    add(HK_ROLE_TOOL_CALLS, "", 2.5, 2.5);
    c->msgs[2].tool_json = strdup("[{\"id\":\"call_1\",\"type\":\"function\",\"function\":"
                                  "{\"name\":\"book\",\"arguments\":\"{}\"}}]");
    add(HK_ROLE_TOOL_RESULT, "booked", 2.6, 2.6);
    c->msgs[3].tool_call_id = strdup("call_1");
    c->msgs[3].tool_json = strdup("[{\"toolCallId\":\"call_1\",\"name\":\"book\",\"result\":\"booked\"}]");
    add(HK_ROLE_ASSISTANT, "Booked.", 3.0, -1); /* still playing: not yet in the conversation */
    add(HK_ROLE_ASSISTANT, "never heard", 3.0, 3.0);
    c->msgs[5].dropped = 1;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    for (int i = 0; i < T.call.n_msgs; i++) {
        free(T.call.msgs[i].text);
        free(T.call.msgs[i].tool_json);
        free(T.call.msgs[i].tool_call_id);
    }
    free(T.call.msgs);
    hk_clock_free(T.clock);
    ev_loop_destroy(T.loop);
    return 0;
}

static cJSON *build(const hk_call_event *ev) {
    char *s = hk_webhooks_build_event(&T.call, ev, 1.8e9);
    assert_non_null(s);
    cJSON *root = cJSON_Parse(s);
    free(s);
    assert_non_null(root);
    cJSON *m = cJSON_DetachItemFromObject(root, "message");
    cJSON_Delete(root);
    assert_non_null(m);
    /* the envelope */
    cJSON *call = cJSON_GetObjectItem(m, "call");
    assert_string_equal(cJSON_GetObjectItem(call, "id")->valuestring, "CA123");
    assert_string_equal(cJSON_GetObjectItem(call, "type")->valuestring, "inboundPhoneCall");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "customer"), "number")->valuestring,
                        "+15551230000");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "assistant"), "name")->valuestring,
                        "Front desk");
    assert_true(cJSON_GetObjectItem(m, "timestamp")->valuedouble == 1.8e12);
    return m;
}

static const char *str(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItem(o, k);
    assert_true(cJSON_IsString(v));
    return v->valuestring;
}

/* The end-of-call report names a local recording by the URL hark serves it
 * at (GET /call/{id}/recording), as GET /call does, never by its file://
 * path on the server's disk; and it carries the call's cost, priced like
 * GET /call prices the stored record (api/call_cost). */
static void test_report_recording_url(void **state) {
    (void)state;
    hk_config cfg = {0};
    assert_int_equal(hk_config_set(&cfg, HK_CFG_TWILIO_WEBHOOK_URL,
                                   "https://calls.example.com/api/v1/voice-agents/twilio/webhook"),
                     0);
    /* TTS $1 a character: 21 heard ("Hello, how can" + "Booked."; the dropped
     * line not); LLM $2 / 1k prompt and $4 / 1k completion tokens */
    assert_int_equal(hk_config_set(&cfg, HK_CFG_HARK_PRICE_TTS_PER_1K_CHARS, "1000"), 0);
    assert_int_equal(hk_config_set(&cfg, HK_CFG_HARK_PRICE_LLM_PER_1K_PROMPT, "2"), 0);
    assert_int_equal(hk_config_set(&cfg, HK_CFG_HARK_PRICE_LLM_PER_1K_COMPLETION, "4"), 0);
    T.call.llm_prompt_tokens = 1500;
    T.call.llm_completion_tokens = 250;
    snprintf(T.call.recording_url, sizeof T.call.recording_url, "file:///srv/hark/var/rec/CA123.wav");
    T.call.started = 1;
    for (int with_cfg = 0; with_cfg < 2; with_cfg++) {
        hk_webhooks_set_config(with_cfg ? &cfg : NULL);
        char *s = hk_webhooks_build(&T.call, "report", 1.8e9);
        assert_non_null(s);
        cJSON *root = cJSON_Parse(s);
        free(s);
        cJSON *m = cJSON_GetObjectItem(root, "message");
        const char *want = with_cfg ? "https://calls.example.com/call/CA123/recording"
                                    : "file:///srv/hark/var/rec/CA123.wav";
        assert_string_equal(str(m, "recordingUrl"), want);
        assert_string_equal(str(cJSON_GetObjectItem(m, "artifact"), "recordingUrl"), want);
        cJSON *cb = cJSON_GetObjectItem(m, "costBreakdown");
        assert_non_null(cb);
        assert_true(cJSON_GetObjectItem(cb, "llmPromptTokens")->valuedouble == 1500);
        assert_true(cJSON_GetObjectItem(cb, "llmCompletionTokens")->valuedouble == 250);
        assert_true(cJSON_GetObjectItem(cb, "ttsCharacters")->valuedouble == 21);
        if (with_cfg) {
            assert_true(cJSON_GetObjectItem(cb, "llm")->valuedouble == 4.0);
            assert_true(cJSON_GetObjectItem(cb, "tts")->valuedouble == 21.0);
            assert_true(cJSON_GetObjectItem(m, "cost")->valuedouble == 25.0);
        } else {
            assert_true(cJSON_GetObjectItem(m, "cost")->valuedouble == 0); /* no prices */
        }
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(m, "costs")), 5);
        cJSON_Delete(root);
    }
    hk_webhooks_set_config(NULL);
    T.call.recording_url[0] = 0;
    T.call.llm_prompt_tokens = T.call.llm_completion_tokens = 0;
    hk_config_free(&cfg);
}

static void test_transcript(void **state) {
    (void)state;
    hk_call_event ev = {.type = HK_CE_TRANSCRIPT, .role = "user", .text = "book a", .final = 0, .turn = -1};
    cJSON *m = build(&ev);
    assert_string_equal(str(m, "type"), "transcript");
    assert_string_equal(str(m, "role"), "user");
    assert_string_equal(str(m, "transcriptType"), "partial");
    assert_string_equal(str(m, "transcript"), "book a");
    cJSON_Delete(m);
    ev.final = 1;
    ev.role = "assistant";
    m = build(&ev);
    assert_string_equal(str(m, "transcriptType"), "final");
    assert_string_equal(str(m, "role"), "assistant");
    cJSON_Delete(m);
}

static void test_speech_hang_interrupted(void **state) {
    (void)state;
    hk_call_event ev = {.type = HK_CE_SPEECH, .role = "assistant", .status = "stopped", .turn = 2};
    cJSON *m = build(&ev);
    assert_string_equal(str(m, "type"), "speech-update");
    assert_string_equal(str(m, "status"), "stopped");
    assert_string_equal(str(m, "role"), "assistant");
    assert_int_equal(cJSON_GetObjectItem(m, "turn")->valueint, 2);
    cJSON_Delete(m);
    hk_call_event hang = {.type = HK_CE_HANG, .turn = 1};
    m = build(&hang);
    assert_string_equal(str(m, "type"), "hang");
    cJSON_Delete(m);
    hk_call_event intr = {.type = HK_CE_INTERRUPTED, .turn = 0};
    m = build(&intr);
    assert_string_equal(str(m, "type"), "user-interrupted");
    assert_string_equal(str(m, "turnId"), "CA123:0");
    cJSON_Delete(m);
    /* events that are not Vapi messages (or not this file's) build nothing */
    hk_call_event st = {.type = HK_CE_STATE, .status = "speaking"};
    assert_null(hk_webhooks_build_event(&T.call, &st, 1.8e9));
    hk_call_event tc = {.type = HK_CE_TOOL_CALL};
    assert_null(hk_webhooks_build_event(&T.call, &tc, 1.8e9));
}

static void test_conversation(void **state) {
    (void)state;
    hk_call_event ev = {.type = HK_CE_CONVERSATION, .turn = 0};
    cJSON *m = build(&ev);
    assert_string_equal(str(m, "type"), "conversation-update");
    const cJSON *msgs = cJSON_GetObjectItem(m, "messages");
    const cJSON *oai = cJSON_GetObjectItem(m, "messagesOpenAIFormatted");
    /* system, the heard greeting, the caller, the tool call, its result;
     * not the line still playing, not the dropped one */
    assert_int_equal(cJSON_GetArraySize(msgs), 5);
    assert_int_equal(cJSON_GetArraySize(oai), 5);
    const char *roles[] = {"system", "bot", "user", "tool_calls", "tool_call_result"};
    const char *oroles[] = {"system", "assistant", "user", "assistant", "tool"};
    for (int i = 0; i < 5; i++) {
        assert_string_equal(str(cJSON_GetArrayItem(msgs, i), "role"), roles[i]);
        assert_string_equal(str(cJSON_GetArrayItem(oai, i), "role"), oroles[i]);
    }
    assert_string_equal(str(cJSON_GetArrayItem(msgs, 1), "message"), "Hello, how can");
    assert_string_equal(str(cJSON_GetArrayItem(oai, 2), "content"), "book a table");
    const cJSON *b = cJSON_GetArrayItem(msgs, 1);
    assert_true(cJSON_GetObjectItem(b, "secondsFromStart")->valuedouble == 0.1);
    const cJSON *tc = cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 3), "toolCalls");
    assert_string_equal(str(cJSON_GetArrayItem(tc, 0), "id"), "call_1");
    const cJSON *otc = cJSON_GetObjectItem(cJSON_GetArrayItem(oai, 3), "tool_calls");
    assert_int_equal(cJSON_GetArraySize(otc), 1);
    const cJSON *res = cJSON_GetArrayItem(msgs, 4);
    assert_string_equal(str(res, "toolCallId"), "call_1");
    assert_string_equal(str(res, "name"), "book");
    assert_string_equal(str(res, "result"), "booked");
    assert_string_equal(str(cJSON_GetArrayItem(oai, 4), "tool_call_id"), "call_1");
    cJSON_Delete(m);
}

static void test_signature(void **state) {
    (void)state;
    char out[128];
    const char *body = "{\"a\":1}";
    assert_int_equal(hk_webhook_signature("s3cret", 1700000000, body, strlen(body), out, sizeof out), 0);
    /* python3: hmac.new(b"s3cret", b'1700000000.{"a":1}', hashlib.sha256).hexdigest() */
    assert_string_equal(out, "t=1700000000,v1=1698a50bc74d1ff1db85c4e0a5297c2ad9fdba245d5737cdb789e4cc6e098940");
    char other[128];
    assert_int_equal(hk_webhook_signature("s3cret", 1700000001, body, strlen(body), other, sizeof other), 0);
    assert_string_not_equal(strchr(out, 'v'), strchr(other, 'v'));
    assert_int_equal(hk_webhook_signature("s3cret", 1, body, strlen(body), out, 50), -1);
}

static void test_best_effort_bounds(void **state) {
    (void)state;
    /* a receiver that takes the connection and never answers */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 64), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    char url[64], err[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", ntohs(a.sin_port));
    T.agent.server_url = url;
    T.agent.server_timeout_s = 60;
    T.agent.server_messages = HK_SM_DEFAULT;
    assert_int_equal(hk_webhooks_init(T.loop, NULL, NULL, err, sizeof err), 0);
    long dropped0 = 0;
    hk_webhooks_stats(&dropped0, NULL);
    hk_call_event sp = {.type = HK_CE_SPEECH, .role = "user", .status = "started", .turn = 0};
    hk_call_emit(&T.call, &sp); /* in flight */
    hk_call_event conv = {.type = HK_CE_CONVERSATION, .turn = 0};
    for (int i = 0; i < 20; i++) hk_call_emit(&T.call, &conv);
    assert_int_equal(hk_webhooks_pending(), 2); /* the speech-update and the latest conversation */
    hk_call_event tr = {.type = HK_CE_TRANSCRIPT, .role = "user", .text = "x", .final = 1};
    hk_call_emit(&T.call, &tr); /* not asked for: not queued */
    assert_int_equal(hk_webhooks_pending(), 2);
    for (int i = 0; i < 30; i++) hk_call_emit(&T.call, &sp);
    assert_int_equal(hk_webhooks_pending(), 16); /* one in flight, 15 waiting */
    long dropped = 0;
    hk_webhooks_stats(&dropped, NULL);
    assert_int_equal(dropped - dropped0, 30 - 14);
    /* another call has its own queue */
    hk_call other = T.call;
    snprintf(other.id, sizeof other.id, "CA999");
    hk_call_emit(&other, &sp);
    assert_int_equal(hk_webhooks_pending(), 17);
    hk_webhooks_shutdown();
    assert_int_equal(hk_webhooks_pending(), 0);
    close(fd);
    T.agent.server_url = NULL;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_recording_url),
        cmocka_unit_test(test_transcript),
        cmocka_unit_test(test_speech_hang_interrupted),
        cmocka_unit_test(test_conversation),
        cmocka_unit_test(test_signature),
        cmocka_unit_test(test_best_effort_bounds),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
