/* api/call_json: a store call record (store.h, hk_store_call_query) as Vapi's
 * call object: ids and times, type and status, customer and number, messages
 * in Vapi's roles, artifact, cost with its breakdown, and hark's per-turn
 * latency marks under metadata.hark. Pure mapping: no store, no loop.
 *
 * Usage and prices. What the store records today: the call's length
 * (telephony and STT are priced by it: hark transcribes the caller for the
 * whole call) and the words spoken (TTS characters = the characters of the
 * assistant's messages, i.e. what was heard after barge-in trimming) and the
 * LLM tokens (the providers' streamed usage summed over the call's requests,
 * cancelled ones included; stored when the call ends, so 0 while it goes
 * on), priced per 1,000 prompt and completion tokens. A call recorded before
 * the token columns existed (schema 009) has them null: llmPromptTokens/
 * llmCompletionTokens are null, llm costs 0 and metadata.hark.usage.unrecorded
 * lists them. A price of 0 (the default) means unknown: that part costs 0.
 *
 * Messages. Stored roles map user -> "user", assistant -> "bot", system ->
 * "system". A message with tool_calls (OpenAI's [{id, type, function:{name,
 * arguments}}]) adds {role:"tool_calls", toolCalls} after its words; a "tool"
 * message adds one {role:"tool_call_result", toolCallId, name, result} per
 * result in tool_results (an object or an array of objects with
 * toolCallId|tool_call_id|id, name, result|content; without tool_results the
 * message's content is the result). time is when the message became final
 * (epoch ms); hark does not record how long it was spoken, so endTime = time
 * and duration = 0. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/call.h"
#include "api/call_cost.h"
#include "api/recording.h"
#include "core/config.h"
#include "store/store.h"

static double num(const cJSON *o, const char *k, double fallback) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

static const char *str(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void add_str(cJSON *o, const char *k, const char *v) {
    if (v) cJSON_AddStringToObject(o, k, v);
    else cJSON_AddNullToObject(o, k);
}

static void add_iso(cJSON *o, const char *k, double t) {
    if (t <= 0) {
        cJSON_AddNullToObject(o, k);
        return;
    }
    char iso[32];
    hk_store_time_iso(t, iso);
    cJSON_AddStringToObject(o, k, iso);
}

/* Twilio's call statuses as Vapi's */
static const char *vapi_status(const char *s) {
    if (!s) return "queued";
    static const char *same[] = {"scheduled", "queued", "ringing", "in-progress", "forwarding", "ended"};
    for (size_t i = 0; i < sizeof same / sizeof *same; i++)
        if (!strcmp(s, same[i])) return same[i];
    if (!strcmp(s, "initiated")) return "queued";
    if (!strcmp(s, "answered")) return "in-progress";
    return "ended"; /* completed, busy, no-answer, failed, canceled */
}

/* UTF-8 characters */
static cJSON *item(const char *role, double ts, double start) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "role", role);
    double ms = round(ts * 1000.0);
    cJSON_AddNumberToObject(o, "time", ms);
    cJSON_AddNumberToObject(o, "endTime", ms);
    cJSON_AddNumberToObject(o, "secondsFromStart", start > 0 ? round((ts - start) * 1000.0) / 1000.0 : 0);
    cJSON_AddNumberToObject(o, "duration", 0);
    return o;
}

static void add_result(cJSON *out, const cJSON *res, const char *content, double ts, double start) {
    cJSON *o = item("tool_call_result", ts, start);
    const char *id = str(res, "toolCallId");
    if (!id) id = str(res, "tool_call_id");
    if (!id) id = str(res, "id");
    add_str(o, "toolCallId", id);
    add_str(o, "name", str(res, "name"));
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(res, "result");
    if (!r) r = cJSON_GetObjectItemCaseSensitive(res, "content");
    if (cJSON_IsString(r)) {
        cJSON_AddStringToObject(o, "result", r->valuestring);
    } else if (r) {
        char *t = cJSON_PrintUnformatted(r); /* Vapi's result is a string */
        add_str(o, "result", t);
        free(t);
    } else {
        add_str(o, "result", content);
    }
    cJSON_AddItemToArray(out, o);
}

/* the stored messages in Vapi's form; *tts_chars: the assistant's characters */
static cJSON *messages_json(const cJSON *msgs, double start, long *tts_chars, cJSON **transcript) {
    cJSON *out = cJSON_CreateArray();
    size_t cap = 1, len = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, msgs) cap += strlen(str(m, "content") ? str(m, "content") : "") + 8;
    char *text = malloc(cap);
    if (!text) abort();
    text[0] = 0;
    cJSON_ArrayForEach(m, msgs) {
        const char *role = str(m, "role"), *content = str(m, "content");
        double ts = num(m, "ts", 0);
        if (!role) continue;
        int is_user = !strcmp(role, "user"), is_bot = !strcmp(role, "assistant");
        if ((is_user || is_bot || !strcmp(role, "system")) && content && content[0]) {
            cJSON *o = item(is_user ? "user" : is_bot ? "bot" : "system", ts, start);
            cJSON_AddStringToObject(o, "message", content);
            cJSON_AddItemToArray(out, o);
            if (is_bot) *tts_chars += hk_call_cost_chars(content);
            if (is_user || is_bot) {
                size_t n = strlen(content);
                memcpy(text + len, is_user ? "User: " : "AI: ", is_user ? 6 : 4);
                len += is_user ? 6 : 4;
                memcpy(text + len, content, n);
                len += n;
                text[len++] = '\n';
                text[len] = 0;
            }
        }
        const cJSON *tc = cJSON_GetObjectItemCaseSensitive(m, "tool_calls");
        if (cJSON_IsArray(tc) && cJSON_GetArraySize(tc) > 0) {
            cJSON *o = item("tool_calls", ts, start);
            cJSON_AddItemToObject(o, "toolCalls", cJSON_Duplicate(tc, 1));
            cJSON_AddStringToObject(o, "message", "");
            cJSON_AddItemToArray(out, o);
        }
        if (!strcmp(role, "tool")) {
            const cJSON *tr = cJSON_GetObjectItemCaseSensitive(m, "tool_results"), *r;
            if (cJSON_IsArray(tr)) {
                cJSON_ArrayForEach(r, tr) add_result(out, r, content, ts, start);
            } else {
                add_result(out, cJSON_IsObject(tr) ? tr : NULL, content, ts, start);
            }
        }
    }
    *transcript = len ? cJSON_CreateString(text) : NULL;
    free(text);
    return out;
}

/* metadata.hark.turns: the latency marks (ms since the call started) of each
 * turn, from the message that closes it (the assistant's reply) */
static cJSON *turns_json(const cJSON *msgs) {
    static const char *cols[5] = {"user_end_ms", "stt_final_ms", "llm_first_token_ms",
                                  "tts_first_audio_ms", "first_frame_ms"};
    static const char *keys[5] = {"userEndMs", "sttFinalMs", "llmFirstTokenMs", "ttsFirstAudioMs",
                                  "firstFrameMs"};
    cJSON *out = cJSON_CreateArray();
    const cJSON *m;
    cJSON_ArrayForEach(m, msgs) {
        const char *role = str(m, "role");
        if (!role || strcmp(role, "assistant")) continue;
        double v[5];
        int any = 0;
        for (int i = 0; i < 5; i++) {
            v[i] = num(m, cols[i], -1);
            any |= v[i] >= 0;
        }
        if (!any) continue;
        cJSON *t = cJSON_CreateObject();
        cJSON_AddNumberToObject(t, "seq", num(m, "seq", 0));
        for (int i = 0; i < 5; i++) {
            if (v[i] >= 0) cJSON_AddNumberToObject(t, keys[i], v[i]);
            else cJSON_AddNullToObject(t, keys[i]);
        }
        if (v[0] >= 0 && v[4] >= 0) cJSON_AddNumberToObject(t, "userEndToFirstFrameMs", v[4] - v[0]);
        else cJSON_AddNullToObject(t, "userEndToFirstFrameMs");
        cJSON_AddItemToArray(out, t);
    }
    return out;
}

cJSON *hk_call_json(const cJSON *rec, const char *org, const hk_config *cfg, double now) {
    cJSON *o = cJSON_CreateObject();
    int inbound = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "inbound"));
    const char *status = vapi_status(str(rec, "status"));
    double start = num(rec, "start_time", 0), end = num(rec, "end_time", 0);
    add_str(o, "id", str(rec, "id"));
    add_str(o, "orgId", org);
    add_iso(o, "createdAt", num(rec, "created_at", start));
    add_iso(o, "updatedAt", num(rec, "updated_at", start));
    cJSON_AddStringToObject(o, "type", inbound ? "inboundPhoneCall" : "outboundPhoneCall");
    cJSON_AddStringToObject(o, "status", status);
    if (str(rec, "name")) cJSON_AddStringToObject(o, "name", str(rec, "name"));
    add_str(o, "assistantId", str(rec, "agent_id"));
    cJSON_AddStringToObject(o, "phoneCallProvider", "twilio");
    add_str(o, "phoneCallProviderId", str(rec, "call_sid"));
    cJSON_AddStringToObject(o, "phoneCallTransport", "pstn");
    const char *customer = str(rec, inbound ? "from_number" : "to_number");
    const char *ours = str(rec, inbound ? "to_number" : "from_number");
    cJSON *cu = cJSON_AddObjectToObject(o, "customer");
    add_str(cu, "number", customer);
    cJSON *pn = cJSON_AddObjectToObject(o, "phoneNumber");
    add_str(pn, "number", ours);
    add_iso(o, "startedAt", start);
    add_iso(o, "endedAt", end);
    add_str(o, "endedReason", str(rec, "ended_reason"));

    /* messages, transcript, artifact */
    long tts_chars = 0;
    cJSON *transcript = NULL;
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(rec, "messages");
    cJSON *vm = messages_json(msgs, start, &tts_chars, &transcript);
    if (!transcript && str(rec, "transcript")) transcript = cJSON_CreateString(str(rec, "transcript"));
    if (!transcript) transcript = cJSON_CreateNull();
    const char *rec_url = str(rec, "recording_url");
    char rec_pub[768]; /* a local file is served by GET /call/{id}/recording (api/recording) */
    int rec_local = hk_recording_public_url(cfg, str(rec, "id"), rec_url, rec_pub, sizeof rec_pub);
    if (rec_local) rec_url = rec_pub;
    cJSON *art = cJSON_AddObjectToObject(o, "artifact");
    cJSON_AddItemToObject(art, "transcript", cJSON_Duplicate(transcript, 1));
    cJSON_AddItemToObject(art, "messages", cJSON_Duplicate(vm, 1));
    add_str(art, "recordingUrl", rec_url);
    /* hark's WAV is stereo (caller left, agent right) */
    if (rec_local) cJSON_AddStringToObject(art, "stereoRecordingUrl", rec_url);
    else cJSON_AddNullToObject(art, "stereoRecordingUrl");
    if (rec_url) {
        cJSON *mono = cJSON_AddObjectToObject(cJSON_AddObjectToObject(art, "recording"), "mono");
        cJSON_AddStringToObject(mono, "combinedUrl", rec_url);
    }
    cJSON_AddItemToObject(o, "messages", vm);
    cJSON_AddItemToObject(o, "transcript", transcript);
    add_str(o, "recordingUrl", rec_url);

    /* usage and cost: a live call's length runs to now */
    double secs = num(rec, "duration_s", 0);
    if (secs <= 0 && start > 0) secs = (end > 0 ? end : strcmp(status, "ended") ? now : start) - start;
    if (secs < 0) secs = 0;
    const cJSON *jp = cJSON_GetObjectItemCaseSensitive(rec, "llm_prompt_tokens");
    const cJSON *jc = cJSON_GetObjectItemCaseSensitive(rec, "llm_completion_tokens");
    hk_call_usage u = {.seconds = secs, .tts_chars = tts_chars,
                       .tokens_known = cJSON_IsNumber(jp) && cJSON_IsNumber(jc)};
    u.prompt_tokens = u.tokens_known && jp->valuedouble > 0 ? jp->valuedouble : 0;
    u.completion_tokens = u.tokens_known && jc->valuedouble > 0 ? jc->valuedouble : 0;
    hk_call_cost_add(o, cfg, &u);

    /* hark's own: latency marks per turn, the stored summary, usage */
    cJSON *hark = cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "metadata"), "hark");
    cJSON_AddItemToObject(hark, "turns", turns_json(msgs));
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(rec, "latency");
    cJSON_AddItemToObject(hark, "latency", lat ? cJSON_Duplicate(lat, 1) : cJSON_CreateNull());
    cJSON *use = cJSON_AddObjectToObject(hark, "usage");
    cJSON_AddNumberToObject(use, "telephonySeconds", round(secs * 1000.0) / 1000.0);
    cJSON_AddNumberToObject(use, "sttSeconds", round(secs * 1000.0) / 1000.0);
    cJSON_AddNumberToObject(use, "ttsCharacters", (double)tts_chars);
    if (u.tokens_known) {
        cJSON_AddNumberToObject(use, "llmPromptTokens", u.prompt_tokens);
        cJSON_AddNumberToObject(use, "llmCompletionTokens", u.completion_tokens);
    }
    cJSON *un = cJSON_AddArrayToObject(use, "unrecorded");
    if (!u.tokens_known) {
        cJSON_AddItemToArray(un, cJSON_CreateString("llmPromptTokens"));
        cJSON_AddItemToArray(un, cJSON_CreateString("llmCompletionTokens"));
    }
    return o;
}
