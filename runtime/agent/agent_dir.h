/* agent/agent_dir: the worker's agent registry: the agents/ directory and its
 * hot reload, and the API assistants calls need (store documents, kind
 * HK_DOC_ASSISTANT, built with hk_agent_load_json and cached by (tenant, id,
 * version), the version being the document's updatedAt in ms: a PATCH makes
 * the next call load the new version, live calls keep theirs; an edit of
 * its model.toolIds documents or of its metadata.hark.script file does too,
 * and when that rebuild fails the last good build of the version serves).
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
 * not NULL, starts watching it. dir NULL: no files, API assistants only. */
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

struct hk_store;
/* a: a reference for the caller (hk_agent_unref when done), NULL when the
 * assistant does not exist (err NULL) or cannot be read or built (err says
 * why); version_ms: the version a is (the document's updatedAt, ms). */
typedef void (*hk_agent_dir_cb)(void *ud, hk_agent *a, long long version_ms, const char *err);
/* The agent of tenant's assistant id, its document read from store (NULL:
 * none, every API lookup answers "not found"). version_ms 0: the current version (the
 * document is read again, so an edit on any worker or node is seen);
 * otherwise that version, from the cache, or read again when this worker
 * does not have it (if the document moved on since, the current version
 * answers and a warning says so: the store keeps no old versions). May
 * answer before it returns (memory store, cache hit). */
void hk_agent_dir_get_api(hk_agent_dir *d, struct hk_store *store, const char *tenant, const char *id, long long version_ms,
                          hk_agent_dir_cb cb, void *ud);
/* API versions cached now (tests). */
int hk_agent_dir_api_cached(const hk_agent_dir *d);

#endif
