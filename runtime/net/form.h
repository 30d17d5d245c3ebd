/* net/form: application/x-www-form-urlencoded parsing (Twilio webhook bodies
 * and URL query strings) into a parameter list and a string buffer that the
 * caller provides: no allocation. Names and values are percent-decoded ('+' is
 * a space); repeated names are all kept, in order; an invalid escape (not two
 * hex digits) or an escaped NUL rejects the whole input, so every value is a
 * plain C string. Empty pieces ("a=1&&b=2") are skipped, a piece without '='
 * is a name with an empty value. Bytes are not checked for UTF-8. */
#ifndef HK_FORM_H
#define HK_FORM_H

#include <stddef.h>

typedef struct hk_form_param {
    const char *name;   /* NUL-terminated, inside the form's buffer */
    const char *value;
} hk_form_param;

typedef struct hk_form {
    hk_form_param *params;  /* caller's array of cap entries */
    int cap;
    int n;
    char *buf;              /* caller's buffer for decoded strings */
    size_t buf_cap;         /* len + 2 bytes per parameter always suffice */
} hk_form;

void hk_form_init(hk_form *f, hk_form_param *params, int cap, char *buf, size_t buf_cap);

/* Parses len bytes (a body, or a query string without its '?'). Returns the
 * number of parameters (f->n), or -1 with a message in err (invalid escape,
 * too many parameters, buffer too small); f->n is 0 after a failure. */
int hk_form_parse(hk_form *f, const char *text, size_t len, char *err, size_t errcap);

/* The first value of name, or NULL. */
const char *hk_form_get(const hk_form *f, const char *name);
/* The idx-th (0-based) value of name, or NULL: for repeated names. */
const char *hk_form_get_nth(const hk_form *f, const char *name, int idx);

/* Append name=value (percent-encoded, '&' before all but the first pair) to
 * out, which holds *len bytes; NUL-terminates. -1 when it does not fit. */
int hk_form_append(char *out, size_t cap, size_t *len, const char *name, const char *value);

/* Percent-encode s into out (NUL-terminated): everything but A-Z a-z 0-9
 * - . _ ~ (and '/' when keep_slash) becomes %XX, the RFC 3986 unreserved set
 * that both form bodies and AWS SigV4 use. Returns the length, or -1 when it
 * does not fit. */
long hk_url_encode(const char *s, int keep_slash, char *out, size_t cap);

#endif
