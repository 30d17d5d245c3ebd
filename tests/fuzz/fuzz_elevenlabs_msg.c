/* tests/fuzz/fuzz_elevenlabs_msg: libFuzzer target for
 * providers/elevenlabs_msg. Any message either fails with an
 * "elevenlabs_msg: " message and an empty struct, or parses into a struct
 * whose audio fits its buffer and the bytes base64 can carry in the input,
 * whose characters are counted within their buffer and limit, each
 * terminated inside its array, whose times are in 0..TIME_MAX, and whose
 * error text is terminated (an error message carries no audio or
 * alignment); an accepted message rebuilt with cJSON (audio re-encoded)
 * parses back to the same audio, characters and times. The struct is kept
 * across inputs, as the client keeps it across messages, so the reuse and
 * growth of its buffers are fuzzed too. The input is copied to an exact-size
 * heap block so ASan catches any read past the given length. cJSON
 * allocates from core/json_arena as in hark (installed at start). */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_arena.h"
#include "net/base64.h"
#include "providers/elevenlabs_msg.h"

#define TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

static hk_elevenlabs_msg m, back;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    hk_json_arena_install();
    hk_elevenlabs_msg_init(&m);
    hk_elevenlabs_msg_init(&back);
    return 0;
}

static cJSON *times(const hk_elevenlabs_msg *x, int start)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < x->n_chars; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(start ? x->chars[i].start_ms : x->chars[i].dur_ms));
    return a;
}

static void check_round_trip(void)
{
    cJSON *o = cJSON_CreateObject();
    if (m.audio_len) {
        size_t cap = hk_base64_encoded_len(m.audio_len) + 1;
        char *b64 = malloc(cap);
        if (!b64 || hk_base64_encode(m.audio, m.audio_len, b64, cap) < 0)
            abort();
        cJSON_AddStringToObject(o, "audio", b64);
        free(b64);
    }
    cJSON_AddBoolToObject(o, "isFinal", m.is_final);
    if (m.has_alignment) {
        cJSON *al = cJSON_AddObjectToObject(o, m.normalized ? "normalizedAlignment" : "alignment");
        cJSON *chars = cJSON_AddArrayToObject(al, "chars");
        for (size_t i = 0; i < m.n_chars; i++)
            cJSON_AddItemToArray(chars, cJSON_CreateString(m.chars[i].c));
        cJSON_AddItemToObject(al, "charStartTimesMs", times(&m, 1));
        cJSON_AddItemToObject(al, "charDurationsMs", times(&m, 0));
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s)
        abort();
    char err[256];
    if (hk_elevenlabs_msg_parse(s, strlen(s), &back, err, sizeof err) != HK_ELEVENLABS_MSG_OK
        || back.audio_len != m.audio_len || (m.audio_len && memcmp(back.audio, m.audio, m.audio_len) != 0)
        || back.is_final != m.is_final || back.has_alignment != m.has_alignment
        || back.normalized != m.normalized || back.n_chars != m.n_chars || back.is_error)
        abort();
    for (size_t i = 0; i < m.n_chars; i++)
        if (strcmp(back.chars[i].c, m.chars[i].c) != 0 || back.chars[i].start_ms != m.chars[i].start_ms
            || back.chars[i].dur_ms != m.chars[i].dur_ms)
            abort();
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);
    char err[256];
    int rc = hk_elevenlabs_msg_parse(text, size, &m, err, sizeof err);
    free(text);
    if (!TERMINATED(m.error))
        abort();
    if (rc != HK_ELEVENLABS_MSG_OK) {
        if (rc != HK_ELEVENLABS_MSG_EMALFORMED || strncmp(err, "elevenlabs_msg: ", 16) != 0 || !err[16]
            || m.audio_len || m.n_chars || m.is_final || m.has_alignment || m.is_error || m.error[0])
            abort();
        return 0;
    }
    if (err[0])
        abort();
    if (m.audio_len > m.audio_cap || (m.audio_len && !m.audio) || m.audio_len > hk_base64_decoded_max(size))
        abort();
    if (m.n_chars > m.chars_cap || m.n_chars > HK_ELEVENLABS_MSG_CHARS_MAX || (m.n_chars && !m.chars)
        || (m.n_chars && !m.has_alignment) || (m.normalized && !m.has_alignment))
        abort();
    for (size_t i = 0; i < m.n_chars; i++)
        if (!TERMINATED(m.chars[i].c) || m.chars[i].start_ms > HK_ELEVENLABS_MSG_TIME_MAX
            || m.chars[i].dur_ms > HK_ELEVENLABS_MSG_TIME_MAX)
            abort();
    if (m.is_error) {
        if (!m.error[0] || m.audio_len || m.n_chars || m.is_final || m.has_alignment)
            abort();
        return 0;
    }
    if (m.error[0] || (m.is_final != 0 && m.is_final != 1))
        abort();
    check_round_trip();
    return 0;
}
