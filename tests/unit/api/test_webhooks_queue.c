/* tests/unit/api/test_webhooks_queue: the durable webhook queue file as a
 * start reads it (hk_whq_read_file) and rewrites it (hk_whq_write_file):
 * adds with no done after them come back in file order, each once; a done
 * removes its add; torn, corrupted and unsendable lines (NUL inside, two
 * glued objects, an id too long for delivery, a URL that is not http(s), a
 * header with a line break, a body that is not a string) are counted and
 * skipped while the good lines around them are kept; the delivery id of
 * older files leaves the headers; a timeout out of 0..300 s is 20; the
 * rewritten file reads back the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "api/webhooks_queue.h"

static char path[64];

static void write_text(const char *text, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    fclose(f);
}

static const char *field(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_read_and_rewrite(void **state) {
    (void)state;
    char long_id[200];
    memset(long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = 0;
    char text[4096];
    int n = snprintf(text, sizeof text,
        "{\"add\":\"c1:status\",\"url\":\"http://h/w\",\"headers\":[\"A: 1\",\"X-Hark-Delivery-Id: c1:status\"],"
        "\"timeout\":5,\"sign\":\"s3cr3t\",\"body\":\"{\\\"m\\\":1}\"}\n"
        "{\"add\":\"c1:report\",\"url\":\"https://h/w\",\"timeout\":1e999,\"body\":\"r\"}\n"
        "{\"add\":\"c2:status\",\"url\":\"http://h/w\",\"body\":\"x\"}\n"
        "garbage\n"
        "{\"done\":\"c2:status\"}\n"
        "{\"add\":\"c1:status\",\"url\":\"http://h/other\",\"body\":\"again\"}\n" /* twice: once */
        "{\"add\":\"%s\",\"url\":\"http://h/w\",\"body\":\"x\"}\n"                 /* id too long */
        "{\"add\":\"c3\",\"url\":\"file:///etc/passwd\",\"body\":\"x\"}\n"
        "{\"add\":\"c4\",\"url\":\"http://h/w\",\"headers\":[\"A: 1\\r\\nB: 2\"],\"body\":\"x\"}\n"
        "{\"add\":\"c5\",\"url\":\"http://h/w\",\"body\":7}\n"
        "{\"add\":\"c6\",\"url\":\"http://h/w\",\"body\":\"x\"}{\"done\":\"c1:report\"}\n"
        "{\"add\":\"c7\",\"url\":\"http://h/w\",\"timeout\":-3,\"body\":\"seven\"}\n",
        long_id);
    assert_true(n > 0 && (size_t)n < sizeof text - 64);
    /* a NUL inside a line, then a torn tail */
    static const char tail[] = "{\"add\":\"c8\",\"url\":\"http://h/w\",\"body\":\"x\"}\0z\n{\"add\":\"c9\",\"u";
    memcpy(text + n, tail, sizeof tail - 1);
    n += (int)sizeof tail - 1;
    write_text(text, (size_t)n);
    int bad = -1;
    cJSON *keep = hk_whq_read_file(path, &bad);
    assert_int_equal(bad, 8);
    assert_int_equal(cJSON_GetArraySize(keep), 3);
    const cJSON *a = cJSON_GetArrayItem(keep, 0), *b = cJSON_GetArrayItem(keep, 1);
    const cJSON *c = cJSON_GetArrayItem(keep, 2);
    assert_string_equal(field(a, "add"), "c1:status");
    assert_string_equal(field(a, "url"), "http://h/w");
    assert_string_equal(field(a, "sign"), "s3cr3t");
    assert_string_equal(field(a, "body"), "{\"m\":1}");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(a, "headers");
    assert_int_equal(cJSON_GetArraySize(h), 1);
    assert_string_equal(cJSON_GetArrayItem(h, 0)->valuestring, "A: 1");
    assert_true(cJSON_GetObjectItemCaseSensitive(a, "timeout")->valuedouble == 5);
    assert_string_equal(field(b, "add"), "c1:report");
    assert_null(field(b, "sign"));
    assert_true(cJSON_GetObjectItemCaseSensitive(b, "timeout")->valuedouble == 20);
    assert_string_equal(field(c, "add"), "c7");
    assert_true(cJSON_GetObjectItemCaseSensitive(c, "timeout")->valuedouble == 20);
    /* rewritten: the same, nothing bad */
    char err[256];
    assert_int_equal(hk_whq_write_file(path, keep, err, sizeof err), 0);
    cJSON *again = hk_whq_read_file(path, &bad);
    assert_int_equal(bad, 0);
    assert_true(cJSON_Compare(keep, again, 1));
    cJSON_Delete(again);
    cJSON_Delete(keep);
    /* no file: nothing */
    unlink(path);
    keep = hk_whq_read_file(path, &bad);
    assert_int_equal(bad, 0);
    assert_int_equal(cJSON_GetArraySize(keep), 0);
    cJSON_Delete(keep);
}

int main(void) {
    snprintf(path, sizeof path, "/tmp/hark-whq-test-%d", (int)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_and_rewrite),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(path);
    return rc;
}
