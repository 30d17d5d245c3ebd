/* tests/unit/providers/test_registry: provider names users bring -> vtables,
 * case-insensitively, with aliases; unknown names are NULL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "providers/llm_anthropic.h"
#include "providers/llm_openai.h"
#include "providers/provider.h"
#include "providers/settings.h"
#include "providers/stt_deepgram.h"
#include "providers/stt_sphinx.h"
#include "providers/tts_elevenlabs.h"
#include "providers/tts_espeak.h"

static void test_stt(void **state) {
    (void)state;
    assert_ptr_equal(hk_stt_find("sphinx"), &hk_stt_sphinx);
    assert_ptr_equal(hk_stt_find("PocketSphinx"), &hk_stt_sphinx);
    assert_string_equal(hk_stt_find("SPHINX")->name, "sphinx");
    assert_ptr_equal(hk_stt_find("Deepgram"), &hk_stt_deepgram);
    assert_int_equal(hk_stt_find("deepgram")->continuous, 1);
    assert_int_equal(hk_stt_sphinx.continuous, 0);
    assert_null(hk_stt_find("deepgramm"));
    assert_null(hk_stt_find(""));
    assert_null(hk_stt_find(NULL));
    assert_null(hk_stt_find("sphinx "));
}

static void test_tts(void **state) {
    (void)state;
    assert_ptr_equal(hk_tts_find("espeak"), &hk_tts_espeak);
    assert_ptr_equal(hk_tts_find("eSpeak-NG"), &hk_tts_espeak);
    assert_ptr_equal(hk_tts_find("elevenlabs"), &hk_tts_elevenlabs);
    assert_ptr_equal(hk_tts_find("11labs"), &hk_tts_elevenlabs); /* Vapi's name */
    assert_null(hk_tts_find("eleven"));
    assert_null(hk_tts_find(NULL));
}

static void test_llm(void **state) {
    (void)state;
    assert_true(hk_llm_is_script("script"));
    assert_true(hk_llm_is_script("Lua"));
    assert_false(hk_llm_is_script("openai"));
    assert_false(hk_llm_is_script(NULL));
    assert_null(hk_llm_find("script"));
    assert_ptr_equal(hk_llm_find("OpenAI"), &hk_llm_openai);
    assert_ptr_equal(hk_llm_find("groq"), &hk_llm_openai); /* OpenAI-compatible */
    assert_ptr_equal(hk_llm_find("custom-llm"), &hk_llm_openai);
    assert_ptr_equal(hk_llm_find("anthropic"), &hk_llm_anthropic);
    assert_null(hk_llm_find("opnai"));
    /* names listed for error messages */
    assert_non_null(strstr(hk_provider_names(2), "anthropic"));
    assert_non_null(strstr(hk_provider_names(2), "script"));
    assert_non_null(strstr(hk_provider_names(1), "11labs"));
    assert_null(strstr(hk_provider_names(0), "espeak"));
    assert_null(hk_llm_find(NULL));
}

/* keys and base URLs by provider name, overrides from the environment */
static void test_settings(void **state) {
    (void)state;
    setenv("OPENAI_API_KEY", "sk-1", 1);
    setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1", 1);
    unsetenv("ELEVENLABS_API_KEY");
    unsetenv("ELEVENLABS_BASE_URL");
    unsetenv("GROQ_API_KEY");
    hk_provider_settings_load(NULL);
    assert_string_equal(hk_provider_api_key("openai"), "sk-1");
    assert_string_equal(hk_provider_base_url("OpenAI"), "http://127.0.0.1:9/v1");
    assert_string_equal(hk_provider_base_url("groq"), "https://api.groq.com/openai/v1");
    assert_string_equal(hk_provider_base_url("11labs"), "https://api.elevenlabs.io");
    assert_null(hk_provider_api_key("elevenlabs"));
    assert_null(hk_provider_base_url("custom-llm")); /* needs model.url */
    /* the public service needs a key; an overridden or local server may not */
    assert_true(hk_provider_needs_key("elevenlabs", "https://api.elevenlabs.io"));
    assert_false(hk_provider_needs_key("openai", "http://127.0.0.1:9/v1"));
    assert_true(hk_provider_needs_key("groq", hk_provider_base_url("groq")));
    assert_false(hk_provider_needs_key("ollama", hk_provider_base_url("ollama")));
    char err[128] = "";
    assert_true(hk_provider_key_missing("11labs", NULL, err, sizeof err)); /* its public URL, no key */
    assert_string_equal(err, "11labs needs an API key (set ELEVENLABS_API_KEY)");
    assert_false(hk_provider_key_missing("openai", NULL, NULL, 0)); /* sk-1 is set */
    unsetenv("OPENAI_API_KEY");
    unsetenv("OPENAI_BASE_URL");
    hk_provider_settings_load(NULL);
    assert_null(hk_provider_api_key("openai"));
    assert_string_equal(hk_provider_base_url("openai"), "https://api.openai.com/v1");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stt),
        cmocka_unit_test(test_tts),
        cmocka_unit_test(test_llm),
        cmocka_unit_test(test_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
