/* tests/unit/guarded_run: wall time and an ev_run that cannot hang, for the
 * tests of anything driven by the libev loop (clock, pool, engines on the pool).
 * Header-only, so each test stays one file; include it after <cmocka.h>. */
#ifndef HK_TEST_GUARDED_RUN_H
#define HK_TEST_GUARDED_RUN_H

#include <ev.h>
#include <time.h>

static inline double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void on_guard(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    *(int *)w->data = 1;
    ev_break(loop, EVBREAK_ALL);
}

/* ev_run until the loop has nothing left to do; a loop still running after
 * limit seconds fails the test instead of hanging it. The guard holds no loop
 * reference, so it never keeps ev_run alive by itself. */
static inline void run_guarded(struct ev_loop *loop, double limit)
{
    int fired = 0;
    ev_timer guard;
    ev_timer_init(&guard, on_guard, limit, 0.);
    guard.data = &fired;
    ev_timer_start(loop, &guard);
    ev_unref(loop);
    ev_run(loop, 0);
    ev_ref(loop);
    ev_timer_stop(loop, &guard);
    assert_false(fired);
}

#endif
