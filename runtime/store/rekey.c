/* store/rekey: `hark rekey`'s work: move every sealed value to the newest data
 * key, in batches of one transaction each, walking rows in key order so a
 * value that cannot be opened (its key is not in HARK_DATA_KEY) is reported
 * once and skipped rather than looped on. An update applies only if the row
 * still has the key it was read with, so it races safely with live writes.
 * A call's search words (search_words.h) are hashed again under the newest
 * key with its transcript. */
#include <stdlib.h>
#include <string.h>

#include "store/migrate.h"
#include "store/search_words.h"

#define BATCH "500"

/* Re-seal one bytea column value (hex text form) for the newest key; *out is
 * malloc'ed (NULL for SQL NULL). Returns length, -1 when it does not open.
 * words: when not NULL, the search index of the plain text under the newest
 * key (search_words.h), as an array literal (malloc'ed; NULL for SQL NULL). */
static int reseal(const hk_keyring *kr, int kid, const char *tenant, const char *column,
                  const char *row, PGresult *r, int i, int col, uint8_t **out, char **words) {
    *out = NULL;
    if (words) *words = NULL;
    if (PQgetisnull(r, i, col)) return 0;
    size_t n = 0;
    uint8_t *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, i, col), &n);
    if (!raw) return -1;
    char aad[256];
    uint8_t *plain = malloc(n + 1);
    if (!plain) abort();
    hk_seal_aad(aad, sizeof aad, tenant, column, row);
    int len = hk_open(kr, kid, aad, raw, n, plain);
    PQfreemem(raw);
    if (len < 0) {
        free(plain);
        return -1;
    }
    *out = malloc((size_t)len + HK_SEAL_OVERHEAD);
    if (!*out) abort();
    int sl = hk_seal(kr, kr->newest, aad, plain, (size_t)len, *out);
    if (words) {
        /* a call's words are hashed under the key that seals its transcript */
        char *text = malloc((size_t)len + 1);
        int64_t *h = malloc(HK_SEARCH_CALL_WORDS * sizeof *h);
        if (!text || !h) abort();
        memcpy(text, plain, (size_t)len);
        text[len] = 0;
        int n = hk_search_hashes(kr, kr->newest, tenant, text, h, HK_SEARCH_CALL_WORDS);
        memset(text, 0, (size_t)len);
        free(text);
        *words = hk_search_array_text(h, n);
        free(h);
        if (!*words) abort();
    }
    memset(plain, 0, (size_t)len);
    free(plain);
    return sl;
}

typedef struct table_spec {
    const char *select, *update, *table;
    const char *cols[2];
    int ncols;
} table_spec;

static const table_spec tables[] = {
    {"SELECT id::text, tenant_id::text, key_id, content FROM call_messages "
     "WHERE key_id <> $1::int AND id::text > $2 ORDER BY id::text LIMIT " BATCH,
     "UPDATE call_messages SET key_id = $1::int, content = $2::bytea "
     "WHERE id = $4::uuid AND key_id = $5::int",
     "call_messages", {"content", NULL}, 1},
    {"SELECT call_sid, tenant_id::text, key_id, transcript, recording_url FROM calls "
     "WHERE key_id <> $1::int AND call_sid > $2 ORDER BY call_sid LIMIT " BATCH,
     "UPDATE calls SET key_id = $1::int, transcript = $2::bytea, recording_url = $3::bytea, "
     "words = CASE WHEN $2::bytea IS NULL THEN words ELSE $6::bigint[] END "
     "WHERE call_sid = $4 AND key_id = $5::int",
     "calls", {"transcript", "recording_url"}, 2},
};

static long rekey_table(PGconn *pg, const hk_keyring *kr, const table_spec *t, FILE *out,
                        char *err, size_t errlen) {
    char newest[16], after[128] = "";
    snprintf(newest, sizeof newest, "%d", kr->newest);
    long moved = 0, skipped = 0;
    for (;;) {
        const char *sv[2] = {newest, after};
        PGresult *r = PQexecParams(pg, t->select, 2, NULL, sv, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            snprintf(err, errlen, "%s: %s", t->table, PQresultErrorMessage(r));
            PQclear(r);
            return -1;
        }
        int n = PQntuples(r);
        if (n == 0) {
            PQclear(r);
            break;
        }
        PQclear(PQexec(pg, "BEGIN"));
        for (int i = 0; i < n; i++) {
            const char *row = PQgetvalue(r, i, 0), *tenant = PQgetvalue(r, i, 1);
            const char *kid = PQgetvalue(r, i, 2);
            uint8_t *v[2] = {NULL, NULL};
            char *words = NULL; /* the transcript's search index (calls) */
            int len[2] = {0, 0}, ok = 1;
            for (int c = 0; c < t->ncols && ok; c++) {
                char column[96];
                snprintf(column, sizeof column, "%s.%s", t->table, t->cols[c]);
                int is_transcript = !strcmp(t->cols[c], "transcript");
                len[c] = reseal(kr, atoi(kid), tenant, column, row, r, i, 3 + c, &v[c],
                                is_transcript ? &words : NULL);
                ok = len[c] >= 0;
            }
            if (!ok) {
                fprintf(out, "skipped %s %s: sealed with key %s, which HARK_DATA_KEY lacks (or "
                        "the value is damaged)\n", t->table, row, kid);
                skipped++;
            } else {
                const char *uv[6] = {newest, (char *)v[0], (char *)v[1], row, kid, words};
                int ul[6] = {0, len[0], len[1], 0, 0, 0}, uf[6] = {0, 1, 1, 0, 0, 0};
                /* bytea; $3 and $6 (int8[]) are unused for messages */
                const Oid ty[6] = {0, 17, 17, 0, 0, 1016};
                PGresult *u = PQexecParams(pg, t->update, 6, ty, uv, ul, uf, 0);
                if (PQresultStatus(u) != PGRES_COMMAND_OK) {
                    snprintf(err, errlen, "%s %s: %s", t->table, row, PQresultErrorMessage(u));
                    ok = -1;
                } else {
                    moved += atol(PQcmdTuples(u));
                }
                PQclear(u);
            }
            free(v[0]), free(v[1]), free(words);
            if (ok < 0) {
                PQclear(PQexec(pg, "ROLLBACK"));
                PQclear(r);
                return -1;
            }
            if (i == n - 1) snprintf(after, sizeof after, "%s", row);
        }
        PQclear(PQexec(pg, "COMMIT"));
        PQclear(r);
    }
    fprintf(out, "%s: %ld row(s) now under key %d%s\n", t->table, moved, kr->newest,
            skipped ? " (some skipped, see above)" : "");
    return moved;
}

long hk_rekey_run(PGconn *pg, const hk_keyring *kr, FILE *out, char *err, size_t errlen) {
    if (kr->n == 0 || kr->newest == 0) {
        snprintf(err, errlen, "no HARK_DATA_KEY: nothing to re-encrypt under");
        return -1;
    }
    long total = 0;
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        long n = rekey_table(pg, kr, &tables[i], out, err, errlen);
        if (n < 0) return -1;
        total += n;
    }
    return total;
}
