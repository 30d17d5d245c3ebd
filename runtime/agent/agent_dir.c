/* agent/agent_dir: the worker's agent registry: agent files (current
 * versions + inotify hot reload) and cached API assistant versions (read
 * from the store on demand). See agent_dir.h.
 * The inotify fd is non-blocking and read from an ev_io watcher: the loop
 * never waits on the file system beyond reading one small agent file. */
#include "agent/agent_dir.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/log.h"
#include "core/metrics.h"
#include "agent/tool_ids.h"
#include "store/store.h"

#define HK_AGENT_DIR_MAX 256
#define HK_AGENT_API_MAX 64 /* cached API versions (least recently used go first) */

typedef struct api_slot {
    char tenant[37], id[37];
    long long version_ms;
    unsigned long long tools_hash; /* of the model.toolIds documents it was built with (0: none) */
    unsigned long long used; /* d->tick when last asked for */
    hk_agent *agent;         /* NULL: free slot */
} api_slot;

typedef struct slot {
    char *path;
    int versions; /* versions loaded so far (successful) */
    hk_agent *current;
} slot;

struct hk_agent_dir {
    hk_vm *vm;
    struct ev_loop *loop;
    char *dir;
    slot slots[HK_AGENT_DIR_MAX];
    int n;
    int failures;
    int ifd;
    ev_io io;
    api_slot api[HK_AGENT_API_MAX];
    unsigned long long tick;
    int api_versions; /* API versions built so far: hk_agent.version */
};

static int is_agent_file(const char *name) {
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".lua") == 0 && name[0] != '.';
}

static slot *find_slot(hk_agent_dir *d, const char *path) {
    for (int i = 0; i < d->n; i++)
        if (strcmp(d->slots[i].path, path) == 0) return &d->slots[i];
    return NULL;
}

int hk_agent_dir_reload(hk_agent_dir *d, const char *path, char *err, size_t errlen) {
    slot *s = find_slot(d, path);
    if (!s) {
        if (d->n >= HK_AGENT_DIR_MAX) {
            snprintf(err, errlen, "%s: too many agent files (max %d)", path, HK_AGENT_DIR_MAX);
            return -1;
        }
        s = &d->slots[d->n++];
        s->path = strdup(path);
    }
    hk_agent *a = hk_agent_load(d->vm, path, s->versions + 1, err, errlen);
    if (!a) {
        d->failures++;
        hk_metric_inc(HK_M_AGENT_RELOAD_FAILURES);
        hk_log(HK_LOG_ERROR, NULL, "agent_reload_failed", "%s (kept version %d)", err,
               s->current ? s->current->version : 0);
        return -1;
    }
    s->versions++;
    hk_agent *old = s->current;
    s->current = a;
    if (old) hk_agent_unref(old); /* live calls hold their own reference */
    hk_log(HK_LOG_INFO, NULL, "agent_loaded", "%s version %d (%s)", path, a->version, a->name);
    return 0;
}

int hk_agent_dir_remove(hk_agent_dir *d, const char *path) {
    slot *s = find_slot(d, path);
    if (!s || !s->current) return -1;
    hk_agent *old = s->current;
    s->current = NULL; /* the slot stays: a file put back continues the version count */
    hk_log(HK_LOG_INFO, NULL, "agent_unloaded", "%s version %d (file removed)", path, old->version);
    hk_agent_unref(old); /* live calls hold their own reference */
    return 0;
}

static void on_inotify(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop;
    (void)revents;
    hk_agent_dir *d = w->data;
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t len = read(d->ifd, buf, sizeof buf);
        if (len <= 0) break;
        for (char *p = buf; p < buf + len;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            p += sizeof *ev + ev->len;
            if (!ev->len || !is_agent_file(ev->name)) continue;
            char path[PATH_MAX], err[1024];
            snprintf(path, sizeof path, "%s/%s", d->dir, ev->name);
            if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) hk_agent_dir_remove(d, path);
            else if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) hk_agent_dir_reload(d, path, err, sizeof err);
        }
    }
}

hk_agent_dir *hk_agent_dir_open(hk_vm *vm, struct ev_loop *loop, const char *dir) {
    hk_agent_dir *d = calloc(1, sizeof *d);
    d->vm = vm;
    d->loop = loop;
    d->ifd = -1;
    if (!dir) return d; /* API assistants only (hark call --assistant-id) */
    d->dir = strdup(dir);
    snprintf(vm->agents_dir, sizeof vm->agents_dir, "%s", dir);
    DIR *dh = opendir(dir);
    if (!dh) {
        hk_log(HK_LOG_ERROR, NULL, "agent_dir_missing", "%s: %s", dir, strerror(errno));
    } else {
        struct dirent *de;
        char *names[HK_AGENT_DIR_MAX];
        int n = 0;
        while ((de = readdir(dh)) && n < HK_AGENT_DIR_MAX)
            if (is_agent_file(de->d_name)) names[n++] = strdup(de->d_name);
        closedir(dh);
        for (int i = 0; i < n; i++) {
            char path[PATH_MAX], err[1024];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            hk_agent_dir_reload(d, path, err, sizeof err);
            free(names[i]);
        }
    }
    if (loop) {
        d->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (d->ifd >= 0 && inotify_add_watch(d->ifd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM) >= 0) {
            ev_io_init(&d->io, on_inotify, d->ifd, EV_READ);
            d->io.data = d;
            ev_io_start(loop, &d->io);
            ev_unref(loop); /* watching must not keep a finished run alive */
        } else {
            hk_log(HK_LOG_WARN, NULL, "agent_watch_failed", "%s: %s (no hot reload)", dir,
                   strerror(errno));
            if (d->ifd >= 0) close(d->ifd);
            d->ifd = -1;
        }
    }
    return d;
}

void hk_agent_dir_free(hk_agent_dir *d) {
    if (!d) return;
    if (d->ifd >= 0) {
        ev_ref(d->loop);
        ev_io_stop(d->loop, &d->io);
        close(d->ifd);
    }
    for (int i = 0; i < d->n; i++) {
        if (d->slots[i].current) hk_agent_unref(d->slots[i].current);
        free(d->slots[i].path);
    }
    for (int i = 0; i < HK_AGENT_API_MAX; i++)
        if (d->api[i].agent) hk_agent_unref(d->api[i].agent);
    free(d->dir);
    free(d);
}

hk_agent *hk_agent_dir_get(hk_agent_dir *d, const char *key) {
    for (int i = 0; i < d->n; i++) {
        hk_agent *a = d->slots[i].current;
        if (!a) continue;
        /* the id (file stem) or the number; never the display name, which
         * two agents may share and an edit may change */
        if (strcmp(a->id, key) == 0 || (a->phone_number && strcmp(a->phone_number, key) == 0)) {
            hk_agent_ref(a);
            return a;
        }
    }
    return NULL;
}

const hk_agent *hk_agent_dir_at(const hk_agent_dir *d, int i) {
    for (int k = 0; d && k < d->n; k++)
        if (d->slots[k].current && i-- == 0) return d->slots[k].current;
    return NULL;
}

int hk_agent_dir_count(const hk_agent_dir *d) {
    int n = 0;
    for (int i = 0; i < d->n; i++) n += d->slots[i].current != NULL;
    return n;
}

int hk_agent_dir_failures(const hk_agent_dir *d) { return d->failures; }

/* ---- API assistants ---- */

int hk_agent_dir_api_cached(const hk_agent_dir *d) {
    int n = 0;
    for (int i = 0; i < HK_AGENT_API_MAX; i++) n += d->api[i].agent != NULL;
    return n;
}

/* h: the tools' hash, or ANY_TOOLS (a call's pinned version: whatever
 * tools it was built with) */
#define ANY_TOOLS (~0ULL)

static unsigned long long tools_hash(const char *s) {
    unsigned long long h = 1469598103934665603ULL; /* FNV-1a */
    if (!s) return 0;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h == ANY_TOOLS || h == 0 ? 1 : h;
}

static api_slot *api_find(hk_agent_dir *d, const char *tenant, const char *id, long long v,
                          unsigned long long h) {
    for (int i = 0; i < HK_AGENT_API_MAX; i++) {
        api_slot *a = &d->api[i];
        if (a->agent && a->version_ms == v && (h == ANY_TOOLS || a->tools_hash == h) &&
            !strcmp(a->id, id) && !strcmp(a->tenant, tenant)) {
            a->used = ++d->tick;
            return a;
        }
    }
    return NULL;
}

/* Keep a (the registry's own reference): older versions of the same
 * assistant leave the cache (live calls hold theirs), and when full the
 * least recently used version goes. */
static void api_keep(hk_agent_dir *d, const char *tenant, const char *id, long long v,
                     unsigned long long h, hk_agent *a) {
    api_slot *free_slot = NULL, *lru = NULL;
    for (int i = 0; i < HK_AGENT_API_MAX; i++) {
        api_slot *s = &d->api[i];
        if (s->agent && !strcmp(s->id, id) && !strcmp(s->tenant, tenant) &&
            (s->version_ms < v || (s->version_ms == v && s->tools_hash != h))) {
            hk_agent_unref(s->agent);
            s->agent = NULL;
        }
        if (!s->agent && !free_slot) free_slot = s;
        if (s->agent && (!lru || s->used < lru->used)) lru = s;
    }
    api_slot *s = free_slot ? free_slot : lru;
    if (s->agent) hk_agent_unref(s->agent);
    snprintf(s->tenant, sizeof s->tenant, "%s", tenant);
    snprintf(s->id, sizeof s->id, "%s", id);
    s->version_ms = v;
    s->tools_hash = h;
    s->used = ++d->tick;
    s->agent = a;
}

typedef struct api_read {
    hk_agent_dir *d;
    hk_store *store;
    char tenant[37], id[37];
    long long want;
    hk_agent_dir_cb cb;
    void *ud;
} api_read;

static long long doc_version(const cJSON *doc) {
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(doc, "updatedAt");
    double t;
    if (!cJSON_IsString(u) || hk_store_time_parse(u->valuestring, &t) != 0) return 0;
    return llround(t * 1000.0);
}

/* The version of the assistant's metadata.hark.script file (its inode,
 * size and change time, as stat says: a small local call, like reading an
 * agent file), folded into the cache key with the tools' hash so that an
 * edit of the script builds the assistant again at the next call. 0: no
 * script (or it cannot be seen: the build says why). */
static unsigned long long script_version(const hk_agent_dir *d, const cJSON *doc) {
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
    const cJSON *hark = cJSON_GetObjectItemCaseSensitive(meta, "hark");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(hark, "script");
    if (!cJSON_IsString(name) || !d->vm->agents_dir[0] || strchr(name->valuestring, '/')) return 0;
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", d->vm->agents_dir, name->valuestring);
    if (stat(path, &st) != 0) return 0;
    unsigned long long parts[] = {(unsigned long long)st.st_ino, (unsigned long long)st.st_size,
                                  (unsigned long long)st.st_mtim.tv_sec,
                                  (unsigned long long)st.st_mtim.tv_nsec,
                                  (unsigned long long)st.st_ctim.tv_nsec};
    unsigned long long h = 1469598103934665603ULL;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        h = (h ^ parts[i]) * 1099511628211ULL;
    return h;
}

/* Build (or find cached) the agent of doc, version v, with its toolIds
 * documents (tools_json, NULL: none), and answer the request. A build that
 * fails while this version of the document was built before (its script
 * or a tool broke since) keeps the last good build: the call goes on with
 * it and the error is logged. */
static void api_build(api_read *q, const cJSON *doc, long long v, const char *tools_json) {
    hk_agent_dir *d = q->d;
    unsigned long long h = tools_hash(tools_json), sv = script_version(d, doc);
    if (sv) {
        h = (h ^ sv) * 1099511628211ULL;
        if (h == 0 || h == ANY_TOOLS) h = 1;
    }
    api_slot *hit = api_find(d, q->tenant, q->id, v, h);
    hk_agent *a = hit ? hit->agent : NULL;
    char build_err[1024] = "";
    if (!a) {
        char *text = cJSON_PrintUnformatted(doc);
        a = text ? hk_agent_load_json_tools(d->vm, q->id, text, tools_json, d->api_versions + 1,
                                            build_err, sizeof build_err)
                 : NULL;
        free(text);
        if (a) {
            d->api_versions++;
            api_keep(d, q->tenant, q->id, v, h, a);
            hk_log(HK_LOG_INFO, NULL, "assistant_loaded", "%s version %lld (%s)", q->id, v, a->name);
        } else if ((hit = api_find(d, q->tenant, q->id, v, ANY_TOOLS)) != NULL) {
            a = hit->agent;
            hk_log(HK_LOG_ERROR, NULL, "assistant_load_failed", "%s: %s (kept the last good build)",
                   q->id, build_err);
        } else {
            hk_log(HK_LOG_ERROR, NULL, "assistant_load_failed", "%s: %s", q->id, build_err);
        }
    }
    if (a) hk_agent_ref(a);
    q->cb(q->ud, a, a ? v : 0, a ? NULL : build_err);
    free(q);
}

typedef struct api_tools {
    api_read *q;
    cJSON *doc;
    long long v;
} api_tools;

/* model.toolIds read: a tool deleted since the assistant was saved is
 * skipped (the call goes on without it), said once per load */
static void api_tools_read(void *ud, char *tools_json, const cJSON *missing, const char *err) {
    api_tools *t = ud;
    api_read *q = t->q;
    if (err) {
        hk_log(HK_LOG_ERROR, NULL, "assistant_tools_read_failed", "%s: %s", q->id, err);
        q->cb(q->ud, NULL, 0, err);
        free(q);
    } else {
        const cJSON *m;
        cJSON_ArrayForEach(m, missing)
            hk_log(HK_LOG_WARN, NULL, "assistant_tool_missing",
                   "%s: model.toolIds names %s, which is no tool of this organisation (deleted?): "
                   "the call goes on without it", q->id, m->valuestring);
        api_build(q, t->doc, t->v, tools_json);
    }
    free(tools_json);
    cJSON_Delete(t->doc);
    free(t);
}

static void api_doc(void *ud, cJSON *doc, const char *err) {
    api_read *q = ud;
    if (err || !doc) {
        if (err) hk_log(HK_LOG_ERROR, NULL, "assistant_read_failed", "%s: %s", q->id, err);
        q->cb(q->ud, NULL, 0, err);
        cJSON_Delete(doc);
        free(q);
        return;
    }
    long long v = doc_version(doc);
    if (q->want && v != q->want)
        hk_log(HK_LOG_WARN, NULL, "assistant_version_moved",
               "%s: version %lld asked for, the store has %lld (edited meanwhile): using it", q->id,
               q->want, v);
    if (hk_tool_ids_present(doc)) { /* read its tools (each time: a tool may change on its own) */
        api_tools *t = calloc(1, sizeof *t);
        if (!t) abort();
        t->q = q;
        t->doc = doc;
        t->v = v;
        hk_tool_ids_resolve(q->store, q->tenant, doc, api_tools_read, t);
        return;
    }
    api_build(q, doc, v, NULL);
    cJSON_Delete(doc);
}

void hk_agent_dir_get_api(hk_agent_dir *d, hk_store *store, const char *tenant, const char *id,
                          long long version_ms, hk_agent_dir_cb cb, void *ud) {
    if (!store || !tenant || !id || !hk_store_is_uuid(tenant) || !hk_store_is_uuid(id)) {
        cb(ud, NULL, 0, NULL);
        return;
    }
    api_slot *hit = version_ms ? api_find(d, tenant, id, version_ms, ANY_TOOLS) : NULL;
    if (hit) {
        hk_agent_ref(hit->agent);
        cb(ud, hit->agent, version_ms, NULL);
        return;
    }
    api_read *q = calloc(1, sizeof *q);
    if (!q) abort();
    q->d = d;
    q->store = store;
    snprintf(q->tenant, sizeof q->tenant, "%s", tenant);
    snprintf(q->id, sizeof q->id, "%s", id);
    q->want = version_ms;
    q->cb = cb;
    q->ud = ud;
    hk_store_doc_get(store, HK_DOC_ASSISTANT, tenant, id, api_doc, q);
}
