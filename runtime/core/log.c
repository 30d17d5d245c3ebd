/* core/log: JSON-lines logger. Writes whole lines with one write(2) so lines
 * from several worker processes never interleave mid-line. Never allocates. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int g_level = HK_LOG_INFO;
static const char *g_names[] = {"debug", "info", "warn", "error"};

void hk_log_init(void) {
    const char *s = getenv("HARK_LOG_LEVEL");
    if (!s) return;
    for (int i = 0; i < 4; i++)
        if (strcmp(s, g_names[i]) == 0) g_level = i;
}

void hk_log_set_level(int level) { g_level = level; }
int hk_log_enabled(int level) { return level >= g_level; }

int hk_json_escape(char *out, int cap, const char *s) {
    int n = 0;
    if (cap <= 0) return 0;
#define PUT(c)                      \
    do {                            \
        if (n < cap - 1) out[n] = (c); \
        n++;                        \
    } while (0)
    PUT('"');
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            PUT('\\');
            PUT(c);
        } else if (c == '\n') {
            PUT('\\');
            PUT('n');
        } else if (c == '\t') {
            PUT('\\');
            PUT('t');
        } else if (c < 0x20) {
            char tmp[8];
            snprintf(tmp, sizeof tmp, "\\u%04x", c);
            for (int i = 0; tmp[i]; i++) PUT(tmp[i]);
        } else {
            PUT(c);
        }
    }
    PUT('"');
#undef PUT
    if (n >= cap) n = cap - 1;
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
    n += hk_json_escape(line + n, (int)sizeof line - n, event);
    if (call_id && n < (int)sizeof line - 16) {
        n += snprintf(line + n, sizeof line - n, ",\"call_id\":");
        n += hk_json_escape(line + n, (int)sizeof line - n, call_id);
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
