/* store/spool: the append-only file that holds writes the database has not
 * taken yet (it was unreachable, or a write failed in a way worth retrying).
 * One JSON record per line: {"seq":N,"stmt":"hk_msg_insert","key":"CA..",
 * "p":["text",null,{"x":"<hex of binary>"}]}. Values are the bound parameters
 * as sent, so sealed columns stay sealed on disk. Appends are written and
 * fsynced on the thread pool (fsync blocks for milliseconds; the loop must
 * not), one lane so they land in order; a clear is a truncate on that lane.
 * A torn last line (crash mid-append) is skipped on load (unless only its
 * newline is missing), and the next append starts on a line of its own. A line that is not a whole record of
 * a spooled write with its statement's parameters (torn, corrupted on disk)
 * is skipped too, logged and copied to <path>.rejected for a human (at each
 * start until the spool drains and is cleared): replayed,
 * it could only fail, or fail forever (a wrong parameter count is a protocol
 * error, which pg_conn retries as a connection problem). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "store/pg_internal.h"

struct hk_spool {
    int fd;
    char *path;
    hk_pool *pool;
    int unsynced; /* loop thread: jobs submitted, done() not yet run */
    int closing;  /* freed by the last job's done() */
};

typedef struct spool_job {
    hk_job base;
    hk_spool *sp;
    int fd;
    char *line;  /* NULL: truncate */
    size_t len;
    int err;
} spool_job;

char *hk_spool_encode(const hk_pg_op *op) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "seq", (double)op->seq);
    cJSON_AddStringToObject(o, "stmt", hk_pg_sql_table[op->stmt].name);
    cJSON_AddStringToObject(o, "key", op->key);
    cJSON *p = cJSON_AddArrayToObject(o, "p");
    for (int i = 0; i < op->nparams; i++) {
        if (!op->vals[i]) {
            cJSON_AddItemToArray(p, cJSON_CreateNull());
        } else if (op->fmts[i]) {
            static const char hx[] = "0123456789abcdef";
            char *h = malloc((size_t)op->lens[i] * 2 + 1);
            if (!h) abort();
            for (int j = 0; j < op->lens[i]; j++) {
                h[2 * j] = hx[(uint8_t)op->vals[i][j] >> 4];
                h[2 * j + 1] = hx[(uint8_t)op->vals[i][j] & 15];
            }
            h[op->lens[i] * 2] = 0;
            cJSON *b = cJSON_CreateObject();
            cJSON_AddStringToObject(b, "x", h);
            cJSON_AddItemToArray(p, b);
            free(h);
        } else {
            cJSON_AddItemToArray(p, cJSON_CreateString(op->vals[i]));
        }
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static int hexv(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}


/* The parameters statement si takes: its highest $N. */
static int stmt_params(int si) {
    int max = 0;
    for (const char *t = hk_pg_sql_table[si].text; (t = strchr(t, '$')) != NULL;) {
        int n = 0;
        for (t++; *t >= '0' && *t <= '9' && n < 1000; t++) n = n * 10 + (*t - '0');
        if (n > max) max = n;
    }
    return max;
}

hk_pg_op *hk_spool_decode(const char *line) {
    /* the whole line is one JSON value (white space may follow, nothing else) */
    cJSON *o = cJSON_ParseWithOpts(line, NULL, 1);
    if (!o) return NULL;
    hk_pg_op *op = NULL;
    cJSON *seq = cJSON_GetObjectItem(o, "seq"), *stmt = cJSON_GetObjectItem(o, "stmt");
    cJSON *key = cJSON_GetObjectItem(o, "key"), *p = cJSON_GetObjectItem(o, "p");
    int si = cJSON_IsString(stmt) ? hk_pg_sql_find(stmt->valuestring) : -1;
    if (!cJSON_IsNumber(seq) || si < 0 || !hk_pg_sql_spooled(si) || !cJSON_IsString(key) ||
        !cJSON_IsArray(p) || cJSON_GetArraySize(p) > HK_PG_MAXP)
        goto out;
    /* seq: a whole number 1..2^52-1, as next_seq makes them (microseconds
     * since 1970: 1.7e15 now) and as cJSON prints exactly (past 2^52 its
     * printing may round by one or two); a cast of NaN, an infinity or 1e300
     * to int64_t would be undefined */
    if (!(seq->valuedouble >= 1 && seq->valuedouble < 4503599627370496.0) ||
        (double)(int64_t)seq->valuedouble != seq->valuedouble)
        goto out;
    int np = cJSON_GetArraySize(p), want = stmt_params(si);
    /* a call_end of a hark from before the token columns has 14 (below) */
    if (np != want && !(si == HK_SQL_CALL_END && np == 14)) goto out;
    op = hk_pg_op_new(si, key->valuestring);
    op->seq = (int64_t)seq->valuedouble;
    int i = 0;
    for (cJSON *v = p->child; v; v = v->next, i++) {
        if (cJSON_IsNull(v)) {
            hk_pg_op_text(op, i, NULL);
        } else if (cJSON_IsString(v)) {
            hk_pg_op_text(op, i, v->valuestring);
        } else {
            cJSON *x = cJSON_GetObjectItem(v, "x");
            size_t n = cJSON_IsString(x) ? strlen(x->valuestring) : 1;
            uint8_t *b = malloc(n / 2 + 1);
            if (!b) abort();
            int ok = n % 2 == 0;
            for (size_t j = 0; ok && j < n / 2; j++) {
                int hi = hexv(x->valuestring[2 * j]), lo = hexv(x->valuestring[2 * j + 1]);
                if (hi < 0 || lo < 0) ok = 0;
                else b[j] = (uint8_t)(hi << 4 | lo);
            }
            if (ok) hk_pg_op_bin(op, i, b, (int)(n / 2));
            free(b);
            if (!ok) {
                hk_pg_op_free(op);
                op = NULL;
                goto out;
            }
        }
    }
    /* a call_end spooled by a hark before the LLM token columns bound 14
     * parameters: the tokens are NULL then (the row keeps its column) */
    if (si == HK_SQL_CALL_END && op->nparams < 16) hk_pg_op_text(op, 15, NULL);
out:
    cJSON_Delete(o);
    return op;
}

typedef struct loaded_rec {
    hk_pg_op *op;
    size_t line; /* equal seqs keep the file's order */
} loaded_rec;

static int cmp_seq(const void *a, const void *b) {
    const loaded_rec *x = a, *y = b;
    if (x->op->seq != y->op->seq) return x->op->seq < y->op->seq ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static int write_all(int fd, const char *p, size_t n);

/* Read every whole record of the file (startup only: bounded, before the
 * loop serves calls). Unreadable lines go to <path>.rejected as they are. */
static hk_pg_op *load(int fd, const char *path) {
    FILE *f = fdopen(dup(fd), "r");
    if (!f) return NULL;
    loaded_rec *v = NULL;
    size_t n = 0, cap = 0, bad = 0, lines = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    int rej = -1;
    while ((len = getline(&line, &lcap, f)) > 0) {
        lines++;
        /* a NUL inside (what follows it would be ignored): not a record; a
         * torn tail is one only if the cut fell just before its newline */
        hk_pg_op *op = !memchr(line, 0, (size_t)len) ? hk_spool_decode(line) : NULL;
        if (!op) {
            if (bad++ == 0) {
                char rpath[4096];
                snprintf(rpath, sizeof rpath, "%s.rejected", path);
                rej = open(rpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
            }
            if (rej >= 0) {
                write_all(rej, line, (size_t)len);
                if (line[len - 1] != '\n') write_all(rej, "\n", 1);
            }
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            v = realloc(v, cap * sizeof *v);
            if (!v) abort();
        }
        v[n].op = op;
        v[n++].line = lines;
    }
    free(line);
    fclose(f);
    if (rej >= 0) close(rej);
    if (bad)
        hk_log(HK_LOG_WARN, NULL, "spool_bad_records",
               "%s: %zu unreadable record(s) skipped (copied to %s.rejected)", path, bad, path);
    if (n) hk_log(HK_LOG_INFO, NULL, "spool_loaded", "%s: %zu record(s) to replay", path, n);
    if (n) qsort(v, n, sizeof *v, cmp_seq);
    hk_pg_op *head = NULL;
    for (size_t i = n; i-- > 0;) {
        v[i].op->next = head;
        head = v[i].op;
    }
    free(v);
    return head;
}

/* A file that does not end with a newline (a torn tail) gets one, so the
 * next append is not glued to the torn bytes and lost with them. */
static void end_line(int fd, const char *path) {
    off_t end = lseek(fd, 0, SEEK_END);
    char last = '\n';
    if (end > 0 && pread(fd, &last, 1, end - 1) == 1 && last != '\n' &&
        (write_all(fd, "\n", 1) != 0 || fdatasync(fd) != 0))
        hk_log(HK_LOG_ERROR, NULL, "spool_write_failed", "%s: %s", path, strerror(errno));
}

hk_spool *hk_spool_open(const char *path, hk_pool *pool, hk_pg_op **loaded, char *err, size_t errlen) {
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "spool %s: %s", path, strerror(errno));
        return NULL;
    }
    hk_spool *sp = calloc(1, sizeof *sp);
    if (!sp) abort();
    sp->fd = fd;
    sp->path = strdup(path);
    sp->pool = pool;
    *loaded = load(fd, path);
    end_line(fd, path);
    return sp;
}

static int write_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void job_work(hk_job *j) {
    spool_job *sj = (spool_job *)j;
    if (sj->line) sj->err = write_all(sj->fd, sj->line, sj->len);
    else sj->err = ftruncate(sj->fd, 0) == 0 ? 0 : errno;
    if (!sj->err && fdatasync(sj->fd) != 0) sj->err = errno;
}

static void spool_release(hk_spool *sp) {
    close(sp->fd);
    free(sp->path);
    free(sp);
}

static void job_done(hk_job *j) {
    spool_job *sj = (spool_job *)j;
    hk_spool *sp = sj->sp;
    sp->unsynced--;
    if (sj->err)
        hk_log(HK_LOG_ERROR, NULL, "spool_write_failed", "%s: %s (records stay in memory)",
               sp->path, strerror(sj->err));
    free(sj->line);
    free(sj);
    if (sp->closing && sp->unsynced == 0) spool_release(sp);
}

static void submit(hk_spool *sp, char *line, size_t len) {
    spool_job *sj = calloc(1, sizeof *sj);
    if (!sj) abort();
    sj->base.work = job_work;
    sj->base.done = job_done;
    sj->base.lane = sp;
    sj->sp = sp;
    sj->fd = sp->fd;
    sj->line = line;
    sj->len = len;
    sp->unsynced++;
    hk_pool_submit(sp->pool, &sj->base);
}

static char *record_line(const hk_pg_op *op, size_t *len) {
    char *s = hk_spool_encode(op);
    size_t n = strlen(s);
    char *line = malloc(n + 2);
    if (!line) abort();
    memcpy(line, s, n);
    line[n] = '\n';
    line[n + 1] = 0;
    free(s);
    *len = n + 1;
    return line;
}

void hk_spool_append(hk_spool *sp, const hk_pg_op *op) {
    size_t len;
    char *line = record_line(op, &len);
    submit(sp, line, len);
}

void hk_spool_append_now(hk_spool *sp, const hk_pg_op *op) {
    size_t len;
    char *line = record_line(op, &len);
    if (write_all(sp->fd, line, len) != 0 || fdatasync(sp->fd) != 0)
        hk_log(HK_LOG_ERROR, NULL, "spool_write_failed", "%s: %s", sp->path, strerror(errno));
    free(line);
}

void hk_spool_clear(hk_spool *sp) { submit(sp, NULL, 0); }

int hk_spool_unsynced(const hk_spool *sp) { return sp->unsynced; }

void hk_spool_reject(hk_spool *sp, const hk_pg_op *op, const char *why) {
    char path[4096];
    snprintf(path, sizeof path, "%s.rejected", sp->path);
    char *rec = hk_spool_encode(op);
    hk_log(HK_LOG_ERROR, NULL, "db_write_rejected", "%s (record kept in %s)", why, path);
    /* Rare and small: written in the loop, no fsync (the error is logged too). */
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
        write_all(fd, rec, strlen(rec));
        write_all(fd, "\n", 1);
        close(fd);
    }
    free(rec);
}

void hk_spool_free(hk_spool *sp) {
    if (!sp) return;
    /* Jobs still on the pool reference sp: the last one's done() frees it. */
    sp->closing = 1;
    if (sp->unsynced == 0) spool_release(sp);
}
