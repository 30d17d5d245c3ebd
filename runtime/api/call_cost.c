/* api/call_cost: prices a call's usage (see call_cost.h). Pure: no store,
 * no loop. */
#include "api/call_cost.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>

static double price(const hk_config *cfg, hk_config_key k) {
    const char *v = cfg ? hk_config_str(cfg, k) : NULL;
    if (!v) return 0;
    char *end;
    double p = strtod(v, &end);
    return (*end || !isfinite(p) || p < 0) ? 0 : p;
}

/* cents are too coarse for per-call costs; Vapi answers with many decimals */
static double usd(double v) { return round(v * 1e6) / 1e6; }

static void add_cost(cJSON *costs, const char *type, double cost) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", type);
    cJSON_AddNumberToObject(o, "cost", cost);
    cJSON_AddItemToArray(costs, o);
}

long hk_call_cost_chars(const char *s) {
    long n = 0;
    for (; s && *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) n++;
    return n;
}

double hk_call_cost_add(cJSON *o, const hk_config *cfg, const hk_call_usage *u) {
    double secs = u->seconds > 0 ? u->seconds : 0;
    double ptok = u->tokens_known && u->prompt_tokens > 0 ? u->prompt_tokens : 0;
    double ctok = u->tokens_known && u->completion_tokens > 0 ? u->completion_tokens : 0;
    double transport = usd(secs / 60.0 * price(cfg, HK_CFG_HARK_PRICE_TELEPHONY_PER_MIN));
    double stt = usd(secs / 60.0 * price(cfg, HK_CFG_HARK_PRICE_STT_PER_MIN));
    double tts = usd((double)u->tts_chars / 1000.0 * price(cfg, HK_CFG_HARK_PRICE_TTS_PER_1K_CHARS));
    double llm = usd(ptok / 1000.0 * price(cfg, HK_CFG_HARK_PRICE_LLM_PER_1K_PROMPT) +
                     ctok / 1000.0 * price(cfg, HK_CFG_HARK_PRICE_LLM_PER_1K_COMPLETION));
    double total = usd(transport + stt + llm + tts);
    cJSON *cb = cJSON_AddObjectToObject(o, "costBreakdown");
    cJSON_AddNumberToObject(cb, "transport", transport);
    cJSON_AddNumberToObject(cb, "stt", stt);
    cJSON_AddNumberToObject(cb, "llm", llm);
    cJSON_AddNumberToObject(cb, "tts", tts);
    cJSON_AddNumberToObject(cb, "vapi", 0);
    cJSON_AddNumberToObject(cb, "total", total);
    if (u->tokens_known) {
        cJSON_AddNumberToObject(cb, "llmPromptTokens", ptok);
        cJSON_AddNumberToObject(cb, "llmCompletionTokens", ctok);
    } else {
        cJSON_AddNullToObject(cb, "llmPromptTokens");
        cJSON_AddNullToObject(cb, "llmCompletionTokens");
    }
    cJSON_AddNumberToObject(cb, "ttsCharacters", (double)u->tts_chars);
    cJSON *costs = cJSON_AddArrayToObject(o, "costs");
    add_cost(costs, "transport", transport);
    add_cost(costs, "transcriber", stt);
    add_cost(costs, "model", llm);
    add_cost(costs, "voice", tts);
    add_cost(costs, "vapi", 0);
    cJSON_AddNumberToObject(o, "cost", total);
    return total;
}
