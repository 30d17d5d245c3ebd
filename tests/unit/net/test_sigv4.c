/* tests/unit/net/test_sigv4: AWS's published Signature Version 4 vectors.
 * The test suite (service "service", us-east-1, AKIDEXAMPLE, 20150830T123600Z):
 * get-vanilla, post-vanilla, get-vanilla-query-order-key-case,
 * post-header-value-case, get-header-value-trim, get-unreserved; and the
 * worked examples of the S3 SigV4 docs (examplebucket, AKIAIOSFODNN7EXAMPLE,
 * 20130524T000000Z): GET object with Range, PUT object with a '$' in the key,
 * GET ?lifecycle and list objects with a query. Plus the canonical request
 * of get-vanilla, URI encoding and the failure cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "net/form.h"
#include "net/sigv4.h"

#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SUITE_DATE "20150830T123600Z"
#define SUITE_CRED "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
#define S3_DATE "20130524T000000Z"
#define S3_CRED "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "

static const hk_sigv4_key SUITE = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service"};
static const hk_sigv4_key S3 = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", "s3"};

static void expect(const hk_sigv4_request *rq, const hk_sigv4_key *k, const char *date, const char *want) {
    char auth[512], err[128] = "";
    int n = hk_sigv4_sign(rq, k, date, auth, sizeof auth, err, sizeof err);
    assert_string_equal(err, "");
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(auth, want);
}

static void test_get_vanilla(void **state) {
    (void)state;
    hk_sigv4_header h[] = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", SUITE_DATE}};
    hk_sigv4_request rq = {"GET", "/", NULL, h, 2, EMPTY_SHA};
    expect(&rq, &SUITE, SUITE_DATE,
           SUITE_CRED "SignedHeaders=host;x-amz-date, "
                      "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    char *creq = hk_sigv4_canonical_request(&rq);
    assert_string_equal(creq, "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                              "host;x-amz-date\n" EMPTY_SHA);
    free(creq);
    /* header order given does not matter */
    hk_sigv4_header r[] = {{"X-Amz-Date", SUITE_DATE}, {"Host", "example.amazonaws.com"}};
    rq.headers = r;
    expect(&rq, &SUITE, SUITE_DATE,
           SUITE_CRED "SignedHeaders=host;x-amz-date, "
                      "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

static void test_post_vanilla(void **state) {
    (void)state;
    hk_sigv4_header h[] = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", SUITE_DATE}};
    hk_sigv4_request rq = {"POST", "/", NULL, h, 2, EMPTY_SHA};
    expect(&rq, &SUITE, SUITE_DATE,
           SUITE_CRED "SignedHeaders=host;x-amz-date, "
                      "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

static void test_query_order_key_case(void **state) {
    (void)state;
    hk_sigv4_header h[] = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", SUITE_DATE}};
    hk_sigv4_request rq = {"GET", "/", "Param2=value2&Param1=value1", h, 2, EMPTY_SHA};
    expect(&rq, &SUITE, SUITE_DATE,
           SUITE_CRED "SignedHeaders=host;x-amz-date, "
                      "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

static void test_header_value_case(void **state) {
    (void)state;
    hk_sigv4_header h[] = {{"Host", "example.amazonaws.com"}, {"My-Header1", "VALUE1"}, {"X-Amz-Date", SUITE_DATE}};
    hk_sigv4_request rq = {"POST", "/", NULL, h, 3, EMPTY_SHA};
    expect(&rq, &SUITE, SUITE_DATE,
           SUITE_CRED "SignedHeaders=host;my-header1;x-amz-date, "
                      "Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d");
}

static void test_header_value_trim(void **state) {
    (void)state;
    hk_sigv4_header h[] = {{"Host", "example.amazonaws.com"}, {"My-Header1", " value1"},
                           {"My-Header2", "\"a   b   c\""}, {"X-Amz-Date", SUITE_DATE}};
    hk_sigv4_request rq = {"GET", "/", NULL, h, 4, EMPTY_SHA};
    expect(&rq, &SUITE, SUITE_DATE,
           SUITE_CRED "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
                      "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
}

static void test_get_unreserved(void **state) {
    (void)state;
    hk_sigv4_header h[] = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", SUITE_DATE}};
    hk_sigv4_request rq = {"GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", NULL, h, 2,
                           EMPTY_SHA};
    expect(&rq, &SUITE, SUITE_DATE,
           SUITE_CRED "SignedHeaders=host;x-amz-date, "
                      "Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f");
}

static void test_s3_get_object(void **state) {
    (void)state;
    hk_sigv4_header h[] = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"},
                           {"x-amz-content-sha256", EMPTY_SHA}, {"x-amz-date", S3_DATE}};
    hk_sigv4_request rq = {"GET", "/test.txt", NULL, h, 4, EMPTY_SHA};
    expect(&rq, &S3, S3_DATE,
           S3_CRED "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                   "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

static void test_s3_put_object(void **state) {
    (void)state;
    const char *body = "Welcome to Amazon S3.";
    char sha[HK_SIGV4_HEX_SIZE];
    hk_sigv4_sha256_hex(body, strlen(body), sha);
    assert_string_equal(sha, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    hk_sigv4_header h[] = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                           {"x-amz-date", S3_DATE}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                           {"x-amz-content-sha256", sha}};
    hk_sigv4_request rq = {"PUT", "/test$file.text", NULL, h, 5, sha};
    expect(&rq, &S3, S3_DATE,
           S3_CRED "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
                   "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    char *creq = hk_sigv4_canonical_request(&rq);
    assert_non_null(strstr(creq, "PUT\n/test%24file.text\n\n"));
    free(creq);
}

static void test_s3_bucket_queries(void **state) {
    (void)state;
    hk_sigv4_header h[] = {{"Host", "examplebucket.s3.amazonaws.com"}, {"x-amz-content-sha256", EMPTY_SHA},
                           {"x-amz-date", S3_DATE}};
    hk_sigv4_request rq = {"GET", "/", "lifecycle", h, 3, EMPTY_SHA};
    expect(&rq, &S3, S3_DATE,
           S3_CRED "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
                   "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
    rq.query = "max-keys=2&prefix=J";
    expect(&rq, &S3, S3_DATE,
           S3_CRED "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
                   "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

static void test_uri_encode(void **state) {
    (void)state;
    char out[64];
    assert_int_equal(hk_url_encode("recordings/CA 1+$é~.wav", 1, out, sizeof out), 34);
    assert_string_equal(out, "recordings/CA%201%2B%24%C3%A9~.wav");
    assert_int_equal(hk_url_encode("a/b", 0, out, sizeof out), 5);
    assert_string_equal(out, "a%2Fb");
    assert_int_equal(hk_url_encode("a b", 0, out, 4), -1);
    char date[HK_SIGV4_DATE_SIZE];
    hk_sigv4_amz_date(1440938160, date);
    assert_string_equal(date, SUITE_DATE);
}

static void test_failures(void **state) {
    (void)state;
    hk_sigv4_header h[] = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", SUITE_DATE}};
    hk_sigv4_request rq = {"GET", "/", NULL, h, 2, EMPTY_SHA};
    char auth[512], err[128];
    assert_int_equal(hk_sigv4_sign(&rq, &SUITE, "2015-08-30", auth, sizeof auth, err, sizeof err), -1);
    assert_non_null(strstr(err, "x-amz-date"));
    assert_int_equal(hk_sigv4_sign(&rq, &SUITE, SUITE_DATE, auth, 40, err, sizeof err), -1);
    assert_non_null(strstr(err, "longer than"));
    hk_sigv4_key nokey = {NULL, "s", "us-east-1", "s3"};
    assert_int_equal(hk_sigv4_sign(&rq, &nokey, SUITE_DATE, auth, sizeof auth, err, sizeof err), -1);
    rq.query = "a=%zz";
    assert_int_equal(hk_sigv4_sign(&rq, &SUITE, SUITE_DATE, auth, sizeof auth, err, sizeof err), -1);
    assert_null(hk_sigv4_canonical_request(&rq));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_vanilla),         cmocka_unit_test(test_post_vanilla),
        cmocka_unit_test(test_query_order_key_case), cmocka_unit_test(test_header_value_case),
        cmocka_unit_test(test_header_value_trim),   cmocka_unit_test(test_get_unreserved),
        cmocka_unit_test(test_s3_get_object),       cmocka_unit_test(test_s3_put_object),
        cmocka_unit_test(test_s3_bucket_queries),   cmocka_unit_test(test_uri_encode),
        cmocka_unit_test(test_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
