/* cli/cmd_migrate: `hark migrate`. Applies the pending numbered migrations of
 * schema/ to the database (DATABASE_URL, else the embedded cluster that
 * scripts/pg starts), each in a transaction, recorded with its checksum in
 * schema_migrations; refuses when an applied file changed. The work is in
 * store/migrate.c. Exit: 0 done (or nothing to do), 1 refused or failed. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/migrate.h"

int hk_cmd_migrate(int argc, char **argv, const hk_config *cfg) {
    const char *dir = HARK_SOURCE_DIR "/schema";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            printf("usage: hark migrate [--dir schema/]\n\n"
                   "Applies the numbered SQL migrations (NNN_name.sql) not yet applied, in order,\n"
                   "each in its own transaction, and records them (with a SHA-256 checksum) in\n"
                   "schema_migrations. Running it again does nothing. Refuses to run when an\n"
                   "applied migration's file has changed or is missing.\n\n"
                   "database: DATABASE_URL, or without it hark's private PostgreSQL\n"
                   "(scripts/pg start; port HARK_PG_PORT, default 54329).\n");
            return 0;
        }
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else {
            fprintf(stderr, "hark migrate: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    char err[1024];
    PGconn *pg = hk_db_connect(cfg, err, sizeof err);
    if (!pg) {
        fprintf(stderr, "hark migrate: %s\n", err);
        return 1;
    }
    int n = hk_migrate_run(pg, dir, stdout, err, sizeof err);
    PQfinish(pg);
    if (n < 0) {
        fprintf(stderr, "hark migrate: %s\n", err);
        return 1;
    }
    return 0;
}
