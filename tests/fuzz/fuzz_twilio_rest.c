/* tests/fuzz/fuzz_twilio_rest: libFuzzer target for how Twilio's REST
 * answers are read (telephony/twilio_rest: hk_twilio_call_answer for Calls
 * create/update, hk_twilio_json_answer for the numbers API). The first
 * three bytes pick the HTTP status, the message buffer's size (1..400) and
 * whether the transfer failed (err); the rest is the body. Asserted:
 *  - sid and msg are terminated inside their buffers; msg is valid UTF-8
 *    without control characters (it goes into the API's JSON errors);
 *  - a Calls answer gives a sid exactly when there is no error, the status
 *    is 2xx and the body's "sid" (read here independently) is 1..63 ASCII
 *    letters and digits, and then it is that sid; otherwise msg says why
 *    (err as given; "Twilio answered <status>: " and the body's message,
 *    exactly when it is valid UTF-8 without control characters and fits in
 *    300 bytes, else at most 300 bytes of it; or no valid call sid);
 *  - the JSON answer is the body's own parse (printed the same), and msg is
 *    empty exactly for a 2xx JSON object without err.
 * The body is copied to an exact-size heap block so ASan catches any read
 * past the given length; cJSON allocates from core/json_arena as in hark. */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_arena.h"
#include "telephony/twilio_rest.h"

static const int statuses[] = {0, 200, 201, 204, 299, 300, 301, 400, 401, 404, 409, 429, 500, 503, 199, -1};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    hk_json_arena_install();
    return 0;
}

/* Strict UTF-8 without control characters (C0 and DEL). */
static int clean_text(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str);
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f)
                return 0;
            i++;
            continue;
        }
        size_t k = c < 0xc2 ? 0 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : c <= 0xf4 ? 3 : 0;
        if (k == 0 || i + k >= n)
            return 0;
        unsigned cp = c & (0x3fu >> k);
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + j] & 0x3fu);
        }
        if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return 0;
        i += k + 1;
    }
    return 1;
}

static int sid_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
            return 0;
    return 1;
}

/* msg for a non-2xx answer: the prefix, then the message or its start. */
static void check_error_msg(const char *msg, size_t cap, int status, const cJSON *j)
{
    char prefix[64];
    int pn = snprintf(prefix, sizeof prefix, "Twilio answered %d: ", status);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
    const char *want = cJSON_IsString(m) ? m->valuestring : "(no message)";
    if (cap <= (size_t)pn + 1) { /* the prefix itself was cut */
        if (strncmp(msg, prefix, strlen(msg)) != 0)
            abort();
        return;
    }
    if (strncmp(msg, prefix, (size_t)pn) != 0)
        abort();
    const char *rest = msg + pn;
    size_t rn = strlen(rest);
    if (rn > 300)
        abort();
    if (clean_text(want) && strlen(want) <= 300 && (size_t)pn + strlen(want) < cap) {
        if (strcmp(rest, want) != 0)
            abort();
    } else if (clean_text(want) && strncmp(rest, want, rn) != 0) {
        abort(); /* cut: a prefix of it */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    int status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
    if (status == -1)
        status = (int)data[0] * 7;
    size_t cap = 1 + (size_t)data[1] * 400 / 256;
    const char *err = data[2] & 1 ? "Timeout was reached" : NULL;
    size_t len = size - 3;
    char *body = malloc(len ? len : 1);
    memcpy(body, data + 3, len);
    cJSON *j = len ? cJSON_ParseWithLength(body, len) : NULL;

    char sid[64], *msg = malloc(cap);
    memset(sid, 'x', sizeof sid);
    memset(msg, 'x', cap);
    hk_twilio_call_answer(status, body, len, err, sid, sizeof sid, msg, cap);
    if (!memchr(sid, 0, sizeof sid) || !memchr(msg, 0, cap) || !clean_text(msg))
        abort();
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(j, "sid");
    int ok2xx = !err && status >= 200 && status <= 299;
    int want_sid = ok2xx && cJSON_IsString(js) && sid_ok(js->valuestring);
    if (want_sid != (sid[0] != 0) || (want_sid && strcmp(sid, js->valuestring) != 0))
        abort();
    if (want_sid && msg[0])
        abort();
    if (!want_sid && cap > 40 && !msg[0])
        abort(); /* no sid: always a reason */
    if (err && strncmp(msg, err, strlen(msg)) != 0)
        abort();
    if (!err && !ok2xx)
        check_error_msg(msg, cap, status, j);

    memset(msg, 'x', cap);
    cJSON *got = hk_twilio_json_answer(status, body, len, err, msg, cap);
    if (!memchr(msg, 0, cap) || !clean_text(msg))
        abort();
    if ((got == NULL) != (j == NULL))
        abort();
    if (got) { /* printed, not cJSON_Compare: that one fails on duplicate keys */
        char *a = cJSON_PrintUnformatted(got), *b = cJSON_PrintUnformatted(j);
        if (!a || !b || strcmp(a, b) != 0)
            abort();
        free(a);
        free(b);
    }
    int want_empty = ok2xx && cJSON_IsObject(j);
    if (want_empty != !msg[0] && cap > 40)
        abort();
    if (!err && !ok2xx)
        check_error_msg(msg, cap, status, j);
    cJSON_Delete(got);
    cJSON_Delete(j);
    free(msg);
    free(body);
    return 0;
}
