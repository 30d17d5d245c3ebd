/* providers/elevenlabs_msg: one message of ElevenLabs' stream-input
 * WebSocket (shared/reference/protocols.md section 3) -> a struct. No state,
 * no sockets: tts_elevenlabs.c gives it each message and acts on the struct.
 *
 * The audio (base64 mu-law, up to tens of KB a message) is decoded straight
 * into a buffer the struct owns and reuses: the one copy the client needs,
 * as before this parser existed (a span into the message would still need
 * decoding, and JSON may escape a base64 character). The alignment's
 * characters go to an array the struct owns and reuses too. So a struct is
 * made once per client (hk_elevenlabs_msg_init) and freed once; parses reuse
 * its buffers, which grow to the largest message seen.
 *
 * Malformed input (not one JSON object, a field of the wrong type, bad
 * base64, alignment arrays of different lengths, a "character" of more than
 * HK_ELEVENLABS_MSG_CHAR_MAX - 1 bytes, a time that is not a finite number)
 * returns HK_ELEVENLABS_MSG_EMALFORMED with a message and never crashes. A
 * field that is absent or null takes its default. Negative times are read as
 * 0 (as the client always did). */
#ifndef HK_ELEVENLABS_MSG_H
#define HK_ELEVENLABS_MSG_H

#include <stddef.h>
#include <stdint.h>

#define HK_ELEVENLABS_MSG_CHAR_MAX 16       /* bytes of one alignment "character" with its NUL */
#define HK_ELEVENLABS_MSG_CHARS_MAX 65536   /* alignment characters in one message */
#define HK_ELEVENLABS_MSG_TIME_MAX 1e9      /* ms; larger times are refused */

enum { HK_ELEVENLABS_MSG_OK = 0, HK_ELEVENLABS_MSG_EMALFORMED = -1 };

typedef struct hk_elevenlabs_char {
    char c[HK_ELEVENLABS_MSG_CHAR_MAX]; /* one character as sent (UTF-8), "" allowed */
    uint32_t start_ms;    /* from the start of this message's audio */
    uint32_t dur_ms;
} hk_elevenlabs_char;

typedef struct hk_elevenlabs_msg {
    /* audio: decoded bytes, valid until the next parse; audio_len 0 when none */
    uint8_t *audio;
    size_t audio_len;
    int is_final;           /* "isFinal": true */
    /* "alignment" when it is an object, else "normalizedAlignment"; n_chars 0
     * when neither; has_alignment says one was there (possibly empty) */
    int has_alignment, normalized;
    hk_elevenlabs_char *chars;
    size_t n_chars;
    /* a service error: "error" present and not null; text from "message",
     * else "error" (the first non-empty string), else "?"; cut to fit */
    int is_error;
    char error[200];
    /* buffers owned by the struct */
    size_t audio_cap, chars_cap;
} hk_elevenlabs_msg;

void hk_elevenlabs_msg_init(hk_elevenlabs_msg *m);
void hk_elevenlabs_msg_free(hk_elevenlabs_msg *m);

/* Parses len bytes of one text message into m. Returns HK_ELEVENLABS_MSG_OK
 * or HK_ELEVENLABS_MSG_EMALFORMED with err set ("elevenlabs_msg: ...", also
 * when out of memory), m then empty. */
int hk_elevenlabs_msg_parse(const char *data, size_t len, hk_elevenlabs_msg *m, char *err, size_t errlen);

#endif
