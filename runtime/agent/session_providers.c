/* agent/session_providers: opens a call's speech-to-text and text-to-speech
 * with the agent's settings and the configured keys and base URLs, and
 * switches to the fallback provider when one fails: the agent's
 * `fallback = {...}`, else the offline engine (sphinx, espeak), so a failure
 * is spoken, never silent. A cloud provider without its key counts as failed
 * at open. Never blocks: cloud providers connect on the loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/call.h"
#include "core/log.h"
#include "core/metrics.h"
#include "providers/settings.h"

static const char *offline_stt = "sphinx";
static const char *offline_tts = "espeak";

static int is_offline_stt(const char *n) { return hk_stt_find(n) == hk_stt_find(offline_stt); }
static int is_offline_tts(const char *n) { return hk_tts_find(n) == hk_tts_find(offline_tts); }

static int open_stt(hk_call *c, const char *name, char *err, size_t errlen) {
    hk_agent *a = c->agent;
    const hk_stt_vtable *v = hk_stt_find(name);
    if (!v) {
        snprintf(err, errlen, "transcriber '%s' not available", name);
        return -1;
    }
    const char *url = hk_provider_base_url(name);
    if (hk_provider_key_missing(name, url, err, errlen)) return -1;
    hk_stt_config sc = {.provider = name,
                        .language = a->stt_language ? a->stt_language : "en",
                        .phrases = (const char *const *)a->phrases,
                        .n_phrases = a->n_phrases,
                        .model = a->stt_model,
                        .api_key = hk_provider_api_key(name),
                        .base_url = url,
                        .endpointing_ms = a->stt_endpointing_ms,
                        .utterance_end_ms = a->stt_utterance_end_ms,
                        .chunk_ms = hk_provider_deepgram_chunk_ms(),
                        .log_id = c->id};
    hk_stt_sink sink = hk_session_stt_sink(c);
    hk_stt *stt = v->open(c->loop, &sc, &sink, err, errlen);
    if (!stt) return -1;
    c->sttv = v;
    c->stt = stt;
    c->stt_cloud = !is_offline_stt(name);
    free(c->stt_name);
    c->stt_name = strdup(name);
    return 0;
}

static int open_tts(hk_call *c, const char *name, const char *voice, char *err, size_t errlen) {
    hk_agent *a = c->agent;
    const hk_tts_vtable *v = hk_tts_find(name);
    if (!v) {
        snprintf(err, errlen, "voice '%s' not available", name);
        return -1;
    }
    const char *url = hk_provider_base_url(name);
    if (hk_provider_key_missing(name, url, err, errlen)) return -1;
    /* an ElevenLabs voice id means nothing to espeak: use its default */
    if (is_offline_tts(name) && voice && strlen(voice) > 12) voice = NULL;
    /* no voice named: espeak speaks the agent's language */
    if (is_offline_tts(name) && !voice) voice = a->espeak_voice;
    hk_tts_config tc = {.provider = name,
                        .voice_id = voice,
                        .rate_wpm = a->tts_rate_wpm,
                        .pitch = -1,
                        .model_id = a->tts_model,
                        .api_key = hk_provider_api_key(name),
                        .base_url = url,
                        .stability = a->tts_stability,
                        .similarity_boost = a->tts_similarity,
                        .log_id = c->id};
    hk_tts_sink sink = hk_session_tts_sink(c);
    hk_tts *tts = v->open(c->loop, &tc, &sink, err, errlen);
    if (!tts) return -1;
    c->ttsv = v;
    c->tts = tts;
    free(c->tts_cache_voice); /* providers/tts_cache: what the voice's audio depends on */
    c->tts_cache_voice = hk_tts_cache_voice_key(v->name, &tc);
    c->tts_cloud = !is_offline_tts(name);
    free(c->tts_name);
    c->tts_name = strdup(name);
    return 0;
}

static const char *stt_fallback_name(const hk_call *c) {
    if (c->stt_fallen_back) return NULL;
    if (c->agent->stt_fallback) return c->agent->stt_fallback;
    return is_offline_stt(c->agent->stt_provider) ? NULL : offline_stt;
}

static const char *tts_fallback_name(const hk_call *c) {
    if (c->tts_fallen_back) return NULL;
    if (c->agent->tts_fallback) return c->agent->tts_fallback;
    return is_offline_tts(c->agent->tts_provider) ? NULL : offline_tts;
}

int hk_session_stt_failover(hk_call *c, const char *why) {
    const char *next = stt_fallback_name(c);
    if (!next) return -1;
    if (c->stt) c->sttv->close(c->stt);
    c->stt = NULL;
    c->stt_fallen_back = 1;
    char err[256];
    if (open_stt(c, next, err, sizeof err) != 0) {
        hk_log(HK_LOG_ERROR, c->id, "stt_fallback_failed", "%s: %s", next, err);
        return -1;
    }
    hk_metric_inc(HK_M_PROVIDER_FALLBACKS);
    hk_log(HK_LOG_WARN, c->id, "stt_fallback", "transcriber %s failed (%s): using %s",
           c->agent->stt_provider, why, next);
    return 0;
}

int hk_session_tts_failover(hk_call *c, const char *why) {
    const char *next = tts_fallback_name(c);
    if (!next) return -1;
    /* requests still pending on the failed voice end with it */
    if (c->tts) {
        c->ttsv->cancel(c->tts);
        c->ttsv->close(c->tts);
    }
    hk_tts_fill_drop(&c->tts_fill); /* cut short: not cached */
    c->tts = NULL;
    c->tts_pending = 0;
    for (int i = 0; i < c->n_msgs; i++) {
        hk_message *m = &c->msgs[i];
        if (m->role == 0 && !m->synthesised && m->has_audio) {
            m->synthesised = 1; /* what it had is queued; the rest is lost */
            m->streaming = 0;
            m->tts_failed = 1;
        }
    }
    c->tts_fallen_back = 1;
    char err[256];
    const char *voice = c->agent->tts_fallback ? c->agent->tts_fallback_voice : NULL;
    if (open_tts(c, next, voice, err, sizeof err) != 0) {
        hk_log(HK_LOG_ERROR, c->id, "tts_fallback_failed", "%s: %s", next, err);
        return -1;
    }
    hk_metric_inc(HK_M_PROVIDER_FALLBACKS);
    hk_log(HK_LOG_WARN, c->id, "tts_fallback", "voice %s failed (%s): using %s (voice %s)",
           c->agent->tts_provider, why, next, voice ? voice : "default");
    /* messages not yet heard at all are spoken again by the new voice */
    for (int i = 0; i < c->n_msgs; i++) {
        hk_message *m = &c->msgs[i];
        if (m->role != 0 || m->synthesised || m->has_audio || m->end >= 0) continue;
        m->req = ++c->tts_req;
        c->tts_pending++;
        if (m->text[0] || !m->streaming) {
            if (c->ttsv->push(c->tts, m->req, m->text, 1, !m->streaming) != 0) c->tts_pending--;
        }
    }
    hk_session_net_hold(c);
    return 0;
}

int hk_session_open_providers(hk_call *c, char *err, size_t errlen) {
    hk_agent *a = c->agent;
    char why[256];
    if (open_stt(c, a->stt_provider, why, sizeof why) != 0) {
        hk_log(HK_LOG_ERROR, c->id, "stt_error", "%s", why);
        if (hk_session_stt_failover(c, why) != 0) {
            snprintf(err, errlen, "%s", why);
            return -1;
        }
    }
    if (open_tts(c, a->tts_provider, a->tts_voice, why, sizeof why) != 0) {
        hk_log(HK_LOG_ERROR, c->id, "tts_error", "%s", why);
        if (hk_session_tts_failover(c, why) != 0) {
            snprintf(err, errlen, "%s", why);
            return -1;
        }
    }
    return 0;
}
