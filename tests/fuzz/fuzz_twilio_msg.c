/* tests/fuzz/fuzz_twilio_msg: libFuzzer target for telephony/twilio_msg. Any
 * frame either fails with a "twilio_msg: " message or parses into a struct
 * whose strings are terminated inside their arrays and whose counts are in
 * range; a parsed media frame rebuilt with the outbound builder parses back
 * to the same payload. The input is copied to an exact-size heap block so
 * ASan catches any read past the given length. cJSON allocates from
 * core/json_arena as in hark (installed at start), whose blocks ASan guards. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_arena.h"
#include "telephony/twilio_msg.h"

#define TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

static hk_twilio_msg m, back;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    hk_json_arena_install();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);
    char err[256];
    int rc = hk_twilio_msg_parse(text, size, &m, err, sizeof err);
    free(text);
    if (rc != HK_TWILIO_MSG_OK) {
        if (rc != HK_TWILIO_MSG_EMALFORMED || strncmp(err, "twilio_msg: ", 12) != 0)
            abort();
        return 0;
    }
    if (!TERMINATED(m.event) || !TERMINATED(m.stream_sid) || !TERMINATED(m.call_sid)
        || !TERMINATED(m.account_sid) || !TERMINATED(m.track) || !TERMINATED(m.encoding)
        || !TERMINATED(m.protocol) || !TERMINATED(m.version) || !TERMINATED(m.mark_name)
        || !TERMINATED(m.digit))
        abort();
    if (m.payload_len > HK_TWILIO_MSG_PAYLOAD_MAX || m.n_params < 0 || m.n_params > HK_TWILIO_MSG_PARAMS_MAX)
        abort();
    for (int i = 0; i < m.n_params; i++)
        if (!TERMINATED(m.params[i].name) || !TERMINATED(m.params[i].value))
            abort();
    if (m.kind == HK_TWILIO_MSG_MEDIA) {
        char out[1024];
        int n = hk_twilio_msg_build_media(out, sizeof out, m.stream_sid, m.payload, m.payload_len);
        if (n > 0) {
            if (hk_twilio_msg_parse(out, (size_t)n, &back, err, sizeof err) != HK_TWILIO_MSG_OK
                || back.kind != HK_TWILIO_MSG_MEDIA || back.payload_len != m.payload_len
                || memcmp(back.payload, m.payload, m.payload_len) != 0
                || strcmp(back.stream_sid, m.stream_sid) != 0)
                abort();
        } else {
            /* Refusal is only for a sid that would need JSON escapes. */
            int needs_escape = 0;
            for (const unsigned char *p = (const unsigned char *)m.stream_sid; *p; p++)
                needs_escape |= *p < 0x20 || *p == '"' || *p == '\\';
            if (!needs_escape)
                abort();
        }
    }
    if (m.kind == HK_TWILIO_MSG_MARK) {
        char out[512];
        (void)hk_twilio_msg_build_mark(out, sizeof out, m.stream_sid, m.mark_name);
    }
    return 0;
}
