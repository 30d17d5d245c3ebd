/* core/metrics: see metrics.h. Names follow Prometheus conventions:
 * hark_<what>_total for counters, _seconds histograms with cumulative le buckets. */
#include "core/metrics.h"

#include "core/clock.h"

#include <stdio.h>
#include <string.h>

static const char *counter_names[HK_M_COUNTERS][2] = {
    {"hark_calls_started_total", "Calls started"},
    {"hark_calls_ended_total", "Calls ended"},
    {"hark_turns_total", "User turns answered"},
    {"hark_hook_errors_total", "Lua hook errors (fallback line spoken)"},
    {"hark_stt_errors_total", "Speech-to-text provider errors"},
    {"hark_tts_errors_total", "Text-to-speech provider errors"},
    {"hark_webhooks_total", "Telephony webhooks received"},
    {"hark_webhooks_rejected_total", "Telephony webhooks rejected (bad signature)"},
    {"hark_agent_reload_failures_total", "Agent file edits that failed to load"},
    {"hark_llm_errors_total", "LLM turns failed after retry and fallback (fallback line spoken)"},
    {"hark_llm_retries_total", "LLM requests retried or sent to the fallback model"},
    {"hark_provider_fallbacks_total", "Calls switched to a fallback voice or transcriber"},
    {"hark_tts_cache_hits_total", "Fixed phrases played from the TTS cache"},
    {"hark_tts_cache_misses_total", "Fixed phrases synthesised by the provider (not in the TTS cache)"},
    {"hark_calls_busy_total", "Incoming calls refused with the busy answer (a concurrency cap)"},
    {"hark_call_limit_degraded_total", "Slot requests counted per worker because Redis was unreachable"},
    {"hark_rate_limited_total", "API requests, logins and calls refused by a rate limit"},
    {"hark_rate_limit_degraded_total", "Rate checks counted per worker because Redis was unreachable"},
    {"hark_webhooks_dropped_total", "Best-effort server messages dropped because the receiver was slow"},
};

static const char *hist_names[HK_H_HISTOGRAMS][2] = {
    {"hark_turn_latency_seconds", "Caller stopped speaking to first agent audio"},
    {"hark_stt_latency_seconds", "Caller stopped speaking to final transcript"},
    {"hark_llm_first_token_seconds", "LLM request sent to its first token"},
    {"hark_tts_first_audio_seconds", "Text handed to TTS to its first audio"},
};

static const double buckets[] = {0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5};
#define NB (sizeof buckets / sizeof buckets[0])

static unsigned long long g_counters[HK_M_COUNTERS];
static long g_active;
static size_t g_tts_cache_bytes;
static struct {
    unsigned long long bucket[NB];
    unsigned long long count;
    double sum;
} g_hist[HK_H_HISTOGRAMS];

void hk_metric_inc(hk_counter c) {
    if (c < HK_M_COUNTERS) g_counters[c]++;
}

void hk_metric_active_calls(int delta) { g_active += delta; }

void hk_metric_tts_cache_bytes(size_t bytes) { g_tts_cache_bytes = bytes; }

void hk_metric_observe(hk_histogram h, double s) {
    if (h >= HK_H_HISTOGRAMS || s < 0) return;
    for (size_t i = 0; i < NB; i++)
        if (s <= buckets[i]) g_hist[h].bucket[i]++;
    g_hist[h].count++;
    g_hist[h].sum += s;
}

void hk_metrics_reset(void) {
    memset(g_counters, 0, sizeof g_counters);
    memset(g_hist, 0, sizeof g_hist);
    g_active = 0;
    g_tts_cache_bytes = 0;
}

size_t hk_metrics_render(char *out, size_t cap) {
    size_t n = 0;
#define EMIT(...)                                                        \
    do {                                                                 \
        int w = snprintf(out + n, n < cap ? cap - n : 0, __VA_ARGS__);   \
        if (w > 0) n += (size_t)w;                                       \
    } while (0)
    EMIT("# HELP hark_active_calls Calls in progress\n# TYPE hark_active_calls gauge\n"
         "hark_active_calls %ld\n", g_active);
    EMIT("# HELP hark_timers_armed Call timers armed now (core/clock)\n"
         "# TYPE hark_timers_armed gauge\nhark_timers_armed %ld\n", hk_timers_armed());
    EMIT("# HELP hark_tts_cache_bytes Bytes held by the TTS cache of fixed phrases\n"
         "# TYPE hark_tts_cache_bytes gauge\nhark_tts_cache_bytes %zu\n", g_tts_cache_bytes);
    for (int i = 0; i < HK_M_COUNTERS; i++)
        EMIT("# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counter_names[i][0],
             counter_names[i][1], counter_names[i][0], counter_names[i][0], g_counters[i]);
    for (int h = 0; h < HK_H_HISTOGRAMS; h++) {
        const char *nm = hist_names[h][0];
        EMIT("# HELP %s %s\n# TYPE %s histogram\n", nm, hist_names[h][1], nm);
        for (size_t i = 0; i < NB; i++)
            EMIT("%s_bucket{le=\"%g\"} %llu\n", nm, buckets[i], g_hist[h].bucket[i]);
        EMIT("%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", nm, g_hist[h].count, nm,
             g_hist[h].sum, nm, g_hist[h].count);
    }
#undef EMIT
    if (cap) out[n < cap ? n : cap - 1] = 0;
    return n < cap ? n : cap - 1;
}
