/* bench/bench_pacing: what pacing 2,000 calls costs the loop, one libev timer
 * per call (hark's way: core/clock's hk_timer on an ev_timer, re-armed from
 * its own callback on an absolute schedule), one repeating ev_timer per call
 * (libev keeps the absolute schedule itself), and one shared 20 ms tick per
 * worker walking every call. Each fire touches a call-sized struct (cold, as
 * in a worker with thousands of calls). Prints loop CPU per call per second.
 * Numbers, not pass/fail. */
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CALLS 2000
#define SECONDS 3.0
#define FRAME 0.020

typedef struct call {
    ev_timer w;
    double next;
    unsigned long frames;
    char state[4096]; /* stands for the rest of a call: makes each fire touch cold memory */
} call;

static call *calls;
static unsigned long fires;

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void frame_work(call *c) {
    c->frames++;
    c->state[(c->frames * 64) % sizeof c->state]++;
    fires++;
}

static void on_call(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)revents;
    call *c = w->data;
    frame_work(c);
    c->next += FRAME;
    double d = c->next - ev_now(loop);
    ev_timer_set(w, d > 0 ? d : 0, 0.);
    ev_timer_start(loop, w);
}

static void on_repeat(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)revents;
    frame_work(w->data);
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)w;
    (void)revents;
    for (int i = 0; i < CALLS; i++) frame_work(&calls[i]);
}

static void on_stop(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)w;
    (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

/* mode 0: one-shot timer per call re-armed from its callback; 1: one shared
 * tick; 2: one repeating timer per call (libev keeps its absolute schedule) */
static double run(int mode) {
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    /* a loaded worker runs many due timers per loop iteration: without this
     * each fire here would be its own epoll_wait, which is not what the
     * comparison is about */
    ev_set_timeout_collect_interval(loop, 0.001);
    memset(calls, 0, sizeof(call) * CALLS);
    fires = 0;
    ev_timer tick, stop;
    ev_now_update(loop);
    if (mode == 1) {
        ev_timer_init(&tick, on_tick, FRAME, FRAME);
        ev_timer_start(loop, &tick);
    } else {
        for (int i = 0; i < CALLS; i++) { /* phases spread over the frame, as calls start at random */
            calls[i].w.data = &calls[i];
            calls[i].next = ev_now(loop) + FRAME * i / CALLS;
            if (mode == 2) ev_timer_init(&calls[i].w, on_repeat, FRAME * i / CALLS, FRAME);
            else ev_timer_init(&calls[i].w, on_call, FRAME * i / CALLS, 0.);
            ev_timer_start(loop, &calls[i].w);
        }
    }
    ev_timer_init(&stop, on_stop, SECONDS, 0.);
    ev_timer_start(loop, &stop);
    double c0 = cpu_now();
    ev_run(loop, 0);
    double cpu = cpu_now() - c0;
    ev_loop_destroy(loop);
    return fires ? cpu / (double)fires * 1e9 : 0;
}

int main(void) {
    calls = calloc(CALLS, sizeof *calls);
    if (!calls) return 1;
    double per_call = run(0), shared = run(1), repeat = run(2);
    printf("pacing %d calls at 20 ms: per-call one-shot timers %.0f ns per frame (%.2f%% of a core), "
           "per-call repeating timers %.0f ns (%.2f%%), shared tick %.0f ns (%.2f%%)\n",
           CALLS, per_call, per_call * CALLS * 50 / 1e7, repeat, repeat * CALLS * 50 / 1e7, shared,
           shared * CALLS * 50 / 1e7);
    free(calls);
    return 0;
}
