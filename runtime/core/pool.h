/* core/pool: a small thread pool for CPU-bound local engines (pocketsphinx,
 * espeak-ng). Work runs on a worker thread; its done() callback runs on the
 * loop thread, handed back with ev_async. Jobs that share a non-NULL lane run
 * one at a time in submission order (one decoder is never used by two threads).
 * The loop thread never waits on a worker. */
#ifndef HK_POOL_H
#define HK_POOL_H

#include <ev.h>

typedef struct hk_job hk_job;
struct hk_job {
    void (*work)(hk_job *job);  /* worker thread: must not touch the loop or Lua */
    void (*done)(hk_job *job);  /* loop thread: may free the job */
    const void *lane;           /* jobs with the same lane are serialised; NULL: any order */
    hk_job *next;               /* pool-private */
};

typedef struct hk_pool hk_pool;

hk_pool *hk_pool_new(struct ev_loop *loop, int nthreads);
/* Stops the workers after the queued jobs finish and joins them; done()
 * callbacks of jobs still queued are called on the caller's thread. */
void hk_pool_free(hk_pool *pool);
/* On the loop thread. The job starts when a worker is free, at the latest
 * once the loop has finished its current turn (the jobs of one turn share a
 * wake-up). */
void hk_pool_submit(hk_pool *pool, hk_job *job);
/* Jobs submitted whose done() has not run yet. */
int hk_pool_in_flight(const hk_pool *pool);
/* Called on the loop thread whenever in_flight changes between 0 and non-zero
 * (the virtual clock uses it to know whether engines are busy). */
void hk_pool_on_busy(hk_pool *pool, void (*cb)(void *ud, int busy), void *ud);

/* The process-wide pool of the current worker (created by hk_pool_global_init). */
hk_pool *hk_pool_global(void);
void hk_pool_global_set(hk_pool *pool);

#endif
