/* cli/serve_supervisor: the first process of `hark serve --workers N`. It
 * forks the workers (each in its own process group, stopped with SIGTERM if
 * the supervisor dies), forwards SIGTERM, SIGINT and SIGHUP to them, starts
 * a worker again when one dies while the node is not draining (at most
 * HK_RESPAWN_MAX times a minute per worker), and keeps the drain record the
 * workers share: whether the whole node drains and which workers are done,
 * so that no worker closes its listener while another still drains. */
#ifndef HK_SERVE_SUPERVISOR_H
#define HK_SERVE_SUPERVISOR_H

#include "core/config.h"

#define HK_MAX_WORKERS 64
#define HK_RESPAWN_MAX 5 /* restarts of one worker within a minute before it stays down */

/* Forks n workers. In the supervisor: returns its exit status once every
 * worker has exited (0 when the last exits were clean). In a worker: returns
 * -1 with cfg holding the worker's own spool path (and the shared stream
 * secret); the caller then serves. */
int hk_supervise(hk_config *cfg, int n);

/* In a worker: this worker has no live call and takes no new one; counted
 * once. A no-op with one worker (no supervisor). */
void hk_supervisor_worker_done(void);

/* In a worker: 1 while the whole node drains and some worker is not done. */
int hk_supervisor_others_busy(void);

#endif
