/* api/call_cost: a call's usage priced with the configured prices
 * (HARK_PRICE_*: telephony and STT per minute of call, LLM per 1,000 prompt
 * and completion tokens, TTS per 1,000 characters spoken), in Vapi's shapes:
 * costBreakdown, costs[] and cost. Shared by GET /call (api/call_json, from
 * the stored record) and the end-of-call report (api/webhooks_msg, from the
 * live call), so both show the same numbers. A price of 0 (the default)
 * means unknown: that part costs 0. */
#ifndef HK_API_CALL_COST_H
#define HK_API_CALL_COST_H

#include "core/config.h"

struct cJSON;

typedef struct hk_call_usage {
    double seconds;      /* the call's length: telephony and STT */
    long tts_chars;      /* characters of what the assistant said (as heard) */
    int tokens_known;    /* 0: token counts not recorded (null in the JSON) */
    double prompt_tokens, completion_tokens;
} hk_call_usage;

/* Adds costBreakdown, costs and cost to o; returns the total in USD. */
double hk_call_cost_add(struct cJSON *o, const hk_config *cfg, const hk_call_usage *u);
/* Characters of UTF-8 text (not bytes). */
long hk_call_cost_chars(const char *s);

#endif
