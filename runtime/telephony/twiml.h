/* telephony/twiml: the TwiML documents hark answers Twilio with, built into a
 * caller buffer with every attribute and text XML-escaped. Each builder
 * returns the length written, or -1 when the document does not fit (out is
 * then ""). Characters XML 1.0 forbids (control bytes other than tab, CR,
 * LF, U+FFFE, U+FFFF) and bytes that are not part of a valid UTF-8
 * character are dropped rather than escaped: no escape for them exists, and
 * Twilio refuses a document that holds one. */
#ifndef HK_TWIML_H
#define HK_TWIML_H

#include <stddef.h>

typedef struct hk_twiml_param {
    const char *name;
    const char *value;
} hk_twiml_param;

typedef struct hk_twiml_stream {
    const char *say;       /* optional line spoken first (recording consent), NULL or "" for none */
    const char *voice;     /* optional <Say voice>, NULL for Twilio's default */
    const char *language;  /* optional <Say language> */
    const char *action;    /* optional <Connect action>: requested when the stream ends */
    const char *url;       /* the wss:// stream URL (Twilio passes no query string) */
    const hk_twiml_param *params; /* <Parameter>s, arrive in start.customParameters */
    int n_params;
} hk_twiml_stream;

/* <Say>?<Connect action><Stream url><Parameter/>...</Stream></Connect> */
int hk_twiml_connect_stream(char *out, size_t cap, const hk_twiml_stream *s);
/* <Say>text</Say><Hangup/> (e.g. a number with no agent). voice may be NULL. */
int hk_twiml_say_hangup(char *out, size_t cap, const char *text, const char *voice);
/* <Dial callerId="...">number</Dial> (transfer). caller_id may be NULL. */
int hk_twiml_dial(char *out, size_t cap, const char *number, const char *caller_id);
/* <Say>text</Say>?<Dial>number</Dial>: forward the call (assistant-request's
 * destination). text may be NULL. */
int hk_twiml_say_dial(char *out, size_t cap, const char *text, const char *number);
/* <Redirect method="POST">url</Redirect>: Twilio fetches url for what next. */
int hk_twiml_redirect(char *out, size_t cap, const char *url);
/* <Hangup/> */
int hk_twiml_hangup(char *out, size_t cap);

/* Appends the XML escape of s; the building block the above share. Returns
 * 0 or -1 on overflow. *len is the current length of out. */
int hk_twiml_escape(char *out, size_t cap, size_t *len, const char *s);

#endif
