/* core/json_fields: reading one JSON message from outside with clear errors,
 * for the pure message parsers (providers/deepgram_msg, elevenlabs_msg,
 * openai_event, anthropic_event).
 * One object and nothing after it but whitespace; a field read checks its
 * type and range and says which field was wrong, prefixed with the parser's
 * name. A field that is absent or JSON null leaves the output untouched, so
 * the caller sets defaults first. Strings are copied bounded, always
 * NUL-terminated. */
#ifndef HK_JSON_FIELDS_H
#define HK_JSON_FIELDS_H

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct hk_json_err {
    char *buf;          /* may be NULL */
    size_t cap;
    const char *prefix; /* "deepgram_msg" */
} hk_json_err;

/* Writes "<prefix>: <message>" into e->buf; returns -1. */
int hk_json_fail(hk_json_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses len bytes as exactly one JSON object (trailing whitespace allowed).
 * Returns the tree (cJSON_Delete it) or NULL with e set. Within a
 * core/json_arena scope the tree comes from the arena. */
cJSON *hk_json_parse_object(const char *text, size_t len, hk_json_err *e);

/* The item, NULL when absent or null. */
const cJSON *hk_json_get(const cJSON *obj, const char *key);

/* true/false -> 1/0 into *out. Another type is an error. */
int hk_json_bool(hk_json_err *e, const cJSON *obj, const char *key, int *out);
/* A finite number in [min, max] into *out. */
int hk_json_number(hk_json_err *e, const cJSON *obj, const char *key, double min, double max,
                   double *out);
/* A string copied into dst (cap > 0), cut at a UTF-8 character boundary when
 * it does not fit. *len (may be NULL) gets the bytes kept, *cut (may be NULL)
 * 1 when cut. Another type is an error. */
int hk_json_string_cut(hk_json_err *e, const cJSON *obj, const char *key, char *dst, size_t cap,
                       size_t *len, int *cut);
/* An object or array item of that type, else NULL; another type is an error
 * (*rc = -1). */
const cJSON *hk_json_object(hk_json_err *e, const cJSON *obj, const char *key, int *rc);
const cJSON *hk_json_array(hk_json_err *e, const cJSON *obj, const char *key, int *rc);

/* Copies s into dst (cap > 0), cut at a UTF-8 character boundary; returns
 * the bytes kept. */
size_t hk_json_copy_cut(char *dst, size_t cap, const char *s);

#endif
