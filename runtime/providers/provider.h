/* providers/provider: the three provider kinds (speech-to-text, LLM, text-to-
 * speech), each one small vtable. A provider is one file plus one line in
 * providers/registry.c. Results never return synchronously: they arrive later
 * on the loop thread through the sink the caller passed to open(). No provider
 * function blocks the loop. */
#ifndef HK_PROVIDER_H
#define HK_PROVIDER_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

/* ---- speech-to-text --------------------------------------------------- */

typedef struct hk_stt hk_stt;

typedef struct hk_stt_sink {
    void *ud;
    /* A transcript for utterance utt_id (the id given to end_utterance). is_final=0
     * marks interim text. confidence is 0..1, or -1 when the engine has none. */
    void (*transcript)(void *ud, uint64_t utt_id, const char *text, int is_final, double confidence);
    /* The engine heard speech begin (providers with their own VAD). */
    void (*speech_started)(void *ud);
    /* A fatal error: the provider cannot go on (reconnects already failed). */
    void (*error)(void *ud, const char *msg);
    /* Optional (may be NULL): the provider's own endpointing decided the caller
     * finished a turn (Deepgram speech_final / UtteranceEnd). The session
     * answers by calling end_utterance, which may deliver the final at once. */
    void (*endpoint)(void *ud);
} hk_stt_sink;

typedef struct hk_stt_config {
    const char *provider;       /* "sphinx" (alias "pocketsphinx") or "deepgram" */
    const char *language;       /* "en" */
    const char *const *phrases; /* expected phrases and keywords (recognition hints);
                                   Deepgram takes "word" or "word:boost" as keywords */
    size_t n_phrases;
    const char *model_dir;      /* sphinx: NULL for the build default */
    /* cloud providers */
    const char *model;          /* "nova-2"; NULL: provider default */
    const char *api_key;
    const char *base_url;       /* "wss://api.deepgram.com"; ws:// for the fakes */
    int endpointing_ms;         /* 0: provider default (300) */
    int utterance_end_ms;       /* 0: provider default (1000) */
    int chunk_ms;               /* deepgram: audio per binary message, 20-250 ms; 0: 100 */
    double connect_timeout_s;   /* 0: 5 s */
    const char *log_id;         /* the call id for the provider's log lines (may be NULL) */
} hk_stt_config;

typedef struct hk_stt_vtable {
    const char *name;
    /* 1: wants every frame of the call (a streaming service with its own
     * endpointing, silence included); 0: only speech (hark's VAD, pre-roll). */
    int continuous;
    hk_stt *(*open)(struct ev_loop *loop, const hk_stt_config *cfg, const hk_stt_sink *sink,
                    char *err, size_t errlen);
    /* 8 kHz caller audio, given both as received (mu-law) and decoded (PCM):
     * a provider that takes mu-law forwards it untouched. */
    void (*push)(hk_stt *stt, const uint8_t *ulaw, const int16_t *pcm, size_t n);
    /* hark's VAD says the caller stopped: produce a final transcript for utt_id. */
    void (*end_utterance)(hk_stt *stt, uint64_t utt_id);
    /* Drop the audio of the current utterance (no transcript for it). */
    void (*cancel)(hk_stt *stt);
    /* Free; safe with jobs in flight (they finish and their results are dropped). */
    void (*close)(hk_stt *stt);
} hk_stt_vtable;

/* ---- text-to-speech --------------------------------------------------- */

typedef struct hk_tts hk_tts;

/* Where a word of the request's text starts in its audio (for trimming what the
 * caller heard at barge-in). */
typedef struct hk_word_mark {
    uint32_t text_pos; /* byte offset in the text */
    uint32_t text_len;
    uint32_t audio_ms; /* offset in this request's audio */
} hk_word_mark;

typedef struct hk_tts_sink {
    void *ud;
    /* audio for req_id: 8 kHz mu-law (what the phone plays), in order. */
    void (*audio)(void *ud, uint64_t req_id, const uint8_t *ulaw, size_t n);
    /* word timings, possibly in several calls per request (each adds words;
     * text_pos is in the request's whole text, audio_ms in its whole audio) */
    void (*words)(void *ud, uint64_t req_id, const hk_word_mark *marks, size_t n);
    /* the request finished (ok=1) or failed (ok=0, err says why). */
    void (*done)(void *ud, uint64_t req_id, int ok, const char *err);
} hk_tts_sink;

typedef struct hk_tts_config {
    const char *provider; /* "espeak" (alias "espeak-ng") or "elevenlabs" (alias "11labs") */
    const char *voice_id; /* engine voice name ("en-us") or ElevenLabs voice id */
    int rate_wpm;         /* 0: engine default */
    int pitch;            /* 0..100, -1: default */
    /* cloud providers */
    const char *model_id; /* "eleven_flash_v2_5"; NULL: provider default */
    const char *api_key;
    const char *base_url; /* "https://api.elevenlabs.io" (wss:// derived from it) */
    double stability, similarity_boost; /* <0: provider default */
    double connect_timeout_s; /* 0: 5 s */
    double first_audio_timeout_s; /* no audio this long after text ended: fail (0: 10 s) */
    const char *log_id;   /* the call id for the provider's log lines (may be NULL) */
} hk_tts_config;

typedef struct hk_tts_vtable {
    const char *name;
    hk_tts *(*open)(struct ev_loop *loop, const hk_tts_config *cfg, const hk_tts_sink *sink,
                    char *err, size_t errlen);
    /* Synthesise text as request req_id (ids increase). Requests complete in order. */
    int (*speak)(hk_tts *tts, uint64_t req_id, const char *text);
    /* Streaming text: add text to request req_id as the LLM writes it (the
     * first push opens the request); flush=1 at a clause end asks for audio of
     * what is buffered now; last=1 ends the request. speak(r, t) is the same as
     * push(r, t, 1, 1). Text arrives in order, whole words (the chunker cuts). */
    int (*push)(hk_tts *tts, uint64_t req_id, const char *text, int flush, int last);
    /* Drop every pending request: no more audio/done callbacks for them. */
    void (*cancel)(hk_tts *tts);
    void (*close)(hk_tts *tts);
} hk_tts_vtable;

/* ---- language model --------------------------------------------------- */

typedef struct hk_llm hk_llm;

typedef struct hk_llm_sink {
    void *ud;
    /* a piece of the reply text, as it streams */
    void (*token)(void *ud, const char *text, size_t len);
    /* a complete tool call: arguments are a JSON text (assembled from the
     * streamed fragments; "{}" when the model sent none) */
    void (*tool_call)(void *ud, const char *id, const char *name, const char *arguments);
    /* Exactly once per complete() unless cancelled. ok=1: reason is the finish
     * reason in OpenAI's words ("stop", "tool_calls", "length",
     * "content_filter"; Anthropic's end_turn/tool_use/max_tokens are mapped).
     * ok=0: reason says what failed ("http 429: ...", "timeout: no first
     * token after 5.0 s", "stream dropped", "malformed event: ..."). */
    void (*done)(void *ud, int ok, const char *reason);
    /* Optional (NULL: not wanted). The tokens the provider reported for this
     * completion, as they arrive (OpenAI's last chunk; Anthropic's
     * message_start and message_delta): the increase over what this
     * completion already reported, so a sum over the calls is the whole
     * usage, and a completion cancelled or failed after a report still
     * counts it. Nothing when the provider reports nothing. Must not call
     * complete(), cancel() or close(). */
    void (*usage)(void *ud, long prompt_tokens, long completion_tokens);
} hk_llm_sink;

typedef struct hk_llm_config {
    const char *provider; /* "script" (Lua turn logic, no network), "openai" (and
                             compatible servers), "anthropic" */
    const char *model;
    const char *api_key;
    const char *base_url; /* "https://api.openai.com/v1", "https://api.anthropic.com" */
    double temperature;   /* <0: provider default */
    int max_tokens;       /* 0: provider default (Anthropic requires one: 1024) */
    double connect_timeout_s;     /* 0: 5 s */
    double first_token_timeout_s; /* no event this long after the request: fail (0: 10 s) */
    double idle_timeout_s;        /* no bytes this long mid-stream: fail (0: 10 s) */
    const char *log_id;           /* the call id for the provider's log lines (may be NULL) */
} hk_llm_config;

typedef struct hk_llm_vtable {
    const char *name;
    hk_llm *(*open)(struct ev_loop *loop, const hk_llm_config *cfg, const hk_llm_sink *sink,
                    char *err, size_t errlen);
    /* Start one streamed completion. request_json is provider-neutral, in
     * OpenAI's chat shape: {"messages":[{role: system|user|assistant|tool,
     * content, tool_calls?, tool_call_id?}...], "tools":[{"type":"function",
     * "function":{name, description, parameters}}...]} (tools optional).
     * Each provider translates it to its wire format. One completion at a
     * time per hk_llm; returns -1 (and calls nothing) if it cannot start. */
    int (*complete)(hk_llm *llm, const char *request_json);
    void (*cancel)(hk_llm *llm);
    void (*close)(hk_llm *llm);
} hk_llm_vtable;

/* ---- registry (providers/registry.c) ---------------------------------- */

/* Look a provider up by the name users bring (Vapi names and aliases accepted).
 * NULL when unknown. The "script" model has no LLM vtable: hk_llm_find returns
 * NULL for it and hk_llm_is_script says so. */
const hk_stt_vtable *hk_stt_find(const char *name);
const hk_tts_vtable *hk_tts_find(const char *name);
const hk_llm_vtable *hk_llm_find(const char *name);
int hk_llm_is_script(const char *name);
/* The names a kind (0 stt, 1 tts, 2 llm) accepts, comma-separated, for errors. */
const char *hk_provider_names(int kind);

#endif
