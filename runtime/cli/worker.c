/* cli/worker: set up and tear down what one worker process owns (libev loop,
 * call clock, thread pool for local engines, the Lua VM), and turn caller
 * audio files or text into 8 kHz mu-law the way a phone line would carry it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/webhooks.h"
#include "cli/cli.h"
#include "net/http_client.h"
#include "net/ws_client.h"
#include "media/g711.h"
#include "media/resample.h"
#include "media/wav.h"
#include "providers/sphinx_pool.h"
#include "providers/tts_cache.h"
#include "providers/tts_espeak.h"

static void on_busy(void *ud, int busy) { hk_clock_set_busy(ud, busy); }

int hk_worker_init(hk_worker *w, const hk_config *cfg, int virtual_time, int threads, char *err,
                   size_t errlen) {
    memset(w, 0, sizeof *w);
    hk_g711_init();
    w->loop = ev_default_loop(EVFLAG_AUTO);
    w->clock = hk_clock_new(w->loop, virtual_time);
    w->pool = hk_pool_new(w->loop, threads);
    if (!w->clock || !w->pool) {
        snprintf(err, errlen, "cannot start the worker (out of memory?)");
        return -1;
    }
    hk_pool_on_busy(w->pool, on_busy, w->clock);
    hk_pool_global_set(w->pool);
    w->vm = hk_vm_new(hk_config_str(cfg, HK_CFG_HARK_LUA_DIR), err, errlen);
    if (!w->vm) return -1;
    /* each call's agent code may hold this much Lua memory (vm_mem.c) */
    long mb = hk_config_long(cfg, HK_CFG_HARK_CALL_MEMORY_MB, HK_VM_CALL_MEMORY_MB);
    hk_vm_set_memory(w->vm, (size_t)mb << 20, 0);
    /* fixed phrases synthesised once per worker (providers/tts_cache.c) */
    hk_tts_cache_worker_configure((size_t)hk_config_long(cfg, HK_CFG_HARK_TTS_CACHE_MB, 64) << 20);
    return 0;
}

void hk_worker_free(hk_worker *w) {
    hk_webhooks_shutdown(); /* undelivered server messages stay in their file */
    hk_ws_shutdown(w->loop); /* the loop's WebSocket client context (calls are gone) */
    hk_http_client_shutdown(w->loop); /* and its shared HTTP client */
    hk_pool_free(w->pool); /* first: finished jobs may still reference the clock */
    hk_sphinx_pool_shutdown(); /* the offline STT decoders: no job uses them now */
    hk_tts_cache_worker_configure(0); /* frees the cached phrases (no call plays them now) */
    hk_vm_free(w->vm);
    hk_clock_free(w->clock);
}

static int to_8k(const int16_t *pcm, size_t n, int rate, int16_t **out, size_t *out_n,
                 char *err, size_t errlen) {
    if (rate == 8000) {
        *out = malloc((n ? n : 1) * sizeof **out);
        memcpy(*out, pcm, n * sizeof *pcm);
        *out_n = n;
        return 0;
    }
    if (hk_resample_buffer(rate, 8000, pcm, n, out, out_n) != 0) {
        snprintf(err, errlen, "cannot convert %d Hz audio to 8000 Hz (supported: 8000, 16000, "
                 "22050, 24000, 44100, 48000)", rate);
        return -1;
    }
    return 0;
}

int hk_wav_pcm8k(const char *path, int channel, int16_t **out, size_t *n, char *err,
                 size_t errlen) {
    hk_wav w;
    if (hk_wav_read_file(path, &w, err, errlen) != 0) return -1;
    int16_t *mono;
    if (channel < 0 || w.channels == 1) {
        mono = hk_wav_to_mono(&w);
    } else {
        if (channel >= w.channels) {
            snprintf(err, errlen, "%s: has %d channel(s), no channel %d", path, w.channels,
                     channel);
            hk_wav_free(&w);
            return -1;
        }
        mono = malloc((w.frames ? w.frames : 1) * sizeof *mono);
        for (size_t i = 0; i < w.frames; i++) mono[i] = w.samples[i * w.channels + channel];
    }
    int rc = to_8k(mono, w.frames, w.rate, out, n, err, errlen);
    free(mono);
    hk_wav_free(&w);
    return rc;
}

static void encode(int16_t *pcm, size_t n, uint8_t **out, size_t *out_n) {
    *out = malloc(n ? n : 1);
    hk_ulaw_encode_buf(pcm, *out, n);
    *out_n = n;
    free(pcm);
}

int hk_caller_audio_wav(const char *path, uint8_t **out, size_t *n, char *err, size_t errlen) {
    int16_t *pcm;
    size_t len;
    if (hk_wav_pcm8k(path, -1, &pcm, &len, err, errlen) != 0) return -1;
    encode(pcm, len, out, n);
    return 0;
}

int hk_caller_audio_text(const char *text, uint8_t **out, size_t *n, char *err, size_t errlen) {
    int16_t *pcm, *p8;
    size_t len, n8;
    int rate;
    /* a different voice from the agent's default, as a real caller would be;
     * klatt2 also survives 8 kHz mu-law best (bench/bench_stt.c) */
    if (hk_espeak_synth_pcm(text, HK_CALLER_VOICE, 165, &pcm, &len, &rate) != 0) {
        snprintf(err, errlen, "cannot synthesise caller line \"%s\"", text);
        return -1;
    }
    int rc = to_8k(pcm, len, rate, &p8, &n8, err, errlen);
    free(pcm);
    if (rc != 0) return -1;
    encode(p8, n8, out, n);
    return 0;
}
