/* agent/agent_dir: the agents/ directory of a worker and its hot reload.
 * Holds the current version of every agent file; an inotify watch on the
 * loop reloads a file when it is written or renamed into place, and unloads
 * it when it is deleted or renamed away. A version that
 * fails to load never replaces a working one (the error is logged); calls in
 * progress keep the version they started with (hk_agent refcount). */
#ifndef HK_AGENT_DIR_H
#define HK_AGENT_DIR_H

#include <ev.h>

#include "agent/agent.h"

typedef struct hk_agent_dir hk_agent_dir;

/* Loads every *.lua in dir (failures are logged and skipped) and, when loop is
 * not NULL, starts watching it. */
hk_agent_dir *hk_agent_dir_open(hk_vm *vm, struct ev_loop *loop, const char *dir);
void hk_agent_dir_free(hk_agent_dir *d);
/* Current version by id (the file stem) or phone number, never by display
 * name; the caller gets a reference (hk_agent_unref when done). NULL when none. */
hk_agent *hk_agent_dir_get(hk_agent_dir *d, const char *key);
/* (Re)load one file now, as the watcher does. Returns 0 when the new version
 * took effect; on failure err says why and the old version stays. */
int hk_agent_dir_reload(hk_agent_dir *d, const char *path, char *err, size_t errlen);
/* The file is gone (deleted or renamed away, as the watcher sees): new calls
 * no longer find its agent; live calls keep their version. -1 if not loaded. */
int hk_agent_dir_remove(hk_agent_dir *d, const char *path);
/* The i-th loaded agent (0 <= i, in load order; NULL past the end), without
 * a reference: use it before returning to the loop (GET /assistant). */
const hk_agent *hk_agent_dir_at(const hk_agent_dir *d, int i);
/* Number of agents loaded. */
int hk_agent_dir_count(const hk_agent_dir *d);
/* Reload attempts that failed since open (for tests and /metrics). */
int hk_agent_dir_failures(const hk_agent_dir *d);

#endif
