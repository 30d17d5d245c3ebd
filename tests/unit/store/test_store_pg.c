/* tests/unit/store/test_store_pg: the PostgreSQL store against a real server.
 * Reads like a phone call's record: migrations from empty (and the re-run that
 * does nothing, and the changed file that is refused), a call whose rows
 * appear as it goes, sealed content in the table and plain text through the
 * reads, tenants that cannot see each other, the database stopped mid-call
 * (the loop keeps its 20 ms pace, every message lands once and in order when
 * it is back), a spool that outlives the process, injection strings stored
 * verbatim, filters and paging, and rekey. Uses HARK_TEST_PG_URL (an empty
 * database) and HARK_TEST_PG_PORT (scripts/pg's port) when given; without
 * them it starts a private cluster of its own (store_pg_helpers.h), and only a
 * machine without PostgreSQL skips it, visibly (exit 77). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <unistd.h>

#include "../guarded_run.h"
#include "core/log.h"
#include "core/pool.h"
#include "store/crypto.h"
#include "store/migrate.h"
#include "store_pg_helpers.h"

#define K1 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define K2 "c2Vjb25kIGtleSBvZiBoYXJrIHRlc3RzISEhISEhISE=" /* base64, 32 bytes */

static char tenant_a[64], tenant_b[64], agent_a[64], spool_dir[256];

typedef struct env {
    struct ev_loop *loop;
    hk_pool *pool;
    hk_store *s;
    PGconn *raw;
    char spool[300];
} env;

static void keys(hk_keyring *kr, const char *spec) {
    char err[256];
    assert_int_equal(hk_keyring_parse(kr, spec, err, sizeof err), 0);
}

static void open_store(env *e, const char *keyspec, const char *spool_name, int wait_up) {
    hk_keyring kr;
    keys(&kr, keyspec);
    snprintf(e->spool, sizeof e->spool, "%s/%s", spool_dir, spool_name);
    hk_store_pg_opts o = {.loop = e->loop, .conninfo = getenv("HARK_TEST_PG_URL"),
                          .connections = 3, .pool = e->pool, .keys = &kr,
                          .spool_path = e->spool, .reconnect_s = 0.1};
    char err[256];
    e->s = hk_store_pg_new(&o, err, sizeof err);
    assert_non_null(e->s);
    if (wait_up) drain(e->loop, e->s, 10.);
}

static void env_open(env *e, const char *keyspec, const char *spool_name) {
    memset(e, 0, sizeof *e);
    e->loop = ev_loop_new(EVFLAG_AUTO);
    e->pool = hk_pool_new(e->loop, 1);
    e->raw = raw_connect();
    open_store(e, keyspec, spool_name, 1);
}

static void env_close(env *e) {
    hk_store_free(e->s);
    hk_pool_free(e->pool);
    PQfinish(e->raw);
    ev_loop_destroy(e->loop);
}

static void new_call(hk_store *s, const char *tenant, const char *agent, char sid[64],
                     const char *from, const char *status) {
    char u[37];
    hk_store_uuid(u);
    snprintf(sid, 64, "CA%s", u);
    hk_store_call c = {.call_sid = sid, .tenant_id = tenant, .agent_id = agent, .from = from,
                       .to = "+15550001111", .inbound = 1, .status = status};
    assert_int_equal(hk_store_call_create(s, &c), 0);
}

static void say(hk_store *s, const char *tenant, const char *sid, int seq, const char *role,
                const char *text) {
    hk_store_message m = {.call_sid = sid, .tenant_id = tenant, .seq = seq, .role = role,
                          .content = text, .confidence = 0.9, .user_end_ms = 1000. * seq,
                          .stt_final_ms = 1000. * seq + 120, .llm_first_token_ms = -1,
                          .tts_first_audio_ms = -1, .first_frame_ms = 1000. * seq + 400};
    assert_int_equal(hk_store_message_add(s, &m), 0);
    assert_int_equal(strlen(m.id), 36);
}

static void test_migrations(void **state) {
    (void)state;
    PGconn *pg = raw_connect();
    char err[512];
    const char *dir = HARK_SOURCE_DIR "/schema";
    /* every schema/NNN_*.sql, numbered without gaps */
    int nmig = 0;
    char probe[600];
    for (;; nmig++) {
        snprintf(probe, sizeof probe, "ls %s/%03d_*.sql >/dev/null 2>&1", dir, nmig + 1);
        if (system(probe) != 0) break;
    }
    assert_true(nmig >= 2);
    assert_int_equal(hk_migrate_run(pg, dir, stderr, err, sizeof err), nmig); /* from empty */
    assert_int_equal(raw_long(pg, "SELECT count(*) FROM schema_migrations", 0, NULL), nmig);
    assert_int_equal(hk_migrate_run(pg, dir, stderr, err, sizeof err), 0); /* no-op */
    /* an applied file that changed is refused, and nothing else runs */
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/schema && cp %s/*.sql %s/schema/ && echo '-- edit' >> "
             "%s/schema/001_init.sql && printf 'CREATE TABLE never_made (x int);' > "
             "%s/schema/%03d_more.sql", spool_dir, dir, spool_dir, spool_dir, spool_dir, nmig + 1);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/schema", spool_dir);
    assert_int_equal(hk_migrate_run(pg, cmd, stderr, err, sizeof err), -1);
    assert_non_null(strstr(err, "001_init.sql changed after it was applied"));
    assert_int_equal(raw_long(pg, "SELECT count(*) FROM pg_tables WHERE tablename = 'never_made'",
                              0, NULL), 0);
    /* tenants and an agent for the other tests */
    char *a = raw_value(pg, "INSERT INTO tenants (name) VALUES ('Acme') RETURNING id", 0, NULL);
    char *b = raw_value(pg, "INSERT INTO tenants (name) VALUES ('Beta') RETURNING id", 0, NULL);
    snprintf(tenant_a, sizeof tenant_a, "%s", a);
    snprintf(tenant_b, sizeof tenant_b, "%s", b);
    const char *v[1] = {a};
    char *ag = raw_value(pg, "INSERT INTO agents (tenant_id, name, phone_number) VALUES "
                         "($1::uuid, 'front desk', '+15550001111') RETURNING id", 1, v);
    snprintf(agent_a, sizeof agent_a, "%s", ag);
    char *pn = raw_value(pg, "INSERT INTO phone_numbers (tenant_id, number, agent_id) VALUES ($1::uuid, "
              "'+15550001111', (SELECT id FROM agents WHERE tenant_id = $1::uuid)) RETURNING id",
              1, v);
    free(a), free(b), free(ag), free(pn);
    PQfinish(pg);
}

static void test_call_rows_as_it_goes(void **state) {
    (void)state;
    env e;
    env_open(&e, "1:" K1, "spool1");
    char sid[64];
    new_call(e.s, tenant_a, agent_a, sid, "+15557654321", "ringing");
    drain(e.loop, e.s, 10.);
    const char *v[1] = {sid};
    char *st = raw_value(e.raw, "SELECT status FROM calls WHERE call_sid = $1", 1, v);
    assert_string_equal(st, "ringing");
    free(st);
    hk_store_call_status(e.s, tenant_a, sid, "in-progress");
    say(e.s, tenant_a, sid, 0, "assistant", "Hello, thanks for calling Acme dental.");
    drain(e.loop, e.s, 10.);
    assert_int_equal(raw_long(e.raw, "SELECT count(*) FROM call_messages WHERE call_sid = $1", 1, v), 1);
    say(e.s, tenant_a, sid, 1, "user", "My secret diagnosis is gingivitis");
    drain(e.loop, e.s, 10.);
    assert_int_equal(raw_long(e.raw, "SELECT count(*) FROM call_messages WHERE call_sid = $1", 1, v), 2);
    hk_store_call_summary end = {.call_sid = sid, .tenant_id = tenant_a, .duration_s = 42.5,
                                 .ended_reason = "customer-ended-call",
                                 .transcript = "AI: Hello\nUser: My secret diagnosis is gingivitis",
                                 .recording_url = "https://rec.example/secret-recording.wav",
                                 .recording_sid = "RE123",
                                 .latency_json = "{\"turns\":1,\"p50_ms\":640}", .cost_total = -1};
    hk_store_call_end(e.s, &end);
    drain(e.loop, e.s, 10.);
    st = raw_value(e.raw, "SELECT status || ' ' || duration_s || ' ' || ended_reason || ' ' || "
                   "key_id FROM calls WHERE call_sid = $1", 1, v);
    assert_string_equal(st, "ended 42.5 customer-ended-call 1");
    free(st);
    /* at rest: ciphertext only (what a database dump shows) */
    assert_int_equal(raw_long(e.raw, "SELECT count(*) FROM call_messages WHERE call_sid = $1 AND "
                              "(position('gingivitis' in encode(content, 'escape')) > 0 OR key_id <> 1)",
                              1, v), 0);
    assert_int_equal(raw_long(e.raw, "SELECT count(*) FROM calls WHERE call_sid = $1 AND "
                              "(position('gingivitis' in encode(transcript, 'escape')) > 0 OR "
                              "position('secret-recording' in encode(recording_url, 'escape')) > 0)",
                              1, v), 0);
    /* through the reads: plain text, in order, with latency marks */
    read_ctx r = {e.loop, 0, NULL, ""};
    e.s->v->messages_list(e.s, tenant_a, sid, read_cb, &r);
    cJSON *msgs = await(e.loop, &r);
    assert_int_equal(cJSON_GetArraySize(msgs), 2);
    cJSON *m1 = cJSON_GetArrayItem(msgs, 1);
    assert_string_equal(jstr(m1, "content"), "My secret diagnosis is gingivitis");
    assert_string_equal(jstr(m1, "role"), "user");
    assert_int_equal((int)cJSON_GetObjectItem(m1, "stt_final_ms")->valuedouble, 1120);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(m1, "llm_first_token_ms")));
    assert_null(cJSON_GetObjectItem(m1, "key_id"));
    cJSON_Delete(msgs);
    read_ctx g = {e.loop, 0, NULL, ""};
    e.s->v->call_get(e.s, tenant_a, sid, read_cb, &g);
    cJSON *call = await(e.loop, &g);
    assert_non_null(call);
    assert_string_equal(jstr(call, "recording_url"), "https://rec.example/secret-recording.wav");
    assert_non_null(strstr(jstr(call, "transcript"), "gingivitis"));
    assert_int_equal((int)cJSON_GetObjectItem(cJSON_GetObjectItem(call, "latency"), "p50_ms")->valuedouble, 640);
    cJSON_Delete(call);
    /* the recording uploaded later: its new URL, sealed like the first */
    assert_int_equal(hk_store_call_recording(e.s, tenant_a, sid, "https://s3.example/b/recordings/moved.wav"), 0);
    drain(e.loop, e.s, 10.);
    assert_int_equal(raw_long(e.raw, "SELECT count(*) FROM calls WHERE call_sid = $1 AND "
                              "position('moved' in encode(recording_url, 'escape')) > 0", 1, v), 0);
    read_ctx g2 = {e.loop, 0, NULL, ""};
    e.s->v->call_get(e.s, tenant_a, sid, read_cb, &g2);
    call = await(e.loop, &g2);
    assert_non_null(call);
    assert_string_equal(jstr(call, "recording_url"), "https://s3.example/b/recordings/moved.wav");
    assert_non_null(strstr(jstr(call, "transcript"), "gingivitis")); /* still readable */
    cJSON_Delete(call);
    env_close(&e);
}

static void test_tenant_isolation(void **state) {
    (void)state;
    env e;
    env_open(&e, "1:" K1, "spool2");
    char sid[64];
    new_call(e.s, tenant_a, agent_a, sid, "+15550009999", NULL);
    say(e.s, tenant_a, sid, 0, "user", "tenant A private words");
    /* B writing into A's call is refused by the database, never stored */
    hk_store_message m = {.call_sid = sid, .tenant_id = tenant_b, .seq = 1, .role = "user",
                          .content = "B injected", .confidence = -1, .user_end_ms = -1,
                          .stt_final_ms = -1, .llm_first_token_ms = -1, .tts_first_audio_ms = -1,
                          .first_frame_ms = -1};
    hk_store_message_add(e.s, &m);
    hk_store_call_status(e.s, tenant_b, sid, "hijacked");
    drain(e.loop, e.s, 10.);
    const char *v[1] = {sid};
    assert_int_equal(raw_long(e.raw, "SELECT count(*) FROM call_messages WHERE call_sid = $1", 1, v), 1);
    char *st = raw_value(e.raw, "SELECT status FROM calls WHERE call_sid = $1", 1, v);
    assert_string_equal(st, "in-progress");
    free(st);
    read_ctx r = {e.loop, 0, NULL, ""};
    e.s->v->call_get(e.s, tenant_b, sid, read_cb, &r);
    assert_null(await(e.loop, &r));
    read_ctx r2 = {e.loop, 0, NULL, ""};
    e.s->v->messages_list(e.s, tenant_b, sid, read_cb, &r2);
    cJSON *ms = await(e.loop, &r2);
    assert_int_equal(cJSON_GetArraySize(ms), 0);
    cJSON_Delete(ms);
    read_ctx r3 = {e.loop, 0, NULL, ""};
    e.s->v->calls_list(e.s, tenant_b, NULL, read_cb, &r3);
    cJSON *cl = await(e.loop, &r3);
    cJSON *it;
    cJSON_ArrayForEach(it, cl) assert_string_not_equal(jstr(it, "call_sid"), sid);
    cJSON_Delete(cl);
    env_close(&e);
}

typedef struct pacer {
    int ticks, writes, target;
    double last, max_gap;
    hk_store *s;
    const char *tenant, *sid;
    int *seq;
} pacer;

static void pace_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)revents;
    pacer *p = w->data;
    double now = ev_time();
    if (p->last > 0 && now - p->last > p->max_gap) p->max_gap = now - p->last;
    p->last = now;
    if (++p->ticks % 5 == 0 && p->writes < 6) {
        char text[64];
        snprintf(text, sizeof text, "during outage %d", *p->seq);
        say(p->s, p->tenant, p->sid, (*p->seq)++, p->writes % 2 ? "user" : "assistant", text);
        p->writes++;
    }
    if (p->ticks >= p->target) ev_break(loop, EVBREAK_ONE);
}

static void pace(env *e, const char *sid, int *seq, double seconds, pacer *p) {
    memset(p, 0, sizeof *p);
    p->target = (int)(seconds / 0.02);
    p->s = e->s, p->tenant = tenant_a, p->sid = sid, p->seq = seq;
    ev_timer t;
    ev_timer_init(&t, pace_cb, 0.02, 0.02);
    t.data = p;
    ev_timer_start(e->loop, &t);
    ev_run(e->loop, 0);
    ev_timer_stop(e->loop, &t);
}

static void check_messages(env *e, const char *sid, int n) {
    const char *v[1] = {sid};
    assert_int_equal(raw_long(e->raw, "SELECT count(*) FROM call_messages WHERE call_sid = $1", 1, v), n);
    assert_int_equal(raw_long(e->raw, "SELECT count(DISTINCT seq) FROM call_messages WHERE call_sid = $1", 1, v), n);
    /* arrival order (transaction ids) is the call's order */
    char *order = raw_value(e->raw, "SELECT string_agg(seq::text, ',' ORDER BY xmin::text::bigint) "
                            "FROM call_messages WHERE call_sid = $1", 1, v);
    char want[256] = "";
    for (int i = 0; i < n; i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), i ? ",%d" : "%d", i);
    assert_string_equal(order, want);
    free(order);
    read_ctx r = {e->loop, 0, NULL, ""};
    e->s->v->messages_list(e->s, tenant_a, sid, read_cb, &r);
    cJSON *ms = await(e->loop, &r);
    assert_int_equal(cJSON_GetArraySize(ms), n);
    for (int i = 0; i < n; i++)
        assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(ms, i), "seq")->valueint, i);
    cJSON_Delete(ms);
}

static void test_outage_mid_call(void **state) {
    (void)state;
    env e;
    env_open(&e, "1:" K1, "spool3");
    char sid[64];
    int seq = 0;
    new_call(e.s, tenant_a, agent_a, sid, "+15550007777", NULL);
    say(e.s, tenant_a, sid, seq++, "assistant", "hello before the outage");
    say(e.s, tenant_a, sid, seq++, "user", "hi");
    drain(e.loop, e.s, 10.);
    pg_ctl("stop");
    pacer p;
    pace(&e, sid, &seq, 1.0, &p); /* 6 messages while the database is gone */
    assert_int_equal(p.writes, 6);
    assert_true(hk_store_pending(e.s) >= 6);
    assert_int_equal(hk_store_pg_connected(e.s), 0);
    fprintf(stderr, "outage: %d ticks, worst gap %.1f ms\n", p.ticks, p.max_gap * 1e3);
    assert_true(p.max_gap < 0.1); /* the loop never waited on the database */
    hk_store_call_summary end = {.call_sid = sid, .tenant_id = tenant_a, .duration_s = 9,
                                 .ended_reason = "assistant-ended-call", .cost_total = 0.01};
    hk_store_call_end(e.s, &end);
    pace(&e, sid, &seq, 0.2, &p);
    pg_ctl("start");
    PQreset(e.raw); /* the side connection died with the server too */
    drain(e.loop, e.s, 20.);
    check_messages(&e, sid, seq);
    const char *v[1] = {sid};
    char *st = raw_value(e.raw, "SELECT status || ' ' || ended_reason FROM calls WHERE call_sid = $1", 1, v);
    assert_string_equal(st, "ended assistant-ended-call");
    free(st);
    env_close(&e);
}

/* The server goes away while a statement is in flight and more are queued
 * behind it: they are handed back and replayed before anything newer. */
static void test_outage_in_flight(void **state) {
    (void)state;
    env e;
    env_open(&e, "1:" K1, "spool8");
    char sid[64];
    int seq = 0;
    new_call(e.s, tenant_a, NULL, sid, "+15550004444", NULL);
    drain(e.loop, e.s, 10.);
    PGresult *r = PQexec(e.raw, "CREATE FUNCTION slow_msg() RETURNS trigger AS $$ BEGIN "
                         "PERFORM pg_sleep(0.2); RETURN NEW; END $$ LANGUAGE plpgsql; "
                         "CREATE TRIGGER slow_msg BEFORE INSERT ON call_messages FOR EACH ROW "
                         "EXECUTE FUNCTION slow_msg()");
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    for (int i = 0; i < 4; i++) say(e.s, tenant_a, sid, seq++, "user", "queued behind a slow insert");
    pacer p;
    pace(&e, sid, &seq, 0.1, &p); /* the first insert is now sleeping in the server */
    assert_true(hk_store_pending(e.s) >= 4);
    pg_ctl("stop");
    for (int i = 0; i < 2; i++) say(e.s, tenant_a, sid, seq++, "assistant", "said during the outage");
    pace(&e, sid, &seq, 0.1, &p);
    pg_ctl("start");
    PQreset(e.raw);
    drain(e.loop, e.s, 30.);
    PQclear(PQexec(e.raw, "DROP TRIGGER slow_msg ON call_messages; DROP FUNCTION slow_msg()"));
    check_messages(&e, sid, seq);
    env_close(&e);
}

static long file_lines(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long n = 0;
    int c;
    while ((c = fgetc(f)) != EOF) n += c == '\n';
    fclose(f);
    return n;
}

/* The process ends during the outage: the spool file carries the writes to
 * the next run, which replays them before anything else. */
static void test_spool_outlives_process(void **state) {
    (void)state;
    env e;
    env_open(&e, "1:" K1, "spool4");
    pg_ctl("stop");
    pacer p;
    char sid[64];
    int seq = 0;
    new_call(e.s, tenant_a, NULL, sid, "+15550006666", NULL);
    say(e.s, tenant_a, sid, seq++, "assistant", "first words");
    pace(&e, sid, &seq, 0.7, &p);
    hk_store_free(e.s);
    e.s = NULL;
    long lines = file_lines(e.spool);
    assert_int_equal(lines, 2 + p.writes);
    /* sealed on disk too */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "grep -q 'during outage' %s", e.spool);
    assert_int_not_equal(system(cmd), 0);
    open_store(&e, "1:" K1, "spool4", 0);
    assert_int_equal(hk_store_pending(e.s), lines);
    char cmd2[1024];
    snprintf(cmd2, sizeof cmd2, "cp %s %s.copy", e.spool, e.spool);
    assert_int_equal(system(cmd2), 0);
    pg_ctl("start");
    PQreset(e.raw); /* the side connection died with the server too */
    drain(e.loop, e.s, 20.);
    check_messages(&e, sid, seq);
    assert_int_equal(file_lines(e.spool), 0);
    /* a crash after the replay committed but before the spool was emptied:
     * the next run replays everything again, and nothing doubles */
    hk_store_free(e.s);
    snprintf(cmd2, sizeof cmd2, "cp %s.copy %s", e.spool, e.spool);
    assert_int_equal(system(cmd2), 0);
    open_store(&e, "1:" K1, "spool4", 0);
    assert_int_equal(hk_store_pending(e.s), lines);
    drain(e.loop, e.s, 20.);
    check_messages(&e, sid, seq);
    env_close(&e);
}

static void test_injection_verbatim(void **state) {
    (void)state;
    env e;
    env_open(&e, "1:" K1, "spool5");
    const char *evil[] = {"'); DROP TABLE calls; --", "x' OR '1'='1", "\"; SELECT pg_sleep(5); --",
                          "$1 $$; DROP TABLE tenants; $$ \\x00 %s %n", "Robert'); DELETE FROM call_messages;--"};
    char sid[128];
    snprintf(sid, sizeof sid, "CA'; DROP TABLE calls; --%ld", (long)getpid());
    hk_store_call c = {.call_sid = sid, .tenant_id = tenant_a, .from = evil[0], .to = evil[1],
                       .inbound = 0, .status = evil[2]};
    hk_store_call_create(e.s, &c);
    for (int i = 0; i < 5; i++) {
        hk_store_message m = {.call_sid = sid, .tenant_id = tenant_a, .seq = i, .role = evil[(i + 1) % 5],
                              .content = evil[i], .confidence = -1, .user_end_ms = -1,
                              .stt_final_ms = -1, .llm_first_token_ms = -1,
                              .tts_first_audio_ms = -1, .first_frame_ms = -1,
                              .tool_calls_json = "[{\"name\":\"x'); DROP TABLE agents;--\"}]"};
        hk_store_message_add(e.s, &m);
    }
    hk_store_call_summary end = {.call_sid = sid, .tenant_id = tenant_a, .ended_reason = evil[3],
                                 .recording_sid = evil[4], .transcript = evil[0],
                                 .sentiment = evil[1], .cost_total = -1};
    hk_store_call_end(e.s, &end);
    drain(e.loop, e.s, 10.);
    const char *v[1] = {sid};
    char *got = raw_value(e.raw, "SELECT from_number || '|' || to_number || '|' || ended_reason || "
                          "'|' || recording_sid || '|' || sentiment FROM calls WHERE call_sid = $1", 1, v);
    char want[512];
    snprintf(want, sizeof want, "%s|%s|%s|%s|%s", evil[0], evil[1], evil[3], evil[4], evil[1]);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
    assert_int_equal(raw_long(e.raw, "SELECT count(*) FROM agents", 0, NULL), 1);
    assert_true(raw_long(e.raw, "SELECT count(*) FROM tenants", 0, NULL) >= 2);
    read_ctx r = {e.loop, 0, NULL, ""};
    e.s->v->messages_list(e.s, tenant_a, sid, read_cb, &r);
    cJSON *ms = await(e.loop, &r);
    assert_int_equal(cJSON_GetArraySize(ms), 5);
    for (int i = 0; i < 5; i++) {
        cJSON *m = cJSON_GetArrayItem(ms, i);
        assert_string_equal(jstr(m, "content"), evil[i]);
        assert_string_equal(jstr(m, "role"), evil[(i + 1) % 5]);
        cJSON *tc = cJSON_GetArrayItem(cJSON_GetObjectItem(m, "tool_calls"), 0);
        assert_string_equal(jstr(tc, "name"), "x'); DROP TABLE agents;--");
    }
    cJSON_Delete(ms);
    read_ctx g = {e.loop, 0, NULL, ""};
    e.s->v->call_get(e.s, tenant_a, sid, read_cb, &g);
    cJSON *call = await(e.loop, &g);
    assert_string_equal(jstr(call, "transcript"), evil[0]);
    assert_string_equal(jstr(call, "status"), "ended");
    cJSON_Delete(call);
    /* a filter value is a value too */
    hk_store_filter f = {.number = "' OR 1=1 --"};
    read_ctx l = {e.loop, 0, NULL, ""};
    e.s->v->calls_list(e.s, tenant_a, &f, read_cb, &l);
    cJSON *none = await(e.loop, &l);
    assert_int_equal(cJSON_GetArraySize(none), 0);
    cJSON_Delete(none);
    env_close(&e);
}

static int list_count(env *e, const hk_store_filter *f) {
    read_ctx r = {e->loop, 0, NULL, ""};
    e->s->v->calls_list(e->s, tenant_a, f, read_cb, &r);
    cJSON *l = await(e->loop, &r);
    int n = cJSON_GetArraySize(l);
    cJSON_Delete(l);
    return n;
}

static void test_filters_and_paging(void **state) {
    (void)state;
    env e;
    env_open(&e, "1:" K1, "spool6");
    const char *num = "+15559990000";
    double t0 = 1.7e9;
    for (int i = 0; i < 7; i++) {
        char sid[64];
        snprintf(sid, sizeof sid, "CAFILTER%d-%ld", i, (long)getpid());
        hk_store_call c = {.call_sid = sid, .tenant_id = tenant_a, .agent_id = i < 3 ? agent_a : NULL,
                           .from = num, .to = "+15550001111", .inbound = 1,
                           .status = i % 2 ? "ended" : "in-progress", .start_time = t0 + i * 60};
        hk_store_call_create(e.s, &c);
    }
    drain(e.loop, e.s, 10.);
    hk_store_filter f = {.number = num};
    assert_int_equal(list_count(&e, &f), 7);
    f.agent_id = agent_a;
    assert_int_equal(list_count(&e, &f), 3);
    f.agent_id = NULL, f.status = "ended";
    assert_int_equal(list_count(&e, &f), 3);
    f.status = NULL, f.since = t0 + 120, f.until = t0 + 300;
    assert_int_equal(list_count(&e, &f), 3);
    hk_store_filter pg1 = {.number = num, .limit = 4}, pg2 = {.number = num, .limit = 4, .offset = 4};
    assert_int_equal(list_count(&e, &pg1), 4);
    assert_int_equal(list_count(&e, &pg2), 3);
    read_ctx r = {e.loop, 0, NULL, ""};
    e.s->v->agents_list(e.s, tenant_a, read_cb, &r);
    cJSON *ag = await(e.loop, &r);
    assert_int_equal(cJSON_GetArraySize(ag), 1);
    assert_string_equal(jstr(cJSON_GetArrayItem(ag, 0), "name"), "front desk");
    cJSON_Delete(ag);
    read_ctx r2 = {e.loop, 0, NULL, ""};
    e.s->v->numbers_list(e.s, tenant_b, read_cb, &r2);
    cJSON *nb = await(e.loop, &r2);
    assert_int_equal(cJSON_GetArraySize(nb), 0); /* B sees none of A's numbers */
    cJSON_Delete(nb);
    env_close(&e);
}

static void test_rekey(void **state) {
    (void)state;
    env e;
    env_open(&e, "1:" K1, "spool7");
    char sid[64];
    new_call(e.s, tenant_a, agent_a, sid, "+15550005555", NULL);
    say(e.s, tenant_a, sid, 0, "user", "rotate me");
    hk_store_call_summary end = {.call_sid = sid, .tenant_id = tenant_a, .transcript = "rotate me too",
                                 .recording_url = "https://rec/rotate.wav", .cost_total = -1};
    hk_store_call_end(e.s, &end);
    drain(e.loop, e.s, 10.);
    hk_keyring both;
    keys(&both, "1:" K1 ",2:" K2);
    char err[256];
    long n = hk_rekey_run(e.raw, &both, stderr, err, sizeof err);
    assert_true(n >= 2);
    assert_int_equal(raw_long(e.raw, "SELECT count(*) FROM call_messages WHERE key_id <> 2", 0, NULL), 0);
    assert_int_equal(raw_long(e.raw, "SELECT count(*) FROM calls WHERE key_id <> 2", 0, NULL), 0);
    assert_int_equal(hk_rekey_run(e.raw, &both, stderr, err, sizeof err), 0); /* nothing left */
    hk_store_free(e.s);
    open_store(&e, "2:" K2, "spool7", 1); /* the old key is gone */
    read_ctx r = {e.loop, 0, NULL, ""};
    e.s->v->messages_list(e.s, tenant_a, sid, read_cb, &r);
    cJSON *ms = await(e.loop, &r);
    assert_string_equal(jstr(cJSON_GetArrayItem(ms, 0), "content"), "rotate me");
    cJSON_Delete(ms);
    read_ctx g = {e.loop, 0, NULL, ""};
    e.s->v->call_get(e.s, tenant_a, sid, read_cb, &g);
    cJSON *call = await(e.loop, &g);
    assert_string_equal(jstr(call, "transcript"), "rotate me too");
    assert_string_equal(jstr(call, "recording_url"), "https://rec/rotate.wav");
    cJSON_Delete(call);
    env_close(&e);
}

int main(void) {
    hk_log_init(getenv("HARK_LOG_LEVEL")); /* the test's own harness setting */
    int rc = pg_private_start();
    if (rc != 0) return rc;
    snprintf(spool_dir, sizeof spool_dir, "%s", getenv("HARK_TEST_TMP") ? getenv("HARK_TEST_TMP") : "/tmp");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrations),
        cmocka_unit_test(test_call_rows_as_it_goes),
        cmocka_unit_test(test_tenant_isolation),
        cmocka_unit_test(test_outage_mid_call),
        cmocka_unit_test(test_outage_in_flight),
        cmocka_unit_test(test_spool_outlives_process),
        cmocka_unit_test(test_injection_verbatim),
        cmocka_unit_test(test_filters_and_paging),
        cmocka_unit_test(test_rekey),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
