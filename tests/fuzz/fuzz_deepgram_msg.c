/* tests/fuzz/fuzz_deepgram_msg: libFuzzer target for providers/deepgram_msg.
 * Any message either fails with a "deepgram_msg: " message and an empty
 * struct, or parses into a struct whose strings are terminated inside their
 * arrays, whose transcript_len is the transcript's length (and a cut one
 * filled the buffer to within one UTF-8 character), whose flags are 0 or 1,
 * whose times are in 0..HK_DEEPGRAM_MSG_TIME_MAX (or -1 where absent is -1)
 * and whose confidence is -1 or in 0..1; an accepted Results message rebuilt
 * with cJSON parses back to the same fields. The input is copied to an
 * exact-size heap block so ASan catches any read past the given length.
 * cJSON allocates from core/json_arena as in hark (installed at start). */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_arena.h"
#include "providers/deepgram_msg.h"

#define TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

static hk_deepgram_msg m, back;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    hk_json_arena_install();
    return 0;
}

static int flag(int v) { return v == 0 || v == 1; }
static int time_ok(double t) { return t >= 0 && t <= HK_DEEPGRAM_MSG_TIME_MAX; }
static int opt_time_ok(double t) { return t == -1 || time_ok(t); }

static void check_results_round_trip(void)
{
    if (m.transcript_cut)
        return; /* the rebuilt one would hold the cut text: nothing to compare */
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "Results");
    cJSON_AddBoolToObject(o, "is_final", m.is_final);
    cJSON_AddBoolToObject(o, "speech_final", m.speech_final);
    cJSON_AddBoolToObject(o, "from_finalize", m.from_finalize);
    cJSON_AddNumberToObject(o, "start", m.start);
    cJSON_AddNumberToObject(o, "duration", m.duration);
    cJSON *alts = cJSON_AddArrayToObject(cJSON_AddObjectToObject(o, "channel"), "alternatives");
    if (m.n_alternatives) {
        cJSON *alt = cJSON_CreateObject();
        cJSON_AddStringToObject(alt, "transcript", m.transcript);
        if (m.confidence >= 0)
            cJSON_AddNumberToObject(alt, "confidence", m.confidence);
        cJSON_AddItemToArray(alts, alt);
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s)
        abort();
    char err[256];
    if (hk_deepgram_msg_parse(s, strlen(s), &back, err, sizeof err) != HK_DEEPGRAM_MSG_OK
        || back.type != HK_DEEPGRAM_MSG_RESULTS || back.is_final != m.is_final
        || back.speech_final != m.speech_final || back.from_finalize != m.from_finalize
        || back.start != m.start || back.duration != m.duration
        || back.n_alternatives != (m.n_alternatives ? 1 : 0) || back.confidence != m.confidence
        || back.transcript_len != m.transcript_len || strcmp(back.transcript, m.transcript) != 0)
        abort();
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);
    char err[256];
    int rc = hk_deepgram_msg_parse(text, size, &m, err, sizeof err);
    free(text);
    if (!TERMINATED(m.type_name) || !TERMINATED(m.transcript) || !TERMINATED(m.request_id)
        || !TERMINATED(m.error) || !TERMINATED(m.variant))
        abort();
    if ((unsigned)m.type > HK_DEEPGRAM_MSG_ERROR)
        abort();
    if (rc != HK_DEEPGRAM_MSG_OK) {
        if (rc != HK_DEEPGRAM_MSG_EMALFORMED || strncmp(err, "deepgram_msg: ", 14) != 0 || !err[14]
            || m.transcript[0] || m.transcript_len || m.is_final || m.speech_final || m.n_alternatives
            || m.error[0])
            abort();
        return 0;
    }
    if (err[0])
        abort();
    if (m.type != HK_DEEPGRAM_MSG_OTHER && strcmp(m.type_name, hk_deepgram_msg_type_name(m.type)) != 0)
        abort();
    if (m.transcript_len != strlen(m.transcript) || m.transcript_len >= HK_DEEPGRAM_MSG_TEXT_MAX)
        abort();
    /* a cut leaves at most a partial UTF-8 character (3 bytes) of room */
    if (!flag(m.transcript_cut) || (m.transcript_cut && m.transcript_len + 4 < HK_DEEPGRAM_MSG_TEXT_MAX))
        abort();
    if (!flag(m.is_final) || !flag(m.speech_final) || !flag(m.from_finalize))
        abort();
    if (!time_ok(m.start) || !time_ok(m.duration) || !opt_time_ok(m.timestamp) || !opt_time_ok(m.last_word_end))
        abort();
    if (!(m.confidence == -1 || (m.confidence >= 0 && m.confidence <= 1)))
        abort();
    if (m.n_alternatives < 0 || (m.n_alternatives == 0 && (m.transcript[0] || m.confidence != -1)))
        abort();
    /* fields of other types stay at their defaults */
    if (m.type != HK_DEEPGRAM_MSG_RESULTS
        && (m.is_final || m.speech_final || m.from_finalize || m.transcript[0] || m.n_alternatives || m.start))
        abort();
    if (m.type != HK_DEEPGRAM_MSG_ERROR && (m.error[0] || m.variant[0]))
        abort();
    if (m.type == HK_DEEPGRAM_MSG_RESULTS)
        check_results_round_trip();
    return 0;
}
