/* tests/unit/core/test_config: .env syntax (comments, export, quotes,
 * escapes, inline comments, CRLF), precedence (environment > .env >
 * default), the table (every name unique, described, printed by --help), and
 * hk_config_check naming every missing or invalid value in one message, and
 * every setting read from a .env alone: by the loader, and by each consumer
 * that once read it with getenv (store, keyring, database URL, log level,
 * provider keys). Each test clears all hark variables from the environment
 * first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/config.h"
#include "core/log.h"
#include "providers/settings.h"
#include "store/crypto.h"
#include "store/migrate.h"
#include "store/store.h"

static char path[64];

static int setup(void **state)
{
    (void)state;
    for (int k = 0; k < HK_CFG_COUNT; k++)
        unsetenv(hk_config_vars[k].name);
    snprintf(path, sizeof path, "/tmp/hk_test_config_%d.env", (int)getpid());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

static void write_env(const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int line(const char *l, char *k, char *v)
{
    char err[128];
    return hk_config_parse_line(l, k, 64, v, 256, err, sizeof err);
}

static void test_parse_line(void **state)
{
    (void)state;
    char k[64], v[256];
    static const char *const blank[] = {"", "\n", "   \t\n", "# comment", "   # KEY=VALUE", "\r\n"};
    for (size_t i = 0; i < sizeof blank / sizeof blank[0]; i++)
        assert_int_equal(line(blank[i], k, v), 0);
    static const char *const ok[][3] = {
        {"KEY=value", "KEY", "value"},
        {"KEY=value\n", "KEY", "value"},
        {"KEY=value\r\n", "KEY", "value"},
        {"  KEY = value  ", "KEY", "value"},
        {"export KEY=value", "KEY", "value"},
        {"export\tKEY=v", "KEY", "v"},
        {"exportKEY=v", "exportKEY", "v"},
        {"KEY=", "KEY", ""},
        {"KEY=a=b", "KEY", "a=b"},
        {"KEY=value # comment", "KEY", "value"},
        {"KEY=val#ue", "KEY", "val#ue"},
        {"KEY=#notacomment", "KEY", "#notacomment"},
        {"KEY=\"quoted value\"", "KEY", "quoted value"},
        {"KEY=\"with # hash\" # comment", "KEY", "with # hash"},
        {"KEY=\"esc \\\"q\\\" \\\\ \\n\"", "KEY", "esc \"q\" \\ \n"},
        {"KEY='single $X \\n'", "KEY", "single $X \\n"},
        {"KEY=''", "KEY", ""},
        {"_K1=x", "_K1", "x"},
        {"DATABASE_URL=postgres://u:p@h:5432/db?sslmode=require", "DATABASE_URL",
         "postgres://u:p@h:5432/db?sslmode=require"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (line(ok[i][0], k, v) != 1)
            fail_msg("rejected: %s", ok[i][0]);
        assert_string_equal(k, ok[i][1]);
        assert_string_equal(v, ok[i][2]);
    }
    static const char *const bad[] = {"KEY", "=value", "1KEY=v", "KEY value", "KEY:v", "K-EY=v",
                                      "KEY=\"unterminated", "KEY='open", "KEY=\"a\" b", "export =v"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (line(bad[i], k, v) != -1)
            fail_msg("accepted: %s", bad[i]);
    char err[128], small[4];
    assert_int_equal(hk_config_parse_line("KEY=toolong", k, 64, small, sizeof small, err, sizeof err), -1);
    assert_non_null(strstr(err, "too long"));
    assert_int_equal(hk_config_parse_line("KEY=abc", k, 64, small, sizeof small, err, sizeof err), 1);
    assert_int_equal(hk_config_parse_line("LONGKEY=a", small, sizeof small, v, 256, err, sizeof err), -1);
}

static void test_precedence(void **state)
{
    (void)state;
    write_env("# hark settings\n"
              "export TWILIO_AUTH_TOKEN=from-dotenv\n"
              "HARK_PORT=9000\n"
              "OPENAI_API_KEY=\"sk-dotenv\"\n"
              "SOMETHING_ELSE=ignored\n"
              "OPENAI_API_KEY='sk-later-wins'\n");
    setenv("TWILIO_AUTH_TOKEN", "from-env", 1);
    setenv("DEEPGRAM_API_KEY", "", 1);
    hk_config c;
    char err[256];
    assert_int_equal(hk_config_load(&c, path, err, sizeof err), 0);
    assert_string_equal(hk_config_str(&c, HK_CFG_TWILIO_AUTH_TOKEN), "from-env");
    assert_string_equal(hk_config_source(&c, HK_CFG_TWILIO_AUTH_TOKEN), "environment");
    assert_string_equal(hk_config_str(&c, HK_CFG_HARK_PORT), "9000");
    assert_string_equal(hk_config_source(&c, HK_CFG_HARK_PORT), ".env");
    assert_int_equal(hk_config_long(&c, HK_CFG_HARK_PORT, 1), 9000);
    assert_string_equal(hk_config_get(&c, "OPENAI_API_KEY"), "sk-later-wins");
    assert_string_equal(hk_config_str(&c, HK_CFG_DEEPGRAM_API_KEY), ""); /* set empty: still wins */
    assert_string_equal(hk_config_str(&c, HK_CFG_HARK_AGENTS_DIR), "agents");
    assert_string_equal(hk_config_source(&c, HK_CFG_HARK_AGENTS_DIR), "default");
    assert_string_equal(hk_config_str(&c, HK_CFG_TWILIO_API_BASE_URL), "https://api.twilio.com");
    assert_string_equal(hk_config_str(&c, HK_CFG_HARK_RECORDINGS_DIR), "var/recordings");
    assert_string_equal(hk_config_str(&c, HK_CFG_HARK_ENV), "development");
    assert_false(hk_config_production(&c));
    assert_null(hk_config_str(&c, HK_CFG_REDIS_URL));
    assert_string_equal(hk_config_source(&c, HK_CFG_REDIS_URL), "unset");
    assert_null(hk_config_get(&c, "SOMETHING_ELSE"));
    assert_null(hk_config_get(&c, NULL));
    assert_null(hk_config_str(&c, HK_CFG_COUNT));
    assert_int_equal(hk_config_long(&c, HK_CFG_REDIS_URL, 42), 42);
    assert_int_equal(hk_config_long(&c, HK_CFG_HARK_AGENTS_DIR, 42), 42);
    hk_config_free(&c);
    assert_null(c.value[HK_CFG_HARK_PORT]);
}

static void test_missing_file_and_errors(void **state)
{
    (void)state;
    hk_config c;
    char err[256];
    assert_int_equal(hk_config_load(&c, "/nonexistent/dir/.env", err, sizeof err), 0);
    assert_string_equal(hk_config_str(&c, HK_CFG_HARK_PORT), "8080");
    hk_config_free(&c);
    write_env("HARK_PORT=1\n\n# ok\nTWILIO_AUTH_TOKEN=\"oops\n");
    assert_int_equal(hk_config_load(&c, path, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "line 4"));
    assert_non_null(strstr(err, "unterminated"));
    assert_string_equal(hk_config_str(&c, HK_CFG_HARK_PORT), "1"); /* usable, defaults filled */
    assert_string_equal(hk_config_str(&c, HK_CFG_HARK_ENV), "development");
    hk_config_free(&c);
    /* A directory is not a readable file. */
    assert_int_equal(hk_config_load(&c, "/tmp", err, sizeof err), -1);
    hk_config_free(&c);
}

static void test_check(void **state)
{
    (void)state;
    hk_config c;
    char err[1024];
    write_env("TWILIO_ACCOUNT_SID=AC1\n");
    assert_int_equal(hk_config_load(&c, path, err, sizeof err), 0);
    assert_int_equal(hk_config_check(&c, "serve", err, sizeof err), -1);
    assert_string_equal(err, "config: missing TWILIO_AUTH_TOKEN, TWILIO_WEBHOOK_URL (needed by hark serve)");
    assert_int_equal(hk_config_check(&c, "migrate", err, sizeof err), 0);
    assert_string_equal(err, "");
    hk_config_free(&c);

    write_env("TWILIO_ACCOUNT_SID=AC1\nTWILIO_AUTH_TOKEN=t\nTWILIO_WEBHOOK_URL=https://h.example\n");
    assert_int_equal(hk_config_load(&c, path, err, sizeof err), 0);
    assert_int_equal(hk_config_check(&c, "serve", err, sizeof err), 0);
    hk_config_free(&c);

    setenv("HARK_ENV", "production", 1);
    assert_int_equal(hk_config_load(&c, path, err, sizeof err), 0);
    assert_true(hk_config_production(&c));
    assert_int_equal(hk_config_check(&c, "serve", err, sizeof err), -1);
    /* JWT_SECRET signs nothing yet: not required until the platform API uses it */
    assert_string_equal(err, "config: missing HARK_DATA_KEY, HARK_STREAM_SECRET "
                             "(needed by hark serve in production)");
    hk_config_free(&c);

    setenv("HARK_ENV", "staging", 1);
    setenv("HARK_PORT", "70000", 1);
    setenv("HARK_STORE", "sqlite", 1);
    setenv("HARK_LOG_LEVEL", "verbose", 1);
    setenv("HARK_WORKERS", "0", 1);
    setenv("HARK_DRAIN_SECONDS", "ten", 1);
    setenv("HARK_MAX_CONNECTIONS", "-1", 1);
    setenv("HARK_CALL_MEMORY_MB", "16MB", 1);
    setenv("TWILIO_WEBHOOK_URL", "h.example", 1);
    setenv("OPENAI_BASE_URL", "ftp://x", 1);
    setenv("DEEPGRAM_BASE_URL", "wss://api.deepgram.com", 1); /* a WebSocket URL is fine here */
    setenv("ELEVENLABS_BASE_URL", "wss://api.elevenlabs.io", 1); /* ... and not here */
    setenv("TWILIO_AUTH_TOKEN", "", 1);
    assert_int_equal(hk_config_load(&c, path, err, sizeof err), 0);
    assert_int_equal(hk_config_check(&c, "serve", err, sizeof err), -1);
    assert_string_equal(err, "config: missing TWILIO_AUTH_TOKEN (needed by hark serve); "
                             "HARK_ENV must be development or production; "
                             "HARK_PORT must be a port number 1-65535; "
                             "HARK_STORE must be one of: postgres memory; "
                             "HARK_LOG_LEVEL must be one of: debug info warn error; "
                             "HARK_WORKERS must be a whole number 1-64; "
                             "HARK_DRAIN_SECONDS must be a whole number 0-86400; "
                             "HARK_MAX_CONNECTIONS must be a whole number 1-1000000; "
                             "HARK_CALL_MEMORY_MB must be a whole number 1-65536; "
                             "TWILIO_WEBHOOK_URL must start with https:// or http://; "
                             "OPENAI_BASE_URL must start with https:// or http://; "
                             "ELEVENLABS_BASE_URL must start with https:// or http://");
    /* A short buffer truncates, still terminated, still -1. */
    char small[20];
    assert_int_equal(hk_config_check(&c, "serve", small, sizeof small), -1);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_int_equal(hk_config_check(&c, "serve", NULL, 0), -1);
    hk_config_free(&c);
    setenv("HARK_PORT", "0", 1);
    unsetenv("HARK_STORE");
    unsetenv("HARK_LOG_LEVEL");
    unsetenv("HARK_WORKERS");
    unsetenv("HARK_DRAIN_SECONDS");
    unsetenv("HARK_MAX_CONNECTIONS");
    unsetenv("HARK_CALL_MEMORY_MB");
    unsetenv("HARK_ENV");
    unsetenv("OPENAI_BASE_URL");
    unsetenv("DEEPGRAM_BASE_URL");
    unsetenv("ELEVENLABS_BASE_URL");
    setenv("TWILIO_AUTH_TOKEN", "t", 1);
    setenv("TWILIO_WEBHOOK_URL", "http://localhost:8080", 1);
    assert_int_equal(hk_config_load(&c, path, err, sizeof err), 0);
    assert_int_equal(hk_config_check(&c, "serve", err, sizeof err), -1);
    assert_string_equal(err, "config: HARK_PORT must be a port number 1-65535");
    hk_config_free(&c);
}

static void test_table_and_help(void **state)
{
    (void)state;
    for (int k = 0; k < HK_CFG_COUNT; k++) {
        assert_non_null(hk_config_vars[k].name);
        assert_true(strlen(hk_config_vars[k].description) > 10);
        for (int j = 0; j < k; j++)
            assert_string_not_equal(hk_config_vars[j].name, hk_config_vars[k].name);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    hk_config_print_help(f);
    fclose(f);
    for (int k = 0; k < HK_CFG_COUNT; k++) {
        char want[80];
        snprintf(want, sizeof want, "  %s", hk_config_vars[k].name);
        if (!strstr(buf, want))
            fail_msg("help lacks %s", hk_config_vars[k].name);
    }
    assert_non_null(strstr(buf, "HARK_PORT (default: 8080)"));
    assert_non_null(strstr(buf, "TWILIO_AUTH_TOKEN [required by hark serve]"));
    /* the platform settings say what they do, and are required by nothing */
    assert_non_null(strstr(buf, "  JWT_SECRET\n      secret (16+ characters) that signs"));
    assert_non_null(strstr(buf, "  REDIS_URL\n      Redis URL"));
    assert_null(strstr(buf, "WEBSOCKET_PORT"));
    free(buf);
}


/* Every setting in the table, written only to .env, is loaded from there. */
static void test_every_setting_from_dotenv(void **state)
{
    (void)state;
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int k = 0; k < HK_CFG_COUNT; k++)
        fprintf(f, "%s=v%d\n", hk_config_vars[k].name, k);
    fclose(f);
    hk_config c;
    char err[256];
    assert_int_equal(hk_config_load(&c, path, err, sizeof err), 0);
    for (int k = 0; k < HK_CFG_COUNT; k++) {
        char want[16];
        snprintf(want, sizeof want, "v%d", k);
        if (!hk_config_str(&c, (hk_config_key)k) || strcmp(hk_config_str(&c, (hk_config_key)k), want) != 0)
            fail_msg("%s not read from .env", hk_config_vars[k].name);
        assert_string_equal(hk_config_source(&c, (hk_config_key)k), ".env");
        assert_string_equal(hk_config_get(&c, hk_config_vars[k].name), want);
    }
    hk_config_free(&c);
}

/* The consumers that once called getenv read the same names from a .env. */
static void test_consumers_read_dotenv(void **state)
{
    (void)state;
    hk_config c;
    char err[256] = "";
    /* HARK_STORE=memory from .env: the memory store, no PostgreSQL */
    write_env("HARK_STORE=memory\n");
    assert_int_equal(hk_config_load(&c, path, err, sizeof err), 0);
    hk_store *s = hk_store_from_env(&c, NULL, NULL, err, sizeof err);
    assert_non_null(s);
    hk_store_free(s);
    hk_config_free(&c);

    /* HARK_ENV=production from .env: no key, no store, no keyring */
    write_env("HARK_ENV=production\nHARK_STORE=postgres\nDATABASE_URL=postgres://127.0.0.1:1/x\n");
    assert_int_equal(hk_config_load(&c, path, err, sizeof err), 0);
    assert_null(hk_store_from_env(&c, NULL, NULL, err, sizeof err));
    assert_non_null(strstr(err, "HARK_DATA_KEY is not set"));
    hk_keyring kr;
    assert_int_equal(hk_keyring_from_env(&c, &kr, err, sizeof err), -1);
    /* DATABASE_URL from .env: used as is (no private cluster started) */
    char url[256];
    assert_int_equal(hk_db_url(&c, url, sizeof url, err, sizeof err), 0);
    assert_string_equal(url, "postgres://127.0.0.1:1/x");
    hk_config_free(&c);

    /* HARK_DATA_KEY from .env: a keyring that seals */
    write_env("HARK_ENV=production\nHARK_DATA_KEY=3:"
              "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n");
    assert_int_equal(hk_config_load(&c, path, err, sizeof err), 0);
    assert_int_equal(hk_keyring_from_env(&c, &kr, err, sizeof err), 0);
    assert_int_equal(kr.n, 1);
    assert_int_equal(kr.newest, 3);
    hk_keyring_wipe(&kr);
    hk_config_free(&c);

    /* HARK_LOG_LEVEL from .env */
    write_env("HARK_LOG_LEVEL=error\n");
    assert_int_equal(hk_config_load(&c, path, err, sizeof err), 0);
    assert_int_equal(hk_log_init(hk_config_str(&c, HK_CFG_HARK_LOG_LEVEL)), 0);
    assert_false(hk_log_enabled(HK_LOG_WARN));
    assert_true(hk_log_enabled(HK_LOG_ERROR));
    hk_log_set_level(HK_LOG_INFO);
    hk_config_free(&c);

    /* provider keys, including those once read outside the table */
    write_env("TOGETHER_API_KEY=tg-1\nDEEPINFRA_API_KEY=di-1\nOPENAI_BASE_URL=http://127.0.0.1:9/v1\n");
    assert_int_equal(hk_config_load(&c, path, err, sizeof err), 0);
    hk_provider_settings_load(&c);
    assert_string_equal(hk_provider_api_key("together-ai"), "tg-1");
    assert_string_equal(hk_provider_api_key("deepinfra"), "di-1");
    assert_string_equal(hk_provider_base_url("openai"), "http://127.0.0.1:9/v1");
    hk_config_free(&c);
    hk_provider_settings_load(&c); /* freed: all unset */
    assert_null(hk_provider_api_key("together-ai"));
}

/* HARK_DEEPGRAM_CHUNK_MS: 20-250 ms (Deepgram's advice), default 100, a
 * clear error outside; the provider settings hand it to the calls. */
static void test_deepgram_chunk_ms(void **state)
{
    (void)state;
    hk_config c;
    char err[512];
    static const struct { const char *v; int ok, ms; } cases[] = {
        {NULL, 1, 100}, {"20", 1, 20}, {"250", 1, 250}, {"19", 0, 0}, {"251", 0, 0}, {"100ms", 0, 0}, {"-5", 0, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].v)
            setenv("HARK_DEEPGRAM_CHUNK_MS", cases[i].v, 1);
        else
            unsetenv("HARK_DEEPGRAM_CHUNK_MS");
        write_env("");
        assert_int_equal(hk_config_load(&c, path, err, sizeof err), 0);
        assert_int_equal(hk_config_check(&c, "migrate", err, sizeof err), cases[i].ok ? 0 : -1);
        if (cases[i].ok) {
            hk_provider_settings_load(&c);
            assert_int_equal(hk_provider_deepgram_chunk_ms(), cases[i].ms);
        } else {
            assert_string_equal(err, "config: HARK_DEEPGRAM_CHUNK_MS must be a whole number 20-250 "
                                     "(milliseconds of audio per Deepgram message)");
        }
        hk_config_free(&c);
    }
    unsetenv("HARK_DEEPGRAM_CHUNK_MS");
}

/* hk_config_set: in-process values (what serve's supervisor hands its
 * forked workers), never written to the environment; copies are deep. */
static void test_set_and_copy(void **state)
{
    (void)state;
    hk_config c, d;
    char err[256];
    write_env("HARK_SPOOL_PATH=/tmp/a.jsonl\n");
    assert_int_equal(hk_config_load(&c, path, err, sizeof err), 0);
    assert_int_equal(hk_config_set(&c, HK_CFG_HARK_SPOOL_PATH, "/tmp/a-1.jsonl"), 0);
    assert_int_equal(hk_config_set(&c, HK_CFG_HARK_STREAM_SECRET, "s3cret"), 0);
    assert_string_equal(hk_config_str(&c, HK_CFG_HARK_SPOOL_PATH), "/tmp/a-1.jsonl");
    assert_string_equal(hk_config_source(&c, HK_CFG_HARK_STREAM_SECRET), "set by hark");
    assert_null(getenv("HARK_STREAM_SECRET"));
    assert_null(getenv("HARK_SPOOL_PATH"));
    assert_int_equal(hk_config_set(&c, HK_CFG_COUNT, "x"), -1);
    assert_int_equal(hk_config_copy(&d, &c), 0);
    assert_int_equal(hk_config_set(&c, HK_CFG_HARK_STREAM_SECRET, NULL), 0);
    assert_null(hk_config_str(&c, HK_CFG_HARK_STREAM_SECRET));
    assert_string_equal(hk_config_source(&c, HK_CFG_HARK_STREAM_SECRET), "unset");
    assert_string_equal(hk_config_str(&d, HK_CFG_HARK_STREAM_SECRET), "s3cret");
    assert_string_equal(hk_config_source(&d, HK_CFG_HARK_AGENTS_DIR), "default");
    hk_config_free(&c);
    hk_config_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_parse_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_and_help, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_setting_from_dotenv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consumers_read_dotenv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_and_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deepgram_chunk_ms, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
