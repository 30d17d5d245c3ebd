/* tests/unit/core/test_json_arena: cJSON parses in an arena scope take their
 * nodes from the thread's arena, a document bigger than the arena still
 * parses whole (the rest from malloc), trees from before a scope are freed
 * normally inside it, another thread and code outside a scope are untouched,
 * and a thread that used an arena frees it when it exits. Under ASan: the
 * byte past a block, a freed block and a block after its scope are poisoned
 * (what makes ASan report misuse of the arena as it does of malloc). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "core/json_arena.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifdef UNDER_ASAN
#include <sanitizer/asan_interface.h>
#endif

static const char DOC[] = "{\"event\":\"media\",\"media\":{\"payload\":\"AAAA\",\"chunk\":\"3\"},\"n\":[1,2,3]}";

static void test_scope(void **state) {
    (void)state;
    assert_int_equal(hk_json_arena_used(), 0);
    cJSON *before = cJSON_Parse(DOC); /* malloc'd: freed inside the scope below */
    assert_non_null(before);
    for (int round = 0; round < 3; round++) { /* the arena is reused scope after scope */
        hk_json_arena_begin();
        cJSON *root = cJSON_Parse(DOC);
        assert_non_null(root);
        const cJSON *md = cJSON_GetObjectItemCaseSensitive(root, "media");
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(md, "payload")->valuestring, "AAAA");
        assert_true(hk_json_arena_used() > 0);
        if (round == 0) {
            cJSON_Delete(before);
            before = NULL;
        }
        cJSON_Delete(root);
        hk_json_arena_end();
        assert_int_equal(hk_json_arena_used(), 0);
    }
    /* outside a scope: plain malloc, a tree that may live on */
    cJSON *later = cJSON_Parse(DOC);
    assert_non_null(later);
    assert_int_equal(hk_json_arena_used(), 0);
    hk_json_arena_begin();
    hk_json_arena_end();
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(later, "event")->valuestring, "media");
    cJSON_Delete(later);
}

static void test_bigger_than_arena(void **state) {
    (void)state;
    /* ~200 KB of strings: most of it cannot come from a 16 KB arena */
    size_t n = 2000;
    char *doc = malloc(n * 110 + 16);
    assert_non_null(doc);
    size_t at = 0;
    doc[at++] = '[';
    for (size_t i = 0; i < n; i++)
        at += (size_t)sprintf(doc + at, "%s\"%0100zu\"", i ? "," : "", i);
    doc[at++] = ']';
    doc[at] = 0;
    hk_json_arena_begin();
    cJSON *root = cJSON_Parse(doc);
    assert_non_null(root);
    assert_int_equal(cJSON_GetArraySize(root), (int)n);
    char want[128];
    snprintf(want, sizeof want, "%0100zu", n - 1);
    assert_string_equal(cJSON_GetArrayItem(root, (int)n - 1)->valuestring, want);
    cJSON_Delete(root);
    hk_json_arena_end();
    free(doc);
}

static void *other_thread(void *arg) {
    (void)arg;
    /* no scope on this thread: its trees are malloc'd and outlive the call */
    cJSON *t = cJSON_Parse(DOC);
    return t;
}

static void test_other_thread(void **state) {
    (void)state;
    hk_json_arena_begin();
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, other_thread, NULL), 0);
    void *res = NULL;
    assert_int_equal(pthread_join(th, &res), 0);
    hk_json_arena_end();
    hk_json_arena_begin(); /* reusing this thread's arena cannot touch it */
    cJSON *mine = cJSON_Parse("{\"x\":\"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\"}");
    cJSON_Delete(mine);
    hk_json_arena_end();
    assert_non_null(res);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive((cJSON *)res, "event")->valuestring, "media");
    cJSON_Delete(res);
}

#ifdef UNDER_ASAN
static void test_poisoned(void **state) {
    (void)state;
    hk_json_arena_begin();
    /* a block of 10 bytes (through cJSON's own hooks): exactly those are usable */
    unsigned char *b = cJSON_malloc(10);
    assert_non_null(b);
    assert_true(hk_json_arena_used() > 0);
    assert_false(__asan_region_is_poisoned(b, 10));
    assert_true(__asan_address_is_poisoned(b + 10)); /* one past: the red zone */
    assert_true(__asan_address_is_poisoned(b - 1));  /* the header */
    cJSON_free(b);
    assert_true(__asan_address_is_poisoned(b)); /* freed */
    cJSON *root = cJSON_Parse(DOC);
    assert_non_null(root);
    const void *node = cJSON_GetObjectItemCaseSensitive(root, "media");
    assert_false(__asan_address_is_poisoned(node));
    cJSON_Delete(root);
    assert_true(__asan_address_is_poisoned(node)); /* the tree is freed */
    cJSON *again = cJSON_Parse(DOC);
    const void *kept = again;
    hk_json_arena_end();
    assert_true(__asan_address_is_poisoned(kept)); /* the scope is over */
}
#endif

static void *thread_with_arena(void *arg) {
    (void)arg;
    hk_json_arena_begin();
    cJSON *t = cJSON_Parse(DOC);
    int ok = t != NULL && hk_json_arena_used() > 0;
    cJSON_Delete(t);
    hk_json_arena_end();
    return ok ? (void *)1 : NULL; /* its arena is freed as it exits (LeakSanitizer checks) */
}

static void test_thread_exit(void **state) {
    (void)state;
    for (int i = 0; i < 4; i++) {
        pthread_t th;
        void *ok = NULL;
        assert_int_equal(pthread_create(&th, NULL, thread_with_arena, NULL), 0);
        assert_int_equal(pthread_join(th, &ok), 0);
        assert_non_null(ok);
    }
}

int main(void) {
    hk_json_arena_install();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scope),
        cmocka_unit_test(test_bigger_than_arena),
        cmocka_unit_test(test_other_thread),
        cmocka_unit_test(test_thread_exit),
#ifdef UNDER_ASAN
        cmocka_unit_test(test_poisoned),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
