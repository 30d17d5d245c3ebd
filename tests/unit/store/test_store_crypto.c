/* tests/unit/store/test_store_crypto: the data keyring and AES-256-GCM sealing:
 * hex, base64 and "id:key" lists parse (and bad keys do not); values round
 * trip; a flipped bit, another tenant's additional data, another row's or an
 * unknown key id all fail to open; production refuses to run without a key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/config.h"
#include "store/crypto.h"

#define HEX1 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define B64 "c2Vjb25kIGtleSBvZiBoYXJrIHRlc3RzISEhISEhISE="

static void test_parse(void **state) {
    (void)state;
    hk_keyring kr;
    char err[256];
    assert_int_equal(hk_keyring_parse(&kr, HEX1, err, sizeof err), 0);
    assert_int_equal(kr.n, 1);
    assert_int_equal(kr.newest, 1);
    assert_int_equal(kr.keys[0][31], 0x1f);
    assert_int_equal(hk_keyring_parse(&kr, "3:" B64 ",7:" HEX1, err, sizeof err), 0);
    assert_int_equal(kr.n, 2);
    assert_int_equal(kr.newest, 7);
    assert_memory_equal(kr.keys[0], "second key of hark tests!!!!!!!!", 32);
    const char *bad[] = {"", "abcd", HEX1 "00", "x:" HEX1, "0:" HEX1, "1:" HEX1 ",1:" B64,
                         "c2Vjb25kIGtleSBvZiBoYXJrIHRlc3RzISEhISEhIQ==", /* 31 bytes */
                         "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = 0;
        assert_int_equal(hk_keyring_parse(&kr, bad[i], err, sizeof err), -1);
        assert_true(err[0] != 0);
        assert_int_equal(kr.n, 0);
    }
}

static void test_seal_open(void **state) {
    (void)state;
    hk_keyring kr;
    char err[256], aad[128], other[128];
    assert_int_equal(hk_keyring_parse(&kr, "1:" HEX1 ",2:" B64, err, sizeof err), 0);
    const char *plain = "my card number is 4111 1111 1111 1111";
    size_t n = strlen(plain);
    uint8_t sealed[128], sealed2[128], out[128];
    hk_seal_aad(aad, sizeof aad, "tenant-a", "call_messages.content", "msg-1");
    int len = hk_seal(&kr, 2, aad, (const uint8_t *)plain, n, sealed);
    assert_int_equal(len, (int)n + HK_SEAL_OVERHEAD);
    assert_null(memmem(sealed, (size_t)len, "4111", 4));
    /* a fresh nonce every time */
    assert_int_equal(hk_seal(&kr, 2, aad, (const uint8_t *)plain, n, sealed2), len);
    assert_memory_not_equal(sealed, sealed2, (size_t)len);
    assert_int_equal(hk_open(&kr, 2, aad, sealed, (size_t)len, out), (int)n);
    assert_memory_equal(out, plain, n);
    assert_int_equal(hk_open(&kr, 1, aad, sealed, (size_t)len, out), -1);  /* wrong key */
    assert_int_equal(hk_open(&kr, 9, aad, sealed, (size_t)len, out), -1);  /* unknown id */
    hk_seal_aad(other, sizeof other, "tenant-b", "call_messages.content", "msg-1");
    assert_int_equal(hk_open(&kr, 2, other, sealed, (size_t)len, out), -1); /* other tenant */
    hk_seal_aad(other, sizeof other, "tenant-a", "call_messages.content", "msg-2");
    assert_int_equal(hk_open(&kr, 2, other, sealed, (size_t)len, out), -1); /* other row */
    sealed[20] ^= 1;
    assert_int_equal(hk_open(&kr, 2, aad, sealed, (size_t)len, out), -1);  /* tampered */
    assert_int_equal(hk_open(&kr, 2, aad, sealed, 10, out), -1);           /* truncated */
    /* key id 0: stored as is (development without a key) */
    assert_int_equal(hk_seal(&kr, 0, aad, (const uint8_t *)plain, n, sealed), (int)n);
    assert_memory_equal(sealed, plain, n);
}

static void test_env(void **state) {
    (void)state;
    hk_keyring kr;
    char err[256] = "";
    hk_config cfg;
    memset(&cfg, 0, sizeof cfg);
    hk_config_set(&cfg, HK_CFG_HARK_ENV, "production");
    assert_int_equal(hk_keyring_from_env(&cfg, &kr, err, sizeof err), -1);
    assert_non_null(strstr(err, "HARK_DATA_KEY"));
    hk_config_set(&cfg, HK_CFG_HARK_ENV, "development");
    assert_int_equal(hk_keyring_from_env(&cfg, &kr, err, sizeof err), 0); /* warns loudly */
    assert_int_equal(kr.n, 0);
    hk_config_set(&cfg, HK_CFG_HARK_DATA_KEY, "2:" HEX1);
    assert_int_equal(hk_keyring_from_env(&cfg, &kr, err, sizeof err), 0);
    assert_int_equal(kr.newest, 2);
    hk_config_free(&cfg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_seal_open),
        cmocka_unit_test(test_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
