/* cluster/rate_limit: "at most N per window" counters shared by every worker
 * and node through Redis: one EVAL per check (INCR; PEXPIRE on a window's
 * first hit; PTTL), so a window starts at its first hit and no clocks are
 * compared across nodes. Used for API requests per key per second (api/api.c),
 * login attempts per email and per client address (api/auth_login.c) and calls
 * per minute per agent (telephony/twilio_webhook.c). Redis not configured or
 * unreachable: the same counters per worker in a bounded table (so N workers
 * allow up to N times the limit), logged once per outage and counted in
 * hark_rate_limit_degraded_total. Never blocks the loop. */
#ifndef HK_RATE_LIMIT_H
#define HK_RATE_LIMIT_H

/* allowed 1: go on; 0: over the limit, retry_after_s (>= 1) says when the
 * window ends. Called exactly once, possibly before hk_rate_limit_take returns. */
typedef void (*hk_rate_limit_cb)(void *ud, int allowed, int retry_after_s);

/* Counts one hit of (kind, id) against limit per window_ms (limit <= 0: no
 * limit, allowed at once without counting). kind: a short constant ("api",
 * "login-ip", ...); id: any text (only a 64-bit hash of long ids is kept). */
void hk_rate_limit_take(const char *kind, const char *id, long limit, long window_ms,
                        hk_rate_limit_cb cb, void *ud);

/* The per-worker table alone (tests, and the fallback). */
int hk_rate_limit_take_local(const char *kind, const char *id, long limit, long window_ms,
                             int *retry_after_s);
void hk_rate_limit_reset_local(void); /* tests */

#endif
