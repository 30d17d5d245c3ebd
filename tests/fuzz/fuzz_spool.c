/* tests/fuzz/fuzz_spool: libFuzzer target for the PostgreSQL spool's replay
 * reader (store/spool.c: hk_spool_open reading a file left by an earlier
 * run). The input is the spool file as it is (the seeds are spool files);
 * after each of its whole lines whose bytes hash to 0 mod 3 a record built
 * from those bytes is inserted (any statement pg.c spools, its exact
 * parameter count or a call_end of the older 14, texts of any bytes,
 * binaries, NULLs, keys past the key's size, seqs 1..32 so some are equal):
 * good records among junk, records cut short and a torn tail (the input's
 * last line without its newline). Asserted:
 *  - every record built here comes back exactly (seq, statement, key,
 *    each parameter's kind, length and bytes; a 14-parameter call_end with
 *    the two token parameters NULL), and nothing else but lines that read
 *    as a record on their own: the list is exactly the readable lines,
 *    ordered by seq and, for equal seqs, by their place in the file;
 *  - every record given back is sane: a spooled write with its statement's
 *    parameter count, seq 1..2^52-1, a terminated key;
 *  - every unreadable line is copied as it was to <path>.rejected;
 *  - after the open the file ends with a line end, so a record appended then
 *    (hk_spool_append_now) is read back at a reopen, after all the others
 *    (a torn tail that lost only its newline is read at both opens).
 * The spool lives in a private temporary directory (removed at exit). */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/json_arena.h"
#include "core/log.h"
#include "store/pg_internal.h"
#include "fuzz_input.h"

#define MAX_LINES 512

static char dir[64], path[128], rpath[160];

static const int writes[] = {HK_SQL_CALL_CREATE, HK_SQL_CALL_STATUS, HK_SQL_MSG_INSERT,
                             HK_SQL_CALL_END, HK_SQL_CALL_RECORDING, HK_SQL_CALL_WORDS};

static void cleanup(void)
{
    unlink(rpath);
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    hk_json_arena_install();
    hk_log_set_level(HK_LOG_ERROR + 1);
    snprintf(dir, sizeof dir, "/tmp/hark-fuzz-spool-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    snprintf(path, sizeof path, "%s/spool", dir);
    snprintf(rpath, sizeof rpath, "%s/spool.rejected", dir);
    atexit(cleanup);
    return 0;
}

static int stmt_params(int si)
{
    int max = 0;
    for (const char *t = hk_pg_sql_table[si].text; (t = strchr(t, '$')) != NULL;) {
        int n = 0;
        for (t++; *t >= '0' && *t <= '9'; t++)
            n = n * 10 + (*t - '0');
        if (n > max)
            max = n;
    }
    return max;
}


/* A growing buffer: the file being built. */
typedef struct buf {
    char *b;
    size_t len, cap;
} buf;

static void put(buf *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->b = realloc(b->b, b->cap);
        if (!b->b)
            abort();
    }
    memcpy(b->b + b->len, p, n);
    b->len += n;
    b->b[b->len] = 0;
}

static hk_pg_op *make_record(in *s)
{
    int si = writes[byte(s) % (sizeof writes / sizeof writes[0])];
    char key[96];
    size_t kn = byte(s) % sizeof key;
    for (size_t i = 0; i < kn; i++)
        key[i] = (char)(byte(s) | 1); /* no NUL inside */
    key[kn] = 0;
    hk_pg_op *op = hk_pg_op_new(si, key);
    op->seq = 1 + byte(s) % 32;
    int np = stmt_params(si);
    if (si == HK_SQL_CALL_END && byte(s) % 4 == 0)
        np = 14; /* spooled before the token columns */
    for (int i = 0; i < np; i++) {
        unsigned k = byte(s);
        size_t len = byte(s) % 24;
        uint8_t v[32];
        for (size_t j = 0; j < len; j++)
            v[j] = (uint8_t)byte(s);
        if (k % 3 == 0) {
            hk_pg_op_text(op, i, NULL);
        } else if (k % 3 == 1) {
            char t[32];
            size_t tn = 0;
            for (size_t j = 0; j < len; j++)
                if (v[j])
                    t[tn++] = (char)v[j];
            t[tn] = 0;
            hk_pg_op_text(op, i, t);
        } else {
            hk_pg_op_bin(op, i, v, (int)len);
        }
    }
    if (op->nparams < np)
        hk_pg_op_text(op, np - 1, NULL);
    return op;
}

static int same_op(const hk_pg_op *a, const hk_pg_op *b)
{
    if (a->seq != b->seq || a->stmt != b->stmt || strcmp(a->key, b->key) != 0)
        return 0;
    int np = a->nparams;
    if (a->stmt == HK_SQL_CALL_END && np == 14) { /* padded on the way in */
        if (b->nparams != 16 || b->vals[14] || b->vals[15])
            return 0;
    } else if (b->nparams != np) {
        return 0;
    }
    for (int i = 0; i < np; i++) {
        if (!a->vals[i] != !b->vals[i])
            return 0;
        if (!a->vals[i])
            continue;
        if (a->fmts[i] != b->fmts[i])
            return 0;
        if (a->fmts[i] ? a->lens[i] != b->lens[i] || memcmp(a->vals[i], b->vals[i], (size_t)a->lens[i])
                       : strcmp(a->vals[i], b->vals[i]) != 0)
            return 0;
    }
    return 1;
}

static void check_sane(const hk_pg_op *op)
{
    int ok = 0;
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++)
        ok |= op->stmt == writes[i];
    if (!ok || op->seq < 1 || op->seq >= (1LL << 52) || !memchr(op->key, 0, sizeof op->key))
        abort();
    if (op->nparams != stmt_params(op->stmt))
        abort();
    for (int i = 0; i < op->nparams; i++)
        if (op->vals[i] && op->fmts[i] && op->lens[i] < 0)
            abort();
}

static char *read_file(const char *p, size_t *len)
{
    FILE *f = fopen(p, "rb");
    *len = 0;
    if (!f)
        return NULL;
    buf b = {0};
    char tmp[4096];
    size_t k;
    while ((k = fread(tmp, 1, sizeof tmp, f)) > 0)
        put(&b, tmp, k);
    fclose(f);
    *len = b.len;
    return b.b;
}

typedef struct line_info {
    size_t off, len; /* len with its '\n' */
    hk_pg_op *gen;   /* the record built for this line, if any */
    hk_pg_op *dec;   /* the line read on its own, if it is a record */
} line_info;

static line_info lines[MAX_LINES];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    buf file = {0};
    int nl = 0;
    /* the input's lines as they are, each maybe followed by a record built
     * from its bytes */
    size_t at = 0;
    while (at < size && nl < MAX_LINES - 2) {
        const uint8_t *nlp = memchr(data + at, '\n', size - at);
        size_t end = nlp ? (size_t)(nlp - data) + 1 : size;
        lines[nl] = (line_info){.off = file.len, .len = end - at};
        put(&file, data + at, end - at);
        nl++;
        unsigned h = 0;
        for (size_t i = at; i < end; i++)
            h = h * 31 + data[i];
        if (nlp && h % 3 == 0) {
            in s = {data + at, end - at};
            hk_pg_op *gen = make_record(&s);
            char *rec = hk_spool_encode(gen);
            lines[nl] = (line_info){.off = file.len, .gen = gen};
            put(&file, rec, strlen(rec));
            put(&file, "\n", 1);
            lines[nl].len = file.len - lines[nl].off;
            free(rec);
            nl++;
        }
        at = end;
    }
    /* past MAX_LINES lines the rest of the input is left out */
    unlink(path);
    unlink(rpath);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || (file.len && write(fd, file.b, file.len) != (ssize_t)file.len))
        abort();
    close(fd);

    /* what each line is on its own */
    buf want_rej = {0};
    for (int i = 0; i < nl; i++) {
        char *l = malloc(lines[i].len + 1);
        memcpy(l, file.b + lines[i].off, lines[i].len);
        l[lines[i].len] = 0;
        int whole = !memchr(l, 0, lines[i].len);
        lines[i].dec = whole ? hk_spool_decode(l) : NULL;
        if (lines[i].gen && !lines[i].dec)
            abort(); /* a record as encoded did not read back */
        if (lines[i].gen && !same_op(lines[i].gen, lines[i].dec))
            abort();
        if (!lines[i].dec) {
            put(&want_rej, l, lines[i].len);
            if (!lines[i].len || l[lines[i].len - 1] != '\n')
                put(&want_rej, "\n", 1);
        }
        free(l);
    }

    char err[256];
    hk_pg_op *loaded = NULL;
    hk_spool *sp = hk_spool_open(path, NULL, &loaded, err, sizeof err);
    if (!sp)
        abort();
    /* the list: the readable lines, by seq, equal seqs in file order */
    int64_t last_seq = 0;
    int last_line = -1, count = 0, expected = 0;
    for (int i = 0; i < nl; i++)
        expected += lines[i].dec != NULL;
    for (hk_pg_op *op = loaded; op; op = op->next, count++) {
        check_sane(op);
        if (op->seq < last_seq)
            abort();
        if (op->seq != last_seq)
            last_line = -1;
        int found = -1;
        for (int i = last_line + 1; i < nl && found < 0; i++)
            if (lines[i].dec && lines[i].dec->seq == op->seq && same_op(lines[i].dec, op))
                found = i;
        if (found < 0)
            abort();
        last_seq = op->seq;
        last_line = found;
    }
    if (count != expected)
        abort();
    /* the unreadable lines, as they were */
    size_t rlen;
    char *rej = read_file(rpath, &rlen);
    if (rlen != want_rej.len || (rlen && memcmp(rej, want_rej.b, rlen) != 0))
        abort();
    free(rej);
    /* a record appended now is read back at the next open, last */
    size_t flen;
    char *now = read_file(path, &flen);
    if (flen && now[flen - 1] != '\n')
        abort();
    free(now);
    hk_pg_op *late = hk_pg_op_new(HK_SQL_CALL_STATUS, "CAlate");
    late->seq = (1LL << 52) - 1; /* the greatest: last, equal seqs in file order */
    hk_pg_op_text(late, 0, "t");
    hk_pg_op_text(late, 1, "CAlate");
    hk_pg_op_text(late, 2, "ended");
    hk_pg_op_text(late, 3, "1000");
    hk_spool_append_now(sp, late);
    hk_spool_free(sp);
    hk_pg_op *again = NULL;
    sp = hk_spool_open(path, NULL, &again, err, sizeof err);
    if (!sp)
        abort();
    hk_spool_free(sp);
    int n2 = 0;
    hk_pg_op *tail = NULL;
    for (hk_pg_op *op = again; op; op = op->next, n2++)
        tail = op;
    if (n2 != count + 1 || !tail || !same_op(late, tail)) {
        fprintf(stderr, "n2 %d count %d tail %p\n", n2, count, (void *)tail);
        abort();
    }

    while (loaded) {
        hk_pg_op *op = loaded;
        loaded = op->next;
        hk_pg_op_free(op);
    }
    while (again) {
        hk_pg_op *op = again;
        again = op->next;
        hk_pg_op_free(op);
    }
    hk_pg_op_free(late);
    for (int i = 0; i < nl; i++) {
        hk_pg_op_free(lines[i].gen);
        hk_pg_op_free(lines[i].dec);
    }
    free(file.b);
    free(want_rej.b);
    return 0;
}
