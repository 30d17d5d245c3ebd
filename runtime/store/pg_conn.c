/* store/pg_conn: one libpq connection driven by the libev loop. Connects with
 * PQconnectStart/PQconnectPoll, prepares every statement of pg_sql.c, then
 * runs queued operations one at a time with PQsendQueryPrepared, reading with
 * PQconsumeInput/PQisBusy as its socket becomes readable. Never blocks the
 * loop: the socket is non-blocking and every wait is an ev_io or ev_timer.
 * A lost connection hands its operations back and retries on a timer. libpq
 * enforces no connect_timeout on the async path, so a deadline timer does:
 * connecting or a statement in flight past its deadline counts as a lost
 * connection (its writes are retried; their keys make that harmless). */
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "store/pg_internal.h"

static void conn_io_cb(struct ev_loop *loop, ev_io *w, int revents);

/* Server notices ("terminating connection due to administrator command")
 * go to the log, not to stderr. */
static void on_notice(void *arg, const char *msg) {
    (void)arg;
    hk_log(HK_LOG_DEBUG, NULL, "db_notice", "%.*s", (int)strcspn(msg, "\n"), msg);
}

static void watch(hk_pg_conn *c, int events) {
    int fd = c->pg ? PQsocket(c->pg) : -1;
    if (fd == c->io_fd && events == c->io_events) return;
    if (c->io_fd >= 0) ev_io_stop(c->loop, &c->io);
    c->io_fd = -1;
    c->io_events = 0;
    if (fd < 0 || !events) return;
    ev_io_init(&c->io, conn_io_cb, fd, events);
    c->io.data = c;
    ev_io_start(c->loop, &c->io);
    c->io_fd = fd;
    c->io_events = events;
}

static void set_error(hk_pg_conn *c, const char *what) {
    const char *m = c->pg ? PQerrorMessage(c->pg) : "out of memory";
    snprintf(c->last_error, sizeof c->last_error, "%s: %s", what, m && *m ? m : "unknown");
    size_t n = strlen(c->last_error);
    while (n && (c->last_error[n - 1] == '\n' || c->last_error[n - 1] == ' ')) c->last_error[--n] = 0;
}

#define HK_CONNECT_DEADLINE 5.0
#define HK_STATEMENT_DEADLINE 30.0

static void arm_deadline(hk_pg_conn *c, double s) {
    ev_timer_stop(c->loop, &c->deadline);
    if (s > 0) {
        ev_now_update(c->loop); /* a deadline counts from now, not the iteration's start */
        ev_timer_set(&c->deadline, s, 0.);
        ev_timer_start(c->loop, &c->deadline);
    }
}

static void conn_broken(hk_pg_conn *c, const char *what);

static void deadline_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop, (void)revents;
    hk_pg_conn *c = w->data;
    conn_broken(c, c->state == HK_CONN_READY ? "statement deadline passed" : "connect deadline passed");
}

static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop, (void)revents;
    hk_pg_conn_start((hk_pg_conn *)w->data);
}

/* Drop the connection: the in-flight op and the queue go back to the owner
 * (as transient failures), then a retry is scheduled. */
static void conn_broken(hk_pg_conn *c, const char *what) {
    set_error(c, what);
    int was_up = c->state >= HK_CONN_PREPARING;
    arm_deadline(c, 0);
    watch(c, 0);
    if (c->pg) PQfinish(c->pg);
    c->pg = NULL;
    c->state = HK_CONN_DOWN;
    if (c->cur_res) PQclear(c->cur_res);
    c->cur_res = NULL;
    hk_pg_op *op = c->cur;
    c->cur = NULL;
    if (op) c->cbs.done(c->cbs.ud, c, op, NULL, 1);
    while ((op = c->qhead)) {
        c->qhead = op->next;
        if (!c->qhead) c->qtail = NULL;
        c->queued--;
        op->next = NULL;
        c->cbs.done(c->cbs.ud, c, op, NULL, 1);
    }
    if (was_up) hk_log(HK_LOG_WARN, NULL, "db_connection_lost", "%s", c->last_error);
    else hk_log(HK_LOG_DEBUG, NULL, "db_connect_failed", "%s", c->last_error);
    c->cbs.down(c->cbs.ud, c);
    if (c->state == HK_CONN_DOWN && !ev_is_active(&c->retry)) {
        ev_now_update(c->loop);
        ev_timer_set(&c->retry, c->retry_s, 0.);
        ev_timer_start(c->loop, &c->retry);
    }
}

static void send_next(hk_pg_conn *c);

static int flush_out(hk_pg_conn *c) {
    int r = PQflush(c->pg);
    if (r < 0) {
        conn_broken(c, "send");
        return -1;
    }
    watch(c, EV_READ | (r == 1 ? EV_WRITE : 0));
    return 0;
}

static void prepare_next(hk_pg_conn *c) {
    if (c->prep_next == HK_SQL_COUNT) {
        arm_deadline(c, 0); /* the connect deadline covered the prepares too */
        c->state = HK_CONN_READY;
        c->cbs.ready(c->cbs.ud, c);
        if (c->state == HK_CONN_READY) send_next(c);
        return;
    }
    const hk_pg_sql *s = &hk_pg_sql_table[c->prep_next];
    if (!PQsendPrepare(c->pg, s->name, s->text, 0, NULL)) {
        conn_broken(c, "prepare");
        return;
    }
    flush_out(c);
}

static void send_next(hk_pg_conn *c) {
    if (c->state != HK_CONN_READY || c->cur || !c->qhead) return;
    hk_pg_op *op = c->qhead;
    c->qhead = op->next;
    if (!c->qhead) c->qtail = NULL;
    c->queued--;
    op->next = NULL;
    c->cur = op;
    arm_deadline(c, HK_STATEMENT_DEADLINE);
    if (!PQsendQueryPrepared(c->pg, hk_pg_sql_table[op->stmt].name, op->nparams,
                             (const char *const *)op->vals, op->lens, op->fmts, 0)) {
        conn_broken(c, "send");
        return;
    }
    flush_out(c);
}

/* A SQLSTATE worth retrying: connection, resources, operator intervention,
 * system errors, serialization/deadlock. Anything else is the statement,
 * and so is 08P01 (protocol violation: what a statement given the wrong
 * number of parameters gets), which would fail again on every retry. */
int hk_pg_sqlstate_transient(const char *st) {
    if (!st || strlen(st) < 2) return 1;
    if (!strcmp(st, "08P01")) return 0;
    return !strncmp(st, "08", 2) || !strncmp(st, "53", 2) || !strncmp(st, "57", 2) ||
           !strncmp(st, "58", 2) || !strncmp(st, "40", 2);
}

/* One command's results have all arrived (PQgetResult returned NULL). */
static void command_done(hk_pg_conn *c) {
    PGresult *res = c->cur_res;
    c->cur_res = NULL;
    if (c->state == HK_CONN_PREPARING) {
        int ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
        if (!ok) {
            snprintf(c->last_error, sizeof c->last_error, "prepare %s: %s",
                     hk_pg_sql_table[c->prep_next].name, res ? PQresultErrorMessage(res) : "");
            hk_log(HK_LOG_ERROR, NULL, "db_prepare_failed", "%s (schema not migrated? run hark "
                   "migrate)", c->last_error);
        }
        if (res) PQclear(res);
        if (!ok) {
            conn_broken(c, "prepare");
            return;
        }
        c->prep_next++;
        prepare_next(c);
        return;
    }
    hk_pg_op *op = c->cur;
    c->cur = NULL;
    arm_deadline(c, 0);
    if (op) {
        int st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
        int failed = st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK;
        int transient = failed && (!res || PQstatus(c->pg) == CONNECTION_BAD ||
                                   hk_pg_sqlstate_transient(PQresultErrorField(res, PG_DIAG_SQLSTATE)));
        c->cbs.done(c->cbs.ud, c, op, res, transient);
    }
    if (res) PQclear(res);
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        conn_broken(c, "connection");
        return;
    }
    send_next(c);
}

static void read_results(hk_pg_conn *c) {
    if (!PQconsumeInput(c->pg)) {
        conn_broken(c, "receive");
        return;
    }
    while (c->pg && !PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);
        if (!r) {
            if (c->cur || c->state == HK_CONN_PREPARING) command_done(c);
            else if (PQstatus(c->pg) == CONNECTION_BAD) conn_broken(c, "connection");
            return;
        }
        if (c->cur_res) PQclear(c->cur_res); /* keep the last of several results */
        c->cur_res = r;
    }
}

static void connect_poll(hk_pg_conn *c) {
    switch (PQconnectPoll(c->pg)) {
    case PGRES_POLLING_READING: watch(c, EV_READ); break;
    case PGRES_POLLING_WRITING: watch(c, EV_WRITE); break;
    case PGRES_POLLING_OK:
        if (PQsetnonblocking(c->pg, 1) != 0) {
            conn_broken(c, "nonblocking");
            return;
        }
        c->state = HK_CONN_PREPARING;
        c->prep_next = 0;
        hk_log(HK_LOG_DEBUG, NULL, "db_connected", "connection up");
        prepare_next(c);
        break;
    default: conn_broken(c, "connect"); break;
    }
}

static void conn_io_cb(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop;
    hk_pg_conn *c = w->data;
    if (c->state == HK_CONN_CONNECTING) {
        connect_poll(c);
        return;
    }
    if ((revents & EV_WRITE) && flush_out(c) < 0) return;
    if ((revents & EV_READ) && c->pg) read_results(c);
}

void hk_pg_conn_init(hk_pg_conn *c, struct ev_loop *loop, const char *conninfo, double retry_s,
                     const hk_pg_conn_cbs *cbs) {
    memset(c, 0, sizeof *c);
    c->loop = loop;
    c->conninfo = conninfo;
    c->cbs = *cbs;
    c->io_fd = -1;
    c->retry_s = retry_s;
    ev_timer_init(&c->retry, retry_cb, retry_s, 0.);
    c->retry.data = c;
    ev_timer_init(&c->deadline, deadline_cb, HK_CONNECT_DEADLINE, 0.);
    c->deadline.data = c;
}

void hk_pg_conn_start(hk_pg_conn *c) {
    if (c->state != HK_CONN_DOWN) return;
    ev_timer_stop(c->loop, &c->retry);
    c->pg = PQconnectStart(c->conninfo);
    if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD) {
        conn_broken(c, "connect");
        return;
    }
    PQsetNoticeProcessor(c->pg, on_notice, NULL);
    c->state = HK_CONN_CONNECTING;
    arm_deadline(c, HK_CONNECT_DEADLINE);
    watch(c, EV_WRITE); /* PQconnectPoll's contract: start as if WRITING */
}

void hk_pg_conn_send(hk_pg_conn *c, hk_pg_op *op) {
    op->next = NULL;
    if (c->qtail) c->qtail->next = op;
    else c->qhead = op;
    c->qtail = op;
    c->queued++;
    send_next(c);
}

void hk_pg_conn_close(hk_pg_conn *c, void (*take)(void *ud, hk_pg_op *op), void *ud) {
    ev_timer_stop(c->loop, &c->retry);
    arm_deadline(c, 0);
    watch(c, 0);
    if (c->pg) PQfinish(c->pg);
    c->pg = NULL;
    c->state = HK_CONN_DOWN;
    if (c->cur_res) PQclear(c->cur_res);
    c->cur_res = NULL;
    if (c->cur) take(ud, c->cur);
    c->cur = NULL;
    hk_pg_op *op;
    while ((op = c->qhead)) {
        c->qhead = op->next;
        op->next = NULL;
        take(ud, op);
    }
    c->qtail = NULL;
    c->queued = 0;
}
