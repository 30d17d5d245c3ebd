/* cli/serve_supervisor: see serve_supervisor.h. The drain record is one
 * anonymous shared mapping made before the first fork; a worker counts
 * itself out once, and the supervisor counts out a worker that exits
 * without doing so (a crash), so the others never wait on it. */
#include "cli/serve_supervisor.h"

#include <errno.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mkdirs.h"

typedef struct drain_shared {
    atomic_int node_draining; /* the supervisor got SIGTERM or SIGINT */
    atomic_int busy;          /* workers not done */
    atomic_int done[HK_MAX_WORKERS];
} drain_shared;

static drain_shared *g_drain; /* NULL with one worker */
static int g_index;           /* this worker's index (in a worker) */
static pid_t g_workers[HK_MAX_WORKERS];
static int g_nworkers;

static void count_out(int index) {
    if (g_drain && atomic_exchange(&g_drain->done[index], 1) == 0)
        atomic_fetch_sub(&g_drain->busy, 1);
}

static void count_in(int index) {
    if (g_drain && atomic_exchange(&g_drain->done[index], 0) == 1)
        atomic_fetch_add(&g_drain->busy, 1);
}

void hk_supervisor_worker_done(void) { count_out(g_index); }

int hk_supervisor_others_busy(void) {
    return g_drain && atomic_load(&g_drain->node_draining) && atomic_load(&g_drain->busy) > 0;
}

static void forward_signal(int sig) {
    if (g_drain && (sig == SIGTERM || sig == SIGINT)) atomic_store(&g_drain->node_draining, 1);
    for (int i = 0; i < g_nworkers; i++)
        if (g_workers[i] > 0) kill(g_workers[i], sig);
}

/* Forks worker i: its pid in the supervisor, 0 in the worker (set up to
 * serve), -1 when fork fails. */
static pid_t spawn(hk_config *cfg, const char *base, int i, pid_t supervisor) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    /* a worker hears signals from its supervisor only: Ctrl-C at a terminal
     * signals the foreground process group, and a worker in it would get the
     * supervisor's forwarded copy as a second signal ("stop now"); and a
     * supervisor that dies (SIGKILL) leaves no orphan serving on: its workers
     * get SIGTERM and drain */
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != supervisor) raise(SIGTERM); /* it died before the prctl */
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    g_nworkers = 0; /* the supervisor's list is not this process's */
    sigset_t set;
    sigemptyset(&set);
    sigprocmask(SIG_SETMASK, &set, NULL); /* the supervisor blocked them around the fork */
    char path[460];
    snprintf(path, sizeof path, "%s-%d.jsonl", base, i);
    if (hk_config_set(cfg, HK_CFG_HARK_SPOOL_PATH, path) != 0) _exit(1);
    g_index = i;
    return 0;
}

int hk_supervise(hk_config *cfg, int n) {
    /* what must agree across workers goes into cfg before the forks: the
     * stream secret (a webhook answered by one worker gives a token another
     * verifies) and a spool file each (replayed by the same index next run);
     * the environment is never written */
    const char *secret = hk_config_str(cfg, HK_CFG_HARK_STREAM_SECRET);
    if (!secret || !*secret) {
        unsigned char r[32];
        char hex[65];
        if (RAND_bytes(r, sizeof r) != 1) return 1;
        for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", r[i]);
        if (hk_config_set(cfg, HK_CFG_HARK_STREAM_SECRET, hex) != 0) return 1;
    }
    const char *spool = hk_config_str(cfg, HK_CFG_HARK_SPOOL_PATH);
    char base[400];
    snprintf(base, sizeof base, "%s", spool && *spool ? spool : "var/store-spool");
    if (hk_mkdirs_parent(base) != 0) {
        fprintf(stderr, "hark serve: the directory of %s: %s (set HARK_SPOOL_PATH)\n", base, strerror(errno));
        return 1;
    }
    g_drain = mmap(NULL, sizeof *g_drain, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (g_drain == MAP_FAILED) {
        perror("hark serve: mmap");
        g_drain = NULL;
        return 1;
    }
    atomic_init(&g_drain->node_draining, 0);
    atomic_init(&g_drain->busy, n);
    for (int i = 0; i < HK_MAX_WORKERS; i++) atomic_init(&g_drain->done[i], i >= n);
    /* signals are forwarded from before the first fork, and held while a
     * worker is forked: one that comes meanwhile reaches every worker, once */
    sigset_t forwarded, none;
    sigemptyset(&forwarded);
    sigemptyset(&none);
    sigaddset(&forwarded, SIGTERM);
    sigaddset(&forwarded, SIGINT);
    sigaddset(&forwarded, SIGHUP);
    sigprocmask(SIG_BLOCK, &forwarded, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    pid_t supervisor = getpid();
    for (int i = 0; i < n; i++) {
        pid_t pid = spawn(cfg, base, i, supervisor);
        if (pid == 0) return -1; /* the worker serves */
        if (pid < 0) {
            perror("hark serve: fork");
            for (int k = i; k < n; k++) count_out(k);
            forward_signal(SIGTERM);
            break;
        }
        g_workers[g_nworkers++] = pid;
    }
    sigprocmask(SIG_SETMASK, &none, NULL);
    time_t restarts[HK_MAX_WORKERS][HK_RESPAWN_MAX];
    memset(restarts, 0, sizeof restarts);
    int rc = 0, left = g_nworkers;
    while (left > 0) {
        int st;
        pid_t p = waitpid(-1, &st, 0);
        if (p < 0) {
            if (errno == EINTR) continue;
            break;
        }
        int i = 0;
        while (i < g_nworkers && g_workers[i] != p) i++;
        if (i == g_nworkers) continue; /* not a worker */
        int clean = WIFEXITED(st) && WEXITSTATUS(st) == 0;
        g_workers[i] = 0;
        left--;
        count_out(i);
        if (clean || atomic_load(&g_drain->node_draining)) {
            if (!clean) rc = 1;
            continue;
        }
        /* a worker died on its own (a crash): its calls are lost, its port
         * share is not; start it again unless it keeps dying */
        time_t now = time(NULL);
        int recent = 0;
        for (int k = 0; k < HK_RESPAWN_MAX; k++) recent += restarts[i][k] && now - restarts[i][k] < 60;
        char why[48];
        if (WIFSIGNALED(st)) snprintf(why, sizeof why, "signal %d", WTERMSIG(st));
        else snprintf(why, sizeof why, "exit status %d", WEXITSTATUS(st));
        if (recent >= HK_RESPAWN_MAX) {
            hk_log(HK_LOG_ERROR, NULL, "worker_down", "worker %d (pid %d) died (%s) %d times within a minute: "
                   "not restarted", i, (int)p, why, recent + 1);
            rc = 1;
            continue;
        }
        memmove(restarts[i] + 1, restarts[i], (HK_RESPAWN_MAX - 1) * sizeof restarts[i][0]);
        restarts[i][0] = now;
        sigprocmask(SIG_BLOCK, &forwarded, NULL);
        count_in(i);
        pid_t np = spawn(cfg, base, i, supervisor);
        if (np == 0) return -1; /* the new worker serves */
        if (np > 0) g_workers[i] = np;
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (np < 0) {
            count_out(i);
            rc = 1;
            hk_log(HK_LOG_ERROR, NULL, "worker_down", "worker %d died (%s); fork failed: %s", i, why,
                   strerror(errno));
            continue;
        }
        left++;
        hk_log(HK_LOG_WARN, NULL, "worker_restarted", "worker %d (pid %d) died (%s): started again as pid %d",
               i, (int)p, why, (int)np);
    }
    return rc;
}
