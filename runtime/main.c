/* main: the hark command line. Each subcommand lives in runtime/cli/cmd_*.c;
 * this file loads the settings once (environment, then ./.env: the one
 * hk_config every command reads), sets the log level from them, dispatches
 * and prints the overview. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/config.h"
#include "core/json_arena.h"
#include "core/log.h"

static const hk_command commands[] = {
    {"call", "hold one simulated phone call with an agent (offline)", hk_cmd_call},
    {"check", "load agent files in the sandbox and report errors with line numbers", hk_cmd_check},
    {"serve", "run the agent server (skeleton: agents + hot reload; HTTP comes next)", hk_cmd_serve},
    {"dial", "place an outbound call through Twilio; it runs on hark serve", hk_cmd_dial},
    {"migrate", "apply the schema/ migrations to PostgreSQL (DATABASE_URL or the private cluster)", hk_cmd_migrate},
    {"tenant", "create or list tenants (organisations) in PostgreSQL", hk_cmd_tenant},
    {"key", "create, list or revoke a tenant's API keys", hk_cmd_key},
    {"user", "create a dashboard user (password on stdin)", hk_cmd_user},
    {"rekey", "re-encrypt call records under the newest HARK_DATA_KEY", hk_cmd_rekey},
    {"synth", "synthesise text to a WAV with the offline voice (espeak-ng)", hk_cmd_synth},
    {"transcribe", "transcribe a WAV with the offline recogniser (pocketsphinx)", hk_cmd_transcribe},
    {"test-lua", "run a Lua test file against the agent runtime", hk_cmd_test_lua},
    {NULL, NULL, NULL},
};

static void usage(FILE *out) {
    fprintf(out,
            "hark: self-hosted voice agents (C runtime, Lua agents)\n\n"
            "usage: hark <command> [options]   (hark <command> --help for details)\n\n"
            "commands:\n");
    for (const hk_command *c = commands; c->name; c++) fprintf(out, "  %-11s %s\n", c->name, c->help);
    fprintf(out,
            "\nsettings (environment or ./.env): HARK_LOG_LEVEL=debug|info|warn|error, HARK_LUA_DIR\n"
            "(lua/ of this tree by default); hark serve --help lists them all\n");
}

static int asks_help(int argc, char **argv) {
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
    return 0;
}

int main(int argc, char **argv) {
    hk_json_arena_install(); /* before any cJSON use: its hooks are process-wide */
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("hark 0.1.0\n");
        return 0;
    }
    for (const hk_command *c = commands; c->name; c++) {
        if (strcmp(argv[1], c->name) != 0) continue;
        /* A .env line hark cannot parse may be the one that holds a key:
         * refuse rather than run without it. */
        hk_config cfg;
        char err[1024];
        if (hk_config_load(&cfg, NULL, err, sizeof err) != 0 && !asks_help(argc, argv)) {
            fprintf(stderr, "hark %s: %s\n", c->name, err);
            hk_config_free(&cfg);
            return 1;
        }
        if (hk_log_init(hk_config_str(&cfg, HK_CFG_HARK_LOG_LEVEL)) != 0)
            fprintf(stderr, "hark: HARK_LOG_LEVEL must be debug, info, warn or error (using info)\n");
        int rc = c->run(argc - 1, argv + 1, &cfg);
        hk_config_free(&cfg);
        return rc;
    }
    fprintf(stderr, "hark: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
