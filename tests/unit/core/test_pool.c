/* tests/unit/core/test_pool: work runs on workers and done() back on the loop;
 * a lane is one job at a time in submission order while lanes overlap; the busy
 * signal, in-flight count and loop lifetime the virtual clock relies on; and
 * hk_pool_free finishing what was queued.
 * Workers never call cmocka (it longjmps): they record, the main thread asserts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/pool.h"
#include "../guarded_run.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* One lane's bookkeeping, shared by its jobs across threads. */
typedef struct lane {
    atomic_int active;     /* jobs of this lane running right now */
    atomic_int next;       /* index the next job to start must have */
    atomic_int violations; /* overlap or out-of-order starts */
} lane;

typedef struct job {
    hk_job base; /* first, so done() can cast back */
    pthread_t worker;
    pthread_t done_thread;
    int worked;
    int done_calls;
    int work_ms; /* how long work() sleeps */
    int index; /* position within its lane */
    lane *ln;
    hk_pool *pool;
    int in_flight_at_done;
    double finished;
} job;

static void job_work(hk_job *j)
{
    job *jb = (job *)j;
    jb->worker = pthread_self();
    if (jb->ln) {
        if (atomic_fetch_add(&jb->ln->active, 1) != 0) atomic_fetch_add(&jb->ln->violations, 1);
        if (atomic_fetch_add(&jb->ln->next, 1) != jb->index)
            atomic_fetch_add(&jb->ln->violations, 1);
    }
    if (jb->work_ms) sleep_ms(jb->work_ms);
    jb->worked = 1;
    if (jb->ln) atomic_fetch_sub(&jb->ln->active, 1);
}

static void job_done(hk_job *j)
{
    job *jb = (job *)j;
    jb->done_thread = pthread_self();
    jb->done_calls++;
    jb->finished = wall_now();
    if (jb->pool) jb->in_flight_at_done = hk_pool_in_flight(jb->pool);
}

static void job_init(job *jb, const void *lane_key, int ms)
{
    jb->base.work = job_work;
    jb->base.done = job_done;
    jb->base.lane = lane_key;
    jb->work_ms = ms;
}

static void test_work_off_loop_done_on_loop(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new(0);
    hk_pool *p = hk_pool_new(loop, 4);
    job jobs[8] = {0};
    for (int i = 0; i < 8; i++) {
        job_init(&jobs[i], NULL, 1);
        hk_pool_submit(p, &jobs[i].base);
    }
    run_guarded(loop, 10.0);

    pthread_t self = pthread_self();
    for (int i = 0; i < 8; i++) {
        assert_int_equal(jobs[i].worked, 1);
        assert_int_equal(jobs[i].done_calls, 1);
        assert_false(pthread_equal(jobs[i].worker, self));
        assert_true(pthread_equal(jobs[i].done_thread, self));
    }
    hk_pool_free(p);
    ev_loop_destroy(loop);
}

static void test_lane_is_serial_and_ordered(void **state)
{
    (void)state;
    enum { NLANES = 3, NJOBS = 36 };
    struct ev_loop *loop = ev_loop_new(0);
    hk_pool *p = hk_pool_new(loop, 4);
    lane lanes[NLANES];
    for (int l = 0; l < NLANES; l++) {
        atomic_init(&lanes[l].active, 0);
        atomic_init(&lanes[l].next, 0);
        atomic_init(&lanes[l].violations, 0);
    }
    job jobs[NJOBS] = {0};
    int count[NLANES] = {0};
    /* lanes interleaved irregularly, so workers often have to skip a busy lane */
    for (int i = 0; i < NJOBS; i++) {
        int l = (i * i + i / 2) % NLANES;
        job_init(&jobs[i], &lanes[l], 1 + i % 3);
        jobs[i].ln = &lanes[l];
        jobs[i].index = count[l]++;
        hk_pool_submit(p, &jobs[i].base);
    }
    run_guarded(loop, 20.0);

    for (int l = 0; l < NLANES; l++) {
        assert_true(count[l] > 0);
        assert_int_equal(atomic_load(&lanes[l].violations), 0);
        assert_int_equal(atomic_load(&lanes[l].next), count[l]);
    }
    for (int i = 0; i < NJOBS; i++) assert_int_equal(jobs[i].done_calls, 1);
    hk_pool_free(p);
    ev_loop_destroy(loop);
}

static double run_pair(const void *lane_a, const void *lane_b)
{
    struct ev_loop *loop = ev_loop_new(0);
    hk_pool *p = hk_pool_new(loop, 2);
    job a = {0}, b = {0};
    job_init(&a, lane_a, 100);
    job_init(&b, lane_b, 100);
    double w0 = wall_now();
    hk_pool_submit(p, &a.base);
    hk_pool_submit(p, &b.base);
    run_guarded(loop, 10.0);
    double wall = wall_now() - w0;
    assert_int_equal(a.done_calls, 1);
    assert_int_equal(b.done_calls, 1);
    hk_pool_free(p);
    ev_loop_destroy(loop);
    return wall;
}

static void test_lanes_overlap(void **state)
{
    (void)state;
    static int x, y; /* only their addresses matter: two distinct lanes */
    assert_true(run_pair(&x, &y) < 0.18);
    assert_true(run_pair(NULL, NULL) < 0.18);
    /* the same lane cannot overlap even with a thread to spare */
    assert_true(run_pair(&x, &x) >= 0.19);
}

static int g_busy_log[8];
static int g_busy_n;
static pthread_t g_busy_thread;

static void on_busy(void *ud, int busy)
{
    (void)ud;
    g_busy_thread = pthread_self();
    if (g_busy_n < 8) g_busy_log[g_busy_n] = busy;
    g_busy_n++;
}

/* done() hands the work on, as a decoder finishing one chunk starts the next. */
typedef struct chained {
    job j;
    job *then;
} chained;

static void chained_done(hk_job *hj)
{
    chained *c = (chained *)hj;
    job_done(hj);
    if (c->then) hk_pool_submit(c->j.pool, &c->then->base);
}

static void test_busy_signal_and_in_flight(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new(0);
    hk_pool *p = hk_pool_new(loop, 2);
    g_busy_n = 0;
    hk_pool_on_busy(p, on_busy, NULL);
    assert_int_equal(hk_pool_in_flight(p), 0);

    job a = {0}, b = {0}, tail = {0};
    chained head = {0};
    int key;
    job_init(&a, &key, 5);
    job_init(&b, &key, 5);
    job_init(&head.j, &key, 5);
    head.j.base.done = chained_done;
    head.then = &tail;
    job_init(&tail, NULL, 5);
    a.pool = b.pool = head.j.pool = tail.pool = p;

    hk_pool_submit(p, &a.base);
    assert_int_equal(g_busy_n, 1);
    assert_int_equal(g_busy_log[0], 1);
    assert_true(pthread_equal(g_busy_thread, pthread_self()));
    hk_pool_submit(p, &b.base);
    hk_pool_submit(p, &head.j.base);
    assert_int_equal(g_busy_n, 1); /* only the edge from idle is reported */
    assert_int_equal(hk_pool_in_flight(p), 3);
    run_guarded(loop, 10.0);

    /* one lane: a, b, head finish in order; tail is submitted from head's done() */
    assert_int_equal(a.in_flight_at_done, 2);
    assert_int_equal(b.in_flight_at_done, 1);
    assert_int_equal(head.j.in_flight_at_done, 0);
    assert_int_equal(tail.in_flight_at_done, 0);
    assert_int_equal(tail.done_calls, 1);
    assert_int_equal(hk_pool_in_flight(p), 0);
    /* the chained job kept the pool busy: no 0 then 1 flicker in between */
    assert_int_equal(g_busy_n, 2);
    assert_int_equal(g_busy_log[1], 0);
    assert_true(pthread_equal(g_busy_thread, pthread_self()));

    /* a second round reports the edges again */
    job c = {0};
    job_init(&c, NULL, 1);
    hk_pool_submit(p, &c.base);
    run_guarded(loop, 10.0);
    assert_int_equal(g_busy_n, 4);
    assert_int_equal(g_busy_log[2], 1);
    assert_int_equal(g_busy_log[3], 0);
    hk_pool_free(p);
    ev_loop_destroy(loop);
}

static void test_idle_pool_does_not_hold_loop(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new(0);
    hk_pool *p = hk_pool_new(loop, 2);
    double w0 = wall_now();
    run_guarded(loop, 5.0); /* nothing submitted: returns at once */
    assert_true(wall_now() - w0 < 1.0);

    job a = {0};
    job_init(&a, NULL, 50);
    hk_pool_submit(p, &a.base);
    run_guarded(loop, 5.0); /* returns exactly when the last done() has run */
    assert_int_equal(a.done_calls, 1);
    assert_int_equal(hk_pool_in_flight(p), 0);

    w0 = wall_now();
    run_guarded(loop, 5.0);
    assert_true(wall_now() - w0 < 1.0);
    hk_pool_free(p);
    ev_loop_destroy(loop);
}

static void test_free_finishes_queued_jobs(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new(0);
    hk_pool *p = hk_pool_new(loop, 1);
    hk_pool_global_set(p);
    assert_ptr_equal(hk_pool_global(), p);
    g_busy_n = 0;
    hk_pool_on_busy(p, on_busy, NULL);
    job jobs[5] = {0};
    int key;
    for (int i = 0; i < 5; i++) {
        job_init(&jobs[i], i % 2 ? &key : NULL, 10);
        hk_pool_submit(p, &jobs[i].base);
    }
    assert_int_equal(g_busy_n, 1);
    hk_pool_free(p); /* the loop never ran */

    for (int i = 0; i < 5; i++) {
        assert_int_equal(jobs[i].worked, 1);
        assert_int_equal(jobs[i].done_calls, 1);
        assert_true(pthread_equal(jobs[i].done_thread, pthread_self()));
    }
    assert_int_equal(g_busy_n, 1); /* nobody is listening any more */
    assert_null(hk_pool_global());
    /* the pool gave back every loop reference it took */
    double w0 = wall_now();
    run_guarded(loop, 5.0);
    assert_true(wall_now() - w0 < 1.0);
    ev_loop_destroy(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_work_off_loop_done_on_loop),
        cmocka_unit_test(test_lane_is_serial_and_ordered),
        cmocka_unit_test(test_lanes_overlap),
        cmocka_unit_test(test_busy_signal_and_in_flight),
        cmocka_unit_test(test_idle_pool_does_not_hold_loop),
        cmocka_unit_test(test_free_finishes_queued_jobs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
