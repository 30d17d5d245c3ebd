/* bench/bench_tcp_floor: what the kernel alone costs a worker core for N
 * Media Streams calls over loopback TCP, with no WebSocket, JSON, audio or
 * call logic at all. A "server" thread pinned to core 0 receives one
 * 380-byte message per connection every 20 ms (a Twilio inbound media
 * message) and sends one 300-byte message per connection every 20 ms (hark's
 * outbound media) plus one 80-byte message every 200 ms (a mark), each
 * connection on its own timer, as hark does; a "carrier" thread pinned to
 * core 1 does the mirror image. Prints the server thread's CPU (user + system,
 * which includes the loopback receive work its sends trigger) as % of a core:
 * the floor under any Media Streams server on this machine. Numbers, not
 * pass/fail. usage: bench_tcp_floor [N ...] (default 1000 2000). */
#include <errno.h>
#include <fcntl.h>
#include <ev.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SECONDS 8.0
#define WARMUP 2.0

typedef struct conn {
    ev_io rd;
    ev_timer tick;
    int fd, n;
    size_t msg;
    int mark_every;
} conn;

typedef struct side {
    int core;
    int n;
    int *fds;
    size_t msg;
    int mark_every;
    double cpu_pct;
} side;

static double thread_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_read(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop;
    (void)revents;
    char buf[8192];
    while (recv(w->fd, buf, sizeof buf, 0) > 0) {
    }
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)revents;
    conn *c = w->data;
    static const char payload[512];
    if (send(c->fd, payload, c->msg, MSG_NOSIGNAL) < 0 && errno != EAGAIN) ev_timer_stop(loop, w);
    if (c->mark_every && ++c->n % c->mark_every == 0) send(c->fd, payload, 80, MSG_NOSIGNAL);
}


static void on_measure(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)revents;
    double *mark = w->data;
    if (mark[0] < 0) { /* warm-up over: start counting */
        mark[0] = thread_cpu();
        mark[1] = ev_time();
        ev_timer_set(w, SECONDS, 0.);
        ev_timer_start(loop, w);
        return;
    }
    mark[0] = thread_cpu() - mark[0];
    mark[1] = ev_time() - mark[1];
    ev_break(loop, EVBREAK_ALL);
}

static void *run_side(void *arg) {
    side *s = arg;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(s->core, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    conn *cs = calloc((size_t)s->n, sizeof *cs);
    if (!cs) return NULL;
    ev_now_update(loop);
    for (int i = 0; i < s->n; i++) {
        conn *c = &cs[i];
        c->fd = s->fds[i];
        c->msg = s->msg;
        c->mark_every = s->mark_every;
        ev_io_init(&c->rd, on_read, c->fd, EV_READ);
        ev_io_start(loop, &c->rd);
        c->tick.data = c;
        ev_timer_init(&c->tick, on_tick, 0.020 * i / s->n, 0.020);
        ev_timer_start(loop, &c->tick);
    }
    double mark[2] = {-1, 0};
    ev_timer m;
    m.data = mark;
    ev_timer_init(&m, on_measure, WARMUP, 0.);
    ev_timer_start(loop, &m);
    ev_run(loop, 0);
    s->cpu_pct = mark[1] > 0 ? 100.0 * mark[0] / mark[1] : 0;
    ev_loop_destroy(loop);
    free(cs);
    return NULL;
}

static int measure(int n) {
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 4096) ||
        getsockname(ls, (struct sockaddr *)&a, &al))
        return perror("listen"), -1;
    int *srv = calloc((size_t)n, sizeof *srv), *cli = calloc((size_t)n, sizeof *cli);
    if (!srv || !cli) return -1;
    int one = 1;
    for (int i = 0; i < n; i++) {
        cli[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (cli[i] < 0 || connect(cli[i], (struct sockaddr *)&a, sizeof a)) return perror("connect"), -1;
        srv[i] = accept(ls, NULL, NULL);
        if (srv[i] < 0) return perror("accept"), -1;
        for (int k = 0; k < 2; k++) {
            int fd = k ? cli[i] : srv[i];
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            int fl = fcntl(fd, F_GETFL);
            fcntl(fd, F_SETFL, fl | O_NONBLOCK);
        }
    }
    close(ls);
    side server = {0, n, srv, 300, 10, 0}, carrier = {1, n, cli, 380, 0, 0};
    pthread_t ts, tc;
    pthread_create(&ts, NULL, run_side, &server);
    pthread_create(&tc, NULL, run_side, &carrier);
    pthread_join(ts, NULL);
    pthread_join(tc, NULL);
    printf("tcp floor: %5d connections, 50+55 messages/s each: server core %.1f%%, carrier core %.1f%%\n", n,
           server.cpu_pct, carrier.cpu_pct);
    for (int i = 0; i < n; i++) {
        close(srv[i]);
        close(cli[i]);
    }
    free(srv);
    free(cli);
    return 0;
}

int main(int argc, char **argv) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (argc < 2) {
        if (measure(1000) || measure(2000)) return 1;
        return 0;
    }
    for (int i = 1; i < argc; i++)
        if (measure(atoi(argv[i]))) return 1;
    return 0;
}
