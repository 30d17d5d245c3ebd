/* tests/unit/store/store_docs_cases: the API resource contract (store.h,
 * hk_store_doc_*), written once and run against both stores: the memory one
 * (test_store_docs.c) and PostgreSQL (test_store_pg_docs.c). The including
 * file defines docs_await(), which runs its loop until the answer is there.
 * Header-only; include after <cmocka.h>. */
#ifndef HK_TEST_STORE_DOCS_CASES_H
#define HK_TEST_STORE_DOCS_CASES_H

#include <cjson/cJSON.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

typedef struct doc_answer {
    int done;
    cJSON *result;
    char err[256];
} doc_answer;

static void docs_await(doc_answer *a); /* defined by the including test */

static void doc_cb(void *ud, cJSON *result, const char *err) {
    doc_answer *a = ud;
    a->done = 1;
    a->result = result;
    snprintf(a->err, sizeof a->err, "%s", err ? err : "");
}

static cJSON *ok(doc_answer *a) {
    docs_await(a);
    if (a->err[0]) fprintf(stderr, "store error: %s\n", a->err);
    assert_string_equal(a->err, "");
    return a->result;
}

static cJSON *d_create(hk_store *s, const char *tenant, const char *json) {
    cJSON *body = cJSON_Parse(json);
    assert_non_null(body);
    doc_answer a = {0};
    hk_store_doc_create(s, HK_DOC_ASSISTANT, tenant, body, doc_cb, &a);
    cJSON_Delete(body);
    cJSON *r = ok(&a);
    assert_non_null(r);
    return r;
}

static cJSON *d_get(hk_store *s, const char *tenant, const char *id) {
    doc_answer a = {0};
    hk_store_doc_get(s, HK_DOC_ASSISTANT, tenant, id, doc_cb, &a);
    return ok(&a);
}

static cJSON *d_list(hk_store *s, const char *tenant, const hk_store_doc_filter *f) {
    doc_answer a = {0};
    hk_store_doc_list(s, HK_DOC_ASSISTANT, tenant, f, doc_cb, &a);
    cJSON *r = ok(&a);
    assert_true(cJSON_IsArray(r));
    return r;
}

static cJSON *d_patch(hk_store *s, const char *tenant, const char *id, const char *json) {
    cJSON *p = cJSON_Parse(json);
    assert_non_null(p);
    doc_answer a = {0};
    hk_store_doc_patch(s, HK_DOC_ASSISTANT, tenant, id, p, doc_cb, &a);
    cJSON_Delete(p);
    return ok(&a);
}

static cJSON *d_delete(hk_store *s, const char *tenant, const char *id) {
    doc_answer a = {0};
    hk_store_doc_delete(s, HK_DOC_ASSISTANT, tenant, id, doc_cb, &a);
    return ok(&a);
}

static const char *dstr(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void assert_iso_ms(const char *s) {
    assert_non_null(s);
    regex_t re;
    assert_int_equal(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
                             REG_EXTENDED | REG_NOSUB), 0);
    int rc = regexec(&re, s, 0, NULL, 0);
    regfree(&re);
    if (rc) fprintf(stderr, "not ISO-8601 with ms: %s\n", s);
    assert_int_equal(rc, 0);
}

/* Same document, compared as JSON (PostgreSQL's jsonb may order keys its way). */
static void assert_same_json(const cJSON *a, const cJSON *b) {
    if (!cJSON_Compare(a, b, 1)) {
        char *x = cJSON_PrintUnformatted(a), *y = cJSON_PrintUnformatted(b);
        fprintf(stderr, "differ:\n  %s\n  %s\n", x, y);
        free(x), free(y);
        fail();
    }
}

static double iso_s(const char *iso) {
    double t = 0;
    assert_int_equal(hk_store_time_parse(iso, &t), 0);
    return t;
}

/* create: owned fields filled (the body's ignored), everything else verbatim */
static void docs_case_create_get(hk_store *s, const char *ta, const char *tb) {
    const char *body = "{\"id\":\"forged\",\"orgId\":\"forged\",\"createdAt\":\"1999-01-01T00:00:00.000Z\","
                       "\"name\":\"Front desk\",\"firstMessage\":\"Hi!\",\"model\":{\"provider\":\"openai\","
                       "\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"system\",\"content\":\"Be kind\"}],"
                       "\"temperature\":0.25},\"x-unknown\":{\"deep\":[1,2,{\"k\":null}],\"s\":\"ü\\\"'; DROP\"},"
                       "\"count\":7}";
    cJSON *c = d_create(s, ta, body);
    const char *id = dstr(c, "id");
    assert_true(hk_store_is_uuid(id));
    assert_int_equal(id[14], '4'); /* v4 */
    assert_string_equal(dstr(c, "orgId"), ta);
    assert_iso_ms(dstr(c, "createdAt"));
    assert_string_equal(dstr(c, "createdAt"), dstr(c, "updatedAt"));
    assert_true(iso_s(dstr(c, "createdAt")) > 1.7e9); /* now, not the forged 1999 */
    cJSON *expect = cJSON_Parse(body);
    cJSON_ReplaceItemInObjectCaseSensitive(expect, "id", cJSON_CreateString(id));
    cJSON_ReplaceItemInObjectCaseSensitive(expect, "orgId", cJSON_CreateString(ta));
    cJSON_ReplaceItemInObjectCaseSensitive(expect, "createdAt", cJSON_CreateString(dstr(c, "createdAt")));
    cJSON_AddStringToObject(expect, "updatedAt", dstr(c, "updatedAt"));
    assert_same_json(c, expect);
    cJSON_Delete(expect);

    cJSON *g = d_get(s, ta, id);
    assert_non_null(g);
    assert_same_json(g, c);
    cJSON_Delete(g);
    /* another tenant's id, a random one and a malformed one: not found */
    assert_null(d_get(s, tb, id));
    char other[37];
    hk_store_uuid(other);
    assert_null(d_get(s, ta, other));
    assert_null(d_get(s, ta, "not-a-uuid'; SELECT 1"));
    assert_null(d_get(s, ta, ""));
    cJSON_Delete(c);
}

/* list: newest first, tenant-scoped, limit, the eight time bounds */
static void docs_case_list(hk_store *s, const char *ta, const char *tb) {
    char name[32];
    cJSON *made[3];
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "{\"name\":\"L%d\"}", i);
        made[i] = d_create(s, tb, name);
        usleep(3000); /* distinct milliseconds, so the bounds below are exact */
    }
    cJSON *all = d_list(s, tb, NULL);
    assert_true(cJSON_GetArraySize(all) >= 3);
    for (int i = 0; i < 3; i++) /* newest first */
        assert_string_equal(dstr(cJSON_GetArrayItem(all, i), "id"), dstr(made[2 - i], "id"));
    const cJSON *it;
    cJSON_ArrayForEach(it, all) assert_string_equal(dstr(it, "orgId"), tb);
    cJSON_Delete(all);
    /* tenant a sees none of them */
    cJSON *la = d_list(s, ta, NULL);
    cJSON_ArrayForEach(it, la)
        for (int i = 0; i < 3; i++) assert_string_not_equal(dstr(it, "id"), dstr(made[i], "id"));
    cJSON_Delete(la);

    hk_store_doc_filter f = {.limit = 2};
    cJSON *two = d_list(s, tb, &f);
    assert_int_equal(cJSON_GetArraySize(two), 2);
    assert_string_equal(dstr(cJSON_GetArrayItem(two, 0), "id"), dstr(made[2], "id"));
    cJSON_Delete(two);

    double mid = iso_s(dstr(made[1], "createdAt"));
    struct { hk_store_doc_filter f; int want[3]; } cases[] = {
        {{.created_gt = mid}, {0, 0, 1}},
        {{.created_ge = mid}, {0, 1, 1}},
        {{.created_lt = mid}, {1, 0, 0}},
        {{.created_le = mid}, {1, 1, 0}},
        {{.updated_gt = mid}, {0, 0, 1}},
        {{.updated_ge = mid, .updated_le = mid}, {0, 1, 0}},
        {{.updated_lt = mid}, {1, 0, 0}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        cJSON *r = d_list(s, tb, &cases[c].f);
        for (int i = 0; i < 3; i++) {
            int found = 0;
            cJSON_ArrayForEach(it, r) found |= !strcmp(dstr(it, "id"), dstr(made[i], "id"));
            if (found != cases[c].want[i]) fprintf(stderr, "filter case %zu, doc %d\n", c, i);
            assert_int_equal(found, cases[c].want[i]);
        }
        cJSON_Delete(r);
    }
    for (int i = 0; i < 3; i++) cJSON_Delete(made[i]);
}

/* patch: top-level keys replaced or added, the rest kept, owned fields fixed,
 * updatedAt strictly later; another tenant cannot */
static void docs_case_patch(hk_store *s, const char *ta, const char *tb) {
    cJSON *c = d_create(s, ta, "{\"name\":\"P\",\"model\":{\"provider\":\"openai\",\"model\":\"a\","
                                "\"temperature\":1},\"keep\":[1]}");
    const char *id = dstr(c, "id");
    assert_null(d_patch(s, tb, id, "{\"name\":\"stolen\"}"));
    cJSON *p = d_patch(s, ta, id, "{\"name\":\"P2\",\"model\":{\"model\":\"b\"},\"added\":true,"
                                  "\"id\":\"x\",\"orgId\":\"y\",\"createdAt\":\"2000-01-01T00:00:00.000Z\"}");
    assert_non_null(p);
    assert_string_equal(dstr(p, "id"), id);
    assert_string_equal(dstr(p, "orgId"), ta);
    assert_string_equal(dstr(p, "createdAt"), dstr(c, "createdAt"));
    assert_iso_ms(dstr(p, "updatedAt"));
    assert_true(iso_s(dstr(p, "updatedAt")) > iso_s(dstr(c, "updatedAt")));
    assert_string_equal(dstr(p, "name"), "P2");
    cJSON *model = cJSON_GetObjectItemCaseSensitive(p, "model");
    cJSON *want_model = cJSON_Parse("{\"model\":\"b\"}"); /* shallow: replaced whole */
    assert_same_json(model, want_model);
    cJSON_Delete(want_model);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "added")));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(p, "keep"));
    cJSON *g = d_get(s, ta, id);
    assert_same_json(g, p);
    /* a second patch moves updatedAt again */
    cJSON *p2 = d_patch(s, ta, id, "{}");
    assert_true(iso_s(dstr(p2, "updatedAt")) > iso_s(dstr(p, "updatedAt")));
    assert_null(d_patch(s, ta, "nope", "{}"));
    cJSON_Delete(p2), cJSON_Delete(g), cJSON_Delete(p), cJSON_Delete(c);
}

/* delete: answers the object, then it is gone everywhere; another tenant cannot */
static void docs_case_delete(hk_store *s, const char *ta, const char *tb) {
    cJSON *c = d_create(s, ta, "{\"name\":\"D\"}");
    const char *id = dstr(c, "id");
    assert_null(d_delete(s, tb, id));
    cJSON *still = d_get(s, ta, id);
    assert_non_null(still);
    cJSON_Delete(still);
    cJSON *d = d_delete(s, ta, id);
    assert_non_null(d);
    assert_same_json(d, c);
    assert_null(d_get(s, ta, id));
    assert_null(d_delete(s, ta, id));
    assert_null(d_patch(s, ta, id, "{\"name\":\"back\"}"));
    cJSON *l = d_list(s, ta, NULL);
    const cJSON *it;
    cJSON_ArrayForEach(it, l) assert_string_not_equal(dstr(it, "id"), id);
    cJSON_Delete(l), cJSON_Delete(d), cJSON_Delete(c);
}

#endif
