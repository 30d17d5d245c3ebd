/* store/migrate: the database side of the one-shot commands (`hark migrate`,
 * `hark rekey`): finding the database (DATABASE_URL, else the embedded
 * cluster of scripts/pg), applying schema/NNN_*.sql, re-encrypting under the
 * newest key. These block (plain PQexec): they run before or beside a server,
 * never on a loop that serves calls. */
#ifndef HK_STORE_MIGRATE_H
#define HK_STORE_MIGRATE_H

#include <libpq-fe.h>
#include <stdio.h>

#include "store/crypto.h"

/* The DATABASE_URL setting of cfg when set, else `scripts/pg start`
 * (HARK_PG_PORT honoured by the script) and the URL it prints. Returns 0 or
 * -1 with err. */
int hk_db_url(const struct hk_config *cfg, char *out, size_t cap, char *err, size_t errlen);
/* Connect (blocking) to the database hk_db_url names. NULL with err. */
PGconn *hk_db_connect(const struct hk_config *cfg, char *err, size_t errlen);

/* Apply the pending migrations of dir in order, each in its own transaction,
 * recorded in schema_migrations with its SHA-256. Refuses (nothing applied)
 * when the numbering is broken, or an applied migration's file changed or is
 * gone. Progress lines go to out. Returns the number applied, or -1 with err. */
int hk_migrate_run(PGconn *pg, const char *dir, FILE *out, char *err, size_t errlen);

/* Re-encrypt every sealed value not under kr->newest. Returns the number of
 * rows rewritten, or -1 with err. */
long hk_rekey_run(PGconn *pg, const hk_keyring *kr, FILE *out, char *err, size_t errlen);

#endif
