/* cli/admin_db: see admin_db.h. */
#include "cli/admin_db.h"

#include <stdio.h>
#include <string.h>

#include "store/migrate.h"

PGconn *hk_admin_db(const char *cmd, const hk_config *cfg, int *rc) {
    const char *store = hk_config_str(cfg, HK_CFG_HARK_STORE);
    if (store && strcmp(store, "memory") == 0) {
        fprintf(stderr, "hark %s: HARK_STORE=memory keeps accounts inside one process: this command "
                "needs PostgreSQL (unset HARK_STORE, set DATABASE_URL or use the private cluster)\n", cmd);
        *rc = 2;
        return NULL;
    }
    char err[1024];
    PGconn *pg = hk_db_connect(cfg, err, sizeof err);
    if (!pg) {
        fprintf(stderr, "hark %s: %s\n", cmd, err);
        *rc = 1;
    }
    return pg;
}

PGresult *hk_admin_exec(PGconn *pg, const char *cmd, const char *sql, int n, const char *const *params) {
    PGresult *r = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) return r;
    const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    fprintf(stderr, "hark %s: %s (did `hark migrate` run?)\n", cmd, msg ? msg : PQerrorMessage(pg));
    PQclear(r);
    return NULL;
}
