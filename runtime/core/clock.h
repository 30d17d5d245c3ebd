/* core/clock: the time a call lives in, and timers on it.
 * Real mode: wall time on the libev loop (hark serve, hark call --realtime).
 * Virtual mode (hark call without --realtime): a discrete-event clock. While a
 * local engine is working on the thread pool it advances with real time, so
 * measured latencies are true; when nothing is working it jumps straight to the
 * next timer, so idle seconds of a simulated call cost nothing.
 * Real mode gives each timer its own ev_timer (libev's heap scales to many
 * calls); virtual mode keeps timers in one sorted list fired by a single
 * ev_timer while busy, or by an ev_idle that jumps ahead while idle. */
#ifndef HK_CLOCK_H
#define HK_CLOCK_H

#include <ev.h>
#include <stdint.h>

typedef struct hk_clock hk_clock;
typedef struct hk_timer hk_timer;

struct hk_timer {
    double at;                    /* clock time (s) when due */
    void (*cb)(hk_timer *t, void *ud);
    void *ud;
    hk_timer *next;               /* clock-private */
    int armed;
    ev_timer w;                   /* real mode */
    hk_clock *clock;
};

hk_clock *hk_clock_new(struct ev_loop *loop, int virtual_time);
void hk_clock_free(hk_clock *c);
int hk_clock_is_virtual(const hk_clock *c);
/* Seconds on this clock. */
double hk_clock_now(const hk_clock *c);
/* Arm t to fire after delay seconds (re-arming an armed timer moves it). */
void hk_timer_start(hk_clock *c, hk_timer *t, double delay, void (*cb)(hk_timer *, void *), void *ud);
void hk_timer_stop(hk_clock *c, hk_timer *t);
/* Timers armed now in this process, on every clock (a leak shows as growth
 * over many calls: GET /metrics hark_timers_armed, bench/soak.sh). */
long hk_timers_armed(void);
/* Engines report work in progress (virtual mode must not jump while busy). */
void hk_clock_set_busy(hk_clock *c, int busy);
/* Network work in flight (+1 when a provider request starts, -1 when it
 * ends): virtual time must not jump past it either, so a cloud provider's
 * latency is measured as it is. Counted; real mode ignores it. */
void hk_clock_hold(hk_clock *c, int delta);
/* Switch a virtual clock to real time before any timer is armed (-1 after). */
int hk_clock_make_real(hk_clock *c);

#endif
