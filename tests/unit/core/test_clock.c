/* tests/unit/core/test_clock: the call clock in both modes. Virtual mode fires
 * timers in deadline order and jumps over idle time, but runs at wall speed
 * while an engine says it is busy; real mode is plain wall time.
 * Wall-time bounds are deliberately loose so a loaded machine cannot fail them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <cmocka.h>

#include "core/clock.h"
#include "../guarded_run.h"

/* What a firing timer saw. */
typedef struct fired {
    hk_clock *clock;
    int order[16];
    double at[16];
    double wall[16];
    int n;
} fired;

typedef struct tagged {
    hk_timer t;
    int id;
    fired *log;
} tagged;

static void on_tagged(hk_timer *t, void *ud)
{
    tagged *tg = ud;
    (void)t;
    fired *f = tg->log;
    assert_true(f->n < 16);
    f->order[f->n] = tg->id;
    f->at[f->n] = hk_clock_now(f->clock);
    f->wall[f->n] = wall_now();
    f->n++;
}

static void test_virtual_fires_in_deadline_order(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new(0);
    hk_clock *c = hk_clock_new(loop, 1);
    assert_true(hk_clock_is_virtual(c));
    fired f = {.clock = c};
    tagged tm[5] = {{.id = 0}, {.id = 1}, {.id = 2}, {.id = 3}, {.id = 4}};
    double delays[5] = {3.0, 1.0, 2.0, 1.0, 1.0}; /* 1, 3 and 4 share a deadline */
    double t0 = hk_clock_now(c);
    long armed0 = hk_timers_armed();
    for (int i = 0; i < 5; i++) {
        tm[i].log = &f;
        hk_timer_start(c, &tm[i].t, delays[i], on_tagged, &tm[i]);
    }
    hk_timer_start(c, &tm[0].t, delays[0], on_tagged, &tm[0]); /* re-arming counts once */
    assert_int_equal(hk_timers_armed(), armed0 + 5);
    run_guarded(loop, 10.0);
    assert_int_equal(hk_timers_armed(), armed0); /* fired: no longer armed */

    int want[5] = {1, 3, 4, 2, 0}; /* equal deadlines keep arming order */
    assert_int_equal(f.n, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(f.order[i], want[i]);
        assert_true(fabs(f.at[i] - (t0 + delays[want[i]])) < 1e-6);
        assert_false(tm[i].t.armed);
    }
    hk_clock_free(c);
    ev_loop_destroy(loop);
}

static void test_virtual_jumps_over_idle_time(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new(0);
    hk_clock *c = hk_clock_new(loop, 1);
    fired f = {.clock = c};
    tagged a = {.id = 5, .log = &f}, b = {.id = 10, .log = &f};
    double t0 = hk_clock_now(c);
    double w0 = wall_now();
    hk_timer_start(c, &b.t, 10.0, on_tagged, &b);
    hk_timer_start(c, &a.t, 5.0, on_tagged, &a);
    run_guarded(loop, 5.0);
    double wall = wall_now() - w0;

    assert_int_equal(f.n, 2);
    assert_int_equal(f.order[0], 5);
    assert_int_equal(f.order[1], 10);
    assert_true(fabs(f.at[0] - (t0 + 5.0)) < 1e-6);
    assert_true(fabs(f.at[1] - (t0 + 10.0)) < 1e-6);
    assert_true(hk_clock_now(c) - t0 >= 10.0 - 1e-6);
    assert_true(wall < 0.5); /* ten seconds of call time, nearly no wall time */
    hk_clock_free(c);
    ev_loop_destroy(loop);
}

/* A 20 ms tick that re-arms itself, as an audio pacer would. */
typedef struct ticker {
    hk_clock *clock;
    hk_timer tick, stop;
    double t0;
    int n;
    double max_err;
} ticker;

static void on_tick(hk_timer *t, void *ud)
{
    ticker *k = ud;
    k->n++;
    double err = fabs(hk_clock_now(k->clock) - (k->t0 + 0.02 * k->n));
    if (err > k->max_err) k->max_err = err;
    hk_timer_start(k->clock, t, 0.02, on_tick, k);
}

static void on_stop_ticker(hk_timer *t, void *ud)
{
    ticker *k = ud;
    (void)t;
    hk_timer_stop(k->clock, &k->tick);
}

static void test_virtual_rearm_inside_callback(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new(0);
    ticker k = {.clock = hk_clock_new(loop, 1)};
    k.t0 = hk_clock_now(k.clock);
    hk_timer_start(k.clock, &k.tick, 0.02, on_tick, &k);
    /* halfway between ticks 50 and 51, so rounding cannot decide the count */
    hk_timer_start(k.clock, &k.stop, 1.01, on_stop_ticker, &k);
    run_guarded(loop, 10.0);

    assert_int_equal(k.n, 50);
    assert_true(k.max_err < 1e-4);
    assert_false(k.tick.armed);
    hk_clock_free(k.clock);
    ev_loop_destroy(loop);
}

static void on_stop_other(hk_timer *t, void *ud)
{
    tagged *victim = ud;
    (void)t;
    hk_timer_stop(victim->log->clock, &victim->t);
}

static void test_virtual_stop_prevents_firing(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new(0);
    hk_clock *c = hk_clock_new(loop, 1);
    fired f = {.clock = c};
    tagged a = {.id = 1, .log = &f}, b = {.id = 2, .log = &f}, d = {.id = 4, .log = &f};
    tagged moved = {.id = 5, .log = &f};
    hk_timer killer;
    double t0 = hk_clock_now(c);

    hk_timer_start(c, &a.t, 1.0, on_tagged, &a);
    hk_timer_start(c, &b.t, 2.0, on_tagged, &b);
    hk_timer_stop(c, &a.t);
    hk_timer_stop(c, &a.t); /* stopping twice is harmless */
    assert_false(a.t.armed);
    /* a callback may stop a timer that is due later */
    hk_timer_start(c, &d.t, 4.0, on_tagged, &d);
    hk_timer_start(c, &killer, 3.0, on_stop_other, &d);
    /* re-arming an armed timer moves it rather than adding a second firing */
    hk_timer_start(c, &moved.t, 9.0, on_tagged, &moved);
    hk_timer_start(c, &moved.t, 5.0, on_tagged, &moved);
    run_guarded(loop, 10.0);

    assert_int_equal(f.n, 2);
    assert_int_equal(f.order[0], 2);
    assert_int_equal(f.order[1], 5);
    assert_true(fabs(f.at[1] - (t0 + 5.0)) < 1e-6);
    hk_clock_free(c);
    ev_loop_destroy(loop);
}

/* Busy: the clock must run at wall speed. */
typedef struct busy_case {
    hk_clock *clock;
    hk_timer first, second;
    double t0, w0;
    double first_clock, first_wall;
    double second_clock, second_wall;
} busy_case;

static void on_busy_second(hk_timer *t, void *ud)
{
    busy_case *b = ud;
    (void)t;
    b->second_clock = hk_clock_now(b->clock);
    b->second_wall = wall_now();
}

static void on_busy_first(hk_timer *t, void *ud)
{
    busy_case *b = ud;
    (void)t;
    b->first_clock = hk_clock_now(b->clock);
    b->first_wall = wall_now();
    /* the engine finished: idle time is free again */
    hk_clock_set_busy(b->clock, 0);
    hk_timer_start(b->clock, &b->second, 10.0, on_busy_second, b);
}

static void test_virtual_busy_runs_at_wall_speed(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new(0);
    busy_case b = {.clock = hk_clock_new(loop, 1)};
    hk_clock_set_busy(b.clock, 1);
    b.t0 = hk_clock_now(b.clock);
    b.w0 = wall_now();
    hk_timer_start(b.clock, &b.first, 0.2, on_busy_first, &b);
    run_guarded(loop, 10.0);

    assert_true(b.first_wall - b.w0 >= 0.15);
    assert_true(b.first_clock - b.t0 >= 0.2 - 1e-6);
    assert_true(b.first_clock - b.t0 < 1.0);
    assert_true(b.second_clock - b.first_clock >= 10.0 - 1e-6);
    assert_true(b.second_wall - b.first_wall < 0.5);
    hk_clock_free(b.clock);
    ev_loop_destroy(loop);
}

/* Busy is cleared from outside the clock (as the pool does) while a far timer waits. */
typedef struct release {
    hk_clock *clock;
    double clock_at_release;
} release;

static void on_release(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    release *r = w->data;
    r->clock_at_release = hk_clock_now(r->clock);
    hk_clock_set_busy(r->clock, 0);
}

static void test_virtual_jumps_when_busy_clears(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new(0);
    hk_clock *c = hk_clock_new(loop, 1);
    fired f = {.clock = c};
    tagged far = {.id = 1, .log = &f};
    release r = {.clock = c};
    ev_timer engine;
    ev_timer_init(&engine, on_release, 0.1, 0.);
    engine.data = &r;

    double t0 = hk_clock_now(c);
    double w0 = wall_now();
    hk_clock_set_busy(c, 1);
    hk_timer_start(c, &far.t, 10.0, on_tagged, &far);
    ev_timer_start(loop, &engine);
    run_guarded(loop, 20.0);

    /* while busy the clock only moved as fast as the wall */
    assert_true(r.clock_at_release - t0 >= 0.05);
    assert_true(r.clock_at_release - t0 < 2.0);
    assert_int_equal(f.n, 1);
    assert_true(fabs(f.at[0] - (t0 + 10.0)) < 1e-6);
    assert_true(f.wall[0] - w0 < 2.0);
    hk_clock_free(c);
    ev_loop_destroy(loop);
}

static void test_real_mode_is_wall_time(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new(0);
    hk_clock *c = hk_clock_new(loop, 0);
    assert_false(hk_clock_is_virtual(c));
    fired f = {.clock = c};
    tagged a = {.id = 1, .log = &f}, dropped = {.id = 2, .log = &f};
    double t0 = hk_clock_now(c);
    double w0 = wall_now();
    long armed0 = hk_timers_armed();
    hk_timer_start(c, &a.t, 0.05, on_tagged, &a);
    hk_timer_start(c, &dropped.t, 0.01, on_tagged, &dropped);
    assert_int_equal(hk_timers_armed(), armed0 + 2);
    hk_timer_stop(c, &dropped.t);
    hk_timer_stop(c, &dropped.t); /* stopping twice counts once */
    assert_false(dropped.t.armed);
    assert_int_equal(hk_timers_armed(), armed0 + 1);
    run_guarded(loop, 10.0);
    assert_int_equal(hk_timers_armed(), armed0);

    assert_int_equal(f.n, 1);
    assert_int_equal(f.order[0], 1);
    assert_true(f.wall[0] - w0 >= 0.045);
    assert_true(f.at[0] - t0 >= 0.045);
    assert_true(f.wall[0] - w0 < 5.0);
    assert_false(a.t.armed);
    hk_clock_free(c);
    ev_loop_destroy(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_virtual_fires_in_deadline_order),
        cmocka_unit_test(test_virtual_jumps_over_idle_time),
        cmocka_unit_test(test_virtual_rearm_inside_callback),
        cmocka_unit_test(test_virtual_stop_prevents_firing),
        cmocka_unit_test(test_virtual_busy_runs_at_wall_speed),
        cmocka_unit_test(test_virtual_jumps_when_busy_clears),
        cmocka_unit_test(test_real_mode_is_wall_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
