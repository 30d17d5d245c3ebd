/* cli/admin_db: the database of the account commands (`hark tenant`, `hark
 * key`, `hark user`): PostgreSQL only (DATABASE_URL or the private cluster);
 * with HARK_STORE=memory they would create nothing any server could see,
 * so they refuse. Blocking: these commands never run on a serving loop. */
#ifndef HK_ADMIN_DB_H
#define HK_ADMIN_DB_H

#include <libpq-fe.h>

#include "core/config.h"

/* The connection, or NULL after printing why ("hark <cmd>: ..."); *rc is
 * then the exit code (2: HARK_STORE=memory, 1: no database). */
PGconn *hk_admin_db(const char *cmd, const hk_config *cfg, int *rc);
/* Run sql with n text params; NULL after printing the error. */
PGresult *hk_admin_exec(PGconn *pg, const char *cmd, const char *sql, int n, const char *const *params);

#endif
