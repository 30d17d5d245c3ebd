/* core/metrics: the worker's counters, gauges and latency histograms, and
 * their Prometheus text form for GET /metrics. A fixed set, updated with plain
 * increments on the loop thread (no locks, no allocation). */
#ifndef HK_METRICS_H
#define HK_METRICS_H

#include <stddef.h>

typedef enum {
    HK_M_CALLS_STARTED,
    HK_M_CALLS_ENDED,
    HK_M_TURNS,
    HK_M_HOOK_ERRORS,
    HK_M_STT_ERRORS,
    HK_M_TTS_ERRORS,
    HK_M_WEBHOOKS,
    HK_M_WEBHOOKS_REJECTED,
    HK_M_AGENT_RELOAD_FAILURES,
    HK_M_LLM_ERRORS,        /* LLM turns that failed after retry and fallback */
    HK_M_LLM_RETRIES,       /* LLM requests retried or sent to model.fallback */
    HK_M_PROVIDER_FALLBACKS, /* calls switched to a fallback voice or transcriber */
    HK_M_TTS_CACHE_HITS,    /* fixed phrases played from the TTS cache (providers/tts_cache) */
    HK_M_TTS_CACHE_MISSES,  /* fixed phrases sent to the provider (then cached) */
    HK_M_CALLS_BUSY,        /* incoming calls refused: a concurrency cap (cluster/call_limits) */
    HK_M_CALL_LIMIT_DEGRADED, /* slot requests counted per worker: Redis unreachable */
    HK_M_RATE_LIMITED,      /* requests/logins/calls refused by a rate limit (cluster/rate_limit) */
    HK_M_RATE_LIMIT_DEGRADED, /* rate checks counted per worker: Redis unreachable */
    HK_M_WEBHOOKS_DROPPED,  /* best-effort server messages dropped: a slow receiver (api/webhooks) */
    HK_M_COUNTERS
} hk_counter;

typedef enum {
    HK_H_TURN_LATENCY,   /* caller stopped speaking -> first agent audio */
    HK_H_STT_LATENCY,    /* caller stopped -> final transcript */
    HK_H_LLM_FIRST_TOKEN, /* LLM request sent -> first token */
    HK_H_TTS_FIRST_AUDIO, /* text handed to TTS -> its first audio */
    HK_H_HISTOGRAMS
} hk_histogram;

void hk_metric_inc(hk_counter c);
void hk_metric_active_calls(int delta);
/* bytes the worker's TTS cache holds now (a gauge) */
void hk_metric_tts_cache_bytes(size_t bytes);
void hk_metric_observe(hk_histogram h, double seconds);
/* Prometheus text exposition format into out (NUL-terminated); returns length. */
size_t hk_metrics_render(char *out, size_t cap);
void hk_metrics_reset(void); /* tests */

#endif
