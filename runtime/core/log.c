/* core/log: JSON-lines logger. Writes whole lines with one write(2) so lines
 * from several worker processes never interleave mid-line. Never allocates. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int g_level = HK_LOG_INFO;
static const char *g_names[] = {"debug", "info", "warn", "error"};

int hk_log_init(const char *level) {
    if (!level || !*level) return 0;
    for (int i = 0; i < 4; i++)
        if (strcmp(level, g_names[i]) == 0) {
            g_level = i;
            return 0;
        }
    return -1;
}

const char *hk_log_mask_number(const char *number, char *out, int cap) {
    if (!out || cap <= 0) return "";
    out[0] = 0;
    if (!number || !*number) return out;
    int n = (int)strlen(number);
    if (n >= 10) snprintf(out, (size_t)cap, "%.5s***%s", number, number + n - 4);
    else if (n > 4) snprintf(out, (size_t)cap, "***%s", number + n - 2);
    else snprintf(out, (size_t)cap, "***");
    return out;
}

void hk_log_set_level(int level) { g_level = level; }
int hk_log_enabled(int level) { return level >= g_level; }

/* Length of the well-formed UTF-8 sequence at p, or 0 (RFC 3629: no overlong
 * forms, surrogates or code points past U+10FFFF). Never reads past a NUL. */
static int utf8_len(const unsigned char *p) {
    unsigned char c = p[0];
    if (c < 0xC2 || c > 0xF4) return 0;
    int n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xF0 && p[1] < 0x90)) return 0;
    if ((c == 0xED && p[1] > 0x9F) || (c == 0xF4 && p[1] > 0x8F)) return 0;
    return n;
}

/* Truncation drops whole escapes and whole characters and keeps the closing
 * quote, so a cut line is still JSON; bytes that are not UTF-8 (Lua strings,
 * provider errors) become U+FFFD for the same reason. */
int hk_json_escape(char *out, int cap, const char *s) {
    if (cap <= 0) return 0;
    out[0] = 0;
    if (cap < 3) return 0; /* not even "" fits */
    int n = 0;
    out[n++] = '"';
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        unsigned char c = *p;
        char esc[8];
        const char *unit = esc;
        int len = 2, step = 1;
        esc[0] = '\\';
        if (c == '"' || c == '\\') esc[1] = (char)c;
        else if (c == '\n') esc[1] = 'n';
        else if (c == '\t') esc[1] = 't';
        else if (c < 0x20) len = snprintf(esc, sizeof esc, "\\u%04x", c);
        else if (c < 0x80 || (step = utf8_len(p)) > 0) {
            unit = (const char *)p; /* as is: printable ASCII or one whole character */
            len = step;
        } else {
            unit = "\\ufffd";
            len = 6;
            step = 1;
        }
        if (n + len > cap - 2) break; /* room for the closing quote and NUL */
        memcpy(out + n, unit, (size_t)len);
        n += len;
        p += step;
    }
    out[n++] = '"';
    out[n] = 0;
    return n;
}

void hk_log(int level, const char *call_id, const char *event, const char *fmt, ...) {
    if (level < g_level) return;
    char msg[2048], line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line,
                     "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":\"%s\",\"event\":",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000, g_names[level < 0 ? 0 : level > 3 ? 3 : level]);
    n += hk_json_escape(line + n, (int)sizeof line - n - 2, event);
    if (call_id && *call_id && n < (int)sizeof line - 16) { /* "" is no call */
        n += snprintf(line + n, sizeof line - n, ",\"call_id\":");
        n += hk_json_escape(line + n, (int)sizeof line - n - 2, call_id);
    }
    if (n < (int)sizeof line - 16) {
        n += snprintf(line + n, sizeof line - n, ",\"msg\":");
        n += hk_json_escape(line + n, (int)sizeof line - n - 2, msg);
    }
    if (n > (int)sizeof line - 3) n = (int)sizeof line - 3;
    line[n++] = '}';
    line[n++] = '\n';
    ssize_t w = write(2, line, (size_t)n);
    (void)w;
}
