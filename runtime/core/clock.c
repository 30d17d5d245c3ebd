/* core/clock: real and virtual call time, one sorted timer list. See clock.h. */
#include "core/clock.h"

#include <stdlib.h>

struct hk_clock {
    struct ev_loop *loop;
    int virtual_time;
    int busy;
    int holds;       /* network work in flight (hk_clock_hold) */
    double offset;   /* clock time = ev_now + offset (0 in real mode) */
    hk_timer *timers; /* sorted by at, earliest first */
    ev_timer wake;   /* fires the earliest timer in real time */
    ev_idle jump;    /* virtual mode, not busy: skip ahead */
    int firing;
};

static void rearm(hk_clock *c);

/* timers armed in this process, every clock (the hark_timers_armed gauge) */
static long g_armed;
long hk_timers_armed(void) { return g_armed; }

double hk_clock_now(const hk_clock *c) { return ev_now(c->loop) + c->offset; }
int hk_clock_is_virtual(const hk_clock *c) { return c->virtual_time; }

static void fire_due(hk_clock *c) {
    if (c->firing) return;
    c->firing = 1;
    for (;;) {
        hk_timer *t = c->timers;
        if (!t || t->at > hk_clock_now(c) + 1e-9) break;
        c->timers = t->next;
        t->next = NULL;
        t->armed = 0;
        g_armed--;
        t->cb(t, t->ud);
    }
    c->firing = 0;
    rearm(c);
}

static void on_wake(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)revents;
    fire_due((hk_clock *)w->data);
}

static void on_jump(struct ev_loop *loop, ev_idle *w, int revents) {
    (void)loop;
    (void)revents;
    hk_clock *c = w->data;
    if (c->timers && !c->busy && !c->holds) {
        double now = hk_clock_now(c);
        if (c->timers->at > now) c->offset += c->timers->at - now;
    }
    fire_due(c);
}

static void rearm(hk_clock *c) {
    ev_timer_stop(c->loop, &c->wake);
    ev_idle_stop(c->loop, &c->jump);
    if (!c->timers || c->firing) return;
    if (c->virtual_time && !c->busy && !c->holds) {
        ev_idle_start(c->loop, &c->jump);
        return;
    }
    double delay = c->timers->at - hk_clock_now(c);
    if (delay < 0) delay = 0;
    ev_timer_set(&c->wake, delay, 0.);
    ev_timer_start(c->loop, &c->wake);
}

hk_clock *hk_clock_new(struct ev_loop *loop, int virtual_time) {
    hk_clock *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->loop = loop;
    c->virtual_time = virtual_time;
    ev_timer_init(&c->wake, on_wake, 0., 0.);
    c->wake.data = c;
    ev_idle_init(&c->jump, on_jump);
    c->jump.data = c;
    return c;
}

void hk_clock_free(hk_clock *c) {
    if (!c) return;
    ev_timer_stop(c->loop, &c->wake);
    ev_idle_stop(c->loop, &c->jump);
    free(c);
}

static void on_real_timer(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)revents;
    hk_timer *t = w->data;
    t->armed = 0;
    g_armed--;
    t->cb(t, t->ud);
}

void hk_timer_stop(hk_clock *c, hk_timer *t) {
    if (!t->armed) return;
    if (!c->virtual_time) {
        ev_timer_stop(c->loop, &t->w);
        t->armed = 0;
        g_armed--;
        return;
    }
    for (hk_timer **pp = &c->timers; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    t->next = NULL;
    t->armed = 0;
    g_armed--;
    rearm(c);
}

void hk_timer_start(hk_clock *c, hk_timer *t, double delay, void (*cb)(hk_timer *, void *),
                    void *ud) {
    if (t->armed) hk_timer_stop(c, t);
    if (delay < 0) delay = 0;
    /* Real time: libev counts from ev_now, the start of this loop iteration;
     * after blocking work (agent Lua, a handshake) that is stale and the
     * timer would fire early by that much. Virtual time jumps anyway. */
    if (!c->virtual_time) ev_now_update(c->loop);
    t->at = hk_clock_now(c) + delay;
    t->cb = cb;
    t->ud = ud;
    t->armed = 1;
    g_armed++;
    t->clock = c;
    if (!c->virtual_time) {
        ev_timer_init(&t->w, on_real_timer, delay, 0.);
        t->w.data = t;
        ev_timer_start(c->loop, &t->w);
        return;
    }
    hk_timer **pp = &c->timers;
    while (*pp && (*pp)->at <= t->at) pp = &(*pp)->next; /* FIFO among equal times */
    t->next = *pp;
    *pp = t;
    rearm(c);
}

void hk_clock_set_busy(hk_clock *c, int busy) {
    c->busy = busy;
    rearm(c);
}

int hk_clock_make_real(hk_clock *c) {
    if (c->timers) return -1;
    c->virtual_time = 0;
    c->offset = 0;
    return 0;
}

void hk_clock_hold(hk_clock *c, int delta) {
    c->holds += delta;
    if (c->holds < 0) c->holds = 0;
    rearm(c);
}
