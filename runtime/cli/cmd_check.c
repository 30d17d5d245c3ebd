/* cli/cmd_check: `hark check FILE...` loads each agent file exactly as the
 * server would (sandbox, CPU budget, table checks) and reports what is wrong
 * with file and line. Exit status 1 when any file fails. */
#include <stdio.h>
#include <string.h>

#include "agent/agent.h"
#include "cli/cli.h"
#include "core/config.h"
#include "providers/settings.h"

/* A cloud provider with no key works in no call: say so now (not an error:
 * the key may be set where the agent is deployed). */
static void note_key(const char *what, const char *provider, const char *base_url) {
    if (!provider) return;
    if (hk_provider_key_missing(provider, base_url, NULL, 0))
        printf("  note: %s '%s' has no API key here; its calls would use the fallback\n", what,
               provider);
}

static int count_tools(hk_agent *a) {
    lua_State *L = a->vm->L;
    hk_agent_push_table(a, L);
    hk_vm_rawgetfield(L, -1, "tools");
    int n = 0;
    if (lua_istable(L, -1))
        for (lua_pushnil(L); lua_next(L, -2); lua_pop(L, 1)) n++;
    lua_pop(L, 2);
    return n;
}

int hk_cmd_check(int argc, char **argv, const hk_config *cfg) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        printf("usage: hark check FILE...\n\n"
               "Compiles each agent file in the sandbox, runs it under the CPU budget and\n"
               "checks the returned table (hooks are functions, settings have the right\n"
               "types, providers are known). Prints 'ok' or the error with file:line;\n"
               "exits 1 if any file fails.\n");
        return argc < 2 ? 2 : 0;
    }
    char err[2048];
    hk_vm *vm = hk_vm_new(hk_config_str(cfg, HK_CFG_HARK_LUA_DIR), err, sizeof err);
    if (!vm) {
        fprintf(stderr, "hark check: %s\n", err);
        return 1;
    }
    hk_provider_settings_load(cfg);
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        hk_agent *a = hk_agent_load(vm, argv[i], 1, err, sizeof err);
        if (!a) {
            printf("FAIL %s\n  %s\n", argv[i], err);
            failed++;
            continue;
        }
        printf("ok   %s: agent '%s', %zu recognition hints, %d tools, stt %s, tts %s, model %s\n",
               argv[i], a->name, a->n_phrases, count_tools(a), a->stt_provider, a->tts_provider,
               a->llm_provider);
        note_key("transcriber", a->stt_provider, NULL);
        note_key("voice", a->tts_provider, NULL);
        note_key("model", hk_agent_uses_llm(a) ? a->llm_provider : NULL, a->llm_base_url);
        hk_agent_unref(a);
    }
    hk_vm_free(vm);
    return failed ? 1 : 0;
}
