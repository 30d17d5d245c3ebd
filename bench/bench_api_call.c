/* bench/bench_api_call: API latency of Vapi's /call reads over real HTTP
 * with the PostgreSQL store (issue 11's numbers; not pass/fail): p50/p99/max
 * of GET /call/{id} and GET /call?limit=100 with N calls stored (default
 * 100,000) of one tenant, every call with 8 messages. The calls and their
 * messages are bulk-inserted with SQL (messages of the older calls in the
 * clear, key 0); the newest 1,000 calls' messages are written through the
 * store, sealed, so the calls the requests read are decrypted like real ones.
 * A hark HTTP server with the REST routes runs its loop on a thread; curl,
 * keep-alive, is the client on the main thread.
 * Uses DATABASE_URL if set (it must be migrated and disposable), else starts a
 * private cluster with scripts/pg on HARK_PG_PORT (default 54399) in a temp
 * dir and removes it after. Usage: bench_api_call [calls (default 100000)] */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <ev.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/apikey.h"
#include "api/app.h"
#include "api/routes.h"
#include "core/config.h"
#include "core/log.h"
#include "core/pool.h"
#include "net/http_server.h"
#include "store/crypto.h"
#include "store/migrate.h"
#include "store/search_words.h"
#include "store/store.h"

#define SEALED 1000 /* newest calls whose messages go through the store */

static char tenant[64];
static struct ev_loop *loop;
static ev_async stop_w;

static void sql(PGconn *pg, const char *q, int n, const char *const *vals) {
    PGresult *r = PQexecParams(pg, q, n, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "bench_api_call: %s: %s", q, PQresultErrorMessage(r));
        exit(1);
    }
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) && PQnfields(r) == 1 && !tenant[0])
        snprintf(tenant, sizeof tenant, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
}

static void on_stop(struct ev_loop *l, ev_async *w, int revents) {
    (void)w, (void)revents;
    ev_break(l, EVBREAK_ALL);
}

static void *loop_main(void *arg) {
    (void)arg;
    ev_run(loop, 0);
    return NULL;
}

static size_t sink(char *p, size_t sz, size_t n, void *ud) {
    (void)p, (void)ud;
    return sz * n;
}

static size_t keep(char *p, size_t sz, size_t n, void *ud) {
    char **buf = ud;
    size_t old = *buf ? strlen(*buf) : 0;
    *buf = realloc(*buf, old + sz * n + 1);
    memcpy(*buf + old, p, sz * n);
    (*buf)[old + sz * n] = 0;
    return sz * n;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* n GETs of path (or of "/call/" + ids[i % nids]); prints p50/p99/max */
static void measure(CURL *c, int port, const char *label, const char *path, char ids[][40],
                    int nids, int n) {
    double *ms = malloc((size_t)n * sizeof *ms);
    char url[256];
    long bad = 0;
    for (int i = 0; i < n; i++) {
        if (path) snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
        else snprintf(url, sizeof url, "http://127.0.0.1:%d/call/%s", port, ids[(i * 7919) % nids]);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
        double t0 = ev_time();
        long status = 0;
        if (curl_easy_perform(c) != CURLE_OK) bad++;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        ms[i] = (ev_time() - t0) * 1e3;
        if (status != 200) bad++;
    }
    qsort(ms, (size_t)n, sizeof *ms, cmp);
    printf("%-36s %d requests: p50 %.2f ms, p99 %.2f ms, max %.2f ms%s\n", label, n, ms[n / 2],
           ms[n * 99 / 100], ms[n - 1], bad ? " (SOME FAILED)" : "");
    free(ms);
}

/* The search index (store/search_words.h) of every call, as the store
 * writes it when a call ends: 30 words of a 2,000-word vocabulary hashed
 * under the bench's data key; "hello" in every call, "table" in one of 10,
 * "zanzibar" in one of 10,000. */
#define VOCAB 2000
static void search_words(PGconn *pg, int ncalls) {
    hk_keyring kr;
    char err[128], word[32];
    hk_keyring_parse(&kr, "1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                     err, sizeof err);
    static int64_t vocab[VOCAB];
    for (int i = 0; i < VOCAB; i++) {
        if (i == 0) snprintf(word, sizeof word, "hello");
        else if (i == 1) snprintf(word, sizeof word, "table");
        else if (i == 2) snprintf(word, sizeof word, "zanzibar");
        else snprintf(word, sizeof word, "word%d", i);
        hk_search_hashes(&kr, 1, tenant, word, &vocab[i], 1);
    }
    char *arr = hk_search_array_text(vocab, VOCAB);
    char n_text[16];
    snprintf(n_text, sizeof n_text, "%d", ncalls);
    const char *p[] = {tenant, n_text, arr};
    double t0 = ev_time();
    sql(pg, "UPDATE calls c SET words = w.words FROM (SELECT i, ARRAY(SELECT DISTINCT v FROM unnest("
            "ARRAY[($3::bigint[])[1]] || CASE WHEN i % 10 = 0 THEN ARRAY[($3::bigint[])[2]] ELSE '{}' END "
            "|| CASE WHEN i % 10000 = 0 THEN ARRAY[($3::bigint[])[3]] ELSE '{}' END "
            "|| ARRAY(SELECT ($3::bigint[])[4 + (i * 7919 + k * 104729) % 1997] "
            "FROM generate_series(1, 27) k)) v) AS words FROM generate_series(1, $2::int) i) w "
            "WHERE c.tenant_id = $1::uuid AND c.call_sid = 'CAbench' || w.i",
        3, p);
    free(arr);
    sql(pg, "VACUUM ANALYZE calls", 0, NULL);
    printf("indexed the words of %d calls in %.1f s\n", ncalls, ev_time() - t0);
}

/* the number of calls a list answers (once, to show what was measured) */
static void show_count(CURL *c, int port, const char *path) {
    char url[512], *body = NULL;
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_perform(c);
    cJSON *list = body ? cJSON_Parse(body) : NULL;
    printf("  %s: %d calls\n", path, cJSON_IsArray(list) ? cJSON_GetArraySize(list) : -1);
    if (!cJSON_IsArray(list)) printf("  %.300s\n", body ? body : "(no answer)");
    cJSON_Delete(list);
    free(body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, NULL);
}

int main(int argc, char **argv) {
    hk_log_set_level(HK_LOG_ERROR);
    int ncalls = argc > 1 ? atoi(argv[1]) : 100000;
    if (ncalls < SEALED) ncalls = SEALED;
    char err[512], url[1024], dir[64] = "";
    if (!getenv("DATABASE_URL")) {
        snprintf(dir, sizeof dir, "/tmp/hark-bench-pg-XXXXXX");
        if (!mkdtemp(dir)) return 1;
        setenv("HARK_PG_DIR", dir, 1);
        if (!getenv("HARK_PG_PORT")) setenv("HARK_PG_PORT", "54399", 1);
    }
    hk_config cfg;
    if (hk_config_load(&cfg, NULL, err, sizeof err) != 0 ||
        hk_db_url(&cfg, url, sizeof url, err, sizeof err) != 0) {
        fprintf(stderr, "bench_api_call: %s\n", err);
        return 1;
    }
    PGconn *pg = PQconnectdb(url);
    if (PQstatus(pg) != CONNECTION_OK ||
        hk_migrate_run(pg, HARK_SOURCE_DIR "/schema", stderr, err, sizeof err) < 0) {
        fprintf(stderr, "bench_api_call: %s %s\n", PQerrorMessage(pg), err);
        return 1;
    }
    PQclear(PQexec(pg, "SET client_min_messages = warning"));
    sql(pg, "INSERT INTO tenants (name) VALUES ('bench-calls') RETURNING id", 0, NULL);
    char n_text[16];
    snprintf(n_text, sizeof n_text, "%d", ncalls);
    double t0 = ev_time();
    const char *p3[] = {tenant, n_text};
    /* call i started i seconds before now - ncalls s: the highest i is the oldest */
    sql(pg, "INSERT INTO calls (call_sid, tenant_id, from_number, to_number, inbound, status, "
            "start_time, end_time, duration_s, ended_reason, created_at, updated_at) "
            "SELECT 'CAbench' || i, $1::uuid, '+15550001111', '+15550002222', true, 'ended', "
            "now() - make_interval(secs => i * 60), now() - make_interval(secs => i * 60 - 45), "
            "(i * 7) % 600, CASE WHEN i % 10 = 0 THEN 'silence-timed-out' "
            "WHEN i % 50 = 1 THEN 'pipeline-error-openai-llm-failed' ELSE 'customer-ended-call' END, "
            "now() - make_interval(secs => i * 60), "
            "now() - make_interval(secs => i * 60 - 45) FROM generate_series(1, $2::int) i",
        2, p3);
    search_words(pg, ncalls);
    sql(pg, "INSERT INTO call_messages (id, call_sid, tenant_id, seq, role, key_id, content, ts) "
            "SELECT gen_random_uuid(), 'CAbench' || i, $1::uuid, s, "
            "CASE WHEN s % 2 = 0 THEN 'assistant' ELSE 'user' END, 0, "
            "convert_to('words of turn ' || s || ' of an older call', 'UTF8'), now() "
            "FROM generate_series(1001, $2::int) i, generate_series(0, 7) s",
        2, p3);
    sql(pg, "ANALYZE calls", 0, NULL);
    sql(pg, "ANALYZE call_messages", 0, NULL);
    printf("stored %d calls, %d messages in %.1f s (bulk SQL)\n", ncalls, (ncalls - SEALED) * 8,
           ev_time() - t0);

    hk_keyring keys;
    hk_keyring_parse(&keys, "1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                     err, sizeof err);
    loop = ev_default_loop(0);
    hk_pool *pool = hk_pool_new(loop, 2);
    hk_store_pg_opts o = {.loop = loop, .conninfo = url, .connections = 4, .pool = pool,
                          .keys = &keys, .spool_path = "/tmp/hark-bench-api-call-spool"};
    unlink(o.spool_path);
    hk_store *s = hk_store_pg_new(&o, err, sizeof err);
    if (!s) {
        fprintf(stderr, "bench_api_call: %s\n", err);
        return 1;
    }
    while (hk_store_pg_connected(s) < 4) ev_run(loop, EVRUN_ONCE);
    /* the newest calls' messages, sealed, through the store */
    t0 = ev_time();
    static const char *words[8] = {"Hello, this is the bakery.", "Hi, I'd like a table for two.",
                                   "For what time?", "Seven tonight, please.",
                                   "Seven works. May I have a name?", "Alex.",
                                   "Booked, Alex: two at seven.", "Thanks, bye."};
    for (int i = 1; i <= SEALED; i++) {
        char sid[32];
        snprintf(sid, sizeof sid, "CAbench%d", i);
        for (int k = 0; k < 8; k++) {
            hk_store_message m = {.call_sid = sid, .tenant_id = tenant, .seq = k,
                                  .role = k % 2 ? "user" : "assistant", .content = words[k],
                                  .confidence = -1, .user_end_ms = k % 2 ? -1 : 1000.0 * k,
                                  .stt_final_ms = -1, .llm_first_token_ms = -1,
                                  .tts_first_audio_ms = -1, .first_frame_ms = k % 2 ? -1 : 1000.0 * k + 700};
            hk_store_message_add(s, &m);
        }
    }
    while (hk_store_pending(s) > 0) ev_run(loop, EVRUN_ONCE);
    printf("sealed %d messages of the newest %d calls through the store in %.1f s\n", SEALED * 8,
           SEALED, ev_time() - t0);

    /* an API key, and the newest calls' ids */
    char key[HK_APIKEY_LEN + 1], prefix[HK_APIKEY_PREFIX_LEN + 1], hex[65];
    uint8_t hash[32];
    hk_apikey_new(key, prefix, hash);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", hash[i]);
    const char *pk[] = {tenant, prefix, hex};
    sql(pg, "INSERT INTO api_keys (tenant_id, key_prefix, key_hash) VALUES ($1::uuid, $2, "
            "decode($3, 'hex'))", 3, pk);
    static char ids[SEALED][40];
    const char *pt[] = {tenant};
    PGresult *r = PQexecParams(pg, "SELECT id::text FROM calls WHERE tenant_id = $1::uuid ORDER BY "
                                   "created_at DESC LIMIT 1000", 1, NULL, pt, NULL, NULL, 0);
    int nids = PQntuples(r);
    for (int i = 0; i < nids; i++) snprintf(ids[i], sizeof ids[i], "%s", PQgetvalue(r, i, 0));
    PQclear(r);

    hk_config_set(&cfg, HK_CFG_HARK_API_RATE_PER_SECOND, "0"); /* one client, as fast as it can */
    hk_app app = {.loop = loop, .store = s, .cfg = &cfg};
    hk_server_handlers h = {.ud = &app, .http = hk_routes_http, .ws_open = hk_routes_ws_open,
                            .ws_text = hk_routes_ws_text, .ws_closed = hk_routes_ws_closed};
    hk_server *srv = hk_server_new(loop, 0, 0, &h, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "bench_api_call: server: %s\n", err);
        return 1;
    }
    ev_async_init(&stop_w, on_stop);
    ev_async_start(loop, &stop_w);
    pthread_t th;
    pthread_create(&th, NULL, loop_main, NULL);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *c = curl_easy_init();
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
    struct curl_slist *hd = curl_slist_append(NULL, auth);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    int port = hk_server_port(srv);
    /* check the answer once: 100 calls, the newest first, its 8 messages */
    char *body = NULL, first[128];
    snprintf(first, sizeof first, "http://127.0.0.1:%d/call?limit=100", port);
    curl_easy_setopt(c, CURLOPT_URL, first);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_perform(c);
    cJSON *list = body ? cJSON_Parse(body) : NULL;
    cJSON *top = cJSON_GetArrayItem(list, 0);
    printf("GET /call?limit=100: %d calls, the newest with %d messages, %zu bytes\n",
           cJSON_GetArraySize(list), cJSON_GetArraySize(cJSON_GetObjectItem(top, "messages")),
           body ? strlen(body) : 0);
    cJSON_Delete(list);
    free(body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, NULL);
    measure(c, port, "GET /call/{id}", NULL, ids, nids, 2000);
    measure(c, port, "GET /call?limit=100", "/call?limit=100", NULL, 0, 200);
    measure(c, port, "GET /call?createdAtLt (none)", "/call?limit=100&createdAtLt=2020-01-01", NULL, 0, 200);
    /* the dashboard's history: hark's filters, search and keyset paging */
    char deep[160], tmp[64];
    hk_store_time_iso(ev_time() - 60.0 * ncalls / 2, tmp);
    snprintf(deep, sizeof deep, "/call?limit=100&createdAtLt=%s", tmp);
    const char *const lists[][2] = {
        {"endedReason (10%)", "/call?limit=100&endedReason=silence-timed-out"},
        {"endedReason (2%)", "/call?limit=100&endedReason=pipeline-error-openai-llm-failed"},
        {"durationGe/Le (17%)", "/call?limit=100&durationGe=300&durationLe=400"},
        {"q common (100%)", "/call?limit=100&q=hello"},
        {"q 10%", "/call?limit=100&q=table"},
        {"q rare (0.01%)", "/call?limit=100&q=zanzibar"},
        {"q none", "/call?limit=100&q=nosuchword"},
        {"q 2 words", "/call?limit=100&q=hello%20table"},
        {"q + endedReason", "/call?limit=100&q=table&endedReason=silence-timed-out"},
        {"q + durationGe", "/call?limit=100&q=table&durationGe=590"},
        {"page at the middle", deep},
        {NULL, NULL}};
    for (int i = 0; lists[i][0]; i++) {
        show_count(c, port, lists[i][1]);
        char label[64];
        snprintf(label, sizeof label, "GET /call %s", lists[i][0]);
        measure(c, port, label, lists[i][1], NULL, 0, 100);
    }
    char ov[160];
    hk_store_time_iso(ev_time() - 30 * 86400.0, tmp);
    snprintf(ov, sizeof ov, "/api/v1/overview?from=%.10s", tmp);
    measure(c, port, "GET /api/v1/overview today", "/api/v1/overview", NULL, 0, 100);
    measure(c, port, "GET /api/v1/overview 30 d", ov, NULL, 0, 50);
    curl_slist_free_all(hd);
    curl_easy_cleanup(c);

    ev_async_send(loop, &stop_w);
    pthread_join(th, NULL);
    hk_server_free(srv);
    hk_store_free(s);
    hk_pool_free(pool);
    hk_config_free(&cfg);
    PQfinish(pg);
    unlink(o.spool_path);
    if (dir[0]) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, HARK_SOURCE_DIR "/scripts/pg stop --purge >/dev/null");
        if (system(cmd) != 0) fprintf(stderr, "bench_api_call: scripts/pg stop failed\n");
        rmdir(dir);
    }
    return 0;
}
