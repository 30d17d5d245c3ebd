/* core/log: structured logs, one JSON object per line on stderr.
 * Every line carries ts, level, event and (when known) call id; the message is
 * printf-formatted and JSON-escaped here, so callers never build JSON by hand. */
#ifndef HK_LOG_H
#define HK_LOG_H

enum { HK_LOG_DEBUG = 0, HK_LOG_INFO = 1, HK_LOG_WARN = 2, HK_LOG_ERROR = 3 };

/* Level by name (the HARK_LOG_LEVEL setting: debug|info|warn|error); NULL
 * keeps info. Returns 0, or -1 for an unknown name (the level stays). */
int hk_log_init(const char *level);
void hk_log_set_level(int level);
int hk_log_enabled(int level);

/* call_id may be NULL. event is a short snake_case name ("agent_reload_failed"). */
void hk_log(int level, const char *call_id, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Privacy: at info and above hark logs ids, lengths and timings, never what
 * a caller or agent said, tool arguments or phone numbers; those go in
 * HK_LOG_DEBUG lines only (the store encrypts them; logs are plain text).
 * hk_log_mask_number writes a phone number as "+1555***4567" (first 5 and
 * last 4 characters of a number of 10 or more; shorter: "***" and the last
 * 2) into out, for the info lines that must tell calls apart. Returns out. */
const char *hk_log_mask_number(const char *number, char *out, int cap);

/* Append the JSON string escape of s (with quotes) to out; returns bytes written
 * (truncated at cap, always NUL-terminated when cap > 0). */
int hk_json_escape(char *out, int cap, const char *s);

#endif
