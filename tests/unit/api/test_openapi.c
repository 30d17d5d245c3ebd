/* tests/unit/api/test_openapi: GET /openapi.json. The document built from
 * routes.c's table has every row (path and method), each {name} as a
 * required path parameter, public rows without security and the others
 * under the bearer scheme (and a 401), unique operationIds, every $ref
 * resolving to a component schema, Vapi's objects open to unknown fields,
 * and servers from the Host (a hostile Host leaves only the relative "/");
 * it prints and parses back. A made-up table with two parameters is
 * described too. Over real HTTP (hark's server on loopback, curl): served
 * without a credential, with this server's address; POST is 405. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>

#include "api/api.h"
#include "api/openapi.h"
#include "api_http_harness.h"
#include "core/log.h"

static void lower(const char *in, char *out, size_t cap) {
    size_t i = 0;
    for (; in[i] && i + 1 < cap; i++) out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = 0;
}

/* every "$ref" under o names a schema of doc */
static int refs_resolve(const cJSON *doc, const cJSON *o, int *seen) {
    const cJSON *schemas = at(at(doc, "components"), "schemas");
    const cJSON *it;
    cJSON_ArrayForEach(it, o) {
        if (it->string && !strcmp(it->string, "$ref")) {
            const char *pre = "#/components/schemas/";
            if (!cJSON_IsString(it) || strncmp(it->valuestring, pre, strlen(pre)) != 0 ||
                !at(schemas, it->valuestring + strlen(pre))) {
                fprintf(stderr, "unresolved $ref %s\n", cJSON_IsString(it) ? it->valuestring : "?");
                return 0;
            }
            (*seen)++;
        }
        if ((cJSON_IsObject(it) || cJSON_IsArray(it)) && !refs_resolve(doc, it, seen)) return 0;
    }
    return 1;
}

/* the document describes every row of table */
static void check_table(const cJSON *doc, const hk_api_route *table) {
    const cJSON *paths = at(doc, "paths");
    assert_true(cJSON_IsObject(paths));
    int rows = 0, ops = 0;
    cJSON *ids = cJSON_CreateObject();
    for (const hk_api_route *row = table; row->method; row++, rows++) {
        char m[16];
        lower(row->method, m, sizeof m);
        const cJSON *op = at(at(paths, row->pattern), m);
        if (!cJSON_IsObject(op)) fprintf(stderr, "missing: %s %s\n", row->method, row->pattern);
        assert_true(cJSON_IsObject(op));
        /* operationId: present and unique */
        const cJSON *oid = at(op, "operationId");
        assert_true(cJSON_IsString(oid) && oid->valuestring[0]);
        assert_null(at(ids, oid->valuestring));
        cJSON_AddTrueToObject(ids, oid->valuestring);
        /* each {name}: a required path parameter */
        int want = 0;
        for (const char *p = strchr(row->pattern, '{'); p; p = strchr(p + 1, '{')) {
            want++;
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(strchr(p, '}') - p - 1), p + 1);
            int found = 0;
            const cJSON *prm;
            cJSON_ArrayForEach(prm, at(op, "parameters")) {
                const cJSON *n = at(prm, "name"), *in = at(prm, "in");
                if (cJSON_IsString(n) && !strcmp(n->valuestring, name) && cJSON_IsString(in) &&
                    !strcmp(in->valuestring, "path")) {
                    assert_true(cJSON_IsTrue(at(prm, "required")));
                    found = 1;
                }
            }
            if (!found) fprintf(stderr, "%s %s lacks path parameter %s\n", row->method, row->pattern, name);
            assert_true(found);
        }
        int path_params = 0;
        const cJSON *prm;
        cJSON_ArrayForEach(prm, at(op, "parameters")) {
            path_params += cJSON_IsString(at(prm, "in")) && !strcmp(at(prm, "in")->valuestring, "path");
        }
        assert_int_equal(path_params, want);
        /* security: [] on public rows; the others inherit bearer and can be 401 */
        const cJSON *sec = at(op, "security");
        const cJSON *responses = at(op, "responses");
        if (row->flags & HK_API_PUBLIC) {
            assert_true(cJSON_IsArray(sec) && cJSON_GetArraySize(sec) == 0);
        } else {
            assert_null(sec);
            assert_non_null(at(responses, "401"));
        }
        assert_true(at(responses, "200") || at(responses, "201"));
        if (!strcmp(row->method, "POST") || !strcmp(row->method, "PATCH"))
            assert_non_null(at(at(at(op, "requestBody"), "content"), "application/json"));
    }
    /* nothing more than the table */
    const cJSON *item;
    cJSON_ArrayForEach(item, paths) {
        const cJSON *op;
        cJSON_ArrayForEach(op, item) ops++;
    }
    assert_int_equal(ops, rows);
    cJSON_Delete(ids);
}

static void test_document_from_routes(void **state) {
    (void)state;
    cJSON *doc = hk_openapi_document(hk_api_routes, "api.example:8080");
    assert_non_null(doc);
    /* it prints and parses back to the same document */
    char *text = cJSON_PrintUnformatted(doc);
    assert_non_null(text);
    cJSON *back = cJSON_Parse(text);
    assert_non_null(back);
    assert_true(cJSON_Compare(doc, back, 1));
    free(text);
    cJSON_Delete(back);

    assert_string_equal(at(doc, "openapi")->valuestring, "3.1.0");
    assert_true(cJSON_IsString(at(at(doc, "info"), "title")));
    assert_true(cJSON_IsString(at(at(doc, "info"), "version")));
    check_table(doc, hk_api_routes);
    /* the routes this issue is about are in the table, so in the document */
    assert_non_null(at(at(at(doc, "paths"), "/openapi.json"), "get"));
    assert_non_null(at(at(at(doc, "paths"), "/assistant/{id}"), "patch"));
    assert_non_null(at(at(at(doc, "paths"), "/v2/phone-number"), "get"));

    /* servers: the Host, then the relative "/" */
    const cJSON *servers = at(doc, "servers");
    assert_int_equal(cJSON_GetArraySize(servers), 2);
    assert_string_equal(at(cJSON_GetArrayItem(servers, 0), "url")->valuestring, "http://api.example:8080");
    assert_string_equal(at(cJSON_GetArrayItem(servers, 1), "url")->valuestring, "/");

    /* bearer: the global requirement and its scheme */
    const cJSON *bearer = at(at(at(doc, "components"), "securitySchemes"), "bearer");
    assert_string_equal(at(bearer, "type")->valuestring, "http");
    assert_string_equal(at(bearer, "scheme")->valuestring, "bearer");
    assert_true(cJSON_IsArray(at(cJSON_GetArrayItem(at(doc, "security"), 0), "bearer")));

    /* Vapi's objects, open to the unknown fields hark keeps */
    const cJSON *schemas = at(at(doc, "components"), "schemas");
    const char *open[] = {"Assistant", "Tool", "PhoneNumber", "Call", "CallCreate"};
    for (size_t i = 0; i < sizeof open / sizeof open[0]; i++)
        assert_true(cJSON_IsTrue(at(at(schemas, open[i]), "additionalProperties")));
    int seen = 0;
    assert_true(refs_resolve(doc, doc, &seen));
    assert_true(seen > 20);

    /* shapes the SDK relies on: lists are arrays, creates 201, /call's filters */
    const cJSON *list = at(at(at(at(at(at(at(doc, "paths"), "/assistant"), "get"), "responses"), "200"),
                              "content"), "application/json");
    assert_string_equal(at(at(list, "schema"), "type")->valuestring, "array");
    assert_non_null(at(at(at(at(at(doc, "paths"), "/call"), "post"), "responses"), "201"));
    char *call_list = cJSON_PrintUnformatted(at(at(at(doc, "paths"), "/call"), "get"));
    assert_non_null(strstr(call_list, "\"assistantId\""));
    assert_non_null(strstr(call_list, "\"createdAtGt\""));
    free(call_list);
    cJSON_Delete(doc);
}

static void dummy(hk_api_req *r) { (void)r; }

static void test_other_tables_and_hosts(void **state) {
    (void)state;
    const hk_api_route table[] = {
        {"GET", "/x/{a}/y/{b}", dummy, 0},
        {"PUT", "/x/{a}/y/{b}", dummy, 0},
        {"POST", "/open", dummy, HK_API_PUBLIC},
        {NULL, NULL, NULL, 0},
    };
    /* a Host that is not a host name is not echoed into the document */
    const char *bad[] = {NULL, "", "evil.example/\"><script>", "a b", "x@y"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *doc = hk_openapi_document(table, bad[i]);
        assert_non_null(doc);
        check_table(doc, table);
        const cJSON *servers = at(doc, "servers");
        assert_int_equal(cJSON_GetArraySize(servers), 1);
        assert_string_equal(at(cJSON_GetArrayItem(servers, 0), "url")->valuestring, "/");
        cJSON_Delete(doc);
    }
    cJSON *doc = hk_openapi_document(table, "[::1]:9000");
    assert_string_equal(at(cJSON_GetArrayItem(at(doc, "servers"), 0), "url")->valuestring, "http://[::1]:9000");
    cJSON_Delete(doc);
}

/* ---- over HTTP ---- */

/* /openapi.json without a credential (POST with a body "{}") */
static long fetch(const char *method, char **out) {
    return harness_fetch(method, "/openapi.json", NULL, !strcmp(method, "POST") ? "{}" : NULL, out);
}

static void test_served(void **state) {
    (void)state;
    loop = ev_loop_new(EVFLAG_AUTO);
    app.loop = loop;
    app.store = hk_store_memory_new();
    assert_int_equal(harness_serve(), 0);
    harness_loop_start();

    char *body = NULL; /* no Authorization header: the document is public */
    assert_int_equal(fetch("GET", &body), 200);
    cJSON *doc = cJSON_Parse(body);
    assert_non_null(doc);
    char want[64];
    snprintf(want, sizeof want, "http://127.0.0.1:%d", hk_server_port(srv));
    assert_string_equal(at(cJSON_GetArrayItem(at(doc, "servers"), 0), "url")->valuestring, want);
    check_table(doc, hk_api_routes);
    cJSON_Delete(doc);
    free(body);
    body = NULL;
    assert_int_equal(fetch("POST", &body), 405);
    free(body);

    harness_loop_stop();
    hk_server_free(srv);
    hk_store_free(app.store);
    ev_loop_destroy(loop);
}

int main(void) {
    hk_log_init(getenv("HARK_LOG_LEVEL"));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document_from_routes),
        cmocka_unit_test(test_other_tables_and_hosts),
        cmocka_unit_test(test_served),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
