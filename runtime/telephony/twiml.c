/* telephony/twiml: see twiml.h. Owns TwiML document text and XML escaping;
 * knows nothing of calls or agents. */
#include "telephony/twiml.h"

#include <string.h>

#define XML_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
#define XML_TAIL "</Response>"

/* A small append-only writer: every step is a no-op once overflowed. */
typedef struct { char *out; size_t cap, len; int over; } wr;

static void put(wr *w, const char *s)
{
    size_t n = strlen(s);
    if (w->over || w->len + n >= w->cap) {
        w->over = 1;
        return;
    }
    memcpy(w->out + w->len, s, n + 1);
    w->len += n;
}

/* Bytes of the XML character p starts with: a strict UTF-8 sequence (no
 * overlong form, surrogate, U+FFFE/U+FFFF or code point past U+10FFFF), or
 * 0 for a byte that starts none (the string ends at a NUL, so a sequence
 * cut by it is invalid and nothing past it is read). */
static size_t utf8_char(const unsigned char *p)
{
    unsigned c = p[0];
    size_t k = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 ? 1 : 0;
    if (k == 0 || c > 0xf4)
        return 0;
    unsigned cp = c & (0x3fu >> k);
    for (size_t j = 1; j <= k; j++) {
        if ((p[j] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[j] & 0x3fu);
    }
    if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff
        || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
        return 0;
    return k + 1;
}

int hk_twiml_escape(char *out, size_t cap, size_t *len, const char *s)
{
    size_t o = *len;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        const char *rep = NULL;
        char one[5] = {(char)*p, 0};
        if (*p >= 0x80) { /* a whole character, or the byte is dropped */
            size_t k = utf8_char(p);
            if (k == 0)
                continue;
            memcpy(one, p, k);
            one[k] = 0;
            p += k - 1;
            rep = one;
        } else {
            switch (*p) {
            case '&': rep = "&amp;"; break;
            case '<': rep = "&lt;"; break;
            case '>': rep = "&gt;"; break;
            case '"': rep = "&quot;"; break;
            case '\'': rep = "&apos;"; break;
            default:
                if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
                    continue;
                rep = one;
            }
        }
        size_t n = strlen(rep);
        if (o + n >= cap)
            return -1;
        memcpy(out + o, rep, n);
        o += n;
    }
    if (o >= cap)
        return -1;
    out[o] = '\0';
    *len = o;
    return 0;
}

static void esc(wr *w, const char *s)
{
    if (!w->over && hk_twiml_escape(w->out, w->cap, &w->len, s ? s : "") < 0)
        w->over = 1;
}

/* name="value" with a leading space; skipped when value is NULL. */
static void attr(wr *w, const char *name, const char *value)
{
    if (!value)
        return;
    put(w, " ");
    put(w, name);
    put(w, "=\"");
    esc(w, value);
    put(w, "\"");
}

static int finish(wr *w)
{
    put(w, XML_TAIL);
    if (w->over) {
        if (w->out && w->cap)
            w->out[0] = '\0';
        return -1;
    }
    return (int)w->len;
}

static void say(wr *w, const char *text, const char *voice, const char *language)
{
    put(w, "<Say");
    attr(w, "voice", voice && *voice ? voice : NULL);
    attr(w, "language", language && *language ? language : NULL);
    put(w, ">");
    esc(w, text);
    put(w, "</Say>");
}

static wr start(char *out, size_t cap)
{
    wr w = {out, cap, 0, !out || cap == 0};
    put(&w, XML_HEAD);
    return w;
}

int hk_twiml_connect_stream(char *out, size_t cap, const hk_twiml_stream *s)
{
    wr w = start(out, cap);
    if (!s || !s->url || !*s->url || s->n_params < 0 || (s->n_params && !s->params))
        w.over = 1;
    else {
        if (s->say && *s->say)
            say(&w, s->say, s->voice, s->language);
        put(&w, "<Connect");
        attr(&w, "action", s->action && *s->action ? s->action : NULL);
        put(&w, "><Stream");
        attr(&w, "url", s->url);
        put(&w, ">");
        for (int i = 0; i < s->n_params; i++) {
            put(&w, "<Parameter");
            attr(&w, "name", s->params[i].name ? s->params[i].name : "");
            attr(&w, "value", s->params[i].value ? s->params[i].value : "");
            put(&w, "/>");
        }
        put(&w, "</Stream></Connect>");
    }
    return finish(&w);
}

int hk_twiml_say_hangup(char *out, size_t cap, const char *text, const char *voice)
{
    wr w = start(out, cap);
    say(&w, text, voice, NULL);
    put(&w, "<Hangup/>");
    return finish(&w);
}

int hk_twiml_dial(char *out, size_t cap, const char *number, const char *caller_id)
{
    wr w = start(out, cap);
    if (!number || !*number)
        w.over = 1;
    put(&w, "<Dial");
    attr(&w, "callerId", caller_id && *caller_id ? caller_id : NULL);
    put(&w, ">");
    esc(&w, number);
    put(&w, "</Dial>");
    return finish(&w);
}

int hk_twiml_say_dial(char *out, size_t cap, const char *text, const char *number)
{
    wr w = start(out, cap);
    if (!number || !*number)
        w.over = 1;
    if (text && *text)
        say(&w, text, NULL, NULL);
    put(&w, "<Dial>");
    esc(&w, number);
    put(&w, "</Dial>");
    return finish(&w);
}

int hk_twiml_redirect(char *out, size_t cap, const char *url)
{
    wr w = start(out, cap);
    if (!url || !*url)
        w.over = 1;
    put(&w, "<Redirect method=\"POST\">");
    esc(&w, url);
    put(&w, "</Redirect>");
    return finish(&w);
}

int hk_twiml_hangup(char *out, size_t cap)
{
    wr w = start(out, cap);
    put(&w, "<Hangup/>");
    return finish(&w);
}
