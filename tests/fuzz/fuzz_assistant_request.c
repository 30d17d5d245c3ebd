/* tests/fuzz/fuzz_assistant_request: libFuzzer target for the parse of a
 * customer server's answer to an assistant-request (hk_ar_parse in
 * telephony/assistant_request). Any body gives exactly one kind, with only
 * that kind's fields set and the others NULL:
 *  - FAILED: a non-empty reason terminated inside why[];
 *  - ASSISTANT_ID: 1..64 characters; ASSISTANT: a JSON object;
 *  - DESTINATION: an E.164 number (+ and 7..15 digits), a message NULL or
 *    1..1000 characters; ERROR: 1..1000 characters;
 * the kind is the one an independent reading of the same JSON predicts
 * (error first, then destination, assistant, assistantId; the spec's
 * messageResponse wrapper is transparent: wrapping a bare reply in it gives
 * the same answer). What the call does with it is built as twilio_webhook.c
 * builds it (hk_twiml_say_dial, hk_twiml_say_hangup): the TwiML is
 * terminated inside its buffer, valid UTF-8 without control characters
 * other than tab and line breaks, and the caller's text adds no markup
 * (exactly as many '<' as with an empty text). The input is copied to an
 * exact-size heap block so ASan catches any read past the given length.
 * cJSON allocates from core/json_arena as in hark (installed at start). */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_arena.h"
#include "core/log.h"
#include "telephony/assistant_request.h"
#include "telephony/twiml.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    hk_json_arena_install();
    hk_log_set_level(HK_LOG_ERROR);
    return 0;
}

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF) and
 * no control characters but tab, CR and LF: what an XML 1.0 document may hold. */
static int xml_text_ok(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                return 0;
            i++;
            continue;
        }
        size_t k = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 ? 1 : 0;
        if (k == 0 || c > 0xf4 || i + k >= n)
            return 0;
        unsigned cp = c & (0x3f >> k);
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff
            || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
            return 0;
        i += k + 1;
    }
    return 1;
}

static size_t count_lt(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '<';
    return n;
}

static const cJSON *item(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = item(o, k);
    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

/* The kind this reply should give, read independently. */
static hk_ar_kind predict(const cJSON *root)
{
    if (!cJSON_IsObject(root))
        return HK_AR_FAILED;
    const cJSON *r = root;
    if (cJSON_IsObject(item(root, "messageResponse")))
        r = item(root, "messageResponse");
    const char *error = str(r, "error");
    if (error)
        return strlen(error) <= 1000 ? HK_AR_ERROR : HK_AR_FAILED;
    const cJSON *dest = item(r, "destination");
    if (cJSON_IsObject(dest)) {
        const char *type = str(dest, "type"), *number = str(dest, "number"), *msg = str(dest, "message");
        if (!type || strcmp(type, "number") != 0 || !number || number[0] != '+')
            return HK_AR_FAILED;
        size_t d = strlen(number + 1);
        if (d < 7 || d > 15 || strspn(number + 1, "0123456789") != d)
            return HK_AR_FAILED;
        return msg && strlen(msg) > 1000 ? HK_AR_FAILED : HK_AR_DESTINATION;
    }
    if (cJSON_IsObject(item(r, "assistant")))
        return HK_AR_ASSISTANT;
    const char *id = str(r, "assistantId");
    if (id)
        return strlen(id) <= 64 ? HK_AR_ASSISTANT_ID : HK_AR_FAILED;
    return HK_AR_FAILED;
}

static void check_twiml(int n, const char *out, size_t cap, size_t lt_expected)
{
    if (n < 0)
        return; /* too long for the buffer: the call falls back */
    if ((size_t)n >= cap || memchr(out, '\0', cap) != out + n || strlen(out) != (size_t)n)
        abort();
    if (!xml_text_ok((const unsigned char *)out, (size_t)n) || count_lt(out) != lt_expected)
        abort();
}

static void check_reply(const hk_ar_reply *r)
{
    static char body[4096];
    if (memchr(r->why, '\0', sizeof r->why) == NULL)
        abort();
    switch (r->kind) {
    case HK_AR_FAILED:
        if (!r->why[0] || r->assistant_id || r->assistant || r->number || r->message || r->error)
            abort();
        return;
    case HK_AR_ASSISTANT_ID:
        if (!r->assistant_id || !r->assistant_id[0] || strlen(r->assistant_id) > 64 || r->assistant
            || r->number || r->message || r->error)
            abort();
        return;
    case HK_AR_ASSISTANT:
        if (!cJSON_IsObject(r->assistant) || r->assistant_id || r->number || r->message || r->error)
            abort();
        return;
    case HK_AR_DESTINATION: {
        if (!r->number || r->number[0] != '+' || r->assistant_id || r->assistant || r->error)
            abort();
        size_t d = strlen(r->number + 1);
        if (d < 7 || d > 15 || strspn(r->number + 1, "0123456789") != d)
            abort();
        if (r->message && (!r->message[0] || strlen(r->message) > 1000))
            abort();
        int n0 = hk_twiml_say_dial(body, sizeof body, r->message ? "x" : NULL, r->number);
        if (n0 < 0)
            abort(); /* a valid number and a one-letter text always fit */
        size_t lt = count_lt(body);
        check_twiml(hk_twiml_say_dial(body, sizeof body, r->message, r->number), body, sizeof body, lt);
        return;
    }
    case HK_AR_ERROR: {
        if (!r->error || !r->error[0] || strlen(r->error) > 1000 || r->assistant_id || r->assistant
            || r->number || r->message)
            abort();
        char small[2048]; /* twilio_webhook.c's in_ar_goodbye buffer */
        if (hk_twiml_say_hangup(small, sizeof small, "x", NULL) < 0)
            abort();
        size_t lt = count_lt(small);
        check_twiml(hk_twiml_say_hangup(small, sizeof small, r->error, NULL), small, sizeof small, lt);
        return;
    }
    default:
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);
    hk_ar_reply r;
    cJSON *keep = (cJSON *)1;
    hk_ar_parse(size ? text : NULL, size, &r, &keep);
    check_reply(&r);
    cJSON *root = cJSON_ParseWithLength(text, size);
    free(text);
    if (predict(root) != r.kind)
        abort();
    /* the wrapper is transparent for a bare object reply */
    if (cJSON_IsObject(root) && !cJSON_IsObject(item(root, "messageResponse"))) {
        cJSON *w = cJSON_CreateObject();
        cJSON_AddItemReferenceToObject(w, "messageResponse", root);
        char *s = cJSON_PrintUnformatted(w);
        cJSON_Delete(w);
        if (!s)
            abort();
        {
            hk_ar_reply r2;
            cJSON *keep2 = NULL;
            hk_ar_parse(s, strlen(s), &r2, &keep2);
            check_reply(&r2);
            if (r2.kind != r.kind || (r.kind == HK_AR_FAILED && strcmp(r2.why, r.why) != 0))
                abort();
            cJSON_Delete(keep2);
            free(s);
        }
    }
    cJSON_Delete(root);
    cJSON_Delete(keep);
    return 0;
}
