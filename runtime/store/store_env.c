/* store/store_env: the store a server opens from its settings (environment
 * and .env, one hk_config), so every command makes the same choice:
 * HARK_STORE=memory, else PostgreSQL at
 * DATABASE_URL or, without it, the embedded cluster (scripts/pg start: a
 * blocking step, done once at startup before the loop serves calls). Keys from
 * HARK_DATA_KEY: refuses in production without one. Spool at HARK_SPOOL_PATH,
 * default var/store-spool.jsonl (its directory is created). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/config.h"
#include "store/crypto.h"
#include "store/migrate.h"
#include "store/store.h"

hk_store *hk_store_from_env(const hk_config *cfg, struct ev_loop *loop, struct hk_pool *pool,
                            char *err, size_t errlen) {
    const char *kind = hk_config_str(cfg, HK_CFG_HARK_STORE);
    if (kind && strcmp(kind, "memory") == 0) return hk_store_memory_new();
    if (kind && *kind && strcmp(kind, "postgres") != 0) {
        snprintf(err, errlen, "HARK_STORE must be memory or postgres, not '%s'", kind);
        return NULL;
    }
    hk_keyring kr;
    if (hk_keyring_from_env(cfg, &kr, err, errlen) != 0) return NULL;
    char url[1024];
    if (hk_db_url(cfg, url, sizeof url, err, errlen) != 0) {
        hk_keyring_wipe(&kr);
        return NULL;
    }
    const char *spool = hk_config_str(cfg, HK_CFG_HARK_SPOOL_PATH);
    if (!spool || !*spool) {
        if (mkdir("var", 0700) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "var/: %s (set HARK_SPOOL_PATH)", strerror(errno));
            hk_keyring_wipe(&kr);
            return NULL;
        }
        spool = "var/store-spool.jsonl";
    }
    hk_store_pg_opts o = {.loop = loop, .conninfo = url, .pool = pool, .keys = &kr,
                          .spool_path = spool};
    hk_store *s = hk_store_pg_new(&o, err, errlen);
    hk_keyring_wipe(&kr);
    return s;
}
