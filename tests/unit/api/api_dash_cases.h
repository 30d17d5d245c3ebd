/* tests/unit/api/api_dash_cases: the dashboard's data over real HTTP, one
 * case for every store: test_api_dash.c (memory) and test_api_dash_pg.c (a
 * private PostgreSQL, sealed content) set up a hark HTTP server with the
 * REST routes on loopback (its loop on a thread) and API keys of two
 * tenants, then run dash_cases_run(): GET /call's hark filters (endedReason,
 * durationGe/Le, q: whole words, case-folded, all of them, the tenant's calls
 * only), keyset paging with createdAtLt + limit (every call once, in order),
 * GET /api/v1/overview (counts, ended reasons, errors, per-agent
 * voice-to-voice percentiles against known marks, another tenant's calls
 * never counted), and /api/v1/api-keys (create shown once, list without
 * hashes, lastUsedAt set once a key is used, another tenant's key a 404,
 * revoke, the revoked key refused).
 * The server, the loop thread and the requests: api_http_harness.h.
 * The including file defines cases_settle() (the store's writes done),
 * add_key_row(tenant, key) (an API key as its store keeps it) and
 * make_tie(a, b, c) (those calls of tenant a created in one millisecond, in
 * that order, newest first; 0 when its store cannot), and sets
 * loop and app.store before dash_cases_start(). Include after <cmocka.h>. */
#ifndef HK_TEST_API_DASH_CASES_H
#define HK_TEST_API_DASH_CASES_H

#include <time.h>

#include "api_http_harness.h"
#include "core/config.h"

#define AG1 "5b0e0a2c-1111-4000-8000-00000000a9e1"
#define AG2 "5b0e0a2c-1111-4000-8000-00000000a9e2"
#define PAGED 20 /* plain calls of tenant a, for paging */

static hk_config cfg;

static int count(const reply *r) {
    if (r->status != 200) fail_msg("status %ld: %s", r->status, r->text ? r->text : "");
    return cJSON_IsArray(r->json) ? cJSON_GetArraySize(r->json) : -1;
}

/* the CallSids (phoneCallProviderId) of a list, comma-joined, in order */
static const char *sids(const reply *r, char *out, size_t cap) {
    size_t len = 0;
    out[0] = 0;
    const cJSON *c;
    assert_int_equal(r->status, 200);
    cJSON_ArrayForEach(c, r->json)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? "," : "",
                                s_of(c, "phoneCallProviderId"));
    return out;
}

/* one call: created, its transcript as messages (with turn marks
 * {user_end, first_frame} pairs, -1 ended), ended unless reason is NULL */
static void call(const char *sid, const char *tenant, const char *agent, const char *reason,
                 double duration, const char *const *lines, const double *turns) {
    hk_store *s = app.store;
    hk_store_call c = {.call_sid = sid, .tenant_id = tenant, .agent_id = agent, .from = "+15550001111",
                       .to = "+15550002222", .inbound = 1};
    assert_int_equal(hk_store_call_create(s, &c), 0);
    char transcript[1024] = "";
    size_t len = 0;
    for (int i = 0; lines && lines[i]; i++) {
        int user = i % 2 == 0;
        hk_store_message m = {.call_sid = sid, .tenant_id = tenant, .seq = i,
                              .role = user ? "user" : "assistant", .content = lines[i],
                              .confidence = -1, .user_end_ms = -1, .stt_final_ms = -1,
                              .llm_first_token_ms = -1, .tts_first_audio_ms = -1,
                              .first_frame_ms = -1};
        /* the assistant's line closes the turn: its marks */
        if (!user && turns && turns[i - 1] >= 0) {
            m.user_end_ms = turns[i - 1];
            m.first_frame_ms = turns[i];
        }
        assert_int_equal(hk_store_message_add(s, &m), 0);
        len += (size_t)snprintf(transcript + len, sizeof transcript - len, "%s: %s\n",
                                user ? "user" : "assistant", lines[i]);
    }
    if (reason) {
        hk_store_call_summary e = {.call_sid = sid, .tenant_id = tenant, .duration_s = duration,
                                   .ended_reason = reason, .transcript = transcript, .cost_total = -1};
        assert_int_equal(hk_store_call_end(s, &e), 0);
    }
    cases_settle();
    usleep(3000); /* createdAt of the next call a few ms later */
}

static void write_calls(void) {
    char sid[16];
    for (int i = 0; i < PAGED; i++) {
        snprintf(sid, sizeof sid, "CP%02d", i);
        call(sid, TA, NULL, NULL, 0, NULL, NULL);
    }
    /* S1: two turns, voice-to-voice 700 and 900 ms */
    call("S1", TA, AG1, "customer-ended-call", 30,
         (const char *const[]){"I want to book a table", "Booked for Tuesday.", "Thanks",
                               "You're welcome", NULL},
         (const double[]){1000, 1700, 5000, 5900});
    /* S2: one turn of 1500 ms, an error */
    call("S2", TA, AG1, "pipeline-error-openai-llm-failed", 5,
         (const char *const[]){"hello", "Sorry, something broke", NULL},
         (const double[]){2000, 3500});
    /* S3: 400 ms; a turn without marks (not counted); upper case */
    call("S3", TA, AG2, "assistant-ended-call", 120,
         (const char *const[]){"BOOK a room", "Done, room booked", "ok", "bye", NULL},
         (const double[]){300, 700, -1, -1});
    /* S4: in progress */
    call("S4", TA, AG2, NULL, 0, (const char *const[]){"book", NULL}, NULL);
    /* tenant b: the same words */
    call("B1", TB, AG1, "customer-ended-call", 30,
         (const char *const[]){"I want to book a table", "Booked for Tuesday.", NULL},
         (const double[]){0, 100});
}

static void check_filters(void) {
    char got[512];
#define L(path, key) sids(req_kept("GET", path, key, NULL), got, sizeof got)
    assert_string_equal(L("/call?endedReason=customer-ended-call", key_a), "S1");
    assert_string_equal(L("/call?endedReason=customer-ended-call", key_b), "B1");
    assert_string_equal(L("/call?endedReason=silence-timed-out", key_a), "");
    assert_string_equal(L("/call?durationGe=30", key_a), "S3,S1");
    assert_string_equal(L("/call?durationLe=30", key_a), "S2,S1");
    assert_string_equal(L("/call?durationGe=10&durationLe=60", key_a), "S1");
    assert_string_equal(L("/call?durationGe=30.5&durationLe=119.9", key_a), "");
    /* words: case-folded, whole, all of them, both speakers */
    assert_string_equal(L("/call?q=book", key_a), "S3,S1");
    assert_string_equal(L("/call?q=BoOk", key_a), "S3,S1");
    assert_string_equal(L("/call?q=book%20table", key_a), "S1");
    assert_string_equal(L("/call?q=tuesday", key_a), "S1");
    assert_string_equal(L("/call?q=room%20BOOKED", key_a), "S3");
    assert_string_equal(L("/call?q=boo", key_a), "");
    assert_string_equal(L("/call?q=user", key_a), ""); /* the transcript's speaker tags */
    assert_string_equal(L("/call?q=book%20dinner", key_a), "");
    assert_string_equal(L("/call?q=book", key_b), "B1");
    assert_string_equal(L("/call?q=book&endedReason=assistant-ended-call", key_a), "S3");
    assert_string_equal(L("/call?q=book&assistantId=" AG1, key_a), "S1");
    assert_string_equal(L("/call?q=book&durationLe=60&limit=1", key_a), "S1");
#undef L
    static const char *bad[] = {"/call?q=", "/call?q=%21%21%21", "/call?q=a%20b%20c%20d%20e%20f%20g%20h%20i",
                                "/call?durationGe=abc", "/call?durationLe=-1", "/call?durationGe=",
                                "/call?endedReason=", NULL};
    for (int i = 0; bad[i]; i++) {
        reply *r = req_kept("GET", bad[i], key_a, NULL);
        if (r->status != 400) fail_msg("%s: %ld", bad[i], r->status);
    }
}

/* pages of limit by createdAtLt: every call of tenant a once, newest first;
 * the first page's length */
static int walk_pages(int limit) {
    char all[1024], page[512], path[256], joined[1024] = "";
    int first = -1;
    sids(req_kept("GET", "/call?limit=1000", key_a, NULL), all, sizeof all);
    assert_int_equal(count(req_kept("GET", "/call?limit=1000", key_a, NULL)), PAGED + 4);
    snprintf(path, sizeof path, "/call?limit=%d", limit);
    for (int pages = 0;; pages++) {
        assert_true(pages < 30);
        reply *r = req_kept("GET", path, key_a, NULL);
        int n = count(r);
        if (first < 0) first = n;
        sids(r, page, sizeof page);
        if (n && joined[0]) strcat(joined, ",");
        strcat(joined, page);
        if (n < limit) break;
        const char *last = s_of(cJSON_GetArrayItem(r->json, n - 1), "createdAt");
        snprintf(path, sizeof path, "/call?limit=%d&createdAtLt=%s", limit, last);
    }
    assert_string_equal(joined, all);
    return first;
}

static void check_paging(void) {
    char page[512], path[256];
    assert_int_equal(walk_pages(7), 7);
    assert_int_equal(walk_pages(1), 1);
    /* CP07, CP06, CP05 created in one millisecond: a page of 17 ends at CP07
     * and carries the other two, the next starts at CP04 */
    if (make_tie("CP07", "CP06", "CP05")) {
        assert_int_equal(walk_pages(17), 19);
        assert_int_equal(walk_pages(7), 7);
        assert_int_equal(walk_pages(1), 1);
    }
    /* with a filter too */
    sids(req_kept("GET", "/call?q=book&limit=1", key_a, NULL), page, sizeof page);
    assert_string_equal(page, "S3");
    reply *r = req_kept("GET", "/call?q=book&limit=1", key_a, NULL);
    snprintf(path, sizeof path, "/call?q=book&limit=1&createdAtLt=%s",
             s_of(cJSON_GetArrayItem(r->json, 0), "createdAt"));
    assert_string_equal(sids(req_kept("GET", path, key_a, NULL), page, sizeof page), "S1");
}

static const cJSON *agent_of(const cJSON *ov, const char *id) {
    const cJSON *a;
    cJSON_ArrayForEach(a, at(ov, "agents")) {
        const char *s = s_of(a, "assistantId");
        if ((!id && !s) || (id && s && !strcmp(s, id))) return a;
    }
    fail_msg("no agent %s", id ? id : "null");
    return NULL;
}

/* the UTC day the calls were written on: "today" is only checked when the
 * checks run on that day too (not across midnight) */
static long day0;

static void today_is(const cJSON *o, double want) {
    if ((long)(time(NULL) / 86400) == day0) near(n_of(o, "callsToday"), want);
}

static void check_overview(void) {
    char around[128], d1[32], d2[32];
    hk_store_time_iso((day0 - 1) * 86400.0, d1);
    hk_store_time_iso((day0 + 1) * 86400.0, d2);
    snprintf(around, sizeof around, "/api/v1/overview?from=%.10s&to=%.10s", d1, d2);
    reply *dflt = req_kept("GET", "/api/v1/overview", key_a, NULL); /* today */
    assert_int_equal(dflt->status, 200);
    today_is(dflt->json, PAGED + 4);
    if ((long)(time(NULL) / 86400) == day0) near(n_of(dflt->json, "callsInRange"), PAGED + 4);
    reply *r = req_kept("GET", around, key_a, NULL);
    assert_int_equal(r->status, 200);
    const cJSON *o = r->json;
    today_is(o, PAGED + 4);
    near(n_of(o, "callsInRange"), PAGED + 4);
    near(n_of(o, "errors"), 1);
    assert_true(cJSON_IsNumber(at(o, "fallbacks")));
    const cJSON *reasons = at(o, "endedReasons");
    assert_int_equal(cJSON_GetArraySize(reasons), 3);
    near(n_of(reasons, "customer-ended-call"), 1);
    near(n_of(reasons, "pipeline-error-openai-llm-failed"), 1);
    near(n_of(reasons, "assistant-ended-call"), 1);
    assert_int_equal(cJSON_GetArraySize(at(o, "agents")), 3);
    /* AG1: turns of 700, 900, 1500 ms: percentile_cont 0.5 = 900, 0.95 = 900 + 0.9 * 600 */
    const cJSON *a1 = agent_of(o, AG1);
    near(n_of(a1, "calls"), 2);
    near(n_of(a1, "p50VoiceToVoiceMs"), 900);
    near(n_of(a1, "p95VoiceToVoiceMs"), 1440);
    assert_non_null(s_of(a1, "name"));
    const cJSON *a2 = agent_of(o, AG2);
    near(n_of(a2, "calls"), 2);
    near(n_of(a2, "p50VoiceToVoiceMs"), 400);
    near(n_of(a2, "p95VoiceToVoiceMs"), 400);
    const cJSON *none = agent_of(o, NULL);
    near(n_of(none, "calls"), PAGED);
    assert_true(cJSON_IsNull(at(none, "p50VoiceToVoiceMs")));

    /* tenant b sees only its call */
    reply *b = req_kept("GET", around, key_b, NULL);
    assert_int_equal(b->status, 200);
    today_is(b->json, 1);
    near(n_of(b->json, "callsInRange"), 1);
    near(n_of(b->json, "errors"), 0);
    const cJSON *b1 = agent_of(b->json, AG1);
    near(n_of(b1, "calls"), 1);
    near(n_of(b1, "p50VoiceToVoiceMs"), 100);

    /* a range in the past: nothing in it, today unchanged */
    reply *p = req_kept("GET", "/api/v1/overview?from=2020-01-01&to=2020-01-31", key_a, NULL);
    assert_int_equal(p->status, 200);
    near(n_of(p->json, "callsInRange"), 0);
    today_is(p->json, PAGED + 4);
    assert_int_equal(cJSON_GetArraySize(at(p->json, "agents")), 0);
    assert_string_equal(s_of(p->json, "from"), "2020-01-01T00:00:00.000Z");
    assert_string_equal(s_of(p->json, "to"), "2020-02-01T00:00:00.000Z"); /* the whole 31st */
    static const char *bad[] = {"/api/v1/overview?from=yesterday",
                                "/api/v1/overview?from=2026-01-02&to=2026-01-01",
                                "/api/v1/overview?from=2020-01-01&to=2026-01-01", NULL};
    for (int i = 0; bad[i]; i++) {
        reply *x = req_kept("GET", bad[i], key_a, NULL);
        if (x->status != 400) fail_msg("%s: %ld", bad[i], x->status);
    }
}

static void no_hash(const reply *r) {
    if (r->text && (strstr(r->text, "hash") || strstr(r->text, "Hash")))
        fail_msg("a hash in %s", r->text);
}

static void check_api_keys(void) {
    reply *l = req_kept("GET", "/api/v1/api-keys", key_a, NULL);
    assert_int_equal(count(l), 1);
    no_hash(l);
    const cJSON *k0 = cJSON_GetArrayItem(l->json, 0);
    assert_int_equal(strncmp(s_of(k0, "prefix"), key_a, HK_APIKEY_PREFIX_LEN), 0);
    assert_true(cJSON_IsNull(at(k0, "revokedAt")));

    assert_int_equal(req_kept("POST", "/api/v1/api-keys", key_a, "{\"name\":5}")->status, 400);
    assert_int_equal(req_kept("POST", "/api/v1/api-keys", key_a, "[1]")->status, 400);
    reply *c = req_kept("POST", "/api/v1/api-keys", key_a, "{\"name\":\"ci deploys\"}");
    assert_int_equal(c->status, 201);
    no_hash(c);
    const char *key = s_of(c->json, "key"), *id = s_of(c->json, "id");
    assert_non_null(key);
    assert_int_equal(strlen(key), HK_APIKEY_LEN);
    assert_int_equal(strncmp(key, "hk_", 3), 0);
    assert_int_equal(strncmp(s_of(c->json, "prefix"), key, HK_APIKEY_PREFIX_LEN), 0);
    assert_true(hk_store_is_uuid(id));
    assert_string_equal(s_of(c->json, "name"), "ci deploys");
    assert_non_null(s_of(c->json, "createdAt"));

    /* the new key works, for tenant a */
    assert_int_equal(count(req_kept("GET", "/call?limit=1000", key, NULL)), PAGED + 4);
    reply *l2 = req_kept("GET", "/api/v1/api-keys", key, NULL);
    assert_int_equal(count(l2), 2);
    no_hash(l2);
    assert_null(s_of(cJSON_GetArrayItem(l2->json, 1), "key")); /* shown once */
    assert_string_equal(s_of(cJSON_GetArrayItem(l2->json, 1), "id"), id);
    /* its use is recorded (a best-effort store write of its own: wait for it) */
    int used = 0;
    for (int i = 0; i < 150 && !used; i++) {
        reply *u = req_kept("GET", "/api/v1/api-keys", key_a, NULL);
        used = cJSON_IsString(at(cJSON_GetArrayItem(u->json, 1), "lastUsedAt"));
        if (!used) usleep(20000);
    }
    assert_true(used);

    /* tenant b neither sees nor revokes it */
    char path[128];
    snprintf(path, sizeof path, "/api/v1/api-keys/%s", id);
    assert_int_equal(count(req_kept("GET", "/api/v1/api-keys", key_b, NULL)), 1);
    assert_int_equal(req_kept("DELETE", path, key_b, NULL)->status, 404);
    assert_int_equal(req_kept("GET", "/call", key, NULL)->status, 200);
    assert_int_equal(req_kept("DELETE", "/api/v1/api-keys/6c0ffee0-0000-4000-8000-000000000000", key_a,
                         NULL)->status, 404);
    assert_int_equal(req_kept("DELETE", "/api/v1/api-keys/nope", key_a, NULL)->status, 404);

    reply *d = req_kept("DELETE", path, key_a, NULL);
    assert_int_equal(d->status, 200);
    no_hash(d);
    assert_string_equal(s_of(d->json, "id"), id);
    const char *when = s_of(d->json, "revokedAt");
    assert_non_null(when);
    /* refused at once on this worker */
    assert_int_equal(req_kept("GET", "/call", key, NULL)->status, 401);
    reply *again = req_kept("DELETE", path, key_a, NULL);
    assert_int_equal(again->status, 200);
    assert_string_equal(s_of(again->json, "revokedAt"), when);
    assert_int_equal(req_kept("GET", "/call", key_a, NULL)->status, 200);
}

static void dash_cases_run(void) {
    harness_loop_start();
    check_filters();
    check_paging();
    check_overview();
    check_api_keys();
    harness_loop_stop();
    replies_free();
}

static int dash_cases_start(void) {
    app.cfg = &cfg;
    app.loop = loop;
    hk_config_set(&cfg, HK_CFG_HARK_API_RATE_PER_SECOND, "0"); /* many requests a second, one key */
    add_key_row(TA, key_a);
    add_key_row(TB, key_b);
    day0 = (long)(time(NULL) / 86400);
    write_calls();
    return harness_serve();
}

static void dash_cases_stop(void) {
    hk_server_free(srv);
    hk_store_free(app.store);
    hk_config_free(&cfg);
}

#endif
