/* core/pool: worker threads + ev_async completion. See pool.h.
 * Queue discipline: a worker takes the first queued job whose lane is not
 * already running; finished jobs go to a done list drained on the loop.
 * Wake-ups: jobs submitted during one turn of the loop wake one idle worker
 * once, just before the loop polls again (a worker at 1,000 calls submits
 * thousands of recorder chunks a second: one wake-up per turn, not per job);
 * a worker that finds more queued than it takes wakes one more; a job its
 * lane held back is picked up by the lane's worker when it finishes. */
#include "core/pool.h"

#include <pthread.h>
#include <stdlib.h>

#define HK_POOL_MAX_THREADS 16

struct hk_pool {
    struct ev_loop *loop;
    ev_async async;
    ev_prepare wake;                     /* wakes a worker once per loop turn */
    int wake_owed;                       /* loop thread: jobs submitted this turn */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t threads[HK_POOL_MAX_THREADS];
    int nthreads;
    int idle;                            /* workers waiting on cv */
    int stopping;
    hk_job *queue;                       /* waiting, FIFO */
    hk_job **queue_end;                  /* the last job's next (or &queue): O(1) submit */
    hk_job *done_head, *done_tail;       /* finished, FIFO, drained on the loop */
    const void *running[HK_POOL_MAX_THREADS]; /* lanes in progress */
    int in_flight;                       /* loop-thread view */
    int refd;                            /* holding a loop reference while busy */
    void (*busy_cb)(void *, int);
    void *busy_ud;
};

static hk_pool *g_pool;
hk_pool *hk_pool_global(void) { return g_pool; }
void hk_pool_global_set(hk_pool *pool) { g_pool = pool; }

static int lane_running(hk_pool *p, const void *lane) {
    if (!lane) return 0;
    for (int i = 0; i < p->nthreads; i++)
        if (p->running[i] == lane) return 1;
    return 0;
}

static hk_job *take_job(hk_pool *p) {
    hk_job **pp = &p->queue;
    while (*pp) {
        if (!lane_running(p, (*pp)->lane)) {
            hk_job *j = *pp;
            *pp = j->next;
            if (p->queue_end == &j->next) p->queue_end = pp; /* took the last one */
            j->next = NULL;
            return j;
        }
        pp = &(*pp)->next;
    }
    return NULL;
}

struct worker_arg {
    hk_pool *pool;
    int idx;
};

static void *worker_main(void *arg) {
    hk_pool *p = ((struct worker_arg *)arg)->pool;
    int idx = ((struct worker_arg *)arg)->idx;
    free(arg);
    pthread_mutex_lock(&p->mu);
    for (;;) {
        hk_job *j = take_job(p);
        if (!j) {
            if (p->stopping) break;
            p->idle++;
            pthread_cond_wait(&p->cv, &p->mu);
            p->idle--;
            continue;
        }
        /* more queued than this worker takes: wake one more (never all) */
        if (p->queue && p->idle > 0) pthread_cond_signal(&p->cv);
        p->running[idx] = j->lane;
        pthread_mutex_unlock(&p->mu);
        j->work(j);
        pthread_mutex_lock(&p->mu);
        p->running[idx] = NULL;
        if (p->done_tail) p->done_tail->next = j;
        else p->done_head = j;
        p->done_tail = j;
        ev_async_send(p->loop, &p->async);
        /* No wake-up here: a job this lane held back is taken by this worker
         * itself on its next turn. Waking every idle worker after each job
         * (as this did) cost two context switches per job for nothing. */
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void drain_done(hk_pool *p) {
    pthread_mutex_lock(&p->mu);
    hk_job *j = p->done_head;
    p->done_head = p->done_tail = NULL;
    pthread_mutex_unlock(&p->mu);
    while (j) {
        hk_job *next = j->next;
        p->in_flight--;
        j->done(j); /* may free j */
        j = next;
    }
    if (p->in_flight == 0 && p->refd) {
        p->refd = 0;
        ev_unref(p->loop);
        if (p->busy_cb) p->busy_cb(p->busy_ud, 0);
    }
}

static void on_prepare(struct ev_loop *loop, ev_prepare *w, int revents) {
    (void)loop;
    (void)revents;
    hk_pool *p = w->data;
    if (!p->wake_owed) return;
    p->wake_owed = 0;
    pthread_mutex_lock(&p->mu);
    if (p->queue && p->idle > 0) pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static void on_async(struct ev_loop *loop, ev_async *w, int revents) {
    (void)loop;
    (void)revents;
    drain_done((hk_pool *)w->data);
}

hk_pool *hk_pool_new(struct ev_loop *loop, int nthreads) {
    if (nthreads < 1) nthreads = 1;
    if (nthreads > HK_POOL_MAX_THREADS) nthreads = HK_POOL_MAX_THREADS;
    hk_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->loop = loop;
    p->queue_end = &p->queue;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    ev_async_init(&p->async, on_async);
    p->async.data = p;
    ev_async_start(loop, &p->async);
    ev_unref(loop); /* an idle pool must not keep ev_run alive */
    ev_prepare_init(&p->wake, on_prepare);
    p->wake.data = p;
    ev_prepare_start(loop, &p->wake);
    ev_unref(loop);
    for (int i = 0; i < nthreads; i++) {
        struct worker_arg *a = malloc(sizeof *a);
        a->pool = p;
        a->idx = i;
        if (pthread_create(&p->threads[i], NULL, worker_main, a) != 0) {
            free(a);
            break;
        }
        p->nthreads++;
    }
    return p;
}

void hk_pool_free(hk_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++) pthread_join(p->threads[i], NULL);
    p->busy_cb = NULL;
    drain_done(p);
    /* the loop reference was dropped in _new; restore it before stopping the watcher */
    ev_ref(p->loop);
    ev_async_stop(p->loop, &p->async);
    ev_ref(p->loop);
    ev_prepare_stop(p->loop, &p->wake);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    if (g_pool == p) g_pool = NULL;
    free(p);
}

void hk_pool_submit(hk_pool *p, hk_job *job) {
    job->next = NULL;
    p->in_flight++;
    if (!p->refd) {
        /* while jobs are in flight the loop must stay alive to receive them */
        p->refd = 1;
        ev_ref(p->loop);
        if (p->busy_cb) p->busy_cb(p->busy_ud, 1);
    }
    pthread_mutex_lock(&p->mu);
    job->next = NULL;
    *p->queue_end = job;
    p->queue_end = &job->next;
    pthread_mutex_unlock(&p->mu);
    p->wake_owed = 1; /* on_prepare wakes a worker before the loop polls */
}

int hk_pool_in_flight(const hk_pool *p) { return p->in_flight; }

void hk_pool_on_busy(hk_pool *p, void (*cb)(void *, int), void *ud) {
    p->busy_cb = cb;
    p->busy_ud = ud;
}
