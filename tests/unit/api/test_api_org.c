/* tests/unit/api/test_api_org: Vapi's /org over real HTTP (the memory
 * store, API keys of two tenants, curl as the client): GET /org is the
 * caller's tenant (server null at first), PATCH /org and /org/{own id} set
 * name and server (checked as an assistant's server: refusals name the
 * field), the secret is never served, another tenant's id is a 404 and its
 * org is untouched, legacy serverUrl/serverUrlSecret become a server, null
 * clears it; and store/org_server (the cache webhooks read) sees each PATCH
 * at once, secret and headers included, and puts a call's number's server
 * (that tenant's number only) before the org's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/org.h"
#include "api_http_harness.h"
#include "core/log.h"
#include "store/org_server.h"

static int setup(void **state) {
    (void)state;
    return harness_memory_setup(NULL, "22222222-0000-4000-8000-000000000001",
                                "22222222-0000-4000-8000-000000000002");
}

static reply kept[64];
static int nkept;
static reply keep(reply r) {
    if (nkept < 64) kept[nkept++] = r;
    return r;
}
#define REQ(m, p, k, b) keep(req(m, p, k, b))

/* what the cache says about tenant now (the memory store answers inline) */
typedef struct seen {
    int called;
    char url[256], secret[64], header0[64];
    double timeout_s;
} seen;

static void saw(void *ud, const hk_org_server *srv) {
    seen *s = ud;
    s->called++;
    s->url[0] = s->secret[0] = s->header0[0] = 0;
    if (!srv) return;
    snprintf(s->url, sizeof s->url, "%s", srv->url);
    snprintf(s->secret, sizeof s->secret, "%s", srv->secret ? srv->secret : "");
    if (srv->n_headers) snprintf(s->header0, sizeof s->header0, "%s", srv->headers[0]);
    s->timeout_s = srv->timeout_s;
}

static seen cached(const char *tenant) {
    seen s = {0};
    hk_org_server_get(app.store, tenant, saw, &s);
    assert_int_equal(s.called, 1);
    return s;
}

static void refused(const char *body, const char *field) {
    reply r = REQ("PATCH", "/org", key_a, body);
    assert_int_equal(r.status, 400);
    const cJSON *msg = cJSON_GetArrayItem(at(r.json, "message"), 0);
    assert_non_null(msg);
    if (!strstr(msg->valuestring, field)) fail_msg("%s: \"%s\" does not name %s", body, msg->valuestring, field);
}

static void test_org_routes(void **state) {
    (void)state;
    harness_loop_start();
    reply g = REQ("GET", "/org", key_a, NULL);
    assert_int_equal(g.status, 200);
    assert_string_equal(s_of(g.json, "id"), TA);
    assert_true(cJSON_IsNull(at(g.json, "server")));
    assert_non_null(s_of(g.json, "createdAt"));
    assert_string_equal(cached(TA).url, "");
    assert_int_equal(REQ("GET", "/org", "hk_nope", NULL).status, 401);

    /* server set: served without its secret; the cache has it all */
    reply p = REQ("PATCH", "/org", key_a,
                  "{\"name\":\"Acme\",\"server\":{\"url\":\"https://org.example/hook\",\"secret\":\"s3cr3t-org\","
                  "\"timeoutSeconds\":9,\"headers\":{\"X-Org\":\"one\"}},\"hipaaEnabled\":false}");
    assert_int_equal(p.status, 200);
    assert_string_equal(s_of(p.json, "name"), "Acme");
    assert_string_equal(s_of(at(p.json, "server"), "url"), "https://org.example/hook");
    assert_null(at(at(p.json, "server"), "secret"));
    assert_string_equal(s_of(at(at(p.json, "server"), "headers"), "X-Org"), "one");
    assert_true(strcmp(s_of(p.json, "updatedAt"), s_of(g.json, "updatedAt")) > 0);
    reply *gt = req_kept("GET", "/org", key_a, NULL);
    assert_int_equal(gt->status, 200);
    assert_null(strstr(gt->text, "s3cr3t-org"));
    assert_string_equal(s_of(at(gt->json, "server"), "url"), "https://org.example/hook");
    seen s = cached(TA);
    assert_string_equal(s.url, "https://org.example/hook");
    assert_string_equal(s.secret, "s3cr3t-org");
    assert_string_equal(s.header0, "X-Org: one");
    assert_true(s.timeout_s == 9);

    /* the other tenant: its own org, untouched; ids are the caller's only */
    reply gb = REQ("GET", "/org", key_b, NULL);
    assert_string_equal(s_of(gb.json, "id"), TB);
    assert_true(cJSON_IsNull(at(gb.json, "server")));
    assert_string_equal(cached(TB).url, "");
    assert_int_equal(REQ("PATCH", "/org/" TB, key_a, "{\"name\":\"x\"}").status, 404);
    assert_int_equal(REQ("PATCH", "/org/" TA, key_b, "{\"server\":null}").status, 404);
    assert_int_equal(REQ("PATCH", "/org/not-a-uuid", key_a, "{\"name\":\"x\"}").status, 404);
    reply own = REQ("PATCH", "/org/" TA, key_a, "{\"name\":\"Acme 2\"}");
    assert_int_equal(own.status, 200);
    assert_string_equal(s_of(own.json, "name"), "Acme 2");
    assert_string_equal(s_of(at(own.json, "server"), "url"), "https://org.example/hook"); /* kept */

    /* refusals name the field, as an assistant's server check does; nothing changes */
    refused("{\"server\":\"https://x.example\"}", "server");
    refused("{\"server\":{\"url\":\"ftp://x.example\"}}", "server.url");
    refused("{\"server\":{\"secret\":\"s\"}}", "server.url");
    refused("{\"server\":{\"url\":\"https://x.example\",\"timeoutSeconds\":0}}", "server.timeoutSeconds");
    refused("{\"server\":{\"url\":\"https://x.example\",\"headers\":{\"X-A\":1}}}", "server.headers");
    refused("{\"server\":{\"url\":\"https://x.example\",\"secret\":7}}", "server.secret");
    refused("{\"name\":5}", "name");
    refused("{\"serverUrl\":5}", "serverUrl");
    refused("{\"serverUrl\":\"gopher://x\"}", "serverUrl");
    refused("{\"serverUrlSecret\":\"s\"}", "serverUrlSecret");
    refused("{\"server\":null,\"serverUrl\":\"https://x.example\"}", "serverUrl");
    assert_int_equal(REQ("PATCH", "/org", key_a, "[1]").status, 400);
    assert_string_equal(cached(TA).url, "https://org.example/hook");

    /* legacy serverUrl + serverUrlSecret: a server; the cache sees it at once */
    reply l = REQ("PATCH", "/org", key_a,
                  "{\"serverUrl\":\"http://127.0.0.1:9/legacy\",\"serverUrlSecret\":\"legacy-secret\"}");
    assert_int_equal(l.status, 200);
    assert_string_equal(s_of(at(l.json, "server"), "url"), "http://127.0.0.1:9/legacy");
    assert_null(at(at(l.json, "server"), "secret"));
    s = cached(TA);
    assert_string_equal(s.url, "http://127.0.0.1:9/legacy");
    assert_string_equal(s.secret, "legacy-secret");
    assert_string_equal(s.header0, "");
    assert_true(s.timeout_s == 20);

    /* a call's server without the assistant's (hk_call_server_get): its number's
     * (only when the number is the tenant's), else the org's */
    reply n = REQ("POST", "/phone-number", key_a,
                  "{\"provider\":\"twilio\",\"number\":\"+14155550177\",\"twilioAccountSid\":\"AC1\","
                  "\"server\":{\"url\":\"https://num.example/h\",\"secret\":\"num-secret\"}}");
    assert_int_equal(n.status, 201);
    assert_int_equal(REQ("POST", "/phone-number", key_a,
                         "{\"provider\":\"twilio\",\"number\":\"+14155550178\",\"twilioAccountSid\":\"AC1\","
                         "\"serverUrl\":\"https://legacy-num.example/h\",\"serverUrlSecret\":\"ls2\"}").status, 201);
    assert_int_equal(REQ("POST", "/phone-number", key_a,
                         "{\"provider\":\"twilio\",\"number\":\"+14155550179\",\"twilioAccountSid\":\"AC1\"}").status, 201);
    static const struct { const char *tenant, *number, *url, *secret; } calls[] = {
        {TA, "+14155550177", "https://num.example/h", "num-secret"},
        {TA, "+14155550178", "https://legacy-num.example/h", "ls2"},
        {TA, "+14155550179", "http://127.0.0.1:9/legacy", "legacy-secret"}, /* no server: the org's */
        {TA, "+19995550100", "http://127.0.0.1:9/legacy", "legacy-secret"}, /* no API number */
        {TA, "", "http://127.0.0.1:9/legacy", "legacy-secret"},
        {TB, "+14155550177", "", ""}, /* another tenant's number: TB's org, which has none */
    };
    for (int pass = 0; pass < 2; pass++) /* the store, then the cache */
        for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
            s = (seen){0};
            hk_call_server_get(app.store, calls[i].tenant, calls[i].number, saw, &s);
            assert_int_equal(s.called, 1);
            assert_string_equal(s.url, calls[i].url);
            assert_string_equal(s.secret, calls[i].secret);
        }

    const hk_org_server *known = NULL;
    assert_int_equal(hk_call_server_peek(TA, "+14155550177", &known), 1);
    assert_string_equal(known->url, "https://num.example/h");
    assert_int_equal(hk_call_server_peek(TA, "+14155550179", &known), 1);
    assert_string_equal(known->url, "http://127.0.0.1:9/legacy");
    assert_int_equal(hk_call_server_peek(TB, "+14155550177", &known), 1);
    assert_null(known); /* known: nowhere */
    assert_int_equal(hk_call_server_peek(TB, "+14155550111", &known), 0); /* never asked */
    /* many numbers asked about: the cache stays bounded (idle entries go) and right */
    for (int i = 0; i < 5000; i++) {
        char num[32];
        snprintf(num, sizeof num, "+1212555%04d", i);
        s = (seen){0};
        hk_call_server_get(app.store, TA, num, saw, &s);
        assert_int_equal(s.called, 1);
        assert_string_equal(s.url, "http://127.0.0.1:9/legacy");
    }
    assert_string_equal(cached(TA).url, "http://127.0.0.1:9/legacy");
    s = (seen){0};
    hk_call_server_get(app.store, TA, "+14155550177", saw, &s);
    assert_string_equal(s.url, "https://num.example/h");

    /* null clears (server, or the legacy serverUrl) */
    reply c = REQ("PATCH", "/org", key_a, "{\"server\":null}");
    assert_int_equal(c.status, 200);
    assert_true(cJSON_IsNull(at(c.json, "server")));
    assert_string_equal(cached(TA).url, "");
    assert_int_equal(REQ("PATCH", "/org", key_a, "{\"serverUrl\":\"https://y.example/h\"}").status, 200);
    assert_string_equal(cached(TA).url, "https://y.example/h");
    reply c2 = REQ("PATCH", "/org", key_a, "{\"serverUrl\":null}");
    assert_true(cJSON_IsNull(at(c2.json, "server")));
    assert_string_equal(cached(TA).url, "");
    assert_string_equal(s_of(c2.json, "name"), "Acme 2");

    harness_loop_stop();
    hk_org_server_clear();
    replies_free();
    for (int i = 0; i < nkept; i++) cJSON_Delete(kept[i].json);
}

/* a stored server as the cache reads it: headers that would inject a line are skipped */
static void test_org_server_parse(void **state) {
    (void)state;
    cJSON *j = cJSON_Parse("{\"url\":\"https://a.example\",\"headers\":{\"Bad\\r\\nX\":\"1\",\"Ok\":\"v\","
                           "\"Also\":\"x\\r\\ny: z\",\"N\":3}}");
    hk_org_server *s = hk_org_server_parse(j);
    assert_non_null(s);
    assert_int_equal(s->n_headers, 1);
    assert_string_equal(s->headers[0], "Ok: v");
    assert_null(s->secret);
    hk_org_server_free(s);
    cJSON_Delete(j);
    j = cJSON_Parse("{\"secret\":\"s\"}");
    assert_null(hk_org_server_parse(j));
    cJSON_Delete(j);
    assert_null(hk_org_server_parse(NULL));
}

int main(void) {
    hk_log_init(getenv("HARK_LOG_LEVEL"));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_org_routes),
                                       cmocka_unit_test(test_org_server_parse)};
    return cmocka_run_group_tests(tests, setup, harness_group_teardown);
}
