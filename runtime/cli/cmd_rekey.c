/* cli/cmd_rekey: `hark rekey`. Re-encrypts message content, transcripts and
 * recording URLs sealed under an older data key with the newest key of
 * HARK_DATA_KEY ("id:key,id:key"; the highest id is the newest). Run it after
 * adding a key; drop the old key once it reports nothing skipped. The work is
 * in store/rekey.c. Exit: 0 done, 1 failed. */
#include <stdio.h>
#include <string.h>

#include "store/crypto.h"
#include "cli/cli.h"
#include "store/migrate.h"

int hk_cmd_rekey(int argc, char **argv, const hk_config *cfg) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            printf("usage: hark rekey\n\n"
                   "Re-encrypts every stored call record value under the newest key in\n"
                   "HARK_DATA_KEY (\"2:<new key>,1:<old key>\", keys as 64 hex digits or base64\n"
                   "of 32 bytes). Values whose key is not listed are reported and skipped.\n\n"
                   "database: DATABASE_URL, or hark's private PostgreSQL (scripts/pg).\n");
            return 0;
        }
        fprintf(stderr, "hark rekey: unknown option %s\n", argv[i]);
        return 2;
    }
    char err[1024] = "";
    hk_keyring kr;
    if (hk_keyring_from_env(cfg, &kr, err, sizeof err) != 0 || kr.n == 0) {
        fprintf(stderr, "hark rekey: %s\n", kr.n == 0 && !err[0] ? "HARK_DATA_KEY is not set" : err);
        return 1;
    }
    PGconn *pg = hk_db_connect(cfg, err, sizeof err);
    if (!pg) {
        hk_keyring_wipe(&kr);
        fprintf(stderr, "hark rekey: %s\n", err);
        return 1;
    }
    long n = hk_rekey_run(pg, &kr, stdout, err, sizeof err);
    PQfinish(pg);
    hk_keyring_wipe(&kr);
    if (n < 0) {
        fprintf(stderr, "hark rekey: %s\n", err);
        return 1;
    }
    return 0;
}
