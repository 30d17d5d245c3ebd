/* store/migrate: schema migrations and finding the database. See migrate.h.
 * A migration is schema/NNN_name.sql, numbered from 001 without gaps; once
 * applied its checksum is recorded and the file must never change (a change
 * means the databases in the field differ from the tree: refuse, loudly).
 * One advisory lock ("hark" = 1751216747) serialises concurrent migrators (two hark nodes booting). */
#include "store/migrate.h"

#include <dirent.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

#define MAX_MIGRATIONS 512

typedef struct migration {
    int version;
    char name[256];
    char sum[65];
    char *sql;
} migration;

int hk_db_url(const hk_config *cfg, char *out, size_t cap, char *err, size_t errlen) {
    const char *url = hk_config_str(cfg, HK_CFG_DATABASE_URL);
    if (url && *url) {
        snprintf(out, cap, "%s", url);
        return 0;
    }
    FILE *p = popen(HARK_SOURCE_DIR "/scripts/pg start", "r");
    if (!p) {
        snprintf(err, errlen, "cannot run scripts/pg");
        return -1;
    }
    out[0] = 0;
    char *ok = fgets(out, (int)cap, p);
    int rc = pclose(p);
    if (!ok || rc != 0) {
        snprintf(err, errlen, "no DATABASE_URL and the embedded PostgreSQL did not start "
                 "(scripts/pg start exited %d)", rc);
        return -1;
    }
    out[strcspn(out, "\r\n")] = 0;
    return 0;
}

PGconn *hk_db_connect(const hk_config *cfg, char *err, size_t errlen) {
    char url[1024];
    if (hk_db_url(cfg, url, sizeof url, err, errlen) != 0) return NULL;
    PGconn *pg = PQconnectdb(url);
    if (PQstatus(pg) != CONNECTION_OK) {
        snprintf(err, errlen, "connect: %s", PQerrorMessage(pg));
        err[strcspn(err, "\n")] = 0;
        PQfinish(pg);
        return NULL;
    }
    PQclear(PQexec(pg, "SET client_min_messages = warning"));
    return pg;
}

static char *read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) buf[len] = 0, *n = (size_t)len;
    return buf;
}

static void sha256_hex(const char *data, size_t n, char out[65]) {
    unsigned char md[32];
    unsigned int len = 0;
    EVP_Digest(data, n, md, &len, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int cmp_name(const void *a, const void *b) {
    return strcmp(((const migration *)a)->name, ((const migration *)b)->name);
}

static int load_dir(const char *dir, migration *m, int *count, char *err, size_t errlen) {
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot open %s", dir);
        return -1;
    }
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len <= 4 || len >= sizeof m->name || strcmp(de->d_name + len - 4, ".sql")) continue;
        if (n == MAX_MIGRATIONS) break;
        memset(&m[n], 0, sizeof m[n]);
        memcpy(m[n].name, de->d_name, len + 1);
        n++;
    }
    closedir(d);
    qsort(m, (size_t)n, sizeof *m, cmp_name);
    *count = n;
    for (int i = 0; i < n; i++) {
        m[i].version = atoi(m[i].name);
        if (m[i].version != i + 1) {
            snprintf(err, errlen, "%s: expected number %03d (numbering must start at 001 with no "
                     "gaps or duplicates)", m[i].name, i + 1);
            return -1;
        }
        char path[4096];
        size_t len = 0;
        snprintf(path, sizeof path, "%s/%s", dir, m[i].name);
        m[i].sql = read_file(path, &len);
        if (!m[i].sql) {
            snprintf(err, errlen, "cannot read %s", path);
            return -1;
        }
        sha256_hex(m[i].sql, len, m[i].sum);
    }
    return 0;
}

static int exec_ok(PGconn *pg, const char *sql, char *err, size_t errlen) {
    PGresult *r = PQexec(pg, sql);
    int st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok) snprintf(err, errlen, "%s", PQresultErrorMessage(r));
    PQclear(r);
    return ok ? 0 : -1;
}

static int apply(PGconn *pg, const migration *m, char *err, size_t errlen) {
    char e2[512];
    if (exec_ok(pg, "BEGIN", err, errlen)) return -1;
    if (exec_ok(pg, m->sql, e2, sizeof e2)) {
        snprintf(err, errlen, "%s: %s", m->name, e2);
        exec_ok(pg, "ROLLBACK", e2, sizeof e2);
        return -1;
    }
    char ver[16];
    snprintf(ver, sizeof ver, "%d", m->version);
    const char *vals[3] = {ver, m->name, m->sum};
    PGresult *r = PQexecParams(pg, "INSERT INTO schema_migrations (version, name, checksum) "
                               "VALUES ($1::int, $2, $3)", 3, NULL, vals, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) snprintf(err, errlen, "%s: %s", m->name, PQresultErrorMessage(r));
    PQclear(r);
    if (!ok) {
        exec_ok(pg, "ROLLBACK", e2, sizeof e2);
        return -1;
    }
    return exec_ok(pg, "COMMIT", err, errlen);
}

int hk_migrate_run(PGconn *pg, const char *dir, FILE *out, char *err, size_t errlen) {
    migration *m = calloc(MAX_MIGRATIONS, sizeof *m);
    if (!m) abort();
    int n = 0, applied = -1, locked = 0;
    PGresult *r = NULL;
    if (load_dir(dir, m, &n, err, errlen)) goto done;
    if (exec_ok(pg, "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
                "name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL "
                "DEFAULT now())", err, errlen))
        goto done;
    if (exec_ok(pg, "SELECT pg_advisory_lock(1751216747)", err, errlen)) goto done;
    locked = 1;
    r = PQexec(pg, "SELECT version, name, checksum FROM schema_migrations ORDER BY version");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "%s", PQresultErrorMessage(r));
        goto done;
    }
    int have = PQntuples(r);
    char *done_v = calloc((size_t)n + 1, 1);
    if (!done_v) abort();
    /* check every applied migration before applying anything */
    for (int i = 0; i < have; i++) {
        int v = atoi(PQgetvalue(r, i, 0));
        const char *name = PQgetvalue(r, i, 1), *sum = PQgetvalue(r, i, 2);
        if (v < 1 || v > n) {
            snprintf(err, errlen, "applied migration %s is missing from %s: refusing to run",
                     name, dir);
            free(done_v);
            goto done;
        }
        if (strcmp(m[v - 1].sum, sum) != 0) {
            snprintf(err, errlen, "%s changed after it was applied (checksum %.12s... in the "
                     "database, %.12s... on disk): refusing to run; restore the file and put the "
                     "change in a new migration", m[v - 1].name, sum, m[v - 1].sum);
            free(done_v);
            goto done;
        }
        done_v[v] = 1;
    }
    applied = 0;
    for (int i = 0; i < n; i++) {
        if (done_v[i + 1]) continue;
        if (apply(pg, &m[i], err, errlen)) {
            applied = -1;
            break;
        }
        fprintf(out, "applied %s\n", m[i].name);
        applied++;
    }
    free(done_v);
    if (applied == 0) fprintf(out, "schema up to date (%d migration%s)\n", n, n == 1 ? "" : "s");
done:
    if (r) PQclear(r);
    if (locked) {
        char e2[256];
        exec_ok(pg, "SELECT pg_advisory_unlock(1751216747)", e2, sizeof e2);
    }
    for (int i = 0; i < n; i++) free(m[i].sql);
    free(m);
    return applied;
}
