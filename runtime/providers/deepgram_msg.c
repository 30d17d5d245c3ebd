/* providers/deepgram_msg: see deepgram_msg.h. Owns the reading of Deepgram's
 * live messages; knows nothing of sockets, turns or the audio clock. */
#include "providers/deepgram_msg.h"

#include <string.h>

#include "core/json_arena.h"
#include "core/json_fields.h"

static const char *const TYPE_NAMES[] = {"other", "Results", "Metadata", "UtteranceEnd", "SpeechStarted", "Error"};

const char *hk_deepgram_msg_type_name(hk_deepgram_msg_type t)
{
    return (unsigned)t < sizeof TYPE_NAMES / sizeof TYPE_NAMES[0] ? TYPE_NAMES[t] : "other";
}

/* What a parse may set; the transcript buffer is only cleared at its start. */
static void reset(hk_deepgram_msg *m)
{
    m->type = HK_DEEPGRAM_MSG_OTHER;
    m->type_name[0] = m->transcript[0] = m->request_id[0] = m->error[0] = m->variant[0] = '\0';
    m->is_final = m->speech_final = m->from_finalize = 0;
    m->start = m->duration = 0;
    m->n_alternatives = 0;
    m->transcript_len = 0;
    m->transcript_cut = 0;
    m->confidence = -1;
    m->timestamp = m->last_word_end = -1;
}

static int parse_results(hk_json_err *e, const cJSON *root, hk_deepgram_msg *m)
{
    if (hk_json_bool(e, root, "is_final", &m->is_final) || hk_json_bool(e, root, "speech_final", &m->speech_final)
        || hk_json_bool(e, root, "from_finalize", &m->from_finalize)
        || hk_json_number(e, root, "start", 0, HK_DEEPGRAM_MSG_TIME_MAX, &m->start)
        || hk_json_number(e, root, "duration", 0, HK_DEEPGRAM_MSG_TIME_MAX, &m->duration))
        return -1;
    int rc;
    const cJSON *ch = hk_json_object(e, root, "channel", &rc);
    if (rc)
        return rc;
    const cJSON *alts = hk_json_array(e, ch, "alternatives", &rc);
    if (rc)
        return rc;
    int n = cJSON_GetArraySize(alts);
    m->n_alternatives = n > 0 ? n : 0;
    const cJSON *alt = alts ? alts->child : NULL;
    if (!alt)
        return 0;
    if (!cJSON_IsObject(alt))
        return hk_json_fail(e, "\"alternatives\"[0] is not an object");
    return hk_json_string_cut(e, alt, "transcript", m->transcript, sizeof m->transcript, &m->transcript_len,
                              &m->transcript_cut)
           || hk_json_number(e, alt, "confidence", 0, 1, &m->confidence);
}

static int parse_error(hk_json_err *e, const cJSON *root, hk_deepgram_msg *m)
{
    /* Deepgram names the text "description"; older replies "message" */
    const char *key = hk_json_get(root, "description") ? "description" : "message";
    return hk_json_string_cut(e, root, key, m->error, sizeof m->error, NULL, NULL)
           || hk_json_string_cut(e, root, "variant", m->variant, sizeof m->variant, NULL, NULL);
}

static int parse_fields(hk_json_err *e, const cJSON *root, hk_deepgram_msg *m)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "type");
    if (!t)
        return hk_json_fail(e, "missing \"type\"");
    if (!cJSON_IsString(t) || !t->valuestring)
        return hk_json_fail(e, "\"type\" is not a string");
    hk_json_copy_cut(m->type_name, sizeof m->type_name, t->valuestring);
    for (int k = HK_DEEPGRAM_MSG_RESULTS; k <= HK_DEEPGRAM_MSG_ERROR; k++)
        if (strcmp(t->valuestring, TYPE_NAMES[k]) == 0)
            m->type = (hk_deepgram_msg_type)k;
    switch (m->type) {
    case HK_DEEPGRAM_MSG_RESULTS:
        return parse_results(e, root, m);
    case HK_DEEPGRAM_MSG_METADATA:
        return hk_json_string_cut(e, root, "request_id", m->request_id, sizeof m->request_id, NULL, NULL)
               || hk_json_number(e, root, "duration", 0, HK_DEEPGRAM_MSG_TIME_MAX, &m->duration);
    case HK_DEEPGRAM_MSG_UTTERANCE_END:
        return hk_json_number(e, root, "last_word_end", 0, HK_DEEPGRAM_MSG_TIME_MAX, &m->last_word_end);
    case HK_DEEPGRAM_MSG_SPEECH_STARTED:
        return hk_json_number(e, root, "timestamp", 0, HK_DEEPGRAM_MSG_TIME_MAX, &m->timestamp);
    case HK_DEEPGRAM_MSG_ERROR:
        return parse_error(e, root, m);
    case HK_DEEPGRAM_MSG_OTHER:
        return 0;
    }
    return 0;
}

int hk_deepgram_msg_parse(const char *data, size_t len, hk_deepgram_msg *out, char *err, size_t errlen)
{
    hk_json_err e = {err, errlen, "deepgram_msg"};
    if (err && errlen)
        err[0] = '\0';
    reset(out);
    /* the tree lives only in this function: its nodes come from the arena */
    hk_json_arena_begin();
    cJSON *root = hk_json_parse_object(data, len, &e);
    int rc = root ? parse_fields(&e, root, out) : -1;
    cJSON_Delete(root);
    hk_json_arena_end();
    if (rc) {
        hk_deepgram_msg_type t = out->type;
        reset(out);
        out->type = t;
        return HK_DEEPGRAM_MSG_EMALFORMED;
    }
    return HK_DEEPGRAM_MSG_OK;
}
