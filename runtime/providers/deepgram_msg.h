/* providers/deepgram_msg: one text message of Deepgram's live API
 * (shared/reference/protocols.md section 2) -> a struct. No state, no
 * sockets: stt_deepgram.c gives it each message and acts on the struct.
 * Malformed input (not one JSON object, a field of the wrong type, a time
 * that is negative or not finite) returns HK_DEEPGRAM_MSG_EMALFORMED with a
 * message and never crashes. A "type" hark does not know is not an error
 * (HK_DEEPGRAM_MSG_OTHER, name kept) so Deepgram can add some; a field that
 * is absent or null takes its default. Word timings are not read: the
 * client places spans by start/duration only. */
#ifndef HK_DEEPGRAM_MSG_H
#define HK_DEEPGRAM_MSG_H

#include <stddef.h>

/* Transcript bytes kept with their NUL: ~9 minutes of speech in one span,
 * far more than Deepgram puts in one (it finalises every few seconds). A
 * longer one is cut at a UTF-8 character boundary and flagged. */
#define HK_DEEPGRAM_MSG_TEXT_MAX 8192
/* Times above this many seconds are refused (a call is never this long). */
#define HK_DEEPGRAM_MSG_TIME_MAX 1e7

typedef enum {
    HK_DEEPGRAM_MSG_OTHER = 0,     /* a type hark does not know: type_name says which */
    HK_DEEPGRAM_MSG_RESULTS,
    HK_DEEPGRAM_MSG_METADATA,
    HK_DEEPGRAM_MSG_UTTERANCE_END,
    HK_DEEPGRAM_MSG_SPEECH_STARTED,
    HK_DEEPGRAM_MSG_ERROR,
} hk_deepgram_msg_type;

enum { HK_DEEPGRAM_MSG_OK = 0, HK_DEEPGRAM_MSG_EMALFORMED = -1 };

typedef struct hk_deepgram_msg {
    hk_deepgram_msg_type type;
    char type_name[32];       /* "type" as sent, cut to fit (for the log) */
    /* Results */
    int is_final, speech_final, from_finalize; /* 0 or 1; 0 when absent */
    double start, duration;   /* seconds of the connection's audio, >= 0; 0 when absent */
    int n_alternatives;       /* the client uses the first */
    char transcript[HK_DEEPGRAM_MSG_TEXT_MAX]; /* the first alternative's, "" when none */
    size_t transcript_len;    /* strlen(transcript) */
    int transcript_cut;       /* 1: longer than the buffer, cut */
    double confidence;        /* the first alternative's, 0..1; -1 when absent */
    /* SpeechStarted: timestamp; UtteranceEnd: last_word_end; -1 when absent */
    double timestamp, last_word_end;
    /* Metadata */
    char request_id[64];      /* cut to fit (for the log) */
    /* Error: description (or message), cut to fit; variant, cut */
    char error[256];
    char variant[64];
} hk_deepgram_msg;

/* Parses len bytes of one text message into out. Returns HK_DEEPGRAM_MSG_OK
 * or HK_DEEPGRAM_MSG_EMALFORMED with err set ("deepgram_msg: ..."), out then
 * holding only its type. Every string of out is NUL-terminated either way. */
int hk_deepgram_msg_parse(const char *data, size_t len, hk_deepgram_msg *out, char *err, size_t errlen);

const char *hk_deepgram_msg_type_name(hk_deepgram_msg_type t);

#endif
