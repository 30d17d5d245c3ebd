/* tests/unit/providers/test_registry: provider names users bring -> vtables,
 * case-insensitively, with aliases; unknown names are NULL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "providers/provider.h"
#include "providers/stt_sphinx.h"
#include "providers/tts_espeak.h"

static void test_stt(void **state) {
    (void)state;
    assert_ptr_equal(hk_stt_find("sphinx"), &hk_stt_sphinx);
    assert_ptr_equal(hk_stt_find("PocketSphinx"), &hk_stt_sphinx);
    assert_string_equal(hk_stt_find("SPHINX")->name, "sphinx");
    assert_null(hk_stt_find("deepgram"));
    assert_null(hk_stt_find(""));
    assert_null(hk_stt_find(NULL));
    assert_null(hk_stt_find("sphinx "));
}

static void test_tts(void **state) {
    (void)state;
    assert_ptr_equal(hk_tts_find("espeak"), &hk_tts_espeak);
    assert_ptr_equal(hk_tts_find("eSpeak-NG"), &hk_tts_espeak);
    assert_null(hk_tts_find("elevenlabs"));
    assert_null(hk_tts_find(NULL));
}

static void test_llm(void **state) {
    (void)state;
    assert_true(hk_llm_is_script("script"));
    assert_true(hk_llm_is_script("Lua"));
    assert_false(hk_llm_is_script("openai"));
    assert_false(hk_llm_is_script(NULL));
    assert_null(hk_llm_find("script"));
    assert_null(hk_llm_find("openai"));
    assert_null(hk_llm_find(NULL));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stt),
        cmocka_unit_test(test_tts),
        cmocka_unit_test(test_llm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
