/* tests/unit/api/api_call_cases: Vapi's /call read side over real HTTP, one
 * case for every store: test_api_call.c (memory) and test_api_call_pg.c (a
 * private PostgreSQL) set up a hark HTTP server with the REST routes on
 * loopback (its loop on a thread of its own) and API keys of two tenants,
 * then run call_cases_run(): calls are written the way a call writes them
 * (hk_store_call_create, message_add, call_end) and read back with curl,
 * field by field: the call object (UUID id and the CallSid as
 * phoneCallProviderId, type, status, times, customer and number), messages in
 * Vapi's roles with tool_calls / tool_call_result, artifact and transcript,
 * costBreakdown from configured prices (LLM tokens included), per-turn latency marks; the list's
 * filters; PATCH {name} only; DELETE answering the call; the seed's {calls,
 * activeCalls}; another tenant's calls as 404.
 * The server, the loop thread and the requests: api_http_harness.h.
 * The including file defines, before including: cases_settle() (the store's
 * writes done), and sets loop, app.store, key_a, key_b and number_id (the
 * phone number +15550002222 of tenant a, as its store keeps it) in its setup
 * before cases_start(). Include after <cmocka.h>. */
#ifndef HK_TEST_API_CALL_CASES_H
#define HK_TEST_API_CALL_CASES_H

#include "api_http_harness.h"
#include "core/config.h"

#define AGENT "5b0e0a2c-1111-4000-8000-00000000a9e7"
#define T0 1764950000.0 /* 2025-12-05T15:53:20Z */
static char number_id[40]; /* tenant a's +15550002222, set by the including file's setup */

static hk_config cfg;

static void msg(const char *sid, const char *tenant, int seq, const char *role, const char *text,
                double ts, const char *tool_calls, const char *tool_results, const double marks[5]) {
    hk_store_message m = {.call_sid = sid, .tenant_id = tenant, .seq = seq, .role = role,
                          .content = text, .ts = ts, .confidence = -1,
                          .tool_calls_json = tool_calls, .tool_results_json = tool_results};
    double none[5] = {-1, -1, -1, -1, -1};
    if (!marks) marks = none;
    m.user_end_ms = marks[0], m.stt_final_ms = marks[1], m.llm_first_token_ms = marks[2];
    m.tts_first_audio_ms = marks[3], m.first_frame_ms = marks[4];
    assert_int_equal(hk_store_message_add(app.store, &m), 0);
}

/* CA1 (tenant a): inbound, answered by AGENT, a booking through a tool, ended.
 * CA2 (tenant a): outbound, still in progress. CA3: tenant b's. */
static void write_calls(void) {
    hk_store *s = app.store;
    hk_store_call c1 = {.call_sid = "CA1", .tenant_id = TA, .agent_id = AGENT, .from = "+15550001111",
                        .to = "+15550002222", .inbound = 1, .start_time = T0};
    assert_int_equal(hk_store_call_create(s, &c1), 0);
    msg("CA1", TA, 0, "assistant", "Hello, Bakery here.", T0 + 1, NULL, NULL, NULL);
    msg("CA1", TA, 1, "user", "Book a table for two", T0 + 5, NULL, NULL,
        (double[5]){4800, 5000, -1, -1, -1});
    msg("CA1", TA, 2, "assistant", "", T0 + 5.5,
        "[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"book\","
        "\"arguments\":\"{\\\"people\\\":2}\"}}]",
        NULL, (double[5]){-1, -1, 5400, -1, -1});
    msg("CA1", TA, 3, "tool", "booked", T0 + 6,
        NULL, "[{\"toolCallId\":\"call_1\",\"name\":\"book\",\"result\":\"booked for 2 at 7pm\"}]",
        NULL); /* as agent/call_llm.c's remember_tool_result writes it */
    msg("CA1", TA, 4, "assistant", "You're booked for 7pm.", T0 + 7, NULL, NULL,
        (double[5]){4800, 5000, 5400, 5600, 5700});
    hk_store_call_summary e = {.call_sid = "CA1", .tenant_id = TA, .end_time = T0 + 120,
                               .duration_s = 120, .ended_reason = "customer-ended-call",
                               .transcript = "stored text", .recording_url = "https://rec.example/1.wav",
                               .latency_json = "{\"turns\":1,\"p50_ms\":900}", .cost_total = -1,
                               .llm_prompt_tokens = 1500, .llm_completion_tokens = 250};
    assert_int_equal(hk_store_call_end(s, &e), 0);
    cases_settle(); /* CA1 in the store before CA2: newest first means CA2 first */
    usleep(5000);  /* createdAt of CA2 a few ms later */
    hk_store_call c2 = {.call_sid = "CA2", .tenant_id = TA, .from = "+15550002222",
                        .to = "+15550003333", .inbound = 0, .status = "ringing", .start_time = T0 + 200};
    assert_int_equal(hk_store_call_create(s, &c2), 0);
    hk_store_call c3 = {.call_sid = "CA3", .tenant_id = TB, .from = "+15550004444",
                        .to = "+15550005555", .inbound = 1, .start_time = T0 + 300};
    assert_int_equal(hk_store_call_create(s, &c3), 0);
    cases_settle();
}

static void check_message(const cJSON *m, const char *role, const char *text, double ts) {
    assert_string_equal(s_of(m, "role"), role);
    if (text) assert_string_equal(s_of(m, "message"), text);
    near(n_of(m, "time"), ts * 1000.0);
    near(n_of(m, "secondsFromStart"), ts - T0);
    near(n_of(m, "endTime"), ts * 1000.0);
    assert_non_null(at(m, "duration"));
}

/* CA1, field by field */
static void check_ca1(const cJSON *c) {
    assert_true(hk_store_is_uuid(s_of(c, "id")));
    assert_string_equal(s_of(c, "orgId"), TA);
    assert_string_equal(s_of(c, "phoneCallProviderId"), "CA1");
    assert_string_equal(s_of(c, "type"), "inboundPhoneCall");
    assert_string_equal(s_of(c, "status"), "ended");
    assert_string_equal(s_of(c, "assistantId"), AGENT);
    assert_string_equal(s_of(at(c, "customer"), "number"), "+15550001111");
    assert_string_equal(s_of(at(c, "phoneNumber"), "number"), "+15550002222");
    assert_string_equal(s_of(c, "startedAt"), "2025-12-05T15:53:20.000Z");
    assert_string_equal(s_of(c, "endedAt"), "2025-12-05T15:55:20.000Z");
    assert_string_equal(s_of(c, "endedReason"), "customer-ended-call");
    double created, updated;
    assert_int_equal(hk_store_time_parse(s_of(c, "createdAt"), &created), 0);
    assert_int_equal(hk_store_time_parse(s_of(c, "updatedAt"), &updated), 0);
    assert_true(updated >= created);
    assert_string_equal(s_of(c, "recordingUrl"), "https://rec.example/1.wav");

    const cJSON *ms = at(c, "messages");
    assert_int_equal(cJSON_GetArraySize(ms), 5);
    check_message(cJSON_GetArrayItem(ms, 0), "bot", "Hello, Bakery here.", T0 + 1);
    check_message(cJSON_GetArrayItem(ms, 1), "user", "Book a table for two", T0 + 5);
    const cJSON *tc = cJSON_GetArrayItem(ms, 2);
    check_message(tc, "tool_calls", NULL, T0 + 5.5);
    const cJSON *call0 = cJSON_GetArrayItem(at(tc, "toolCalls"), 0);
    assert_string_equal(s_of(call0, "id"), "call_1");
    assert_string_equal(s_of(at(call0, "function"), "name"), "book");
    const cJSON *tr = cJSON_GetArrayItem(ms, 3);
    check_message(tr, "tool_call_result", NULL, T0 + 6);
    assert_string_equal(s_of(tr, "toolCallId"), "call_1");
    assert_string_equal(s_of(tr, "name"), "book");
    assert_string_equal(s_of(tr, "result"), "booked for 2 at 7pm");
    check_message(cJSON_GetArrayItem(ms, 4), "bot", "You're booked for 7pm.", T0 + 7);

    const char *want = "AI: Hello, Bakery here.\nUser: Book a table for two\nAI: You're booked for 7pm.\n";
    assert_string_equal(s_of(c, "transcript"), want);
    const cJSON *art = at(c, "artifact");
    assert_string_equal(s_of(art, "transcript"), want);
    assert_true(cJSON_Compare(at(art, "messages"), ms, 1));
    assert_string_equal(s_of(art, "recordingUrl"), "https://rec.example/1.wav");
    assert_true(cJSON_IsNull(at(art, "stereoRecordingUrl")));

    /* 120 s at $0.50 + $0.25 a minute; 41 characters spoken at $2 per 1000;
     * 1500 prompt tokens at $1 and 250 completion tokens at $4 per 1000 */
    const cJSON *cb = at(c, "costBreakdown");
    near(n_of(cb, "transport"), 1.0);
    near(n_of(cb, "stt"), 0.5);
    near(n_of(cb, "tts"), 0.082);
    near(n_of(cb, "llm"), 2.5);
    near(n_of(cb, "vapi"), 0);
    near(n_of(cb, "total"), 4.082);
    near(n_of(cb, "ttsCharacters"), 41);
    near(n_of(cb, "llmPromptTokens"), 1500);
    near(n_of(cb, "llmCompletionTokens"), 250);
    near(n_of(c, "cost"), 4.082);
    const cJSON *model = NULL, *k;
    cJSON_ArrayForEach(k, at(c, "costs"))
        if (!strcmp(s_of(k, "type"), "model")) model = k;
    assert_non_null(model);
    near(n_of(model, "cost"), 2.5);

    const cJSON *hark = at(at(c, "metadata"), "hark");
    const cJSON *turns = at(hark, "turns");
    assert_int_equal(cJSON_GetArraySize(turns), 2);
    const cJSON *t1 = cJSON_GetArrayItem(turns, 0), *t2 = cJSON_GetArrayItem(turns, 1);
    assert_true(cJSON_IsNull(at(t1, "userEndMs")));
    near(n_of(t1, "llmFirstTokenMs"), 5400);
    near(n_of(t2, "userEndMs"), 4800);
    near(n_of(t2, "sttFinalMs"), 5000);
    near(n_of(t2, "llmFirstTokenMs"), 5400);
    near(n_of(t2, "ttsFirstAudioMs"), 5600);
    near(n_of(t2, "firstFrameMs"), 5700);
    near(n_of(t2, "userEndToFirstFrameMs"), 900);
    near(n_of(at(hark, "latency"), "p50_ms"), 900);
    near(n_of(at(hark, "usage"), "telephonySeconds"), 120);
    near(n_of(at(hark, "usage"), "llmPromptTokens"), 1500);
    assert_int_equal(cJSON_GetArraySize(at(at(hark, "usage"), "unrecorded")), 0);
}

static int count(const reply *r) { return cJSON_IsArray(r->json) ? cJSON_GetArraySize(r->json) : -1; }

static void call_cases_run(void) {
    harness_loop_start();
    reply all[40];
    int n = 0;
#define R(m, p, k, b) (all[n] = req(m, p, k, b), &all[n++])

    /* the list: bare array, newest first */
    reply *l = R("GET", "/call", key_a, NULL);
    assert_int_equal(l->status, 200);
    assert_int_equal(count(l), 2);
    const cJSON *ca2 = cJSON_GetArrayItem(l->json, 0), *ca1 = cJSON_GetArrayItem(l->json, 1);
    assert_string_equal(s_of(ca2, "phoneCallProviderId"), "CA2");
    check_ca1(ca1);
    assert_string_equal(s_of(ca2, "type"), "outboundPhoneCall");
    assert_string_equal(s_of(ca2, "status"), "ringing");
    assert_string_equal(s_of(at(ca2, "customer"), "number"), "+15550003333");
    assert_true(cJSON_IsNull(at(ca2, "endedAt")));
    assert_true(cJSON_IsNull(at(ca2, "assistantId")));
    assert_int_equal(cJSON_GetArraySize(at(ca2, "messages")), 0);
    /* still going: no tokens stored yet, but known (0), not null */
    near(n_of(at(ca2, "costBreakdown"), "llmPromptTokens"), 0);
    near(n_of(at(ca2, "costBreakdown"), "llm"), 0);
    char id1[40], id2[40], created1[32], p[256];
    snprintf(id1, sizeof id1, "%s", s_of(ca1, "id"));
    snprintf(id2, sizeof id2, "%s", s_of(ca2, "id"));
    snprintf(created1, sizeof created1, "%s", s_of(ca1, "createdAt"));
    assert_string_not_equal(id1, id2);

    /* by id: the UUID, or the CallSid */
    snprintf(p, sizeof p, "/call/%s", id1);
    reply *g = R("GET", p, key_a, NULL);
    assert_int_equal(g->status, 200);
    assert_true(cJSON_Compare(g->json, ca1, 1));
    reply *gs = R("GET", "/call/CA1", key_a, NULL);
    assert_int_equal(gs->status, 200);
    assert_string_equal(s_of(gs->json, "id"), id1);
    assert_int_equal(R("GET", "/call/CA404", key_a, NULL)->status, 404);

    /* filters */
    reply *l1 = R("GET", "/call?limit=1", key_a, NULL);
    assert_int_equal(count(l1), 1);
    assert_string_equal(s_of(cJSON_GetArrayItem(l1->json, 0), "id"), id2);
    reply *la = R("GET", "/call?assistantId=" AGENT, key_a, NULL);
    assert_int_equal(count(la), 1);
    assert_string_equal(s_of(cJSON_GetArrayItem(la->json, 0), "id"), id1);
    snprintf(p, sizeof p, "/call?id=%s", id2);
    reply *li = R("GET", p, key_a, NULL);
    assert_int_equal(count(li), 1);
    assert_string_equal(s_of(cJSON_GetArrayItem(li->json, 0), "id"), id2);
    snprintf(p, sizeof p, "/call?createdAtGt=%s", created1);
    reply *lg = R("GET", p, key_a, NULL);
    assert_int_equal(count(lg), 1);
    assert_string_equal(s_of(cJSON_GetArrayItem(lg->json, 0), "id"), id2);
    snprintf(p, sizeof p, "/call?createdAtLe=%s", created1);
    reply *lle = R("GET", p, key_a, NULL);
    assert_int_equal(count(lle), 1);
    assert_string_equal(s_of(cJSON_GetArrayItem(lle->json, 0), "id"), id1);
    assert_int_equal(count(R("GET", "/call?updatedAtLt=2020-01-01T00:00:00Z", key_a, NULL)), 0);
    assert_int_equal(count(R("GET", "/call?updatedAtGe=2020-01-01", key_a, NULL)), 2);
    assert_int_equal(R("GET", "/call?createdAtGt=yesterday", key_a, NULL)->status, 400);
    assert_int_equal(R("GET", "/call?assistantId=front_desk", key_a, NULL)->status, 400);
    assert_int_equal(R("GET", "/call?limit=-1", key_a, NULL)->status, 400);
    /* CA1 came in on tenant a's number, CA2 went out from it; to tenant b
     * that number does not exist */
    snprintf(p, sizeof p, "/call?phoneNumberId=%s", number_id);
    assert_int_equal(count(R("GET", p, key_a, NULL)), 2);
    assert_int_equal(count(R("GET", p, key_b, NULL)), 0);
    assert_int_equal(count(R("GET", "/call?phoneNumberId=6c0ffee0-9999-4000-8000-000000000999", key_a,
                             NULL)), 0);

    /* tenant b sees only its own */
    reply *lb = R("GET", "/call", key_b, NULL);
    assert_int_equal(count(lb), 1);
    assert_string_equal(s_of(cJSON_GetArrayItem(lb->json, 0), "phoneCallProviderId"), "CA3");
    assert_string_equal(s_of(cJSON_GetArrayItem(lb->json, 0), "orgId"), TB);
    snprintf(p, sizeof p, "/call/%s", id1);
    reply *gb = R("GET", p, key_b, NULL);
    assert_int_equal(gb->status, 404);
    assert_int_equal((int)n_of(gb->json, "statusCode"), 404);
    assert_int_equal(R("GET", "/call/CA1", key_b, NULL)->status, 404);
    assert_int_equal(R("PATCH", p, key_b, "{\"name\":\"mine\"}")->status, 404);
    assert_int_equal(R("DELETE", p, key_b, "{}")->status, 404);

    /* PATCH takes name and nothing else */
    reply *pt = R("PATCH", p, key_a, "{\"name\":\"Booking\"}");
    assert_int_equal(pt->status, 200);
    assert_string_equal(s_of(pt->json, "name"), "Booking");
    assert_string_equal(s_of(pt->json, "id"), id1);
    assert_true(strcmp(s_of(pt->json, "updatedAt"), s_of(ca1, "updatedAt")) > 0);
    reply *pbad = R("PATCH", p, key_a, "{\"name\":\"x\",\"status\":\"ended\"}");
    assert_int_equal(pbad->status, 400);
    assert_int_equal(R("PATCH", p, key_a, "{\"name\":5}")->status, 400);
    assert_string_equal(s_of(R("GET", p, key_a, NULL)->json, "name"), "Booking");

    /* the seed's dashboard route */
    reply *va = R("GET", "/api/v1/voice-agents/calls?tenantId=" TA, key_a, NULL);
    assert_int_equal(va->status, 200);
    assert_int_equal(cJSON_GetArraySize(at(va->json, "calls")), 2);
    const cJSON *act = at(va->json, "activeCalls");
    assert_int_equal(cJSON_GetArraySize(act), 1);
    const cJSON *a0 = cJSON_GetArrayItem(act, 0);
    assert_string_equal(s_of(a0, "id"), id2);
    assert_string_equal(s_of(a0, "from"), "+15550002222");
    assert_string_equal(s_of(a0, "to"), "+15550003333");
    const cJSON *h1 = cJSON_GetArrayItem(at(va->json, "calls"), 1);
    near(n_of(h1, "duration"), 120);
    assert_string_equal(s_of(h1, "startTime"), "2025-12-05T15:53:20.000Z");
    assert_int_equal(R("GET", "/api/v1/voice-agents/calls?tenantId=" TB, key_a, NULL)->status, 404);
    assert_int_equal(R("GET", "/api/v1/voice-agents/calls", key_a, NULL)->status, 400);
    reply *vb = R("GET", "/api/v1/voice-agents/calls?tenantId=" TB, key_b, NULL);
    assert_int_equal(cJSON_GetArraySize(at(vb->json, "calls")), 1);
    assert_int_equal(cJSON_GetArraySize(at(vb->json, "activeCalls")), 1);

    /* DELETE answers the call, messages and all, then it is gone */
    reply *d = R("DELETE", p, key_a, "{}");
    assert_int_equal(d->status, 200);
    assert_string_equal(s_of(d->json, "id"), id1);
    assert_int_equal(cJSON_GetArraySize(at(d->json, "messages")), 5);
    assert_int_equal(R("GET", p, key_a, NULL)->status, 404);
    assert_int_equal(R("GET", "/call/CA1", key_a, NULL)->status, 404);
    assert_int_equal(count(R("GET", "/call", key_a, NULL)), 1);
    assert_int_equal(count(R("GET", "/call", key_b, NULL)), 1);
#undef R

    harness_loop_stop();
    for (int i = 0; i < n; i++) cJSON_Delete(all[i].json);
}


/* after the store and the keys: prices, the calls, the server */
static int cases_start(void) {
    /* prices: telephony $0.50/min, STT $0.25/min, TTS $2 per 1000 characters */
    hk_config_set(&cfg, HK_CFG_HARK_PRICE_TELEPHONY_PER_MIN, "0.5");
    hk_config_set(&cfg, HK_CFG_HARK_PRICE_STT_PER_MIN, "0.25");
    hk_config_set(&cfg, HK_CFG_HARK_PRICE_TTS_PER_1K_CHARS, "2");
    hk_config_set(&cfg, HK_CFG_HARK_PRICE_LLM_PER_1K_PROMPT, "1");
    hk_config_set(&cfg, HK_CFG_HARK_PRICE_LLM_PER_1K_COMPLETION, "4");
    app.cfg = &cfg;
    app.loop = loop;
    write_calls();
    return harness_serve();
}

static void cases_stop(void) {
    hk_server_free(srv);
    hk_store_free(app.store);
    hk_config_free(&cfg);
}

#endif
