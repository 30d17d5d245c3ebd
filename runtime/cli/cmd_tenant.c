/* cli/cmd_tenant: `hark tenant create NAME` (prints the new tenant's id) and
 * `hark tenant list`. Exit: 0 done, 1 database error, 2 usage or
 * HARK_STORE=memory. */
#include <stdio.h>
#include <string.h>

#include "cli/admin_db.h"
#include "cli/cli.h"

static int usage(FILE *out, int rc) {
    fprintf(out, "usage: hark tenant create NAME   prints the new tenant's id\n"
                 "       hark tenant list          id, created, name\n\n"
                 "database: DATABASE_URL, or hark's private PostgreSQL (run `hark migrate` first)\n");
    return rc;
}

int hk_cmd_tenant(int argc, char **argv, const hk_config *cfg) {
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) return usage(stdout, 0);
    int create = argc == 3 && strcmp(argv[1], "create") == 0;
    int list = argc == 2 && strcmp(argv[1], "list") == 0;
    if (!create && !list) return usage(stderr, 2);
    if (create && (!argv[2][0] || strlen(argv[2]) > 200)) {
        fprintf(stderr, "hark tenant: the name must be 1 to 200 characters\n");
        return 2;
    }
    int rc = 0;
    PGconn *pg = hk_admin_db("tenant", cfg, &rc);
    if (!pg) return rc;
    PGresult *r;
    if (create) {
        const char *p[1] = {argv[2]};
        r = hk_admin_exec(pg, "tenant", "INSERT INTO tenants (name) VALUES ($1) RETURNING id::text", 1, p);
        if (r) printf("%s\n", PQgetvalue(r, 0, 0));
    } else {
        r = hk_admin_exec(pg, "tenant", "SELECT id::text, to_char(created_at AT TIME ZONE 'UTC', "
                          "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), name FROM tenants ORDER BY created_at", 0, NULL);
        for (int i = 0; r && i < PQntuples(r); i++)
            printf("%s  %s  %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
    }
    rc = r ? 0 : 1;
    PQclear(r);
    PQfinish(pg);
    return rc;
}
