/* core/log: structured logs, one JSON object per line on stderr.
 * Every line carries ts, level, event and (when known) call id; the message is
 * printf-formatted and JSON-escaped here, so callers never build JSON by hand. */
#ifndef HK_LOG_H
#define HK_LOG_H

enum { HK_LOG_DEBUG = 0, HK_LOG_INFO = 1, HK_LOG_WARN = 2, HK_LOG_ERROR = 3 };

/* Level from HARK_LOG_LEVEL (debug|info|warn|error), default info. */
void hk_log_init(void);
void hk_log_set_level(int level);
int hk_log_enabled(int level);

/* call_id may be NULL. event is a short snake_case name ("agent_reload_failed"). */
void hk_log(int level, const char *call_id, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Append the JSON string escape of s (with quotes) to out; returns bytes written
 * (truncated at cap, always NUL-terminated when cap > 0). */
int hk_json_escape(char *out, int cap, const char *s);

#endif
