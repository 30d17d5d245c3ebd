/* providers/elevenlabs_msg: see elevenlabs_msg.h. Owns the reading of
 * ElevenLabs' stream-input messages; knows nothing of requests, sockets or
 * how alignment becomes word marks. */
#include "providers/elevenlabs_msg.h"

#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/json_arena.h"
#include "core/json_fields.h"
#include "net/base64.h"

void hk_elevenlabs_msg_init(hk_elevenlabs_msg *m)
{
    memset(m, 0, sizeof *m);
}

void hk_elevenlabs_msg_free(hk_elevenlabs_msg *m)
{
    free(m->audio);
    free(m->chars);
    hk_elevenlabs_msg_init(m);
}

static void reset(hk_elevenlabs_msg *m)
{
    m->audio_len = 0;
    m->is_final = m->has_alignment = m->normalized = m->is_error = 0;
    m->n_chars = 0;
    m->error[0] = '\0';
}

static int parse_error(const cJSON *root, hk_elevenlabs_msg *m)
{
    const cJSON *msg = hk_json_get(root, "message");
    const cJSON *er = hk_json_get(root, "error");
    const char *why = cJSON_IsString(msg) && msg->valuestring && msg->valuestring[0] ? msg->valuestring
                      : cJSON_IsString(er) && er->valuestring && er->valuestring[0] ? er->valuestring
                                                                                    : "?";
    m->is_error = 1;
    hk_json_copy_cut(m->error, sizeof m->error, why);
    return 0;
}

static int parse_audio(hk_json_err *e, const cJSON *root, hk_elevenlabs_msg *m)
{
    const cJSON *a = hk_json_get(root, "audio");
    if (!a)
        return 0;
    if (!cJSON_IsString(a) || !a->valuestring)
        return hk_json_fail(e, "\"audio\" is not a string");
    size_t n = strlen(a->valuestring);
    if (!n)
        return 0;
    void *buf = m->audio;
    if (hk_grow(&buf, &m->audio_cap, hk_base64_decoded_max(n), 1) != 0)
        return hk_json_fail(e, "out of memory for %zu bytes of audio", hk_base64_decoded_max(n));
    m->audio = buf;
    long got = hk_base64_decode(a->valuestring, n, m->audio, m->audio_cap);
    if (got < 0)
        return hk_json_fail(e, "\"audio\" is not base64");
    m->audio_len = (size_t)got;
    return 0;
}

/* One time of an alignment array: a finite number of ms, negative read as 0. */
static int get_ms(hk_json_err *e, const cJSON *it, const char *key, size_t i, uint32_t *out)
{
    if (!cJSON_IsNumber(it) || !(it->valuedouble <= HK_ELEVENLABS_MSG_TIME_MAX)
        || !(it->valuedouble >= -HK_ELEVENLABS_MSG_TIME_MAX))
        return hk_json_fail(e, "\"%s\"[%zu] is not a time in ms up to %g", key, i, HK_ELEVENLABS_MSG_TIME_MAX);
    *out = it->valuedouble > 0 ? (uint32_t)it->valuedouble : 0;
    return 0;
}

static int parse_alignment(hk_json_err *e, const cJSON *al, hk_elevenlabs_msg *m)
{
    int rc;
    const cJSON *chars = hk_json_array(e, al, "chars", &rc);
    if (rc)
        return rc;
    const cJSON *starts = hk_json_array(e, al, "charStartTimesMs", &rc);
    if (rc)
        return rc;
    const cJSON *durs = hk_json_array(e, al, "charDurationsMs", &rc);
    if (rc)
        return rc;
    int n = chars ? cJSON_GetArraySize(chars) : 0;
    if (n < 0 || n > HK_ELEVENLABS_MSG_CHARS_MAX)
        return hk_json_fail(e, "more than %d alignment characters", HK_ELEVENLABS_MSG_CHARS_MAX);
    if ((starts && cJSON_GetArraySize(starts) != n) || (durs && cJSON_GetArraySize(durs) != n))
        return hk_json_fail(e, "alignment arrays differ in length");
    if (!n)
        return 0;
    void *buf = m->chars;
    if (hk_grow(&buf, &m->chars_cap, (size_t)n, sizeof *m->chars) != 0)
        return hk_json_fail(e, "out of memory for %d alignment characters", n);
    m->chars = buf;
    const cJSON *c = chars->child;
    const cJSON *s = starts ? starts->child : NULL;
    const cJSON *d = durs ? durs->child : NULL;
    for (size_t i = 0; c; i++, c = c->next, s = s ? s->next : NULL, d = d ? d->next : NULL) {
        hk_elevenlabs_char *ch = &m->chars[i];
        if (!cJSON_IsString(c) || !c->valuestring)
            return hk_json_fail(e, "\"chars\"[%zu] is not a string", i);
        size_t l = strlen(c->valuestring);
        if (l >= sizeof ch->c)
            return hk_json_fail(e, "\"chars\"[%zu] is %zu bytes, not one character", i, l);
        memcpy(ch->c, c->valuestring, l + 1);
        ch->start_ms = ch->dur_ms = 0;
        if ((s && get_ms(e, s, "charStartTimesMs", i, &ch->start_ms))
            || (d && get_ms(e, d, "charDurationsMs", i, &ch->dur_ms)))
            return -1;
        m->n_chars = i + 1;
    }
    return 0;
}

static int parse_fields(hk_json_err *e, const cJSON *root, hk_elevenlabs_msg *m)
{
    /* an error message carries nothing else hark uses */
    if (hk_json_get(root, "error"))
        return parse_error(root, m);
    if (hk_json_bool(e, root, "isFinal", &m->is_final) || parse_audio(e, root, m))
        return -1;
    int rc;
    const cJSON *al = hk_json_object(e, root, "alignment", &rc);
    if (rc)
        return rc;
    if (!al) {
        al = hk_json_object(e, root, "normalizedAlignment", &rc);
        if (rc)
            return rc;
        m->normalized = al != NULL;
    }
    if (!al)
        return 0;
    m->has_alignment = 1;
    return parse_alignment(e, al, m);
}

int hk_elevenlabs_msg_parse(const char *data, size_t len, hk_elevenlabs_msg *m, char *err, size_t errlen)
{
    hk_json_err e = {err, errlen, "elevenlabs_msg"};
    if (err && errlen)
        err[0] = '\0';
    reset(m);
    /* the tree lives only in this function: its small nodes come from the
     * arena (a long audio string from malloc) */
    hk_json_arena_begin();
    cJSON *root = hk_json_parse_object(data, len, &e);
    int rc = root ? parse_fields(&e, root, m) : -1;
    cJSON_Delete(root);
    hk_json_arena_end();
    if (rc) {
        reset(m);
        return HK_ELEVENLABS_MSG_EMALFORMED;
    }
    return HK_ELEVENLABS_MSG_OK;
}
