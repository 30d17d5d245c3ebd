/* tests/unit/store/test_store_spool: the spool's records survive the trip to
 * disk and back (text, SQL NULL, binary with zero bytes), appends land in
 * order through the thread pool and are fsynced before done(), a reopened
 * spool hands back its records oldest seq first, a torn last line (crash
 * mid-write) is skipped and the next append starts a line of its own,
 * corrupted lines (a NUL inside, not a record, two glued records, a read
 * statement, a wrong parameter count, a seq out of range) are skipped and
 * copied to <path>.rejected, records of an equal seq keep the file's order,
 * and clear empties the file; a call_end spooled before the token columns
 * replays with them NULL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "store/pg_internal.h"
#include "../guarded_run.h"

static hk_pg_op *sample(int64_t seq) {
    hk_pg_op *op = hk_pg_op_new(HK_SQL_MSG_INSERT, "CA123");
    op->seq = seq;
    hk_pg_op_text(op, 0, "id-1");
    hk_pg_op_text(op, 1, NULL);
    hk_pg_op_text(op, 2, "quote ' \" \\ newline \n tab \t é");
    const uint8_t bin[5] = {0, 1, 0xff, '\n', 0};
    hk_pg_op_bin(op, 3, bin, 5);
    hk_pg_op_text(op, 16, NULL); /* hk_msg_insert takes 17 */
    return op;
}

static void test_encode_decode(void **state) {
    (void)state;
    hk_pg_op *op = sample(1732546123456789LL);
    char *line = hk_spool_encode(op);
    assert_null(strchr(line, '\n')); /* one record per line */
    hk_pg_op *back = hk_spool_decode(line);
    assert_non_null(back);
    assert_int_equal(back->seq, op->seq);
    assert_int_equal(back->stmt, HK_SQL_MSG_INSERT);
    assert_string_equal(back->key, "CA123");
    assert_int_equal(back->nparams, 17);
    assert_string_equal(back->vals[0], "id-1");
    assert_null(back->vals[1]);
    assert_string_equal(back->vals[2], op->vals[2]);
    assert_int_equal(back->fmts[3], 1);
    assert_int_equal(back->lens[3], 5);
    assert_memory_equal(back->vals[3], op->vals[3], 5);
    free(line);
    hk_pg_op_free(op);
    hk_pg_op_free(back);
    assert_null(hk_spool_decode("{\"seq\":1,\"stmt\":\"DROP TABLE\",\"key\":\"\",\"p\":[]}"));
    assert_null(hk_spool_decode("{\"seq\":1,\"stmt\":\"hk_msg_insert\",\"key\":\"\",\"p\":[{\"x\":\"zz\"}]}"));
    assert_null(hk_spool_decode("not json"));
    /* a record is the whole line, of a spooled write, with as many
     * parameters as its statement takes and a seq of 1..2^52-1 */
    char ok[512] = "{\"seq\":5,\"stmt\":\"hk_call_status\",\"key\":\"CA1\",\"p\":[\"t\",\"CA1\",\"ended\",\"5\"]}";
    back = hk_spool_decode(ok);
    assert_non_null(back);
    assert_int_equal(back->nparams, 4);
    hk_pg_op_free(back);
    strcat(ok, "\n");
    back = hk_spool_decode(ok);
    assert_non_null(back);
    hk_pg_op_free(back);
    strcat(ok, "{\"seq\":6}");
    assert_null(hk_spool_decode(ok)); /* two glued records */
    assert_null(hk_spool_decode("{\"seq\":5,\"stmt\":\"hk_call_status\",\"key\":\"CA1\",\"p\":[\"t\",\"CA1\",\"ended\"]}"));
    assert_null(hk_spool_decode("{\"seq\":5,\"stmt\":\"hk_calls_list\",\"key\":\"CA1\",\"p\":[]}"));
    assert_null(hk_spool_decode("{\"seq\":5,\"stmt\":\"hk_assistant_delete\",\"key\":\"CA1\",\"p\":[\"a\",\"b\"]}"));
    assert_null(hk_spool_decode("{\"seq\":1e999,\"stmt\":\"hk_call_status\",\"key\":\"CA1\",\"p\":[\"t\",\"CA1\",\"ended\",\"5\"]}"));
    assert_null(hk_spool_decode("{\"seq\":0,\"stmt\":\"hk_call_status\",\"key\":\"CA1\",\"p\":[\"t\",\"CA1\",\"ended\",\"5\"]}"));
    assert_null(hk_spool_decode("{\"seq\":4503599627370496,\"stmt\":\"hk_call_status\",\"key\":\"CA1\",\"p\":[\"t\",\"CA1\",\"ended\",\"5\"]}"));
    assert_null(hk_spool_decode("{\"seq\":2.5,\"stmt\":\"hk_call_status\",\"key\":\"CA1\",\"p\":[\"t\",\"CA1\",\"ended\",\"5\"]}"));
}

/* a call_end spooled by a hark from before the LLM token columns (schema
 * 009) has 14 parameters; replayed against today's statement it binds the
 * two token parameters as NULL (the row keeps its column) */
/* what is spooled and what is retried: one list each, for pg.c and the spool */
static void test_classes(void **state) {
    (void)state;
    int spooled[] = {HK_SQL_CALL_CREATE, HK_SQL_CALL_STATUS, HK_SQL_MSG_INSERT, HK_SQL_CALL_END,
                     HK_SQL_CALL_RECORDING, HK_SQL_CALL_WORDS};
    int n = 0;
    for (int i = 0; i < HK_SQL_COUNT; i++) n += hk_pg_sql_spooled(i);
    assert_int_equal(n, (int)(sizeof spooled / sizeof *spooled));
    for (size_t i = 0; i < sizeof spooled / sizeof *spooled; i++) assert_true(hk_pg_sql_spooled(spooled[i]));
    assert_false(hk_pg_sql_spooled(HK_SQL_CALLS_LIST));
    assert_false(hk_pg_sql_spooled(HK_SQL_ORG_PATCH));
    assert_true(hk_pg_sqlstate_transient(NULL));      /* no answer: the connection */
    assert_true(hk_pg_sqlstate_transient("08006"));   /* connection failure */
    assert_true(hk_pg_sqlstate_transient("40001"));   /* serialization */
    assert_true(hk_pg_sqlstate_transient("57P01"));   /* admin shutdown */
    assert_false(hk_pg_sqlstate_transient("08P01"));  /* wrong parameters: fails every time */
    assert_false(hk_pg_sqlstate_transient("23505"));  /* unique violation */
    assert_false(hk_pg_sqlstate_transient("42P01"));  /* no such table */
}

static void test_old_call_end(void **state) {
    (void)state;
    char line[1024] = "{\"seq\":7,\"stmt\":\"hk_call_end\",\"key\":\"CA1\",\"p\":[";
    for (int i = 0; i < 14; i++) strcat(line, i ? ",\"1\"" : "\"1\"");
    strcat(line, "]}");
    hk_pg_op *op = hk_spool_decode(line);
    assert_non_null(op);
    assert_int_equal(op->stmt, HK_SQL_CALL_END);
    assert_int_equal(op->nparams, 16);
    assert_string_equal(op->vals[13], "1");
    assert_null(op->vals[14]);
    assert_null(op->vals[15]);
    hk_pg_op_free(op);
}

static void drain_pool(struct ev_loop *loop, hk_spool *sp) {
    double until = wall_now() + 5;
    while (hk_spool_unsynced(sp) > 0 && wall_now() < until) ev_run(loop, EVRUN_ONCE);
    assert_int_equal(hk_spool_unsynced(sp), 0);
}

static void test_file_roundtrip(void **state) {
    (void)state;
    char path[] = "/tmp/hark-spool-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    hk_pool *pool = hk_pool_new(loop, 2);
    char err[256];
    hk_pg_op *loaded = NULL;
    hk_spool *sp = hk_spool_open(path, pool, &loaded, err, sizeof err);
    assert_non_null(sp);
    assert_null(loaded);
    /* appended out of seq order (a failed older write joins late) */
    int64_t seqs[4] = {10, 11, 9, 12};
    for (int i = 0; i < 4; i++) {
        hk_pg_op *op = sample(seqs[i]);
        hk_spool_append(sp, op);
        hk_pg_op_free(op);
    }
    drain_pool(loop, sp);
    hk_spool_free(sp);
    /* a crash mid-append leaves a torn line */
    FILE *f = fopen(path, "a");
    fputs("{\"seq\":13,\"stmt\":\"hk_msg_ins", f);
    fclose(f);
    sp = hk_spool_open(path, pool, &loaded, err, sizeof err);
    assert_non_null(sp);
    int64_t want[4] = {9, 10, 11, 12};
    int n = 0;
    while (loaded) {
        hk_pg_op *op = loaded;
        loaded = op->next;
        assert_true(n < 4);
        assert_int_equal(op->seq, want[n++]);
        hk_pg_op_free(op);
    }
    assert_int_equal(n, 4);
    /* the next append starts on its own line: not glued to the torn bytes */
    hk_pg_op *late = sample(14);
    hk_spool_append_now(sp, late);
    hk_pg_op_free(late);
    hk_spool_free(sp);
    /* a corrupted line in the middle, a record with a NUL inside and one of
     * an equal seq: skipped, skipped, kept after the first of its seq */
    f = fopen(path, "a");
    fputs("{\"seq\":14,\"stmt\":\"hk_msg_insert\",\"k\x01y\"}\n", f);
    fwrite("{\"seq\":15}\0junk\n", 1, 16, f);
    fclose(f);
    late = sample(14);
    hk_pg_op_text(late, 0, "id-2");
    char *rec = hk_spool_encode(late);
    hk_pg_op_free(late);
    f = fopen(path, "a");
    fprintf(f, "%s\n", rec);
    fclose(f);
    free(rec);
    sp = hk_spool_open(path, pool, &loaded, err, sizeof err);
    assert_non_null(sp);
    int64_t want2[6] = {9, 10, 11, 12, 14, 14};
    n = 0;
    while (loaded) {
        hk_pg_op *op = loaded;
        loaded = op->next;
        assert_true(n < 6);
        assert_int_equal(op->seq, want2[n++]);
        if (n == 5) assert_string_equal(op->vals[0], "id-1");
        if (n == 6) assert_string_equal(op->vals[0], "id-2");
        hk_pg_op_free(op);
    }
    assert_int_equal(n, 6);
    /* the three unreadable lines wait for a human in <path>.rejected */
    char rpath[128];
    snprintf(rpath, sizeof rpath, "%s.rejected", path);
    f = fopen(rpath, "r");
    assert_non_null(f);
    char buf[512];
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[got] = 0;
    assert_non_null(strstr(buf, "{\"seq\":13,\"stmt\":\"hk_msg_ins\n"));
    assert_non_null(strstr(buf, "\"k\x01y\"}\n"));
    assert_true(memchr(buf, 0, got) != NULL);
    unlink(rpath);
    hk_spool_clear(sp);
    drain_pool(loop, sp);
    hk_spool_free(sp);
    f = fopen(path, "r");
    fseek(f, 0, SEEK_END);
    assert_int_equal(ftell(f), 0);
    fclose(f);
    unlink(path);
    hk_pool_free(pool);
    ev_loop_destroy(loop);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_decode),
        cmocka_unit_test(test_classes),
        cmocka_unit_test(test_old_call_end),
        cmocka_unit_test(test_file_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
