/* telephony/twilio_msg: one Twilio Media Streams text frame <-> a struct.
 * Parsing (Twilio -> hark) uses cJSON and fills a caller-owned struct: the
 * mu-law payload is base64-decoded into it, the string numbers
 * (sequenceNumber, chunk, timestamp) become integers. Malformed input returns
 * HK_TWILIO_MSG_EMALFORMED with a message and never crashes; an event hark does not
 * know is not an error (HK_TWILIO_MSG_UNKNOWN, name kept) so Twilio can add some.
 * Building (hark -> Twilio: media, mark, clear) writes into a caller buffer
 * with no allocation: 50 media frames per second per call. */
#ifndef HK_TWILIO_MSG_H
#define HK_TWILIO_MSG_H

#include <stddef.h>
#include <stdint.h>

#define HK_TWILIO_MSG_PAYLOAD_MAX 400   /* decoded bytes; Twilio sends 160 per 20 ms */
#define HK_TWILIO_MSG_SID_MAX 64        /* buffer size for sids (34 characters today) */
#define HK_TWILIO_MSG_PARAMS_MAX 16     /* customParameters kept */
#define HK_TWILIO_MSG_PARAM_NAME_MAX 64
#define HK_TWILIO_MSG_PARAM_VALUE_MAX 512 /* holds a stream token */
#define HK_TWILIO_MSG_NAME_MAX 128      /* mark name */

typedef enum {
    HK_TWILIO_MSG_UNKNOWN = 0,
    HK_TWILIO_MSG_CONNECTED,
    HK_TWILIO_MSG_START,
    HK_TWILIO_MSG_MEDIA,
    HK_TWILIO_MSG_MARK,
    HK_TWILIO_MSG_DTMF,
    HK_TWILIO_MSG_STOP,
} hk_twilio_msg_kind;

enum { HK_TWILIO_MSG_OK = 0, HK_TWILIO_MSG_EMALFORMED = -1 };

typedef struct hk_twilio_msg_param {
    char name[HK_TWILIO_MSG_PARAM_NAME_MAX];
    char value[HK_TWILIO_MSG_PARAM_VALUE_MAX];
} hk_twilio_msg_param;

typedef struct hk_twilio_msg {
    hk_twilio_msg_kind kind;
    char event[32];               /* the "event" string as sent (for UNKNOWN) */
    char stream_sid[HK_TWILIO_MSG_SID_MAX];
    char call_sid[HK_TWILIO_MSG_SID_MAX];     /* start, stop */
    char account_sid[HK_TWILIO_MSG_SID_MAX];  /* start, stop */
    int64_t sequence_number;      /* -1 when absent */
    /* media */
    char track[24];               /* media.track / dtmf.track */
    int64_t chunk;                /* -1 when absent */
    int64_t timestamp;            /* ms since stream start, -1 when absent */
    uint8_t payload[HK_TWILIO_MSG_PAYLOAD_MAX];
    size_t payload_len;
    /* start */
    char encoding[32];            /* "audio/x-mulaw" */
    int sample_rate;              /* 8000; 0 when absent */
    int channels;                 /* 1; 0 when absent */
    int n_params;
    hk_twilio_msg_param params[HK_TWILIO_MSG_PARAMS_MAX];
    /* connected */
    char protocol[16];
    char version[16];
    /* mark */
    char mark_name[HK_TWILIO_MSG_NAME_MAX];
    /* dtmf: one character, "0".."9", "*", "#" */
    char digit[4];
} hk_twilio_msg;

/* Parses len bytes of one text frame into m. Returns HK_TWILIO_MSG_OK or
 * HK_TWILIO_MSG_EMALFORMED with err set ("twilio_msg: ..."). */
int hk_twilio_msg_parse(const char *text, size_t len, hk_twilio_msg *m, char *err, size_t errcap);

/* The value of customParameters[name], or NULL. */
const char *hk_twilio_msg_param_get(const hk_twilio_msg *m, const char *name);

const char *hk_twilio_msg_kind_name(hk_twilio_msg_kind k);

/* Builders. Each returns the length written (without the NUL) or -1 when the
 * output does not fit in cap or a string holds a character that would need
 * JSON escaping (a control byte, '"' or '\\'): sids and mark names are hark's
 * own and never need it. */
int hk_twilio_msg_build_media(char *out, size_t cap, const char *stream_sid,
                         const uint8_t *audio, size_t n);
int hk_twilio_msg_build_mark(char *out, size_t cap, const char *stream_sid, const char *name);
int hk_twilio_msg_build_clear(char *out, size_t cap, const char *stream_sid);

#endif
